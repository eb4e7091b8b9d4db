from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations.backup import create_backup


class Command(BaseCommand):
    help = (
        "Back up the database and the uploaded evidence into a new folder under DESTINATION, "
        "readable by its owner only and signed with BACKUP_KEY (or a key derived from "
        "SECRET_KEY): restore it where the same key is set."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path)
        parser.add_argument(
            "--format",
            choices=["sqlite", "json"],
            help="sqlite: online copy of an SQLite database; json: a dump any database can "
            "load. Default: sqlite on SQLite, json otherwise.",
        )

    def handle(self, *args, destination: Path, format: str | None = None, **options):
        try:
            folder = create_backup(destination, fmt=format)
        except (ValueError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Backup written to {folder}"))

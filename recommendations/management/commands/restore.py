from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations.backup import restore_backup


class Command(BaseCommand):
    help = (
        "Restore the database and evidence from a backup folder made by `backup`. "
        "This REPLACES what the database holds now. Stop the site first. The backup's "
        "signature, checksums, evidence archive and database are all checked before anything "
        "is replaced; if any check fails, nothing changes."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, folder: Path, yes: bool = False, **options):
        if not yes:
            answer = input(f"Replace the database and evidence with {folder}? Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled; nothing changed.")
        try:
            manifest = restore_backup(folder)
        except (ValueError, OSError) as error:
            raise CommandError(f"{error} Nothing was changed.") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the {manifest['format']} backup made {manifest['created']}."
            )
        )

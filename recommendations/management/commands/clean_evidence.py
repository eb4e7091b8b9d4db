import datetime as dt

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.utils import timezone

from recommendations.evidence import stored_evidence
from recommendations.models import Evidence


class Command(BaseCommand):
    help = (
        "Remove files under the evidence folder that no evidence row refers to (left by a "
        "request that stopped after writing its file but before its row was saved), once they "
        "are older than the grace period. Also names evidence rows whose file is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=60,
            help="Leave files younger than this alone: their request may still be running "
            "(default 60, longer than any request).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only list what would be removed."
        )

    def handle(self, *args, grace_minutes: int, dry_run: bool, **options):
        storage = default_storage
        referenced = set(Evidence.objects.values_list("file", flat=True))
        cutoff = timezone.now() - dt.timedelta(minutes=max(grace_minutes, 0))
        stored = set()
        removed = kept_young = 0
        for name in stored_evidence(storage):
            stored.add(name)
            if name in referenced:
                continue
            if storage.get_modified_time(name) > cutoff:
                kept_young += 1
                continue
            removed += 1
            if dry_run:
                self.stdout.write(f"Would remove {name}")
            else:
                storage.delete(name)
                self.stdout.write(f"Removed {name}")
        verb = "would be removed" if dry_run else "removed"
        self.stdout.write(
            self.style.SUCCESS(
                f"{removed} file(s) with no evidence row {verb}; {kept_young} younger than "
                f"{grace_minutes} minutes left alone."
            )
        )
        missing = sorted(referenced - stored)
        if missing:
            self.stderr.write(
                self.style.WARNING(
                    f"{len(missing)} evidence row(s) have no file in storage: " + ", ".join(missing)
                )
            )

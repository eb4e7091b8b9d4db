"""Collect forces' returns from the addresses they publish them at, and take them in.

    manage.py collect_returns --report stalking-super-complaint --as national-lead URL [URL ...]

One line per address: the force and what changed, "unchanged (304)" or "unchanged", or why it
failed. A failing address does not stop the others; the exit status is 1 when any failed.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from recommendations import permissions
from recommendations.collect import MAX_BYTES, TIMEOUT_SECONDS, Collected, collect
from recommendations.models import Report


class Command(BaseCommand):
    help = (
        "Fetch forces' returns (the open return format, JSON) from their addresses and take "
        "them in for a report, as a National account."
    )

    def add_arguments(self, parser):
        parser.add_argument("urls", nargs="+", metavar="URL", help="Addresses of returns.")
        parser.add_argument("--report", required=True, help="The report's slug.")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="The National account the returns are taken in as (named in their history).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=TIMEOUT_SECONDS,
            help=f"Seconds to wait for each address (default {TIMEOUT_SECONDS:g}).",
        )
        parser.add_argument(
            "--max-bytes",
            type=int,
            default=MAX_BYTES,
            help=f"The largest return accepted, in bytes (default {MAX_BYTES}).",
        )

    def handle(self, *args, urls, report, username, timeout, max_bytes, **options):
        found = Report.objects.filter(slug=report).first()
        if found is None:
            raise CommandError(f'There is no report with the slug "{report}".')
        user = get_user_model()._default_manager.filter(username=username).first()
        if user is None or not user.is_active:
            raise CommandError(f'There is no active account "{username}".')
        if not permissions.can_collect(user):
            raise CommandError(
                f'"{username}" does not have the National role, so cannot take returns in.'
            )
        failed = 0
        for url in dict.fromkeys(urls):
            try:
                result = collect(url, report=found, by=user, timeout=timeout, max_bytes=max_bytes)
            except Exception as error:  # one bad address never stops the others
                line = f"{url}: failed: unexpected error: {type(error).__name__}: {error}"
                result = Collected(url, False, line)
            if result.ok:
                self.stdout.write(result.line)
            else:
                failed += 1
                self.stderr.write(result.line)
        if failed:
            raise CommandError(f"{failed} of {len(dict.fromkeys(urls))} returns failed.")

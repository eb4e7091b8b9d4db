"""Set a report up from one force's return, so a national deployment can collect every force's:

    manage.py add_report --from-return https://force.example/public/<slug>/return.json
    manage.py add_report --from-return return.json

The report (its slug, title, publishers, date and address) and its recommendations, as the
return numbers them, are made unless the report is already there; the force's local actions
are not the report's and are left out. Nothing else of the return is taken in: collect it with
collect_returns.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from recommendations import services
from recommendations.collect import MAX_BYTES, TIMEOUT_SECONDS, FetchFailed, fetch_json
from recommendations.exports.open_format import InvalidReturn
from recommendations.models import Report


class Command(BaseCommand):
    help = "Set a report and its recommendations up from a force's return (a file or address)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--from-return", required=True, metavar="FILE_OR_URL", dest="source",
            help="A return in the open format: a file, or the address a force publishes it at.",
        )  # fmt: skip

    def handle(self, *args, source: str, **options):
        document = self._read(source)
        existed = (
            isinstance(document, dict)
            and Report.objects.filter(
                slug=str((document.get("report") or {}).get("slug", ""))
            ).exists()
        )
        try:
            report = services.report_from_return(document=document)
        except InvalidReturn as error:
            lines = "\n".join(f"  {problem}" for problem in error.problems[:20])
            raise CommandError(f"{source} is not a valid return:\n{lines}") from None
        except ValidationError as error:
            lines = "\n".join(f"  {message}" for message in error.messages[:20])
            raise CommandError(
                f"{source} cannot set the report up (nothing was saved):\n{lines}"
            ) from None
        except IntegrityError as error:
            raise CommandError(
                f"{source} cannot set the report up (nothing was saved): {error}"
            ) from None
        if existed:
            self.stdout.write(f"The report is already here: {report.title} ({report.slug}).")
            return
        count = report.recommendations.count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Set up {report.title} ({report.slug}) with {count} recommendations."
            )
        )

    def _read(self, source: str):
        if source.startswith(("http://", "https://")):
            try:
                return fetch_json(source, timeout=TIMEOUT_SECONDS, max_bytes=MAX_BYTES)
            except FetchFailed as error:
                raise CommandError(f"{source} {error}") from None
        try:
            return json.loads(Path(source).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"{source} could not be read as JSON: {error}") from None
        except RecursionError:
            raise CommandError(f"{source} is not a JSON return (nested too deeply).") from None

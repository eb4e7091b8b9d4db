import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from recommendations.exports import common, open_return, pdf, xlsx
from recommendations.models import Plan

WRITERS = {"xlsx": xlsx.render, "pdf": pdf.render}
FORMATS = sorted([*WRITERS, *open_return.WRITERS])


def write_whole(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then move it into place: a failed or
    interrupted export never leaves half a return where the last good one was."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = (
        "Export a plan's return as XLSX or PDF, or in the open return format (JSON, or the same "
        "rows as CSV): every recommendation, signed-off updates only (unless --include-pending, "
        "XLSX and PDF only), for one reporting period (default: the latest), as the plan stands "
        "now or as it stood at --as-of."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The plan's web address, e.g. stalking-super-complaint.")
        parser.add_argument(
            "--format", choices=FORMATS, required=True, help="xlsx, pdf, json or csv."
        )
        parser.add_argument(
            "--period",
            default="",
            metavar="LABEL",
            help='The reporting period\'s label, e.g. "March 2026 update" (default: the latest).',
        )
        parser.add_argument(
            "--as-of",
            default="",
            metavar="YYYY-MM-DD[THH:MM]",
            help="Show the plan as it stood at this past moment, local time (a date alone means "
            "the end of that day).",
        )
        parser.add_argument(
            "--include-pending",
            action="store_true",
            help='Include updates not yet signed off, each marked "Awaiting sign-off".',
        )
        parser.add_argument(
            "-o",
            "--output",
            default="",
            metavar="FILE",
            help="Where to write the return (default: a descriptive name in this folder).",
        )

    def handle(self, *args, **options):
        plan = (
            Plan.objects.select_related(
                "executive_lead", "operational_lead", "report", "organisation"
            )
            .filter(slug=options["slug"])
            .first()
        )
        if plan is None:
            raise CommandError(f'There is no plan at "{options["slug"]}".')
        try:
            ret = common.build_return(
                plan,
                period_label=options["period"].strip(),
                as_of=common.parse_as_of(options["as_of"]),
                include_pending=options["include_pending"],
                generated_by="manage.py export_return",
            )
            extension = options["format"]
            data = self.render(ret, extension)
        except common.ExportError as error:
            raise CommandError(str(error)) from None
        path = Path(options["output"] or ret.filename(extension))
        if path.is_dir():
            path = path / ret.filename(extension)
        if not path.parent.is_dir():
            raise CommandError(f"The folder {path.parent} does not exist.")
        write_whole(path, data)
        period = f'"{ret.period_label}"' if ret.period else "no reporting period"
        self.stdout.write(
            f"Wrote {path}: {len(ret.rows)} recommendation{'s' if len(ret.rows) != 1 else ''}, "
            f"{period}, as at {ret.as_at_text}"
            + (", including updates awaiting sign-off." if ret.include_pending else ".")
        )

    def render(self, ret: common.PlanReturn, extension: str) -> bytes:
        if extension in WRITERS:
            return WRITERS[extension](ret)
        # No request to name the site: the open format names the plan's public page by
        # SITE_URL.
        public_url = ""
        if ret.plan.is_published:
            public_url = settings.SITE_URL + reverse("public_plan", args=[ret.plan.slug])
        document = open_return.document_for(ret, public_url=public_url)
        return open_return.WRITERS[extension](document)

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from recommendations.exports import importer

TEXT_PREVIEW = 100


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_PREVIEW else text[: TEXT_PREVIEW - 1] + "…"


def describe(preview: importer.ImportPreview) -> list[str]:
    """The preview as lines of text: the plan, its periods and each recommendation."""
    lead = preview.executive_lead
    lines = [
        f"File: {preview.filename}"
        + (
            f' (sheet "{preview.sheet}", header on row {preview.header_row})'
            if preview.sheet
            else ""
        ),
        f"Plan: {preview.title or '(no title)'} [{preview.slug or 'no address'}]"
        + (" - existing, empty plan" if preview.existing_plan else ""),
        f"Strategic / Executive Lead: {lead or 'not given'}"
        + (" (new owner)" if lead and lead.existing is None else ""),
        "Periods: " + (" | ".join(preview.periods) or "none"),
        f"Recommendations: {len(preview.recommendations)}",
    ]
    for row in preview.recommendations:
        due = f", due {row.due_date:%d/%m/%Y}" if row.due_date else ""
        owner = f", owner {row.owner}" + (" (new)" if row.owner and not row.owner.existing else "")
        lines.append(f"  {row.number} (row {row.row}{due}{owner if row.owner else ''})")
        lines.append(f"      {_short(row.text)}")
        if row.addressee:
            lines.append(f"      Addressee: {row.addressee}")
        lines += [f"      {sub.number} {_short(sub.text)}" for sub in row.subs]
        for cell in row.cells:
            if not cell.is_empty:
                status = f" [{cell.status_label}]" if cell.status else ""
                lines.append(f"      {cell.period}{status}: {_short(cell.text)}")
    return lines


class Command(BaseCommand):
    help = (
        "Import a plan from an XLSX spreadsheet: our own return, or the table a force "
        "publishes. Prints a preview and every problem found (sheet, row, column); nothing is "
        "written unless the whole file is good. With --plan SLUG naming a plan that already "
        "exists, the import fills it only if it has no recommendations yet (keeping its title, "
        "leads and report details) and is refused otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .xlsx file to import.")
        parser.add_argument(
            "--plan",
            default="",
            metavar="SLUG",
            help="Address of the plan: new, or an existing plan with no recommendations yet. "
            "Default: the file's Plan sheet, else made from the title.",
        )
        parser.add_argument(
            "--title", default="", help="Title of a new plan (default: the file's Plan sheet)."
        )
        parser.add_argument(
            "--user", default="", help="Username recorded as the author of the imported rows."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and preview only; write nothing."
        )

    def handle(self, *args, file: str, plan: str, title: str, user: str, dry_run: bool, **opts):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"No user with the username {user!r}.")
        preview = importer.read_plan(
            path.read_bytes(), filename=path.name, title=title, slug=plan, into_existing=bool(plan)
        )
        self.stdout.write("\n".join(describe(preview)))
        for warning in preview.warnings:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
        if not preview.ok:
            for problem in preview.problems:
                self.stderr.write(f"Problem: {problem}")
            count = len(preview.problems)
            raise CommandError(
                f"{path.name} was refused with {count} problem{'s' if count != 1 else ''}. "
                "Nothing was written."
            )
        if dry_run:
            self.stdout.write("Dry run: the file is good. Nothing was written.")
            return
        try:
            saved = importer.save_plan(preview, by=by)
        except importer.ImportRefused as refused:
            raise CommandError(f"Nothing was written: {refused}") from refused
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(preview.recommendations)} recommendations into "
                f'"{saved.title}" ({saved.slug}) from {path.name}.'
            )
        )

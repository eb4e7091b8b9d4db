from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from recommendations.imports import ImportPreview, Item, Mapping, MappingError, read_plan
from recommendations.imports.mapping import Meaning
from recommendations.imports.save import UPDATE, ImportRefused, save_plan
from recommendations.models import Plan

TEXT_PREVIEW = 100


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_PREVIEW else text[: TEXT_PREVIEW - 1] + "…"


def _item_lines(item: Item, indent: str) -> list[str]:
    due = f", due {item.due_date:%d/%m/%Y}" if item.due_date else ""
    owner = f", owner {item.owner}" + (" (new)" if item.owner and not item.owner.existing else "")
    lines = [f"{indent}{item.number} (row {item.row}{due}{owner if item.owner else ''})"]
    if item.text:
        lines.append(f"{indent}    {_short(item.text)}")
    if item.addressee:
        lines.append(f"{indent}    Addressee: {item.addressee}")
    lines += [f"{indent}    {label}: {_short(value)}" for label, value in item.details.items()]
    for cell in item.cells:
        if not cell.is_empty:
            status = f" [{cell.status_label}]" if cell.status else ""
            lines.append(f"{indent}    {cell.period}{status}: {_short(cell.text)}")
    return lines


def describe(preview: ImportPreview) -> list[str]:
    """The preview as lines of text: how each column and status word is read, the plan, its
    periods and each recommendation with its sub-recommendations and actions (or, into an
    existing plan, the updates it adds or changes), and what is not imported."""
    lead = preview.executive_lead
    lines = [f"File: {preview.filename} ({preview.file_format or 'unread'})"]
    lines.append("Columns:")
    several_sheets = len({column.sheet for column in preview.columns}) > 1
    for column in preview.columns:
        header = f'"{column.header}"' if column.header else "(no header)"
        period = f" [{column.period}]" if column.period else ""
        where = f'sheet "{column.sheet}", ' if several_sheets else ""
        lines.append(
            f"  {where}column {column.letter} {header}: {Meaning(column.meaning).label}{period}"
        )
    if preview.status_words:
        lines.append("Status words:")
        for word in preview.status_words:
            lines.append(f'  "{word.word}" ({word.count}): {word.status_label}')
    if preview.mode == UPDATE:
        lines.append(f"Into the existing plan: {preview.title} [{preview.slug}]")
        lines.append(f"Updates added or changed: {len(preview.changes)}")
        for change in preview.changes:
            old = "nothing" if change.is_new else f'"{_short(change.old_text)}"'
            lines.append(
                f'  {change.number}, {change.period}: {old} -> "{_short(change.new_text)}"'
            )
    else:
        lines += [
            f"Plan: {preview.title or '(no title)'} [{preview.slug or 'no address'}]"
            + (" - existing, empty plan" if preview.existing_plan else ""),
            f"Strategic / Executive Lead: {lead or 'not given'}"
            + (" (new owner)" if lead and lead.existing is None else ""),
        ]
        if preview.operational_lead:
            lines.append(f"Operational Lead: {preview.operational_lead}")
        lines.append("Periods: " + (" | ".join(preview.period_labels) or "none"))
        lines.append(f"Recommendations: {len(preview.recommendations)}")
        for item in preview.recommendations:
            lines += _item_lines(item, "  ")
            for child in item.children:
                lines += _item_lines(child, "    ")
    left_out = preview.not_imported
    if left_out:
        lines.append("Not imported:")
        for column in left_out:
            header = f'"{column.header}"' if column.header else "(no header)"
            lines.append(f"  column {column.letter} {header}: {column.filled} cells left out")
    else:
        lines.append("Not imported: nothing (every column is read).")
    return lines


class Command(BaseCommand):
    help = (
        "Import a plan from the file a force keeps (.xlsx, .xlsm, .ods, .xls, .csv or a saved "
        "web page): our own return, or any published layout. Prints how each column and status "
        "word is read, the plan, and every problem found (sheet, row, column); nothing is "
        "written unless the whole file is good. With --plan SLUG naming an existing plan, an "
        "empty plan is filled, and a plan with recommendations gets the file's new and changed "
        "updates (awaiting sign-off unless --approve)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The file to import.")
        parser.add_argument(
            "--plan",
            default="",
            metavar="SLUG",
            help="Address of the plan: new, or an existing plan to fill or to add updates to. "
            "Default: the file's own, else made from the title.",
        )
        parser.add_argument("--title", default="", help="Title of a new plan.")
        parser.add_argument(
            "--user", default="", help="Username recorded as the author of the imported rows."
        )
        parser.add_argument(
            "--mapping",
            default="",
            metavar="MAPPING.json",
            help="The meaning of columns and status words, as --show-mapping prints it (edited "
            "as needed). Default: the plan's saved mapping, when importing into a plan.",
        )
        parser.add_argument(
            "--show-mapping",
            action="store_true",
            help="Print the mapping the import would use, as JSON for editing, and write nothing.",
        )
        parser.add_argument(
            "--approve",
            action="store_true",
            help="Into an existing plan: record the updates as approved, not awaiting sign-off.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and preview only; write nothing."
        )

    def handle(self, *args, file: str, plan: str, title: str, user: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"No user with the username {user!r}.")
        existing = Plan.objects.filter(slug=plan).first() if plan else None
        mapping = self._mapping(options["mapping"], existing)
        preview = read_plan(
            path.read_bytes(),
            filename=path.name,
            title=title,
            slug=plan,
            mapping=mapping,
            into_existing=existing is not None,
        )
        if options["show_mapping"]:
            if preview.mapping is not None:
                self.stdout.write(preview.mapping.to_json(), ending="")
            for problem in preview.problems:
                self.stderr.write(f"Problem: {problem}")
            return
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
        left_out = len(preview.not_imported)
        if options["dry_run"]:
            self.stdout.write(
                "Dry run: the file can be imported; nothing was written."
                + (
                    f" {left_out} column{'s' if left_out != 1 else ''} would not be imported "
                    "(listed above)."
                    if left_out
                    else ""
                )
            )
            return
        try:
            saved = save_plan(preview, by=by, approve=options["approve"])
        except ImportRefused as refused:
            raise CommandError(f"Nothing was written: {refused}") from refused
        if preview.mode == UPDATE:
            done = f"Added or changed {len(preview.changes)} updates in"
        else:
            done = f"Imported {len(preview.recommendations)} recommendations into"
        self.stdout.write(
            self.style.SUCCESS(f'{done} "{saved.title}" ({saved.slug}) from {path.name}.')
        )

    def _mapping(self, name: str, existing: Plan | None) -> Mapping | None:
        if not name:
            if existing is not None and existing.import_mapping:
                try:
                    return Mapping.from_dict(existing.import_mapping)
                except MappingError:
                    return None
            return None
        mapping_path = Path(name)
        if not mapping_path.is_file():
            raise CommandError(f"No such mapping file: {name}")
        try:
            return Mapping.from_json(mapping_path.read_bytes())
        except MappingError as error:
            lines = "\n".join(f"  {message}" for message in error.messages)
            raise CommandError(
                f"The mapping {mapping_path.name} cannot be used:\n{lines}"
            ) from None

"""A force's return in a file that is not our JSON (our XLSX return, or any layout the importer
reads) made into open-format returns, so collation has one way in: services.take_return.

The importer reads the file (reading never writes); each reporting period it gives becomes one
return of version 1 (the format holds one period), in the file's order. Updates the file
marks as awaiting sign-off are left out: a return carries what the force approved. Whose
return it is comes from the person uploading it, or else from the file naming a force the
tracker knows. Anything the importer cannot place, and any recommendation the report does not
make, is refused with the force's name and the file's sheet and row.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from typing import Any

from django.utils import timezone

from ..choices import rag_for, status_label
from ..exports.open_format import FORMAT, VERSION
from ..models import Organisation, Report
from ..services.collation import ReturnRefused
from . import read_plan
from .preview import ImportPreview, Item, PeriodSpec

NOT_JSON = "The file is not a JSON return: {error}."
NOT_JSON_DEEP = "The file is not a JSON return (nested too deeply)."
NO_FORCE = (
    "The file does not say which force's return it is (no force the tracker knows is named in "
    "its title or file name): choose the force."
)
SEVERAL_FORCES = "The file names several forces ({names}): choose the force."


def is_json(data: bytes, filename: str) -> bool:
    """Our JSON return, by its name or its first character."""
    return filename.lower().endswith(".json") or data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def json_document(data: bytes) -> Any:
    """The uploaded JSON, or ReturnRefused saying why it is not JSON."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ReturnRefused([NOT_JSON.format(error=error)]) from None
    except RecursionError:
        raise ReturnRefused([NOT_JSON_DEEP]) from None


def named_organisation(preview: ImportPreview) -> Organisation:
    """The one force the file names in its title, introduction or file name."""
    words = " ".join([preview.title, preview.introduction, preview.filename]).casefold()
    found = []
    for organisation in Organisation.objects.all():
        names = [organisation.name, organisation.short_name, organisation.code]
        for name in filter(None, (name.casefold().strip() for name in names)):
            if len(name) >= 3 and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", words):
                found.append(organisation)
                break
    if not found:
        raise ReturnRefused([NO_FORCE])
    if len(found) > 1:
        raise ReturnRefused([SEVERAL_FORCES.format(names=", ".join(map(str, found)))])
    return found[0]


def documents_from_file(
    data: bytes, *, filename: str, report: Report, organisation: Organisation | None
) -> list[dict[str, Any]]:
    """The returns a plan file holds, one per reporting period (ReturnRefused when the file
    cannot be read as one, naming the force and where in the file)."""
    # An address no plan has, so the importer's checks of a new plan's address stay quiet:
    # collation finds the force's plan by its organisation and report, not by address.
    slug = f"return-{secrets.token_hex(8)}"
    preview = read_plan(data, filename=filename, slug=slug, organisation=organisation)
    if organisation is None and not preview.problems:
        organisation = named_organisation(preview)
    force = organisation.name if organisation is not None else filename
    if preview.problems:
        raise ReturnRefused([f"{force}, {problem}" for problem in preview.problems])
    known = set(report.recommendations.values_list("number", flat=True))
    unknown = [
        f"{force}, {_where(item)} (recommendation {item.number}): the report has no "
        f"recommendation {item.number}."
        for item in preview.recommendations
        if item.number not in known
    ]
    if unknown:
        raise ReturnRefused(unknown)
    title = preview.title
    if not title or title.lower() == slug.replace("-", " "):
        title = f"{organisation.name}: {report.title}"
    periods: list[PeriodSpec | None] = list(preview.periods) or [None]
    return [
        _document(
            preview,
            report=report,
            organisation=organisation,
            title=title,
            period=period,
            known=known,
        )
        for period in periods
    ]


def _where(item: Item) -> str:
    return f'sheet "{item.sheet}", row {item.row}' if item.sheet else f"row {item.row}"


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _document(
    preview: ImportPreview,
    *,
    report: Report,
    organisation: Organisation,
    title: str,
    period: PeriodSpec | None,
    known: set[str],
) -> dict[str, Any]:
    now = timezone.now().isoformat(timespec="seconds")
    return {
        "format": FORMAT,
        "version": VERSION,
        "report": {
            "slug": report.slug,
            "title": report.title,
            "publisher": report.publisher,
            "published": _day(report.published),
            "url": report.url,
        },
        "organisation": {
            "name": organisation.name,
            "short_name": organisation.short_name,
            "code": organisation.code,
        },
        "plan": {"slug": f"{organisation.code}-{report.slug}"[:100], "title": title, "url": ""},
        "period": (
            None
            if period is None
            else {"label": period.label, "period_end": _day(period.period_end), "return_due": None}
        ),
        "as_at": now,
        "generated_at": now,
        "recommendations": [
            _recommendation(item, known=known, period=period) for item in preview.recommendations
        ],
    }


def _recommendation(item: Item, *, known: set[str], period: PeriodSpec | None) -> dict:
    cell = next(
        (cell for cell in item.cells if period is not None and cell.period == period.label), None
    )
    if cell is not None and cell.pending:
        cell = None  # awaiting the force's sign-off: not part of its return
    status = cell.status if cell is not None and cell.status else None
    return {
        "number": item.number,
        # A recommendation answers the report's of its number (checked before); an action the
        # report does not number is the force's own.
        "report_number": item.number if item.number in known else None,
        "local": item.number not in known,
        "text": item.text,
        "addressee": item.addressee,
        "owner": str(item.owner) if item.owner else "",
        "status": status,
        "status_label": status_label(status or ""),
        "rag": rag_for(status or "").word,
        "status_from_actions": False,
        "due_date": _day(item.due_date),
        "original_due_date": _day(item.due_date),
        "slips": 0,
        "update": (cell.text or None) if cell is not None else None,
        "last_updated": _day(cell.recorded) if cell is not None else None,
        "evidence_count": 0,
        "actions": [_recommendation(child, known=known, period=period) for child in item.children],
    }

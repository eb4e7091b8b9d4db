"""The PDF return (WeasyPrint): A4 landscape, a title block, the plan table with its header on
every page, the protective marking at the top and bottom of every page, and "Page X of Y".

The document is tagged (PDF/UA-1) so screen readers can follow its headings and table. Nothing
is fetched while rendering: the template carries its own styles, and the only URLs allowed are
data: URLs.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from ..choices import NO_STATUS_RAG, RAG_BY_STATUS
from .common import PENDING_LABEL, PlanReturn, ReturnRow

TEMPLATE = "returns/return.html"
PDF_VARIANT = "pdf/ua-1"
# A row shorter than this (in characters of text) is kept on one page; a longer one may run on
# to the next, or it could leave most of a page blank, or not fit on a page at all.
KEEP_TOGETHER_CHARS = 1_200

# Relative widths of the table's columns; the period columns share what is left, and every
# width shrinks in proportion when many periods need room.
FIXED_WIDTHS = [
    ("number", 4.5),
    ("text", 14.0),
    ("subs", 10.5),
    ("addressee", 7.5),
    ("owner", 7.0),
    ("status", 6.5),
    ("rag", 5.0),
    ("date", 6.5),
]
PERIOD_WIDTH = 17.0


def css_string(value: str) -> str:
    """A CSS string literal for `value`, every character but letters, digits and spaces
    escaped, so nothing in it can end the string or the style sheet."""
    escaped = "".join(
        char if char.isascii() and (char.isalnum() or char == " ") else f"\\{ord(char):06x}"
        for char in value
    )
    return f'"{escaped}"'


def column_widths(periods: int) -> list[tuple[str, str]]:
    """Percentages for each column class, adding up to 100 across the table."""
    # "date" is two columns (due date and last updated).
    total = sum(width for _, width in FIXED_WIDTHS) + dict(FIXED_WIDTHS)["date"]
    total += PERIOD_WIDTH * periods
    widths = [*FIXED_WIDTHS, ("period", PERIOD_WIDTH)]
    return [(name, f"{width * 100 / total:.3f}") for name, width in widths]


def _row_size(row: ReturnRow) -> int:
    size = len(row.text) + sum(len(text) for _, text in row.subrecommendations)
    return size + sum(len(cell.text) for cell in row.cells if cell is not None)


def _base_url() -> str:
    return (Path(settings.BASE_DIR) / "templates" / "returns").as_uri() + "/"


def html(ret: PlanReturn) -> str:
    """The return as the HTML WeasyPrint lays out (every user text escaped by the template)."""
    rags = [(value, rag) for value, rag in RAG_BY_STATUS.items()] + [("none", NO_STATUS_RAG)]
    return render_to_string(
        TEMPLATE,
        {
            "ret": ret,
            "rows": [
                {"row": row, "keep": _row_size(row) <= KEEP_TOGETHER_CHARS} for row in ret.rows
            ],
            "filtered": ret.table.filters.active,
            "pending_label": PENDING_LABEL,
            "marking_css": css_string(ret.marking),
            "widths": column_widths(len(ret.periods)),
            "rags": [(str(value), rag) for value, rag in rags],
            "created_iso": timezone.localtime(ret.generated_at).isoformat(timespec="seconds"),
        },
    )


def render(ret: PlanReturn) -> bytes:
    """The return as the bytes of a tagged PDF."""
    document = HTML(
        string=html(ret),
        base_url=_base_url(),
        url_fetcher=URLFetcher(allowed_protocols={"data"}),
    )
    return document.write_pdf(pdf_variant=PDF_VARIANT)

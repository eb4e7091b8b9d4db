"""The PDF return (WeasyPrint): A4 landscape, a title block, the plan table with its header on
every page, the protective marking at the top and bottom of every page, and "Page X of Y".

The document is tagged (PDF/UA-1) so screen readers can follow its headings and table. Nothing
is fetched while rendering: the template carries its own styles, and the only URLs allowed are
data: URLs.
"""

from __future__ import annotations

from pathlib import Path

import pydyf
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

# Percent widths of the short columns (the dates are two columns); the recommendation, its
# sub-recommendations and the period columns share the rest in proportion to how much text
# each holds, which keeps rows, and so the return, as short as a browser-style layout would.
SHORT_WIDTHS = {"number": 3.5, "addressee": 7.0, "owner": 7.0, "status": 6.0, "rag": 4.5}
DATE_WIDTH = 5.5
LONG_MIN_WIDTH = 6.0


def _remember_page_references() -> None:
    """Make pydyf list a document's pages once per new page, not once per tagged element.

    While tagging, WeasyPrint asks for `PDF.page_references` for every structure element, and
    pydyf rebuilds the whole list each time, so a tagged PDF costs pages x elements: about a
    fifth of a 500-page return's time. The list only changes when a page is added, so it is
    kept until then.
    """
    original = getattr(pydyf.PDF, "page_references", None)
    if not isinstance(original, property) or getattr(original.fget, "remembered", False):
        return

    def page_references(self) -> tuple[bytes, ...]:
        kids = self.pages["Kids"]
        key = (id(kids), len(kids))
        kept = self.__dict__.get("_kept_page_references")
        if kept is None or kept[0] != key:
            kept = (key, original.fget(self))
            self.__dict__["_kept_page_references"] = kept
        return kept[1]

    page_references.remembered = True
    pydyf.PDF.page_references = property(page_references)


_remember_page_references()


def css_string(value: str) -> str:
    """A CSS string literal for `value`, every character but letters, digits and spaces
    escaped, so nothing in it can end the string or the style sheet."""
    escaped = "".join(
        char if char.isascii() and (char.isalnum() or char == " ") else f"\\{ord(char):06x}"
        for char in value
    )
    return f'"{escaped}"'


def column_widths(ret: PlanReturn) -> list[tuple[str, str]]:
    """(column class, percent width) for every column, adding up to 100 across the table."""
    long_columns = ["text", "subs", *(f"period-{i}" for i in range(len(ret.periods)))]
    lengths = dict.fromkeys(long_columns, 1)
    for row in ret.printed_rows:
        lengths["text"] += len(row.text)
        lengths["subs"] += len(row.subrecommendations_text)
        for index, cell in enumerate(row.cells):
            lengths[f"period-{index}"] += len(cell.marked_text) if cell else 0
    room = 100 - sum(SHORT_WIDTHS.values()) - 2 * DATE_WIDTH
    floor = min(LONG_MIN_WIDTH, room / len(long_columns))
    spare, total = room - floor * len(long_columns), sum(lengths.values())
    widths = {**SHORT_WIDTHS, "date": DATE_WIDTH}
    widths |= {name: floor + spare * length / total for name, length in lengths.items()}
    return [(name, f"{width:.3f}") for name, width in widths.items()]


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
                {"row": row, "keep": _row_size(row) <= KEEP_TOGETHER_CHARS}
                for row in ret.printed_rows
            ],
            "filtered": ret.table.filters.active,
            "pending_label": PENDING_LABEL,
            "marking_css": css_string(ret.marking),
            "widths": column_widths(ret),
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

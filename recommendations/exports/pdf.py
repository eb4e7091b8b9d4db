"""The PDF return (WeasyPrint): A4 landscape, a title block, the plan table with its header on
every page, the protective marking at the top and bottom of every page, and "Page X of Y".

The document is tagged (PDF/UA-1) so screen readers can follow its headings and table. Nothing
is fetched while rendering: the template carries its own styles, and the only URLs allowed are
data: URLs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pydyf
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from ..choices import NO_STATUS_RAG, RAG_BY_STATUS, Status
from .common import FROM_ACTIONS, PENDING_LABEL, PlanReturn, ReturnRow, clean_text

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

# A header word is never broken (see _UNBREAKABLE): every column is at least as wide as the
# longest word of its header, measured in the header's font, DejaVu Sans Bold, and the status
# and RAG columns as their longest status or RAG word. Where the words of many periods' headers
# cannot all fit across the page at the table's type size, the header's type is made smaller,
# down to MIN_HEADER_SIZE; past that (dozens of periods, or a label of one very long word) the
# table still fits the page, and the words that cannot fit are broken.
TABLE_WIDTH_PT = (297 - 2 * 10) * 72 / 25.4  # A4 landscape less the page's side margins
CELL_EXTRA_PT = 2 * 1.2 * 72 / 25.4 + 0.5 + 1.0  # padding, the borders' halves, and a point
TEXT_SIZE = 7.5
MIN_HEADER_SIZE = 5.0
# DejaVu Sans Bold's advance widths, in 1/2048 em, for " " to "~"; any other character is
# taken as 1.1 em, wider than all of these.
# fmt: off
_BOLD_WIDTHS = (
    713, 934, 1067, 1716, 1425, 2052, 1786, 627, 936, 936, 1071, 1716, 778, 850, 778, 748, 1425,
    1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 819, 819, 1716, 1716, 1716, 1188,
    2048, 1585, 1561, 1503, 1700, 1399, 1399, 1681, 1714, 762, 762, 1587, 1305, 2038, 1714,
    1741, 1501, 1741, 1577, 1475, 1397, 1663, 1585, 2259, 1579, 1483, 1485, 936, 748, 936, 1716,
    1024, 1024, 1382, 1466, 1214, 1466, 1389, 891, 1466, 1458, 702, 702, 1362, 702, 2134, 1458,
    1407, 1466, 1466, 1010, 1219, 979, 1458, 1335, 1892, 1321, 1335, 1192, 1458, 748, 1458,
    1716,
)
# fmt: on
OTHER_WIDTH = 2253


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
    # An escape is ended by one white space character, which CSS consumes with it: each one
    # carries its own, so a space written after it stays in the text.
    escaped = "".join(
        char if char.isascii() and (char.isalnum() or char == " ") else f"\\{ord(char):06x} "
        for char in value
    )
    return f'"{escaped}"'


_STATUS_WORDS = " ".join([*(label for _, label in Status.choices), FROM_ACTIONS]).split()


def header_cells(ret: PlanReturn) -> list[tuple[str, str]]:
    """(column class, header text) for every column, in order."""
    periods = [(f"period-{i}", clean_text(p.label)) for i, p in enumerate(ret.periods)]
    return [
        ("number", "Rec No."),
        ("text", "Recommendation"),
        ("subs", "Sub recommendation"),
        ("addressee", "Addressee"),
        ("owner", "Owner"),
        *periods,
        ("status", clean_text(ret.status_header)),
        ("rag", "RAG"),
        ("date", "Due date"),
        ("date", "Last updated"),
    ]


def bold_width(text: str, size: float) -> float:
    """The width in points of `text` set in DejaVu Sans Bold at `size` points."""
    units = sum(
        _BOLD_WIDTHS[code - 32] if 32 <= code < 127 else OTHER_WIDTH for code in map(ord, text)
    )
    return units * size / 2048


def _percent(points: float) -> float:
    return 100 * (points + CELL_EXTRA_PT) / TABLE_WIDTH_PT


def _least_widths(ret: PlanReturn, size: float) -> dict[str, float]:
    """Each column's least percent width: its longest header word at `size`, and in the status
    and RAG columns their longest word as the rows print it."""
    least: dict[str, float] = {}
    for name, title in header_cells(ret):
        words = [bold_width(word, size) for word in title.split()]
        least[name] = max([least.get(name, 0.0), *map(_percent, words)])
    least["status"] = max(
        least["status"], *(_percent(bold_width(w, TEXT_SIZE)) for w in _STATUS_WORDS)
    )
    rags = (_percent(bold_width(rag.word, TEXT_SIZE)) for rag in RAG_BY_STATUS.values())
    least["rag"] = max(least["rag"], *rags)
    return least


def _across(widths: dict[str, float]) -> float:
    return sum(widths.values()) + widths["date"]  # the dates are two columns


# Within a word of letters, digits, brackets and stops no line can break (the header cells do
# not break words that overflow, and no column is too narrow for its header's words); a word
# with any other character, such as "2025/26" or "sign-off", could break after it, so it is
# kept whole by a span. Only such words get one: every span is a tagged element on every page.
_UNBREAKABLE = re.compile(r"[\w().,:;'\"\u2018\u2019\u201c\u201d]+")


@dataclass(frozen=True)
class TableLayout:
    """How the plan table is set across the page."""

    header_size: float  # points
    widths: dict[str, float]  # percent of the table's width, by column class
    # (column class, [(word, kept whole by a span)]) for each header cell
    headers: list[tuple[str, list[tuple[str, bool]]]]
    every_word_fits: bool  # else the words that cannot are broken to keep the table on the page


def table_layout(ret: PlanReturn) -> TableLayout:
    """The header's type size and the columns' widths, adding up to 100 across the table: the
    short columns as SHORT_WIDTHS and DATE_WIDTH give them, the recommendation, its
    sub-recommendations and the periods sharing the rest in proportion to their text, and
    every column at least as wide as its header's longest word."""
    size = TEXT_SIZE
    least = _least_widths(ret, size)
    while _across(least) > 100 and size > MIN_HEADER_SIZE:
        size = max(MIN_HEADER_SIZE, size - 0.25)
        least = _least_widths(ret, size)

    long_columns = ["text", "subs", *(f"period-{i}" for i in range(len(ret.periods)))]
    lengths = dict.fromkeys(long_columns, 1)
    for row in ret.printed_rows:
        lengths["text"] += len(row.text)
        lengths["subs"] += len(row.subrecommendations_text)
        for index, cell in enumerate(row.cells):
            lengths[f"period-{index}"] += len(cell.marked_text) if cell else 0
    short = {name: max(width, least[name]) for name, width in SHORT_WIDTHS.items()}
    short["date"] = max(DATE_WIDTH, least["date"])
    room = 100 - _across(short)
    floor = min(LONG_MIN_WIDTH, room / len(long_columns))
    floors = {name: max(floor, least[name]) for name in long_columns}
    spare = room - sum(floors.values())
    if spare < 0:
        # The short columns give up what they have beyond their longest words.
        give = {name: width - least[name] for name, width in short.items()}
        share = min(1.0, -spare / _across(give)) if _across(give) else 0.0
        short = {name: width - give[name] * share for name, width in short.items()}
        spare = 100 - _across(short) - sum(floors.values())
    spare, total = max(0.0, spare), sum(lengths.values())
    widths = {**short}
    widths |= {name: floor + spare * lengths[name] / total for name, floor in floors.items()}
    if _across(widths) > 100:  # not even every header word fits: the table still must
        widths = {name: width * 100 / _across(widths) for name, width in widths.items()}

    def fits(word: str, name: str) -> bool:
        return _percent(bold_width(word, size)) <= widths[name] + 1e-9

    cells = [(name, title.split()) for name, title in header_cells(ret)]
    every_word_fits = all(fits(word, name) for name, words in cells for word in words)
    headers = [
        (name, [(w, fits(w, name) and not _UNBREAKABLE.fullmatch(w)) for w in words])
        for name, words in cells
    ]
    return TableLayout(size, widths, headers, every_word_fits)


def _row_size(row: ReturnRow) -> int:
    size = len(row.text) + sum(len(text) for _, text in row.subrecommendations)
    return size + sum(len(cell.text) for cell in row.cells if cell is not None)


def _base_url() -> str:
    return (Path(settings.BASE_DIR) / "templates" / "returns").as_uri() + "/"


def html(ret: PlanReturn) -> str:
    """The return as the HTML WeasyPrint lays out (every user text escaped by the template)."""
    rags = [(value, rag) for value, rag in RAG_BY_STATUS.items()] + [("none", NO_STATUS_RAG)]
    layout = table_layout(ret)
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
            "layout": layout,
            "header_size": f"{layout.header_size:g}",
            "widths": [(name, f"{width:.3f}") for name, width in layout.widths.items()],
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

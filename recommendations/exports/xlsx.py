"""The XLSX return (openpyxl): a "Return" sheet laid out like the published table, a "Summary"
of statuses and a "Plan" sheet of details, which the importer reads back.

Every text cell is written as text: nothing a user typed can become a formula. Every sheet is
set up to print readably from Excel or LibreOffice Calc (see "Printing" below).
"""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from ..choices import NO_STATUS_RAG, RAG_BY_STATUS, Rag, rag_for
from .common import PENDING_LABEL, PlanReturn, ReturnRow, clean_text, looks_like_formula

RETURN_SHEET, SUMMARY_SHEET, PLAN_SHEET = "Return", "Summary", "Plan"
LEADING_HEADERS = ["Rec No.", "Recommendation", "Sub recommendation", "Addressee", "Owner"]
TRAILING_HEADERS = ["RAG", "Due date", "Last updated"]  # after "Status (<period>)"
PENDING_NOTE = f"{PENDING_LABEL}: this status comes from an update not yet approved."
COMMENT_AUTHOR = "Action plan tracker"
DATE_FORMAT = "dd/mm/yyyy"
DATE_TIME_FORMAT = "dd/mm/yyyy hh:mm"

# ---------------------------------------------------------------------------- printing
#
# Printed at its own size, not fitted to the page. Readable columns are wider than A4
# landscape (the demo plan's eleven need 1.7 page widths, a plan of twelve periods 4.7), and
# fitting them to one page width printed 5-point text. So the text is 9 pt Arial at 100%, and a
# wide return runs to more pages across, each with the Rec No. column (print_title_cols) and
# the header row (print_title_rows), numbered across then down so that the pages of one band of
# rows come together. No column is wider than a page, so no cell is cut between two pages.
#
# Column widths count the digit width of the workbook's default font, set to Arial 10 so that
# Excel (Arial) and LibreOffice (Liberation Sans, metric-compatible) measure alike: 7 pixels at
# 96 dpi, which Excel makes 7w + 5 pixels (5.25w + 3.75 pt), and LibreOffice 5.55w pt. (With
# openpyxl's default, Calibri, LibreOffice on a machine without Calibri measured a third wider.)
#
# Spreadsheet programs do not size rows to wrapped text when they open a file, and openpyxl does
# not either, so every row is given a height from an estimate that errs generous:
# - the room for text in a column of width w is 5.25w pt (Excel's width less the cell margins);
# - a character of 9 pt Arial takes 0.55 em, 4.95 pt (prose measures 0.45 em in LibreOffice; the
#   rest covers digits, what word wrapping leaves at the end of each line, and fonts a little
#   wider than Arial); a capital counts 1.25 characters, a non-ASCII character one per byte;
# - a line takes 12 pt (Excel's line of 9 pt Arial; LibreOffice sets 10 pt), plus 4 pt a cell;
# - every line break starts a line, and a row is as tall as its tallest cell.
# A row can be at most 409 pt tall (Excel's limit) and never breaks across pages, so a column
# whose longest text would need more is widened until it fits, up to one page width: past about
# 4,500 characters in one cell a spreadsheet cannot print it all (the PDF return can).
DEFAULT_FONT = Font(name="Arial", sz=10, family=2)
TEXT_FONT = "Arial"
TEXT_SIZE = 9
HEADER_FOOTER_SIZE = 9
UNIT_PT = 5.25
CHAR_PT = 0.55 * TEXT_SIZE
BOLD_CHAR_PT = 0.62 * TEXT_SIZE  # bold Arial is about an eighth wider
LINE_PT = 12.0
CELL_PT = 4.0
MAX_ROW_PT = 409.0
MAX_LINES = int((MAX_ROW_PT - CELL_PT) // LINE_PT)
# 0.4" side margins leave 784 pt across: 141 width units in LibreOffice, 149 in Excel.
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6, "header": 0.25, "footer": 0.25}
MAX_WIDTH = 120.0  # with the repeated Rec No. column, still within one page width (141)
FOOTER_TITLE_CHARS = 50  # the title must end before the marking at the footer's centre

# Column widths: the Rec No. column and every run of columns between two periods fit one page
# across (7 + 40 + 32 + 16 + 16 = 111 units; 7 + 2 x 42 + 16 + 7 + 10.5 + 10.5 = 135).
LEADING_WIDTHS = [7, 40, 32, 16, 16]
PERIOD_WIDTH = 42
TRAILING_WIDTHS = [16, 7, 10.5, 10.5]  # status, RAG, due date, last updated

_THIN = Side(style="thin", color="B1B4B6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOP = Alignment(vertical="top", wrap_text=True)


def _colour(hex_colour: str) -> str:
    return "FF" + hex_colour.lstrip("#").upper()


def _font(**options) -> Font:
    return Font(name=TEXT_FONT, sz=TEXT_SIZE, family=2, **options)


class _Styles:
    """Named styles registered once per workbook, and the style arrays cells share.

    Styling cell by cell through openpyxl's descriptors compares and hashes style objects for
    every cell, which dominates the time of a large return; cells here take a copy of a ready
    array instead, as openpyxl does itself when a named style is applied.
    """

    def __init__(self, workbook: Workbook):
        self.workbook = workbook
        # The Normal style's font: the unit of every column width (see "Printing").
        workbook._fonts = IndexedList([DEFAULT_FONT])
        workbook._named_styles["Normal"].font = DEFAULT_FONT
        plain, bold = _font(), _font(bold=True)
        self.header = self._add(
            NamedStyle(
                "Return header",
                font=bold,
                fill=PatternFill("solid", fgColor="FFF3F2F1"),
                border=_BORDER,
                alignment=Alignment(vertical="top", wrap_text=True),
            )
        )
        self.text = self._add(NamedStyle("Return text", font=plain, border=_BORDER, alignment=_TOP))
        self.number = self._add(
            NamedStyle("Return number", font=bold, border=_BORDER, alignment=_TOP)
        )
        self.pending = self._add(
            NamedStyle(
                "Return awaiting sign-off",
                font=_font(italic=True),
                fill=PatternFill("solid", fgColor="FFFFF7BF"),
                border=_BORDER,
                alignment=_TOP,
            )
        )
        self.date = self._add(
            NamedStyle(
                "Return date",
                font=plain,
                number_format=DATE_FORMAT,
                border=_BORDER,
                alignment=_TOP,
            )
        )
        self.date_time = self._add(
            NamedStyle(
                "Return date and time",
                font=plain,
                number_format=DATE_TIME_FORMAT,
                alignment=_TOP,
            )
        )
        self.rag = {
            rag.word: self._add(
                NamedStyle(
                    f"RAG {rag.word}",
                    font=_font(bold=True, color=_colour(rag.foreground)),
                    fill=PatternFill("solid", fgColor=_colour(rag.background)),
                    border=_BORDER,
                    alignment=_TOP,
                )
            )
            for rag in [*RAG_BY_STATUS.values(), NO_STATUS_RAG]
        }
        self.quoted: dict[int, StyleArray] = {}

    def _add(self, style: NamedStyle) -> StyleArray:
        self.workbook.add_named_style(style)
        return style.as_tuple()

    def for_rag(self, rag: Rag) -> StyleArray:
        return self.rag[rag.word]

    def as_text(self, style: StyleArray) -> StyleArray:
        """The same style with Excel's "quote prefix": shown and kept as typed, never evaluated."""
        key = id(style)
        if key not in self.quoted:
            quoted = StyleArray(style)
            quoted.quotePrefix = 1
            self.quoted[key] = quoted
        return self.quoted[key]


def _text_cell(sheet: Worksheet, value: str, style: StyleArray, styles: _Styles) -> Cell:
    """A cell holding `value` (already through clean_text) as text, whatever it looks like."""
    if looks_like_formula(value):
        style = styles.as_text(style)
    cell = Cell(sheet, value=value or None, style_array=style)
    if value and cell.data_type != "s":
        # openpyxl reads "=..." as a formula and "#N/A" as an error; these are the user's words.
        cell.data_type = "s"
    return cell


def _value_cell(sheet: Worksheet, value: object, style: StyleArray) -> Cell:
    return Cell(sheet, value=value, style_array=style)


# ---------------------------------------------------------------------------- print layout


_CAPITALS = bytes(range(ord("A"), ord("Z") + 1))


def _text_units(text: str) -> int:
    """How many average characters `text` takes on a line (see "Printing")."""
    data = text.encode()
    return len(data) + (len(data) - len(data.translate(None, _CAPITALS))) // 4


def _line_count(text: str, per_line: int) -> int:
    """The lines `text` wraps to with room for `per_line` average characters on a line."""
    if "\n" in text:
        return sum(-(-_text_units(part) // per_line) or 1 for part in text.split("\n"))
    return -(-_text_units(text) // per_line) or 1


def _per_line(width: float, bold: bool) -> int:
    return max(1, int(width * UNIT_PT / (BOLD_CHAR_PT if bold else CHAR_PT)))


def _word_width(title: str) -> float:
    """The width that holds the longest word of a bold `title` on one line."""
    longest = max((_text_units(word) for word in title.split()), default=0)
    return float(-(-longest * BOLD_CHAR_PT // UNIT_PT) + 1)


class _Rows:
    """A sheet's rows as they are appended, then sized for print: column widths, widened where
    a text would need a row taller than a row can be, and each row's height for its text."""

    def __init__(self, sheet: Worksheet):
        self.sheet = sheet
        self.rows: list[tuple[list[object], bool]] = []

    def append(self, cells: list[Cell], *, bold: bool = False) -> None:
        self.sheet.append(cells)
        self.rows.append(([cell._value for cell in cells], bold))

    def line_counts(self, widths: list[float], bold_columns: set[int]) -> list[int]:
        plain = [_per_line(width, index in bold_columns) for index, width in enumerate(widths)]
        bold = [_per_line(width, True) for width in widths]
        counts = []
        for values, is_bold in self.rows:
            most = 1
            for value, per_line in zip(values, bold if is_bold else plain, strict=False):
                # Only text longer than the least a line holds can take more than one.
                if value.__class__ is str and 5 * len(value) > per_line:
                    lines = _line_count(value, per_line)
                    if lines > most:
                        most = lines
            counts.append(most)
        return counts

    def widen(self, widths: list[float], bold_columns: set[int], most: float) -> list[float]:
        widths = list(widths)
        for column in range(len(widths)):
            texts = [
                (values[column], is_bold or column in bold_columns)
                for values, is_bold in self.rows
                if column < len(values) and values[column].__class__ is str
            ]
            while widths[column] < most and any(
                _line_count(text, _per_line(widths[column], bold)) > MAX_LINES
                for text, bold in texts
            ):
                widths[column] = min(most, round(widths[column] * 1.1, 1))
        return widths

    def fit(self, widths: list[float], *, bold_columns: set[int], most: float = MAX_WIDTH) -> None:
        """Set the column widths and row heights; no column is widened past `most`."""
        counts = self.line_counts(widths, bold_columns)
        if max(counts, default=1) > MAX_LINES:
            widths = self.widen(widths, bold_columns, most)
            counts = self.line_counts(widths, bold_columns)
        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        # Rows of one height share one RowDimension: openpyxl writes a row's height from it and
        # the row's own number, and making one for each row is a noticeable part of the time.
        dimensions, shared = self.sheet.row_dimensions, {}
        for index, lines in enumerate(counts, start=1):
            if lines not in shared:
                height = min(MAX_ROW_PT, lines * LINE_PT + CELL_PT)
                shared[lines] = RowDimension(self.sheet, index=index, ht=height)
            dimensions[index] = shared[lines]


# ---------------------------------------------------------------------------- the sheets


def headers(ret: PlanReturn) -> list[str]:
    """The Return sheet's header row, in order."""
    periods = [period.label for period in ret.periods]
    titles = [*LEADING_HEADERS, *periods, ret.status_header, *TRAILING_HEADERS]
    return [clean_text(title) for title in titles]


def _row_cells(sheet: Worksheet, row: ReturnRow, styles: _Styles) -> list[Cell]:
    cells = [
        _text_cell(sheet, row.number, styles.number, styles),
        _text_cell(sheet, row.text, styles.text, styles),
        _text_cell(sheet, row.subrecommendations_text, styles.text, styles),
        _text_cell(sheet, row.addressee, styles.text, styles),
        _text_cell(sheet, row.owner, styles.text, styles),
    ]
    for update in row.cells:
        if update is None:
            cells.append(_value_cell(sheet, None, styles.text))
        else:
            style = styles.pending if update.pending else styles.text
            cells.append(_text_cell(sheet, update.marked_text, style, styles))
    rag_style = styles.for_rag(row.rag)
    # Where no status was given the status and RAG cells stay blank, which the importer reads
    # back as no status.
    status_text = row.status_text if row.status else ""
    status = _text_cell(
        sheet, status_text, styles.pending if row.status_pending else rag_style, styles
    )
    if row.status_pending and status_text:
        # The status keeps its own words (so the file imports back); the note says why it stands
        # out.
        status.comment = Comment(PENDING_NOTE, COMMENT_AUTHOR)
    cells += [
        status,
        _text_cell(sheet, row.rag.word if row.status else "", rag_style, styles),
        _value_cell(sheet, row.due_date, styles.date),
        _value_cell(sheet, row.last_updated, styles.date),
    ]
    return cells


def return_widths(ret: PlanReturn) -> list[float]:
    """The Return sheet's column widths before any is widened for a long text: each at least
    as wide as the longest word of its header, so no header word is broken."""
    widths = [*LEADING_WIDTHS, *([PERIOD_WIDTH] * len(ret.periods)), *TRAILING_WIDTHS]
    return [
        max(width, _word_width(title)) for width, title in zip(widths, headers(ret), strict=True)
    ]


def _write_return_sheet(sheet: Worksheet, ret: PlanReturn, styles: _Styles) -> None:
    titles = headers(ret)
    rows = _Rows(sheet)
    rows.append([_text_cell(sheet, title, styles.header, styles) for title in titles], bold=True)
    for row in ret.printed_rows:
        rows.append(_row_cells(sheet, row, styles))
    rows.fit(return_widths(ret), bold_columns={0})
    last = f"{get_column_letter(len(titles))}{len(ret.printed_rows) + 1}"
    sheet.auto_filter.ref = f"A1:{last}"
    sheet.freeze_panes = "B2"
    sheet.print_title_rows = "1:1"
    sheet.print_title_cols = "A:A"
    _print_setup(sheet, ret)


def _print_setup(sheet: Worksheet, ret: PlanReturn) -> None:
    """A4 landscape at 100%, as many pages across and down as it takes (see "Printing")."""
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.scale = 100
    setup.pageOrder = "overThenDown"
    sheet.sheet_properties.pageSetUpPr.fitToPage = False
    sheet.page_margins = PageMargins(**MARGINS)
    sheet.print_options.gridLines = False
    marking = _header_footer_text(ret.marking)
    title = clean_text(ret.plan.title)
    if len(title) > FOOTER_TITLE_CHARS:
        title = title[: FOOTER_TITLE_CHARS - 1].rstrip() + "\u2026"
    title = _header_footer_text(title)
    for header_footer in (sheet.oddHeader, sheet.evenHeader):
        header_footer.center.text = marking
        header_footer.center.size = HEADER_FOOTER_SIZE
    for header_footer in (sheet.oddFooter, sheet.evenFooter):
        header_footer.left.text = title
        header_footer.center.text = marking
        header_footer.right.text = "Page &P of &N"
        for part in (header_footer.left, header_footer.center, header_footer.right):
            part.size = HEADER_FOOTER_SIZE


def _header_footer_text(value: str) -> str:
    # Header and footer codes treat "&" as a command: double it in anything we print.
    return clean_text(value).replace("&", "&&")


def _write_summary_sheet(sheet: Worksheet, ret: PlanReturn, styles: _Styles) -> None:
    rows = _Rows(sheet)
    rows.append(
        [
            _text_cell(sheet, clean_text(ret.status_header), styles.header, styles),
            _text_cell(sheet, "Recommendations", styles.header, styles),
        ]
    )
    for value, label, count in ret.status_counts():
        rows.append(
            [
                _text_cell(sheet, label, styles.for_rag(rag_for(value)), styles),
                _value_cell(sheet, count, styles.text),
            ]
        )
    rows.append(
        [
            _text_cell(sheet, "Total", styles.header, styles),
            _value_cell(sheet, len(ret.rows), styles.header),
        ]
    )
    rows.append([])
    rows.append(
        [
            _text_cell(sheet, "Overdue", styles.header, styles),
            _value_cell(sheet, ret.overdue_count, styles.text),
        ]
    )
    rows.append([])
    rows.append([_text_cell(sheet, ret.content_note, styles.text, styles)])
    if ret.table.filters.active:
        rows.append(
            [
                _text_cell(
                    sheet,
                    f"Filtered: {len(ret.rows)} of {ret.table.total} recommendations, as on the "
                    "plan page.",
                    styles.text,
                    styles,
                )
            ]
        )
    # Sized as if bold throughout: the labels and totals are.
    rows.fit([34, 18], bold_columns={0, 1})
    _print_setup(sheet, ret)


def _local_naive(moment: dt.datetime) -> dt.datetime:
    # Excel has no time zones: write the local time people expect, without its offset.
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def plan_details(ret: PlanReturn) -> list[tuple[str, object]]:
    """The Plan sheet's rows: the plan's own details (which the importer reads back), then the
    return's (which it skips)."""
    plan = ret.plan
    return [
        ("Plan title", plan.title),
        ("Plan slug", plan.slug),
        ("Introduction", plan.introduction),
        ("Report", plan.report_title),
        ("Publishing body", plan.report_publisher),
        ("Report date", plan.report_date),
        ("Complainant", plan.complainant),
        ("Strategic / Executive Lead", ret.executive_lead),
        ("Operational Lead", ret.operational_lead),
        ("Response deadline", plan.response_deadline),
        ("Force", ret.force_name),
        ("Protective marking", ret.marking),
        ("Period", ret.period_label),
        ("As at", _local_naive(ret.as_at)),
        ("Generated by", ret.generated_by),
        ("Generated at", _local_naive(ret.generated_at)),
    ]


def _write_plan_sheet(sheet: Worksheet, ret: PlanReturn, styles: _Styles) -> None:
    rows = _Rows(sheet)
    rows.append(
        [
            _text_cell(sheet, "Field", styles.header, styles),
            _text_cell(sheet, "Value", styles.header, styles),
        ],
        bold=True,
    )
    for key, value in plan_details(ret):
        if isinstance(value, dt.datetime):
            cell = _value_cell(sheet, value, styles.date_time)
        elif isinstance(value, dt.date):
            cell = _value_cell(sheet, value, styles.date)
        else:
            cell = _text_cell(sheet, clean_text(value), styles.text, styles)
        rows.append([_text_cell(sheet, key, styles.number, styles), cell])
    # The values' column is widened no further than leaves the names beside it on the page.
    rows.fit([28, 80], bold_columns={0}, most=105)
    _print_setup(sheet, ret)


def _properties(workbook: Workbook, ret: PlanReturn) -> None:
    props = workbook.properties
    plan, period = clean_text(ret.plan.title), clean_text(ret.period_label)
    props.title = f"{plan}: {period} return" if period else f"{plan}: return"
    props.subject = f"{plan} - {period}, as at {ret.as_at_text}"
    props.description = (
        f"{clean_text(ret.force_name)} action plan return. Plan: {plan}. "
        f"Period: {period or 'none'}. As at {ret.as_at_text}. {ret.content_note}"
    )
    props.keywords = f"action plan; return; {period}; as at {ret.as_at_text}"
    props.creator = ret.generated_by or None
    props.lastModifiedBy = ret.generated_by or None
    props.created = _utc_naive(ret.generated_at)
    props.modified = props.created
    props.category = clean_text(ret.marking) or None
    custom = workbook.custom_doc_props
    for name, value in [
        ("Plan", plan),
        ("Plan slug", ret.plan.slug),
        ("Period", period),
        ("As at", timezone.localtime(ret.as_at).isoformat(timespec="seconds")),
        ("Generated by", ret.generated_by),
        ("Protective marking", clean_text(ret.marking)),
    ]:
        custom.append(StringProperty(name=name, value=value or "-"))


def _utc_naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)


def render(ret: PlanReturn) -> bytes:
    """The return as the bytes of an .xlsx file."""
    workbook = Workbook()
    styles = _Styles(workbook)
    sheet = workbook.active
    sheet.title = RETURN_SHEET
    _write_return_sheet(sheet, ret, styles)
    _write_summary_sheet(workbook.create_sheet(SUMMARY_SHEET), ret, styles)
    _write_plan_sheet(workbook.create_sheet(PLAN_SHEET), ret, styles)
    _properties(workbook, ret)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

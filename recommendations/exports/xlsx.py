"""The XLSX return (openpyxl): a "Return" sheet laid out like the published table, a "Summary"
of statuses and a "Plan" sheet of details, which the importer reads back.

Every text cell is written as text: nothing a user typed can become a formula.
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
# Column widths in characters: wide enough for narratives without hiding the short columns.
LEADING_WIDTHS = [9, 48, 40, 20, 24]
PERIOD_WIDTH = 50
TRAILING_WIDTHS = [18, 9, 12, 13]  # status, RAG, due date, last updated

_THIN = Side(style="thin", color="B1B4B6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOP = Alignment(vertical="top", wrap_text=True)


def _colour(hex_colour: str) -> str:
    return "FF" + hex_colour.lstrip("#").upper()


class _Styles:
    """Named styles registered once per workbook, and the style arrays cells share.

    Styling cell by cell through openpyxl's descriptors compares and hashes style objects for
    every cell, which dominates the time of a large return; cells here take a copy of a ready
    array instead, as openpyxl does itself when a named style is applied.
    """

    def __init__(self, workbook: Workbook):
        self.workbook = workbook
        self.header = self._add(
            NamedStyle(
                "Return header",
                font=Font(bold=True),
                fill=PatternFill("solid", fgColor="FFF3F2F1"),
                border=_BORDER,
                alignment=Alignment(vertical="top", wrap_text=True),
            )
        )
        self.text = self._add(NamedStyle("Return text", border=_BORDER, alignment=_TOP))
        self.number = self._add(
            NamedStyle("Return number", font=Font(bold=True), border=_BORDER, alignment=_TOP)
        )
        self.pending = self._add(
            NamedStyle(
                "Return awaiting sign-off",
                font=Font(italic=True),
                fill=PatternFill("solid", fgColor="FFFFF7BF"),
                border=_BORDER,
                alignment=_TOP,
            )
        )
        self.date = self._add(
            NamedStyle("Return date", number_format=DATE_FORMAT, border=_BORDER, alignment=_TOP)
        )
        self.date_time = self._add(
            NamedStyle("Return date and time", number_format=DATE_TIME_FORMAT, alignment=_TOP)
        )
        self.rag = {
            rag.word: self._add(
                NamedStyle(
                    f"RAG {rag.word}",
                    font=Font(bold=True, color=_colour(rag.foreground)),
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
    status = _text_cell(
        sheet, row.status_text, styles.pending if row.status_pending else rag_style, styles
    )
    if row.status_pending:
        # The status keeps its own words (so the file imports back); the note says why it stands
        # out.
        status.comment = Comment(PENDING_NOTE, COMMENT_AUTHOR)
    cells += [
        status,
        _text_cell(sheet, row.rag.word, rag_style, styles),
        _value_cell(sheet, row.due_date, styles.date),
        _value_cell(sheet, row.last_updated, styles.date),
    ]
    return cells


def _write_return_sheet(sheet: Worksheet, ret: PlanReturn, styles: _Styles) -> None:
    titles = headers(ret)
    sheet.append([_text_cell(sheet, title, styles.header, styles) for title in titles])
    for row in ret.printed_rows:
        sheet.append(_row_cells(sheet, row, styles))

    widths = [*LEADING_WIDTHS, *([PERIOD_WIDTH] * len(ret.periods)), *TRAILING_WIDTHS]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    last = f"{get_column_letter(len(titles))}{len(ret.printed_rows) + 1}"
    sheet.auto_filter.ref = f"A1:{last}"
    sheet.freeze_panes = "B2"
    sheet.print_title_rows = "1:1"
    _print_setup(sheet, ret)


def _print_setup(sheet: Worksheet, ret: PlanReturn) -> None:
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages tall as it takes
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.gridLines = False
    # Header and footer codes treat "&" as a command: double it in anything we print.
    marking = clean_text(ret.marking).replace("&", "&&")
    title = clean_text(ret.plan.title).replace("&", "&&")
    for header_footer in (sheet.oddHeader, sheet.evenHeader):
        header_footer.center.text = marking
    for header_footer in (sheet.oddFooter, sheet.evenFooter):
        header_footer.left.text = title[:120]
        header_footer.center.text = marking
        header_footer.right.text = "Page &P of &N"


def _write_summary_sheet(sheet: Worksheet, ret: PlanReturn, styles: _Styles) -> None:
    sheet.append(
        [
            _text_cell(sheet, clean_text(ret.status_header), styles.header, styles),
            _text_cell(sheet, "Recommendations", styles.header, styles),
        ]
    )
    for value, label, count in ret.status_counts():
        sheet.append(
            [
                _text_cell(sheet, label, styles.for_rag(rag_for(value)), styles),
                _value_cell(sheet, count, styles.text),
            ]
        )
    sheet.append(
        [
            _text_cell(sheet, "Total", styles.header, styles),
            _value_cell(sheet, len(ret.rows), styles.header),
        ]
    )
    sheet.append([])
    sheet.append(
        [
            _text_cell(sheet, "Overdue", styles.header, styles),
            _value_cell(sheet, ret.overdue_count, styles.text),
        ]
    )
    sheet.append([])
    sheet.append([_text_cell(sheet, ret.content_note, styles.text, styles)])
    if ret.table.filters.active:
        sheet.append(
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
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 18
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4


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
    sheet.append(
        [
            _text_cell(sheet, "Field", styles.header, styles),
            _text_cell(sheet, "Value", styles.header, styles),
        ]
    )
    for key, value in plan_details(ret):
        if isinstance(value, dt.datetime):
            cell = _value_cell(sheet, value, styles.date_time)
        elif isinstance(value, dt.date):
            cell = _value_cell(sheet, value, styles.date)
        else:
            cell = _text_cell(sheet, clean_text(value), styles.text, styles)
        sheet.append([_text_cell(sheet, key, styles.number, styles), cell])
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 80


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

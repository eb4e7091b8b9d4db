"""The national progress report as files: an XLSX workbook and an A4 landscape PDF, drawn
from the same `national.NationalReport` as the page, to the force return's standards: the
report's title, the period, the "as at" date and the protective marking on every page; the
header row repeated on every page; every user text through `clean_text`, and in the
workbook kept as text however it looks (`looks_like_formula`)."""

from __future__ import annotations

import io

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from ..choices import NO_STATUS_RAG, RAG_BY_STATUS
from ..national import CATEGORIES, NationalReport
from .common import clean_text
from .pdf import PDF_VARIANT, css_string
from .xlsx import HEADER_FOOTER_SIZE, MARGINS, _header_footer_text, _Styles, _text_cell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
CONTENT_TYPES = {"xlsx": XLSX_TYPE, "pdf": PDF_TYPE}
SUMMARY_SHEET = "National progress"
MATRIX_SHEET = "By organisation"
ORGANISATIONS_SHEET = "Organisations"
TEMPLATE = "returns/national.html"
# Organisations side by side in one band of the PDF's matrix: as many as A4 landscape holds
# with their names and status words unbroken; the next ones follow in another band.
ORGANISATIONS_PER_BAND = 10
HEADER_ROW = 6  # the workbook's table starts below the title block


def filename(national: NationalReport, extension: str) -> str:
    """`national_<report>_<period>_<YYYY-MM-DD>.<extension>`."""
    period = slugify(national.period.label) if national.period else "no-period"
    return f"national_{national.report.slug}_{period}_{national.on:%Y-%m-%d}.{extension}"


def _title_lines(national: NationalReport) -> list[str]:
    period = national.period.label if national.period else "No reporting period yet"
    return [
        clean_text(national.report.title),
        f"Reporting period: {clean_text(period)}",
        f"As at {national.on.day} {national.on:%B %Y}. Approved (signed-off) updates only.",
        clean_text(settings.PROTECTIVE_MARKING),
    ]


# ---------------------------------------------------------------------------- XLSX


def _title_block(sheet: Worksheet, national: NationalReport, styles: _Styles) -> None:
    for line in _title_lines(national):
        sheet.append([_text_cell(sheet, line, styles.number, styles)])
    sheet.append([])


def _widths(sheet: Worksheet, widths: list[float]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _summary_sheet(sheet: Worksheet, national: NationalReport, styles: _Styles) -> None:
    """Each recommendation with how many organisations stand at each status: one page wide."""
    _title_block(sheet, national, styles)
    titles = ["Rec No.", "Recommendation", *(label for _, label in CATEGORIES)]
    sheet.append([_text_cell(sheet, title, styles.header, styles) for title in titles])
    for row in national.rows:
        cells: list[Cell] = [
            _text_cell(sheet, clean_text(row.number), styles.number, styles),
            _text_cell(sheet, clean_text(row.text), styles.text, styles),
        ]
        counts = [count for *_, count in row.count_list()]
        cells += [Cell(sheet, value=count, style_array=styles.text) for count in counts]
        sheet.append(cells)
    _widths(sheet, [8, 58] + [11] * len(CATEGORIES))
    sheet.freeze_panes = f"C{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _print_setup(sheet, national, fit_width=True)


def _matrix_sheet(sheet: Worksheet, national: NationalReport, styles: _Styles) -> None:
    """Each organisation's status on each recommendation. Forty organisations cannot fit one
    page's width at a readable size: as the force return does, the sheet prints at 100% on as
    many pages across as it takes, each with the Rec No. column and the header row."""
    _title_block(sheet, national, styles)
    titles = ["Rec No.", *(clean_text(column.name) for column in national.columns)]
    sheet.append([_text_cell(sheet, title, styles.header, styles) for title in titles])
    for row in national.rows:
        cells = [_text_cell(sheet, clean_text(row.number), styles.number, styles)]
        for cell in row.cells:
            label = cell.label
            if national.filters.status and cell.category != national.filters.status:
                label = ""
            cells.append(_text_cell(sheet, label, styles.for_rag(cell.rag), styles))
        sheet.append(cells)
    _widths(sheet, [8] + [15] * len(national.columns))
    sheet.freeze_panes = f"B{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.print_title_cols = "A:A"
    _print_setup(sheet, national, fit_width=False)


def _organisations_sheet(sheet: Worksheet, national: NationalReport, styles: _Styles) -> None:
    titles = ["Organisation", "Code", "Plan", "Plan's period", "Return due", "Returned",
              "First approved", "Late"]  # fmt: skip
    sheet.append([_text_cell(sheet, title, styles.header, styles) for title in titles])
    for column in national.all_columns:
        first = column.first_approved
        values = [
            clean_text(column.name),
            clean_text(column.organisation.code),
            clean_text(column.plan.title) if column.plan else "No plan for this report",
            clean_text(column.period.label) if column.period else "",
        ]
        cells = [_text_cell(sheet, value, styles.text, styles) for value in values]
        cells.append(Cell(sheet, value=column.return_due, style_array=styles.date))
        cells.append(_text_cell(sheet, "Yes" if column.returned else "No", styles.text, styles))
        cells.append(
            Cell(
                sheet,
                value=timezone.localdate(first) if first else None,
                style_array=styles.date,
            )
        )
        late = "Yes" if column.is_late(national.on) else "No"
        cells.append(_text_cell(sheet, late, styles.text, styles))
        sheet.append(cells)
    _widths(sheet, [30, 14, 36, 20, 11, 9, 12, 6])
    sheet.freeze_panes = "B2"
    sheet.print_title_rows = "1:1"
    _print_setup(sheet, national, fit_width=True)


def _print_setup(sheet: Worksheet, national: NationalReport, *, fit_width: bool) -> None:
    """A4 landscape, fitted to the page's width (its columns are chosen to fit at 100%) or at
    100% across several pages; as many pages down as it takes; the title, period and marking
    at the top of every page, the marking and page numbers at the foot."""
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    if fit_width:
        setup.fitToWidth = 1
        setup.fitToHeight = 0
    else:
        setup.scale = 100
        setup.pageOrder = "overThenDown"
    sheet.sheet_properties.pageSetUpPr.fitToPage = fit_width
    sheet.page_margins = PageMargins(**MARGINS)
    # Cut before "&" is doubled, so a cut never leaves a lone "&" to start a header code.
    title, period, as_at, marking = (
        _header_footer_text(line[:60]) for line in _title_lines(national)
    )
    for header in (sheet.oddHeader, sheet.evenHeader):
        header.left.text = title
        header.center.text = marking
        header.right.text = period
    for footer in (sheet.oddFooter, sheet.evenFooter):
        footer.left.text = as_at.split(".")[0]
        footer.center.text = marking
        footer.right.text = "Page &P of &N"
    for part in (sheet.oddHeader, sheet.evenHeader, sheet.oddFooter, sheet.evenFooter):
        for piece in (part.left, part.center, part.right):
            piece.size = HEADER_FOOTER_SIZE


def render_xlsx(national: NationalReport) -> bytes:
    workbook = Workbook()
    styles = _Styles(workbook)
    sheet = workbook.active
    sheet.title = SUMMARY_SHEET
    _summary_sheet(sheet, national, styles)
    _matrix_sheet(workbook.create_sheet(MATRIX_SHEET), national, styles)
    _organisations_sheet(workbook.create_sheet(ORGANISATIONS_SHEET), national, styles)
    workbook.properties.title = clean_text(national.report.title)[:250]
    workbook.properties.creator = "Action plan tracker"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------- PDF


def _bands(national: NationalReport) -> list[dict]:
    """The matrix in bands of organisations, each a table as wide as the page."""
    bands = []
    total = len(national.columns)
    for start in range(0, total, ORGANISATIONS_PER_BAND):
        stop = min(start + ORGANISATIONS_PER_BAND, total)
        bands.append(
            {
                "first": start + 1,
                "last": stop,
                "columns": national.columns[start:stop],
                "rows": [(row, row.cells[start:stop]) for row in national.rows],
            }
        )
    return bands


def pdf_html(national: NationalReport) -> str:
    rags = [(value, rag) for value, rag in RAG_BY_STATUS.items()] + [("none", NO_STATUS_RAG)]
    title, period, as_at, marking = _title_lines(national)
    return render_to_string(
        TEMPLATE,
        {
            "national": national,
            "title": title,
            "period": period,
            "as_at": as_at,
            "marking": marking,
            "marking_css": css_string(marking),
            "title_css": css_string(title[:120]),
            "period_css": css_string(national.period.label[:80] if national.period else ""),
            "categories": CATEGORIES,
            "bands": _bands(national),
            "band_width": f"{88 / ORGANISATIONS_PER_BAND:.3f}",
            "rags": [(str(value), rag) for value, rag in rags],
        },
    )


def render_pdf(national: NationalReport) -> bytes:
    document = HTML(string=pdf_html(national), url_fetcher=URLFetcher(allowed_protocols={"data"}))
    return document.write_pdf(pdf_variant=PDF_VARIANT)


def render(national: NationalReport, extension: str) -> bytes:
    return render_xlsx(national) if extension == "xlsx" else render_pdf(national)

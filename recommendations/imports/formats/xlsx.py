"""Excel workbooks (.xlsx, .xlsm): openpyxl's own parsers, driven part by part.

openpyxl reads the package's content types, the workbook part and its relationships (with
lxml, entities never resolved, after `CheckedZip` has found no DOCTYPE in them). The styles
(for which cells are dates), the shared strings and the worksheets are read here, with
`stream_elements`, cell by cell through openpyxl's own WorkSheetParser.parse_cell: openpyxl's
read-only worksheet would fill every missing row up to the sheet's declared size, and its
shared string reader keeps every string element until the end.
"""

from __future__ import annotations

import io
import re
import warnings

from openpyxl.packaging.relationship import get_rels_path
from openpyxl.reader.excel import ExcelReader, _find_workbook_part
from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS, XLSM, XLTM

from .limits import (
    AGAIN,
    EXCEL_COLUMNS,
    EXCEL_ROWS,
    MAX_CELLS,
    MAX_PACKAGE_PART_BYTES,
    Damaged,
    NotReadable,
    beyond_excel,
    too_many_cells,
)
from .sheets import Area, Counter, Row, Sheet, cell_value, listed
from .xmlstream import stream_elements
from .zipguard import CheckedZip

# openpyxl warns of every date-formatted number no date can be; such a cell is read as its
# number (see _row_values).
warnings.filterwarnings("ignore", message="Cell .* is marked as a date", category=UserWarning)

_MAIN = f"{{{SHEET_MAIN_NS}}}"
_ROW, _CELL, _MERGE, _VALUE = f"{_MAIN}row", f"{_MAIN}c", f"{_MAIN}mergeCell", f"{_MAIN}v"
_SI, _T, _R = f"{_MAIN}si", f"{_MAIN}t", f"{_MAIN}r"
_NUMFMT, _XF, _CELL_XFS = f"{_MAIN}numFmt", f"{_MAIN}xf", f"{_MAIN}cellXfs"
_REFERENCE = re.compile(r"\$?([A-Z]{1,3})\$?[0-9]{1,8}\Z")

_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def read(data: bytes, extension: str) -> tuple[list[Sheet], str]:
    """Every worksheet of an .xlsx or .xlsm, values as cached, never a formula evaluated;
    and which of the two it is."""
    archive = CheckedZip(data)
    try:
        archive.open("[Content_Types].xml", largest=MAX_PACKAGE_PART_BYTES).close()
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        reader.read_manifest()
        workbook_part = _find_workbook_part(reader.package)
        part = workbook_part.PartName.lstrip("/")
        archive.open(part, largest=MAX_PACKAGE_PART_BYTES).close()
        archive.open(get_rels_path(part), largest=MAX_PACKAGE_PART_BYTES).close()
        reader.read_workbook()
        found = list(reader.parser.find_sheets())
        relations = reader.parser.rels
    except NotReadable:
        raise
    except Exception as error:  # openpyxl raises anything from KeyError to TypeError
        raise Damaged("its workbook part cannot be read") from error
    macro = workbook_part.ContentType in (XLSM, XLTM) or extension == ".xlsm"
    targets = {item.Type.rsplit("/", 1)[-1]: item.target for item in relations.values()}
    strings_part = reader.package.find(SHARED_STRINGS)
    strings_path = (
        strings_part.PartName.lstrip("/") if strings_part else targets.get("sharedStrings")
    )
    dates, durations = _date_styles(archive, targets.get("styles"))
    shared = _shared_strings(archive, strings_path) if strings_path else []
    parser = WorkSheetParser(
        None,
        shared,
        data_only=True,
        epoch=reader.wb.epoch,
        date_formats=dates,
        timedelta_formats=durations,
    )
    counter = Counter()
    sheets = []
    read: dict[str, str] = {}  # part: the sheet read from it
    for sheet, relation in found:
        if not relation.Type.endswith("/worksheet") or relation.target not in archive.names:
            continue
        if relation.target in read:
            first = read[relation.target]
            raise Damaged(f'its sheets "{first}" and "{sheet.name}" are one and the same part')
        read[relation.target] = sheet.name
        rows, merged = _worksheet(archive, relation.target, sheet.name, parser, counter)
        sheets.append(Sheet(sheet.name, rows, merged, hidden=sheet.state != "visible"))
    return sheets, "xlsm" if macro else "xlsx"


def _date_styles(archive: CheckedZip, path: str | None) -> tuple[set[int], set[int]]:
    """The cell styles whose number format shows a date (and those showing a duration), as
    openpyxl's Stylesheet decides, without building the whole stylesheet."""
    dates: set[int] = set()
    durations: set[int] = set()
    if not path or path not in archive.names:
        return dates, durations
    custom: dict[int, str] = {}
    index = 0
    with archive.open(path) as stream:
        for element in stream_elements(
            stream, root=f"{_MAIN}styleSheet", tags=(_NUMFMT, _XF), part=path
        ):
            try:
                if element.tag == _NUMFMT:
                    custom[int(element.get("numFmtId"))] = element.get("formatCode", "")
                    continue
                if element.getparent() is None or element.getparent().tag != _CELL_XFS:
                    continue
                number_format = int(element.get("numFmtId", 0))
            except (TypeError, ValueError) as error:
                raise Damaged(f"the part {path} is broken") from error
            code = custom.get(number_format) or builtin_format_code(number_format)
            if is_date_format(code):
                dates.add(index)
            if is_timedelta_format(code):
                durations.add(index)
            index += 1
    return dates, durations


def _unescape(text: str) -> str:
    """Excel writes characters XML cannot hold (a carriage return) as _xHHHH_."""
    return _ESCAPE.sub(lambda match: chr(int(match[1], 16)), text) if "_x" in text else text


def _shared_strings(archive: CheckedZip, path: str) -> list[str]:
    strings: list[str] = []
    with archive.open(path) as stream:
        for element in stream_elements(stream, root=f"{_MAIN}sst", tags=(_SI,), part=path):
            first = element[0] if len(element) == 1 else None
            if first is not None and first.tag == _T:
                text = first.text or ""
            else:
                # Rich text runs; phonetic guides (rPh) are not part of the text.
                text = "".join(
                    piece.text or ""
                    for piece in element.iter(_T)
                    if piece.getparent() is element or piece.getparent().tag == _R
                )
            strings.append(_unescape(text))
            if len(strings) > MAX_CELLS:
                raise too_many_cells()
    return strings


def _worksheet(
    archive: CheckedZip, path: str, name: str, parser: WorkSheetParser, counter: Counter
) -> tuple[list[Row], list[Area]]:
    """The rows holding values of one worksheet, however far apart their numbers are."""
    rows: dict[int, dict[int, object]] = {}
    merged = []
    number = elements = 0
    with archive.open(path) as stream:
        for element in stream_elements(
            stream, root=f"{_MAIN}worksheet", tags=(_ROW, _MERGE), part=path
        ):
            if element.tag == _MERGE:
                area = _merged_area(element.get("ref", ""))
                if area:
                    counter.merge()
                    merged.append(area)
                continue
            elements += 1
            if elements > EXCEL_ROWS:
                raise Damaged(f'sheet "{name}" lists more rows than a sheet can have')
            given = element.get("r")
            if given is None:
                number += 1
            elif given.isascii() and given.isdigit() and len(given) < 9:
                number = int(given)
            else:
                raise NotReadable(
                    f'Sheet "{name}" is damaged: a row is numbered "{given[:20]}", which is not '
                    f"a row number. {AGAIN}"
                )
            if not 1 <= number <= EXCEL_ROWS:
                raise beyond_excel(name, f"row {number:,}")
            values = _row_values(element, name, number, parser) if len(element) else None
            if values:
                counter.add(name, number, max(values), len(values), new=number not in rows)
                rows.setdefault(number, {}).update(values)
    return [(row_number, listed(rows[row_number])) for row_number in sorted(rows)], merged


def _row_values(row: object, name: str, number: int, parser: WorkSheetParser) -> dict[int, object]:
    """{0-based column: value} of a row's cells holding values. A blank cell (no value, no
    text, no formula) is skipped without reading its reference."""
    values: dict[int, object] = {}
    last_reference, after = None, 0
    for cell in row:
        if cell.tag != _CELL:
            continue
        reference = cell.get("r")
        if reference is not None:
            last_reference, after = reference, 0
        else:
            after += 1
        if not len(cell):
            continue
        column = _column(last_reference, name) + after if last_reference else after
        if column > EXCEL_COLUMNS:
            raise beyond_excel(name, f"column {get_column_letter(min(column, 18278))}")
        try:
            found = parser.parse_cell(cell)
        except (ValueError, TypeError, IndexError, KeyError, OverflowError) as error:
            where = f"{get_column_letter(column)}{number}"
            raise NotReadable(
                f'Sheet "{name}" is damaged: cell {where} holds a value that cannot be read. '
                f"{AGAIN}"
            ) from error
        value = found["value"]
        if found["data_type"] == "e" and cell.get("t", "n") == "n":
            value = float(cell.findtext(_VALUE))  # a date format on a number no date can be
        elif isinstance(value, str) and cell.get("t") != "s":  # shared strings are unescaped
            value = _unescape(value)
        value = cell_value(value)
        if value is not None:
            values[column - 1] = value
    return values


def _column(reference: str, name: str) -> int:
    match = _REFERENCE.match(reference)
    if not match:
        raise NotReadable(
            f'Sheet "{name}" is damaged: a cell is called "{reference[:20]}", which is not a cell '
            f"reference. {AGAIN}"
        )
    column = column_index_from_string(match[1])
    if column > EXCEL_COLUMNS:
        raise beyond_excel(name, f"column {match[1]}")
    return column


def _merged_area(reference: str) -> Area | None:
    try:
        first_column, first_row, last_column, last_row = range_boundaries(reference)
    except (ValueError, TypeError):
        return None  # a merge that cannot be placed changes no value: leave it out
    if None in (first_column, first_row, last_column, last_row):
        return None
    if last_row > EXCEL_ROWS or last_column > EXCEL_COLUMNS:
        return None
    return (first_row, first_column - 1, last_row, last_column - 1)

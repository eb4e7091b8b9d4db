"""Turning an uploaded file's bytes into sheets of cell values, safely.

`read_source(data, filename=...)` reads an .xlsx or .xlsm workbook (openpyxl), an .ods or
.xls workbook (python-calamine), a .csv file (the csv module) or a saved web page (lxml.html)
and returns a `Source`: its sheets, each a list of (row number, values) for the rows that
hold a value. It only delivers what the file holds: finding headers, title blocks and
numbered rows is the layout step's work. Anything it cannot read safely raises `NotReadable`,
whose message says in plain words what is wrong and what to do (see `guards` for the limits
and for how hostile files are stopped).

Cell values are str, int, float, bool, datetime.date, datetime.datetime or None (blank):

- Text keeps its spaces; line breaks come as "\\n". A cell of only white space is blank.
- A whole number comes as int whatever the format stores (an .xls keeps every number as a
  float); a number in a general-format cell stays a number (the layout step reads Excel
  serials itself).
- A cell with a date format comes as a date, or a datetime when it has a time of day; a
  time alone comes as text ("09:30:00") and a duration as text in hours ("36:00:00").
- Formulas are never evaluated: a formula cell gives the value the file cached when it was
  last saved, and is blank when none was cached (a file written by a program that does not
  calculate). An error value comes as its text ("#DIV/0!").
- A merged area's value sits in its top-left cell, as spreadsheets store it; `Sheet.merged`
  lists the areas.
- CSV values are all text, never converted (the layout step reads "7" and "27/03/2025").
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

import lxml.html
import python_calamine
from openpyxl.packaging.relationship import get_rels_path
from openpyxl.reader.excel import ExcelReader, _find_workbook_part
from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS, XLSM, XLTM

from .guards import (
    AGAIN,
    EXCEL_COLUMNS,
    EXCEL_ROWS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_MERGED,
    MAX_PACKAGE_PART_BYTES,
    MAX_ROWS,
    OLE_SIGNATURE,
    CheckedZip,
    CompoundFile,
    NotReadable,
    beyond_excel,
    damaged,
    password_protected,
    scan_ods_extent,
    scan_xls_extent,
    stream_elements,
    too_many_cells,
    too_many_rows,
    value_beyond_columns,
)

__all__ = [
    "ACCEPTED",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "NotReadable",
    "Sheet",
    "Source",
    "read_source",
]

ACCEPTED = ".xlsx, .xlsm, .ods, .xls, .csv, .htm and .html"

# openpyxl warns of every date-formatted number no date can be; such a cell is read as its
# number (see _row_values).
warnings.filterwarnings("ignore", message="Cell .* is marked as a date", category=UserWarning)

Row = tuple[int, list[object]]


@dataclass
class Sheet:
    """One sheet of a file, as the file holds it."""

    name: str  # the sheet's name; for a CSV the file name; for a web page its <title>
    # (row number as the source counts it, 1-based; values by column, 0-based), only for rows
    # holding a value, in order; trailing blanks of a row are dropped.
    rows: list[Row]
    # Merged areas: (first row, first column, last row, last column), rows numbered as in
    # `rows`, columns 0-based. For a web page, the cells a colspan or rowspan covers.
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False  # a sheet the workbook hides


@dataclass
class Source:
    """A file read into sheets."""

    filename: str
    file_format: str  # what the user is told: "Excel workbook (.xlsx)", "CSV file", ...
    sheets: list[Sheet]


FORMAT_LABELS = {
    "xlsx": "Excel workbook (.xlsx)",
    "xlsm": "Excel macro-enabled workbook (.xlsm)",
    "ods": "OpenDocument spreadsheet (.ods)",
    "xls": "Excel 97-2003 workbook (.xls)",
    "csv": "CSV file",
    "html": "Web page (.html)",
}
# What each extension must hold, and what each kind of content is called in a message.
_EXPECTED = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".ods": "ods",
    ".xls": "xls",
    ".csv": "text",
    ".htm": "html",
    ".html": "html",
}
_PLAN_KINDS = {
    "xlsx": ("an Excel workbook", ".xlsx"),
    "ods": ("an OpenDocument spreadsheet", ".ods"),
    "xls": ("an Excel 97-2003 workbook", ".xls"),
    "html": ("a web page (HTML)", ".html"),
    "text": ("a text file (CSV)", ".csv"),
}


def read_source(data: bytes, *, filename: str) -> Source:
    """Read an uploaded file into sheets of cell values; raise NotReadable, with a message
    for the user, for a file that cannot be read (or not safely)."""
    name = PurePath(filename.replace("\\", "/")).name or "file"
    if len(data) > MAX_FILE_BYTES:
        raise NotReadable(
            f"This file is {len(data) / (1024 * 1024):.1f} MB; the largest file that can be "
            f"imported is {MAX_FILE_BYTES // (1024 * 1024)} MB. Remove pictures and other "
            "sheets from it, or split the plan into smaller files."
        )
    if not data.strip():
        raise NotReadable("This file is empty: import the file that holds the plan.")
    extension = PurePath(name).suffix.lower()
    kind, description = _sniff(data)
    if kind == "encrypted":
        raise password_protected()
    expected = _EXPECTED.get(extension)
    if expected is None:
        what = f'Files ending in "{extension}"' if extension else "Files with no extension"
        hint = ""
        if kind in _PLAN_KINDS:
            label, right = _PLAN_KINDS[kind]
            hint = f" This one is {label}: rename it to end in {right}."
        raise NotReadable(
            f"{what} cannot be imported. Save the plan as one of these: {ACCEPTED}.{hint}"
        )
    if kind == "damaged":
        raise damaged(description)
    if kind != expected and not (expected == "html" and kind == "text"):
        raise _mismatch(name, extension, kind, description)
    if expected == "xlsx":
        sheets, file_format = _read_ooxml(data, extension)
    elif expected in ("ods", "xls"):
        sheets, file_format = _read_calamine(data, expected), expected
    elif expected == "text":
        sheets, file_format = [_read_csv(data, name)], "csv"
    else:
        sheets, file_format = [_read_html(data)], "html"
    return Source(filename=name, file_format=FORMAT_LABELS[file_format], sheets=sheets)


def _mismatch(name: str, extension: str, kind: str, description: str) -> NotReadable:
    if kind in _PLAN_KINDS:
        label, right = _PLAN_KINDS[kind]
        return NotReadable(
            f'This file is named "{name}" but it is {label}, not what "{extension}" means. '
            f"Rename it to end in {right} and import it again, or open it and save it as an "
            "Excel workbook (.xlsx)."
        )
    return NotReadable(
        f"This file is {description}, not a spreadsheet or web page of a plan. Import the plan "
        f"itself, saved as one of these: {ACCEPTED}."
    )


# --- Telling what a file is -------------------------------------------------------------------

_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "a Rich Text document"),
    (b"\x1f\x8b", "a compressed (gzip) file"),
    (b"7z\xbc\xaf\x27\x1c", "a compressed (7-Zip) file"),
    (b"Rar!\x1a\x07", "a compressed (RAR) file"),
]
_HTML_TAG = re.compile(rb"<(!doctype\s+html|html|head|body|table)\b", re.I)


def _looks_like_html(head: bytes) -> bool:
    """Starts, after white space and comments, with a tag only a web page starts with."""
    text = head.lstrip()
    while text.startswith(b"<!--"):
        end = text.find(b"-->")
        if end < 0:
            return False
        text = text[end + 3 :].lstrip()
    return bool(_HTML_TAG.match(text))


def _sniff(data: bytes) -> tuple[str, str]:
    """What the content is, whatever the name says: (kind, description). Kinds: "xlsx",
    "ods", "xls", "html", "text", "encrypted", "damaged" and "other"."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data)
    if data.startswith(OLE_SIGNATURE):
        try:
            compound = CompoundFile(data)
        except NotReadable:
            return "damaged", "its Office file structure is broken"
        if compound.has("EncryptedPackage") or compound.has("EncryptionInfo"):
            return "encrypted", "a workbook protected with a password"
        if compound.has("Workbook") or compound.has("Book"):
            return "xls", "an Excel 97-2003 workbook"
        if compound.has("WordDocument"):
            return "other", "a Word document"
        if compound.has("PowerPoint Document"):
            return "other", "a PowerPoint presentation"
        return "other", "an Office file of a kind that holds no spreadsheet"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "other", "a WebP image"
    for signature, description in _SIGNATURES:
        if data.startswith(signature):
            return "other", description
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    elif b"\0" in data[:65536]:
        return "other", "a binary file of an unknown kind"
    head = head.removeprefix(codecs.BOM_UTF8)
    if head.lstrip().startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in data[:65536]:
            return "other", "an Excel 2003 XML spreadsheet"
        if b"<html" not in head.lower():
            return "other", "an XML file"
        return "html", "a web page (HTML)"
    if _looks_like_html(head):
        return "html", "a web page (HTML)"
    return "text", "a text file"


_ODS_TYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def _sniff_zip(data: bytes) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = b""
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                mimetype = archive.read("mimetype").strip()
            manifest = "META-INF/manifest.xml"
            small = manifest in names and archive.getinfo(manifest).file_size < 1_000_000
            if not mimetype and small and _ODS_TYPE in archive.read(manifest):
                mimetype = _ODS_TYPE  # written without its mimetype member
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        return "damaged", f"its zip structure is broken: {error}"
    except (RuntimeError, NotImplementedError):
        return "damaged", "it is packed in a way that cannot be unpacked"
    if mimetype == _ODS_TYPE:
        return "ods", "an OpenDocument spreadsheet"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
        return "other", "an OpenDocument text document"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.presentation"):
        return "other", "an OpenDocument presentation"
    if "xl/workbook.bin" in names:
        return "other", "an Excel binary workbook (.xlsb)"
    if "[Content_Types].xml" in names:
        if any(name.startswith("xl/") for name in names):
            return "xlsx", "an Excel workbook"
        if any(name.startswith("word/") for name in names):
            return "other", "a Word document"
        if any(name.startswith("ppt/") for name in names):
            return "other", "a PowerPoint presentation"
    return "other", "a ZIP archive (unzip it and import the plan inside)"


# --- Cell values ----------------------------------------------------------------------------------

_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _text(value: str) -> str | None:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value if value.strip() else None


def _cell_value(value: object) -> object:
    """A library's value as this module delivers it (see the module's docstring)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() and value.tzinfo is None else value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        seconds = round(value.total_seconds())
        sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
        return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return _text(str(value))


class _Counter:
    """Rows, cells and merged areas across the whole file, counted as they are read."""

    def __init__(self) -> None:
        self.rows = self.cells = self.merged = 0

    def add(self, sheet: str, number: int, last: int, cells: int, *, new: bool = True):
        """A row of `cells` values, the last in 0-based column `last` (new: a row not counted
        before); refuses values beyond MAX_COLUMNS and files beyond MAX_ROWS or MAX_CELLS."""
        if last >= MAX_COLUMNS:
            raise value_beyond_columns(sheet, number, last)
        self.rows += new
        self.cells += cells
        if self.rows > MAX_ROWS:
            raise too_many_rows()
        if self.cells > MAX_CELLS:
            raise too_many_cells()

    def merge(self) -> None:
        self.merged += 1
        if self.merged > MAX_MERGED:
            raise damaged(f"it has more than {MAX_MERGED:,} merged areas")


def _listed(values: dict[int, object]) -> list[object]:
    """{0-based column: value} as a list, None between the values."""
    cells: list[object] = [None] * (max(values) + 1)
    for column, value in values.items():
        cells[column] = value
    return cells


# --- Excel workbooks (.xlsx, .xlsm): openpyxl, driven part by part --------------------------

_MAIN = f"{{{SHEET_MAIN_NS}}}"
_ROW, _CELL, _MERGE, _VALUE = f"{_MAIN}row", f"{_MAIN}c", f"{_MAIN}mergeCell", f"{_MAIN}v"
_SI, _T, _R = f"{_MAIN}si", f"{_MAIN}t", f"{_MAIN}r"
_NUMFMT, _XF, _CELL_XFS = f"{_MAIN}numFmt", f"{_MAIN}xf", f"{_MAIN}cellXfs"
_REFERENCE = re.compile(r"\$?([A-Z]{1,3})\$?[0-9]{1,8}\Z")


def _read_ooxml(data: bytes, extension: str) -> tuple[list[Sheet], str]:
    """Every worksheet of an .xlsx or .xlsm, values as cached, never a formula evaluated.

    openpyxl reads the package's content types, the workbook part and its relationships (with
    lxml, entities never resolved, after `CheckedZip` has found no DOCTYPE in them). The
    styles (for which cells are dates), the shared strings and the worksheets are read here,
    with `stream_elements`, cell by cell through openpyxl's own WorkSheetParser.parse_cell:
    openpyxl's read-only worksheet would fill every missing row up to the sheet's declared
    size, and its shared string reader keeps every string element until the end."""
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
        raise damaged("its workbook part cannot be read") from error
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
    counter = _Counter()
    sheets = []
    read: dict[str, str] = {}  # part: the sheet read from it
    for sheet, relation in found:
        if not relation.Type.endswith("/worksheet") or relation.target not in archive.names:
            continue
        if relation.target in read:
            first = read[relation.target]
            raise damaged(f'its sheets "{first}" and "{sheet.name}" are one and the same part')
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
                raise damaged(f"the part {path} is broken") from error
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
    archive: CheckedZip, path: str, name: str, parser: WorkSheetParser, counter: _Counter
) -> tuple[list[Row], list[tuple[int, int, int, int]]]:
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
                raise damaged(f'sheet "{name}" lists more rows than a sheet can have')
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
    return [(row_number, _listed(rows[row_number])) for row_number in sorted(rows)], merged


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
        value = _cell_value(value)
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


def _merged_area(reference: str) -> tuple[int, int, int, int] | None:
    try:
        first_column, first_row, last_column, last_row = range_boundaries(reference)
    except (ValueError, TypeError):
        return None  # a merge that cannot be placed changes no value: leave it out
    if None in (first_column, first_row, last_column, last_row):
        return None
    if last_row > EXCEL_ROWS or last_column > EXCEL_COLUMNS:
        return None
    return (first_row, first_column - 1, last_row, last_column - 1)


# --- .ods and .xls: python-calamine, once the guards have measured the file -----------------


def _read_calamine(data: bytes, kind: str) -> list[Sheet]:
    """Calamine reads every sheet of the file at once into dense grids, so the guard scans
    first: the OpenDocument content.xml's repeated rows and cells, or the .xls records'
    cell positions."""
    if kind == "ods":
        archive = CheckedZip(data)
        if "content.xml" not in archive.xml_members:
            manifest = "META-INF/manifest.xml"
            if manifest in archive.names and b"encryption-data" in archive.archive.read(manifest):
                raise password_protected()
            raise damaged("its content.xml part is missing or broken")
        if any(n.endswith(".xml") and n not in archive.xml_members for n in archive.names):
            raise damaged("one of its XML parts is broken")
        merges = {sheet.name: sheet.merged for sheet in scan_ods_extent(archive).sheets}
    else:
        compound = CompoundFile(data)
        scan_xls_extent(compound.read("Workbook" if compound.has("Workbook") else "Book"))
        merges = {}
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError as error:
        raise password_protected() from error
    except (python_calamine.CalamineError, ValueError, OSError) as error:
        raise damaged("its sheets cannot be read") from error
    counter = _Counter()
    sheets = []
    with workbook:
        for index, metadata in enumerate(workbook.sheets_metadata):
            if metadata.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            try:
                sheet = workbook.get_sheet_by_index(index)
                rows, merged = _calamine_rows(sheet, counter)
            except python_calamine.CalamineError as error:
                raise damaged(f'its sheet "{metadata.name}" cannot be read') from error
            if kind == "ods":
                merged = [(a + 1, b, c + 1, d) for a, b, c, d in merges.get(metadata.name, [])]
            hidden = metadata.visible != python_calamine.SheetVisibleEnum.Visible
            sheets.append(Sheet(metadata.name, rows, merged, hidden=hidden))
    return sheets


def _calamine_rows(sheet, counter: _Counter) -> tuple[list[Row], list[tuple[int, int, int, int]]]:
    if sheet.start is None:
        return [], []
    lead = [None] * sheet.start[1]  # python-calamine's rows start at the first column used
    found: list[tuple[int, list[object]]] = []
    count = 0
    for index, cells in enumerate(sheet.iter_rows()):
        count = index + 1
        values = [_cell_value(raw) for raw in cells]
        while values and values[-1] is None:
            values.pop()
        if values:
            values = lead + values
            filled = len(values) - values.count(None)
            counter.add(sheet.name, index + 1, len(values) - 1, filled)
            found.append((index, values))
    # python-calamine counts its rows from the sheet's first row, however many are empty;
    # should it start at the first row holding a value, the rows end at the last one anyway.
    offset = sheet.end[0] + 1 - count
    rows = [(index + offset + 1, values) for index, values in found]
    merged = [
        (first[0] + 1, first[1], last[0] + 1, last[1])
        for first, last in (sheet.merged_cell_ranges or [])
    ]
    return rows, merged


# --- CSV ------------------------------------------------------------------------------------------

_DELIMITERS = ",;\t"


def _read_csv(data: bytes, name: str) -> Sheet:
    """Every value a string (blank: None), rows numbered as a spreadsheet shows the file."""
    text = _decode_text(data)
    first, _, rest = text.partition("\n")
    if re.fullmatch(r"sep=.\r?", first):  # Excel's own hint, not part of the table
        delimiter, text = first[4], rest
    else:
        delimiter = _delimiter(text[:4096])
    rows: list[Row] = []
    counter = _Counter()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        for number, record in enumerate(reader, start=1):
            values = {}
            for column, raw in enumerate(record):
                value = _text(raw)
                if value is not None:
                    if column >= MAX_COLUMNS:
                        raise value_beyond_columns(name, number, column)
                    values[column] = value
            if values:
                counter.add(name, number, max(values), len(values))
                rows.append((number, _listed(values)))
    except csv.Error as error:
        raise NotReadable(
            f"This CSV file cannot be read ({error}): most often a quotation mark that is "
            "never closed. Open it in Excel or LibreOffice, check the row and save it again."
        ) from error
    return Sheet(name, rows)


def _decode_text(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _delimiter(sample: str) -> str:
    """Comma, semicolon or tab, as csv.Sniffer finds it among those three; else the one the
    first line holds most of, outside quotes; else a comma. The sniffer's patterns backtrack
    (seconds for 32 KB of apostrophes and commas), so it only sees the first 4 KB."""
    cut = sample.rfind("\n")
    sample = sample[: cut + 1] if cut > 0 else sample
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        pass
    first = re.sub(r'"[^"]*"', "", sample.split("\n", 1)[0])
    counts = {delimiter: first.count(delimiter) for delimiter in _DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


# --- Web pages ------------------------------------------------------------------------------------

# Never read: code, styling, templates, forms and embedded things.
_SKIPPED = {
    "script", "style", "noscript", "template", "form", "button", "select", "textarea", "input",
    "svg", "math", "iframe", "object", "embed", "canvas", "video", "audio", "map", "nav",
    "head", "title",
}  # fmt: skip
# Skipped as well when the page has no <main>: the site around the content.
_SITE = {"header", "footer", "aside"}
# Elements that start a text block of their own (a one-cell row).
_BLOCKS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "div", "section", "article",
    "main", "header", "footer", "aside", "blockquote", "pre", "address", "figure",
    "figcaption", "ul", "ol", "dl", "details", "summary", "fieldset", "legend", "hr", "body",
    "caption", "center",
}  # fmt: skip
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_SPACE = re.compile(r"\s+")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
MAX_HTML_TAGS = 500_000


def _read_html(data: bytes) -> Sheet:
    """One sheet for the page: its text blocks and table rows in document order."""
    if data.count(b"<") > MAX_HTML_TAGS:
        raise NotReadable(
            f"This web page has more than {MAX_HTML_TAGS:,} tags, far more than a plan needs. "
            "Save only the plan's table (copy it into a spreadsheet) and import that."
        )
    text = _decode_page(data)
    # Given as UTF-8 bytes with the encoding named, so that neither an XML declaration nor a
    # <meta> charset makes libxml2 decode the page again.
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, huge_tree=False
    )
    try:
        document = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (ValueError, lxml.etree.ParserError) as error:
        raise NotReadable(
            "This web page is empty or cannot be read: save the page again from the browser "
            "(File > Save Page As, web page HTML only) and import that."
        ) from error
    title = document.find(".//title")
    name = _SPACE.sub(" ", title.text_content()).strip() if title is not None else ""
    main = document.xpath("(//main | //*[@role='main'])[1]")
    page = _Page(name or "Web page", skip_site=not main)
    page.walk(main[0] if main else document)
    page.flush()
    return Sheet(page.name, page.rows, page.merged)


def _decode_page(data: bytes) -> str:
    """By its byte order mark, else its <meta> charset, else UTF-8 (Windows-1252 where the
    page is not valid UTF-8)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")
    match = _META_CHARSET.search(data[:8192])
    if match:
        try:
            encoding = codecs.lookup(match[1].decode("ascii")).name
        except LookupError:
            encoding = "utf-8"
        if encoding in ("latin-1", "iso8859-1", "ascii"):
            encoding = "cp1252"  # as browsers read them
        if encoding not in ("utf-16-le", "utf-16-be", "utf-16"):
            return data.decode(encoding, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _hidden(element) -> bool:
    return (
        element.get("hidden") is not None
        or element.get("aria-hidden", "").lower() == "true"
        or bool(_HIDDEN_STYLE.search(element.get("style", "")))
    )


class _Page:
    """The rows of a page: text blocks as one-cell rows and table rows as rows of cells."""

    def __init__(self, name: str, *, skip_site: bool) -> None:
        self.name = name
        self.skip_site = skip_site
        self.rows: list[Row] = []
        self.merged: list[tuple[int, int, int, int]] = []
        self.number = 0  # rows so far: each text block and each table row is one
        self.lines: list[list[str]] = [[]]  # the current block's lines, as pieces of text
        self.counter = _Counter()

    def skipped(self, element) -> bool:
        tag = element.tag if isinstance(element.tag, str) else ""
        return not tag or tag in _SKIPPED or (self.skip_site and tag in _SITE) or _hidden(element)

    def walk(self, element) -> None:
        if self.skipped(element):
            return
        if element.tag == "table":
            self.flush()
            self.table(element)
            return
        block = element.tag in _BLOCKS
        if block:
            self.flush()
        if element.tag == "br":
            self.lines.append([])
        elif element.text:
            self.lines[-1].append(element.text)
        for child in element:
            self.walk(child)
            if child.tail:
                self.lines[-1].append(child.tail)
        if block:
            self.flush()

    def flush(self) -> None:
        text = _joined(self.lines)
        self.lines = [[]]
        if text:
            self.add({0: text})

    def add(self, values: dict[int, object]) -> None:
        self.number += 1
        if values:
            self.counter.add(self.name, self.number, max(values), len(values))
            self.rows.append((self.number, _listed(values)))

    def table(self, table) -> None:
        caption = table.find("caption")
        if caption is not None and not self.skipped(caption):
            text = _cell_text(caption, self)
            if text:
                self.add({0: text})
        covered: dict[int, int] = {}  # column: rows a rowspan above still covers
        first_merge = len(self.merged)
        for row in _table_rows(table):
            if self.skipped(row):
                continue
            values: dict[int, object] = {}
            column = 0
            for cell in row:
                if cell.tag not in ("td", "th") or self.skipped(cell):
                    continue
                while covered.get(column):
                    column += 1
                columns = _span(cell.get("colspan"), 1000)
                rows = _span(cell.get("rowspan"), 65534)
                value = _cell_text(cell, self)
                if value is not None:
                    if column >= MAX_COLUMNS:
                        raise value_beyond_columns(self.name, self.number + 1, column)
                    values[column] = value
                if rows > 1 or columns > 1:
                    self.counter.merge()
                    self.merged.append(
                        (self.number + 1, column, self.number + rows, column + columns - 1)
                    )
                for spanned in range(column, min(column + columns, MAX_COLUMNS)):
                    covered[spanned] = max(covered.get(spanned, 0), rows)
                column += columns
            self.add(values)
            covered = {key: left - 1 for key, left in covered.items() if left > 1}
        # A rowspan reaching past the table's last row ends with it.
        self.merged[first_merge:] = [
            (top, left, min(bottom, self.number), right)
            for top, left, bottom, right in self.merged[first_merge:]
        ]


def _table_rows(table):
    """The table's own rows in document order (not those of tables inside its cells)."""
    for child in table:
        if child.tag == "tr":
            yield child
        elif child.tag in ("thead", "tbody", "tfoot"):
            yield from (row for row in child if row.tag == "tr")


def _span(value: str | None, largest: int) -> int:
    match = re.match(r"\s*([0-9]+)", value or "")
    return min(max(int(match[1]), 1), largest) if match else 1


def _cell_text(cell, page: _Page) -> str | None:
    """A cell's text: its paragraphs, line breaks, list items (and the cells of a table
    inside it) on lines of their own."""
    lines: list[list[str]] = [[]]

    def collect(element) -> None:
        if element.text:
            lines[-1].append(element.text)
        for child in element:
            if page.skipped(child):
                pass
            elif child.tag == "br":
                lines.append([])
            else:
                block = child.tag in _BLOCKS or child.tag in ("table", "tr", "td", "th")
                if block:
                    lines.append([])
                collect(child)
                if block:
                    lines.append([])
            if child.tail:
                lines[-1].append(child.tail)

    collect(cell)
    return _joined(lines) or None


def _joined(lines: list[list[str]]) -> str:
    """Lines of text pieces, white space collapsed within each, empty lines dropped."""
    collapsed = (_SPACE.sub(" ", "".join(pieces)).strip() for pieces in lines)
    return "\n".join(line for line in collapsed if line)

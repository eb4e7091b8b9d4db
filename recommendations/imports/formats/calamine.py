"""OpenDocument spreadsheets (.ods) and Excel 97-2003 workbooks (.xls): python-calamine,
once the file has been measured.

Calamine reads every sheet of the file at once into dense grids, so the file is scanned
first (see `extent`): the OpenDocument content.xml's repeated rows and cells, or the .xls
records' cell positions.
"""

from __future__ import annotations

import io

import python_calamine

from .compound import CompoundFile
from .extent import scan_ods_extent, scan_xls_extent
from .limits import Damaged, password_protected
from .sheets import Area, Counter, Row, Sheet, cell_value
from .zipguard import CheckedZip


def read(data: bytes, kind: str) -> list[Sheet]:
    """Every worksheet of an .ods or .xls, once its grids are known to fit."""
    if kind == "ods":
        archive = CheckedZip(data)
        if "content.xml" not in archive.xml_members:
            manifest = "META-INF/manifest.xml"
            if manifest in archive.names and b"encryption-data" in archive.archive.read(manifest):
                raise password_protected()
            raise Damaged("its content.xml part is missing or broken")
        if any(n.endswith(".xml") and n not in archive.xml_members for n in archive.names):
            raise Damaged("one of its XML parts is broken")
        merges = {sheet.name: sheet.merged for sheet in scan_ods_extent(archive).sheets}
    else:
        scan_xls_extent(CompoundFile(data).workbook_stream())
        merges = {}
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError as error:
        raise password_protected() from error
    except (python_calamine.CalamineError, ValueError, OSError) as error:
        raise Damaged("its sheets cannot be read") from error
    except BaseException as error:
        if not _panicked(error):
            raise
        raise Damaged("its sheets cannot be read") from error
    counter = Counter()
    sheets = []
    with workbook:
        for index, metadata in enumerate(workbook.sheets_metadata):
            if metadata.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            try:
                sheet = workbook.get_sheet_by_index(index)
                rows, merged = _calamine_rows(sheet, counter)
            except BaseException as error:
                if not isinstance(error, python_calamine.CalamineError) and not _panicked(error):
                    raise
                raise Damaged(f'its sheet "{metadata.name}" cannot be read') from error
            if kind == "ods":
                merged = [(a + 1, b, c + 1, d) for a, b, c, d in merges.get(metadata.name, [])]
            hidden = metadata.visible != python_calamine.SheetVisibleEnum.Visible
            sheets.append(Sheet(metadata.name, rows, merged, hidden=hidden))
    return sheets


def _panicked(error: BaseException) -> bool:
    """Calamine stopped by a bug of its own on a damaged file (an index out of range): pyo3
    raises PanicException, a BaseException so that `except Exception` lets it through, from
    a module it creates at the first panic."""
    return type(error).__name__ == "PanicException"


def _calamine_rows(sheet, counter: Counter) -> tuple[list[Row], list[Area]]:
    if sheet.start is None:
        return [], []
    lead = [None] * sheet.start[1]  # python-calamine's rows start at the first column used
    found: list[tuple[int, list[object]]] = []
    count = 0
    for index, cells in enumerate(sheet.iter_rows()):
        count = index + 1
        values = [cell_value(raw) for raw in cells]
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

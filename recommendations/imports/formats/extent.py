"""What calamine would allocate, measured before it reads a file.

Calamine (.ods, .xls) fills a dense grid from the first to the last value of each sheet, for
every sheet at once, as soon as the file is opened. `scan_xls_extent` (the BIFF records'
cell positions) and `scan_ods_extent` (the OpenDocument content, repeats counted) measure
those grids and refuse files whose grids would not fit in `MAX_GRID_CELLS`.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from .limits import (
    EXCEL_COLUMNS,
    EXCEL_ROWS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_GRID_CELLS,
    MAX_MERGED,
    MAX_ROWS,
    Damaged,
    NotReadable,
    beyond_excel,
    password_protected,
    too_many_cells,
    too_many_rows,
    value_beyond_columns,
)
from .xmlstream import stream_elements
from .zipguard import CheckedZip


@dataclass
class SheetExtent:
    """Where the cells holding values of one sheet lie (0-based, as calamine counts), and its
    merged ranges (first row, first column, last row, last column)."""

    name: str
    first_row: int | None = None
    last_row: int = 0
    first_column: int | None = None
    last_column: int = 0
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)

    def add(self, row: int, column: int, rows: int, columns: int) -> None:
        if self.first_row is None or row < self.first_row:
            self.first_row = row
        if self.first_column is None or column < self.first_column:
            self.first_column = column
        self.last_row = max(self.last_row, row + rows - 1)
        self.last_column = max(self.last_column, column + columns - 1)

    @property
    def grid(self) -> int:
        """The cells of the rectangle from the first value to the last."""
        if self.first_row is None or self.first_column is None:
            return 0
        return (self.last_row - self.first_row + 1) * (self.last_column - self.first_column + 1)


@dataclass
class Extent:
    """The sheets of a file, scanned one after the other, and the totals the limits apply
    to."""

    sheets: list[SheetExtent] = field(default_factory=list)
    cells: int = 0
    merged: int = 0
    earlier_grids: int = 0

    def start_sheet(self, name: str) -> SheetExtent:
        if self.sheets:
            self.earlier_grids += self.sheets[-1].grid
        sheet = SheetExtent(name)
        self.sheets.append(sheet)
        return sheet

    def add(self, sheet: SheetExtent, row: int, column: int, rows: int = 1, columns: int = 1):
        """Cells holding values over rows x columns from (row, column), 0-based, in the sheet
        last started."""
        if row + rows > EXCEL_ROWS:
            raise beyond_excel(sheet.name, f"row {row + rows:,}")
        if column + columns > EXCEL_COLUMNS:
            raise beyond_excel(sheet.name, f"column {column + columns:,}")
        if column + columns > MAX_COLUMNS:
            raise value_beyond_columns(sheet.name, row + 1, max(column, MAX_COLUMNS))
        self.cells += rows * columns
        if self.cells > MAX_CELLS:
            raise too_many_cells()
        sheet.add(row, column, rows, columns)
        if self.earlier_grids + sheet.grid > MAX_GRID_CELLS:
            raise NotReadable(
                f'Sheet "{sheet.name}" has values spread from row {sheet.first_row + 1:,} to '
                f"row {sheet.last_row + 1:,}, more than can be read from this kind of file. "
                "Delete the stray values far from the plan, or save the workbook as an Excel "
                "workbook (.xlsx) and import that."
            )

    def add_merge(self, sheet: SheetExtent, area: tuple[int, int, int, int]) -> None:
        self.merged += 1
        if self.merged > MAX_MERGED:
            raise Damaged(f"it has more than {MAX_MERGED:,} merged cells")
        sheet.merged.append(area)


# BIFF records that place one cell (row and column first; calamine keeps their values), and
# MULRK, which places a run of cells: row, first column, values, last column.
_CELL_RECORDS = {0x0006, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6, 0x00FD}
_FORMULA, _MULRK = 0x0006, 0x00BD
_BOF, _EOF, _BOUNDSHEET, _FILEPASS = 0x0809, 0x000A, 0x0085, 0x002F


def _records(stream: bytes, position: int) -> Iterator[tuple[int, bytes]]:
    while position + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, position)
        data = stream[position + 4 : position + 4 + size]
        if len(data) < size:
            raise Damaged("a record of its Workbook stream is cut short")
        yield kind, data
        position += 4 + size


def _boundsheets(stream: bytes) -> list[tuple[str, int]]:
    """(name, offset) of each worksheet and macro sheet named in the workbook globals."""
    sheets, biff8 = [], True
    for kind, data in _records(stream, 0):
        if kind == _BOF and len(data) >= 2:
            biff8 = struct.unpack_from("<H", data)[0] >= 0x0600
        elif kind == _FILEPASS:
            raise password_protected()
        elif kind == _BOUNDSHEET and len(data) >= 7:
            offset, _state, sheet_type, length = struct.unpack_from("<IBBB", data)
            if biff8 and len(data) >= 8 and data[7] & 1:
                name = data[8 : 8 + 2 * length].decode("utf-16-le", "replace")
            else:
                name = data[8 if biff8 else 7 :][:length].decode("latin-1")
            if sheet_type in (0, 1):
                sheets.append((name, offset))
        elif kind == _EOF:
            break
    return sheets


def scan_xls_extent(stream: bytes) -> Extent:
    """Where the values of each sheet of a BIFF (Excel 97-2003) Workbook stream lie. Calamine
    keeps the formulas of a sheet in a grid of their own, counted as a sheet here."""
    extent = Extent()
    scanned = 0  # sheets never overlap: each byte of the stream is scanned once at most
    for name, offset in _boundsheets(stream):
        sheet = extent.start_sheet(name)
        formulas: list[tuple[int, int]] = []
        depth = 0
        for kind, data in _records(stream, offset):
            scanned += 4 + len(data)
            if scanned > len(stream):
                raise Damaged("its sheets overlap one another")
            if kind == _BOF:
                depth += 1
            elif kind == _EOF:
                depth -= 1
                if depth <= 0:
                    break
            elif depth == 1 and kind in _CELL_RECORDS and len(data) >= 4:
                row, column = struct.unpack_from("<HH", data)
                extent.add(sheet, row, column)
                if kind == _FORMULA:
                    formulas.append((row, column))
            elif depth == 1 and kind == _MULRK and len(data) >= 6:
                row, first = struct.unpack_from("<HH", data)
                (last,) = struct.unpack_from("<H", data, len(data) - 2)
                if last >= first:
                    extent.add(sheet, row, first, 1, last - first + 1)
        if formulas:
            grid = extent.start_sheet(name)
            for row, column in formulas:
                extent.add(grid, row, column)
    return extent


_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE = f"{{{_TABLE_NS}}}table"
_ROW = f"{{{_TABLE_NS}}}table-row"
_CELLS = {f"{{{_TABLE_NS}}}table-cell", f"{{{_TABLE_NS}}}covered-table-cell"}
_VALUE_TYPE = f"{{{_OFFICE_NS}}}value-type"
_COUNT = re.compile(r"[1-9][0-9]{0,9}\Z")


def _count(element: etree._Element, attribute: str, sheet: str) -> int:
    value = element.get(f"{{{_TABLE_NS}}}{attribute}")
    if value is None:
        return 1
    if not _COUNT.match(value):
        raise Damaged(f'sheet "{sheet}" repeats or spans a cell "{value}" times')
    return int(value)


def scan_ods_extent(archive: CheckedZip) -> Extent:
    """Where the values of each table of an OpenDocument spreadsheet lie, with repeated rows
    and cells counted as calamine expands them, and its merged cells."""
    extent = Extent()
    table = sheet = None
    row = rows_with_values = 0
    with archive.open("content.xml") as stream:
        for element in stream_elements(
            stream,
            root=f"{{{_OFFICE_NS}}}document-content",
            tags=(_ROW,),
            part="content.xml",
        ):
            owner = element.getparent()
            while owner is not None and owner.tag != _TABLE:
                owner = owner.getparent()
            if owner is None:
                continue
            if owner is not table:
                table, row = owner, 0
                sheet = extent.start_sheet(owner.get(f"{{{_TABLE_NS}}}name", ""))
            repeat = _count(element, "number-rows-repeated", sheet.name)
            column, filled = 0, False
            for cell in element:
                if cell.tag not in _CELLS:
                    continue
                columns = _count(cell, "number-columns-repeated", sheet.name)
                if cell.get(_VALUE_TYPE) is not None or len(cell):
                    extent.add(sheet, row, column, repeat, columns)
                    filled = True
                rows_spanned = _count(cell, "number-rows-spanned", sheet.name)
                columns_spanned = _count(cell, "number-columns-spanned", sheet.name)
                if (rows_spanned, columns_spanned) != (1, 1):
                    extent.add_merge(
                        sheet, (row, column, row + rows_spanned - 1, column + columns_spanned - 1)
                    )
                column += columns
                if column > EXCEL_COLUMNS:
                    raise beyond_excel(sheet.name, f"column {column:,}")
            row += repeat
            if row > EXCEL_ROWS:
                raise beyond_excel(sheet.name, f"row {row:,}")
            if filled:
                rows_with_values += repeat
                if rows_with_values > MAX_ROWS:
                    raise too_many_rows()
    return extent

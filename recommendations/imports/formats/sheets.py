"""What every reader delivers: sheets of rows of cell values, counted against the limits as
they are read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .limits import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_MERGED,
    MAX_ROWS,
    Damaged,
    too_many_cells,
    too_many_rows,
    value_beyond_columns,
)

Row = tuple[int, list[object]]
Area = tuple[int, int, int, int]


@dataclass
class Sheet:
    """One sheet of a file, as the file holds it."""

    name: str  # the sheet's name; for a CSV the file name; for a web page its <title>
    # (row number as the source counts it, 1-based; values by column, 0-based), only for rows
    # holding a value, in order; trailing blanks of a row are dropped.
    rows: list[Row]
    # Merged areas: (first row, first column, last row, last column), rows numbered as in
    # `rows`, columns 0-based. For a web page, the cells a colspan or rowspan covers.
    merged: list[Area] = field(default_factory=list)
    hidden: bool = False  # a sheet the workbook hides


@dataclass
class Source:
    """A file read into sheets."""

    filename: str
    file_format: str  # what the user is told: "Excel workbook (.xlsx)", "CSV file", ...
    sheets: list[Sheet]


def text_value(value: str) -> str | None:
    """Line breaks as "\\n"; None for white space only."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value if value.strip() else None


def cell_value(value: object) -> object:
    """A library's value as the readers deliver it (see the package's docstring)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return text_value(value)
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
    return text_value(str(value))


def listed(values: dict[int, object]) -> list[object]:
    """{0-based column: value} as a list, None between the values."""
    cells: list[object] = [None] * (max(values) + 1)
    for column, value in values.items():
        cells[column] = value
    return cells


class Counter:
    """Rows, cells and merged areas across the whole file, counted as they are read."""

    def __init__(self) -> None:
        self.rows = self.cells = self.merged = 0

    def add(self, sheet: str, number: int, last: int, cells: int, *, new: bool = True) -> None:
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
            raise Damaged(f"it has more than {MAX_MERGED:,} merged areas")

"""What layout finds: tables, their columns, and the plan around them; and how a cell reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from .. import vocabulary as words
from ..preview import Person, Problem

# The first header row must be among a sheet's first non-blank rows; later tables may start
# anywhere below it.
HEADER_SEARCH_ROWS = 30
MAX_HEADER_CHARS = 120
SAMPLE_CHARS = 80
TITLE_CHARS = 200


@dataclass
class Column:
    """One column of a table: its header and what the import makes of it."""

    index: int  # 0-based
    header: str  # as shown: white space collapsed, no trailing colon ("" for none)
    key: str  # what a mapping names it by (see mapping.column_key)
    guess: words.HeaderGuess
    filled: int = 0
    sample: str = ""
    whole_numbers: bool = False  # every filled cell is a whole number (a count, not a text)
    numbers: bool = False  # an unnamed column whose every cell is a recommendation number
    # Set by mapping.resolve: the meaning used, the period it speaks of, and why.
    meaning: str = ""
    period: str = ""
    guessed: bool = True
    note: str = ""

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)

    @property
    def name(self) -> str:
        """The column as a detail or a message names it."""
        return self.header or f"Column {self.letter}"


@dataclass
class Table:
    """A header row and the rows under it, up to the next table or the end of the sheet."""

    sheet: str
    header_row: int
    columns: list[Column]
    rows: list[tuple[int, list[object]]]
    heading: str = ""  # the line above the header row, when it names a report or a part
    heading_row: int | None = None
    # A heading such as "Recommendation 1: By 1 August 2023, ..." straight above the header:
    # every row of the table is one of its actions. (row, number, text)
    heading_item: tuple[int, str, str] | None = None
    # Cells merged across columns, (row, column): a row of one such cell is a heading.
    spanning: set[tuple[int, int]] = field(default_factory=set)

    def column(self, meaning: str) -> Column | None:
        return next((column for column in self.columns if column.meaning == meaning), None)


@dataclass
class Layout:
    """Everything found in a source, before the columns have their final meanings."""

    title: str = ""
    introduction: str = ""
    executive_lead: Person | None = None
    operational_lead: Person | None = None
    as_of: dt.date | None = None  # "... as of 1 November 2023" in the title
    details: dict[str, object] = field(default_factory=dict)  # ImportPreview field -> value
    tables: list[Table] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


# ---------------------------------------------------------------------------- cells


def is_blank(value: object) -> bool:
    return value is None or (type(value) is str and not value.strip())


def cell_text(value: object) -> str:
    """A cell as text, line breaks kept: numbers as written, dates as 27/03/2025."""
    if type(value) is str:
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return f"{value:%d/%m/%Y}" if value.time() == dt.time() else f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, int | float):
        return words.number_text(value)
    return str(value).strip()


def at(values: list[object], index: int | None) -> object:
    return values[index] if index is not None and index < len(values) else None

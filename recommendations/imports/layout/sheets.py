"""Reading a source sheet by sheet: the details sheet, title blocks, tables and their headings."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import TYPE_CHECKING

from .. import vocabulary as words
from .blocks import details_sheet, heading_line, item_heading, read_block, read_details
from .headers import header_guesses, make_columns, second_header
from .model import HEADER_SEARCH_ROWS, Layout, Table
from .prose import read_prose

if TYPE_CHECKING:
    from ..formats import Sheet, Source


def _generic_name(name: str, filename: str) -> bool:
    path = PurePath(filename)
    plain = name.strip().casefold()
    return (
        not plain
        or plain in (path.name.casefold(), path.stem.casefold())
        or bool(re.fullmatch(r"(sheet|table|page|appendix|tab|worksheet|data)\s*\d*[a-z]?", plain))
    )


def find_layout(source: Source) -> Layout:
    """The title block, tables and details of every sheet of the source."""
    layout = Layout()
    sheets = list(source.sheets)
    details = next((sheet for sheet in sheets if details_sheet(sheet)), None)
    if details is not None:
        read_details(details, layout)
        sheets.remove(details)
    if "return" in {sheet.name.casefold() for sheet in sheets}:
        # Our own return: its "Summary" sheet counts what the "Return" sheet holds.
        sheets = [sheet for sheet in sheets if sheet.name.casefold() != "summary"]
    for sheet in sheets:
        if getattr(sheet, "hidden", False):
            # Hidden sheets hold drop-down lists and workings, not the plan.
            if sheet.rows:
                layout.skipped_sheets.append(sheet.name)
            continue
        _read_sheet(sheet, layout)
    if not layout.title:
        named = [table.sheet for table in layout.tables]
        if named and not _generic_name(named[0], source.filename):
            layout.title = named[0]
    if not layout.as_of and layout.title:
        layout.as_of = words.as_of_date(layout.title)
    return layout


def _read_sheet(sheet: Sheet, layout: Layout) -> None:
    rows = sheet.rows
    headers: list[tuple[int, dict[int, words.HeaderGuess]]] = []
    for position, (_, values) in enumerate(rows):
        if not headers and position >= HEADER_SEARCH_ROWS:
            break
        guesses = header_guesses(values)
        if guesses is not None:
            headers.append((position, guesses))
    if not headers:
        if rows and not read_prose(sheet, layout):
            layout.skipped_sheets.append(sheet.name)
        return
    ends = [position for position, _ in headers[1:]] + [len(rows)]
    start = headers[0][0]
    above = rows[start - 1] if start else None
    if above is not None and heading_line(above[1]) is None:
        above = None
    read_block(rows[: start - 1] if above else rows[:start], layout, sheet)
    for (position, guesses), end in zip(headers, ends, strict=True):
        data = rows[position + 1 : end]
        following = None
        # A single line straight above the next header row heads the next table.
        if end < len(rows) and data and heading_line(data[-1][1]) is not None:
            following, data = data[-1], data[:-1]
        row, values = rows[position]
        if data and data[0][0] == row + 1 and (below := second_header(values, data[0][1])):
            (values, guesses), data = below, data[1:]
        table = Table(sheet.name, row, make_columns(values, guesses, data), data)
        table.spanning = {
            (first_row, first_column)
            for first_row, first_column, _, last_column in getattr(sheet, "merged", [])
            if last_column > first_column
        }
        if above is not None:
            _head(table, above[0], heading_line(above[1]), layout)
        layout.tables.append(table)
        above = following


def _head(table: Table, row: int, text: str, layout: Layout) -> None:
    """The line straight above a header row: a recommendation whose actions the table lists,
    the heading of the table's part of the plan, or (with no title above it) the title."""
    found = item_heading(text)
    if found is not None:
        table.heading_item = (row, *found)
    elif not layout.title and not layout.tables:
        layout.title = text
    else:
        table.heading, table.heading_row = text, row

"""Plans written as paragraphs rather than a table, read as the table they would be."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import vocabulary as words
from ..mapping import Meaning
from .blocks import item_heading, read_block, single_cell, title_like
from .headers import make_columns
from .model import Layout, Table

if TYPE_CHECKING:
    from ..formats import Sheet


# What a labelled line of prose may give a recommendation ("March 2026 update: ...").
_FIELD_MEANINGS = (
    Meaning.PERIOD,
    Meaning.STATUS,
    Meaning.OWNER,
    Meaning.DUE,
    Meaning.ADDRESSEE,
    Meaning.UPDATE_DATE,
)
PROSE_HEADERS = ("Number", "Recommendation", "Sub-recommendations")


def _opens_item(text: str) -> tuple[str, str] | None:
    """A line opening a recommendation: "Recommendation 7: By 27 March 2025, ...", "AFI 1 -
    ...", "R3 - ...", "7. By 27 March 2025, ..." (not a sub-recommendation's "7.1 - ...")."""
    found = item_heading(text)
    return found if found and "." not in found[0] else None


def _field(line: str) -> tuple[str, str] | None:
    """A labelled line ("Force update: ...", "Status: Green") or a label alone ("March 2026
    update"): (label, value)."""
    label, colon, value = line.partition(":")
    label = words.clean_header(label)
    if not colon:
        label, value = words.clean_header(line), ""
        if not title_like(line) or len(line) > 60:
            return None
    if not label or len(label) > 60 or words.split_number(label):
        return None
    meaning = words.classify_header(label).meaning
    return (label, value.strip()) if meaning in _FIELD_MEANINGS else None


def read_prose(sheet: Sheet, layout: Layout) -> bool:
    """A plan written as paragraphs, as some forces publish it on a web page: a line opening
    each recommendation, its sub-recommendations ("7.1 - ...") and labelled lines ("Update:
    ...", "Status: Green") under it. Read as the table it would be, one row a recommendation,
    so that its labels are columns the mapping shows and the user may change."""
    lines = [(row, text) for row, values in sheet.rows if (text := single_cell(values))]
    start = next((i for i, (_, text) in enumerate(lines) if _opens_item(text)), None)
    if start is None or len(lines) < len(sheet.rows) / 2:
        return False
    read_block([(row, [text]) for row, text in lines[:start]], layout, sheet)
    labels: list[str] = []
    records: list[tuple[int, dict[str, list[str]]]] = []
    part = ""
    for row, text in lines[start:]:
        opened, field = _opens_item(text), _field(text)
        if opened is not None:
            number, rest = opened
            records.append((row, {"Number": [number], "Recommendation": [rest]}))
            part = "Recommendation"
            continue
        cells = records[-1][1]
        sub = words.split_number(text)
        if sub and sub[0].startswith(cells["Number"][0] + "."):
            part = "Sub-recommendations"
        elif field is not None:
            part, text = field[0], field[1]
            if part not in labels:
                labels.append(part)
        cells.setdefault(part, []).append(text)
    headers = [*PROSE_HEADERS, *labels]
    rows = [
        (row, ["\n".join(filter(None, cells.get(header, []))) or None for header in headers])
        for row, cells in records
    ]
    guesses = {index: words.classify_header(header) for index, header in enumerate(headers)}
    table = Table(sheet.name, lines[start][0], make_columns(headers, guesses, rows), rows)
    layout.tables.append(table)
    return True

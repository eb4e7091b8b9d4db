"""Where the plan sits in a source: the title block, the tables, their header rows and columns.

`find_layout` reads each sheet from the top: lines above the first header row are the title
block (the plan's title, an introduction, "Executive Lead: ..." lines, "key: value" details), a
header row is a row of short texts at least half of which name a meaning the tracker knows (one
of them the recommendations' number, text or actions), and a single line straight above a
header row is that table's heading (several tables can share a sheet). Our own return's "Plan"
sheet of details is read as such. The rows of each table are turned into recommendations by
`records`, once `mapping` has given every column its meaning.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING

from openpyxl.utils import get_column_letter

from . import vocabulary as words
from .mapping import column_key
from .preview import Person, Problem

if TYPE_CHECKING:
    from .formats import Sheet, Source

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


# ---------------------------------------------------------------------------- plan details

_PLAN_KEYS = {
    "plan title": "title",
    "title": "title",
    "plan slug": "slug",
    "slug": "slug",
    "introduction": "introduction",
    "about": "introduction",
    "report": "report_title",
    "report title": "report_title",
    "publishing body": "report_publisher",
    "publisher": "report_publisher",
    "report publisher": "report_publisher",
    "report date": "report_date",
    "report published": "report_date",
    "date of report": "report_date",
    "complainant": "complainant",
    "response deadline": "response_deadline",
    "strategic executive lead": "executive_lead",
    "executive lead": "executive_lead",
    "strategic lead": "executive_lead",
    "operational lead": "operational_lead",
}
# Details our own return adds about the return itself, not the plan: read past.
_RETURN_KEYS = words.phrases(
    "period|reporting period|as at|generated|generated by|generated at|exported|exported by|"
    "exported at|force|protective marking|published|field|key"
)
_AS_OF_KEYS = words.phrases(
    "date|as at|as of|updated|last updated|date updated|position as at|status as at|correct as at"
)
_TEXT_LIMITS = {"slug": 100, "introduction": None}


def plan_detail(attribute: str, value: object) -> object:
    """A plan detail read as the preview holds it; Unreadable if it cannot be."""
    if attribute in ("report_date", "response_deadline"):
        return words.read_date(value)
    if attribute in ("executive_lead", "operational_lead"):
        return words.read_person(value)
    text = cell_text(value)
    limit = _TEXT_LIMITS.get(attribute, 300)
    if limit is not None and len(text) > limit:
        raise words.Unreadable(f"is longer than {limit} characters.")
    return text


def _details_sheet(sheet: Sheet) -> bool:
    """A sheet of "key | value" rows, as our own return's "Plan" sheet."""
    keys = [words.normalise(cell_text(at(values, 0))) for _, values in sheet.rows[:40]]
    known = sum(key in _PLAN_KEYS or key in _RETURN_KEYS for key in keys)
    return known >= 3 and known * 2 >= len(keys)


def _read_details(sheet: Sheet, layout: Layout) -> None:
    for row, values in sheet.rows:
        key = cell_text(at(values, 0))
        name = words.normalise(key)
        attribute = _PLAN_KEYS.get(name)
        where = {"sheet": sheet.name, "row": row, "column": 2, "header": " ".join(key.split())}
        if attribute is None:
            if name and name not in _RETURN_KEYS:
                layout.warnings.append(
                    Problem("is not a plan detail this import knows; left out.", **where)
                )
            continue
        try:
            layout.details[attribute] = plan_detail(attribute, at(values, 1))
        except words.Unreadable as error:
            layout.problems.append(Problem(str(error), **where))


# ---------------------------------------------------------------------------- header rows


def _header_guesses(values: list[object]) -> dict[int, words.HeaderGuess] | None:
    """The meaning of each cell if the row is a header row, else None."""
    for value in values:
        if isinstance(value, bool | int | float):
            return None  # data: a number, a count, a percentage
        if type(value) is str and len(value) > MAX_HEADER_CHARS:
            return None
    cells = [(index, value) for index, value in enumerate(values) if not is_blank(value)]
    if len(cells) < 2 or any(_numbered(value) for _, value in cells):
        return None
    guesses = {index: words.classify_header(words.clean_header(value)) for index, value in cells}
    known = [guess.meaning for guess in guesses.values() if guess.meaning]
    keys = {words.Meaning.NUMBER, words.Meaning.TEXT, words.Meaning.SUBS}
    if len(known) >= 2 and keys & set(known) and len(known) * 2 >= len(cells):
        return guesses
    return None


_NUMBER_ALONE = re.compile(r"\s*(?:[A-Z]{1,4} ?)?\d+(?:\.\d+)*[a-z]?[.)]?\s*")


def _numbered(value: object) -> bool:
    """A cell that is, or opens with, a recommendation's number: data, not a header."""
    return type(value) is str and bool(_NUMBER_ALONE.fullmatch(value) or words.split_number(value))


def _columns(header: list[object], guesses: dict[int, words.HeaderGuess], rows) -> list[Column]:
    width = max([len(header), *(len(values) for _, values in rows)])
    filled, first = [0] * width, [None] * width
    for _, values in rows:
        for index, value in enumerate(values):
            if value is not None and (type(value) is not str or value.strip()):
                if not filled[index]:
                    first[index] = value
                filled[index] += 1
    columns, keys = [], set()
    for index in range(width):
        title = words.clean_header(at(header, index))
        if not title and not filled[index]:
            continue
        key = column_key(title, letter=get_column_letter(index + 1))
        if key in keys:  # a repeated header in one table: "status", "status 2"
            key = next(f"{key} {n}" for n in range(2, width + 2) if f"{key} {n}" not in keys)
        keys.add(key)
        guess = guesses.get(index) or words.HeaderGuess(None)
        sample = cell_text(first[index])
        columns.append(
            Column(
                index=index,
                header=title,
                key=key,
                guess=guess,
                filled=filled[index],
                sample=sample if len(sample) <= SAMPLE_CHARS else sample[: SAMPLE_CHARS - 1] + "…",
                # Only a column of actions needs telling whether it holds counts instead.
                whole_numbers=guess.meaning == words.Meaning.SUBS
                and filled[index] > 0
                and all(
                    _whole_number(value)
                    for _, values in rows
                    if not is_blank(value := at(values, index))
                ),
                numbers=guess.meaning is None
                and filled[index] > 0
                and all(
                    _whole_number(value) or bool(_NUMBER_ALONE.fullmatch(cell_text(value)))
                    for _, values in rows
                    if not is_blank(value := at(values, index))
                ),
            )
        )
    return columns


def _whole_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and value.strip().isdigit()


# ---------------------------------------------------------------------------- title blocks

_NOISE = re.compile(
    r"\bcookies?\b|\bjavascript\b|\bthis (web)?site is a beta\b|\bskip to (the )?(main )?content"
    r"|\bleave this site\b|\baccept all\b|\breject all\b|\btechnical problem\b"
    r"|\byour feedback\b|\bprivacy (notice|policy)\b|\bback to top\b|^\s*page \d+( of \d+)?\s*$",
    re.I,
)
_MARKING = re.compile(
    r"(official|official[\s-]*sensitive|not protectively marked|restricted|unclassified)"
    r"(\s*[-:]\s*\w+)?",
    re.I,
)
_COUNT_LINE = re.compile(r".*:\s*[\d%.,]+\s*")


def title_like(line: str) -> bool:
    """A line that can be a title or a table's heading: one short line, not a sentence, not
    a count ("Open - Actions on going on track: 15")."""
    return (
        0 < len(line) <= TITLE_CHARS
        and "\n" not in line
        and not line.endswith(".")
        and not _COUNT_LINE.fullmatch(line)
    )


def _noise(line: str) -> bool:
    """Page furniture around a published plan: cookie banners, beta notices, markings."""
    return bool(_NOISE.search(line)) or bool(_MARKING.fullmatch(line.strip()))


def _block_lines(values: list[object]) -> list[str]:
    texts = [cell_text(value) for value in values if not is_blank(value)]
    if len(texts) == 1:
        return [line.strip() for line in texts[0].split("\n") if line.strip()]
    return [" ".join(" ".join(texts).split())]  # "Executive Lead:" | "ACC Vaughn Lukey"


def _single_cell(values: list[object]) -> str | None:
    cells = [value for value in values if not is_blank(value)]
    return cell_text(cells[0]) if len(cells) == 1 and isinstance(cells[0], str) else None


def _heading_line(values: list[object]) -> str | None:
    """The text of a row that can head a table: one cell, a recommendation or a short line,
    not a lead, a detail or page furniture."""
    text = _single_cell(values)
    if text is None or _noise(text) or words.lead_line(text) is not None:
        return None
    key, colon, value = text.partition(":")
    if colon and value.strip() and words.normalise(key) in _PLAN_KEYS:
        return None
    return text if item_heading(text) or title_like(text) else None


def item_heading(text: str) -> tuple[str, str] | None:
    """A heading naming a recommendation: "Recommendation 1: By 1 August 2023, ..." ->
    ("1", "By 1 August 2023, ...")."""
    found = words.split_number(text)
    return found if found is not None and found[1] else None


def _read_block(rows: list[tuple[int, list[object]]], layout: Layout, sheet: Sheet) -> None:
    """The lines above a sheet's first table: leads, "key: value" details, the title (the
    first short line, before any sentence) and the introduction (every other line)."""
    introduction = []
    for row, values in rows:
        for line in _block_lines(values):
            if _noise(line):
                continue
            lead = words.lead_line(line)
            if lead is not None:
                which, who = lead
                if getattr(layout, which) is None:
                    try:
                        setattr(layout, which, words.read_person(who))
                    except words.Unreadable as error:
                        layout.warnings.append(Problem(str(error), sheet=sheet.name, row=row))
                continue
            key, colon, value = line.partition(":")
            attribute = _PLAN_KEYS.get(words.normalise(key)) if colon else None
            if colon and words.normalise(key) in _AS_OF_KEYS and layout.as_of is None:
                # "Date: 1 November 2023", "Last updated: 1 November 2023"
                layout.as_of = words.date_in_text(value)
                if layout.as_of is not None:
                    continue
            if attribute is not None and value.strip():
                try:
                    layout.details.setdefault(attribute, plan_detail(attribute, value.strip()))
                except words.Unreadable as error:
                    layout.warnings.append(Problem(str(error), sheet=sheet.name, row=row))
                continue
            if layout.as_of is None:
                layout.as_of = words.as_of_date(line)
            if not layout.title and not introduction and title_like(line):
                layout.title = line
            else:
                introduction.append(line)
    if introduction and not layout.introduction:
        layout.introduction = "\n".join(introduction)


# ---------------------------------------------------------------------------- sheets


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
    details = next((sheet for sheet in sheets if _details_sheet(sheet)), None)
    if details is not None:
        _read_details(details, layout)
        sheets.remove(details)
        names = {sheet.name.casefold() for sheet in sheets}
        if "return" in names:
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
        guesses = _header_guesses(values)
        if guesses is not None:
            headers.append((position, guesses))
    if not headers:
        if rows and not _read_prose(sheet, layout):
            layout.skipped_sheets.append(sheet.name)
        return
    ends = [position for position, _ in headers[1:]] + [len(rows)]
    start = headers[0][0]
    above = rows[start - 1] if start else None
    if above is not None and _heading_line(above[1]) is None:
        above = None
    _read_block(rows[: start - 1] if above else rows[:start], layout, sheet)
    for (position, guesses), end in zip(headers, ends, strict=True):
        data = rows[position + 1 : end]
        following = None
        # A single line straight above the next header row heads the next table.
        if end < len(rows) and data and _heading_line(data[-1][1]) is not None:
            following, data = data[-1], data[:-1]
        row, values = rows[position]
        if data and data[0][0] == row + 1 and (below := _second_header(values, data[0][1])):
            (values, guesses), data = below, data[1:]
        table = Table(sheet.name, row, _columns(values, guesses, data), data)
        table.spanning = {
            (first_row, first_column)
            for first_row, first_column, _, last_column in getattr(sheet, "merged", [])
            if last_column > first_column
        }
        if above is not None:
            _head(table, above[0], _heading_line(above[1]), layout)
        layout.tables.append(table)
        above = following


def _second_header(
    header: list[object], values: list[object]
) -> tuple[list[object], dict[int, words.HeaderGuess]] | None:
    """A header of two rows: the row under the header names the columns a cell of the header
    spans ("Progress updates" over "April 2023", "October 2023"). The header row's values and
    guesses with the two merged, or None when the row under it is data."""
    cells = [(index, value) for index, value in enumerate(values) if not is_blank(value)]
    if not cells or not any(is_blank(at(header, index)) for index, _ in cells):
        return None
    for _, value in cells:
        if isinstance(value, dt.date):
            continue
        if type(value) is not str or len(value) > MAX_HEADER_CHARS or _numbered(value):
            return None
    merged, group = list(header) + [None] * (len(values) - len(header)), ""
    lower = dict(cells)
    for index, value in enumerate(merged):
        upper = words.clean_header(value)
        group = upper or group
        if index in lower:
            below = words.clean_header(lower[index])
            known = words.classify_header(below).meaning is not None
            merged[index] = below if known or not group else f"{group} {below}"
    texts = {i: words.clean_header(v) for i, v in enumerate(merged) if not is_blank(v)}
    guesses = {index: words.classify_header(text) for index, text in texts.items()}
    if sum(guess.meaning is not None for guess in guesses.values()) * 2 < len(guesses):
        return None
    return merged, guesses


# ---------------------------------------------------------------------------- prose

# What a labelled line of prose may give a recommendation ("March 2026 update: ...").
_FIELD_MEANINGS = ("period", "status", "owner", "due", "addressee", "update_date")
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


def _read_prose(sheet: Sheet, layout: Layout) -> bool:
    """A plan written as paragraphs, as some forces publish it on a web page: a line opening
    each recommendation, its sub-recommendations ("7.1 - ...") and labelled lines ("Update:
    ...", "Status: Green") under it. Read as the table it would be, one row a recommendation,
    so that its labels are columns the mapping shows and the user may change."""
    lines = [(row, text) for row, values in sheet.rows if (text := _single_cell(values))]
    start = next((i for i, (_, text) in enumerate(lines) if _opens_item(text)), None)
    if start is None or len(lines) < len(sheet.rows) / 2:
        return False
    _read_block([(row, [text]) for row, text in lines[:start]], layout, sheet)
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
    table = Table(sheet.name, lines[start][0], _columns(headers, guesses, rows), rows)
    layout.tables.append(table)
    return True


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


# ---------------------------------------------------------------------------- records

# Cells a recommendation, or in a table of actions each action, has of its own.
_VALUE_MEANINGS = ("owner", "due", "status", "period", "update_date", "detail", "addressee")


@dataclass(eq=False)
class Record:
    """A recommendation, sub-recommendation or action found in a table, with the rows whose
    other cells (owner, dates, progress, details) are its own."""

    sheet: str
    row: int
    number: str = ""
    text: str = ""
    section: str = ""
    column: Column | None = None  # where its number (or, without one, its text) was read
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    children: list[Record] = field(default_factory=list)
    heading: bool = False  # made from a heading row, its actions in the rows under it
    table: Table | None = field(default=None, repr=False)
    dropped: bool = False  # a problem keeps it, and its children, out of the preview


def _problem(layout: Layout, message: str, record_or_sheet, row=None, column=None) -> None:
    sheet = record_or_sheet if isinstance(record_or_sheet, str) else record_or_sheet.sheet
    row = row if row is not None else getattr(record_or_sheet, "row", None)
    place = {"sheet": sheet, "row": row}
    if column is not None:
        place |= {"column": column.index + 1, "header": column.header}
    layout.problems.append(Problem(message, **place))


_PREFIXED_NUMBER = re.compile(r"([A-Za-z]+) ?(\d+)")


def _siblings(number: str, other: str) -> bool:
    """Two numbers of one series: "AFI 3" and "AFI 2", "R4" and "R3" (not "2" and "1", which
    may count actions within a recommendation)."""
    first, second = _PREFIXED_NUMBER.fullmatch(number), _PREFIXED_NUMBER.fullmatch(other)
    return bool(
        first and second and first[1].casefold() == second[1].casefold() and first[2] != second[2]
    )


def _combine(number: str, text: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The items one row gives: its own number and text, and the sub-recommendations or
    actions of its actions' column."""
    if not pairs:
        return [(number, text)] if number or text else []
    if len(pairs) == 1:
        sub_number, sub_text = pairs[0]
        return [(number or sub_number, "\n".join(filter(None, [text, sub_text])))]
    return ([(number, text)] if number or text else []) + pairs


class _TableReader:
    """Turns the rows of one table into records, reporting what cannot be read."""

    def __init__(self, table: Table, layout: Layout):
        self.table, self.layout = table, layout
        self.number = table.column("number")
        self.text = table.column("text")
        self.subs = table.column("subs")
        self.sub_texts = table.column("sub_texts")
        self.values = [c.index for c in table.columns if c.meaning in _VALUE_MEANINGS]
        self.leftmost = min((c.index for c in table.columns), default=0)
        self.own_columns = {c.index for c in (self.text, self.subs, self.sub_texts) if c}
        self.records: list[Record] = []
        self.current: Record | None = None
        self.under_heading = False  # every row is an action of the current recommendation
        self.section, self.section_row = table.heading, None
        self.per_child = self._per_child()
        self.numbered = self._numbered()

    def _per_child(self) -> bool:
        """Whether the rows of actions carry their own progress (owner, update, status...),
        so that a row's cells belong to its action rather than to its recommendation."""
        own = [c.index for c in (self.number, self.text) if c]
        subs = [c.index for c in (self.subs, self.sub_texts) if c]
        if not subs or self.text is None:
            return False
        previous = None
        for _, values in self.table.rows:
            width = len(values)
            mine = tuple(values[i] if i < width else None for i in own)
            if any(i < width and not is_blank(values[i]) for i in subs) and any(
                i < width and not is_blank(values[i]) for i in self.values
            ):
                if all(is_blank(value) for value in mine):
                    return True
                if mine == previous:
                    return True  # the recommendation repeated on every row of its actions
            previous = mine
        return False

    def _numbered(self) -> bool:
        """Whether the table numbers its recommendations at all (else each row is one)."""
        texts = self.text or self.subs
        if self.table.heading_item or texts is None:
            return True
        for _, values in self.table.rows:
            if self.number and not is_blank(at(values, self.number.index)):
                return True
            if words.split_number(cell_text(at(values, texts.index))):
                return True
        return False

    # -- a row's parts

    def _own(self, row: int, values: list[object]) -> tuple[str, str, Column | None] | None:
        number, extra, column = "", "", None
        raw = at(values, self.number.index) if self.number is not None else None
        if type(raw) is int:
            number, column = str(raw), self.number
        elif not is_blank(raw):
            try:
                written = words.number_text(raw)
            except words.Unreadable as error:
                _problem(self.layout, str(error), self.table.sheet, row, self.number)
                return None
            found = words.split_number(written)  # "Recommendation 7", "7 - text"
            number, extra = found if found else (written.rstrip(".").strip(), "")
            column = self.number
        text = cell_text(at(values, self.text.index)) if self.text else ""
        if extra:
            text = f"{extra}\n{text}" if text else extra
        if not number and text and (found := words.split_number(text)):
            (number, text), column = found, self.text
        if text and self.text is not None:
            text = words.strip_label(text, self.text.header)
        return number, text, column

    def _pairs(self, row: int, values: list[object]) -> list[tuple[str, str]] | None:
        if self.subs is None and self.sub_texts is None:
            return []
        numbers = cell_text(at(values, self.subs.index)) if self.subs else ""
        texts = cell_text(at(values, self.sub_texts.index)) if self.sub_texts else ""
        try:
            pairs = words.parse_subs(numbers, texts)
        except words.Unreadable as error:
            where = self.sub_texts if texts and not numbers else self.subs
            _problem(self.layout, str(error), self.table.sheet, row, where)
            return None
        label = (self.subs or self.sub_texts).header
        return [(number, words.strip_label(text, label)) for number, text in pairs]

    # -- records

    def _new(self, row: int, number: str, text: str, column: Column | None) -> Record:
        record = Record(self.table.sheet, row, number, text, self.section, column)
        record.table = self.table
        self.records.append(record)
        self.current, self.section_row = record, None
        return record

    def _children(self, parent: Record, parts, row: int, column: Column | None) -> list[Record]:
        made = [
            Record(self.table.sheet, row, number, text, parent.section, column, table=self.table)
            for number, text in parts
        ]
        parent.children += made
        return made

    def _heading(self, row: int, values: list[object], following) -> bool:
        """A row of one text in the first column: a recommendation whose actions follow, or
        the heading of the next part of the table."""
        text = _single_cell(values)
        index = next((i for i, value in enumerate(values) if not is_blank(value)), None)
        if text is not None and _noise(text):
            return True  # a page number or a marking repeated down a printed table
        if text is None or index != self.leftmost:
            return False
        if index in self.own_columns and (row, index) not in self.table.spanning:
            # A short line alone in the text column just before a numbered row heads a part.
            own = self._own(following[0], following[1]) if following else None
            if words.split_number(text) or not title_like(text) or not (own and own[0]):
                return False
            self.section, self.section_row, self.current = text, row, None
            return True
        found = item_heading(text)
        if found is None:
            try:
                words.check_number(text)
                return False  # a number alone: a row whose other cells are blank
            except words.Unreadable:
                pass
        if found is not None or (self.text is None and title_like(text)):
            number, text = found or ("", text)
            self._new(row, number, text, self.table.columns[0]).heading = True
            self.under_heading = True
        elif title_like(text):
            self._left_out()
            self.section, self.section_row = text, row
            self.current, self.under_heading = None, False
        else:
            self.layout.warnings.append(
                Problem(
                    f'"{text[:60]}" stands alone outside the recommendations: left out.',
                    sheet=self.table.sheet,
                    row=row,
                )
            )
        return True

    def _left_out(self) -> None:
        if self.section_row is not None:
            self.layout.warnings.append(
                Problem(
                    f'"{self.section[:60]}" heads no recommendation: left out.',
                    sheet=self.table.sheet,
                    row=self.section_row,
                )
            )
            self.section_row = None

    def read(self) -> list[Record]:
        if self.table.heading_item is not None:
            row, number, text = self.table.heading_item
            self._new(row, number, text, None).heading = True
            self.under_heading = True
        rows = self.table.rows
        for position, (row, values) in enumerate(rows):
            following = rows[position + 1] if position + 1 < len(rows) else None
            if not self._heading(row, values, following):
                self._row(row, values)
        self._left_out()
        for record in self.records:
            _strip_common_label(record.children)
        return self.records

    def _row(self, row: int, values: list[object]) -> None:
        own, pairs = self._own(row, values), self._pairs(row, values)
        if own is None or pairs is None:
            if not self.under_heading:
                # Rows under a recommendation that cannot be read go with it.
                self.current = Record(self.table.sheet, row, dropped=True)
            return
        number, text, column = own
        width = len(values)
        has_values = any(index < width and not is_blank(values[index]) for index in self.values)
        current = self.current
        if self.under_heading and current is not None and _siblings(number, current.number):
            self.under_heading = False  # "AFI 3" after the heading "AFI 2": the next one
        if number and not text and not pairs and not any(c.isdigit() for c in number):
            # "Total", "Key": a row about the table, not a recommendation.
            self.layout.warnings.append(
                Problem(
                    f'"{number[:40]}" is not a recommendation number and its row has no '
                    "recommendation text: left out.",
                    sheet=self.table.sheet,
                    row=row,
                )
            )
            return
        if not self.under_heading and self.text is None and len(pairs) == 1:
            # Without a text column, the actions' column holds each row's text.
            (sub_number, text), pairs = pairs[0], []
            number, column = number or sub_number, column or self.subs
        if self.under_heading and current is not None:
            made = self._children(current, _combine(number, text, pairs), row, column or self.subs)
            target = made[-1] if made else (current.children or [current])[-1]
        elif number and current is not None and number.startswith(f"{current.number}."):
            made = self._children(current, _combine(number, text, pairs), row, column)
            target = made[-1]
        elif (
            current is not None
            and (number or text)
            and number in ("", current.number)
            and text in ("", current.text)
        ):
            # The recommendation written again on each row of its actions.
            made = self._children(current, pairs, row, self.subs)
            target = made[-1] if made and self.per_child else current
        elif number or (text and not self.numbered):
            target = record = self._new(row, number, text, column or self.text)
            made = self._children(record, pairs, row, self.subs)
            target = made[-1] if made and self.per_child else record
        elif current is None:
            if text or pairs or has_values:
                message = (
                    "the recommendation number is missing."
                    if self.number or self.numbered
                    else "the recommendation text is missing."
                )
                _problem(self.layout, message, self.table.sheet, row, self.number or self.text)
            return
        else:
            if text:
                current.text = f"{current.text}\n{text}" if current.text else text
            made = self._children(current, pairs, row, self.subs)
            if made:
                target = made[-1] if self.per_child else current
            else:
                target = current.children[-1] if self.per_child and current.children else current
        target.rows.append((row, values))


def _strip_common_label(items: list[Record]) -> None:
    """Drop a label every sub-recommendation repeats ("Evidence requirements: ...")."""
    heads = {item.text.partition(":")[0] if ":" in item.text else None for item in items}
    if len(items) < 2 or len(heads) != 1:
        return
    head = heads.pop()
    if head and len(head) <= 60 and not any(character.isdigit() for character in head):
        for item in items:
            item.text = item.text.partition(":")[2].strip()


def read_records(table: Table, layout: Layout) -> list[Record]:
    """The recommendations a table's rows make, each with its sub-recommendations or actions."""
    return _TableReader(table, layout).read()


_RELATIVE = re.compile(r"\d+|[a-z]|[ivx]+", re.I)


def number_records(records: list[Record], layout: Layout) -> list[Record]:
    """Give every record a number unique in the plan, or leave it out with a problem: numbers
    as written; a bare "1" or "a" under a recommendation counts within it ("7.1"); a
    recommendation without one takes its actions' common prefix or the next free whole
    number; an action without one the next free "7.n"."""
    used: dict[str, Record] = {}

    def claim(record: Record, number: str) -> bool:
        try:
            words.check_number(number)
        except words.Unreadable as error:
            _problem(layout, str(error), record, column=record.column)
            return False
        if number in used:
            first = used[number]
            where = f"row {first.row}" + (
                f' of "{first.sheet}"' if first.sheet != record.sheet else ""
            )
            _problem(
                layout,
                f"the number {number} is already used on {where}.",
                record,
                column=record.column,
            )
            return False
        used[number], record.number = record, number
        return True

    def free(prefix: str = "") -> str:
        return next(f"{prefix}{n}" for n in range(1, len(used) + 2) if f"{prefix}{n}" not in used)

    for record in records:
        if record.number and not claim(record, record.number):
            record.dropped = True
        elif not record.text and not record.dropped and not record.heading:
            _problem(layout, "the recommendation text is missing.", record, column=record.column)
            record.dropped = True
    numbered: dict[int, list[Record]] = {}  # by table: those numbered in file order
    for record in records:
        if record.number or record.dropped:
            continue
        if record.heading and not record.children:
            layout.warnings.append(
                Problem(
                    f'"{record.text[:60]}" heads no actions: left out.',
                    sheet=record.sheet,
                    row=record.row,
                )
            )
            record.dropped = True
            continue
        prefixes = {child.number.rpartition(".")[0] for child in record.children}
        prefix = prefixes.pop() if len(prefixes) == 1 else ""
        number = prefix if prefix and prefix not in used else free()
        if number != prefix:
            numbered.setdefault(id(record.table), []).append(record)
        record.dropped = not claim(record, number)
    for made in numbered.values():
        first, last = made[0], made[-1]
        message = (
            f"has no number: numbered {first.number}."
            if len(made) == 1
            else f"{len(made)} recommendations from here on have no number: numbered "
            f"{first.number} to {last.number} in file order."
        )
        layout.warnings.append(Problem(message, sheet=first.sheet, row=first.row))
    kept = [record for record in records if not record.dropped]
    for record in kept:
        for child in record.children:
            if not child.number:
                continue
            number = child.number
            if number == record.number:  # the recommendation's number repeated on its actions
                child.number = ""
                continue
            if _RELATIVE.fullmatch(number):
                number = f"{record.number}.{number}"
            elif not number.startswith(f"{record.number}."):
                layout.warnings.append(
                    Problem(
                        f"{number} does not start with {record.number}.",
                        sheet=child.sheet,
                        row=child.row,
                    )
                )
            child.dropped = not claim(child, number)
    for record in kept:
        for child in record.children:
            if not child.number and not child.dropped:
                child.dropped = not claim(child, free(f"{record.number}."))
        record.children = [child for child in record.children if not child.dropped]
    return kept

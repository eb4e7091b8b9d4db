"""Bringing an existing plan in from a spreadsheet: our own XLSX return, or the layouts forces
already publish.

Reading never writes: `read_plan` returns a preview holding the plan, its periods and its
recommendations, and every problem found, each placed by sheet, row and column. `save_plan`
then writes the whole plan through the services in one transaction, or nothing at all.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field

import openpyxl
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from openpyxl.utils import get_column_letter

from .. import services
from ..choices import NO_STATUS_LABEL, SignOff, Status, status_label
from ..models import NUMBER_IN_ADDRESSES, Owner, Plan
from .common import PENDING_PREFIX

# A 5 MB upload of XML compresses about tenfold; anything that unpacks far beyond that is not a
# plan but an attempt to exhaust memory.
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 200
HEADER_SEARCH_ROWS = 15
# Formatted but empty rows can run to the sheet's end; this many in a row ends the table.
BLANK_ROWS_ENDING_TABLE = 500

NUMBER, TEXT, SUBS, SUB_TEXTS, ADDRESSEE, OWNER, DUE, STATUS, PERIOD, IGNORED, UNKNOWN = (
    "number",
    "text",
    "subs",
    "sub_texts",
    "addressee",
    "owner",
    "due",
    "status",
    "period",
    "ignored",
    "unknown",
)


class NotAWorkbook(Exception):
    """The bytes are not an XLSX workbook that can be read."""


class ImportRefused(Exception):
    """Saving was refused; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    """Something wrong (or, as a warning, worth knowing) about one place in the file."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: int | None = None  # 1-based, as spreadsheets count
    header: str = ""

    @property
    def location(self) -> str:
        parts = [f'Sheet "{self.sheet}"'] if self.sheet else []
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            letter = f"column {get_column_letter(self.column)}"
            parts.append(f"{letter} ({self.header})" if self.header else letter)
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


@dataclass
class Person:
    """An officer named in the file: matched to an existing Owner, or to be created."""

    rank: str
    name: str
    existing: Owner | None = None

    def __str__(self) -> str:
        return f"{self.rank} {self.name}".strip()

    @property
    def key(self) -> tuple[str, str]:
        return (self.rank, self.name)


@dataclass
class SubItem:
    number: str
    text: str


@dataclass
class PeriodCell:
    """One recommendation's update in one reporting period, as the file gives it."""

    period: str
    text: str = ""
    status: str = ""
    # Our own return marks updates not yet signed off; they come back awaiting sign-off.
    pending: bool = False

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def is_empty(self) -> bool:
        return not self.text and not self.status


@dataclass
class RecommendationRow:
    row: int
    number: str
    text: str
    addressee: str = ""
    owner: Person | None = None
    due_date: dt.date | None = None
    due_date_from_text: bool = False
    subs: list[SubItem] = field(default_factory=list)
    cells: list[PeriodCell] = field(default_factory=list)


@dataclass
class ImportPreview:
    """What an import would write, and every problem that stops it."""

    filename: str
    sheet: str = ""
    header_row: int | None = None
    title: str = ""
    slug: str = ""
    introduction: str = ""
    report_title: str = ""
    report_publisher: str = ""
    report_date: dt.date | None = None
    complainant: str = ""
    response_deadline: dt.date | None = None
    executive_lead: Person | None = None
    operational_lead: Person | None = None
    periods: list[str] = field(default_factory=list)
    recommendations: list[RecommendationRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    existing_plan: Plan | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def reason(self) -> str:
        return f"Imported from {self.filename}"

    @property
    def people(self) -> list[Person]:
        found = [self.executive_lead, self.operational_lead]
        found += [row.owner for row in self.recommendations]
        return [person for person in found if person is not None]

    @property
    def new_people(self) -> list[Person]:
        unique = {person.key: person for person in self.people if person.existing is None}
        return list(unique.values())


# ---------------------------------------------------------------------------- the workbook


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula: its text is not the value a reader of the sheet sees."""

    text: str


def open_workbook(data: bytes):
    """The workbook in `data`, read-only; NotAWorkbook says in plain words why it cannot be."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise NotAWorkbook(
            "This file is not an Excel workbook (.xlsx). If it is an older .xls file or a CSV, "
            'open it in Excel and save it as "Excel Workbook (.xlsx)".'
        ) from None
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise NotAWorkbook("This file is a zip archive, not an Excel workbook (.xlsx).")
    if unpacked > MAX_UNPACKED_BYTES:
        raise NotAWorkbook(
            f"This workbook unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB, far "
            "more than a plan needs. Remove other sheets or images and try again."
        )
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds of error on damaged files
        raise NotAWorkbook(
            "The workbook could not be read: it may be damaged. Open it in Excel, save it again "
            "as .xlsx and retry."
        ) from error


def _cell_value(cell):
    if getattr(cell, "data_type", None) == "f":
        return Formula(str(cell.value))
    return cell.value


def _grid(worksheet) -> tuple[list[list[object]], bool]:
    """The sheet's values as rows (trailing blank rows dropped); True if it was cut short."""
    rows: list[list[object]] = []
    blank_run = filled = 0
    for cells in worksheet.iter_rows(max_col=MAX_COLUMNS):
        values = [_cell_value(cell) for cell in cells]
        if _is_blank_row(values):
            blank_run += 1
            if blank_run >= BLANK_ROWS_ENDING_TABLE:
                break
        else:
            blank_run = 0
            filled += 1
            if filled > MAX_ROWS + HEADER_SEARCH_ROWS:
                return rows, True
        rows.append(values)
    while rows and _is_blank_row(rows[-1]):
        rows.pop()
    return rows, False


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_blank_row(values) -> bool:
    return all(_is_blank(value) for value in values)


def _at(row: list[object], index: int):
    return row[index] if index < len(row) else None


# ---------------------------------------------------------------------------- headers


def _alternatives(text: str) -> frozenset[str]:
    return frozenset(text.split("|"))


_MISSPELLINGS = {
    "recomendation": "recommendation",
    "reccomendation": "recommendation",
    "reccommendation": "recommendation",
    "recommedation": "recommendation",
    "recommendaton": "recommendation",
    "recommandation": "recommendation",
    "subrecommendation": "sub recommendation",
    "responce": "response",
    "reponse": "response",
    "repsonse": "response",
    "upate": "update",
    "udpate": "update",
    "adressee": "addressee",
    "addresee": "addressee",
    "adresee": "addressee",
    "addresse": "addressee",
    "reccomended": "recommended",
}


def normalise(text: str) -> str:
    """Lower case, punctuation to spaces, common misspellings corrected: 'Rec. No.' -> 'rec no'."""
    words = re.sub(r"[\W_]+", " ", text.casefold().replace("&", " and ")).split()
    fixed = []
    for word in words:
        plural = word.endswith("s") and word[:-1] in _MISSPELLINGS
        base = _MISSPELLINGS.get(word[:-1] if plural else word, word[:-1] if plural else word)
        fixed.append(base + ("s" if plural else ""))
    return " ".join(fixed)


_NUMBER_HEADERS = _alternatives(
    "rec no|rec number|rec ref|recommendation no|recommendation number|"
    "recommendation ref|recommendation reference|no|number|ref|ref no|reference|"
    "reference number|item|item no"
)
_TEXT_HEADERS = _alternatives(
    "recommendation|recommendations|recommendation text|recommendation detail|"
    "recommendation details|rec text|recommendation wording"
)
_ADDRESSEE_HEADERS = _alternatives(
    "addressee|addressees|rec owner|rec owners|recommendation owner|addressed to|"
    "recipient|report addressee"
)
_OWNER_HEADERS = _alternatives(
    "owner|lead|accountable owner|accountable lead|force lead|force owner|"
    "lead officer|action owner|responsible officer|owner lead"
)
_DUE_HEADERS = _alternatives(
    "due date|due|deadline|date due|target date|completion date|target completion date"
)
_IGNORED_HEADERS = _alternatives(
    "rag|rag status|rag rating|last updated|date last updated|last updated date|"
    "date updated|date of last update|updated"
)
_STATUS_HEADERS = {"status", "current status", "overall status", "status rating"}
_PERIOD_WORDS = {"response", "responses", "update", "updates", "progress", "return"}


@dataclass
class Column:
    index: int  # 0-based
    kind: str
    header: str  # as written, whitespace collapsed
    label: str = ""  # the period a period or status column belongs to


def _header_text(value) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def classify(header: str) -> tuple[str, str]:
    """What a column holds, judged by the meaning of its header; and its period label if any."""
    name = normalise(header)
    if not name:
        return UNKNOWN, ""
    if name in _IGNORED_HEADERS:
        return IGNORED, ""
    bracketed = re.fullmatch(r"(.*?)\((.+)\)\s*", header)
    unbracketed = normalise(bracketed.group(1)) if bracketed else name
    if unbracketed in _STATUS_HEADERS:
        return STATUS, " ".join(bracketed.group(2).split()) if bracketed else ""
    if name in _NUMBER_HEADERS:
        return NUMBER, ""
    if name.startswith("sub rec") or "evidence requirement" in name:
        return SUBS, ""
    if name in _ADDRESSEE_HEADERS or name.startswith("addressed to"):
        return ADDRESSEE, ""
    if name in _TEXT_HEADERS:
        return TEXT, ""
    if name in _OWNER_HEADERS:
        return OWNER, ""
    if name in _DUE_HEADERS:
        return DUE, ""
    if _PERIOD_WORDS & set(name.split()):
        return PERIOD, header
    return UNKNOWN, ""


def _classify_row(values: list[object]) -> list[Column]:
    columns = []
    for index, value in enumerate(values):
        header = _header_text(value)
        kind, label = classify(header)
        columns.append(Column(index, kind if header else "", header, label))
    # Sub-recommendation numbers may sit in their own column with the texts beside them, under
    # one (merged) header or a header of their own.
    for column, following in itertools.pairwise(columns):
        if column.kind == SUBS and following.kind in ("", SUBS):
            following.kind = SUB_TEXTS
    return columns


def _find_header(grid: list[list[object]]) -> tuple[int, list[Column]] | None:
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns = _classify_row(row)
        kinds = {column.kind for column in columns}
        if NUMBER in kinds and TEXT in kinds:
            return index, columns
    return None


# ---------------------------------------------------------------------------- cell values


class CellError(Exception):
    """A cell's value cannot be used; the message says why and what to do."""


def text_value(value) -> str:
    """A text cell's content, line breaks kept; CellError if it holds anything but text."""
    if value is None:
        return ""
    if isinstance(value, Formula):
        raise CellError(
            f"holds a formula ({value.text[:40]}), not text: paste its value as text instead."
        )
    if isinstance(value, dt.datetime | dt.date | dt.time):
        raise CellError("should be text but holds a date.")
    if not isinstance(value, str):
        raise CellError(f"should be text but holds the number {value}.")
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def number_text(value) -> str:
    """A number cell as text: 7 and 7.0 read "7"."""
    if isinstance(value, bool):
        raise CellError("should be a recommendation number, not TRUE or FALSE.")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, "g")
    return " ".join(text_value(value).split())


_RECOMMENDATION_NUMBER = re.compile(r"(?:[A-Za-z]+ ?)?\d+(?:[.\-/]?[A-Za-z0-9]+)*")


def recommendation_number(value) -> str:
    number = number_text(value).rstrip(".")
    if not number:
        raise CellError("the recommendation number is missing.")
    try:
        NUMBER_IN_ADDRESSES(number)
    except ValidationError as error:
        raise CellError(f'"{number[:40]}": {error.messages[0]}') from None
    if len(number) > 20 or not _RECOMMENDATION_NUMBER.fullmatch(number):
        raise CellError(
            f'"{number[:40]}" does not look like a recommendation number (e.g. 7, 10.2).'
        )
    return number


_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b", re.IGNORECASE)
_DATE_FORMATS = (
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d %B %Y",
    "%d %b %Y",
    "%d %B %y",
    "%d %b %y",
    "%d %b. %Y",
)
# Words that stand for "no value yet" in date and person cells.
_BLANK_WORDS = {"tbc", "tbd", "n/a", "na", "-", "none", "ongoing", "not set"}


def date_value(value) -> dt.date | None:
    """A date cell, or text such as 27/03/2025, 27 March 2025, 2025-03-27; None if blank."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = " ".join(text_value(value).split())
    if not text or text.casefold() in _BLANK_WORDS:
        return None
    text = _ORDINAL.sub(r"\1", text).rstrip(".")
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        pass
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise CellError(f'"{text[:40]}" is not a date this import can read: write it as 27/03/2025.')


_STATUS_WORDS = {label.casefold(): value for value, label in Status.choices}
_STATUS_WORDS |= {value.replace("_", " "): value for value in Status.values}
_STATUS_WORDS |= {"completed": Status.COMPLETE, NO_STATUS_LABEL.casefold(): ""}


def status_value(value) -> str:
    text = " ".join(re.sub(r"[-_]", " ", text_value(value)).casefold().split())
    if not text:
        return ""
    if text not in _STATUS_WORDS:
        allowed = ", ".join(f'"{label}"' for label in Status.labels)
        raise CellError(f'"{text_value(value)[:40]}" is not a status. Use one of {allowed}.')
    return _STATUS_WORDS[text]


_DUE_IN_TEXT = re.compile(
    r"\s*by\s+(\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]+\s+\d{4})\b",
    re.IGNORECASE,
)


def due_date_in_text(text: str) -> dt.date | None:
    """The deadline a recommendation opens with ("By 27/03/25, ..."), if it can be read."""
    match = _DUE_IN_TEXT.match(text)
    if not match:
        return None
    try:
        return date_value(match.group(1))
    except CellError:
        return None


# Ranks as forces write them before a name, with the acting (A/), temporary (T/) and
# detective (D/, Det) prefixes; longest first so "Ch Supt" wins over "Supt".
_RANKS = sorted(
    _alternatives(
        "Chief Constable|Deputy Chief Constable|Assistant Chief Constable|"
        "Chief Superintendent|Chief Supt|Ch Supt|Ch. Supt|C/Supt|Superintendent|Supt|"
        "Chief Inspector|Ch Insp|C/Insp|Inspector|Insp|Sergeant|Sgt|Constable|ACC|DCC|CC|"
        "DCS|DSU|DCI|DI|DS|DC|CI|PS|PC|Cmdr|Commander|Mr|Mrs|Ms|Miss|Mx|Dr|Prof"
    ),
    key=len,
    reverse=True,
)
_PERSON = re.compile(
    r"((?:(?:T|A|Temp|Acting)[/ ]\s*)?(?:(?:D|Det)[/ ]\s*)?(?:"
    + "|".join(re.escape(rank) for rank in _RANKS)
    + r")\.?)\s+(\S.*)"
)


def person_value(value) -> Person | None:
    """ "D/Supt Abbie Leeson" -> rank "D/Supt", name "Abbie Leeson"."""
    text = " ".join(text_value(value).split())
    if not text or text.casefold() in _BLANK_WORDS:
        return None
    match = _PERSON.fullmatch(text)
    person = Person(match.group(1), match.group(2)) if match else Person("", text)
    if len(person.name) > 200 or len(person.rank) > 100:
        raise CellError("is too long for a person's rank and name (200 characters at most).")
    return person


# ---------------------------------------------------------------------------- sub-recommendations

_SUB_NUMBER = r"\d+(?:\.\d+)+(?:[a-z](?![a-z]))?"
_SUB_LINE = re.compile(rf"({_SUB_NUMBER})(?:$|\s*[-–—:.)]\s*|\s+)(.*)", re.IGNORECASE)
_NUMBERS_ONLY = re.compile(rf"\s*{_SUB_NUMBER}(?:[\s,;]+{_SUB_NUMBER})*[\s,;]*", re.IGNORECASE)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def parse_subs(numbers: str, texts: str = "") -> list[SubItem]:
    """Sub-recommendations from one cell ("7.1 - text" per line, a line without a number
    continuing the one before) or from a cell of numbers beside a cell of texts, line by line.
    """
    if numbers and texts:
        if not _NUMBERS_ONLY.fullmatch(numbers):
            raise CellError(
                "sub-recommendations are written in two columns: put only their numbers in the "
                "first and their texts in the second, one per line."
            )
        found = re.findall(_SUB_NUMBER, numbers, re.IGNORECASE)
        lines = _lines(texts)
        if len(found) == 1:
            lines = ["\n".join(lines)]
        if len(found) != len(lines):
            raise CellError(
                f"{len(found)} sub-recommendation numbers ({', '.join(found)}) but {len(lines)} "
                "lines of text: put each text on its own line, in the order of the numbers."
            )
        subs = []
        for number, line in zip(found, lines, strict=True):
            match = _SUB_LINE.fullmatch(line)
            # The text may repeat its number ("7.1 Processes..."): keep it once.
            text = match.group(2) if match and match.group(1) == number else line
            subs.append(SubItem(number, text))
        return subs
    source = numbers or texts
    if not source:
        return []
    if _NUMBERS_ONLY.fullmatch(source):
        return [SubItem(number, "") for number in re.findall(_SUB_NUMBER, source, re.IGNORECASE)]
    subs = []
    for line in _lines(source):
        match = _SUB_LINE.fullmatch(line)
        if match:
            subs.append(SubItem(match.group(1), match.group(2).strip()))
        elif subs:
            subs[-1].text = f"{subs[-1].text}\n{line}" if subs[-1].text else line
        else:
            raise CellError(
                f'"{line[:40]}" has no sub-recommendation number: start each with its number, '
                'e.g. "7.1 - Processes should...".'
            )
    return subs


# ---------------------------------------------------------------------------- reading


class _Reader:
    """Fills an ImportPreview from a workbook, collecting problems instead of stopping."""

    def __init__(self, preview: ImportPreview):
        self.preview = preview

    def problem(self, message: str, **where) -> None:
        self.preview.problems.append(Problem(message, **where))

    def warn(self, message: str, **where) -> None:
        self.preview.warnings.append(Problem(message, **where))

    def where(self, row: int | None, column: Column | None = None) -> dict:
        place = {"sheet": self.preview.sheet, "row": row}
        if column is not None:
            place |= {"column": column.index + 1, "header": column.header}
        return place

    def read(self, workbook) -> None:
        sheets = sorted(workbook.worksheets, key=lambda ws: ws.title.casefold() != "return")
        found = None
        for worksheet in sheets:
            grid, cut_short = _grid(worksheet)
            header = _find_header(grid)
            if header is not None:
                found = (worksheet, grid, cut_short, *header)
                break
        table_sheet = found[0] if found else None
        plan_sheet = next(
            (ws for ws in sheets if ws.title.casefold() == "plan" and ws is not table_sheet), None
        )
        if plan_sheet is not None:
            self.read_plan_sheet(plan_sheet)
        if found is None:
            names = ", ".join(f'"{ws.title}"' for ws in sheets)
            self.problem(
                f"No header row found: none of the first {HEADER_SEARCH_ROWS} rows of sheet(s) "
                f'{names} has both a number column ("Rec No.", "No.") and a recommendation '
                'column ("Recommendation").'
            )
            return
        worksheet, grid, cut_short, header_index, columns = found
        self.preview.sheet = worksheet.title
        self.preview.header_row = header_index + 1
        if cut_short:
            self.problem(
                f"has more than {MAX_ROWS} rows: split the plan into smaller files.",
                sheet=worksheet.title,
            )
        self.read_above(grid[:header_index], has_plan_sheet=plan_sheet is not None)
        columns = self.check_columns(columns, grid[header_index + 1 :])
        self.read_rows(grid, header_index, columns)

    # -- the plan's own details

    def read_plan_sheet(self, worksheet) -> None:
        grid, _ = _grid(worksheet)
        for index, row in enumerate(grid, start=1):
            key, value = _at(row, 0), _at(row, 1)
            name = normalise(key) if isinstance(key, str) else ""
            if not name:
                continue
            where = {"sheet": worksheet.title, "row": index, "column": 2}
            where["header"] = " ".join(key.split())
            attribute = _PLAN_KEYS.get(name)
            if attribute is None:
                if name not in _RETURN_KEYS:
                    self.warn("is not a plan detail this import knows; ignored.", **where)
                continue
            try:
                if attribute in ("report_date", "response_deadline"):
                    setattr(self.preview, attribute, date_value(value))
                elif attribute in ("executive_lead", "operational_lead"):
                    setattr(self.preview, attribute, person_value(value))
                else:
                    limit = 100 if attribute == "slug" else 300
                    limit = None if attribute == "introduction" else limit
                    setattr(self.preview, attribute, limited_text(limit)(value))
            except CellError as error:
                self.problem(str(error), **where)

    def read_above(self, rows: list[list[object]], *, has_plan_sheet: bool) -> None:
        """Lines above the table: the leads ("Strategic / Executive Lead: ...") and, without a
        Plan sheet, the introduction."""
        introduction = []
        for row in rows:
            texts = [" ".join(v.split()) for v in row if isinstance(v, str) and v.strip()]
            for position, text in enumerate(texts):
                match = _LEAD_LINE.fullmatch(text)
                if match is None:
                    introduction.append(text)
                    continue
                # The name follows the colon, or sits in the next cell.
                name = match.group("name") or (
                    texts[position + 1] if position + 1 < len(texts) else ""
                )
                which = match.group("which").casefold()
                attribute = "operational_lead" if which == "operational" else "executive_lead"
                if name and getattr(self.preview, attribute) is None:
                    try:
                        setattr(self.preview, attribute, person_value(name))
                    except CellError:
                        self.warn(f'"{name[:40]}" is too long for a lead\'s name; ignored.')
                if not match.group("name"):
                    break
        if introduction and not has_plan_sheet and not self.preview.introduction:
            self.preview.introduction = "\n".join(introduction)

    # -- the table

    def check_columns(self, columns: list[Column], rows: list[list[object]]) -> list[Column]:
        """The columns to read; unknown and repeated ones are reported and left out."""
        header_row = self.preview.header_row
        used, seen, labels = [], set(), {}
        for column in columns:
            where = self.where(header_row, column)
            if column.kind == "":
                if any(not _is_blank(_at(values, column.index)) for values in rows):
                    self.warn("has no header; its cells are ignored.", **where)
            elif column.kind == UNKNOWN:
                self.warn("is not a column this import knows; ignored.", **where)
            elif column.kind == PERIOD:
                key = column.label.casefold()
                if len(column.label) > 200:
                    self.problem("is too long for a period name (200 characters).", **where)
                elif key in labels:
                    self.problem(f"repeats the period of column {labels[key]}.", **where)
                else:
                    labels[key] = get_column_letter(column.index + 1)
                    self.preview.periods.append(column.label)
                    used.append(column)
            elif column.kind in (STATUS, IGNORED):
                used.append(column)
            elif column.kind in seen:
                self.warn("repeats a column already read; ignored.", **where)
            else:
                seen.add(column.kind)
                used.append(column)
        periods = {label.casefold(): label for label in self.preview.periods}
        for column in used:
            if column.kind != STATUS:
                continue
            where = self.where(header_row, column)
            if not periods:
                self.problem("gives statuses but the sheet has no period column.", **where)
            elif column.label and column.label.casefold() not in periods:
                self.problem(
                    f'names the period "{column.label}", which has no column here.', **where
                )
            else:
                # A plain "Status" column speaks of the latest period.
                column.label = periods.get(column.label.casefold(), self.preview.periods[-1])
        return used

    def read_rows(self, grid, header_index: int, columns: list[Column]) -> None:
        by_kind = {column.kind: column for column in columns}
        # Trackers often carry a RAG formula or a status drop-down far below the last row:
        # only cells that say something about a recommendation make a row.
        content = [column for column in columns if column.kind not in (IGNORED, STATUS)]
        first_row: dict[str, int] = {}
        for index in range(header_index + 1, len(grid)):
            values = grid[index]
            if all(_is_blank(_at(values, column.index)) for column in content):
                continue
            before = len(self.preview.problems)
            row = self.read_row(index + 1, values, by_kind, columns)
            if row.number in first_row:
                self.problem(
                    f"recommendation {row.number} is already on row {first_row[row.number]}.",
                    **self.where(index + 1, by_kind[NUMBER]),
                )
            elif row.number:
                first_row[row.number] = index + 1
            # Rows with problems stay out of the preview, which shows what would be saved.
            if len(self.preview.problems) == before:
                self.preview.recommendations.append(row)
        if not self.preview.recommendations and self.preview.ok:
            self.problem(
                "There are no recommendations under the header row.",
                **self.where(self.preview.header_row),
            )

    def read_row(self, number: int, values, by_kind, columns) -> RecommendationRow:
        """One recommendation; problems with its cells are reported as they are found."""
        problems = self.preview.problems
        before = len(problems)

        def cell(reader, column: Column | None, default=""):
            if column is None:
                return default
            try:
                return reader(_at(values, column.index))
            except CellError as error:
                self.problem(str(error), **self.where(number, column))
                return default

        rec_number = cell(recommendation_number, by_kind[NUMBER])
        text = cell(limited_text(None), by_kind[TEXT])
        if not text and len(problems) == before:
            self.problem("the recommendation text is missing.", **self.where(number, by_kind[TEXT]))
        row = RecommendationRow(row=number, number=rec_number, text=text)
        row.addressee = cell(limited_text(300), by_kind.get(ADDRESSEE))
        row.owner = cell(person_value, by_kind.get(OWNER), None)
        row.due_date = cell(date_value, by_kind.get(DUE), None)
        if row.due_date is None and DUE not in by_kind:
            row.due_date = due_date_in_text(text)
            row.due_date_from_text = row.due_date is not None
        row.subs = self.read_subs(number, values, by_kind, rec_number)
        cells = {label: PeriodCell(label) for label in self.preview.periods}
        for column in columns:
            if column.kind == PERIOD:
                period_cell = cells[column.label]
                period_cell.text = cell(limited_text(None), column)
                if period_cell.text.startswith(PENDING_PREFIX):
                    period_cell.text = period_cell.text.removeprefix(PENDING_PREFIX)
                    period_cell.pending = True
            elif column.kind == STATUS and column.label in cells:
                cells[column.label].status = cell(status_value, column)
        row.cells = list(cells.values())
        return row

    def read_subs(self, number: int, values, by_kind, rec_number: str) -> list[SubItem]:
        numbers_column, texts_column = by_kind.get(SUBS), by_kind.get(SUB_TEXTS)
        if numbers_column is None:
            return []
        cells = {}
        for column in (numbers_column, texts_column):
            if column is None:
                continue
            try:
                cells[column.kind] = _sub_cell(_at(values, column.index))
            except CellError as error:
                self.problem(str(error), **self.where(number, column))
                return []
        numbers, texts = cells.get(SUBS, ""), cells.get(SUB_TEXTS, "")
        # Problems with the texts alone are the text column's; any other, the numbers column's.
        where = self.where(number, texts_column if texts and not numbers else numbers_column)
        try:
            subs = parse_subs(numbers, texts)
        except CellError as error:
            self.problem(str(error), **where)
            return []
        seen = set()
        for sub in subs:
            if sub.number in seen:
                self.problem(f"sub-recommendation {sub.number} appears twice.", **where)
            elif len(sub.number) > 20:
                self.problem(f"sub-recommendation number {sub.number[:30]} is too long.", **where)
            elif rec_number and not sub.number.startswith(f"{rec_number}."):
                self.warn(
                    f"sub-recommendation {sub.number} does not start with {rec_number}.", **where
                )
            seen.add(sub.number)
        return subs


def _sub_cell(value) -> str:
    # A column of bare sub numbers may have been typed as numbers (7.1).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    return text_value(value)


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
    "complainant": "complainant",
    "strategic executive lead": "executive_lead",
    "executive lead": "executive_lead",
    "strategic lead": "executive_lead",
    "operational lead": "operational_lead",
    "response deadline": "response_deadline",
}
# Details our own export adds about the return itself, not the plan: read past silently.
_RETURN_KEYS = _alternatives(
    "period|reporting period|as at|generated|generated by|generated at|exported|"
    "exported by|exported at|force|protective marking|published|field|key"
)
_LEAD_LINE = re.compile(
    r"(?P<which>strategic\s*/\s*executive|executive|strategic|operational)\s+lead"
    r"(?:\s*[:\-–]\s*(?P<name>.+)|\s*:?)",
    re.IGNORECASE,
)


def limited_text(limit: int | None):
    """A reader of text cells that refuses more than `limit` characters."""

    def reader(value) -> str:
        text = text_value(value)
        if limit is not None and len(text) > limit:
            raise CellError(f"is longer than {limit} characters.")
        return text

    return reader


def _check_plan(preview: ImportPreview, *, into_existing: bool) -> None:
    """The plan's title and address, checked against what the database already holds."""
    preview.slug = preview.slug or slugify(preview.title)[:100].strip("-")
    existing = Plan.objects.filter(slug=preview.slug).first() if preview.slug else None
    if existing is not None and into_existing:
        if existing.recommendations.exists():
            preview.problems.append(
                Problem(
                    f'The plan "{existing.slug}" already has recommendations: an import only '
                    "fills a plan that has none. Import under a new address instead."
                )
            )
            return
        preview.existing_plan = existing
        preview.title = existing.title
        preview.warnings.append(
            Problem(
                "The recommendations and periods will be added to the existing, empty plan "
                f'"{existing.title}"; its title, leads and report details are kept.'
            )
        )
        return
    if not preview.title and preview.slug:
        preview.title = preview.slug.replace("-", " ").replace("_", " ").capitalize()
        preview.warnings.append(
            Problem(f'The plan is titled "{preview.title}" after its address: rename it later.')
        )
    if not preview.title:
        preview.problems.append(
            Problem(
                'The plan has no title: give one (the file has no "Plan" sheet with a '
                '"Plan title" row).'
            )
        )
        return
    if len(preview.title) > 300:
        preview.problems.append(Problem("The plan title is longer than 300 characters."))
    try:
        validate_slug(preview.slug)
    except ValidationError:
        preview.problems.append(
            Problem(
                f'"{preview.slug[:100]}" cannot be a plan address: use letters, numbers, '
                "hyphens or underscores."
            )
        )
        return
    if existing is not None:
        preview.problems.append(
            Problem(
                f'A plan with the address "{preview.slug}" already exists ({existing.title}). '
                "Choose another address, or remove that plan first."
            )
        )


def _match_people(preview: ImportPreview) -> None:
    """Point each person at the existing Owner shown the same way, or of the same name and rank."""
    people = preview.people
    if not people:
        return
    candidates = set()
    for person in people:
        words = str(person).split()
        candidates |= {" ".join(words[i:]) for i in range(len(words))}
    owners = list(Owner.objects.filter(name__in=candidates).order_by("pk"))
    by_display, by_key = {}, {}
    for owner in owners:
        by_display.setdefault(" ".join(str(owner).split()), owner)
        by_key.setdefault((owner.rank, owner.name), owner)
    for person in people:
        person.existing = by_display.get(str(person)) or by_key.get(person.key)


def read_plan(
    data: bytes,
    *,
    filename: str,
    title: str = "",
    slug: str = "",
    into_existing: bool = False,
) -> ImportPreview:
    """Read a plan from XLSX bytes without writing anything.

    `title` and `slug`, when given, win over the file's Plan sheet. With `into_existing`, a plan
    that already has `slug` is filled if it has no recommendations yet; otherwise an existing
    slug is a problem.
    """
    preview = ImportPreview(filename=filename)
    try:
        workbook = open_workbook(data)
    except NotAWorkbook as error:
        preview.problems.append(Problem(str(error)))
        return preview
    try:
        _Reader(preview).read(workbook)
    finally:
        workbook.close()
    preview.title = " ".join((title or preview.title).split())
    preview.slug = (slug or preview.slug).strip()
    _check_plan(preview, into_existing=into_existing)
    _match_people(preview)
    return preview


# ---------------------------------------------------------------------------- saving


def save_plan(preview: ImportPreview, *, by: AbstractBaseUser | None = None) -> Plan:
    """Write the previewed plan in one transaction, every row's history saying which file it
    came from; ImportRefused (and nothing written) if anything is wrong."""
    if not preview.ok:
        raise ImportRefused(preview.problems)
    try:
        return _save(preview, by=by)
    except ValidationError as error:
        raise ImportRefused([Problem(message) for message in error.messages]) from error
    except IntegrityError as error:
        # Someone saved the same plan or number between our checks and our writes.
        raise ImportRefused(
            [Problem("Someone else saved this plan at the same moment. Nothing was written.")]
        ) from error


@transaction.atomic
def _save(preview: ImportPreview, *, by: AbstractBaseUser | None) -> Plan:
    reason = preview.reason
    owners: dict[tuple[str, str], Owner] = {}

    def owner_for(person: Person | None, role: str = "") -> Owner | None:
        if person is None:
            return None
        if person.existing is not None:
            return person.existing
        if person.key not in owners:
            owners[person.key] = services.create_owner(
                name=person.name, rank=person.rank, role=role, by=by, reason=reason
            )
        return owners[person.key]

    if preview.existing_plan is not None:
        plan = Plan.objects.select_for_update().get(pk=preview.existing_plan.pk)
        if plan.recommendations.exists():
            raise ImportRefused([Problem(f'The plan "{plan.slug}" now has recommendations.')])
    else:
        if Plan.objects.filter(slug=preview.slug).exists():
            raise ImportRefused([Problem(f'A plan with the address "{preview.slug}" now exists.')])
        plan = services.create_plan(
            by=by,
            reason=reason,
            slug=preview.slug,
            title=preview.title,
            introduction=preview.introduction,
            report_title=preview.report_title,
            report_publisher=preview.report_publisher,
            report_date=preview.report_date,
            complainant=preview.complainant,
            response_deadline=preview.response_deadline,
            executive_lead=owner_for(preview.executive_lead, "Strategic / Executive Lead"),
            operational_lead=owner_for(preview.operational_lead, "Operational Lead"),
        )
    periods = {period.label: period for period in plan.periods.all()}
    for label in preview.periods:
        if label not in periods:
            periods[label] = services.add_period(plan=plan, label=label, by=by, reason=reason)
    for row in preview.recommendations:
        recommendation = services.add_recommendation(
            plan=plan,
            number=row.number,
            text=row.text,
            addressee=row.addressee,
            due_date=row.due_date,
            owner=owner_for(row.owner),
            by=by,
            reason=reason,
        )
        for sub in row.subs:
            services.add_subrecommendation(
                recommendation=recommendation,
                number=sub.number,
                text=sub.text,
                by=by,
                reason=reason,
            )
        for cell in row.cells:
            if cell.is_empty:
                continue
            # Imported texts are the plan as already published, so they arrive signed off,
            # unless the file itself marks them as awaiting sign-off. Evidence of completion
            # is held wherever the plan was kept before, which the note says.
            services.record_update(
                recommendation=recommendation,
                period=periods[cell.period],
                status=cell.status,
                text=cell.text,
                author=by,
                sign_off=SignOff.SUBMITTED if cell.pending else SignOff.APPROVED,
                no_evidence_reason=(
                    f"Marked complete in {preview.filename}; any evidence is held outside the "
                    "tracker."
                    if cell.status == Status.COMPLETE
                    else None
                ),
                reason=reason,
            )
    return plan

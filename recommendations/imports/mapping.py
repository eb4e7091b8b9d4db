"""The meaning the import gives each source column and each status word.

A `Mapping` is what the user sees and may change in the preview before anything is saved; it
is saved with the plan (Plan.import_mapping), so the next file from the same source imports
with one confirmation, and the command line reads and prints it as JSON
(`import_plan FILE --mapping mapping.json`, `--show-mapping`):

    {"version": 1,
     "columns": {"rec no": {"meaning": "number"},
                 "march 2026 update": {"meaning": "period", "period": "March 2026 update"},
                 "status": {"meaning": "status"}, "rag": {"meaning": "ignore"}},
     "statuses": {"open actions on going off track": "off_track", "amber": "at_risk"}}

Columns are named by `column_key` (the header, lower case, without punctuation); status words
by `vocabulary.status_key`. Every column is shown with a meaning: one the import does not
recognise is kept as a detail, never dropped unseen; only the user's choice, or a RAG column
beside a status column, leaves a column out.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import models

from ..choices import Status
from .preview import PeriodSpec, Problem

if TYPE_CHECKING:
    from .layout import Column, Layout, Table

MAPPING_VERSION = 1
MAX_PERIOD_LABEL = 200


class Meaning(models.TextChoices):
    """What a source column holds. The labels are what the preview's choices show."""

    NUMBER = "number", "Recommendation number"
    TEXT = "text", "Recommendation text"
    SUBS = "subs", "Sub-recommendations or actions (numbers, or numbers with texts)"
    SUB_TEXTS = "sub_texts", "Texts of the sub-recommendations numbered beside them"
    ADDRESSEE = "addressee", "Addressee (who the report addressed)"
    OWNER = "owner", "Owner (the accountable officer)"
    DUE = "due", "Due date"
    STATUS = "status", "Status, for a reporting period"
    PERIOD = "period", "Progress update, for a reporting period"
    UPDATE_DATE = "update_date", "Date of the update"
    DETAIL = "detail", "Kept as a detail of the recommendation"
    IGNORE = "ignore", "Not imported"


# A table has at most one column of each of these.
SINGLE_MEANINGS = (
    Meaning.NUMBER,
    Meaning.TEXT,
    Meaning.SUBS,
    Meaning.SUB_TEXTS,
    Meaning.ADDRESSEE,
    Meaning.OWNER,
    Meaning.DUE,
)
PERIOD_MEANINGS = (Meaning.PERIOD, Meaning.STATUS, Meaning.UPDATE_DATE)


class MappingError(ValueError):
    """A mapping that cannot be used; `messages` says what is wrong with each entry."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass
class ColumnChoice:
    """The meaning chosen for one column and, for progress and status columns, its period
    ("" for a status or date column: the period beside it, or the latest)."""

    meaning: str
    period: str = ""


@dataclass
class Mapping:
    """Column meanings by column key, and status words (normalised) to Status values ("" for
    "no status")."""

    columns: dict[str, ColumnChoice] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)

    def choose_column(self, header: str, meaning: str, period: str = "") -> None:
        """Give the column with this header (or key) a meaning, as the user chose."""
        self.columns[column_key(header)] = ColumnChoice(Meaning(meaning).value, period)

    def choose_status(self, word: str, status: str) -> None:
        """Map a status word as written in the file to a Status value ("" for none)."""
        from .vocabulary import status_key

        self.statuses[status_key(word)] = Status(status).value if status else ""

    def to_dict(self) -> dict:
        columns = {}
        for key, choice in self.columns.items():
            columns[key] = {"meaning": choice.meaning}
            if choice.period:
                columns[key]["period"] = choice.period
        return {"version": MAPPING_VERSION, "columns": columns, "statuses": dict(self.statuses)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Mapping:
        """A mapping from its JSON; MappingError saying what is wrong, entry by entry."""
        try:
            data = json.loads(text)
        except UnicodeDecodeError:
            raise MappingError(["The mapping file is not UTF-8 text."]) from None
        except json.JSONDecodeError as error:
            raise MappingError(
                [
                    f"The mapping is not valid JSON: {error.msg} (line {error.lineno}, "
                    f"column {error.colno})."
                ]
            ) from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: object) -> Mapping:
        if not isinstance(data, dict):
            raise MappingError(
                [
                    'The mapping must be a JSON object: {"version": 1, "columns": {...}, '
                    '"statuses": {...}}.'
                ]
            )
        errors = [
            f'The mapping has an entry "{name}" this tracker does not read: it reads "version", '
            '"columns" and "statuses".'
            for name in data
            if name not in ("version", "columns", "statuses")
        ]
        version = data.get("version")
        if version != MAPPING_VERSION or isinstance(version, bool):
            errors.append(
                f"The mapping's version is {json.dumps(version)}; this tracker reads version "
                f"{MAPPING_VERSION}."
            )
        mapping = cls()
        columns, statuses = data.get("columns", {}), data.get("statuses", {})
        if isinstance(columns, dict):
            for key, entry in columns.items():
                errors += _read_column(mapping, str(key), entry)
        else:
            errors.append('"columns" must be an object of column names and their meanings.')
        if isinstance(statuses, dict):
            for word, status in statuses.items():
                errors += _read_status(mapping, str(word), status)
        else:
            errors.append('"statuses" must be an object of status words and their statuses.')
        if errors:
            raise MappingError(errors)
        return mapping


def _read_column(mapping: Mapping, key: str, entry: object) -> list[str]:
    if isinstance(entry, str):
        entry = {"meaning": entry}
    if not isinstance(entry, dict):
        return [f'Column "{key}": give its meaning as {{"meaning": "text"}}.']
    errors = [
        f'Column "{key}": "{name}" is not read; give "meaning" and, for a progress or status '
        'column, "period".'
        for name in entry
        if name not in ("meaning", "period")
    ]
    meaning, period = entry.get("meaning"), entry.get("period", "")
    if meaning not in Meaning.values:
        allowed = ", ".join(Meaning.values)
        errors.append(
            f'Column "{key}": {json.dumps(meaning)} is not a meaning. Use one of: {allowed}.'
        )
    if not isinstance(period, str) or len(period) > MAX_PERIOD_LABEL:
        errors.append(f'Column "{key}": the period must be a text of at most 200 characters.')
    elif period and meaning in Meaning.values and meaning not in PERIOD_MEANINGS:
        errors.append(
            f'Column "{key}": only progress, status and update-date columns have a period.'
        )
    if not errors:
        mapping.columns[column_key(key)] = ColumnChoice(meaning, " ".join(period.split()))
    return errors


_STATUS_BY_LABEL = {label.casefold(): value for value, label in Status.choices}


def _read_status(mapping: Mapping, word: str, status: object) -> list[str]:
    from .vocabulary import status_key

    if isinstance(status, str) and (status in Status.values or status == ""):
        mapping.statuses[status_key(word)] = status
        return []
    if isinstance(status, str) and status.casefold() in _STATUS_BY_LABEL:
        mapping.statuses[status_key(word)] = _STATUS_BY_LABEL[status.casefold()]
        return []
    allowed = ", ".join(Status.values)
    return [
        f'Status word "{word}": {json.dumps(status)} is not a status. Use one of: {allowed}, '
        'or "" for no status.'
    ]


def column_key(header: str, *, letter: str = "") -> str:
    """What a mapping names a column by: its header, lower case, punctuation and misspellings
    ironed out ("Rec. No." and "Rec No" are both "rec no"); "column d" for a column with no
    header."""
    from .vocabulary import normalise

    return normalise(header) or (f"column {letter.casefold()}" if letter else "")


# ---------------------------------------------------------------------------- resolving


@dataclass
class Resolution:
    """The columns' meanings settled, the periods they give in date order, the mapping that
    saving records, and what is wrong with the choices."""

    periods: list[PeriodSpec] = field(default_factory=list)
    mapping: Mapping = field(default_factory=Mapping)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _where(table: Table, column: Column) -> dict:
    return {
        "sheet": table.sheet,
        "row": table.header_row,
        "column": column.index + 1,
        "header": column.header,
    }


def resolve(layout: Layout, given: Mapping | None = None) -> Resolution:
    """Give every column of every table its meaning: the user's choice where the given mapping
    names the column, else the guess. Then the periods, in date order, and the period each
    status and date column speaks of."""
    result = Resolution()
    given = given or Mapping()
    for table in layout.tables:
        _guess(table)
        for column in table.columns:
            choice = given.columns.get(column.key)
            if choice is not None:
                column.meaning, column.period = choice.meaning, choice.period
                column.guessed, column.note = False, ""
        _check(table, result)
    present = {column.key for table in layout.tables for column in table.columns}
    for key in given.columns:
        if key not in present:
            result.warnings.append(
                Problem(f'The mapping names a column "{key}" that this file does not have.')
            )
    explicit = {
        id(column): column.period
        for table in layout.tables
        for column in table.columns
        if column.meaning in PERIOD_MEANINGS
    }
    _periods(layout, result)
    for table in layout.tables:
        for column in table.columns:
            if column.key in result.mapping.columns:
                continue
            # A progress column records its period; a status or date column only the period
            # it names itself, so that next time it follows the columns beside it again.
            period = column.period if column.meaning == Meaning.PERIOD else ""
            if column.meaning in (Meaning.STATUS, Meaning.UPDATE_DATE):
                period = explicit.get(id(column), "")
            result.mapping.columns[column.key] = ColumnChoice(column.meaning, period)
    return result


def _guess(table: Table) -> None:
    from .vocabulary import normalise

    columns = table.columns
    for column in columns:
        column.meaning = column.guess.meaning or ""
        column.period = column.guess.period
    for before, column in itertools.pairwise(columns):
        # A header merged over two columns, or "Action no." beside "Action": numbers, then texts.
        beside = column.index == before.index + 1
        if before.meaning == Meaning.SUBS and beside and column.meaning in ("", Meaning.SUBS):
            column.meaning = Meaning.SUB_TEXTS
            column.note = f"the texts beside the numbers in column {before.letter}"
    for column in columns:
        if (
            column.meaning == Meaning.SUBS
            and column.whole_numbers
            and not any(other.meaning == Meaning.SUB_TEXTS for other in columns)
        ):
            column.meaning = Meaning.DETAIL
            column.note = "holds counts, not sub-recommendations: kept as a detail"
    if not any(column.meaning == Meaning.NUMBER for column in columns):
        # A column of numbers without a header ("" over 7, 10, 15) numbers the rows.
        unnamed = next(
            (column for column in columns if column.numbers and not column.meaning), None
        )
        if unnamed is not None:
            unnamed.meaning = Meaning.NUMBER
            unnamed.note = "holds the recommendations' numbers"
    statuses = [column for column in columns if column.meaning == Meaning.STATUS]
    rags = [column for column in statuses if "rag" in normalise(column.header).split()]
    if rags and len(rags) < len(statuses):
        for column in rags:
            column.meaning = Meaning.IGNORE
            column.note = "repeats the status column as a colour: not imported"
    seen: dict[str, Column] = {}
    for column in columns:
        if column.meaning in SINGLE_MEANINGS:
            if column.meaning in seen:
                first = seen[column.meaning]
                column.note = (
                    f'a second "{Meaning(column.meaning).label}" column (the first is column '
                    f"{first.letter}): kept as a detail"
                )
                column.meaning = Meaning.DETAIL
            else:
                seen[column.meaning] = column
        if not column.meaning:
            column.meaning = Meaning.DETAIL
            column.note = (
                "not a column the import recognises: kept as a detail"
                if column.header
                else "has no header: kept as a detail"
            )


def _check(table: Table, result: Resolution) -> None:
    seen: dict[str, Column] = {}
    for column in table.columns:
        if column.meaning not in SINGLE_MEANINGS:
            continue
        if column.meaning in seen:
            result.problems.append(
                Problem(
                    f'is chosen as "{Meaning(column.meaning).label}", as column '
                    f"{seen[column.meaning].letter} is: choose one of them.",
                    **_where(table, column),
                )
            )
        seen.setdefault(column.meaning, column)
    if Meaning.SUB_TEXTS in seen and Meaning.SUBS not in seen:
        column = seen[Meaning.SUB_TEXTS]
        column.meaning = Meaning.SUBS  # texts without numbers beside them: the actions' texts
    if not ({Meaning.TEXT, Meaning.SUBS} & set(seen)) and table.heading_item is None:
        result.problems.append(
            Problem(
                "No column of this table holds the recommendations' texts: choose "
                f'"{Meaning.TEXT.label}" for one.',
                sheet=table.sheet,
                row=table.header_row,
            )
        )


def _periods(layout: Layout, result: Resolution) -> None:
    """One period per progress column (and per status column naming a period of its own), in
    date order where dates are known; undated periods keep their place in the file between
    the dated ones."""
    from .vocabulary import date_in_text

    specs: dict[str, PeriodSpec] = {}
    for table in layout.tables:
        labels: dict[str, Column] = {}
        for column in table.columns:
            if column.meaning != Meaning.PERIOD:
                continue
            label = " ".join((column.period or column.name).split()).rstrip(":").strip()
            if label.casefold() in labels:
                if not column.guessed:
                    result.problems.append(
                        Problem(
                            f'gives progress for the period "{label}", as column '
                            f"{labels[label.casefold()].letter} does: choose another period.",
                            **_where(table, column),
                        )
                    )
                    continue
                label = f"{label} ({column.letter})"
            if len(label) > MAX_PERIOD_LABEL:
                result.problems.append(
                    Problem(
                        "is too long for a period name (200 characters).", **_where(table, column)
                    )
                )
                continue
            labels[label.casefold()] = column
            column.period = label
            own = column.guess.period_end if label == column.header else None
            specs.setdefault(label.casefold(), PeriodSpec(label, own or date_in_text(label)))
    for table in layout.tables:
        for column in table.columns:
            if column.meaning in (Meaning.STATUS, Meaning.UPDATE_DATE) and column.period:
                end = column.guess.period_end or date_in_text(column.period)
                specs.setdefault(column.period.casefold(), PeriodSpec(column.period, end))
    periods = list(specs.values())
    needs_one = any(
        column.meaning in (Meaning.STATUS, Meaning.UPDATE_DATE) and _says_something(table, column)
        for table in layout.tables
        for column in table.columns
    )
    if not periods and needs_one:
        when = layout.as_of
        label = f"{when.day} {when:%B %Y}" if when else "Current status"
        periods = [PeriodSpec(label, when)]
    if len(periods) == 1 and periods[0].period_end is None:
        periods[0].period_end = layout.as_of
    result.periods = order_periods(periods)
    known = {period.label.casefold(): period.label for period in result.periods}
    for table in layout.tables:
        _assign(table, result.periods, known)


def _says_something(table: Table, column: Column) -> bool:
    """Whether a status or date column gives anything: a column of "No status given" (our own
    return of a plan with no periods yet) makes no period."""
    from .vocabulary import status_for

    for _, values in table.rows:
        value = values[column.index] if column.index < len(values) else None
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if column.meaning == Meaning.STATUS and isinstance(value, str) and status_for(value) == "":
            continue
        return True
    return False


def order_periods(periods: list[PeriodSpec]) -> list[PeriodSpec]:
    """Dated periods sorted by date into the places dated periods hold; undated ones stay
    where the file put them."""
    dated = sorted((p for p in periods if p.period_end), key=lambda p: p.period_end)
    ordered, dated_iter = [], iter(dated)
    for period in periods:
        ordered.append(next(dated_iter) if period.period_end else period)
    return ordered


def _assign(table: Table, periods: list[PeriodSpec], known: dict[str, str]) -> None:
    """A status or date column without a period speaks of the progress column just left of
    it (past other status and date columns) when it is a date column or one of several status
    columns; otherwise, and when no progress column stands there, of the latest period."""
    progress = [column for column in table.columns if column.meaning == Meaning.PERIOD]
    plain = [
        column
        for column in table.columns
        if column.meaning in (Meaning.STATUS, Meaning.UPDATE_DATE) and not column.period
    ]
    own = [period.label for period in periods if any(c.period == period.label for c in progress)]
    latest = own[-1] if own else (periods[-1].label if periods else "")
    statuses = sum(column.meaning == Meaning.STATUS for column in plain)
    for column in plain:
        # "Status Q1" goes with "Update Q1", wherever the two stand.
        named = [other for other in progress if _residue(other) == _residue(column) != set()]
        if len(named) == 1:
            column.period = named[0].period
            continue
        beside = ""
        for other in reversed([c for c in table.columns if c.index < column.index]):
            if other.meaning not in (Meaning.STATUS, Meaning.UPDATE_DATE, Meaning.IGNORE):
                beside = other.period if other.meaning == Meaning.PERIOD else ""
                break
        several = statuses > 1 or column.meaning == Meaning.UPDATE_DATE
        column.period = beside if beside and several else latest
    for column in table.columns:
        if column.meaning in PERIOD_MEANINGS and column.period:
            column.period = known.get(column.period.casefold(), column.period)


def _residue(column: Column) -> set[str]:
    """The words of a header beyond those saying what kind of column it is."""
    from .vocabulary import KIND_WORDS, normalise

    return set(normalise(column.header).split()) - KIND_WORDS


def status_choice(word: str, given: Mapping | None) -> tuple[str | None, bool]:
    """The status a word maps to (None: not placed) and whether it is the import's guess."""
    from .vocabulary import status_for, status_key

    key = status_key(word)
    if given is not None and key in given.statuses:
        return given.statuses[key], False
    return status_for(word), True

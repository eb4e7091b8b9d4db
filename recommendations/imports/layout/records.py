"""The records a table's rows make: recommendations, and under them their sub-recommendations
and actions, each with the rows whose cells are its own; then a number for each, unique in the
plan."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import vocabulary as words
from ..mapping import Meaning
from ..preview import Problem
from .blocks import item_heading, noise, single_cell, title_like
from .model import Column, Layout, Table, at, cell_text, is_blank

# Cells a recommendation, or in a table of actions each action, has of its own.
_VALUE_MEANINGS = (
    Meaning.OWNER,
    Meaning.DUE,
    Meaning.STATUS,
    Meaning.PERIOD,
    Meaning.UPDATE_DATE,
    Meaning.DETAIL,
    Meaning.ADDRESSEE,
)


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
        self.number = table.column(Meaning.NUMBER)
        self.text = table.column(Meaning.TEXT)
        self.subs = table.column(Meaning.SUBS)
        self.sub_texts = table.column(Meaning.SUB_TEXTS)
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

    def _own(
        self, row: int, values: list[object], *, report: bool = True
    ) -> tuple[str, str, Column | None] | None:
        """The row's own number and text (from their columns, or the number from the text)."""
        number, extra, column = "", "", None
        raw = at(values, self.number.index) if self.number is not None else None
        if type(raw) is int:
            number, column = str(raw), self.number
        elif not is_blank(raw):
            try:
                written = words.number_text(raw)
            except words.Unreadable as error:
                if report:
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
        text = single_cell(values)
        index = next((i for i, value in enumerate(values) if not is_blank(value)), None)
        if text is not None and noise(text):
            return True  # a page number or a marking repeated down a printed table
        if text is None or index != self.leftmost:
            return False
        if index in self.own_columns and (row, index) not in self.table.spanning:
            # A short line alone in the text column just before a numbered row heads a part.
            own = self._own(*following, report=False) if following else None
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

"""Bringing a plan in from the file a force already keeps: our own XLSX return, or the
spreadsheets, CSV files and web pages forces publish.

    preview = read_plan(data, filename="plan.xlsx")            # reads, never writes
    preview = read_plan(data, filename="plan.xlsx", mapping=Mapping.from_json(saved))

`formats` reads the bytes into sheets of cells, `layout` finds the title block, the tables and
their rows, `mapping` gives every column and status word its meaning (guessed, or as a given
mapping says), and the preview holds the plan, its periods in date order, its
recommendations with their sub-recommendations and actions, every column with its meaning,
every status word with its status, and every problem, placed by sheet, row and column. A row
with a problem stays out of the preview; a file that cannot be read is a problem, never an
exception. `save` checks the preview against the database and writes it.
"""

from __future__ import annotations

import gc
import logging
import re
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..exports.common import GIVEN_FOR, PENDING_PREFIX
from . import layout as layouts
from . import mapping as mappings
from . import vocabulary as words
from .mapping import ColumnChoice, Mapping, MappingError, Meaning
from .preview import (
    Change,
    ImportPreview,
    ImportRefused,
    Item,
    PeriodCell,
    PeriodSpec,
    Person,
    Problem,
    SourceColumn,
    StatusWord,
)

if TYPE_CHECKING:
    from ..models import Organisation
    from .formats import Source

__all__ = [
    "Change",
    "ColumnChoice",
    "ImportPreview",
    "ImportRefused",
    "Item",
    "Mapping",
    "MappingError",
    "Meaning",
    "PeriodCell",
    "PeriodSpec",
    "Person",
    "Problem",
    "SourceColumn",
    "StatusWord",
    "preview_source",
    "read_plan",
]

logger = logging.getLogger(__name__)


ADDRESSEE_CHARS = 300
_GIVEN_FOR = re.compile(
    r"(?P<word>.+?)" + re.escape(GIVEN_FOR).replace(r"\{period\}", r"(?P<period>.+)"), re.DOTALL
)
_UNREADABLE = (
    "The file could not be read: its layout confused the import. Save it again as a simple "
    "table (one header row, one row per recommendation) and retry."
)
_CONSUMED = (Meaning.NUMBER, Meaning.TEXT, Meaning.SUBS, Meaning.SUB_TEXTS, Meaning.IGNORE)


def _place(record: layouts.Record, row: int, column: layouts.Column) -> dict:
    return {"sheet": record.sheet, "row": row, "column": column.index + 1, "header": column.header}


def read_plan(
    data: bytes,
    *,
    filename: str,
    title: str = "",
    slug: str = "",
    mapping: Mapping | None = None,
    into_existing: bool = False,
    organisation: Organisation | None = None,
) -> ImportPreview:
    """Read a plan from a file's bytes without writing anything.

    `title` and `slug`, when given, win over the file's own. `mapping` (a saved or edited
    one) overrides the guessed meaning of every column and status word it names. With
    `into_existing`, a plan that has `slug` already is filled or updated (see save). With
    `organisation`, the plan is that organisation's: a new one is made for it, and another
    organisation's plan is refused.
    """
    from . import formats

    with _no_cycle_collection():
        try:
            source = formats.read_source(data, filename=filename)
        except Exception as error:  # NotReadable says why; anything else must not escape
            if not isinstance(error, formats.NotReadable):
                logger.exception("Reading %s failed", filename)
                error = _UNREADABLE
            preview = ImportPreview(filename=filename, mapping=mapping)
            preview.problems.append(Problem(str(error)))
            return preview
        return preview_source(
            source,
            title=title,
            slug=slug,
            mapping=mapping,
            into_existing=into_existing,
            organisation=organisation,
        )


@contextmanager
def _no_cycle_collection():
    """Reading makes tens of thousands of small objects without cycles (cells, rows, items):
    the cycle collector, run again and again as they are made, would cost as much as making
    them. Reference counting frees them all the same."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def preview_source(
    source: Source,
    *,
    title: str = "",
    slug: str = "",
    mapping: Mapping | None = None,
    into_existing: bool = False,
    organisation: Organisation | None = None,
) -> ImportPreview:
    """The preview of a source already read into sheets (see read_plan)."""
    from .save import check_against_database

    preview = ImportPreview(
        filename=source.filename, file_format=source.file_format, organisation=organisation
    )
    try:
        with _no_cycle_collection():
            _Builder(preview, source, mapping).build()
    except Exception:  # a file nobody foresaw must still give an answer, not an error page
        logger.exception("Reading %s failed", source.filename)
        preview.recommendations = []
        preview.problems.append(Problem(_UNREADABLE))
    preview.title = " ".join((title or preview.title).split())
    preview.slug = (slug or preview.slug).strip()
    check_against_database(preview, into_existing=into_existing)
    return preview


class _Builder:
    """Fills a preview from a source: layout, mapping, then each record's cells."""

    def __init__(self, preview: ImportPreview, source: Source, given: Mapping | None):
        self.preview, self.source, self.given = preview, source, given
        self.words: dict[str, StatusWord] = {}  # by status_key
        self.spellings: dict[str, str] = {}  # each word as written -> its status_key
        self.first_seen: dict[str, dict] = {}  # where each status word first appears
        self.readers: dict[int, list] = {}
        self.labels: list[str] = []
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def build(self) -> None:
        found = layouts.find_layout(self.source)
        resolution = mappings.resolve(found, self.given)
        preview = self.preview
        preview.periods = resolution.periods
        self.labels = preview.period_labels
        preview.mapping = resolution.mapping
        self._plan(found)
        self._columns(found)
        records = []
        for table in found.tables:
            records += layouts.read_records(table, found)
        records = layouts.number_records(records, found)
        several_sheets = len({table.sheet for table in found.tables}) > 1
        for record in records:
            item = self._item(record)
            if item is not None:
                if several_sheets and not item.section:
                    for part in item.walk():
                        part.section = record.sheet
                preview.recommendations.append(item)
        self._statuses(resolution.mapping)
        self._report(found, resolution)

    # -- the plan's own details

    def _plan(self, found: layouts.Layout) -> None:
        preview, details = self.preview, found.details
        preview.title = details.get("title") or found.title
        preview.slug = details.get("slug", "")
        preview.introduction = details.get("introduction") or found.introduction
        for name in ("report_title", "report_publisher", "report_date", "complainant"):
            setattr(preview, name, details.get(name) or getattr(preview, name))
        preview.response_deadline = details.get("response_deadline")
        preview.executive_lead = details.get("executive_lead") or found.executive_lead
        preview.operational_lead = details.get("operational_lead") or found.operational_lead
        headings = {table.heading for table in found.tables}
        if not preview.report_title and len(headings) == 1:
            preview.report_title = headings.pop()
        if found.tables:
            preview.sheet, preview.header_row = found.tables[0].sheet, found.tables[0].header_row

    def _columns(self, found: layouts.Layout) -> None:
        warned = set()
        for table in found.tables:
            for column in table.columns:
                self.preview.columns.append(
                    SourceColumn(
                        key=column.key,
                        sheet=table.sheet,
                        index=column.index,
                        header=column.header,
                        meaning=column.meaning,
                        period=column.period if column.meaning in mappings.PERIOD_MEANINGS else "",
                        guessed=column.guessed,
                        filled=column.filled,
                        sample=column.sample,
                        note=column.note,
                    )
                )
                if (
                    column.guessed
                    and column.meaning == Meaning.DETAIL
                    and column.guess.meaning is None
                    and column.key not in warned
                ):
                    warned.add(column.key)
                    self.warnings.append(
                        Problem(
                            f"{column.note}; choose another meaning if it holds one.",
                            sheet=table.sheet,
                            row=table.header_row,
                            column=column.index + 1,
                            header=column.header,
                        )
                    )

    # -- recommendations

    def _item(self, record: layouts.Record) -> Item | None:
        """The record as a preview item, or None if one of its cells cannot be read."""
        item = Item(
            row=record.row,
            number=record.number,
            text=record.text,
            sheet=record.sheet,
            section=record.section,
            cells=[PeriodCell(label) for label in self.labels],
        )
        ok = not record.rows or self._fill(item, record)
        if not item.due_date and item.text:
            item.due_date = words.due_date_in_text(item.text)
            item.due_date_from_text = item.due_date is not None
        item.children = [child for child in map(self._item, record.children) if child]
        return item if ok else None

    def _readers(self, table: layouts.Table) -> list[tuple[str, str, int, int, layouts.Column]]:
        """The columns whose cells an item reads, with what they mean and where they go."""
        if id(table) not in self.readers:
            positions = {label: position for position, label in enumerate(self.labels)}
            readers, names = [], set()
            for column in table.columns:
                if column.meaning in _CONSUMED or (
                    column.meaning in mappings.PERIOD_MEANINGS and column.period not in positions
                ):
                    continue
                # Two details of the same name keep both: "Notes", "Notes (F)".
                name = (
                    column.name if column.name not in names else f"{column.name} ({column.letter})"
                )
                names.add(name)
                readers.append(
                    (name, column.meaning, column.index, positions.get(column.period, -1), column)
                )
            self.readers[id(table)] = readers
        return self.readers[id(table)]

    def _fill(self, item: Item, record: layouts.Record) -> bool:
        ok = True
        for name, meaning, index, position, column in self._readers(record.table):
            found = [
                (row, value)
                for row, values in record.rows
                if index < len(values)
                and (value := values[index]) is not None
                and (type(value) is not str or value.strip())
            ]
            if not found:
                continue
            row, first = found[0]
            text = (
                layouts.cell_text(first)
                if len(found) == 1
                else "\n".join(layouts.cell_text(value) for _, value in found)
            )
            try:
                if meaning == Meaning.PERIOD:
                    cell = item.cells[position]
                    cell.pending = text.startswith(PENDING_PREFIX)
                    cell.text = text.removeprefix(PENDING_PREFIX) if cell.pending else text
                elif meaning == Meaning.STATUS:
                    word = text.partition("\n")[0]
                    given = _GIVEN_FOR.fullmatch(word)
                    if given and given["period"] in self.labels:
                        # Our own return names the earlier period whose update gave this
                        # status: it is that period's status, not a new one for this period.
                        position = self.labels.index(given["period"])
                        word = given["word"]
                    self._status(item.cells[position], word, record, row, column)
                elif meaning == Meaning.UPDATE_DATE:
                    item.cells[position].recorded = words.read_date(first)
                elif meaning == Meaning.OWNER:
                    item.owner = words.read_person(text.partition("\n")[0])
                elif meaning == Meaning.DUE:
                    item.due_date = words.read_date(first)
                elif meaning == Meaning.ADDRESSEE:
                    if len(text) > ADDRESSEE_CHARS:
                        raise words.Unreadable(f"is longer than {ADDRESSEE_CHARS} characters.")
                    item.addressee = text
                elif meaning == Meaning.DETAIL:
                    item.details[name] = text
            except words.Unreadable as error:
                self.problems.append(Problem(str(error), **_place(record, row, column)))
                ok = False
        return ok

    def _status(self, cell: PeriodCell, word: str, record, row: int, column) -> None:
        key = self.spellings.get(word)
        if key is None:
            key = self.spellings[word] = words.status_key(word)
        known = self.words.get(key)
        if known is None:
            status, guessed = mappings.status_choice(word, self.given)
            where = _place(record, row, column)
            location = Problem("", **where).location
            known = self.words[key] = StatusWord(word, status, guessed=guessed, first_seen=location)
            self.first_seen[key] = where
        known.count += 1
        cell.status_word = word
        cell.status = known.status or ""

    def _statuses(self, mapping: Mapping) -> None:
        # Words a saved mapping places stay in it, for the next file that writes them.
        mapping.statuses.update(self.given.statuses if self.given else {})
        for key, word in self.words.items():
            self.preview.status_words.append(word)
            if word.status is None:
                times = "once" if word.count == 1 else f"{word.count} times"
                self.problems.append(
                    Problem(
                        f'"{word.word}" ({times}) is not a status the tracker knows: choose '
                        "the status it stands for.",
                        **self.first_seen[key],
                    )
                )
            else:
                mapping.statuses[key] = word.status

    def _report(self, found: layouts.Layout, resolution: mappings.Resolution) -> None:
        preview = self.preview
        if not found.tables:
            names = ", ".join(f'"{sheet.name}"' for sheet in self.source.sheets) or "(none)"
            preview.problems.append(
                Problem(
                    f"No table found: none of the first {layouts.HEADER_SEARCH_ROWS} rows of "
                    f"{names} is a header row naming the recommendations (such as "
                    '"Recommendation", "Rec No.", "Summary" or "Action").'
                )
            )
        for name in found.skipped_sheets if found.tables else []:
            self.warnings.append(
                Problem(f'Sheet "{name}" holds no table the import knows: skipped.')
            )
        order = {sheet.name: position for position, sheet in enumerate(self.source.sheets)}

        def place(problem: Problem):
            return (order.get(problem.sheet, -1), problem.row or 0, problem.column or 0)

        problems = found.problems + resolution.problems + self.problems
        warnings = found.warnings + resolution.warnings + self.warnings
        preview.problems += sorted(problems, key=place)
        preview.warnings += sorted(warnings, key=place)
        if found.tables and not preview.recommendations and not preview.problems:
            preview.problems.append(
                Problem(
                    "There are no recommendations under the header row.",
                    sheet=preview.sheet,
                    row=preview.header_row,
                )
            )

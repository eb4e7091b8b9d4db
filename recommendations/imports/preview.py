"""What an import would write: the plan read from a file, before anything is saved.

Reading never writes. `formats` turns the file's bytes into sheets of cell values, `layout`
finds the tables, headers and rows in them, `mapping` gives every source column and status
word its meaning (guessed, or as the user or a saved mapping chose), and the result is an
`ImportPreview`: the plan, its periods and recommendations (each with its sub-recommendations
and actions), every source column with its meaning, every status word with its status, and
every problem, placed by sheet, row and column. `save` then writes it through the services in
one transaction, or nothing at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from ..choices import status_label
from ..models import Organisation, Owner, Plan


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


class ImportRefused(Exception):
    """Saving was refused; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass
class Person:
    """An officer named in the file: matched to an existing Owner, or to be created."""

    rank: str
    name: str
    existing: Owner | None = None
    role: str = ""  # "Head of Crime", where the file gives one beside the rank and name

    def __str__(self) -> str:
        return f"{self.rank} {self.name}".strip()

    @property
    def key(self) -> tuple[str, str]:
        return (self.rank, self.name)


@dataclass
class PeriodSpec:
    """A reporting period the file gives progress for: its label and, where the header or
    the title names one, the date it ends on."""

    label: str
    period_end: dt.date | None = None


@dataclass
class PeriodCell:
    """One item's update in one reporting period, as the file gives it."""

    period: str  # the PeriodSpec's label
    text: str = ""
    status: str = ""  # a Status value, "" for none
    status_word: str = ""  # the status as the file writes it ("Amber", "Action complete")
    recorded: dt.date | None = None  # the update's own date, where a column gives one
    # Our own return marks updates not yet signed off; they come back awaiting sign-off.
    pending: bool = False

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def is_empty(self) -> bool:
        return not self.text and not self.status


@dataclass
class Item:
    """A recommendation, or one of its sub-recommendations or actions (in `children`).

    Sub-recommendations and actions are the same thing to the tracker: an item under a
    recommendation that may carry its own owner, due date and progress, or only its text.
    """

    row: int  # where it starts in the file (1-based)
    number: str
    text: str
    sheet: str = ""
    addressee: str = ""
    owner: Person | None = None
    due_date: dt.date | None = None
    due_date_from_text: bool = False
    cells: list[PeriodCell] = field(default_factory=list)  # in the order of preview.periods
    details: dict[str, str] = field(default_factory=dict)  # kept columns: header -> text
    children: list[Item] = field(default_factory=list)
    section: str = ""  # the heading the table sat under, when a sheet holds several

    @property
    def has_progress(self) -> bool:
        return any(not cell.is_empty for cell in self.cells)

    def walk(self):
        """This item, then its children."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class SourceColumn:
    """One column of the file and what the import does with it."""

    key: str  # what a mapping names it by: its header, normalised (see mapping.column_key)
    sheet: str
    index: int  # 0-based
    header: str  # as written, white space collapsed ("" when it has none)
    meaning: str  # a mapping.Meaning value
    period: str = ""  # for progress and status columns: the period label
    guessed: bool = True  # False when a saved or given mapping chose the meaning
    filled: int = 0  # how many cells under the header hold something
    sample: str = ""  # the first of them, shortened
    note: str = ""  # why the import gave it this meaning, where that is not plain

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)


@dataclass
class StatusWord:
    """A status as the file writes it, how many cells write it so, and the status it maps to
    (None: the import cannot place it, and the user must choose)."""

    word: str
    status: str | None
    count: int = 0
    guessed: bool = True
    first_seen: str = ""  # "Sheet "Plan", row 5, column D"

    @property
    def status_label(self) -> str:
        return "Not placed" if self.status is None else status_label(self.status)


@dataclass
class Change:
    """An update an import into an existing plan would add or change."""

    number: str
    period: str
    old_text: str
    new_text: str
    old_status: str = ""
    new_status: str = ""

    @property
    def is_new(self) -> bool:
        return not self.old_text and not self.old_status


@dataclass
class ImportPreview:
    """What an import would write, and every problem that stops it."""

    filename: str
    file_format: str = ""  # "Excel workbook (.xlsx)", "CSV file", "Web page (.html)"...
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
    periods: list[PeriodSpec] = field(default_factory=list)
    recommendations: list[Item] = field(default_factory=list)
    columns: list[SourceColumn] = field(default_factory=list)
    status_words: list[StatusWord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # Set by the reader from its mapping argument and its guesses: what saving will record.
    mapping: object = None  # a mapping.Mapping
    # An existing plan: "fill" gives an empty plan its recommendations; "update" adds or
    # changes the updates of a plan that has them, touching nothing else.
    existing_plan: Plan | None = None
    # Whose plan it is: a new plan is made for it, another organisation's plan is refused
    # (None: any plan; a new one is the deployment's own organisation's).
    organisation: Organisation | None = None
    mode: str = "new"  # "new" | "fill" | "update"
    changes: list[Change] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def reason(self) -> str:
        return f"Imported from {self.filename}"

    @property
    def period_labels(self) -> list[str]:
        return [period.label for period in self.periods]

    def items(self):
        """Every recommendation, sub-recommendation and action, in file order."""
        for item in self.recommendations:
            yield from item.walk()

    @property
    def people(self) -> list[Person]:
        found = [self.executive_lead, self.operational_lead]
        found += [item.owner for item in self.items()]
        return [person for person in found if person is not None]

    @property
    def new_people(self) -> list[Person]:
        unique = {person.key: person for person in self.people if person.existing is None}
        return list(unique.values())

    @property
    def not_imported(self) -> list[SourceColumn]:
        """The columns saving leaves out, which the confirmation names."""
        from .mapping import Meaning

        return [column for column in self.columns if column.meaning == Meaning.IGNORE]

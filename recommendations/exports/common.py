"""What the XLSX and the PDF return share: the rows as they are exported, the reading of the
period and "as at" choices, safe cell text and the download's filename.

Both formats are drawn from one `PlanReturn`, built on `queries.plan_table`, so the two files
and the plan page always agree on rows, order and filters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify

from .. import queries
from ..choices import Rag, SignOff, Status, rag_for, status_label
from ..models import Owner, Plan, ReportingPeriod
from ..queries import PlanFilters, PlanRow, PlanTable

PENDING_LABEL = "Awaiting sign-off"
PENDING_PREFIX = f"[{PENDING_LABEL}] "
# A recommendation with no status of its own stands where its actions do (progress.rollup);
# the return says so beside the status, and the importer reads such a status as not its own.
FROM_ACTIONS = " (from its actions)"
# A status last given in an earlier period's update stands until a later one: the return says
# which, and the importer reads such a status as no new one for this period.
GIVEN_FOR = " (as given for {period})"
# Excel cannot hold more than this in a cell; longer text is cut with a note rather than
# producing a file Excel refuses to open.
MAX_CELL_CHARS = 32_767
CUT_NOTE = " [cut: the full text is in the tracker]"

# Control characters XML 1.0 (and so XLSX) cannot carry, apart from tab and line breaks; lone
# surrogates and the two non-characters cannot be encoded either.
_UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Spreadsheet programs treat text starting with these as a formula (or as data to evaluate).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?", re.ASCII)
_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"", "0", "false", "off", "no"}


class ExportError(ValueError):
    """A choice of period, "as at" or option that cannot make a return; the message says why."""


# ---------------------------------------------------------------------------- cell text


_ASCII_CONTROLS = bytes(code for code in range(32) if chr(code) not in "\t\n\r")


def _is_plain_ascii(text: str) -> bool:
    # Most text is ASCII without control characters: checking that in bytes is several times
    # faster than the regular expression, which shows in a return of thousands of cells.
    if not text.isascii():
        return False
    data = text.encode("ascii")
    return len(data.translate(None, _ASCII_CONTROLS)) == len(data)


def clean_text(value: object) -> str:
    """Text that any spreadsheet or PDF can hold: unsafe characters dropped, length capped."""
    if value is None:
        return ""
    text = str(value)
    if not _is_plain_ascii(text):
        text = _UNSAFE_CHARACTERS.sub("", text)
    # XML turns a bare carriage return into a line feed when the file is read: write the line
    # break every spreadsheet and PDF understands instead.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - len(CUT_NOTE)] + CUT_NOTE
    return text


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet program might evaluate `text`; some ignore leading white space."""
    return text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS)


def neutralise_formula(text: str) -> str:
    """`text` for a file with no cell styles (CSV): an apostrophe before what looks like a
    formula, so a spreadsheet program shows it as typed, as the XLSX's quote prefix does."""
    return "'" + text if looks_like_formula(text) else text


# ---------------------------------------------------------------------------- reading choices


def parse_as_of(value: str | None, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """ "YYYY-MM-DD" (the end of that day) or "YYYY-MM-DDTHH:MM" in local time; None if blank.

    A moment in the future is refused: a return shows what the plan held, not what it might.
    Today's date alone means now, the end of the day not having come yet.
    """
    text = (value or "").strip()
    if not text:
        return None
    now = now or timezone.now()
    shape = 'Write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM, e.g. "2026-03-31" or "2026-03-31T17:00".'
    date_only = bool(_DATE.fullmatch(text))
    if not date_only and not _DATE_TIME.fullmatch(text):
        raise ExportError(f'The "as at" value "{text[:40]}" is not a date. {shape}')
    try:
        if date_only:
            day = dt.date.fromisoformat(text)
            if day == timezone.localdate(now):
                return now
            moment = timezone.make_aware(dt.datetime.combine(day, dt.time.max))
        else:
            moment = timezone.make_aware(dt.datetime.fromisoformat(text.replace(" ", "T")))
    except (ValueError, OverflowError):
        raise ExportError(f'The "as at" value "{text[:40]}" is not a real date. {shape}') from None
    if moment > now:
        raise ExportError(
            f'The "as at" moment {format_moment(moment)} is in the future: a return can only show '
            "what the plan held at a moment that has passed."
        )
    return moment


def parse_flag(value: str | None, *, name: str) -> bool:
    text = (value or "").strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ExportError(f'"{name}" must be 1 (yes) or 0 (no), not "{text[:20]}".')


def parse_period_id(value: str | None) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise ExportError(
            f'The reporting period "{text[:40]}" is not one of this plan\'s periods: choose one '
            "from the list."
        )
    return int(text)


def format_moment(moment: dt.datetime) -> str:
    """ "31 March 2026 17:00", in local time."""
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y %H:%M}"


# ---------------------------------------------------------------------------- the return


@dataclass(frozen=True)
class ReturnCell:
    """One recommendation's update in one reporting period, as exported."""

    text: str
    status: str
    pending: bool  # not (yet) approved: shown only when the export asks for pending updates

    @property
    def marked_text(self) -> str:
        return PENDING_PREFIX + self.text if self.pending else self.text


@dataclass(frozen=True)
class ReturnRow:
    """One row of the return, every value already in the words the files show."""

    number: str
    text: str
    subrecommendations: tuple[tuple[str, str], ...]
    addressee: str
    owner: str
    cells: tuple[ReturnCell | None, ...]
    status: str  # the Status value for the chosen period ("" when none was given)
    status_pending: bool
    due_date: dt.date | None
    last_updated: dt.date | None
    overdue: bool
    status_from_actions: bool = False  # no status of its own: its actions' (progress.rollup)
    status_given_for: str = ""  # the earlier period whose update gave the status
    is_action: bool = False  # a sub-recommendation or action reporting for itself
    actions: tuple[ReturnRow, ...] = ()  # its sub-recommendations and actions that report

    @property
    def subrecommendations_text(self) -> str:
        return "\n".join(f"{number} {text}".strip() for number, text in self.subrecommendations)

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def status_text(self) -> str:
        """The status as the return prints it, saying where it comes from."""
        if self.status_from_actions:
            return self.status_label + FROM_ACTIONS
        if self.status_given_for:
            return self.status_label + GIVEN_FOR.format(period=self.status_given_for)
        return self.status_label

    @property
    def with_actions(self) -> tuple[ReturnRow, ...]:
        return (self, *self.actions)

    @property
    def rag(self) -> Rag:
        return rag_for(self.status)


@dataclass
class PlanReturn:
    """A plan's return for one reporting period, as the plan stands or stood at `as_of`."""

    table: PlanTable
    rows: list[ReturnRow]
    period: ReportingPeriod | None
    as_of: dt.datetime | None
    generated_at: dt.datetime
    generated_by: str
    include_pending: bool
    executive_lead: str = ""
    operational_lead: str = ""
    force_name: str = field(default_factory=lambda: settings.FORCE_NAME)
    marking: str = field(default_factory=lambda: settings.PROTECTIVE_MARKING)

    @property
    def plan(self) -> Plan:
        return self.table.plan

    @property
    def periods(self) -> list[ReportingPeriod]:
        return self.table.periods

    @property
    def printed_rows(self) -> list[ReturnRow]:
        """Every row as the files print them: each recommendation, then its actions."""
        return [line for row in self.rows for line in row.with_actions]

    @property
    def period_label(self) -> str:
        return self.period.label if self.period else ""

    @property
    def status_header(self) -> str:
        return f"Status ({self.period_label})" if self.period else "Status"

    @property
    def as_at(self) -> dt.datetime:
        """The moment the return shows: the chosen "as at", else when it was made."""
        return self.as_of or self.generated_at

    @property
    def as_at_text(self) -> str:
        return format_moment(self.as_at)

    @property
    def content_note(self) -> str:
        if self.include_pending:
            return f'Includes updates not yet signed off, each marked "{PENDING_LABEL}".'
        return "Signed-off (approved) updates only."

    def status_counts(self) -> list[tuple[str, str, int]]:
        """(status value, label, rows) for every status, then "No status given"."""
        counts = Counter(row.status for row in self.rows)
        values = [*Status.values, ""]
        return [(value, status_label(value), counts.get(value, 0)) for value in values]

    @property
    def overdue_count(self) -> int:
        return sum(row.overdue for row in self.rows)

    def filename(self, extension: str) -> str:
        """`<plan>_<period>_<YYYY-MM-DD>[_as-at-<when>][_incl-pending].<extension>`."""
        period = slugify(self.period_label) or "no-period"
        parts = [self.plan.slug, period, f"{timezone.localtime(self.generated_at):%Y-%m-%d}"]
        if self.as_of is not None:
            local = timezone.localtime(self.as_of)
            end_of_day = local.time() == dt.time.max
            parts.append(f"as-at-{local:%Y-%m-%d}" + ("" if end_of_day else f"-{local:%H%M}"))
        if self.include_pending:
            parts.append("incl-pending")
        return "_".join(parts) + f".{extension}"


def _return_cell(update, include_pending: bool) -> ReturnCell | None:
    if update is None:
        return None
    pending = include_pending and update.sign_off != SignOff.APPROVED
    return ReturnCell(clean_text(update.text), update.status, pending)


def _return_row(
    row: PlanRow, table: PlanTable, include_pending: bool, zone: dt.tzinfo, *, is_action=False
) -> ReturnRow:
    rec = row.recommendation
    chosen = table.cell_for_period(row)
    index = table.period_index
    # Approved statuses; with updates awaiting sign-off included, the statuses as written.
    statuses = row.working_statuses if include_pending else row.statuses
    status = row.status if index is None else (statuses[index] if statuses else "")
    updated = row.last_updated
    texts = row.text_subrecommendations
    given = _status_source(row, table, index)
    return ReturnRow(
        number=clean_text(rec.number),
        text=clean_text(rec.text),
        subrecommendations=tuple((clean_text(sub.number), clean_text(sub.text)) for sub in texts),
        addressee=clean_text(rec.addressee),
        owner=clean_text(rec.owner) if rec.owner else "",
        cells=tuple(_return_cell(cell, include_pending) for cell in row.cells),
        status=status,
        status_pending=bool(
            include_pending and chosen is not None and chosen.sign_off != SignOff.APPROVED
        ),
        due_date=rec.due_date,
        last_updated=updated.astimezone(zone).date() if updated else None,
        overdue=row.overdue,
        status_from_actions=bool(status) and given is None,
        status_given_for=given.label if given is not None and given != table.period else "",
        is_action=is_action,
        actions=tuple(
            _return_row(action, table, include_pending, zone, is_action=True)
            for action in row.reporting_actions
        ),
    )


def _status_source(row: PlanRow, table: PlanTable, index: int | None):
    """The period whose own update gives the row its status in the chosen period: that period
    or an earlier one (None: no status of its own there, so its actions')."""
    if index is None:
        return None
    for period, cell in zip(
        reversed(table.periods[: index + 1]), reversed(row.cells[: index + 1]), strict=True
    ):
        if cell is not None:
            return period if cell.status else None
    return None


def _choose_period(
    plan: Plan, table: PlanTable, *, period_id: int | None, period_label: str
) -> ReportingPeriod | None:
    """The period asked for, as the return shows it (its label as at the chosen moment)."""
    if period_id is None and not period_label:
        return table.periods[-1] if table.periods else None
    when = f" as at {format_moment(table.as_of)}" if table.as_of else ""
    if period_label:
        found = next((p for p in table.periods if p.label == period_label), None)
        if found is None:
            live = ReportingPeriod.objects.filter(plan=plan, label=period_label).first()
            found = next((p for p in table.periods if live and p.pk == live.pk), None)
        if found is None:
            labels = "; ".join(f'"{p.label}"' for p in table.periods) or "none"
            raise ExportError(
                f'This plan had no reporting period called "{period_label[:80]}"{when}. '
                f"Its periods: {labels}."
            )
        return found
    found = next((p for p in table.periods if p.pk == period_id), None)
    if found is None:
        raise ExportError(
            f"That reporting period is not one of this plan's periods{when}: choose one from the "
            "list."
        )
    return found


def _lead_names(plan: Plan, as_of: dt.datetime | None) -> tuple[str, str]:
    """The plan's leads as named at `as_of`, so a renamed officer does not change old returns."""
    ids = [plan.executive_lead_id, plan.operational_lead_id]
    if as_of is None:
        return (
            clean_text(plan.executive_lead) if plan.executive_lead_id else "",
            clean_text(plan.operational_lead) if plan.operational_lead_id else "",
        )
    wanted = [pk for pk in ids if pk]
    owners: dict[int, Owner] = {}
    if wanted:
        records = Owner.history.filter(id__in=wanted, history_date__lte=as_of)
        for record in records.order_by("history_date", "history_id"):
            owners[record.id] = record.instance
    return tuple(clean_text(owners[pk]) if pk in owners else "" for pk in ids)  # type: ignore[return-value]


def _table(
    plan: Plan, *, filters: PlanFilters | None, as_of: dt.datetime | None, approved_only: bool
) -> PlanTable:
    """The plan table the return shows: the rows the plan page's filters pick, with the
    content the return may show.

    The plan page filters on everything recorded (a draft "At risk" matches a status filter,
    a submitted update the "awaiting sign-off" one), so with approved content only the rows are
    chosen on the whole table first, then shown with their approved content.
    """
    if not (approved_only and filters is not None and filters.active):
        return queries.plan_table(plan, filters=filters, as_of=as_of, approved_only=approved_only)
    shown = queries.plan_table(plan, filters=filters, as_of=as_of, approved_only=False)
    wanted = {row.recommendation.pk for row in shown.rows}
    table = queries.plan_table(plan, as_of=as_of, approved_only=True)
    rows = [row for row in table.rows if row.recommendation.pk in wanted]
    return replace(table, rows=rows, filters=filters)


def build_return(
    plan: Plan,
    *,
    filters: PlanFilters | None = None,
    period_id: int | None = None,
    period_label: str = "",
    as_of: dt.datetime | None = None,
    include_pending: bool = False,
    generated_by: str = "",
    now: dt.datetime | None = None,
) -> PlanReturn:
    """The return for `plan`: the plan table's rows (same filters, same order), approved updates
    only unless `include_pending`, for the period asked for (default: the latest)."""
    generated_at = now or timezone.now()
    if as_of is not None and as_of < plan.created_at:
        raise ExportError(
            f"This plan was only created on {format_moment(plan.created_at)}: choose an "
            '"as at" moment after that.'
        )
    table = _table(plan, filters=filters, as_of=as_of, approved_only=not include_pending)
    period = _choose_period(plan, table, period_id=period_id, period_label=period_label)
    table = replace(table, period=period)
    executive, operational = _lead_names(table.plan, as_of)
    # Looked up once: finding the current time zone is slow enough to show in a large return.
    zone = timezone.get_current_timezone()
    return PlanReturn(
        table=table,
        rows=[_return_row(row, table, include_pending, zone) for row in table.rows],
        period=period,
        as_of=as_of,
        generated_at=generated_at,
        generated_by=clean_text(generated_by),
        include_pending=include_pending,
        executive_lead=executive,
        operational_lead=operational,
    )

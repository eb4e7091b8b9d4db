"""The national progress report: where every organisation stands on each of a report's
recommendations in one reporting period, as the national lead collates forces' returns.

Read from approved content only (the version in force of each update), as a return is, and
by the same rules as every plan page: each plan is loaded into a `queries.PlanSnapshot` and
its rows built by `queries.build_rows`, so a recommendation's status in a period (its own
latest approved update then or before, else its actions', progress.py) is the plan table's.
Every plan of the report is read together, in a fixed number of queries whatever the number
of organisations.

The report's reporting periods (`national_periods`): plans answer the same report with
periods of their own, matched across plans by their period end date; a period with no end
date is matched by its label. The latest dated period is the default.

An organisation has returned for a period when its plan has an approved update for it. It is
late when the period's return was due and it had not returned by then: nothing approved yet
and the due date passed, or its first approval for the period came after the due date.
Its columns are every organisation that answers reports (the forces expected to return, even
before their first return) and any other with a plan for the report; those with no plan for it
(or, on the public page, no published plan) are shown as "no return". A national body
collating returns (Organisation.answers_reports off) is not a column.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone

from .choices import FINISHED_STATUSES, Rag, SignOff, Status, rag_for, status_label
from .models import (
    Organisation,
    Plan,
    Recommendation,
    Report,
    ReportingPeriod,
    ReportRecommendation,
    StatusUpdate,
    natural_key,
)
from .national_periods import NationalPeriod, PeriodNotFound, choose_period, national_periods
from .queries import PlanRow, PlanSnapshot, _by_parent, build_rows, today

__all__ = ["NationalPeriod", "PeriodNotFound", "choose_period", "national_periods"]

# What each cell counts as in a recommendation's counts. Closed goes with complete: both
# are finished (choices.FINISHED_STATUSES). A force that returned for the period but gave no
# status for the recommendation (or whose plan lacks it) has returned nothing on it: no return.
COMPLETE = "complete"
NO_RETURN = "no_return"
CATEGORIES: tuple[tuple[str, str], ...] = (
    (COMPLETE, "Complete or closed"),
    (Status.ON_TRACK.value, "On track"),
    (Status.AT_RISK.value, "At risk"),
    (Status.OFF_TRACK.value, "Off track"),
    (Status.NOT_STARTED.value, "Not started"),
    (NO_RETURN, "No return"),
)
CATEGORY_LABELS = dict(CATEGORIES)
NO_RETURN_RAG = Rag("None", "#f3f2f1", "#0b0c0c")


# ---------------------------------------------------------------------------- the matrix


@dataclass(frozen=True)
class Filters:
    """What the page narrows the matrix to: a category of cell, or the organisations that
    have not returned."""

    status: str = ""  # one of CATEGORIES, "" for all
    not_returned: bool = False

    @property
    def active(self) -> bool:
        return bool(self.status or self.not_returned)

    @property
    def status_label(self) -> str:
        return CATEGORY_LABELS.get(self.status, "")


@dataclass
class Column:
    """One organisation, its plan for the report (if any) and its return for the period."""

    organisation: Organisation
    plan: Plan | None = None
    period: ReportingPeriod | None = None  # the plan's period matching the chosen one
    returned: bool = False
    first_approved: dt.datetime | None = None

    @property
    def return_due(self) -> dt.date | None:
        return self.period.return_due if self.period else None

    def is_late(self, on: dt.date) -> bool:
        due = self.return_due
        if due is None:
            return False
        if not self.returned:
            return on > due
        return self.first_approved is not None and timezone.localdate(self.first_approved) > due

    @property
    def name(self) -> str:
        return self.organisation.name

    @property
    def short_name(self) -> str:
        return self.organisation.short_name or self.organisation.name


@dataclass(frozen=True)
class Cell:
    """One organisation's approved standing on one recommendation in the period."""

    column: Column
    status: str = ""  # the approved status then ("" none), carried from earlier periods
    answered: bool = False  # the plan has this recommendation
    updated: dt.date | None = None  # the latest approval giving it that status
    url: str = ""

    @property
    def category(self) -> str:
        if not (self.column.returned and self.answered and self.status):
            return NO_RETURN
        return COMPLETE if self.status in FINISHED_STATUSES else self.status

    @property
    def label(self) -> str:
        if not self.column.returned:
            return "No return"
        if not self.answered:
            return "Not in plan"
        return status_label(self.status)

    @property
    def rag(self) -> Rag:
        return NO_RETURN_RAG if self.category == NO_RETURN else rag_for(self.status)

    @property
    def css(self) -> str:
        return "none" if self.category == NO_RETURN else self.status


@dataclass
class Row:
    """A recommendation of the report (or a sub-recommendation), one cell per organisation."""

    number: str
    text: str
    is_sub: bool
    cells: list[Cell]
    counts: dict[str, int] = field(default_factory=dict)

    def count_list(self) -> list[tuple[str, str, int]]:
        return [(value, label, self.counts.get(value, 0)) for value, label in CATEGORIES]


@dataclass
class NationalReport:
    report: Report
    periods: list[NationalPeriod]
    period: NationalPeriod | None
    columns: list[Column]  # every organisation, as the filters leave them
    rows: list[Row]
    on: dt.date
    filters: Filters = field(default_factory=Filters)
    public: bool = False
    all_columns: list[Column] = field(default_factory=list)

    @property
    def not_returned(self) -> list[Column]:
        return [column for column in self.all_columns if not column.returned]

    @property
    def late(self) -> list[Column]:
        return [column for column in self.all_columns if column.is_late(self.on)]

    @property
    def returned_count(self) -> int:
        return len(self.all_columns) - len(self.not_returned)


class ApprovedCell:
    """The version in force of one update, as the rules (queries.build_rows) read a cell:
    its approved status and when it was approved. Ten thousand of these cost a tenth of as
    many model instances, which would be most of the report's time."""

    __slots__ = ("approved_at", "approved_status")
    sign_off = SignOff.APPROVED

    def __init__(self, status: str, approved_at: dt.datetime) -> None:
        self.approved_status = status
        self.approved_at = approved_at

    @property
    def status(self) -> str:
        return self.approved_status

    @property
    def recorded_at(self) -> dt.datetime:
        return self.approved_at


def _plans(report: Report, public: bool) -> list[Plan]:
    """One plan per organisation: the newest answering the report (published, if public)."""
    plans = Plan.objects.filter(report=report).only(
        "pk", "slug", "title", "organisation_id", "report_id", "is_published"
    )
    if public:
        plans = plans.filter(is_published=True)
    chosen: dict[int, Plan] = {}
    for plan in plans.newest_first():
        chosen.setdefault(plan.organisation_id, plan)
    return list(chosen.values())


def _snapshots(plans: list[Plan]) -> dict[int, PlanSnapshot]:
    """Every plan loaded for its rows, approved updates only: three queries for them all."""
    ids = [plan.pk for plan in plans]
    periods: dict[int, list[ReportingPeriod]] = defaultdict(list)
    for period in ReportingPeriod.objects.filter(plan_id__in=ids).order_by(
        "plan_id", "position", "id"
    ):
        periods[period.plan_id].append(period)
    items: dict[int, list[Recommendation]] = defaultdict(list)
    recommendations = Recommendation.objects.filter(plan_id__in=ids).only(
        "pk", "plan_id", "parent_id", "number", "sort_key", "due_date", "owner_id",
        "report_recommendation_id",
    )  # fmt: skip
    for rec in recommendations.order_by("plan_id", "sort_key"):
        items[rec.plan_id].append(rec)
    # What the rules read of an update: its approved status and when it was approved. The
    # texts stay in the database; the cells link to the force's page that shows them.
    updates: dict[int, dict[tuple[int, int], StatusUpdate]] = defaultdict(dict)
    approved = StatusUpdate.objects.filter(
        recommendation__plan_id__in=ids, approved_at__isnull=False
    ).values_list(
        "recommendation_id",
        "period_id",
        "approved_status",
        "approved_at",
        "recommendation__plan_id",
    )
    for rec_id, period_id, status, at, plan_id in approved.order_by():
        updates[plan_id][(rec_id, period_id)] = ApprovedCell(status, at)
    snapshots = {}
    for plan in plans:
        for rec in items[plan.pk]:
            rec.plan = plan
        top, subs = _by_parent(items[plan.pk])
        snapshots[plan.pk] = PlanSnapshot(plan, periods[plan.pk], top, subs, updates[plan.pk])
    return snapshots


def _first_approvals(period_ids: list[int]) -> dict[int, dt.datetime]:
    """Per plan period, when an update for it was first approved (from history)."""
    if not period_ids:
        return {}
    # Each version keeps the moment it was approved: a later approval does not hide the first.
    rows = (
        StatusUpdate.history.filter(period_id__in=period_ids, approved_at__isnull=False)
        .order_by()
        .values("period_id")
        .annotate(first=Min("approved_at"))
        .values_list("period_id", "first")
    )
    return dict(rows)


def _updated(row: PlanRow, index: int) -> dt.date | None:
    dates = [
        cell.approved_at
        for item in [row, *row.actions]
        for cell in item.cells[: index + 1]
        if cell is not None
    ]
    return timezone.localdate(max(dates)) if dates else None


def national_report(
    report: Report,
    *,
    period_key: str | None = None,
    filters: Filters | None = None,
    public: bool = False,
    on: dt.date | None = None,
) -> NationalReport:
    """The matrix of the report's recommendations by organisation for one period (default
    the latest), approved content only; PeriodNotFound for a period the report lacks."""
    filters = filters or Filters()
    on = on or today()
    # In natural order of their names: "Example Force 2" before "Example Force 10".
    plans = _plans(report, public)
    # Every force expected to return, and whoever has a plan for the report.
    organisations = sorted(
        Organisation.objects.filter(
            Q(answers_reports=True) | Q(pk__in=[plan.organisation_id for plan in plans])
        ).order_by("name", "pk"),
        key=lambda org: natural_key(org.name),
    )
    snapshots = _snapshots(plans)
    every_period = [period for snap in snapshots.values() for period in snap.periods]
    periods = national_periods(every_period)
    period = choose_period(periods, period_key)
    references = list(ReportRecommendation.objects.filter(report=report).order_by("sort_key", "pk"))

    plan_of = {plan.organisation_id: plan for plan in plans}
    columns = [Column(organisation, plan_of.get(organisation.pk)) for organisation in organisations]
    # Per organisation, the plan's rows by the report recommendation they answer.
    answers: dict[int, dict[int, tuple[PlanRow, int]]] = {}
    for column in columns:
        if column.plan is None or period is None:
            continue
        snapshot = snapshots[column.plan.pk]
        matching = [i for i, p in enumerate(snapshot.periods) if period.matches(p)]
        if not matching:
            continue
        index = matching[-1]
        column.period = snapshot.periods[index]
        rows = build_rows(snapshot, on=on)
        found: dict[int, tuple[PlanRow, int]] = {}
        for row in rows:
            for item in [row, *row.actions]:
                ref = item.recommendation.report_recommendation_id
                if ref is not None:
                    found.setdefault(ref, (item, index))
                column.returned = column.returned or any(
                    i in matching and cell is not None for i, cell in enumerate(item.cells)
                )
        answers[column.organisation.pk] = found
    firsts = _first_approvals([c.period.pk for c in columns if c.period is not None])
    for column in columns:
        if column.period is None:
            continue
        first = firsts.get(column.period.pk)
        # Rows made in bulk have no history: their approval moments stand in.
        in_period = [
            row.cells[index].approved_at
            for row, index in answers[column.organisation.pk].values()
            if row.cells[index] is not None
        ]
        known = [moment for moment in [first, *in_period] if moment is not None]
        column.first_approved = min(known) if known else None

    # Anonymous readers go to the force's public page; everyone else to the recommendation's.
    public_links = {plan.pk: reverse("public_plan", args=[plan.slug]) for plan in plans}
    rows = []
    for reference in references:
        cells = []
        for column in columns:
            found = answers.get(column.organisation.pk, {}).get(reference.pk)
            if found is None:
                cells.append(Cell(column))
                continue
            row, index = found
            rec = row.recommendation
            url = public_links[rec.plan_id] if public else rec.get_absolute_url()
            status = row.statuses[index] if row.statuses else ""
            cells.append(Cell(column, status, True, _updated(row, index), url))
        counts: dict[str, int] = {}
        for cell in cells:
            counts[cell.category] = counts.get(cell.category, 0) + 1
        rows.append(
            Row(reference.number, reference.text, reference.parent_id is not None, cells, counts)
        )
    return _filtered(
        NationalReport(report, periods, period, columns, rows, on, filters, public, columns)
    )


def _filtered(national: NationalReport) -> NationalReport:
    """The matrix as the filters leave it; counts stay those of every organisation."""
    filters = national.filters
    if filters.not_returned:
        keep = [i for i, column in enumerate(national.columns) if not column.returned]
        national.columns = [national.columns[i] for i in keep]
        for row in national.rows:
            row.cells = [row.cells[i] for i in keep]
    if filters.status:
        national.rows = [
            row for row in national.rows if any(c.category == filters.status for c in row.cells)
        ]
    return national

"""Reads for the executive dashboard: figures per plan and overall, and recent activity.

Every figure comes from one query of a small row per recommendation and action, whatever the
number of plans, and counts by the same rules (progress.py) exactly the rows the plan table
shows under the matching filter, so each number can link to the table that explains it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import Page
from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse

from .choices import (
    FINISHED_STATUSES,
    NO_STATUS_LABEL,
    Rag,
    Status,
    rag_for,
    status_label,
)
from .figures import (
    PLANS_PER_PAGE,
    PeriodStatuses,
    plan_page,
    plans_in_title_order,
    standings_by_plan,
    statuses_by_period,
)
from .history import Change, latest_changes
from .models import Plan, ReportingPeriod
from .queries import today

ACTIVITY_LIMIT = 15
NO_STATUS = "none"  # the plan table's filter value for "no status given"

# The plan table's on/off GET filters, each named after the figure it explains.
FLAG_FILTERS = ("overdue", "stale", "awaiting", "slipped")


@dataclass
class StatusCount:
    """How many recommendations stand at one status, with the badge and bar that show it."""

    value: str  # a Status value, or "none"
    label: str
    rag: Rag
    count: int
    total: int
    url: str = ""

    @property
    def percent(self) -> int:
        return round(100 * self.count / self.total) if self.total else 0

    @property
    def bar_width(self) -> str:
        # An SVG attribute, so always a dot decimal whatever the page's locale.
        return f"{100 * self.count / self.total:.1f}" if self.total else "0"


@dataclass
class Summary:
    """The dashboard's figures for one plan, or for all plans together (`plan` is None)."""

    plan: Plan | None
    total: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    stale: int = 0
    awaiting: int = 0
    slipped: int = 0
    latest_period: str = ""
    has_periods: bool = True
    links: dict[str, str] = field(default_factory=dict)
    # Recommendations whose status sign-off would change, by the status they would move to.
    would_move: dict[str, int] = field(default_factory=dict)
    # Sub-recommendations and actions reporting for themselves (their own figures).
    actions: int = 0
    actions_finished: int = 0
    actions_overdue: int = 0
    # Progress over time (one plan's only): its approved statuses in each reporting period.
    progress: list[PeriodStatuses] = field(default_factory=list)

    def add(self, other: Summary) -> None:
        """Count another summary's recommendations in with these."""
        self.total += other.total
        self.actions += other.actions
        self.actions_finished += other.actions_finished
        self.actions_overdue += other.actions_overdue
        for value, count in other.would_move.items():
            self.would_move[value] = self.would_move.get(value, 0) + count
        self.overdue += other.overdue
        self.stale += other.stale
        self.awaiting += other.awaiting
        self.slipped += other.slipped
        for value, count in other.statuses.items():
            self.statuses[value] = self.statuses.get(value, 0) + count

    @property
    def complete(self) -> int:
        return self.statuses.get(Status.COMPLETE, 0)

    @property
    def closed(self) -> int:
        return self.statuses.get(Status.CLOSED, 0)

    @property
    def finished(self) -> int:
        return sum(self.statuses.get(status, 0) for status in FINISHED_STATUSES)

    @property
    def percent_complete(self) -> int:
        # Rounded down, so a plan shows 100% only when every recommendation is finished.
        return 100 * self.finished // self.total if self.total else 0

    @property
    def percent_bar_width(self) -> str:
        return f"{100 * self.finished / self.total:.1f}" if self.total else "0"

    @property
    def sign_off_moves(self) -> list[tuple[str, int]]:
        """(status label, recommendations) that approving what awaits sign-off would move
        there, in the statuses' order."""
        order = [*Status.values, NO_STATUS]
        return [
            (status_label("" if value == NO_STATUS else value), self.would_move[value])
            for value in order
            if self.would_move.get(value)
        ]

    @property
    def status_counts(self) -> list[StatusCount]:
        """Every status in the shared order, then "no status given", zeros included."""
        rows = [
            StatusCount(value, label, rag_for(value), self.statuses.get(value, 0), self.total)
            for value, label in Status.choices
        ]
        rows.append(
            StatusCount(
                NO_STATUS,
                NO_STATUS_LABEL,
                rag_for(""),
                self.statuses.get(NO_STATUS, 0),
                self.total,
            )
        )
        for row in rows:
            row.url = self.links.get(f"status_{row.value}", "")
        return rows


@dataclass
class Dashboard:
    """Everything the dashboard page shows: the overall figures count every plan, `plans`
    holds one page of them."""

    plans: list[Summary]
    overall: Summary
    activity: list[Change]
    on: dt.date
    page: Page | None = None

    @property
    def plan_count(self) -> int:
        return self.page.paginator.count if self.page is not None else len(self.plans)


def plan_table_url(plan: Plan, **params: str) -> str:
    """The plan table narrowed by the given GET filters."""
    url = reverse("plan_table", args=[plan.slug])
    return f"{url}?{urlencode(params)}" if params else url


def _links_for_plan(plan: Plan) -> dict[str, str]:
    links = {"total": plan_table_url(plan)}
    for name in FLAG_FILTERS:
        links[name] = plan_table_url(plan, **{name: "on"})
    for value in [*Status.values, NO_STATUS]:
        links[f"status_{value}"] = plan_table_url(plan, status=value)
    return links


def _links_to(anchor: str) -> dict[str, str]:
    names = ["total", *FLAG_FILTERS, *(f"status_{v}" for v in [*Status.values, NO_STATUS])]
    return dict.fromkeys(names, anchor)


def _counts_by_plan(on: dt.date, plans: QuerySet[Plan]) -> dict[int, Summary]:
    """Per plan id, its figures, from where each recommendation stands (its actions counted
    in, by the rules in progress.py that the plan table applies too): one query, whatever
    the number of plans."""
    counts: dict[int, Summary] = {}
    for plan_id, standings in standings_by_plan(None, on, plans=plans).items():
        summary = counts[plan_id] = Summary(plan=None, total=len(standings.recommendations))
        summary.actions = standings.actions.reporting
        summary.actions_finished = standings.actions.finished
        summary.actions_overdue = standings.actions.overdue
        for standing in standings.recommendations:
            key = standing.status or NO_STATUS
            summary.statuses[key] = summary.statuses.get(key, 0) + 1
            summary.overdue += standing.overdue
            summary.stale += standing.stale
            summary.awaiting += standing.awaiting
            summary.slipped += standing.slipped
            if standing.sign_off_would_move:
                moved = standing.pending_status or NO_STATUS
                summary.would_move[moved] = summary.would_move.get(moved, 0) + 1
    return counts


def _summary(plan: Plan, counts: Summary | None) -> Summary:
    summary = counts or Summary(plan=None)
    summary.plan = plan
    summary.latest_period = plan.latest_period_label or ""
    summary.has_periods = plan.latest_period_label is not None
    summary.links = _links_for_plan(plan)
    return summary


def _overall(summaries: list[Summary], *, anchor: str) -> Summary:
    overall = Summary(plan=None, links=_links_to(anchor))
    for summary in summaries:
        overall.add(summary)
    return overall


def _with_latest_period(plans):
    return plans.annotate(
        latest_period_label=Subquery(
            ReportingPeriod.objects.filter(plan_id=OuterRef("pk"))
            .order_by("-position", "-id")
            .values("label")[:1]
        )
    )


# ---------------------------------------------------------------------------- recent activity


def recent_activity(
    limit: int = ACTIVITY_LIMIT, *, organisation_id: int | None = None
) -> list[Change]:
    """The latest changes people can see to recommendations, actions, their updates (a moved
    deadline included) and evidence, newest first, described as the recommendation page's
    history describes them; only one organisation's plans, if given. A fixed number of
    queries (history.latest_changes)."""
    return latest_changes(limit, organisation_id=organisation_id)


# ---------------------------------------------------------------------------- the page

OVERALL_ANCHOR = "#by-plan"


def dashboard(
    on: dt.date | None = None,
    *,
    page: str | int | None = None,
    per_page: int = PLANS_PER_PAGE,
    organisation_id: int | None = None,
) -> Dashboard:
    """The dashboard in a fixed number of queries, however many plans and recommendations:
    every organisation's plans, or with `organisation_id` that organisation's only.

    The overall figures count every plan shown; the comparison and the sections per plan show
    one page of plans (`per_page=0`: all of them).
    """
    on = on or today()
    plans = plans_in_title_order()
    if organisation_id is not None:
        plans = plans.filter(organisation_id=organisation_id)
    counts = _counts_by_plan(on, plans)
    plans_page = plan_page(page, per_page=per_page, plans=_with_latest_period(plans))
    plans = [_summary(plan, counts.get(plan.pk)) for plan in plans_page.object_list]
    progress = statuses_by_period([summary.plan.pk for summary in plans])
    for summary in plans:
        summary.progress = progress.get(summary.plan.pk, [])
    if plans_page.paginator.count == 1:
        # One plan: the overall figures are that plan's, and link to its table.
        overall = _overall(plans, anchor="")
        overall.links = plans[0].links
        overall.latest_period = plans[0].latest_period
        overall.has_periods = plans[0].has_periods
    else:
        overall = _overall(list(counts.values()), anchor=OVERALL_ANCHOR)
    return Dashboard(
        plans=plans,
        overall=overall,
        activity=recent_activity(organisation_id=organisation_id),
        on=on,
        page=plans_page,
    )

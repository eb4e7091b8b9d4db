"""Figures across plans: where each recommendation stands (its actions counted in, by the
rules in progress.py), read as one small row per recommendation and action, for the plan
list, the dashboard and the reminders; and the plan list's pages.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)

from . import progress
from .choices import FINISHED_STATUSES, SignOff
from .models import DueDateChange, Plan, Recommendation, ReportingPeriod, StatusUpdate
from .queries import today


def _latest_update(*conditions) -> QuerySet[StatusUpdate]:
    """A recommendation's (or action's) updates meeting `conditions`, latest period first.

    The periods are looked up within the recommendation's own plan, so the database reads a
    dozen rows per recommendation whatever the number of plans.
    """
    return StatusUpdate.objects.filter(
        *conditions, recommendation=OuterRef("pk"), period__plan_id=OuterRef("plan_id")
    ).order_by("-period__position", "-period_id")


def approved_status_subquery() -> Subquery:
    """The approved status of a recommendation's latest update with an approved version
    (the version in force); NULL where nothing was ever approved."""
    latest = _latest_update(Q(approved_at__isnull=False))
    return Subquery(latest.values("approved_status")[:1])


def pending_status_subquery() -> Subquery:
    """The same, with every update awaiting sign-off counted as if approved."""
    latest = _latest_update(Q(approved_at__isnull=False) | Q(sign_off=SignOff.SUBMITTED))
    effective = Case(
        When(sign_off=SignOff.SUBMITTED, then=F("status")), default=F("approved_status")
    )
    return Subquery(latest.annotate(effective=effective).values("effective")[:1])


def _latest_period_id() -> Subquery:
    """The plan's current reporting period: the last column, as the plan table orders them."""
    latest = ReportingPeriod.objects.filter(plan_id=OuterRef("plan_id")).order_by(
        "-position", "-id"
    )
    return Subquery(latest.values("id")[:1])


def item_facts(recommendations: QuerySet[Recommendation]) -> list[progress.Facts]:
    """The facts the rules need, one small row per recommendation and action, in one query."""
    rows = (
        recommendations.order_by()
        .annotate(
            current_status=approved_status_subquery(),
            pending_status=pending_status_subquery(),
            has_update=Exists(StatusUpdate.objects.filter(recommendation=OuterRef("pk"))),
            latest_period_id=_latest_period_id(),
            has_current_update=Exists(
                StatusUpdate.objects.filter(
                    recommendation=OuterRef("pk"), period_id=OuterRef("latest_period_id")
                )
            ),
            is_awaiting=Exists(
                StatusUpdate.objects.filter(
                    recommendation=OuterRef("pk"), sign_off=SignOff.SUBMITTED
                )
            ),
            has_slipped=Exists(DueDateChange.objects.filter(recommendation=OuterRef("pk"))),
            has_owner=ExpressionWrapper(Q(owner__isnull=False), output_field=BooleanField()),
        )
        .values_list(
            "id",
            "plan_id",
            "parent_id",
            "due_date",
            "current_status",
            "pending_status",
            "has_update",
            "has_current_update",
            "is_awaiting",
            "has_slipped",
            "has_owner",
        )
    )
    return [progress.Facts(*row) for row in rows]


@dataclass
class PlanStandings:
    """Where each of a plan's recommendations stands (actions counted in), and its actions'
    own figures."""

    recommendations: list[progress.Standing] = field(default_factory=list)
    actions: progress.ActionCounts = field(default_factory=progress.ActionCounts)


def standings_by_plan(
    plan_ids: list[int] | None, on: dt.date, *, plans: QuerySet[Plan] | None = None
) -> dict[int, PlanStandings]:
    """Per plan (by default every plan, or those of `plans`), where each of its
    recommendations stands, actions counted in, by the rules in progress.py: one query."""
    recommendations = Recommendation.objects.all()
    if plan_ids is not None:
        recommendations = recommendations.filter(plan_id__in=plan_ids)
    if plans is not None:
        recommendations = recommendations.filter(plan__in=plans.values("pk"))
    facts_by_plan: dict[int, list[progress.Facts]] = defaultdict(list)
    for item in item_facts(recommendations):
        facts_by_plan[item.plan_id].append(item)
    return {
        plan_id: PlanStandings(
            recommendations=list(progress.standings(facts_by_plan.get(plan_id, []), on).values()),
            actions=progress.action_counts(facts_by_plan.get(plan_id, []), on),
        )
        for plan_id in (plan_ids if plan_ids is not None else facts_by_plan)
    }


PLANS_PER_PAGE = 25


def plans_in_title_order() -> QuerySet[Plan]:
    return Plan.objects.select_related("executive_lead", "report", "organisation").order_by(
        "title", "pk"
    )


def plan_page(
    number: str | int | None,
    *,
    per_page: int = PLANS_PER_PAGE,
    plans: QuerySet[Plan] | None = None,
) -> Page:
    """One page of plans in title order (`per_page=0`: every plan on one page)."""
    plans = plans_in_title_order() if plans is None else plans
    if not per_page:
        # Still a page, so templates need no second case; the count is the paginator's own.
        paginator = Paginator(plans, 1)
        paginator.per_page = max(1, paginator.count)
        return paginator.get_page(1)
    return Paginator(plans, per_page).get_page(number)


def plans_with_summary(plans: list[Plan] | None = None) -> list[Plan]:
    """The plans (by default every plan) with counts of their recommendations, finished ones
    and overdue ones, by the same rules as every other figure (actions counted in)."""
    on = today()
    plans = list(plans_in_title_order() if plans is None else plans)
    standings = standings_by_plan([plan.pk for plan in plans], on)
    for plan in plans:
        mine = standings[plan.pk].recommendations
        plan.total = len(mine)
        plan.finished = sum(standing.status in FINISHED_STATUSES for standing in mine)
        plan.overdue = sum(standing.overdue for standing in mine)
    return plans


@dataclass
class PeriodStatuses:
    """How many of a plan's recommendations stood at each status in one reporting period."""

    period: ReportingPeriod
    counts: dict[str, int]  # Status value ("" for none given) -> recommendations

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def statuses_by_period(plan_ids: list[int]) -> dict[int, list[PeriodStatuses]]:
    """Per plan, for each of its reporting periods in order, how many recommendations stood at
    each approved status then: an item's status in a period is that of its latest approved
    update in that period or before, and a recommendation without one of its own stands where
    its actions do (progress.py). Three queries, whatever the number of plans."""
    periods: dict[int, list[ReportingPeriod]] = defaultdict(list)
    for period in ReportingPeriod.objects.filter(plan_id__in=plan_ids).order_by(
        "plan_id", "position", "id"
    ):
        periods[period.plan_id].append(period)
    items = list(
        Recommendation.objects.filter(plan_id__in=plan_ids)
        .order_by()
        .values_list("id", "plan_id", "parent_id")
    )
    approved = {
        (rec_id, period_id): status
        for rec_id, period_id, status in StatusUpdate.objects.filter(
            recommendation__plan_id__in=plan_ids, approved_at__isnull=False
        )
        .order_by()
        .values_list("recommendation_id", "period_id", "approved_status")
    }
    actions: dict[int, list[int]] = defaultdict(list)
    for rec_id, _, parent_id in items:
        if parent_id is not None:
            actions[parent_id].append(rec_id)
    result: dict[int, list[PeriodStatuses]] = {}
    for plan_id in plan_ids:
        mine = periods.get(plan_id, [])
        counts = [PeriodStatuses(period, {}) for period in mine]

        def given(rec_id: int, columns: list[ReportingPeriod] = mine) -> list[str | None]:
            return [approved.get((rec_id, period.pk)) for period in columns]

        for rec_id, rec_plan, parent_id in items:
            if rec_plan != plan_id or parent_id is not None:
                continue
            statuses = progress.status_in_periods(
                given(rec_id), [given(action) for action in actions.get(rec_id, [])]
            )
            for entry, status in zip(counts, statuses, strict=True):
                entry.counts[status] = entry.counts.get(status, 0) + 1
        result[plan_id] = counts
    return result

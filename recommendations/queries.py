"""Reads. The plan table, the returns (XLSX, PDF) and the public page share `plan_table`,
so what a page shows is exactly what is exported.

A plan is loaded whole in a fixed number of queries (a "snapshot"), either as it stands or as
it stood at any past moment, rebuilt from history; rows are then filtered in memory, so the
live and the historical views go through the same code.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from .choices import FINISHED_STATUSES, SignOff
from .models import (
    DueDateChange,
    Owner,
    Plan,
    Recommendation,
    ReportingPeriod,
    StatusUpdate,
    SubRecommendation,
)


@dataclass(frozen=True)
class PlanFilters:
    """What the user narrowed the plan table to; empty values mean "everything"."""

    status: str = ""  # a Status value, or "none" for recommendations with no status yet
    owner_id: int | None = None
    overdue: bool = False
    q: str = ""
    no_current_update: bool = False  # nothing recorded for the latest reporting period
    awaiting_sign_off: bool = False
    slipped: bool = False  # the due date has been moved at least once

    @property
    def active(self) -> bool:
        return any(
            (
                self.status,
                self.owner_id,
                self.overdue,
                self.q,
                self.no_current_update,
                self.awaiting_sign_off,
                self.slipped,
            )
        )


@dataclass
class PlanSnapshot:
    """Everything in one plan, as it stands or as it stood at `as_of`.

    Updates come without their authors: no plan page or return shows them, and loading 360
    user rows with a plan's updates cost a quarter of the plan table's reads.
    """

    plan: Plan
    periods: list[ReportingPeriod]
    recommendations: list[Recommendation]
    subrecommendations: dict[int, list[SubRecommendation]]
    updates: dict[tuple[int, int], StatusUpdate]
    slips: dict[int, int] = field(default_factory=dict)
    as_of: dt.datetime | None = None


@dataclass
class PlanRow:
    """One recommendation with its sub-recommendations and one cell per reporting period."""

    recommendation: Recommendation
    subrecommendations: list[SubRecommendation]
    cells: list[StatusUpdate | None]
    current: StatusUpdate | None
    overdue: bool
    slips: int = 0

    @property
    def awaiting_sign_off(self) -> bool:
        return any(cell is not None and cell.sign_off == SignOff.SUBMITTED for cell in self.cells)

    @property
    def status(self) -> str:
        return self.current.status if self.current else ""

    @property
    def last_updated(self) -> dt.datetime | None:
        dates = [cell.recorded_at for cell in self.cells if cell is not None]
        return max(dates) if dates else None


@dataclass
class PlanTable:
    """The rows of a plan after filtering, with the columns they are shown in."""

    plan: Plan
    periods: list[ReportingPeriod]
    rows: list[PlanRow]
    total: int
    filters: PlanFilters = field(default_factory=PlanFilters)
    as_of: dt.datetime | None = None
    period: ReportingPeriod | None = None
    approved_only: bool = False

    @property
    def period_index(self) -> int | None:
        if self.period is None:
            return None
        return self.periods.index(self.period)

    def cell_for_period(self, row: PlanRow) -> StatusUpdate | None:
        index = self.period_index
        return row.cells[index] if index is not None else row.current

    @property
    def owners(self) -> list[Owner]:
        seen = {
            row.recommendation.owner.pk: row.recommendation.owner
            for row in self.rows
            if row.recommendation.owner
        }
        return sorted(seen.values(), key=lambda owner: owner.name)


def today() -> dt.date:
    return timezone.localdate()


def is_overdue(recommendation: Recommendation, current: StatusUpdate | None, on: dt.date) -> bool:
    """Past its due date and not yet complete or closed."""
    if recommendation.due_date is None or recommendation.due_date >= on:
        return False
    return current is None or current.status not in FINISHED_STATUSES


# ---------------------------------------------------------------------------- snapshots


def plan_snapshot(
    plan: Plan, *, as_of: dt.datetime | None = None, approved_only: bool = False
) -> PlanSnapshot:
    """Load a whole plan in a constant number of queries.

    With `as_of`, every row is rebuilt from its history as it stood at that moment. With
    `approved_only`, each update shows its latest approved version (an approved update being
    edited again keeps showing what was approved).
    """
    if as_of is not None:
        return _historical_snapshot(plan, as_of=as_of, approved_only=approved_only)
    # Ordered by this plan's own columns: the models' default orderings go through their
    # foreign keys (plan title, recommendation order), which joins whole tables to sort.
    periods = list(plan.periods.order_by("position", "id"))
    recommendations = list(
        Recommendation.objects.filter(plan=plan)
        .order_by("sort_key")
        .select_related("owner")
        .prefetch_related(
            Prefetch(
                "subrecommendations",
                queryset=SubRecommendation.objects.select_related("owner").order_by(
                    "recommendation_id", "sort_key"
                ),
            )
        )
    )
    subs = {rec.pk: list(rec.subrecommendations.all()) for rec in recommendations}
    for rec in recommendations:
        rec.plan = plan
    if approved_only:
        updates = _approved_updates(plan, as_of=None)
    else:
        updates = {
            (update.recommendation_id, update.period_id): update
            for update in StatusUpdate.objects.filter(recommendation__plan=plan).order_by()
        }
    return PlanSnapshot(plan, periods, recommendations, subs, updates, _slips(plan, as_of=None))


def _slips(plan: Plan, *, as_of: dt.datetime | None) -> dict[int, int]:
    """How many times each recommendation's due date has been moved (by `as_of`)."""
    changes = DueDateChange.objects.filter(recommendation__plan=plan)
    if as_of is not None:
        changes = changes.filter(changed_at__lte=as_of)
    return dict(
        changes.order_by()
        .values("recommendation_id")
        .annotate(n=Count("id"))
        .values_list("recommendation_id", "n")
    )


def _latest_versions(history: QuerySet) -> list:
    """The newest history record of each object, dropping objects deleted by then."""
    latest = {}
    for record in history.order_by("history_date", "history_id"):
        latest[record.id] = record
    return [record for record in latest.values() if record.history_type != "-"]


def _historical_snapshot(plan: Plan, *, as_of: dt.datetime, approved_only: bool) -> PlanSnapshot:
    until = Q(history_date__lte=as_of)
    plan_records = _latest_versions(Plan.history.filter(until, id=plan.pk))
    historical_plan = plan_records[0].instance if plan_records else plan
    historical_plan.pk = plan.pk

    periods = sorted(
        (
            record.instance
            for record in _latest_versions(ReportingPeriod.history.filter(until, plan_id=plan.pk))
        ),
        key=lambda period: (period.position, period.pk),
    )
    rec_ids = Recommendation.history.filter(plan_id=plan.pk).values("id")
    recommendations = [
        record.instance
        for record in _latest_versions(Recommendation.history.filter(until, plan_id=plan.pk))
    ]
    owner_history = Owner.history.filter(until)
    owners = {record.id: record.instance for record in _latest_versions(owner_history)}
    for rec in recommendations:
        rec.owner = owners.get(rec.owner_id)
        rec.plan = plan
    recommendations.sort(key=lambda rec: rec.sort_key)

    subs: dict[int, list[SubRecommendation]] = defaultdict(list)
    for record in _latest_versions(
        SubRecommendation.history.filter(until, recommendation_id__in=rec_ids)
    ):
        sub = record.instance
        sub.owner = owners.get(sub.owner_id)
        subs[sub.recommendation_id].append(sub)
    for items in subs.values():
        items.sort(key=lambda sub: sub.sort_key)

    if approved_only:
        updates = _approved_updates(plan, as_of=as_of)
    else:
        updates = {}
        for record in _latest_versions(
            StatusUpdate.history.filter(until, recommendation_id__in=rec_ids)
        ):
            updates[(record.recommendation_id, record.period_id)] = record.instance
    return PlanSnapshot(
        historical_plan,
        periods,
        recommendations,
        dict(subs),
        updates,
        _slips(plan, as_of=as_of),
        as_of,
    )


def _approved_updates(
    plan: Plan, *, as_of: dt.datetime | None
) -> dict[tuple[int, int], StatusUpdate]:
    """Per update, the latest version that an executive approved (by `as_of`, if given)."""
    history = StatusUpdate.history.filter(
        recommendation_id__in=Recommendation.history.filter(plan_id=plan.pk).values("id")
    )
    if as_of is not None:
        history = history.filter(history_date__lte=as_of)
    latest, approved = {}, {}
    for record in history.order_by("history_date", "history_id"):
        latest[record.id] = record
        if record.sign_off == SignOff.APPROVED:
            approved[record.id] = record
    updates = {
        (record.recommendation_id, record.period_id): record.instance
        for update_id, record in approved.items()
        if latest[update_id].history_type != "-"
    }
    return updates


# ---------------------------------------------------------------------------- the plan table


def _matches_text(row: PlanRow, needle: str) -> bool:
    rec = row.recommendation
    haystack = [rec.number, rec.text, rec.addressee, str(rec.owner or "")]
    haystack += [f"{sub.number} {sub.text}" for sub in row.subrecommendations]
    haystack += [cell.text for cell in row.cells if cell is not None]
    return any(needle in text.casefold() for text in haystack)


def _keep(row: PlanRow, filters: PlanFilters) -> bool:
    if filters.status == "none" and row.status:
        return False
    if filters.status and filters.status != "none" and row.status != filters.status:
        return False
    if filters.owner_id and row.recommendation.owner_id != filters.owner_id:
        return False
    if filters.overdue and not row.overdue:
        return False
    if filters.no_current_update and row.cells and row.cells[-1] is not None:
        return False
    if filters.awaiting_sign_off and not row.awaiting_sign_off:
        return False
    if filters.slipped and not row.slips:
        return False
    return not (filters.q and not _matches_text(row, filters.q.casefold()))


def build_rows(snapshot: PlanSnapshot, *, on: dt.date) -> list[PlanRow]:
    """One row per recommendation, in the report's natural number order."""
    rows = []
    for rec in snapshot.recommendations:
        cells = [snapshot.updates.get((rec.pk, period.pk)) for period in snapshot.periods]
        current = next((cell for cell in reversed(cells) if cell is not None), None)
        rows.append(
            PlanRow(
                recommendation=rec,
                subrecommendations=snapshot.subrecommendations.get(rec.pk, []),
                cells=cells,
                current=current,
                overdue=is_overdue(rec, current, on),
                slips=snapshot.slips.get(rec.pk, 0),
            )
        )
    return rows


def plan_table(
    plan: Plan,
    *,
    filters: PlanFilters | None = None,
    as_of: dt.datetime | None = None,
    period: ReportingPeriod | None = None,
    approved_only: bool = False,
) -> PlanTable:
    """The plan as a table: what the plan page shows and what the returns export."""
    filters = filters or PlanFilters()
    snapshot = plan_snapshot(plan, as_of=as_of, approved_only=approved_only)
    on = timezone.localtime(as_of).date() if as_of else today()
    rows = build_rows(snapshot, on=on)
    if period is not None:
        period = next((p for p in snapshot.periods if p.pk == period.pk), None)
    return PlanTable(
        plan=snapshot.plan,
        periods=snapshot.periods,
        rows=[row for row in rows if _keep(row, filters)],
        total=len(rows),
        filters=filters,
        as_of=as_of,
        period=period,
        approved_only=approved_only,
    )


# ---------------------------------------------------------------------------- summaries


def latest_status_subquery() -> Subquery:
    """The status of a recommendation's update in its latest reporting period.

    The periods are looked up within the recommendation's own plan, so the database reads a
    dozen rows per recommendation whatever the number of plans.
    """
    latest = StatusUpdate.objects.filter(
        recommendation=OuterRef("pk"), period__plan_id=OuterRef("plan_id")
    ).order_by("-period__position", "-period_id")
    return Subquery(latest.values("status")[:1])


def recommendations_with_status() -> QuerySet[Recommendation]:
    return Recommendation.objects.annotate(current_status=latest_status_subquery())


def overdue_q(on: dt.date) -> Q:
    return Q(due_date__lt=on) & (
        Q(current_status__isnull=True) | ~Q(current_status__in=list(FINISHED_STATUSES))
    )


PLANS_PER_PAGE = 25


def plans_in_title_order() -> QuerySet[Plan]:
    return Plan.objects.select_related("executive_lead").order_by("title", "pk")


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
    """The plans (by default every plan) with counts of their recommendations, complete ones
    and overdue ones: one grouped query over those plans' recommendations only."""
    on = today()
    plans = list(plans_in_title_order() if plans is None else plans)
    counts = {
        row["plan_id"]: row
        for row in recommendations_with_status()
        .filter(plan_id__in=[plan.pk for plan in plans])
        .order_by()
        .values("plan_id")
        .annotate(
            total=Count("id"),
            finished=Count("id", filter=Q(current_status__in=list(FINISHED_STATUSES))),
            overdue=Count("id", filter=overdue_q(on)),
        )
    }
    for plan in plans:
        row = counts.get(plan.pk, {})
        plan.total = row.get("total", 0)
        plan.finished = row.get("finished", 0)
        plan.overdue = row.get("overdue", 0)
    return plans


def recommendation_detail(plan: Plan, number: str) -> Recommendation:
    """One recommendation with what its page shows, or Recommendation.DoesNotExist."""
    return (
        Recommendation.objects.select_related("plan", "owner")
        .prefetch_related(
            Prefetch(
                "subrecommendations",
                queryset=SubRecommendation.objects.select_related("owner").order_by(
                    "recommendation_id", "sort_key"
                ),
            ),
            Prefetch(
                "updates",
                queryset=StatusUpdate.objects.select_related(
                    "period", "author", "reviewed_by"
                ).order_by("recommendation_id", "period__position"),
            ),
        )
        .get(plan=plan, number=number)
    )

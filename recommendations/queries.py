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

from django.db.models import (
    Count,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone

from . import progress
from .choices import SignOff
from .models import (
    DueDateChange,
    Owner,
    Plan,
    Recommendation,
    ReportingPeriod,
    StatusUpdate,
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
    recommendations: list[Recommendation]  # the report's, in number order
    subrecommendations: dict[int, list[Recommendation]]  # by recommendation id, in order
    updates: dict[tuple[int, int], StatusUpdate]  # by (recommendation or action id, period id)
    slips: dict[int, int] = field(default_factory=dict)
    as_of: dt.datetime | None = None


@dataclass
class PlanRow:
    """One recommendation with one cell per reporting period, and a row of the same kind for
    each of its sub-recommendations and actions (`actions`).

    `status` and `statuses` (one per period) are the recommendation's approved status, its
    own where it gives one, else its actions' (progress.rollup); `working_statuses` the same
    from the updates as last written; `overdue`, `stale`, `awaiting_sign_off` and `slips`
    count its actions in (progress.standing), as the dashboard and returns do.
    """

    recommendation: Recommendation
    subrecommendations: list[Recommendation]
    cells: list[StatusUpdate | None]
    current: StatusUpdate | None
    overdue: bool
    slips: int = 0
    actions: list[PlanRow] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)  # approved, per period
    working_statuses: list[str] = field(default_factory=list)  # as last written, per period
    status: str = ""  # approved: what every figure counts
    pending_status: str = ""  # were everything awaiting sign-off approved
    stale: bool = False
    awaiting_sign_off: bool = False
    has_slipped: bool = False

    @property
    def own_status(self) -> str:
        return _latest([_approved(cell) for cell in self.cells]) or ""

    @property
    def status_is_rolled_up(self) -> bool:
        return bool(self.status) and not self.own_status

    @property
    def reporting_actions(self) -> list[PlanRow]:
        """The actions that report for themselves: any update, owner or due date of their
        own. The rest are sub-recommendations kept as text (`text_subrecommendations`)."""
        return [row for row in self.actions if row.reports]

    @property
    def text_subrecommendations(self) -> list[Recommendation]:
        return [row.recommendation for row in self.actions if not row.reports]

    @property
    def reports(self) -> bool:
        rec = self.recommendation
        return self.current is not None or rec.owner_id is not None or rec.due_date is not None

    @property
    def period_cells(self) -> list[tuple[StatusUpdate | None, str]]:
        """Per period, its own update and the status it stands at (its own, else its
        actions')."""
        statuses = self.statuses or [""] * len(self.cells)
        return list(zip(self.cells, statuses, strict=True))

    @property
    def last_updated(self) -> dt.datetime | None:
        cells = [cell for row in [self, *self.actions] for cell in row.cells]
        dates = [cell.recorded_at for cell in cells if cell is not None]
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
    everything = list(
        Recommendation.objects.filter(plan=plan).order_by("sort_key").select_related("owner")
    )
    for rec in everything:
        rec.plan = plan
    recommendations, subs = _by_parent(everything)
    if approved_only:
        # The version in force of each update, kept on the update itself by the services.
        updates = {
            (update.recommendation_id, update.period_id): update.approved_copy()
            for update in StatusUpdate.objects.filter(
                recommendation__plan=plan, approved_at__isnull=False
            ).order_by()
        }
    else:
        updates = {
            (update.recommendation_id, update.period_id): update
            for update in StatusUpdate.objects.filter(recommendation__plan=plan).order_by()
        }
    return PlanSnapshot(plan, periods, recommendations, subs, updates, _slips(plan, as_of=None))


def _by_parent(
    everything: list[Recommendation],
) -> tuple[list[Recommendation], dict[int, list[Recommendation]]]:
    """The report's recommendations, and each one's sub-recommendations and actions, in the
    order given."""
    subs: dict[int, list[Recommendation]] = defaultdict(list)
    for rec in everything:
        if rec.parent_id is not None:
            subs[rec.parent_id].append(rec)
    return [rec for rec in everything if rec.parent_id is None], dict(subs)


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
    everything = [
        record.instance
        for record in _latest_versions(Recommendation.history.filter(until, plan_id=plan.pk))
    ]
    owner_history = Owner.history.filter(until)
    owners = {record.id: record.instance for record in _latest_versions(owner_history)}
    for rec in everything:
        rec.owner = owners.get(rec.owner_id)
        rec.plan = plan
    everything.sort(key=lambda rec: rec.sort_key)
    recommendations, subs = _by_parent(everything)

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
        subs,
        updates,
        _slips(plan, as_of=as_of),
        as_of,
    )


def _approved_updates(plan: Plan, *, as_of: dt.datetime) -> dict[tuple[int, int], StatusUpdate]:
    """Per update, the latest version that was approved by `as_of`, from history."""
    history = StatusUpdate.history.filter(
        recommendation_id__in=Recommendation.history.filter(plan_id=plan.pk).values("id"),
        history_date__lte=as_of,
    )
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
    haystack = []
    for item in [row, *row.actions]:
        rec = item.recommendation
        haystack += [rec.number, rec.text, rec.addressee, str(rec.owner or "")]
        haystack += [cell.text for cell in item.cells if cell is not None]
    return any(needle in text.casefold() for text in haystack)


def _keep(row: PlanRow, filters: PlanFilters) -> bool:
    if filters.status == "none" and row.status:
        return False
    if filters.status and filters.status != "none" and row.status != filters.status:
        return False
    if filters.owner_id and filters.owner_id not in {
        item.recommendation.owner_id for item in [row, *row.actions]
    }:
        return False
    if filters.overdue and not row.overdue:
        return False
    if filters.no_current_update and not row.stale:
        return False
    if filters.awaiting_sign_off and not row.awaiting_sign_off:
        return False
    if filters.slipped and not row.has_slipped:
        return False
    return not (filters.q and not _matches_text(row, filters.q.casefold()))


def _item_row(rec: Recommendation, snapshot: PlanSnapshot) -> PlanRow:
    cells = [snapshot.updates.get((rec.pk, period.pk)) for period in snapshot.periods]
    current = next((cell for cell in reversed(cells) if cell is not None), None)
    return PlanRow(
        recommendation=rec,
        subrecommendations=[],
        cells=cells,
        current=current,
        overdue=False,
        slips=snapshot.slips.get(rec.pk, 0),
    )


def _approved(cell: StatusUpdate | None) -> str | None:
    """The status of an update's version in force (None: never approved)."""
    return cell.approved_status if cell is not None and cell.approved_at is not None else None


def _pending(cell: StatusUpdate | None) -> str | None:
    """The same, an update awaiting sign-off counted as if approved."""
    if cell is not None and cell.sign_off == SignOff.SUBMITTED:
        return cell.status
    return _approved(cell)


def _latest(values: list[str | None]) -> str | None:
    return next((value for value in reversed(values) if value is not None), None)


def _facts(row: PlanRow) -> progress.Facts:
    cells = row.cells
    return progress.Facts(
        id=row.recommendation.pk,
        plan_id=row.recommendation.plan_id,
        parent_id=row.recommendation.parent_id,
        due_date=row.recommendation.due_date,
        status=_latest([_approved(cell) for cell in cells]),
        pending_status=_latest([_pending(cell) for cell in cells]),
        has_update=row.current is not None,
        has_current_update=bool(cells) and cells[-1] is not None,
        awaiting=any(cell is not None and cell.sign_off == SignOff.SUBMITTED for cell in cells),
        slipped=bool(row.slips),
        has_owner=row.recommendation.owner_id is not None,
    )


def _per_period(row: PlanRow, status_of_cell) -> list[str]:
    """Per period, where the row stands then (progress.py): its own latest update's status in
    that period or before, else where its actions stand then."""
    return progress.status_in_periods(
        [status_of_cell(cell) for cell in row.cells],
        [[status_of_cell(cell) for cell in action.cells] for action in row.actions],
    )


def _stand(row: PlanRow, on: dt.date) -> None:
    """Fill in where a row stands, with the same rules as every other figure: approved
    statuses, and what they would be were everything awaiting sign-off approved."""
    standing = progress.standing(_facts(row), [_facts(action) for action in row.actions], on)
    row.status, row.overdue, row.stale = standing.status, standing.overdue, standing.stale
    row.awaiting_sign_off, row.has_slipped = standing.awaiting, standing.slipped
    row.pending_status = standing.pending_status
    row.statuses = _per_period(row, _approved)
    row.working_statuses = _per_period(row, lambda cell: cell.status if cell is not None else None)


def build_rows(snapshot: PlanSnapshot, *, on: dt.date) -> list[PlanRow]:
    """One row per recommendation, in the report's natural number order, each with a row per
    sub-recommendation or action."""
    rows = []
    for rec in snapshot.recommendations:
        row = _item_row(rec, snapshot)
        row.actions = [
            _item_row(sub, snapshot) for sub in snapshot.subrecommendations.get(rec.pk, [])
        ]
        row.subrecommendations = [action.recommendation for action in row.actions]
        for action in row.actions:
            _stand(action, on)
        _stand(row, on)
        rows.append(row)
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


def recommendation_row(recommendation: Recommendation) -> PlanRow:
    """The plan table's row for one recommendation (with its actions) or one action, by the
    same rules, reading only its own rows."""
    plan = recommendation.plan
    top = recommendation.parent if recommendation.parent_id else recommendation
    family = [top, *top.subrecommendations.all()] if top is recommendation else [top]
    if top is not recommendation:
        family += list(
            Recommendation.objects.filter(parent=top).select_related("owner").order_by("sort_key")
        )
    for rec in family:
        rec.plan = plan
    ids = [rec.pk for rec in family]
    updates = {
        (update.recommendation_id, update.period_id): update
        for update in StatusUpdate.objects.filter(recommendation_id__in=ids).order_by()
    }
    slips = dict(
        DueDateChange.objects.filter(recommendation_id__in=ids)
        .order_by()
        .values("recommendation_id")
        .annotate(n=Count("id"))
        .values_list("recommendation_id", "n")
    )
    subs = {top.pk: family[1:]}
    snapshot = PlanSnapshot(
        plan, list(plan.periods.order_by("position", "id")), [top], subs, updates, slips
    )
    row = build_rows(snapshot, on=today())[0]
    if top is recommendation:
        return row
    return next(action for action in row.actions if action.recommendation.pk == recommendation.pk)


def recommendation_detail(plan: Plan, number: str) -> Recommendation:
    """One recommendation (or action) with what its page shows, or
    Recommendation.DoesNotExist."""
    return (
        Recommendation.objects.select_related("plan", "owner", "parent__owner")
        .prefetch_related(
            Prefetch(
                "subrecommendations",
                queryset=Recommendation.objects.select_related("owner").order_by(
                    "parent_id", "sort_key"
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

"""Reads for the national collation pages: the plans answering a report, force by force, with
when a return last changed each and when its address was last collected from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from .models import CollectedSource, Plan, Recommendation, ReportingPeriod, StatusUpdate
from .services.collation import REASON


@dataclass(frozen=True)
class CollatedPlan:
    """One force's plan answering the report, as the collation page lists it."""

    plan: Plan
    latest_period: str
    last_changed: dt.datetime | None  # the last history row a return wrote for the plan
    last_collected: dt.datetime | None  # the last fetch of its address (collect_returns)


def _latest(history, **match) -> Subquery:
    rows = history.filter(history_change_reason__startswith=REASON, **match)
    return Subquery(rows.order_by("-history_date").values("history_date")[:1])


def collated_plans(report) -> list[CollatedPlan]:
    """Every plan answering `report`, by organisation, in a fixed number of queries."""
    plans = (
        Plan.objects.filter(report=report)
        .select_related("organisation")
        .annotate(
            latest_period=Subquery(
                ReportingPeriod.objects.filter(plan=OuterRef("pk"))
                .order_by("-position", "-pk")
                .values("label")[:1]
            ),
            plan_changed=_latest(Plan.history, id=OuterRef("pk")),
            recommendation_changed=_latest(Recommendation.history, plan_id=OuterRef("pk")),
            update_changed=_latest(StatusUpdate.history, period__plan_id=OuterRef("pk")),
            last_collected=Subquery(
                CollectedSource.objects.filter(
                    report=report, organisation_id=OuterRef("organisation_id")
                )
                .order_by("-fetched_at")
                .values("fetched_at")[:1]
            ),
        )
        .order_by("organisation__name", "pk")
    )
    found = []
    for plan in plans:
        moments = [plan.plan_changed, plan.recommendation_changed, plan.update_changed]
        changed = max((moment for moment in moments if moment is not None), default=None)
        found.append(CollatedPlan(plan, plan.latest_period or "", changed, plan.last_collected))
    return found

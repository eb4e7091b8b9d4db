"""Setting plans up and changing them: owners, plans, periods, recommendations and their
sub-recommendations and actions, and removing any of them."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import (
    Organisation,
    Owner,
    Plan,
    Recommendation,
    ReportingPeriod,
    ReportRecommendation,
    StatusUpdate,
)
from .base import _apply, _save
from .deadlines import change_due_date
from .organisations import home_organisation, link_to_report, report_for
from .updates import delete_update


def create_owner(
    *,
    name: str,
    rank: str = "",
    role: str = "",
    email: str = "",
    user: AbstractBaseUser | None = None,
    organisation: Organisation | None = None,
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> Owner:
    """Add a named officer or member of staff of `organisation` (by default the deployment's
    own): only that organisation's plans name them."""
    owner = Owner(
        name=name,
        rank=rank,
        role=role,
        email=email,
        user=user,
        organisation=organisation or home_organisation(),
    )
    _save(owner, user=by, reason=reason)
    return owner


REPORT_FIELDS = {
    "report_title": "title",
    "report_publisher": "publisher",
    "report_date": "published",
    "complainant": "complainant",
}


def create_plan(
    *,
    by: AbstractBaseUser | None = None,
    reason: str = "",
    organisation: Organisation | None = None,
    **fields,
) -> Plan:
    """Create a plan; `fields` are Plan's own (slug, title, report, executive_lead...), or the
    report's details as plans used to hold them (report_title, report_publisher, report_date,
    complainant), which find or make the report. Without an organisation, the plan is the
    deployment's own organisation's."""
    described = {
        REPORT_FIELDS[name]: fields.pop(name) for name in list(fields) if name in REPORT_FIELDS
    }
    if "report" not in fields:
        title = described.pop("title", "") or fields.get("title", "")
        fields["report"] = report_for(title=title, by=by, reason=reason, **described)
    plan = Plan(organisation=organisation or home_organisation(), **fields)
    plan.full_clean()
    _save(plan, user=by, reason=reason)
    return plan


def save_import_mapping(
    *, plan: Plan, mapping: dict, by: AbstractBaseUser | None = None, reason: str = ""
) -> Plan:
    """Keep the meaning of each column and status word of the file the plan came from, so the
    next file from the same source imports with one confirmation."""
    plan.import_mapping = mapping
    _save(plan, user=by, reason=reason)
    return plan


def add_period(
    *,
    plan: Plan,
    label: str,
    period_end: dt.date | None = None,
    return_due: dt.date | None = None,
    position: int | None = None,
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> ReportingPeriod:
    """Add a reporting period; by default it becomes the plan's last column."""
    if position is None:
        last = plan.periods.order_by("-position").values_list("position", flat=True).first()
        position = 0 if last is None else last + 1
    period = ReportingPeriod(
        plan=plan, label=label, period_end=period_end, return_due=return_due, position=position
    )
    period.full_clean()
    _save(period, user=by, reason=reason)
    return period


def add_recommendation(
    *,
    plan: Plan,
    number: str,
    text: str,
    addressee: str = "",
    due_date: dt.date | None = None,
    owner: Owner | None = None,
    parent: Recommendation | None = None,
    details: dict[str, str] | None = None,
    local: bool = False,
    report_recommendation: ReportRecommendation | None = None,
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> Recommendation:
    """Add a recommendation with the report's own number; with `parent`, one of that
    recommendation's sub-recommendations or actions ("7.1"). It is linked to the report's
    recommendation of the same number (organisations.link_to_report) unless `local` says it
    is the force's own, or `report_recommendation` names the one it answers (a collected
    return says so itself, whatever the force numbers it)."""
    if parent is not None and (parent.plan_id != plan.pk or parent.parent_id is not None):
        raise ValidationError(
            {"parent": "A sub-recommendation belongs to a recommendation of the same plan."}
        )
    rec = Recommendation(
        plan=plan,
        parent=parent,
        number=number,
        text=text,
        addressee=addressee,
        due_date=due_date,
        owner=owner,
        details=details or {},
        report_recommendation=report_recommendation,
    )
    rec.full_clean()
    if report_recommendation is None:
        link_to_report(rec, local=local, save=False, by=by)
    _save(rec, user=by, reason=reason)
    return rec


def add_subrecommendation(
    *,
    recommendation: Recommendation,
    number: str,
    text: str = "",
    owner: Owner | None = None,
    due_date: dt.date | None = None,
    details: dict[str, str] | None = None,
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> Recommendation:
    """Add a sub-recommendation or action ("7.1") under a recommendation."""
    return add_recommendation(
        plan=recommendation.plan,
        parent=recommendation,
        number=number,
        text=text,
        owner=owner,
        due_date=due_date,
        details=details,
        by=by,
        reason=reason,
    )


ADMIN_REASON = "Changed in the admin"


@transaction.atomic
def change_owner(
    *, owner: Owner, by: AbstractBaseUser | None, reason: str = ADMIN_REASON, **changes
) -> Owner:
    """Change an owner's name, rank, role, email or account."""
    current = Owner.objects.select_for_update().get(pk=owner.pk)
    _apply(current, changes, by=by, reason=reason)
    return current


@transaction.atomic
def change_plan(
    *, plan: Plan, by: AbstractBaseUser | None, reason: str = ADMIN_REASON, **changes
) -> Plan:
    """Change a plan's own details (title, leads, report, published...)."""
    current = Plan.objects.select_for_update().get(pk=plan.pk)
    _apply(current, changes, by=by, reason=reason)
    return current


@transaction.atomic
def change_period(
    *, period: ReportingPeriod, by: AbstractBaseUser | None, reason: str = ADMIN_REASON, **changes
) -> ReportingPeriod:
    """Change a reporting period's label, order or dates."""
    current = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    _apply(current, changes, by=by, reason=reason)
    return current


@transaction.atomic
def change_recommendation(
    *,
    recommendation: Recommendation,
    by: AbstractBaseUser | None,
    reason: str = ADMIN_REASON,
    due_date_reason: str = "",
    **changes,
) -> Recommendation:
    """Change a recommendation's (or action's) own fields; a new due date moves through
    change_due_date, with its reason, so the slip is recorded and the original date kept."""
    current = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    new_due = changes.pop("due_date", current.due_date)
    if changes:
        current.version += 1
        _apply(current, changes, by=by, reason=reason)
    if new_due != current.due_date:
        current = change_due_date(
            recommendation=current, new_date=new_due, reason=due_date_reason, by=by
        )
    return current


@transaction.atomic
def delete(instance, *, by: AbstractBaseUser | None, reason: str = "") -> None:
    """Remove a plan, period, recommendation or owner, and what belongs to it; each removal's
    history record keeps who removed it, when and why. An update is removed with
    delete_update, which also removes its evidence files."""
    if isinstance(instance, StatusUpdate):
        delete_update(update=instance, by=by, reason=reason)
        return
    updates = StatusUpdate.objects.none()
    if isinstance(instance, Plan):
        updates = StatusUpdate.objects.filter(period__plan=instance)
    elif isinstance(instance, ReportingPeriod):
        updates = StatusUpdate.objects.filter(period=instance)
    elif isinstance(instance, Recommendation):
        updates = StatusUpdate.objects.filter(
            recommendation__in=[instance, *instance.subrecommendations.all()]
        )
    for update in updates:
        delete_update(update=update, by=by, reason=reason or f"Removed with {instance}")
    instance._history_user = by
    instance._change_reason = reason or "Removed in the admin"
    instance.delete()

"""Writes. Views, the admin, management commands and tests all change plans through these
functions, so every change carries its author, its reason and its history record.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .choices import SignOff
from .models import Owner, Plan, Recommendation, ReportingPeriod, StatusUpdate, SubRecommendation


class ConflictError(Exception):
    """Someone else saved the same thing after the editor opened it."""

    def __init__(self, current):
        super().__init__("This was changed by someone else while you were editing it.")
        self.current = current


class WorkflowError(Exception):
    """A sign-off step that does not apply to the update as it stands."""


def _save(instance, *, user: AbstractBaseUser | None, reason: str = "") -> None:
    """Save with the author and reason recorded on the history row."""
    if user is not None:
        instance._history_user = user
    if reason:
        instance._change_reason = reason
    instance.save()


# ---------------------------------------------------------------------------- set-up


def create_owner(
    *,
    name: str,
    rank: str = "",
    role: str = "",
    email: str = "",
    user: AbstractBaseUser | None = None,
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> Owner:
    """Add a named officer or member of staff."""
    owner = Owner(name=name, rank=rank, role=role, email=email, user=user)
    _save(owner, user=by, reason=reason)
    return owner


def create_plan(*, by: AbstractBaseUser | None = None, reason: str = "", **fields) -> Plan:
    """Create a plan; `fields` are Plan's own (slug, title, report_title, executive_lead...)."""
    plan = Plan(**fields)
    plan.full_clean()
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
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> Recommendation:
    """Add a recommendation with the report's own number."""
    rec = Recommendation(
        plan=plan, number=number, text=text, addressee=addressee, due_date=due_date, owner=owner
    )
    rec.full_clean()
    _save(rec, user=by, reason=reason)
    return rec


def add_subrecommendation(
    *,
    recommendation: Recommendation,
    number: str,
    text: str = "",
    owner: Owner | None = None,
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> SubRecommendation:
    """Add a sub-recommendation ("7.1") to a recommendation."""
    sub = SubRecommendation(recommendation=recommendation, number=number, text=text, owner=owner)
    sub.full_clean()
    _save(sub, user=by, reason=reason)
    return sub


# ---------------------------------------------------------------------------- progress


@transaction.atomic
def record_update(
    *,
    recommendation: Recommendation,
    period: ReportingPeriod,
    status: str,
    text: str,
    author: AbstractBaseUser | None,
    expected_version: int | None = None,
    no_evidence_reason: str | None = None,
    sign_off: str | None = None,
    recorded_at: dt.datetime | None = None,
    reason: str = "",
) -> StatusUpdate:
    """Record, or edit, the one update of a recommendation for a period.

    `expected_version` is the version the editor started from: if someone saved in between,
    nothing is written and ConflictError carries what they saved. Editing an approved update
    sends it back for sign-off.
    """
    if period.plan_id != recommendation.plan_id:
        raise ValueError("The period belongs to another plan.")
    update = (
        StatusUpdate.objects.select_for_update()
        .filter(recommendation=recommendation, period=period)
        .first()
    )
    now = timezone.now()
    if update is None:
        if expected_version not in (None, 0):
            raise ConflictError(None)
        update = StatusUpdate(
            recommendation=recommendation,
            period=period,
            sign_off=sign_off or SignOff.DRAFT,
            version=1,
        )
    else:
        if expected_version is not None and expected_version != update.version:
            raise ConflictError(update)
        update.version += 1
        if sign_off:
            update.sign_off = sign_off
        elif update.sign_off == SignOff.APPROVED:
            update.sign_off = SignOff.SUBMITTED
    update.status = status
    update.text = text
    update.author = author
    update.recorded_at = recorded_at or now
    if no_evidence_reason is not None:
        update.no_evidence_reason = no_evidence_reason
    _save(update, user=author, reason=reason)
    return update


@transaction.atomic
def change_sign_off(
    *,
    update: StatusUpdate,
    to: str,
    by: AbstractBaseUser,
    comment: str = "",
) -> StatusUpdate:
    """Move an update through draft -> submitted -> approved, or back with a comment."""
    update = StatusUpdate.objects.select_for_update().get(pk=update.pk)
    allowed = {
        SignOff.SUBMITTED: {SignOff.DRAFT, SignOff.RETURNED},
        SignOff.APPROVED: {SignOff.SUBMITTED},
        SignOff.RETURNED: {SignOff.SUBMITTED},
    }
    if update.sign_off not in allowed.get(to, set()):
        raise WorkflowError(
            f"An update that is {SignOff(update.sign_off).label.lower()} cannot be "
            f"{'submitted' if to == SignOff.SUBMITTED else SignOff(to).label.lower()}."
        )
    if to == SignOff.RETURNED and not comment.strip():
        raise WorkflowError("Say what needs to change when returning an update.")
    update.sign_off = to
    if to in (SignOff.APPROVED, SignOff.RETURNED):
        update.reviewed_by = by
        update.reviewed_at = timezone.now()
        update.reviewer_comment = comment.strip()
    reason = {
        SignOff.SUBMITTED: "Submitted for sign-off",
        SignOff.APPROVED: "Approved",
        SignOff.RETURNED: "Returned for changes",
    }[to]
    _save(update, user=by, reason=reason)
    return update

"""Change history as people read it: who, when, what, and each field's old and new value."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator

from .choices import SignOff, status_label
from .models import Owner, Recommendation, ReportingPeriod, StatusUpdate

# Columns kept for the machine, not worth showing to people.
HIDDEN_FIELDS = {"id", "sort_key", "version", "recommendation", "plan", "parent"}
ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class ChangeEntry:
    when: dt.datetime
    who: object
    subject: str
    action: str
    reason: str
    changes: list[FieldChange] = field(default_factory=list)


def _display(model, name: str, value, lookups: dict) -> str:
    if value in (None, "", {}):
        return ""
    if isinstance(value, dict):
        return "\n".join(f"{key}: {item}" for key, item in value.items())
    if name == "status":
        return status_label(value)
    if name == "sign_off":
        return SignOff(value).label
    if name in lookups:
        return str(lookups[name].get(value, f"#{value}"))
    if isinstance(value, dt.datetime):
        return value.strftime("%d %b %Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d %b %Y")
    return str(value)


def _entries(model, records, subject_of, lookups) -> list[ChangeEntry]:
    fields = [f for f in model._meta.fields if f.name not in HIDDEN_FIELDS]
    previous: dict[int, object] = {}
    entries = []
    for record in records:
        before = previous.get(record.id)
        changes = []
        for f in fields:
            new = getattr(record, f.attname)
            old = getattr(before, f.attname) if before is not None else None
            if before is None and record.history_type == "+" and new in (None, "", {}):
                continue
            if old != new or (before is None and record.history_type == "+"):
                changes.append(
                    FieldChange(
                        str(f.verbose_name).capitalize(),
                        _display(model, f.name, old, lookups),
                        _display(model, f.name, new, lookups),
                    )
                )
        previous[record.id] = record
        if record.history_type == "~" and not changes:
            continue
        entries.append(
            ChangeEntry(
                when=record.history_date,
                who=record.history_user,
                subject=subject_of(record),
                action=ACTIONS[record.history_type],
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
    return entries


def recommendation_history(recommendation: Recommendation) -> list[ChangeEntry]:
    """Every change to a recommendation, its sub-recommendations and actions, and all their
    updates, newest first."""
    order = ("id", "history_date", "history_id")
    ids = {recommendation.pk}
    ids |= set(
        Recommendation.history.filter(parent_id=recommendation.pk).values_list("id", flat=True)
    )
    recs = Recommendation.history.filter(id__in=ids).select_related("history_user")
    updates = StatusUpdate.history.filter(recommendation_id__in=ids).select_related("history_user")
    recs, updates = (list(qs.order_by(*order)) for qs in (recs, updates))
    owner_ids = {r.owner_id for r in recs if r.owner_id}
    user_ids = {u.author_id for u in updates if u.author_id}
    user_ids |= {u.reviewed_by_id for u in updates if u.reviewed_by_id}
    period_ids = {u.period_id for u in updates}
    users = get_user_model().objects.in_bulk(user_ids)
    lookups = {
        "owner": Owner.objects.in_bulk(owner_ids),
        "author": {pk: user.get_full_name() or user.get_username() for pk, user in users.items()},
        "reviewed_by": {
            pk: user.get_full_name() or user.get_username() for pk, user in users.items()
        },
        "period": ReportingPeriod.objects.in_bulk(period_ids),
    }
    numbers = {r.id: r.number for r in recs}

    def subject_of_update(record) -> str:
        period = lookups["period"].get(record.period_id, "a removed period")
        if record.recommendation_id == recommendation.pk:
            return f"Update for {period}"
        return f"Update of {numbers.get(record.recommendation_id, 'a removed action')} for {period}"

    def subject_of_recommendation(record) -> str:
        kind = "Sub-recommendation" if record.parent_id else "Recommendation"
        return f"{kind} {record.number}"

    entries = _entries(Recommendation, recs, subject_of_recommendation, lookups)
    entries += _entries(StatusUpdate, updates, subject_of_update, lookups)
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries


def paginate(entries: list, page_number, per_page: int = 25) -> Page:
    return Paginator(entries, per_page).get_page(page_number)

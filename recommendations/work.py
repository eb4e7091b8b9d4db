"""Reads for the day's work: a lead's list of what to do, and an executive's sign-off queue.

A lead's work covers the recommendations and actions they own, and the actions under the
recommendations they own (whoever may write an update: permissions.owns). The rules are the
shared ones: overdue as progress.py says, "due" as the reminders chase (reminders.py).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from . import progress
from .choices import SignOff
from .figures import item_facts
from .models import Recommendation, ReportingPeriod, StatusUpdate
from .permissions import own_plans


@dataclass
class Task:
    """One thing to do, one click from its form."""

    recommendation: Recommendation
    period: ReportingPeriod | None = None
    update: StatusUpdate | None = None

    @property
    def plan(self):
        return self.recommendation.plan


@dataclass
class MyWork:
    """A lead's list: returned updates first (with the executive's comment), then updates
    due for each plan's latest period, overdue recommendations and drafts."""

    returned: list[Task] = field(default_factory=list)
    due: list[Task] = field(default_factory=list)
    overdue: list[Task] = field(default_factory=list)
    drafts: list[Task] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.returned) + len(self.due) + len(self.overdue) + len(self.drafts)


def owned_by(user: AbstractBaseUser) -> QuerySet[Recommendation]:
    """The recommendations and actions whose progress the user writes as an owner."""
    return Recommendation.objects.filter(
        Q(owner__user=user) | Q(parent__owner__user=user), plan__in=own_plans(user)
    )


def _order(rec: Recommendation) -> tuple:
    return (rec.plan.title, rec.plan_id, rec.sort_key)


def my_work(user: AbstractBaseUser, *, on: dt.date) -> MyWork:
    """What the user has to do, in a fixed number of queries."""
    mine = list(owned_by(user).select_related("plan", "parent").order_by())
    ids = [rec.pk for rec in mine]
    by_id = {rec.pk: rec for rec in mine}
    latest = {
        period.plan_id: period
        for period in ReportingPeriod.objects.filter(
            plan_id__in={r.plan_id for r in mine}
        ).order_by("plan_id", "position", "id")
    }  # the last of each plan wins
    updates = list(
        StatusUpdate.objects.filter(recommendation_id__in=ids).select_related(
            "period", "reviewed_by"
        )
    )
    work = MyWork()
    for update in updates:
        rec = by_id[update.recommendation_id]
        if update.sign_off == SignOff.RETURNED:
            work.returned.append(Task(rec, update.period, update))
        elif update.sign_off == SignOff.DRAFT:
            work.drafts.append(Task(rec, update.period, update))
    written = {(u.recommendation_id, u.period_id) for u in updates}
    # Actions report for themselves when they have an owner, a due date or an update of their
    # own (progress.Facts.reports); a recommendation with such actions reports through them
    # and is not chased for an update of its own, nor is a sub-recommendation kept as text.
    reporting = set(
        Recommendation.objects.filter(plan_id__in={r.plan_id for r in mine}, parent__isnull=False)
        .filter(Q(owner__isnull=False) | Q(due_date__isnull=False) | Q(updates__isnull=False))
        .values_list("pk", "parent_id")
        .distinct()
    )
    reporting_ids = {pk for pk, _ in reporting}
    through_actions = {parent for _, parent in reporting}
    for rec in mine:
        period = latest.get(rec.plan_id)
        wanted = rec.pk in reporting_ids if rec.parent_id else rec.pk not in through_actions
        if period and wanted and (rec.pk, period.pk) not in written:
            work.due.append(Task(rec, period))
    facts = item_facts(Recommendation.objects.filter(plan_id__in={r.plan_id for r in mine}))
    standings = progress.standings(facts, on)
    status = {item.id: item.status or "" for item in facts} | {
        rec_id: standing.status for rec_id, standing in standings.items()
    }
    work.overdue = [
        Task(rec) for rec in mine if progress.is_overdue(rec.due_date, status.get(rec.pk, ""), on)
    ]
    for tasks in (work.returned, work.due, work.overdue, work.drafts):
        tasks.sort(
            key=lambda task: (
                *_order(task.recommendation),
                task.period.position if task.period else 0,
            )
        )
    return work


# ---------------------------------------------------------------------------- sign-off


_WORDS = re.compile(r"\S+|\s+")


@dataclass(frozen=True)
class Piece:
    """A run of text: kept, added or removed."""

    kind: str  # "same" | "added" | "removed"
    text: str


def word_diff(old: str, new: str) -> list[Piece]:
    """`new` against `old`, word by word (white space kept), for marking up what changed."""
    before, after = _WORDS.findall(old or ""), _WORDS.findall(new or "")
    pieces: list[Piece] = []
    # White space never anchors a match on its own, so a run of changed words reads as one.
    matcher = difflib.SequenceMatcher(isjunk=str.isspace, a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(Piece("same", "".join(after[b1:b2])))
            continue
        if a2 > a1:
            pieces.append(Piece("removed", "".join(before[a1:a2])))
        if b2 > b1:
            pieces.append(Piece("added", "".join(after[b1:b2])))
    return pieces


@dataclass
class Awaiting:
    """An update awaiting sign-off, against the version in force."""

    update: StatusUpdate
    may_approve: bool  # not written or last changed by the viewer

    @property
    def recommendation(self) -> Recommendation:
        return self.update.recommendation

    @property
    def changes(self) -> list[Piece]:
        return word_diff(self.update.approved_text, self.update.text)

    @property
    def status_changed(self) -> bool:
        return self.update.has_approved_version and (
            self.update.approved_status != self.update.status
        )


def sign_off_queue(user: AbstractBaseUser) -> list[Awaiting]:
    """Every update awaiting sign-off in the plans the user may change, oldest plan and
    number first, in one query."""
    waiting = StatusUpdate.objects.filter(
        sign_off=SignOff.SUBMITTED, recommendation__plan__in=own_plans(user)
    ).select_related("recommendation__plan", "period", "author", "changed_by")
    items = [
        Awaiting(update, user.pk not in {update.author_id, update.changed_by_id})
        for update in waiting
    ]
    items.sort(key=lambda item: (*_order(item.recommendation), item.update.period.position))
    return items

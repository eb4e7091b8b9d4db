"""How progress adds up: the rules every page, digest and return applies, written once.

A recommendation may report progress itself, through its sub-recommendations and actions, or
both. Where it has a status of its own, that status stands. Where it has none, its status
follows from its actions' (`rollup`):

1. no action has a status: the recommendation has none either;
2. every action is complete or closed: Closed if every one is closed, else Complete;
3. otherwise the least favourable status of the actions still open, in the order
   Off track, At risk, On track, Not started; an action with no status counts as Not started;
4. except that work already finished on some actions while the rest have not started
   counts as On track: the recommendation is under way.

An item's status in a period is the status of its latest update in that period or before
(an action completed in March stays complete in June without a new update); its current
status is the status of its latest update of all.

A recommendation or action is overdue when its due date has passed and its status (its own,
or the rolled-up one) is neither Complete nor Closed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .choices import FINISHED_STATUSES, Status

# Least favourable first: the first of these among an item's open actions is its status.
OPEN_ORDER = (Status.OFF_TRACK, Status.AT_RISK, Status.ON_TRACK, Status.NOT_STARTED)


def rollup(statuses: Iterable[str]) -> str:
    """A recommendation's status from its actions' statuses ("" where an action has none)."""
    statuses = list(statuses)
    if not any(statuses):
        return ""
    finished = [status for status in statuses if status in FINISHED_STATUSES]
    if len(finished) == len(statuses):
        return Status.CLOSED if all(s == Status.CLOSED for s in finished) else Status.COMPLETE
    still_open = {status or Status.NOT_STARTED for status in statuses} - FINISHED_STATUSES
    worst = next(status for status in OPEN_ORDER if status in still_open)
    if worst == Status.NOT_STARTED and finished:
        return Status.ON_TRACK
    return worst


def status_of(own: str, actions: Iterable[str] = ()) -> str:
    """The status a recommendation stands at: its own if it gives one, else its actions'."""
    return own or rollup(actions)


def carried_forward(statuses: Sequence[str | None]) -> list[str | None]:
    """Per period, the status of the latest update in that period or before, from each
    period's update status (None where the period has none, approved or written as the caller
    reads them); None until the first."""
    latest: str | None = None
    carried = []
    for status in statuses:
        if status is not None:
            latest = status
        carried.append(latest)
    return carried


def status_in_periods(own: Sequence[str | None], actions: Sequence[Sequence[str | None]]):
    """Per period, where a recommendation stands then: its own latest update's status in that
    period or before, else where its actions stand then; from each period's update status of
    the recommendation and of each action (None where a period has none)."""
    mine = carried_forward(own)
    theirs = [carried_forward(statuses) for statuses in actions]
    return [
        status_of(mine[i] or "", [s[i] for s in theirs if s[i] is not None])
        for i in range(len(mine))
    ]


def is_overdue(due_date: dt.date | None, status: str, on: dt.date) -> bool:
    """Past its due date and neither complete nor closed."""
    return due_date is not None and due_date < on and status not in FINISHED_STATUSES


@dataclass(frozen=True)
class Facts:
    """What the rules need to know of one recommendation or action, however it was read (a
    plan loaded whole for its table, or one small row per item for the figures across plans;
    the random-plan parity test holds the two readings to the same answers).

    Figures count approved statuses: an update's status counts once an executive has approved
    it, and its approved version stays in force while a newer draft or resubmission waits.
    `pending_status` is what the status would be if every update awaiting sign-off were
    approved, so pages can say what sign-off would change.
    """

    id: int
    plan_id: int
    parent_id: int | None
    due_date: dt.date | None
    status: str | None  # of its latest update with an approved version; None: none approved
    pending_status: str | None  # the same, updates awaiting sign-off counted as approved
    has_update: bool  # any update at all, whatever its sign-off
    has_current_update: bool  # an update (any sign-off) for the plan's latest period
    awaiting: bool  # an update awaiting sign-off
    slipped: bool  # its due date has been moved
    has_owner: bool = False

    @property
    def reports(self) -> bool:
        """An action reports for itself when it has an update, an owner or a due date of its
        own; one without is a sub-recommendation kept as text."""
        return self.has_update or self.has_owner or self.due_date is not None


@dataclass(frozen=True)
class Standing:
    """Where a recommendation stands, its actions counted in: what every figure counts."""

    status: str
    overdue: bool
    stale: bool  # nothing recorded for the latest period, by it or its actions
    awaiting: bool
    slipped: bool
    pending_status: str = ""  # its status if everything awaiting sign-off were approved

    @property
    def sign_off_would_move(self) -> bool:
        return self.pending_status != self.status


def _rolled(own: str | None, actions: Iterable[str | None]) -> str:
    # Actions with nothing approved (or awaiting) do not count towards the status.
    return status_of(own or "", [status for status in actions if status is not None])


def standing(own: Facts, actions: Sequence[Facts], on: dt.date) -> Standing:
    """The recommendation's status (its own, else its actions'), and whether it or any of
    its actions is overdue, has nothing for the latest period, awaits sign-off or slipped."""
    status = _rolled(own.status, [a.status for a in actions])
    return Standing(
        status=status,
        overdue=is_overdue(own.due_date, status, on)
        or any(is_overdue(a.due_date, a.status or "", on) for a in actions),
        stale=not own.has_current_update and not any(a.has_current_update for a in actions),
        awaiting=own.awaiting or any(a.awaiting for a in actions),
        slipped=own.slipped or any(a.slipped for a in actions),
        pending_status=_rolled(own.pending_status, [a.pending_status for a in actions]),
    )


def standings(facts: Iterable[Facts], on: dt.date) -> dict[int, Standing]:
    """Per recommendation id, its standing; `facts` holds recommendations and their actions."""
    facts = list(facts)
    actions: dict[int, list[Facts]] = {}
    for item in facts:
        if item.parent_id is not None:
            actions.setdefault(item.parent_id, []).append(item)
    return {
        item.id: standing(item, actions.get(item.id, []), on)
        for item in facts
        if item.parent_id is None
    }


@dataclass(frozen=True)
class ActionCounts:
    """The actions of some recommendations that report for themselves, and how they stand."""

    reporting: int = 0
    finished: int = 0
    overdue: int = 0


def action_counts(facts: Iterable[Facts], on: dt.date) -> ActionCounts:
    reporting = [item for item in facts if item.parent_id is not None and item.reports]
    return ActionCounts(
        reporting=len(reporting),
        finished=sum((item.status or "") in FINISHED_STATUSES for item in reporting),
        overdue=sum(is_overdue(item.due_date, item.status or "", on) for item in reporting),
    )

"""Status words to the tracker's statuses."""

from __future__ import annotations

import re
from functools import lru_cache

from ...choices import NO_STATUS_LABEL, Status
from ...exports.common import FROM_ACTIONS, GIVEN_FOR
from .text import normalise

_STATUS_EXACT = {label.casefold(): value for value, label in Status.choices}
_STATUS_EXACT |= {value.replace("_", " "): value for value in Status.values}
_STATUS_EXACT |= dict.fromkeys(
    ["", NO_STATUS_LABEL.casefold(), "n a", "na", "none", "tbc", "no status", "not applicable"], ""
)
_NOT_COMPLETE = re.compile(
    r"\b(not|in|un)\s?(yet\s)?(complete|completed|achieved|done|delivered|implemented|closed)\b"
    r"|\bincomplete\b|\bto (be )?(complete|completed|achieved|closed|done|delivered)\b"
    r"|\b(partially|partly|nearly|almost)\s(complete|completed|achieved|met|delivered)\b"
    r"|\bnot (yet )?met\b"
)
_STATUS_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"\bclosed\b|\bdischarged\b|\bsigned off\b|\bsuperseded\b|\bwithdrawn\b"),
        Status.CLOSED,
    ),
    (
        re.compile(
            r"\b(complete|completed|achieved|done|delivered|implemented|finished|met|blue)\b"
            r"|\b(awaiting|pending|submitted for|recommended for|proposed for|ready for) "
            r"(review|closure|sign off|signoff|approval)\b|\brecommend(ed)? closure\b"
        ),
        Status.COMPLETE,
    ),
    (
        re.compile(
            r"\boff track\b|\bnot on track\b|\bred\b|\bdelayed\b|\boverdue\b|\bbehind\b"
            r"|\bslipped\b|\bslippage\b|\bstalled\b|\bblocked\b|\bmissed\b"
        ),
        Status.OFF_TRACK,
    ),
    (
        re.compile(r"\bat risk\b|\bamber\b|\b(some|high|medium) risk\b|\bconcerns?\b"),
        Status.AT_RISK,
    ),
    (
        re.compile(
            r"\bnot (yet )?started\b|\bnot (yet )?commenced\b|\byet to (start|begin)\b|\bgr[ae]y\b"
            r"|\bnot begun\b|\bplanned\b|\bawaiting allocation\b|\bunallocated\b"
            r"|\bnot (yet )?allocated\b"
        ),
        Status.NOT_STARTED,
    ),
    (
        re.compile(
            r"\bon track\b|\bgreen\b|\bin progress\b|\bongoing\b|\bon going\b|\bunderway\b"
            r"|\bunder way\b|\bprogressing\b|\bbeing progressed\b|\bstarted\b|\bcommenced\b"
            r"|\bpartially\b|\bpartly\b"
        ),
        Status.ON_TRACK,
    ),
]


_FROM_ACTIONS = normalise(FROM_ACTIONS)
_GIVEN_FOR = re.compile(r"\b" + re.escape(normalise(GIVEN_FOR.format(period="")).strip()) + r"\b")


def status_key(word: str) -> str:
    """A status word as a mapping names it: 'Open - Actions on going off track' ->
    'open actions on going off track'."""
    return normalise(word)


@lru_cache(maxsize=1024)
def status_for(word: str) -> str | None:
    """The Status a status word stands for, "" for "no status", None when the import cannot
    tell (the user must choose).

    Closed beats complete, and complete beats the rest ("Complete - was amber"), unless it is
    negated ("not complete", "to be completed"); then off track beats at risk, at risk beats
    not started, and not started beats on track ("Open - Actions on going off track" is off
    track). "Awaiting review" or "awaiting closure" is the force's own judgement that the
    work is complete.
    """
    key = status_key(word)
    if key in _STATUS_EXACT:
        return _STATUS_EXACT[key]
    if key.endswith(_FROM_ACTIONS) or _GIVEN_FOR.search(key):
        # Our own return: a recommendation standing where its actions do, or where an
        # earlier period's update left it, has no new status of its own here.
        return ""
    rules = _STATUS_RULES
    if _NOT_COMPLETE.search(key):
        rules = [(pattern, status) for pattern, status in rules if status != Status.COMPLETE]
        rules = [(pattern, status) for pattern, status in rules if status != Status.CLOSED]
    for pattern, status in rules:
        if pattern.search(key):
            return status
    return None

"""The reporting periods of a report, across the plans answering it: each plan has periods of
its own, matched across plans by their period end date; a period with no end date is matched
by its label. The latest dated period is the default. The national progress report
(national.py) reads every plan's period through `NationalPeriod.matches`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from .models import ReportingPeriod


class PeriodNotFound(ValueError):
    """A period asked for that is not one of the report's; the message names it."""


@dataclass(frozen=True)
class NationalPeriod:
    """One reporting period of a report, across the plans answering it."""

    period_end: dt.date | None
    label: str  # as most plans call it
    labels: frozenset[str]  # every label the plans give it

    @property
    def key(self) -> str:
        """How a link names it: the end date, or the label of an undated period."""
        return self.period_end.isoformat() if self.period_end else self.label

    def matches(self, period: ReportingPeriod) -> bool:
        """Whether a plan's period is this one: by end date, or by label where it has none."""
        if period.period_end is not None:
            return period.period_end == self.period_end
        return period.label in self.labels


def national_periods(periods: list[ReportingPeriod]) -> list[NationalPeriod]:
    """The distinct periods among the plans' periods: the undated ones (by label) first, then
    the dated ones by end date, so the last is the latest."""
    by_end: dict[dt.date, list[str]] = defaultdict(list)
    for period in periods:
        if period.period_end is not None:
            by_end[period.period_end].append(period.label)
    dated_labels = {label for labels in by_end.values() for label in labels}
    undated: dict[str, int] = {}
    for period in periods:
        if period.period_end is None and period.label not in dated_labels:
            undated[period.label] = min(undated.get(period.label, period.position), period.position)
    found = [
        NationalPeriod(None, label, frozenset([label]))
        for label in sorted(undated, key=lambda label: (undated[label], label))
    ]
    for end in sorted(by_end):
        labels = by_end[end]
        usual = max(sorted(set(labels)), key=labels.count)
        found.append(NationalPeriod(end, usual, frozenset(labels)))
    return found


def choose_period(periods: list[NationalPeriod], key: str | None) -> NationalPeriod | None:
    """The period a link names (default: the latest), or PeriodNotFound."""
    if not periods:
        return None
    key = (key or "").strip()
    if not key:
        return periods[-1]
    found = next((period for period in periods if period.key == key), None)
    if found is None:
        raise PeriodNotFound(
            f'"{key[:80]}" is not one of this report\'s reporting periods: choose one from '
            "the list."
        )
    return found

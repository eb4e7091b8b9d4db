"""The plan table's progress cells, written in Python.

A 30-recommendation plan with 12 periods has 360 of them; through template tags and includes
they cost more than the rest of the page together, so a row's cells are one tag call here.
Every status badge of every page is drawn by _badge() below (status_badge in templates), and
the public page draws its cells with the same tag as the plan table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..choices import SignOff, status_label
from ..models import ReportingPeriod, StatusUpdate

if TYPE_CHECKING:
    from ..queries import PlanRow

register = template.Library()

NO_UPDATE = mark_safe('<span class="badge badge-none">No update</span>')

# A run of characters without a space this long is an address, a file name or a reference,
# not a word: only such runs may break anywhere to fit a column (see .long-run in app.css);
# words break only between each other.
LONG_RUN = re.compile(r"\S{25,}")


def _prose(text: str) -> str:
    return LONG_RUN.sub(
        lambda match: f'<span class="long-run">{match.group(0)}</span>', str(escape(text))
    )


@register.filter
def prose(text: str) -> SafeString:
    """Text escaped for a page, its long unbroken runs (addresses) allowed to wrap."""
    return mark_safe(_prose(text or ""))  # escaped in _prose


def _badge(status: str, label: str) -> str:
    return f'<span class="badge badge-{escape(status or "none")}">{escape(label)}</span>'


@register.filter
def status_badge(status: str) -> SafeString:
    """The badge of a status value ("" for none given)."""
    return mark_safe(_badge(status, status_label(status)))  # escaped in _badge


def _sign_off_tag(update: StatusUpdate) -> str:
    return (
        f'<span class="tag tag-{escape(update.sign_off)}">'
        f"{escape(update.get_sign_off_display())}</span>"
    )


@register.filter
def sign_off_tag(update: StatusUpdate | None) -> SafeString:
    """Where an update stands in the sign-off workflow, as a tag (nothing without one)."""
    return mark_safe(_sign_off_tag(update) if update is not None else "")  # escaped


def _status_parts(
    update: StatusUpdate | None, status: str | None, *, approved_too: bool = False
) -> list[str]:
    """The status badge and the sign-off stage (unless approved, or `approved_too`); for a
    recommendation with no status of its own, the status its actions give it. Empty without
    an update or a status."""
    from_actions = bool(status) and not (update is not None and update.status)
    parts = []
    if from_actions:
        parts.append(_badge(status, status_label(status)))
        parts.append('<span class="hint">from its actions</span>')
    if update is None:
        return parts
    if not from_actions:
        parts.append(_badge(update.status, update.status_label))
    if approved_too or update.sign_off != SignOff.APPROVED:
        parts.append(_sign_off_tag(update))
    return parts


@register.simple_tag
def period_status(update: StatusUpdate | None, status: str = "") -> SafeString:
    """Where a recommendation stands in one period and where its update is in the sign-off
    workflow, in words: "No update" without either."""
    parts = _status_parts(update, status, approved_too=True)
    return mark_safe(" ".join(parts)) if parts else NO_UPDATE  # escaped in _status_parts


@register.filter
def progress_cell(cell: tuple[StatusUpdate | None, str] | StatusUpdate | None) -> SafeString:
    """The status badges (see _status_parts) and the narrative."""
    update, status = cell if isinstance(cell, tuple) else (cell, None)
    parts = _status_parts(update, status)
    if update is None:
        return mark_safe("\n        ".join(parts)) if parts else NO_UPDATE
    parts.append(f'<p class="prewrap">{_prose(update.text)}</p>')
    return mark_safe("\n        ".join(parts))  # every value above is escaped


def _published_cell(update: StatusUpdate | None, latest: bool) -> str:
    """On the public page: the approved narrative; nothing under a past period without one,
    and "No update" only under the latest."""
    if update is not None:
        return f'<p class="prewrap">{_prose(update.text)}</p>'
    return '<span class="hint">No update</span>' if latest else ""


@register.simple_tag
def period_cells(
    row: PlanRow, periods: Sequence[ReportingPeriod], public: bool = False
) -> SafeString:
    """One cell per reporting period for a row of the plan table (or of the public page).

    Each cell carries its period's name as a heading that only narrow screens show, where the
    table is laid out as one card per recommendation; the latest period's cell is marked so
    that the card shows it first."""
    cells = row.period_cells
    last = len(cells) - 1
    out = []
    for index, (period, cell) in enumerate(zip(periods, cells, strict=True)):
        latest = index == last
        content = _published_cell(cell[0], latest) if public else progress_cell(cell)
        classes = ["period-cell"]
        if latest:
            classes.append("latest")
        if not content:
            classes.append("empty")
        heading = escape(period.label) + (" (latest)" if latest else "")
        out.append(
            f'<td class="{" ".join(classes)}"><span class="cell-heading">{heading}</span>'
            f"{content}</td>"
        )
    return mark_safe("\n      ".join(out))  # every value above is escaped

"""The plan table's progress cells, written in Python.

A 30-recommendation plan with 12 periods has 360 of them; through template tags and includes
they cost more than the rest of the page together, so each is one filter call here. The
badge is the one in _badge.html.
"""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..choices import SignOff, status_label
from ..models import StatusUpdate

register = template.Library()

NO_UPDATE = mark_safe('<span class="badge badge-none">No update</span>')


def _badge(status: str, label: str) -> str:
    return f'<span class="badge badge-{escape(status or "none")}">{escape(label)}</span>'


@register.filter
def status_badge(status: str) -> SafeString:
    """The badge of a status value ("" for none given)."""
    return mark_safe(_badge(status, status_label(status)))  # escaped in _badge


@register.filter
def progress_cell(cell: tuple[StatusUpdate | None, str] | StatusUpdate | None) -> SafeString:
    """The status badge, the sign-off stage unless approved, and the narrative; for a
    recommendation with no status of its own, the status its actions give it."""
    update, status = cell if isinstance(cell, tuple) else (cell, None)
    from_actions = bool(status) and not (update is not None and update.status)
    parts = []
    if from_actions:
        parts.append(_badge(status, status_label(status)))
        parts.append('<span class="hint">from its actions</span>')
    if update is None:
        return mark_safe("\n        ".join(parts)) if parts else NO_UPDATE
    if not from_actions:
        parts.append(_badge(update.status, update.status_label))
    if update.sign_off != SignOff.APPROVED:
        parts.append(
            f'<span class="tag tag-{escape(update.sign_off)}">'
            f"{escape(update.get_sign_off_display())}</span>"
        )
    parts.append(f'<p class="prewrap">{escape(update.text)}</p>')
    return mark_safe("\n        ".join(parts))  # every value above is escaped

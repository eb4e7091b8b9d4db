"""The plan table's progress cells, written in Python.

A 30-recommendation plan with 12 periods has 360 of them; through template tags and includes
they cost more than the rest of the page together, so each is one filter call here. The
badge is the one in _badge.html.
"""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..choices import SignOff
from ..models import StatusUpdate

register = template.Library()

NO_UPDATE = mark_safe('<span class="badge badge-none">No update</span>')


@register.filter
def progress_cell(update: StatusUpdate | None) -> SafeString:
    """The status badge, the sign-off stage unless approved, and the narrative."""
    if update is None:
        return NO_UPDATE
    parts = [
        f'<span class="badge badge-{escape(update.status or "none")}">'
        f"{escape(update.status_label)}</span>"
    ]
    if update.sign_off != SignOff.APPROVED:
        parts.append(
            f'<span class="tag tag-{escape(update.sign_off)}">'
            f"{escape(update.get_sign_off_display())}</span>"
        )
    parts.append(f'<p class="prewrap">{escape(update.text)}</p>')
    return mark_safe("\n        ".join(parts))  # every value above is escaped

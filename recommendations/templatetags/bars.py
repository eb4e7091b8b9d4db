"""The dashboard's bars: a tag rather than an include, as a page of 25 plans draws 225 of them
and an include each cost a tenth of the page."""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

BAR = (
    '<svg class="dash-bar" viewBox="0 0 100 10" preserveAspectRatio="none" width="100%" '
    'height="14" aria-hidden="true" focusable="false"><rect x="0" y="0" width="100" '
    'height="10" fill="#ffffff" stroke="#505a5f" stroke-width="1" '
    'vector-effect="non-scaling-stroke"/><rect x="0" y="0" width="{width}" height="10" '
    'fill="{fill}" stroke="#0b0c0c" stroke-width="1" vector-effect="non-scaling-stroke"/>'
    "</svg>\n"
)


@register.simple_tag
def dash_bar(width: str, fill: str) -> SafeString:
    """A bar `width` per cent long (a dot decimal) in colour `fill`, behind a white track; the
    numbers beside it carry the meaning, so screen readers skip it."""
    return mark_safe(BAR.format(width=escape(width), fill=escape(fill)))  # values escaped

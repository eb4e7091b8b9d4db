"""Moments as pages show them: always in the project's time zone (TIME_ZONE), never in UTC.

`machine_time` gives the value of a `<time datetime="...">` attribute: ISO 8601 to the second
(HTML allows at most three digits of a fraction of a second, and people never need them), with
the local offset. `local_time` formats a moment for people, for code that builds text outside
a template.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import dateformat, timezone

register = template.Library()

PEOPLE_FORMAT = "j F Y, H:i"


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter(expects_localtime=True)
def machine_time(value: dt.datetime | dt.date | None, part: str = "") -> str:
    """`<time datetime>`'s value: "2026-06-15T12:00:00+01:00" for a moment, "2026-06-15"
    for a day or with `part="date"` (the local day of a moment); "" for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        local = _local(value)
        if part == "date":
            return local.date().isoformat()
        return local.replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return ""


def local_time(value: dt.datetime, format_string: str = PEOPLE_FORMAT) -> str:
    """A moment as people read it, in the project's time zone: "15 June 2026, 12:00"."""
    return dateformat.format(_local(value), format_string)

"""Progress over time: a plan's approved statuses in each reporting period, as one stacked bar
per period, drawn on the server as SVG.

The chart is an image with a name (role="img"); the same figures follow it in a table for
screen readers, and a legend in words says which colour is which status. Colours come from
the status vocabulary (choices.py) and are given as SVG attributes, which the
Content-Security-Policy allows where inline styles are refused. Written in Python, as the
dashboard draws one chart per plan on a page of 25.
"""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..choices import NO_STATUS_LABEL, Status, rag_for, status_label
from ..figures import PeriodStatuses

register = template.Library()

# Statuses in the order the segments run and the legend reads, "" (none given) last.
ORDER = [*Status.values, ""]

# Geometry, in the SVG's own units: the image scales to the width it is given.
WIDTH = 360  # about a phone's width, so that there the text is drawn at its own size
LABEL_HEIGHT = 22  # a period's name above its bar
BAR_HEIGHT = 24
GAP = 12
ROW = LABEL_HEIGHT + BAR_HEIGHT + GAP
LABEL_LENGTH = 42  # characters of a period's name shown in the image (the table has it whole)
MIN_NUMBER_WIDTH = 18  # segments narrower than this carry no number
OUTLINE = "#0b0c0c"


def _number(value: float) -> str:
    # SVG attributes take a dot decimal whatever the page's language.
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _label(text: str) -> str:
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1].rstrip() + "…"


def _bar(entry: PeriodStatuses, top: float) -> list[str]:
    """One period: its name, then one segment per status, each with its count if it fits."""
    parts = [
        f'<text x="0" y="{_number(top + LABEL_HEIGHT - 6)}" class="chart-label" '
        f'font-size="15" fill="#0b0c0c">{escape(_label(entry.period.label))}</text>'
    ]
    y = top + LABEL_HEIGHT
    total = entry.total
    if not total:
        parts.append(
            f'<rect x="0" y="{_number(y)}" width="{WIDTH}" height="{BAR_HEIGHT}" '
            f'fill="#ffffff" stroke="{OUTLINE}" stroke-width="1"/>'
        )
        return parts
    x = 0.0
    for status in ORDER:
        count = entry.counts.get(status, 0)
        if not count:
            continue
        width = WIDTH * count / total
        rag = rag_for(status)
        words = f"{entry.period.label}: {count} {status_label(status).lower()}"
        parts.append(
            f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(width)}" '
            f'height="{BAR_HEIGHT}" fill="{rag.background}" stroke="{OUTLINE}" '
            f'stroke-width="1"><title>{escape(words)}</title></rect>'
        )
        if width >= MIN_NUMBER_WIDTH:
            parts.append(
                f'<text x="{_number(x + width / 2)}" y="{_number(y + BAR_HEIGHT / 2 + 5)}" '
                f'text-anchor="middle" font-size="14" font-weight="700" '
                f'fill="{rag.foreground}">{count}</text>'
            )
        x += width
    return parts


def _svg(periods: Sequence[PeriodStatuses], key: object, name: str, description: str) -> str:
    height = len(periods) * ROW - GAP
    body = [part for index, entry in enumerate(periods) for part in _bar(entry, index * ROW)]
    return (
        f'<svg class="progress-svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-labelledby="progress-{key}-name" '
        f'aria-describedby="progress-{key}-description" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="progress-{key}-name">{escape(name)}</title>'
        f'<desc id="progress-{key}-description">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _legend(shown: list[str]) -> str:
    items = "".join(
        f'<li><span class="badge badge-{escape(status or "none")}">'
        f"{escape(status_label(status))}</span></li>"
        for status in shown
    )
    return f'<ul class="chart-legend" aria-hidden="true">{items}</ul>'


def _table(periods: Sequence[PeriodStatuses], shown: list[str], caption: str) -> str:
    head = "".join(f'<th scope="col">{escape(status_label(s))}</th>' for s in shown)
    rows = "".join(
        f'<tr><th scope="row">{escape(entry.period.label)}</th>'
        + "".join(f"<td>{entry.counts.get(status, 0)}</td>" for status in shown)
        + f"<td>{entry.total}</td></tr>"
        for entry in periods
    )
    return (
        # A table cannot be made narrower than its cells: the box around it hides it.
        f'<div class="visually-hidden"><table><caption>{escape(caption)}</caption>'
        f'<thead><tr><th scope="col">Reporting period</th>{head}'
        f'<th scope="col">Recommendations</th></tr></thead><tbody>{rows}</tbody></table></div>'
    )


@register.simple_tag
def progress_chart(periods: Sequence[PeriodStatuses], key: object, title: str = "") -> SafeString:
    """The chart of one plan (`key`, such as the plan's id, makes its ids unique on the page;
    `title` names the plan where a page shows several). Nothing for a plan without periods."""
    if not periods:
        return mark_safe("")
    shown = [s for s in ORDER if any(entry.counts.get(s) for entry in periods)] or [""]
    total = max(entry.total for entry in periods)
    key = escape(key)
    where = f" in {title}" if title else ""
    # A short name, which no form field on the page shares; the rest is its description.
    name = f"Chart of progress over time{where}"
    description = (
        f"The approved status of each of the {total} recommendation{'s' if total != 1 else ''}"
        ", period by period, oldest first. The figures are in the table that follows."
    )
    caption = f"Recommendations by approved status in each reporting period{where}"
    return mark_safe(  # every value above is escaped
        f'<figure class="progress-chart">{_svg(periods, key, name, description)}'
        f"<figcaption>{_legend(shown)}"
        f'<p class="meta">Each bar counts the {total} recommendation'
        f"{'s' if total != 1 else ''} by the status of their latest approved update in that "
        f"period or before (&ldquo;{escape(NO_STATUS_LABEL)}&rdquo; where there is none).</p>"
        f"</figcaption></figure>{_table(periods, shown, caption)}"
    )

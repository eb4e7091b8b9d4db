"""Filters for the PDF return's template."""

from django import template

from ..exports.common import clean_text

register = template.Library()


@register.filter
def clean(value: object) -> str:
    """The text as the rows have it: characters no PDF can show dropped, length capped.

    The result is still escaped by the template, as any other text."""
    return clean_text(value)

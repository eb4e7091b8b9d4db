"""How people are named on pages."""

from django import template

register = template.Library()


@register.filter
def person(user, fallback: str = "an unknown person") -> str:
    """A user's full name, else their username, else the fallback (for removed accounts)."""
    if user is None:
        return fallback
    return user.get_full_name() or user.get_username()

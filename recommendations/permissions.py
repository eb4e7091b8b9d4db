"""Every decision about who may do what, in one place. Views call these before anything else
and raise PermissionDenied with a sentence the 403 page shows.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from .models import Recommendation

LEAD = "Lead"
EXECUTIVE = "Executive"
ADMINISTRATOR = "Administrator"
ROLES = (LEAD, EXECUTIVE, ADMINISTRATOR)

User = AbstractBaseUser | AnonymousUser

# What a refusal says, each written once for every view that refuses it.
NO_ROLE = "You have no role in any plan."
SIGN_OFF_ONLY = "Only executives sign updates off."


def roles_of(user: User) -> set[str]:
    """The role names a user holds (cached on the user object for the request)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached.add(ADMINISTRATOR)
        user._role_names = cached
    return cached


def is_lead(user: User) -> bool:
    return LEAD in roles_of(user)


def is_executive(user: User) -> bool:
    return EXECUTIVE in roles_of(user)


def is_administrator(user: User) -> bool:
    return ADMINISTRATOR in roles_of(user)


def can_view_plans(user: User) -> bool:
    """Anyone signed in with a role sees every plan."""
    return bool(roles_of(user))


def owns(user: User, recommendation: Recommendation) -> bool:
    """The user is the recommendation's owner, or, for a sub-recommendation or action, its
    own owner or the owner of the recommendation it belongs to."""
    if not user.is_authenticated:
        return False
    owners = [recommendation.owner]
    if recommendation.parent_id is not None:
        owners.append(recommendation.parent.owner)
    return any(owner is not None and owner.user_id == user.pk for owner in owners)


def can_edit_update(user: User, recommendation: Recommendation) -> bool:
    """Leads write progress for the recommendations (and actions) they own; administrators for
    any."""
    if is_administrator(user):
        return True
    return is_lead(user) and owns(user, recommendation)


def can_sign_off(user: User) -> bool:
    """Executives approve updates or return them with a comment."""
    return is_executive(user)


def can_manage(user: User) -> bool:
    """Administrators set plans up: plans, recommendations, owners, periods, accounts."""
    return is_administrator(user)


def can_view_dashboard(user: User) -> bool:
    """The dashboard is where executives review the plans; administrators see it too."""
    return is_executive(user) or is_administrator(user)


def can_import(user: User) -> bool:
    """Bringing a plan in from a spreadsheet sets a plan up: administrators only."""
    return can_manage(user)


def can_export(user: User) -> bool:
    return can_view_plans(user)


def require(allowed: bool, message: str) -> None:
    """Stop the request with a 403 that says what is not allowed."""
    if not allowed:
        raise PermissionDenied(message)

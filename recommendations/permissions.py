"""Every decision about who may do what, in one place. Views call these before anything else
and raise PermissionDenied with a sentence the 403 page shows.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from .models import Organisation, Plan, Recommendation

LEAD = "Lead"
EXECUTIVE = "Executive"
ADMINISTRATOR = "Administrator"
# Sees every organisation's plans, read-only, and the national pages; takes returns in.
NATIONAL = "National"
ROLES = (LEAD, EXECUTIVE, ADMINISTRATOR, NATIONAL)

User = AbstractBaseUser | AnonymousUser

# What a refusal says, each written once for every view that refuses it.
NO_ROLE = "You have no role in any plan."
SIGN_OFF_ONLY = "Only executives sign updates off."
NATIONAL_ONLY = "The national pages are for accounts with the National role."
READ_ONLY = "Plans of other organisations are shown to you read-only."
COLLECT_ONLY = "Only accounts with the National role take forces' returns in."


def _load(user: AbstractBaseUser) -> None:
    """Read the user's roles and organisation in one query, kept on the user object for the
    request."""
    rows = list(
        get_user_model()
        ._default_manager.filter(pk=user.pk)
        .values_list("groups__name", "account__organisation_id")
    )
    names = {name for name, _ in rows if name}
    if user.is_superuser:
        names.add(ADMINISTRATOR)
    user._role_names = names
    organisation_id = rows[0][1] if rows else None
    if organisation_id is None:
        # An account made outside the services: the deployment's own organisation's.
        home = Organisation.objects.filter(name=settings.FORCE_NAME).values_list("pk", flat=True)
        organisation_id = home.first()
    user._organisation_id = organisation_id


def roles_of(user: User) -> set[str]:
    """The role names a user holds (cached on the user object for the request)."""
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_role_names"):
        _load(user)
    return user._role_names


def is_lead(user: User) -> bool:
    return LEAD in roles_of(user)


def is_executive(user: User) -> bool:
    return EXECUTIVE in roles_of(user)


def is_administrator(user: User) -> bool:
    return ADMINISTRATOR in roles_of(user)


def is_national(user: User) -> bool:
    return NATIONAL in roles_of(user)


def organisation_id_of(user: User) -> int | None:
    """The organisation the user signs in for (cached on the user object for the request):
    their account's, else the deployment's own (FORCE_NAME), for accounts made before
    organisations or outside the services."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_organisation_id"):
        _load(user)
    return user._organisation_id


def sees_every_organisation(user: User) -> bool:
    """Superusers and the National role see every organisation's plans; everyone else their
    own organisation's only."""
    return user.is_authenticated and (user.is_superuser or is_national(user))


def scope(user: User) -> int | None:
    """Whose plans the user sees: None for every organisation's, else their organisation's
    id. Pages that span plans are filtered by it and cached under it."""
    return None if sees_every_organisation(user) else organisation_id_of(user)


def visible_plans(user: User, plans: QuerySet[Plan] | None = None) -> QuerySet[Plan]:
    """The plans (of `plans`, by default all) the user may see: a plan of another
    organisation is, to them, a plan that does not exist."""
    plans = Plan.objects.all() if plans is None else plans
    if not can_view_plans(user):
        return plans.none()
    organisation_id = scope(user)
    return plans if organisation_id is None else plans.filter(organisation_id=organisation_id)


def can_view_plans(user: User) -> bool:
    """Anyone signed in with a role sees plans: their organisation's, or with the National
    role every organisation's."""
    return bool(roles_of(user))


def can_view_plan(user: User, plan: Plan) -> bool:
    return can_view_plans(user) and scope(user) in (None, plan.organisation_id)


def in_own_organisation(user: User, plan: Plan) -> bool:
    """The plan is one the user may change at all: their organisation's (any, for a
    superuser). The National role reads other organisations' plans, it never changes them."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or plan.organisation_id == organisation_id_of(user)


def owns(user: User, recommendation: Recommendation) -> bool:
    """The user is the recommendation's owner, or, for a sub-recommendation or action, its
    own owner or the owner of the recommendation it belongs to."""
    if not user.is_authenticated:
        return False
    owners = [recommendation.owner]
    if recommendation.parent_id is not None:
        owners.append(recommendation.parent.owner)
    return any(owner is not None and owner.user_id == user.pk for owner in owners)


def own_plans(user: User, plans: QuerySet[Plan] | None = None) -> QuerySet[Plan]:
    """The plans (of `plans`, by default all) the user may change at all."""
    plans = Plan.objects.all() if plans is None else plans
    if not user.is_authenticated:
        return plans.none()
    if user.is_superuser:
        return plans
    return plans.filter(organisation_id=organisation_id_of(user))


def own_rows(user: User, rows: QuerySet, path: str) -> QuerySet:
    """The rows (of any model) belonging to plans the user may change, `path` leading from the
    row to its organisation ("organisation", "plan__organisation", ...): every row for a
    superuser, none for someone signed out."""
    if not user.is_authenticated:
        return rows.none()
    if user.is_superuser:
        return rows
    return rows.filter(**{f"{path}_id": organisation_id_of(user)})


def can_edit_update(user: User, recommendation: Recommendation) -> bool:
    """Leads write progress for the recommendations (and actions) they own; administrators for
    any of their organisation's."""
    if not in_own_organisation(user, recommendation.plan):
        return False
    if is_administrator(user):
        return True
    return is_lead(user) and owns(user, recommendation)


def can_sign_off(user: User, plan: Plan | None = None) -> bool:
    """Executives approve updates of their organisation's plans, or return them with a
    comment. Without a plan: whether the user signs anything off at all."""
    if plan is not None and not in_own_organisation(user, plan):
        return False
    return is_executive(user)


def can_manage(user: User, plan: Plan | None = None) -> bool:
    """Administrators set their organisation's plans up: plans, recommendations, owners,
    periods, accounts (a superuser every organisation's)."""
    if plan is not None and not in_own_organisation(user, plan):
        return False
    return is_administrator(user)


def can_view_dashboard(user: User) -> bool:
    """The dashboard is where executives review the plans; administrators and the National
    role see it too."""
    return is_executive(user) or is_administrator(user) or is_national(user)


def can_import(user: User) -> bool:
    """Bringing a plan in from a spreadsheet sets a plan up: administrators only, into their
    own organisation."""
    return can_manage(user)


def can_export(user: User, plan: Plan) -> bool:
    """A plan's return is for whoever may see the plan."""
    return can_view_plan(user, plan)


def can_view_national(user: User) -> bool:
    """The national progress report, across every organisation answering a report."""
    return is_national(user) or (user.is_authenticated and user.is_superuser)


def can_collect(user: User) -> bool:
    """Taking forces' returns in: the one change the National role makes."""
    return can_view_national(user)


def require(allowed: bool, message: str) -> None:
    """Stop the request with a 403 that says what is not allowed."""
    if not allowed:
        raise PermissionDenied(message)

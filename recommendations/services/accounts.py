"""Accounts signed in through single sign-on: made and kept in line with what the
organisation's identity provider says about each person at every sign-in."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from ..permissions import ROLES

LOCAL_ACCOUNT = (
    "An account with this username signs in with a password, so it cannot be signed into "
    "through single sign-on. Ask an administrator."
)
SWITCHED_OFF = "This account has been switched off in the tracker. Ask an administrator."


class SignInRefused(Exception):
    """A sign-in the tracker will not complete; the message says why, for the person."""


def _fitted(value: str, field: str) -> str:
    return value[: get_user_model()._meta.get_field(field).max_length]


def _valid_email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return _fitted(value, "email")


def _set_roles(user: AbstractBaseUser, roles: set[str]) -> None:
    """Give the account exactly these of the tracker's roles. The groups change one by one
    through the relation, so roles.py makes the account staff exactly while it holds
    Administrator."""
    held = set(user.groups.filter(name__in=ROLES))
    wanted = set(Group.objects.filter(name__in=roles))
    if held - wanted:
        user.groups.remove(*(held - wanted))
    if wanted - held:
        user.groups.add(*(wanted - held))


@transaction.atomic
def record_single_sign_on(
    *, username: str, full_name: str, first_name: str, last_name: str, email: str, roles: set[str]
) -> AbstractBaseUser | None:
    """Bring the account for this username in line with the provider's claims: its name, its
    e-mail address and exactly the roles mapped from them.

    An account is created only for someone with a role, with no usable password; someone with
    no role and no account gets none (None is returned). An account made for a password is
    never taken over, and a switched-off one is left as it is: both raise SignInRefused."""
    User = get_user_model()
    user = User.objects.select_for_update().filter(username=username).first()
    if user is not None and user.has_usable_password():
        raise SignInRefused(LOCAL_ACCOUNT)
    if user is not None and not user.is_active:
        raise SignInRefused(SWITCHED_OFF)
    if user is None and not roles:
        return None
    if user is None:
        user = User(username=username)
        user.set_unusable_password()
    if not first_name and not last_name:
        first_name = full_name
    user.first_name = _fitted(first_name, "first_name")
    user.last_name = _fitted(last_name, "last_name")
    user.email = _valid_email(email)
    user.save()
    _set_roles(user, roles)
    return user

"""The Administrator role and the Django admin, kept in step; and every new account in an
organisation.

Administrators set plans up in the Django admin, which lets in staff accounts only and checks
each model permission. So an account joining the Administrator group becomes staff (and stops
being staff when it leaves, unless it is a superuser), and after every `migrate` the group holds
every permission on this app's and the accounts' models, including models added since the roles
were first created.

An account made anywhere (the admin, `createsuperuser`, single sign-on) belongs to the
deployment's own organisation until an administrator moves it (services.set_organisation).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_migrate, post_save

from .permissions import ADMINISTRATOR

MANAGED_APPS = ("recommendations", "auth")


def grant_administrator_permissions(sender, **kwargs) -> None:
    # Once per migrate, after this app's permissions (and, earlier, the accounts') exist.
    if sender.label != "recommendations":
        return
    group = Group.objects.filter(name=ADMINISTRATOR).first()
    if group is None:
        return
    wanted = Permission.objects.filter(content_type__app_label__in=MANAGED_APPS).exclude(
        content_type__model__startswith="historical"
    )
    group.permissions.add(*wanted)
    _staff_follows_role(group.user_set.filter(is_staff=False))


def _staff_follows_role(users) -> None:
    """Each account (superusers apart) is staff exactly when it holds the Administrator role."""
    for user in users:
        if user.is_superuser:
            continue
        is_administrator = user.groups.filter(name=ADMINISTRATOR).exists()
        if user.is_staff != is_administrator:
            user.is_staff = is_administrator
            user.save(update_fields=["is_staff"])


def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:  # user.groups changed
        _staff_follows_role([instance])
    elif instance.name == ADMINISTRATOR:  # the group's accounts changed
        users = get_user_model().objects
        # After a clear nobody holds the role; who had it is no longer known.
        _staff_follows_role(
            users.filter(is_staff=True) if pk_set is None else users.filter(pk__in=pk_set)
        )


def _account_for_new_user(sender, instance, created, raw=False, **kwargs) -> None:
    if not created or raw:
        return
    from .services.organisations import home_organisation, set_organisation

    set_organisation(user=instance, organisation=home_organisation())


def connect() -> None:
    post_save.connect(
        _account_for_new_user, sender=get_user_model(), dispatch_uid="account-for-new-user"
    )
    post_migrate.connect(grant_administrator_permissions, dispatch_uid="administrator-permissions")
    m2m_changed.connect(
        _groups_changed,
        sender=get_user_model().groups.through,
        dispatch_uid="administrator-is-staff",
    )

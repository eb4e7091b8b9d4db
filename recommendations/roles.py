"""The Administrator role and the Django admin, kept in step.

Administrators set plans up in the Django admin, which lets in staff accounts only and checks
each model permission. So an account joining the Administrator group becomes staff (and stops
being staff when it leaves, unless it is a superuser), and after every `migrate` the group holds
every permission on this app's and the accounts' models, including models added since the roles
were first created.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_migrate

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
    _sync_staff(group.user_set.filter(is_staff=False), staff=True)


def _sync_staff(users, *, staff: bool) -> None:
    for user in users:
        if user.is_superuser or user.is_staff == staff:
            continue
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    User = get_user_model()
    if reverse:  # group.user_set changed: `instance` is the group, `pk_set` the accounts
        if instance.name != ADMINISTRATOR:
            return
        users = User.objects.filter(pk__in=pk_set) if pk_set else User.objects.none()
        if action == "post_clear":
            users = User.objects.filter(is_staff=True).exclude(groups__name=ADMINISTRATOR)
        _sync_staff(users, staff=action == "post_add")
        return
    is_admin = instance.groups.filter(name=ADMINISTRATOR).exists()
    if instance.is_staff != is_admin and not instance.is_superuser:
        instance.is_staff = is_admin
        instance.save(update_fields=["is_staff"])


def connect() -> None:
    post_migrate.connect(grant_administrator_permissions, dispatch_uid="administrator-permissions")
    m2m_changed.connect(
        _groups_changed,
        sender=get_user_model().groups.through,
        dispatch_uid="administrator-is-staff",
    )

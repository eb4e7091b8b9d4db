"""Accounts in the admin. A superuser manages every account; a force's administrator manages
the accounts of their own organisation only: they give the force's roles (never National),
cannot make anyone staff or a superuser or grant single permissions, and an account they add
belongs to their organisation."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.http import Http404

from .. import permissions, services
from ..models import Organisation

User = get_user_model()
# What only a superuser may set on an account.
SUPERUSER_FIELDS = ("is_staff", "is_superuser", "user_permissions")


class OrganisationUserAdmin(UserAdmin):
    def get_queryset(self, request):
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        return users.filter(account__organisation_id=permissions.organisation_id_of(request.user))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (
                name,
                {**options, "fields": [f for f in options["fields"] if f not in SUPERUSER_FIELDS]},
            )
            for name, options in fieldsets
        ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None and not request.user.is_superuser:
            field.queryset = field.queryset.exclude(name=permissions.NATIONAL)
        return field

    def _own(self, request, object_id) -> None:
        if not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404("No such account.")

    def history_view(self, request, object_id, extra_context=None):
        self._own(request, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def user_change_password(self, request, id, form_url=""):
        self._own(request, id)
        return super().user_change_password(request, id, form_url)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and not request.user.is_superuser:
            organisation = Organisation.objects.get(pk=permissions.organisation_id_of(request.user))
            services.set_organisation(user=obj, organisation=organisation, by=request.user)


class SuperuserGroupAdmin(GroupAdmin):
    """The roles and what each may do: the superuser's to change."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


admin.site.unregister(User)
admin.site.register(User, OrganisationUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, SuperuserGroupAdmin)

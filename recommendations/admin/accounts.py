"""Accounts in the admin. A superuser manages every account; a force's administrator manages
the accounts of their own organisation only: they give the force's roles (never National),
cannot make anyone staff or a superuser or grant single permissions, and an account they add
belongs to their organisation."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from .. import permissions, services
from ..models import Organisation
from .scoping import OwnRowsOnly

User = get_user_model()
# What only a superuser may set on an account.
SUPERUSER_FIELDS = ("is_staff", "is_superuser", "user_permissions")


class OrganisationUserAdmin(OwnRowsOnly, UserAdmin):
    organisation_path = "account__organisation"

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

    def user_change_password(self, request, id, form_url=""):
        self._require_own(request, id)
        return super().user_change_password(request, id, form_url)

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

"""The admin of what spans organisations: organisations, the accounts that belong to them and
the reports their plans answer. Superusers manage these; a force's administrators do not see
them."""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .. import services
from ..models import Account, Organisation, Report, ReportRecommendation
from ..services import ADMIN_REASON
from .plans import _changes, _values


class SuperuserOnlyAdmin(SimpleHistoryAdmin):
    """Organisations and the reports they answer span every organisation: superusers manage
    them; administrators of a force see the admin without them."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return self.has_module_permission(request) and allowed


@admin.register(Organisation)
class OrganisationAdmin(SuperuserOnlyAdmin):
    list_display = ["name", "short_name", "code", "answers_reports"]
    list_filter = ["answers_reports"]
    search_fields = ["name", "short_name", "code"]
    fields = ["name", "short_name", "code", "answers_reports"]

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.change_organisation(
                organisation=obj, by=request.user, reason=ADMIN_REASON, **_changes(form)
            )
        else:
            saved = services.create_organisation(**_values(form), by=request.user)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None):
        return False  # its plans and accounts would go with it


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["organisation"]


@admin.register(Account)
class AccountAdmin(SuperuserOnlyAdmin):
    """Which organisation each account signs in for (made with the account)."""

    form = AccountForm
    list_display = ["user", "organisation"]
    list_filter = ["organisation"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]

    def save_model(self, request, obj, form, change):
        services.set_organisation(
            user=obj.user, organisation=form.cleaned_data["organisation"], by=request.user
        )

    def has_add_permission(self, request):
        return False  # every account gets one when it is made

    def has_delete_permission(self, request, obj=None):
        return False


class ReportRecommendationInline(admin.TabularInline):
    model = ReportRecommendation
    fk_name = "report"
    fields = ["number", "text", "addressee"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(SuperuserOnlyAdmin):
    """Reports are made with the plans that answer them (the importer, the collector, the
    demo); here they are read, with their recommendations."""

    list_display = ["title", "publisher", "published", "slug"]
    search_fields = ["title", "publisher"]
    inlines = [ReportRecommendationInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

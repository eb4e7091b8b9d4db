"""The admin for setting plans up. Every save goes into history with the signed-in user."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from .. import permissions, services
from ..evidence import require_evidence_for_completion
from ..models import (
    DueDateChange,
    Evidence,
    Organisation,
    Owner,
    Plan,
    Recommendation,
    ReminderSent,
    ReportingPeriod,
    StatusUpdate,
)
from ..services import ADMIN_REASON
from .scoping import OwnRowsOnly

CHANGED_MEANWHILE = (
    "Someone else saved this %(thing)s after you opened it, so nothing was saved. Your changes "
    "are still in the form below: open the %(thing)s again in another tab to see theirs (its "
    "history lists every change), then save what should stand."
)


class VersionCheckedForm(forms.ModelForm):
    """An admin form that carries the version it started from and will not save over a newer
    one: two administrators editing the same row cannot silently overwrite each other."""

    started_from_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    thing = "record"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["started_from_version"].initial = self.instance.version

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            # The admin saves inside a transaction: the row stays locked until it is written.
            current = (
                type(self.instance)
                .objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current != data.get("started_from_version"):
                raise ValidationError(CHANGED_MEANWHILE, params={"thing": self.thing})
        return data


class PeriodInline(admin.TabularInline):
    model = ReportingPeriod
    extra = 0
    fields = ["position", "label", "period_end", "return_due"]


class SubRecommendationFormSet(forms.BaseInlineFormSet):
    """Sub-recommendations belong to their recommendation's plan, where numbers are unique."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.plan_id = self.instance.plan_id
        return form


class SubRecommendationInline(admin.TabularInline):
    """A recommendation's sub-recommendations and actions, numbered within the plan."""

    model = Recommendation
    fk_name = "parent"
    formset = SubRecommendationFormSet
    extra = 0
    fields = ["number", "text", "owner", "due_date"]
    autocomplete_fields = ["owner"]
    verbose_name = "sub-recommendation or action"
    verbose_name_plural = "sub-recommendations and actions"


def _changes(form) -> dict:
    """The model fields the form changed, with their new values."""
    own = {field.name for field in form._meta.model._meta.fields}
    return {name: form.cleaned_data[name] for name in form.changed_data if name in own}


def _values(form) -> dict:
    return {
        name: form.cleaned_data[name] for name in form._meta.fields if name in form.cleaned_data
    }


class OwnOrganisationAdmin(OwnRowsOnly, SimpleHistoryAdmin):
    """Administrators see and choose only their own organisation's rows (a superuser every
    organisation's): `organisation_path` leads from a row to its organisation (OwnRowsOnly),
    and each foreign key to a plan-owned model offers only the user's own."""

    # Where each foreign key's choices lead to their organisation.
    CHOICE_PATHS = {
        Organisation: "",
        Owner: "organisation",
        get_user_model(): "account__organisation",
        Plan: "organisation",
        Recommendation: "plan__organisation",
        ReportingPeriod: "plan__organisation",
        StatusUpdate: "recommendation__plan__organisation",
    }

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_own(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        model = db_field.related_model
        if field is not None and model in self.CHOICE_PATHS and not request.user.is_superuser:
            path = self.CHOICE_PATHS[model]
            if path:
                field.queryset = permissions.own_rows(request.user, field.queryset, path)
            else:
                field.queryset = field.queryset.filter(
                    pk=permissions.organisation_id_of(request.user)
                )
        return field


class ThroughServicesAdmin(OwnOrganisationAdmin):
    """Every save and removal goes through the services, as the pages' do: the same rules
    hold, and history records who did it. Each model's admin names its create and change
    services; removal goes through services.delete, inline rows through save_inline."""

    def create(self, request, form):
        raise NotImplementedError

    def change(self, request, obj, changes: dict, form):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        saved = (
            self.change(request, obj, _changes(form), form)
            if change
            else self.create(request, form)
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.delete(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.delete(obj, by=request.user)

    def save_formset(self, request, form, formset, change):
        # What the admin's change message lists, as formset.save() would have set it.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.deleted_forms:
            if row.instance.pk:
                formset.deleted_objects.append(row.instance)
                services.delete(row.instance, by=request.user)
        for row in formset.forms:
            if row in formset.deleted_forms or not row.has_changed():
                continue
            if row.instance.pk:
                formset.changed_objects.append((row.instance, row.changed_data))
            else:
                formset.new_objects.append(row.instance)
            self.save_inline(request, form.instance, row)

    def save_inline(self, request, parent, row):
        raise NotImplementedError


@admin.register(Owner)
class OwnerAdmin(ThroughServicesAdmin):
    organisation_path = "organisation"
    list_display = ["name", "rank", "role", "email", "user"]
    search_fields = ["name", "rank", "role", "email"]
    autocomplete_fields = ["user"]

    def get_exclude(self, request, obj=None):
        # A force's administrator adds people to their own organisation only.
        return [] if request.user.is_superuser else ["organisation"]

    def create(self, request, form):
        values = _values(form)
        if not request.user.is_superuser:
            values["organisation"] = Organisation.objects.get(
                pk=permissions.organisation_id_of(request.user)
            )
        return services.create_owner(**values, by=request.user, reason=ADMIN_REASON)

    def change(self, request, obj, changes, form):
        return services.change_owner(owner=obj, by=request.user, **changes)


@admin.register(Plan)
class PlanAdmin(ThroughServicesAdmin):
    organisation_path = "organisation"
    list_display = [
        "title", "slug", "organisation", "report", "executive_lead", "response_deadline",
        "is_published",
    ]  # fmt: skip
    list_filter = ["is_published", ("organisation", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["organisation", "report", "executive_lead"]
    search_fields = ["title", "report_title", "complainant"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["executive_lead", "operational_lead"]
    exclude = ["import_mapping"]
    inlines = [PeriodInline]

    def create(self, request, form):
        return services.create_plan(**_values(form), by=request.user, reason=ADMIN_REASON)

    def change(self, request, obj, changes, form):
        return services.change_plan(plan=obj, by=request.user, **changes)

    def save_inline(self, request, plan, row):
        if row.instance.pk:
            services.change_period(period=row.instance, by=request.user, **_changes(row))
        else:
            values = {k: v for k, v in _values(row).items() if k != "plan"}
            services.add_period(plan=plan, **values, by=request.user, reason=ADMIN_REASON)


class RecommendationAdminForm(VersionCheckedForm):
    """The recommendation, with the reason a changed due date needs."""

    thing = "recommendation"

    due_date_reason = forms.CharField(
        label="Reason for changing the due date",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the due date changes; listed on the recommendation page.",
    )

    class Meta:
        model = Recommendation
        fields = ["plan", "parent", "number", "text", "addressee", "due_date", "owner"]

    def clean(self):
        data = super().clean()
        moving = self.instance.pk is not None and "due_date" in self.changed_data
        if moving and not (data.get("due_date_reason") or "").strip():
            self.add_error(
                "due_date_reason",
                services.DUE_DATE_NEEDS_REASON,
            )
        return data


@admin.register(Recommendation)
class RecommendationAdmin(ThroughServicesAdmin):
    organisation_path = "plan__organisation"
    form = RecommendationAdminForm
    list_display = ["number", "plan", "addressee", "owner", "due_date"]
    list_filter = [("plan", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["plan", "owner"]
    search_fields = ["number", "text", "addressee"]
    autocomplete_fields = ["owner"]
    inlines = [SubRecommendationInline]
    ordering = ["plan", "sort_key"]

    def create(self, request, form):
        return services.add_recommendation(**_values(form), by=request.user, reason=ADMIN_REASON)

    def change(self, request, obj, changes, form):
        # The date moves through the service, which records the slip with its reason and
        # keeps the original date.
        return services.change_recommendation(
            recommendation=obj,
            by=request.user,
            due_date_reason=form.cleaned_data.get("due_date_reason", ""),
            **changes,
        )

    def save_inline(self, request, recommendation, row):
        if row.instance.pk:
            services.change_recommendation(
                recommendation=row.instance,
                by=request.user,
                due_date_reason="Changed in the admin",
                **_changes(row),
            )
        else:
            values = {k: v for k, v in _values(row).items() if k not in ("parent", "plan")}
            services.add_subrecommendation(
                recommendation=recommendation, **values, by=request.user, reason=ADMIN_REASON
            )


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(ThroughServicesAdmin):
    organisation_path = "plan__organisation"
    list_display = ["label", "plan", "position", "period_end", "return_due"]
    list_filter = [("plan", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["plan"]
    fields = ["plan", "label", "position", "period_end", "return_due"]

    def create(self, request, form):
        return services.add_period(**_values(form), by=request.user, reason=ADMIN_REASON)

    def change(self, request, obj, changes, form):
        return services.change_period(period=obj, by=request.user, **changes)


class StatusUpdateAdminForm(VersionCheckedForm):
    """An update as administrators correct it: its words, status and the note on evidence.
    Its sign-off (state, reviewer, comment) is not here: it changes only through the sign-off
    action; a change saved here goes back to an executive for sign-off."""

    thing = "update"

    class Meta:
        model = StatusUpdate
        fields = ["recommendation", "period", "status", "text", "no_evidence_reason"]

    def clean(self):
        data = super().clean()
        evidence = self.instance.evidence.count() if self.instance.pk else 0
        try:
            require_evidence_for_completion(
                data.get("status", ""), evidence, data.get("no_evidence_reason", "")
            )
        except ValidationError as error:
            self.add_error(None, error)  # placed next to the field it names
        return data


@admin.register(StatusUpdate)
class StatusUpdateAdmin(ThroughServicesAdmin):
    organisation_path = "recommendation__plan__organisation"
    form = StatusUpdateAdminForm
    list_display = ["recommendation", "period", "status", "sign_off", "author", "recorded_at"]
    list_filter = ["status", "sign_off", ("period__plan", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["recommendation", "period", "author"]
    search_fields = ["text", "recommendation__number"]
    raw_id_fields = ["recommendation", "period"]
    readonly_fields = [
        "sign_off",
        "reviewer_comment",
        "reviewed_by",
        "reviewed_at",
        "author",
        "changed_by",
        "recorded_at",
        "approved_status",
        "approved_text",
        "approved_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        # An update belongs to its recommendation and period for good.
        moved = ["recommendation", "period"] if obj is not None else []
        return [*moved, *self.readonly_fields]

    def _record(self, request, obj, form):
        return services.record_update(
            recommendation=obj.recommendation,
            period=obj.period,
            status=form.cleaned_data["status"],
            text=form.cleaned_data["text"],
            no_evidence_reason=form.cleaned_data["no_evidence_reason"],
            author=request.user,
            submit=True,
            reason=ADMIN_REASON,
        )

    def create(self, request, form):
        return self._record(request, form.instance, form)

    def change(self, request, obj, changes, form):
        return self._record(request, obj, form)


class ReadOnlyHistoryAdmin(OwnOrganisationAdmin):
    """Rows that only the services write: the admin shows them and their history."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyHistoryAdmin):
    organisation_path = "update__recommendation__plan__organisation"
    list_display = ["original_name", "update", "size", "uploaded_by", "uploaded_at", "download"]
    list_filter = [("update__period__plan", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["update__recommendation__plan", "update__period", "uploaded_by"]
    search_fields = ["original_name", "description", "update__recommendation__number"]

    @admin.display(description="File")
    def download(self, obj: Evidence) -> str:
        url = reverse("evidence_download", args=[obj.update.recommendation.plan.slug, obj.pk])
        return format_html('<a href="{}">Download</a>', url)


@admin.register(DueDateChange)
class DueDateChangeAdmin(ReadOnlyHistoryAdmin):
    organisation_path = "recommendation__plan__organisation"
    list_display = ["recommendation", "old_date", "new_date", "changed_by", "changed_at"]
    list_filter = [("recommendation__plan", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["recommendation__plan", "changed_by"]
    search_fields = ["reason", "recommendation__number"]


@admin.register(ReminderSent)
class ReminderSentAdmin(OwnRowsOnly, admin.ModelAdmin):
    """What send_reminders e-mailed, to whom and when: a record, never edited; reminders to
    the accounts of the administrator's own organisation (every one, for a superuser)."""

    organisation_path = "user__account__organisation"

    list_display = ["email", "kind", "sent_on", "sent_at"]
    list_filter = ["kind", "sent_on"]
    search_fields = ["email"]
    date_hierarchy = "sent_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

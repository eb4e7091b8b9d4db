"""The admin for setting plans up. Every save goes into history with the signed-in user."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    DueDateChange,
    Evidence,
    Owner,
    Plan,
    Recommendation,
    ReminderSent,
    ReportingPeriod,
    StatusUpdate,
)

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


class VersionedAdmin(SimpleHistoryAdmin):
    """Counts every save in the row's version, as the services do."""

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


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


@admin.register(Owner)
class OwnerAdmin(SimpleHistoryAdmin):
    list_display = ["name", "rank", "role", "email", "user"]
    search_fields = ["name", "rank", "role", "email"]
    autocomplete_fields = ["user"]


@admin.register(Plan)
class PlanAdmin(SimpleHistoryAdmin):
    list_display = ["title", "slug", "executive_lead", "response_deadline", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["title", "report_title", "complainant"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["executive_lead", "operational_lead"]
    inlines = [PeriodInline]


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
                "Say why the due date is changing: every moved deadline needs a reason.",
            )
        return data


@admin.register(Recommendation)
class RecommendationAdmin(VersionedAdmin):
    form = RecommendationAdminForm
    list_display = ["number", "plan", "addressee", "owner", "due_date"]
    list_filter = ["plan"]
    list_select_related = ["plan", "owner"]
    search_fields = ["number", "text", "addressee"]
    autocomplete_fields = ["owner"]
    inlines = [SubRecommendationInline]
    ordering = ["plan", "sort_key"]

    def save_model(self, request, obj, form, change):
        if not (change and "due_date" in form.changed_data):
            return super().save_model(request, obj, form, change)
        # The other fields save as usual; the date moves through the service, which records
        # the slip with its reason and keeps the original date.
        new_date = obj.due_date
        obj.due_date = form.initial.get("due_date")
        super().save_model(request, obj, form, change)
        moved = services.change_due_date(
            recommendation=obj,
            new_date=new_date,
            reason=form.cleaned_data["due_date_reason"],
            by=request.user,
            expected_version=obj.version,
        )
        obj.due_date, obj.version = moved.due_date, moved.version


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(SimpleHistoryAdmin):
    list_display = ["label", "plan", "position", "period_end", "return_due"]
    list_filter = ["plan"]
    list_select_related = ["plan"]


class StatusUpdateAdminForm(VersionCheckedForm):
    """An update as administrators correct it: the same completion rule as the update form."""

    thing = "update"

    class Meta:
        model = StatusUpdate
        fields = [
            "recommendation",
            "period",
            "status",
            "text",
            "author",
            "recorded_at",
            "sign_off",
            "reviewer_comment",
            "reviewed_by",
            "reviewed_at",
            "no_evidence_reason",
        ]

    def clean(self):
        data = super().clean()
        evidence = self.instance.evidence.count() if self.instance.pk else 0
        try:
            services.require_evidence_for_completion(
                data.get("status", ""), evidence, data.get("no_evidence_reason", "")
            )
        except ValidationError as error:
            self.add_error(None, error)  # placed next to the field it names
        return data


@admin.register(StatusUpdate)
class StatusUpdateAdmin(VersionedAdmin):
    form = StatusUpdateAdminForm
    list_display = ["recommendation", "period", "status", "sign_off", "author", "recorded_at"]
    list_filter = ["status", "sign_off", "period__plan"]
    list_select_related = ["recommendation", "period", "author"]
    search_fields = ["text", "recommendation__number"]
    raw_id_fields = ["recommendation", "period"]


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """Rows that only the services write: the admin shows them and their history."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyHistoryAdmin):
    list_display = ["original_name", "update", "size", "uploaded_by", "uploaded_at", "download"]
    list_filter = ["update__period__plan"]
    list_select_related = ["update__recommendation__plan", "update__period", "uploaded_by"]
    search_fields = ["original_name", "description", "update__recommendation__number"]

    @admin.display(description="File")
    def download(self, obj: Evidence) -> str:
        url = reverse("evidence_download", args=[obj.update.recommendation.plan.slug, obj.pk])
        return format_html('<a href="{}">Download</a>', url)


@admin.register(DueDateChange)
class DueDateChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["recommendation", "old_date", "new_date", "changed_by", "changed_at"]
    list_filter = ["recommendation__plan"]
    list_select_related = ["recommendation__plan", "changed_by"]
    search_fields = ["reason", "recommendation__number"]


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin):
    """What send_reminders e-mailed, to whom and when: a record, never edited."""

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

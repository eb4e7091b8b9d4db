"""The admin for setting plans up. Every save goes into history with the signed-in user."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Owner, Plan, Recommendation, ReportingPeriod, StatusUpdate, SubRecommendation


class PeriodInline(admin.TabularInline):
    model = ReportingPeriod
    extra = 0
    fields = ["position", "label", "period_end", "return_due"]


class SubRecommendationInline(admin.TabularInline):
    model = SubRecommendation
    extra = 0
    fields = ["number", "text", "owner"]
    autocomplete_fields = ["owner"]


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


@admin.register(Recommendation)
class RecommendationAdmin(SimpleHistoryAdmin):
    list_display = ["number", "plan", "addressee", "owner", "due_date"]
    list_filter = ["plan"]
    list_select_related = ["plan", "owner"]
    search_fields = ["number", "text", "addressee"]
    autocomplete_fields = ["owner"]
    inlines = [SubRecommendationInline]
    ordering = ["plan", "sort_key"]


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(SimpleHistoryAdmin):
    list_display = ["label", "plan", "position", "period_end", "return_due"]
    list_filter = ["plan"]
    list_select_related = ["plan"]


@admin.register(StatusUpdate)
class StatusUpdateAdmin(SimpleHistoryAdmin):
    list_display = ["recommendation", "period", "status", "sign_off", "author", "recorded_at"]
    list_filter = ["status", "sign_off", "period__plan"]
    list_select_related = ["recommendation", "period", "author"]
    search_fields = ["text", "recommendation__number"]
    raw_id_fields = ["recommendation", "period"]

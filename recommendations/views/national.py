"""The national progress report: for the National role, every organisation's approved
standing on a report's recommendations in one period; its downloads; and, where the
deployment publishes it, the same matrix on a public page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_GET

from .. import national, page_cache, permissions
from ..exports import national_files
from ..models import Report

TRUE = {"1", "on", "true", "yes"}


def _choices(request: HttpRequest) -> tuple[str, national.Filters]:
    """The period asked for and the filters, normalised: an unknown filter value is ignored,
    as on the plan page (an unknown period is refused by the selector)."""
    status = request.GET.get("status", "").strip()
    if status not in national.CATEGORY_LABELS:
        status = ""
    not_returned = request.GET.get("not_returned", "").strip().casefold() in TRUE
    return request.GET.get("period", "").strip(), national.Filters(status, not_returned)


def _query(period: str, filters: national.Filters, **changes: object) -> str:
    values = {"period": period, "status": filters.status, "not_returned": filters.not_returned}
    values |= changes
    kept = {name: ("1" if value is True else value) for name, value in values.items() if value}
    return f"?{urlencode(kept)}" if kept else "?"


def _links(result: national.NationalReport, path: str) -> dict[str, object]:
    """The period choice, the filters and the downloads, each a plain link."""
    filters = result.filters
    key = result.period.key if result.period else ""
    statuses = [("", "Every status"), *national.CATEGORIES]
    return {
        "period_links": [
            (period, path + _query(period.key, filters), period == result.period)
            for period in result.periods
        ],
        "status_links": [
            (label, path + _query(key, filters, status=value), value == filters.status)
            for value, label in statuses
        ],
        "returned_links": [
            (
                "Every organisation",
                path + _query(key, filters, not_returned=False),
                not filters.not_returned,
            ),
            (
                "Not returned only",
                path + _query(key, filters, not_returned=True),
                filters.not_returned,
            ),
        ],
        "query": _query(key, filters),
    }


def _context(result: national.NationalReport, path: str) -> dict[str, object]:
    return {
        "report": result.report,
        "national": result,
        "categories": national.CATEGORIES,
        "marking": settings.PROTECTIVE_MARKING,
        **_links(result, path),
    }


def _refused(request: HttpRequest, report: Report, error: Exception, template: str):
    return render(request, template, {"report": report, "error": str(error)}, status=400)


def national_index(request: HttpRequest) -> HttpResponse:
    """The reports the national progress report can be read for."""
    permissions.require(permissions.can_view_national(request.user), permissions.NATIONAL_ONLY)
    reports = Report.objects.annotate(plans_count=Count("plans")).order_by("title", "pk")
    return render(request, "recommendations/national_index.html", {"reports": reports})


def national_report(request: HttpRequest, report_slug: str) -> HttpResponse:
    permissions.require(permissions.can_view_national(request.user), permissions.NATIONAL_ONLY)
    report = get_object_or_404(Report, slug=report_slug)
    period, filters = _choices(request)

    def render_body() -> str:
        result = national.national_report(report, period_key=period, filters=filters)
        context = _context(result, request.path)
        context["downloads"] = [
            ("XLSX", reverse("national_xlsx", args=[report.slug])),
            ("PDF", reverse("national_pdf", args=[report.slug])),
        ]
        return render_to_string("recommendations/_national_body.html", context)

    try:
        return page_cache.page(
            request,
            "recommendations/national_report.html",
            {"report": report},
            name="national_report",
            token=page_cache.site_token(),
            vary=[report.pk, period, filters.status, filters.not_returned],
            render=render_body,
        )
    except national.PeriodNotFound as error:
        return _refused(request, report, error, "recommendations/national_report.html")


def _download(request: HttpRequest, report_slug: str, extension: str) -> HttpResponse:
    permissions.require(permissions.can_view_national(request.user), permissions.NATIONAL_ONLY)
    report = get_object_or_404(Report, slug=report_slug)
    period, filters = _choices(request)
    try:
        result = national.national_report(report, period_key=period, filters=filters)
    except national.PeriodNotFound as error:
        return _refused(request, report, error, "recommendations/national_report.html")
    made = national_files.render(result, extension)
    response = HttpResponse(made, content_type=national_files.CONTENT_TYPES[extension])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=national_files.filename(result, extension)
    )
    # A national return may carry a protective marking: keep it out of shared caches.
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def national_xlsx(request: HttpRequest, report_slug: str) -> HttpResponse:
    return _download(request, report_slug, "xlsx")


@require_GET
def national_pdf(request: HttpRequest, report_slug: str) -> HttpResponse:
    return _download(request, report_slug, "pdf")


@login_not_required
@require_GET
def public_national(request: HttpRequest, report_slug: str) -> HttpResponse:
    """The matrix for everyone, from published plans' approved content, where the
    deployment publishes it (NATIONAL_PUBLIC_PAGE); otherwise there is no such page. Cached as
    the signed-in page is: anyone may ask for it, and rendering it reads every plan."""
    if not settings.NATIONAL_PUBLIC_PAGE:
        raise Http404("No such page.")
    report = get_object_or_404(Report, slug=report_slug)
    period, filters = _choices(request)

    def render_body() -> str:
        result = national.national_report(report, period_key=period, filters=filters, public=True)
        return render_to_string("public/_national_body.html", _context(result, request.path))

    try:
        return page_cache.page(
            request,
            "public/national.html",
            {"report": report},
            name="public_national",
            token=page_cache.site_token(),
            vary=[report.pk, period, filters.status, filters.not_returned],
            render=render_body,
        )
    except national.PeriodNotFound as error:
        return _refused(request, report, error, "public/national.html")

"""Downloading a plan's return as XLSX or PDF, with the plan page's filters, a reporting period
and an optional "as at" moment."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from .. import permissions
from ..exports import common, pdf, xlsx
from ..forms import PlanFilterForm
from ..models import Owner, Plan
from .lookups import plan_for

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
NOT_ALLOWED = "You have no role in any plan, so you cannot download its returns."


def _refuse(request: HttpRequest, plan: Plan, problems: list[str]) -> HttpResponse:
    return render(
        request, "returns/export_error.html", {"plan": plan, "problems": problems}, status=400
    )


def _download(
    request: HttpRequest,
    slug: str,
    *,
    extension: str,
    content_type: str,
    writer: Callable[[common.PlanReturn], bytes],
) -> HttpResponse:
    permissions.require(permissions.can_view_plans(request.user), NOT_ALLOWED)
    plan = plan_for(request, slug)
    permissions.require(permissions.can_export(request.user, plan), NOT_ALLOWED)
    form = PlanFilterForm(
        request.GET, owners=Owner.objects.filter(recommendations__plan=plan).distinct()
    )
    if not form.is_valid():
        # The plan page ignores a bad filter; a return must not quietly export the wrong rows.
        problems = [
            f"{form.fields[name].label if name in form.fields else 'Filters'}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        ]
        return _refuse(request, plan, problems)
    try:
        ret = common.build_return(
            plan,
            filters=form.filters(),
            period_id=common.parse_period_id(request.GET.get("period")),
            as_of=common.parse_as_of(request.GET.get("as_of")),
            include_pending=common.parse_flag(request.GET.get("pending"), name="pending"),
            generated_by=request.user.get_full_name() or request.user.get_username(),
        )
    except common.ExportError as error:
        return _refuse(request, plan, [str(error)])
    response = HttpResponse(writer(ret), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=ret.filename(extension)
    )
    # Returns may carry a protective marking: keep them out of shared caches.
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def return_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    return _download(request, slug, extension="xlsx", content_type=XLSX_TYPE, writer=xlsx.render)


@require_GET
def return_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    return _download(request, slug, extension="pdf", content_type=PDF_TYPE, writer=pdf.render)

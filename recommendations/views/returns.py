"""Downloading a plan's return as XLSX or PDF, or in the open return format (JSON, CSV), with
the plan page's filters, a reporting period and an optional "as at" moment.

A return small enough to make in a moment is made in the request. A larger one is made by
the background worker (exports/jobs.py): the download answers at once with a progress page,
which offers the file when it is ready; a return made before for the same choices (and the
same state of the plan) is served again at once. JSON and CSV are quick to make at any size,
so they are always made in the request.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_GET

from .. import permissions
from ..exports import common, jobs, open_return
from ..forms import PlanFilterForm
from ..models import Owner, Plan
from .lookups import plan_for
from .public import public_url

XLSX_TYPE = jobs.XLSX_TYPE
PDF_TYPE = jobs.PDF_TYPE
NOT_ALLOWED = "You have no role in any plan, so you cannot download its returns."
# The query parameters a return is made from: the plan page's filters and the return's own.
ASKED = ("q", "status", "owner", "overdue", "stale", "awaiting", "slipped")
CHOICES = ("period", "as_of", "pending")


def _refuse(request: HttpRequest, plan: Plan, problems: list[str]) -> HttpResponse:
    return render(
        request, "returns/export_error.html", {"plan": plan, "problems": problems}, status=400
    )


def _private(response: HttpResponse) -> HttpResponse:
    # Returns may carry a protective marking: keep them out of shared caches.
    patch_cache_control(response, private=True, no_store=True)
    return response


def _plan(request: HttpRequest, slug: str) -> Plan:
    plan = plan_for(request, slug, refusal=NOT_ALLOWED)
    permissions.require(permissions.can_export(request.user, plan), NOT_ALLOWED)
    return plan


def _download(request: HttpRequest, slug: str, *, extension: str) -> HttpResponse:
    plan = _plan(request, slug)
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
    generated_by = request.user.get_full_name() or request.user.get_username()
    try:
        period_id = common.parse_period_id(request.GET.get("period"))
        as_of = common.parse_as_of(request.GET.get("as_of"))
        include_pending = common.parse_flag(request.GET.get("pending"), name="pending")
        if extension in jobs.FORMATS and jobs.in_background(plan, extension):
            job = jobs.ReturnJob.ask(
                plan,
                extension=extension,
                query={k: v for k in ASKED + CHOICES if (v := request.GET.get(k, "").strip())},
                period_id=period_id,
                as_of=as_of,
                include_pending=include_pending,
                generated_by=generated_by,
            )
            return _in_background(plan, job)
        ret = common.build_return(
            plan,
            filters=form.filters(),
            period_id=period_id,
            as_of=as_of,
            include_pending=include_pending,
            generated_by=generated_by,
        )
        data, content_type = _file(request, plan, ret, extension)
    except common.ExportError as error:
        return _refuse(request, plan, [str(error)])
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=ret.filename(extension)
    )
    return _private(response)


def _file(
    request: HttpRequest, plan: Plan, ret: common.PlanReturn, extension: str
) -> tuple[bytes, str]:
    """The return's file in the format asked for, and its content type."""
    if extension in open_return.WRITERS:
        document = open_return.document_for(ret, public_url=public_url(request, plan))
        return open_return.WRITERS[extension](document), open_return.CONTENT_TYPES[extension]
    file_format = jobs.FORMATS[extension]
    return file_format.writer(ret), file_format.content_type


def _in_background(plan: Plan, job: jobs.ReturnJob) -> HttpResponse:
    found = jobs.request_return(job)
    if isinstance(found, jobs.KeptReturn):
        return _serve(found)
    # A redirect, so that reloading the progress page never asks for the return again.
    return redirect("return_progress", slug=plan.slug, task_id=found)


def _serve(made: jobs.KeptReturn) -> FileResponse:
    response = FileResponse(
        made.open(), as_attachment=True, filename=made.filename, content_type=made.content_type
    )
    return _private(response)


@require_GET
def return_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    return _download(request, slug, extension="xlsx")


@require_GET
def return_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    return _download(request, slug, extension="pdf")


@require_GET
def return_json(request: HttpRequest, slug: str) -> HttpResponse:
    return _download(request, slug, extension="json")


@require_GET
def return_csv(request: HttpRequest, slug: str) -> HttpResponse:
    return _download(request, slug, extension="csv")


def _progress(request: HttpRequest, slug: str, task_id) -> tuple[Plan, jobs.Progress]:
    plan = _plan(request, slug)
    found = jobs.progress(str(task_id), plan)
    if found is None:
        raise Http404("No such return.")
    return plan, found


@require_GET
def return_progress(request: HttpRequest, slug: str, task_id) -> HttpResponse:
    """Where a return being made by the worker stands; the file once it is ready."""
    plan, found = _progress(request, slug, task_id)
    again = reverse(f"return_{found.job.extension}", args=[plan.slug])
    context = {
        "plan": plan,
        "progress": found,
        "format": found.job.format,
        "here": request.path,
        "task_id": task_id,
        "again": f"{again}?{urlencode(found.job.query)}" if found.job.query else again,
    }
    return _private(render(request, "recommendations/return_progress.html", context))


@require_GET
def return_file(request: HttpRequest, slug: str, task_id) -> HttpResponse:
    """The finished return, with the headers of the direct download; until it is ready, the
    progress page."""
    plan, found = _progress(request, slug, task_id)
    if found.made is None:
        return redirect("return_progress", slug=plan.slug, task_id=task_id)
    return _serve(found.made)

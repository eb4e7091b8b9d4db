"""The national lead's collation pages: the forces' plans answering a report, and taking a
force's return in by uploading it (our JSON, our XLSX return, or any layout the importer
reads). Every way in ends in services.take_return, all or nothing."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from .. import permissions, services
from ..collated import collated_plans
from ..evidence import clean_file_name
from ..forms import ReturnUploadForm
from ..imports import as_return
from ..models import Report
from ..services.collation import Outcome, ReturnRefused


def _report(request: HttpRequest, report_slug: str) -> Report:
    permissions.require(permissions.can_collect(request.user), permissions.COLLECT_ONLY)
    return get_object_or_404(Report, slug=report_slug)


@require_GET
def national_returns(request: HttpRequest, report_slug: str) -> HttpResponse:
    report = _report(request, report_slug)
    context = {"report": report, "rows": collated_plans(report)}
    return render(request, "recommendations/national_returns.html", context)


def _documents(form: ReturnUploadForm, filename: str) -> list[dict]:
    data, report = form.file_bytes, form.cleaned_data["report"]
    if as_return.is_json(data, filename):
        return [as_return.json_document(data)]
    return as_return.documents_from_file(
        data, filename=filename, report=report, organisation=form.cleaned_data["organisation"]
    )


def _taken(outcomes: list[Outcome]) -> str:
    first = outcomes[0]
    created = sum(outcome.created for outcome in outcomes)
    changed = sum(outcome.changed for outcome in outcomes)
    if not any(outcome.changed_anything for outcome in outcomes):
        return f"{first.organisation}'s return is already held as it is: nothing changed."
    return (
        f"{first.organisation}'s return was taken into {first.plan}: {created} added, "
        f"{changed} changed."
    )


@require_http_methods(["GET", "POST"])
def national_return_upload(request: HttpRequest, report_slug: str) -> HttpResponse:
    report = _report(request, report_slug)
    form = ReturnUploadForm(request.POST or None, request.FILES or None, initial={"report": report})
    if request.method == "POST" and form.is_valid():
        filename = clean_file_name(form.cleaned_data["file"].name or "return")
        try:
            outcomes = services.take_returns(
                documents=_documents(form, filename),
                report=form.cleaned_data["report"],
                by=request.user,
                source=filename,
                # The force chosen on the form, if any: the return must be that force's.
                organisation=form.cleaned_data["organisation"],
            )
        except ReturnRefused as refused:
            form.add_error("file", ValidationError(refused.first()))
        else:
            messages.success(request, _taken(outcomes))
            return redirect("national_returns", form.cleaned_data["report"].slug)
    context = {"report": report, "form": form}
    status = 400 if form.errors else 200
    return render(request, "recommendations/national_return_upload.html", context, status=status)

"""Evidence attached to updates: upload and removal by those who may edit the update, download
by anyone who may see the plan, always through these views (files live outside the web root)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from .. import permissions, services
from ..forms import EvidenceForm, EvidenceRemoveForm
from ..models import Evidence, StatusUpdate
from .lookups import recommendation_for

NOT_ALLOWED = (
    "Only the lead who owns this recommendation, or an administrator, may change its evidence."
)


def _period_anchor(update: StatusUpdate) -> str:
    return f"{update.recommendation.get_absolute_url()}#period-{update.period_id}"


@require_http_methods(["GET", "POST"])
def evidence_upload(request: HttpRequest, slug: str, number: str, period_id: int) -> HttpResponse:
    plan, recommendation = recommendation_for(request, slug, number, edit=True, refusal=NOT_ALLOWED)
    update = get_object_or_404(
        StatusUpdate.objects.select_related("period"),
        recommendation=recommendation,
        period_id=period_id,
    )
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            evidence = services.attach_evidence(
                update=update,
                uploaded_file=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(
                request,
                f"{evidence.original_name} attached to the update for {update.period.label}.",
            )
            return redirect(_period_anchor(update))
    return render(
        request,
        "recommendations/evidence_form.html",
        {"plan": plan, "recommendation": recommendation, "update": update, "form": form},
        status=400 if form.errors else 200,
    )


def _get_evidence(request: HttpRequest, slug: str, evidence_id: int) -> Evidence:
    """The evidence, if it belongs to a plan the user may see; else 404."""
    permissions.require(permissions.can_view_plans(request.user), NOT_ALLOWED)
    return get_object_or_404(
        Evidence.objects.select_related(
            "update__period", "update__recommendation__plan", "update__recommendation__owner"
        ),
        pk=evidence_id,
        update__recommendation__plan__slug=slug,
        update__recommendation__plan__in=permissions.visible_plans(request.user),
    )


@require_GET
def evidence_download(request: HttpRequest, slug: str, evidence_id: int) -> FileResponse:
    permissions.require(permissions.can_view_plans(request.user), permissions.NO_ROLE)
    evidence = _get_evidence(request, slug, evidence_id)
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The file for this evidence is missing from storage.") from None
    # Always a download, under the name we cleaned and the type we checked, so a browser never
    # renders an uploaded file as a page of this site.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def evidence_remove(request: HttpRequest, slug: str, evidence_id: int) -> HttpResponse:
    evidence = _get_evidence(request, slug, evidence_id)
    update = evidence.update
    permissions.require(
        permissions.can_edit_update(request.user, update.recommendation), NOT_ALLOWED
    )
    form = EvidenceRemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.remove_evidence(
                evidence=evidence, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{evidence.original_name} removed.")
            return redirect(_period_anchor(update))
    return render(
        request,
        "recommendations/evidence_confirm_remove.html",
        {
            "plan": update.recommendation.plan,
            "recommendation": update.recommendation,
            "update": update,
            "evidence": evidence,
            "form": form,
        },
        status=400 if form.errors else 200,
    )

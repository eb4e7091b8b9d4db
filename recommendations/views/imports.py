"""Importing a plan, for administrators: upload, preview with its mapping, then confirm.

Nothing is saved until the administrator confirms the preview. The preview shows every source
column with the meaning the tracker gave it and every status word with its status; any of them
can be changed and the preview made again. Between the steps the file waits under
MEDIA_ROOT/imports, named by a random token that only this session knows, with the mapping
last shown and a fingerprint of the changes it would make.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .. import permissions
from ..evidence import clean_file_name
from ..imports import (
    ImportPreview,
    ImportRefused,
    Mapping,
    MappingError,
    pending,
    preview_source,
    read_plan,
)
from ..imports.forms import ImportUploadForm, MappingForm
from ..imports.save import changes_digest, save_plan
from ..models import Organisation, Plan

NOT_ALLOWED = "Only administrators may import plans."
MAPPING_FIELDS = ("column_", "period_", "status_")
EXPIRED = (
    "That preview has expired or another upload replaced it. Nothing was saved: upload the "
    "file again."
)


def _organisation(request: HttpRequest) -> Organisation | None:
    """Whose plans the import may make or change: the administrator's organisation (any, and
    new plans the deployment's own, for a superuser)."""
    if request.user.is_superuser:
        return None
    return Organisation.objects.filter(pk=permissions.organisation_id_of(request.user)).first()


def _remember(request: HttpRequest, details: dict, preview: ImportPreview) -> None:
    """What the page now shows: the mapping and the changes a confirmation would save."""
    details["mapping"] = preview.mapping.to_dict() if preview.mapping is not None else {}
    details["changes"] = changes_digest(preview)
    pending.remember(request.session, details)


def _preview_page(
    request: HttpRequest,
    preview: ImportPreview,
    *,
    details: dict | None = None,
    form: MappingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "preview": preview,
        "token": details["token"] if details else "",
        "mapping_form": form or MappingForm(preview=preview),
        "upload_form": ImportUploadForm(
            initial={"title": preview.title, "slug": preview.slug, "plan": preview.existing_plan},
            plans=permissions.own_plans(request.user),
        ),
    }
    return render(request, "recommendations/import_preview.html", context, status=status)


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.can_import(request.user), NOT_ALLOWED)
    plans = permissions.own_plans(request.user)
    initial = {"plan": plans.filter(slug=request.GET.get("plan", "")).first()}
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, initial=initial, plans=plans
    )
    if request.method == "POST" and form.is_valid():
        plan: Plan | None = form.cleaned_data["plan"]
        details = {
            "filename": clean_file_name(form.cleaned_data["file"].name),
            "title": form.cleaned_data["title"],
            "slug": plan.slug if plan else form.cleaned_data["slug"],
            "into": plan is not None,
        }
        form.source.filename = details["filename"]
        # Next quarter's file from the same source reads as the plan's last file did.
        saved = _saved_mapping(plan)
        preview = preview_source(
            form.source,
            title=details["title"],
            slug=details["slug"],
            mapping=saved,
            into_existing=details.get("into", False),
            organisation=_organisation(request),
        )
        details = pending.keep(request.session, form.file_bytes, details)
        _remember(request, details, preview)
        return _preview_page(request, preview, details=details, status=200 if preview.ok else 400)
    return render(
        request,
        "recommendations/import_upload.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _saved_mapping(plan: Plan | None) -> Mapping | None:
    if plan is None or not plan.import_mapping:
        return None
    try:
        return Mapping.from_dict(plan.import_mapping)
    except MappingError:
        return None  # a mapping saved by an older version: guess afresh


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Make the preview again with the choices on the page, or save it as last shown."""
    permissions.require(permissions.can_import(request.user), NOT_ALLOWED)
    found = pending.waiting(request.session, request.POST.get("token", ""))
    if found is None:
        messages.error(request, EXPIRED)
        return redirect("import_upload")
    details, data = found
    if "cancel" in request.POST:
        pending.discard(request.session)
        messages.info(request, "Import cancelled. Nothing was saved.")
        return redirect("import_upload")

    def read(mapping: Mapping | None) -> ImportPreview:
        # Read again rather than trust anything kept from the preview: the database may have
        # changed since (a plan created with the same address, owners added, updates edited).
        return read_plan(
            data,
            filename=details["filename"],
            title=details["title"],
            slug=details["slug"],
            mapping=mapping,
            into_existing=details.get("into", False),
            organisation=_organisation(request),
        )

    last = Mapping.from_dict(details["mapping"]) if details.get("mapping") else None
    chosen = last
    if any(name.startswith(MAPPING_FIELDS) for name in request.POST):
        shown = read(last)
        form = MappingForm(request.POST, preview=shown)
        if not form.is_valid():
            return _preview_page(request, shown, details=details, form=form, status=400)
        chosen = form.mapping(last)
    # Without the mapping's fields, the preview is confirmed as it was last shown.
    preview = read(chosen)
    changed = chosen is not None and chosen.to_dict() != details.get("mapping")
    if "apply" in request.POST or changed:
        # New choices are shown before anything is saved with them.
        _remember(request, details, preview)
        if "apply" not in request.POST:
            messages.info(
                request, "Your changes are shown below. Nothing was saved: check them, then save."
            )
        return _preview_page(request, preview, details=details, status=200 if preview.ok else 400)
    if preview.ok:
        try:
            plan = save_plan(
                preview,
                by=request.user,
                approve=request.POST.get("approve") == "on",
                expected_changes=details.get("changes"),
            )
        except ImportRefused as refused:
            preview.problems.extend(refused.problems)
        else:
            pending.discard(request.session)
            messages.success(request, _saved_message(preview, plan))
            return redirect(plan)
    return _preview_page(request, preview, details=details, status=409)


def _saved_message(preview: ImportPreview, plan: Plan) -> str:
    if preview.mode == "update":
        count = len(preview.changes)
        return (
            f"Added or changed {count} update{'s' if count != 1 else ''} in {plan.title} from "
            f"{preview.filename}."
        )
    count = len(preview.recommendations)
    return (
        f"Imported {count} recommendation{'s' if count != 1 else ''} into {plan.title} from "
        f"{preview.filename}."
    )

"""Importing a plan from a spreadsheet, for administrators: upload, preview, then confirm.

Nothing is saved until the administrator confirms the preview. Between the two steps the file
waits under MEDIA_ROOT/imports, named by a random token that only this session knows.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .. import permissions
from ..exports import importer

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SESSION_KEY = "plan_import"
# Files left behind by previews nobody confirmed or cancelled are removed after this long.
PENDING_SECONDS = 24 * 60 * 60
_TOKEN = re.compile(r"[A-Za-z0-9_-]{40,64}")
NOT_ALLOWED = "Only administrators may import plans."


class ImportUploadForm(forms.Form):
    """The spreadsheet to import and what to call the plan."""

    file = forms.FileField(
        label="Spreadsheet (.xlsx)",
        help_text=(
            "Our own XLSX return, or the plan as your force publishes it, with a header row "
            "such as Rec No. | Recommendation | Sub recommendation | Addressee | Owner and one "
            "column per update. Up to 5 MB."
        ),
        error_messages={"required": "Choose the spreadsheet to import."},
    )
    title = forms.CharField(
        label="Plan title",
        max_length=300,
        error_messages={"required": "Give the plan a title."},
    )
    slug = forms.SlugField(
        label="Web address (optional)",
        required=False,
        max_length=100,
        help_text=(
            "Letters, numbers and hyphens, e.g. stalking-super-complaint. Left blank, it is "
            "taken from the file's Plan sheet or made from the title."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / (1024 * 1024):.1f} MB; the limit is "
                f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB. Remove images or other sheets first."
            )
        data = b"".join(upload.chunks())
        try:
            importer.open_workbook(data).close()
        except importer.NotAWorkbook as error:
            raise forms.ValidationError(str(error)) from None
        self.file_bytes = data
        return upload


def _safe_name(name: str) -> str:
    """The uploaded file's own name, for messages and history; never used as a path."""
    name = Path(name.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:150] or "upload.xlsx"


def _folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _pending_path(pending: dict) -> Path | None:
    token = pending.get("token", "")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    return _folder() / f"{token}.xlsx"


def _discard(request: HttpRequest) -> None:
    path = _pending_path(request.session.pop(SESSION_KEY, None) or {})
    if path is not None:
        path.unlink(missing_ok=True)


def _sweep() -> None:
    cutoff = time.time() - PENDING_SECONDS
    for path in _folder().glob("*.xlsx"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


def _keep(request: HttpRequest, data: bytes, *, filename: str, title: str, slug: str) -> str:
    """Hold the file until the administrator confirms; returns the token the form sends back."""
    _discard(request)
    _folder().mkdir(parents=True, exist_ok=True)
    _sweep()
    token = secrets.token_urlsafe(32)
    (_folder() / f"{token}.xlsx").write_bytes(data)
    request.session[SESSION_KEY] = {
        "token": token,
        "filename": filename,
        "title": title,
        "slug": slug,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    return token


def _preview_page(
    request: HttpRequest, preview: importer.ImportPreview, *, token: str = "", status: int = 200
) -> HttpResponse:
    form = ImportUploadForm(initial={"title": preview.title, "slug": preview.slug})
    return render(
        request,
        "recommendations/import_preview.html",
        {"preview": preview, "token": token, "form": form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.can_import(request.user), NOT_ALLOWED)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        filename = _safe_name(form.cleaned_data["file"].name)
        title, slug = form.cleaned_data["title"], form.cleaned_data["slug"]
        preview = importer.read_plan(form.file_bytes, filename=filename, title=title, slug=slug)
        if not preview.ok:
            return _preview_page(request, preview, status=400)
        token = _keep(request, form.file_bytes, filename=filename, title=title, slug=slug)
        return _preview_page(request, preview, token=token)
    return render(
        request,
        "recommendations/import_upload.html",
        {"form": form, "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
        status=400 if form.errors else 200,
    )


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.can_import(request.user), NOT_ALLOWED)
    pending = request.session.get(SESSION_KEY) or {}
    path = _pending_path(pending)
    token = request.POST.get("token", "")
    data = path.read_bytes() if path is not None and path.is_file() else None
    if (
        data is None
        or not secrets.compare_digest(token.encode(), pending["token"].encode())
        or hashlib.sha256(data).hexdigest() != pending.get("sha256")
    ):
        messages.error(
            request,
            "That preview has expired or another upload replaced it. Nothing was saved: "
            "upload the file again.",
        )
        return redirect("import_upload")
    if "cancel" in request.POST:
        _discard(request)
        messages.info(request, "Import cancelled. Nothing was saved.")
        return redirect("import_upload")
    # Read again rather than trust anything kept from the preview: the database may have
    # changed since (a plan created with the same address, owners added).
    preview = importer.read_plan(
        data, filename=pending["filename"], title=pending["title"], slug=pending["slug"]
    )
    _discard(request)
    if preview.ok:
        try:
            plan = importer.save_plan(preview, by=request.user)
        except importer.ImportRefused as refused:
            preview.problems.extend(refused.problems)
        else:
            count = len(preview.recommendations)
            messages.success(
                request,
                f"Imported {count} recommendation{'s' if count != 1 else ''} into "
                f"{plan.title} from {preview.filename}.",
            )
            return redirect(plan)
    return _preview_page(request, preview, status=409)

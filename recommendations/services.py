"""Writes. Views, the admin, management commands and tests all change plans through these
functions, so every change carries its author, its reason and its history record.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .choices import SignOff, Status
from .models import (
    DueDateChange,
    Evidence,
    Owner,
    Plan,
    Recommendation,
    ReportingPeriod,
    StatusUpdate,
)


class ConflictError(Exception):
    """Someone else saved the same thing after the editor opened it."""

    def __init__(self, current):
        super().__init__("This was changed by someone else while you were editing it.")
        self.current = current


class WorkflowError(Exception):
    """A sign-off step that does not apply to the update as it stands."""


def _save(instance, *, user: AbstractBaseUser | None, reason: str = "") -> None:
    """Save with the author and reason recorded on the history row."""
    if user is not None:
        instance._history_user = user
    if reason:
        instance._change_reason = reason
    instance.save()


# ---------------------------------------------------------------------------- set-up


def create_owner(
    *,
    name: str,
    rank: str = "",
    role: str = "",
    email: str = "",
    user: AbstractBaseUser | None = None,
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> Owner:
    """Add a named officer or member of staff."""
    owner = Owner(name=name, rank=rank, role=role, email=email, user=user)
    _save(owner, user=by, reason=reason)
    return owner


def create_plan(*, by: AbstractBaseUser | None = None, reason: str = "", **fields) -> Plan:
    """Create a plan; `fields` are Plan's own (slug, title, report_title, executive_lead...)."""
    plan = Plan(**fields)
    plan.full_clean()
    _save(plan, user=by, reason=reason)
    return plan


def save_import_mapping(
    *, plan: Plan, mapping: dict, by: AbstractBaseUser | None = None, reason: str = ""
) -> Plan:
    """Keep the meaning of each column and status word of the file the plan came from, so the
    next file from the same source imports with one confirmation."""
    plan.import_mapping = mapping
    _save(plan, user=by, reason=reason)
    return plan


def add_period(
    *,
    plan: Plan,
    label: str,
    period_end: dt.date | None = None,
    return_due: dt.date | None = None,
    position: int | None = None,
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> ReportingPeriod:
    """Add a reporting period; by default it becomes the plan's last column."""
    if position is None:
        last = plan.periods.order_by("-position").values_list("position", flat=True).first()
        position = 0 if last is None else last + 1
    period = ReportingPeriod(
        plan=plan, label=label, period_end=period_end, return_due=return_due, position=position
    )
    period.full_clean()
    _save(period, user=by, reason=reason)
    return period


def add_recommendation(
    *,
    plan: Plan,
    number: str,
    text: str,
    addressee: str = "",
    due_date: dt.date | None = None,
    owner: Owner | None = None,
    parent: Recommendation | None = None,
    details: dict[str, str] | None = None,
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> Recommendation:
    """Add a recommendation with the report's own number; with `parent`, one of that
    recommendation's sub-recommendations or actions ("7.1")."""
    if parent is not None and (parent.plan_id != plan.pk or parent.parent_id is not None):
        raise ValidationError(
            {"parent": "A sub-recommendation belongs to a recommendation of the same plan."}
        )
    rec = Recommendation(
        plan=plan,
        parent=parent,
        number=number,
        text=text,
        addressee=addressee,
        due_date=due_date,
        owner=owner,
        details=details or {},
    )
    rec.full_clean()
    _save(rec, user=by, reason=reason)
    return rec


def add_subrecommendation(
    *,
    recommendation: Recommendation,
    number: str,
    text: str = "",
    owner: Owner | None = None,
    due_date: dt.date | None = None,
    details: dict[str, str] | None = None,
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> Recommendation:
    """Add a sub-recommendation or action ("7.1") under a recommendation."""
    return add_recommendation(
        plan=recommendation.plan,
        parent=recommendation,
        number=number,
        text=text,
        owner=owner,
        due_date=due_date,
        details=details,
        by=by,
        reason=reason,
    )


# ---------------------------------------------------------------------------- progress


@transaction.atomic
def record_update(
    *,
    recommendation: Recommendation,
    period: ReportingPeriod,
    status: str,
    text: str,
    author: AbstractBaseUser | None,
    expected_version: int | None = None,
    no_evidence_reason: str | None = None,
    sign_off: str | None = None,
    recorded_at: dt.datetime | None = None,
    reason: str = "",
    new_evidence: Sequence[tuple[File, str]] = (),
) -> StatusUpdate:
    """Record, or edit, the one update of a recommendation for a period.

    `expected_version` is the version the editor started from: if someone saved in between,
    nothing is written and ConflictError carries what they saved. Editing an approved update
    sends it back for sign-off.

    `new_evidence` holds (file, description) pairs attached in the same transaction. An update
    marked complete needs evidence (already attached or new) or a note why none is needed;
    without either, ValidationError and nothing is written.
    """
    if period.plan_id != recommendation.plan_id:
        raise ValueError("The period belongs to another plan.")
    update = (
        StatusUpdate.objects.select_for_update()
        .filter(recommendation=recommendation, period=period)
        .first()
    )
    now = timezone.now()
    if update is None:
        if expected_version not in (None, 0):
            raise ConflictError(None)
        update = StatusUpdate(
            recommendation=recommendation,
            period=period,
            sign_off=sign_off or SignOff.DRAFT,
            version=1,
        )
    else:
        if expected_version is not None and expected_version != update.version:
            raise ConflictError(update)
        update.version += 1
        if sign_off:
            update.sign_off = sign_off
        elif update.sign_off == SignOff.APPROVED:
            update.sign_off = SignOff.SUBMITTED
    checked = [inspect_evidence(upload) for upload, _ in new_evidence]
    if no_evidence_reason is not None:
        update.no_evidence_reason = no_evidence_reason
    evidence_count = (update.evidence.count() if update.pk else 0) + len(checked)
    require_evidence_for_completion(status, evidence_count, update.no_evidence_reason)
    update.status = status
    update.text = text
    update.author = author
    update.recorded_at = recorded_at or now
    _save(update, user=author, reason=reason)
    for (_, description), found in zip(new_evidence, checked, strict=True):
        _store_evidence(update=update, checked=found, description=description, by=author)
    return update


@transaction.atomic
def change_sign_off(
    *,
    update: StatusUpdate,
    to: str,
    by: AbstractBaseUser,
    comment: str = "",
) -> StatusUpdate:
    """Move an update through draft -> submitted -> approved, or back with a comment."""
    update = StatusUpdate.objects.select_for_update().get(pk=update.pk)
    allowed = {
        SignOff.SUBMITTED: {SignOff.DRAFT, SignOff.RETURNED},
        SignOff.APPROVED: {SignOff.SUBMITTED},
        SignOff.RETURNED: {SignOff.SUBMITTED},
    }
    if update.sign_off not in allowed.get(to, set()):
        raise WorkflowError(
            f"An update that is {SignOff(update.sign_off).label.lower()} cannot be "
            f"{'submitted' if to == SignOff.SUBMITTED else SignOff(to).label.lower()}."
        )
    if to == SignOff.RETURNED and not comment.strip():
        raise WorkflowError("Say what needs to change when returning an update.")
    update.sign_off = to
    if to in (SignOff.APPROVED, SignOff.RETURNED):
        update.reviewed_by = by
        update.reviewed_at = timezone.now()
        update.reviewer_comment = comment.strip()
    reason = {
        SignOff.SUBMITTED: "Submitted for sign-off",
        SignOff.APPROVED: "Approved",
        SignOff.RETURNED: "Returned for changes",
    }[to]
    _save(update, user=by, reason=reason)
    return update


# ---------------------------------------------------------------------------- evidence

NO_EVIDENCE_MESSAGE = "Attach evidence of completion, or say here why none is needed."
LAST_EVIDENCE_MESSAGE = (
    "This is the only evidence for an update marked complete. Attach other evidence, or "
    "record on the update why none is needed, before removing it."
)
MAX_NAME_LENGTH = 150


@dataclass(frozen=True)
class EvidenceType:
    """A kind of file we accept as evidence, as people call it and as browsers are told."""

    label: str
    content_type: str


# Keyed by extension; the content must be of the same kind (see _sniff).
EVIDENCE_TYPES: dict[str, EvidenceType] = {
    "pdf": EvidenceType("PDF", "application/pdf"),
    "docx": EvidenceType(
        "Word document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": EvidenceType(
        "Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "pptx": EvidenceType(
        "PowerPoint presentation",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "doc": EvidenceType("Word 97-2003 document", "application/msword"),
    "xls": EvidenceType("Excel 97-2003 workbook", "application/vnd.ms-excel"),
    "ppt": EvidenceType("PowerPoint 97-2003 presentation", "application/vnd.ms-powerpoint"),
    "png": EvidenceType("PNG image", "image/png"),
    "jpg": EvidenceType("JPEG image", "image/jpeg"),
    "jpeg": EvidenceType("JPEG image", "image/jpeg"),
    "gif": EvidenceType("GIF image", "image/gif"),
    "txt": EvidenceType("plain text file", "text/plain"),
    "csv": EvidenceType("CSV file", "text/csv"),
}
ALLOWED_EVIDENCE = "PDF, Word, Excel, PowerPoint, PNG, JPEG, GIF, plain text or CSV"

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Names of the streams that legacy Office files keep in their OLE2 directory (UTF-16).
_OLE2_STREAMS = {
    "doc": ("WordDocument",),
    "xls": ("Workbook", "Book"),
    "ppt": ("PowerPoint Document",),
}
_OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
_TEXT_CONTROLS_ALLOWED = {9, 10, 12, 13}


@dataclass(frozen=True)
class CheckedEvidence:
    """An uploaded file that passed the checks: its safe name, its type and its bytes."""

    name: str
    content_type: str
    size: int
    content: bytes


def evidence_max_bytes() -> int:
    return getattr(settings, "EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)


def _megabytes(size: int) -> str:
    """A size as people read it: "512 bytes", "20 KB", "10 MB", "10.5 MB"."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    figure = size / (1024 * 1024)
    return f"{figure:.0f} MB" if figure == int(figure) else f"{figure:.1f} MB"


def evidence_hint() -> str:
    """What may be attached, in words for the hint beside a file field."""
    return f"{ALLOWED_EVIDENCE}; up to {_megabytes(evidence_max_bytes())}."


def clean_file_name(name: str) -> str:
    """An uploaded file's name made safe to show and to offer as a download name.

    Only the last path component is kept; control and direction-changing characters, quotes
    and characters Windows forbids in names are dropped; the length is limited, keeping the
    extension.
    """
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if (ch.isprintable() or ch == " ") and ch not in '<>:"|?*')
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_NAME_LENGTH:
        suffix = PurePosixPath(name).suffix
        suffix = suffix if len(suffix) <= 10 else ""
        name = name[: MAX_NAME_LENGTH - len(suffix)].rstrip(". ") + suffix
    return name or "evidence"


def _ole2_kinds(content: bytes) -> set[str]:
    return {
        kind
        for kind, streams in _OLE2_STREAMS.items()
        if any(stream.encode("utf-16-le") in content for stream in streams)
    }


def _ooxml_kinds(content: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return set()
    if "[Content_Types].xml" not in names:
        return set()
    return {
        kind
        for kind, prefix in _OOXML_PARTS.items()
        if any(name.startswith(prefix) for name in names)
    }


def _is_text(content: bytes) -> bool:
    if not content or b"\x00" in content:
        return False
    return not any(byte < 32 and byte not in _TEXT_CONTROLS_ALLOWED for byte in content)


def _sniff(content: bytes) -> set[str]:
    """The extensions the file's content fits, judged by its bytes, never by its name."""
    if content.startswith(b"%PDF-"):
        return {"pdf"}
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return {"png"}
    if content.startswith(b"\xff\xd8\xff"):
        return {"jpg", "jpeg"}
    if content.startswith((b"GIF87a", b"GIF89a")):
        return {"gif"}
    if content.startswith(b"PK\x03\x04"):
        return _ooxml_kinds(content)
    if content.startswith(_OLE2):
        return _ole2_kinds(content)
    if _is_text(content):
        return {"txt", "csv"}
    return set()


def _read(upload: File) -> bytes:
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    return content


def inspect_evidence(upload: File) -> CheckedEvidence:
    """Check an uploaded file by its size, its extension and its content.

    Raises ValidationError saying what is wrong; a file over the limit is not read at all.
    """
    name = clean_file_name(getattr(upload, "name", "") or "")
    limit = evidence_max_bytes()
    size = upload.size or 0

    def refuse(message: str):
        return ValidationError(message, code="evidence")

    if size > limit:
        raise refuse(
            f"{name} is {_megabytes(size)}; evidence files can be up to {_megabytes(limit)}. "
            "Attach a smaller file, or split it."
        )
    if size == 0:
        raise refuse(f"{name} is empty. Choose the file again.")
    extension = PurePosixPath(name).suffix.lower().lstrip(".")
    expected = EVIDENCE_TYPES.get(extension)
    if expected is None:
        shown = f".{extension} files" if extension else "Files without an extension"
        raise refuse(f"{shown} cannot be attached. Attach a {ALLOWED_EVIDENCE} file.")
    content = _read(upload)
    if len(content) > limit:
        raise refuse(f"{name} is larger than {_megabytes(limit)}.")
    found = _sniff(content)
    if extension not in found:
        actual = sorted({EVIDENCE_TYPES[kind].label for kind in found})
        what = f"a {actual[0]}" if len(actual) == 1 else "not a kind of file we accept"
        raise refuse(
            f"{name} is named as a {expected.label} but its content is {what}. Attach the "
            f"file as saved by the program that made it ({ALLOWED_EVIDENCE})."
        )
    return CheckedEvidence(name, expected.content_type, len(content), content)


def require_evidence_for_completion(status: str, evidence_count: int, note: str) -> None:
    if status == Status.COMPLETE and not evidence_count and not (note or "").strip():
        raise ValidationError({"no_evidence_reason": NO_EVIDENCE_MESSAGE})


def _store_evidence(
    *,
    update: StatusUpdate,
    checked: CheckedEvidence,
    description: str,
    by: AbstractBaseUser | None,
) -> Evidence:
    evidence = Evidence(
        update=update,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        description=(description or "").strip()[:300],
        uploaded_by=by,
    )
    # The stored name comes from evidence_path, so the uploader's name never reaches the disk.
    evidence.file.save("evidence", ContentFile(checked.content), save=False)
    stored = evidence.file.name
    try:
        _save(evidence, user=by, reason=f"Evidence attached: {checked.name}")
    except BaseException:
        evidence.file.storage.delete(stored)
        raise
    return evidence


@transaction.atomic
def attach_evidence(
    *,
    update: StatusUpdate,
    uploaded_file: File,
    description: str = "",
    by: AbstractBaseUser | None,
) -> Evidence:
    """Attach a file to an update as evidence of progress or completion.

    The file is checked by its content as well as its name (inspect_evidence); a refused file
    raises ValidationError and nothing is stored, on disk or in the database.
    """
    checked = inspect_evidence(uploaded_file)
    return _store_evidence(update=update, checked=checked, description=description, by=by)


@transaction.atomic
def remove_evidence(*, evidence: Evidence, by: AbstractBaseUser | None, reason: str = "") -> None:
    """Remove a piece of evidence; its history record keeps who removed it, when and why.

    The file itself is deleted once the removal is committed. Refused (ValidationError) when it
    is the only evidence of an update marked complete that has no note why none is needed.
    """
    update = StatusUpdate.objects.select_for_update().get(pk=evidence.update_id)
    evidence = Evidence.objects.get(pk=evidence.pk)
    remaining = update.evidence.exclude(pk=evidence.pk).count()
    try:
        require_evidence_for_completion(update.status, remaining, update.no_evidence_reason)
    except ValidationError:
        raise ValidationError(LAST_EVIDENCE_MESSAGE) from None
    stored, storage = evidence.file.name, evidence.file.storage
    evidence._history_user = by
    evidence._change_reason = reason.strip() or f"Evidence removed: {evidence.original_name}"
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(stored))


# ---------------------------------------------------------------------------- deadlines


@transaction.atomic
def change_due_date(
    *,
    recommendation: Recommendation,
    new_date: dt.date | None,
    reason: str,
    by: AbstractBaseUser | None,
    expected_version: int | None = None,
) -> Recommendation:
    """Move a recommendation's due date, saying why.

    The reason is required (ValidationError, nothing changes). The original due date stays as
    it was first set. Moving a date that was set writes a DueDateChange row (the plan table
    counts these as slips); setting a first date writes none. `expected_version` works as in
    record_update.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": "Say why the due date is changing: every moved deadline needs a reason."}
        )
    current = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    if expected_version is not None and expected_version != current.version:
        raise ConflictError(current)
    if new_date == current.due_date:
        raise ValidationError({"new_date": "That is already the due date. Choose another date."})
    old_date = current.due_date
    current.due_date = new_date
    current.version += 1
    _save(current, user=by, reason=reason)
    if old_date is not None:
        change = DueDateChange(
            recommendation=current,
            old_date=old_date,
            new_date=new_date,
            reason=reason,
            changed_by=by,
            changed_at=timezone.now(),
        )
        _save(change, user=by, reason=reason)
    return current

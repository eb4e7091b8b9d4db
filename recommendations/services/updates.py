"""Progress: recording an update, its sign-off, its evidence, and removing it."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ..choices import SignOff
from ..evidence import (
    LAST_EVIDENCE_MESSAGE,
    CheckedEvidence,
    inspect_evidence,
    require_evidence_for_completion,
)
from ..models import (
    Evidence,
    Recommendation,
    ReportingPeriod,
    StatusUpdate,
)
from .base import FOUR_EYES, RETURN_NEEDS_COMMENT, ConflictError, WorkflowError, _save

logger = logging.getLogger(__name__)


def _approve(update: StatusUpdate, *, by: AbstractBaseUser | None, at: dt.datetime) -> None:
    """The update as it stands becomes the version in force."""
    update.sign_off = SignOff.APPROVED
    update.approved_status = update.status
    update.approved_text = update.text
    update.approved_version = update.version
    update.approved_at = at
    if by is not None:
        update.reviewed_by = by
        update.reviewed_at = at


def _changed(update: StatusUpdate, *, by: AbstractBaseUser | None) -> None:
    """Its words, status or evidence changed: an approved update goes back for sign-off (its
    approved version stays in force meanwhile), and whoever changed it cannot approve it."""
    if update.sign_off == SignOff.APPROVED:
        update.sign_off = SignOff.SUBMITTED
    update.changed_by = by
    update.version += 1


@transaction.atomic
def record_update(
    *,
    recommendation: Recommendation,
    period: ReportingPeriod,
    status: str,
    text: str,
    author: AbstractBaseUser | None,
    submit: bool = False,
    expected_version: int | None = None,
    no_evidence_reason: str | None = None,
    sign_off: str | None = None,
    recorded_at: dt.datetime | None = None,
    reason: str = "",
    new_evidence: Sequence[tuple[File, str]] = (),
    approved_by: AbstractBaseUser | None = None,
) -> StatusUpdate:
    """Record, or edit, the one update of a recommendation (or action) for a period.

    Its sign-off afterwards:
    - with `submit`, it awaits an executive's sign-off;
    - without, it is a draft: an update that was approved keeps its approved version in force
      (the public page, the returns and every figure go on showing it) until the draft is
      submitted and approved; a returned update stays returned until it is resubmitted;
    - `sign_off=SignOff.APPROVED` records it as already signed off, for plans brought in as
      they were published (an import, the demo, a force's return), never from a form;
      `approved_by` then names who recorded the sign-off (a national lead taking a return in).

    `expected_version` is the version the editor started from: if someone saved in between,
    nothing is written and ConflictError carries what they saved.

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
            recommendation=recommendation, period=period, sign_off=SignOff.DRAFT, version=0
        )
    elif expected_version is not None and expected_version != update.version:
        raise ConflictError(update)
    was = update.sign_off
    _changed(update, by=author)
    if submit:
        update.sign_off = SignOff.SUBMITTED
    elif was == SignOff.RETURNED:
        update.sign_off = SignOff.RETURNED
    elif sign_off != SignOff.APPROVED:
        update.sign_off = sign_off or SignOff.DRAFT
    checked = [inspect_evidence(upload) for upload, _ in new_evidence]
    if no_evidence_reason is not None:
        update.no_evidence_reason = no_evidence_reason
    evidence_count = (update.evidence.count() if update.pk else 0) + len(checked)
    require_evidence_for_completion(status, evidence_count, update.no_evidence_reason)
    update.status = status
    update.text = text
    update.author = author
    update.recorded_at = recorded_at or now
    if sign_off == SignOff.APPROVED:
        _approve(update, by=approved_by, at=update.recorded_at)
    _save(update, user=author, reason=reason)
    for (_, description), found in zip(new_evidence, checked, strict=True):
        _store_evidence(update=update, checked=found, description=description, by=author)
    return update


SIGN_OFF_REASONS = {
    SignOff.SUBMITTED: "Submitted for sign-off",
    SignOff.APPROVED: "Approved",
    SignOff.RETURNED: "Returned for changes",
}


@transaction.atomic
def change_sign_off(
    *,
    update: StatusUpdate,
    to: str,
    by: AbstractBaseUser,
    comment: str = "",
) -> StatusUpdate:
    """Move an update through draft -> submitted -> approved, or back with a comment.

    The sign-off fields (its state, reviewer and comment) change here only. Approving makes
    the update as it stands the version in force; nobody approves an update they wrote or last
    changed (WorkflowError), whatever roles they hold.
    """
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
    if to == SignOff.APPROVED and by.pk in {update.author_id, update.changed_by_id}:
        raise WorkflowError(FOUR_EYES)
    if to == SignOff.RETURNED and not comment.strip():
        raise WorkflowError(RETURN_NEEDS_COMMENT)
    now = timezone.now()
    if to == SignOff.APPROVED:
        _approve(update, by=by, at=now)
    else:
        update.sign_off = to
    if to in (SignOff.APPROVED, SignOff.RETURNED):
        update.reviewed_by = by
        update.reviewed_at = now
        update.reviewer_comment = comment.strip()
    _save(update, user=by, reason=SIGN_OFF_REASONS[to])
    return update


@transaction.atomic
def delete_update(*, update: StatusUpdate, by: AbstractBaseUser | None, reason: str = "") -> None:
    """Remove an update (its evidence with it); its history keeps who removed it and why."""
    update = StatusUpdate.objects.select_for_update().get(pk=update.pk)
    for evidence in update.evidence.all():
        stored, storage = evidence.file.name, evidence.file.storage
        evidence._history_user = by
        evidence._change_reason = reason or "Removed with its update"
        evidence.delete()
        _delete_file_on_commit(storage, stored)
    update._history_user = by
    update._change_reason = reason or "Update removed"
    update.delete()


# ---------------------------------------------------------------------------- evidence
#
# A file is written before its row, so nobody ever sees evidence whose file is not there yet,
# and a file that cannot be written stops the transaction before anything is committed. A file
# whose row does not commit is deleted at once when the failure passes through the service (an
# error, the database refusing the commit, a worker told to stop); one left by a worker killed
# outright, or by a caller's transaction rolled back later, has no row and is removed by
# `manage.py clean_evidence` after a grace period. Only the storage API is used (no paths), so
# the file system and object storage behave alike.


def _discard(storage, names: list[str]) -> None:
    """Delete files whose rows were never committed; one that cannot be deleted now is left
    for clean_evidence."""
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("Evidence file %s has no row and could not be deleted.", name)


def _delete_file_on_commit(storage, name: str) -> None:
    """Delete a removed evidence's file once its removal is committed. Failing to delete it
    then (storage unreachable) is logged, not shown to the user as an error: the removal
    stands, and clean_evidence removes the file later."""
    transaction.on_commit(lambda: storage.delete(name), robust=True)


def _store_evidence(
    *,
    update: StatusUpdate,
    checked: CheckedEvidence,
    description: str,
    by: AbstractBaseUser | None,
    written: list[str] | None = None,
) -> Evidence:
    """Write the file, then its row, in the caller's transaction; the stored name is added to
    `written` so the caller can delete it if the transaction does not commit."""
    evidence = Evidence(
        update=update,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        description=(description or "").strip()[:300],
        uploaded_by=by,
    )
    # The stored name comes from evidence_path, so the uploader's name never reaches storage.
    evidence.file.save("evidence", ContentFile(checked.content), save=False)
    stored = evidence.file.name
    if written is not None:
        written.append(stored)
    try:
        _save(evidence, user=by, reason=f"Evidence attached: {checked.name}")
    except BaseException:
        if written is None:
            _discard(evidence.file.storage, [stored])
        raise
    return evidence


def attach_evidence(
    *,
    update: StatusUpdate,
    uploaded_file: File,
    description: str = "",
    by: AbstractBaseUser | None,
) -> Evidence:
    """Attach a file to an update as evidence of progress or completion.

    The file is checked by its content as well as its name (evidence.inspect_evidence); a
    refused file raises ValidationError and nothing is stored, in storage or in the database.
    If the transaction does not commit, the file is deleted again. An approved update goes back
    for sign-off: its evidence changed.
    """
    checked = inspect_evidence(uploaded_file)
    written: list[str] = []
    try:
        with transaction.atomic():
            update = StatusUpdate.objects.select_for_update().get(pk=update.pk)
            _changed(update, by=by)
            _save(update, user=by, reason=f"Evidence attached: {checked.name}")
            evidence = _store_evidence(
                update=update, checked=checked, description=description, by=by, written=written
            )
    except BaseException:
        _discard(Evidence._meta.get_field("file").storage, written)
        raise
    return evidence


@transaction.atomic
def remove_evidence(*, evidence: Evidence, by: AbstractBaseUser | None, reason: str = "") -> None:
    """Remove a piece of evidence; its history record keeps who removed it, when and why.

    The file itself is deleted once the removal is committed. Refused (ValidationError) when it
    is the only evidence of an update marked complete that has no note why none is needed. An
    approved update goes back for sign-off: its evidence changed.
    """
    update = StatusUpdate.objects.select_for_update().get(pk=evidence.update_id)
    evidence = Evidence.objects.get(pk=evidence.pk)
    remaining = update.evidence.exclude(pk=evidence.pk).count()
    try:
        require_evidence_for_completion(update.status, remaining, update.no_evidence_reason)
    except ValidationError:
        raise ValidationError(LAST_EVIDENCE_MESSAGE) from None
    stored, storage = evidence.file.name, evidence.file.storage
    why = reason.strip() or f"Evidence removed: {evidence.original_name}"
    evidence._history_user = by
    evidence._change_reason = why
    evidence.delete()
    _changed(update, by=by)
    _save(update, user=by, reason=why)
    _delete_file_on_commit(storage, stored)

"""Moving a due date, always with a reason."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import (
    DueDateChange,
    Recommendation,
)
from .base import DUE_DATE_NEEDS_REASON, SAME_DUE_DATE, ConflictError, _save


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
        raise ValidationError({"reason": DUE_DATE_NEEDS_REASON})
    current = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    if expected_version is not None and expected_version != current.version:
        raise ConflictError(current)
    if new_date == current.due_date:
        raise ValidationError({"new_date": SAME_DUE_DATE})
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

"""What every service shares: its errors, its messages, and saving with the author and reason
recorded on the history row."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser


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


def _apply(instance, changes: dict, *, by: AbstractBaseUser | None, reason: str) -> None:
    """Set `changes` on `instance`, check it whole, and save it with author and reason."""
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.full_clean()
    _save(instance, user=by, reason=reason)


RETURN_NEEDS_COMMENT = "Say what needs to change when returning an update."
DUE_DATE_NEEDS_REASON = "Say why the due date is changing: every moved deadline needs a reason."
SAME_DUE_DATE = "That is already the due date. Choose another date."
FOUR_EYES = (
    "You wrote or last changed this update, so someone else must sign it off: an update is "
    "never approved by the person whose words or evidence it carries."
)

"""What the tracker holds, taken before and after a request, to show that a refused request
changed nothing: every row users change, every history record, the accounts and the evidence
files on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model

from recommendations.models import (
    DueDateChange,
    Evidence,
    Owner,
    Plan,
    Recommendation,
    ReminderSent,
    ReportingPeriod,
    StatusUpdate,
)

# Every field of these rows is compared, so a refused request cannot change a narrative, a
# sign-off, a due date, a file name or a version without the snapshot showing it.
ROW_MODELS = [
    Plan,
    Recommendation,
    ReportingPeriod,
    StatusUpdate,
    Evidence,
    DueDateChange,
    Owner,
    ReminderSent,
]
ACCOUNT_FIELDS = ["pk", "username", "password", "is_active", "is_staff", "is_superuser"]


def tracked_models() -> list[type]:
    """Every model with a simple-history manager."""
    return [
        model
        for model in apps.get_models()
        if hasattr(model._meta, "simple_history_manager_attribute")
    ]


def history_counts() -> dict[str, int]:
    """The number of history records of every tracked model."""
    return {
        model._meta.label: getattr(model, model._meta.simple_history_manager_attribute).count()
        for model in tracked_models()
    }


def stored_files() -> list[tuple[str, int]]:
    """The files under MEDIA_ROOT (evidence and pending imports), with their sizes."""
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(
        (str(path.relative_to(root)), path.stat().st_size)
        for path in root.rglob("*")
        if path.is_file()
    )


def snapshot() -> dict[str, Any]:
    """Everything a request could change, in a form that compares with ==."""
    taken: dict[str, Any] = {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in ROW_MODELS
    }
    accounts = get_user_model().objects.order_by("pk")
    taken["accounts"] = list(accounts.values(*ACCOUNT_FIELDS))
    taken["roles"] = sorted(accounts.values_list("pk", "groups__name"), key=str)
    taken["history"] = history_counts()
    taken["files"] = stored_files()
    return taken


def changed_parts(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The names of the parts of two snapshots that differ."""
    return sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))


def assert_unchanged(before: dict[str, Any]) -> None:
    """Fail, naming what changed, unless the tracker holds exactly what `before` recorded."""
    after = snapshot()
    differences = changed_parts(before, after)
    assert not differences, {key: (before.get(key), after.get(key)) for key in differences}

"""The meaning the import gives each source column and each status word.

A `Mapping` is what the user sees and may change in the preview before anything is saved; it
is saved with the plan (Plan.import_mapping), so the next file from the same source imports
with one confirmation, and the command line reads and prints it as JSON
(`import_plan FILE --mapping mapping.json`, `--show-mapping`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

MAPPING_VERSION = 1


class Meaning(models.TextChoices):
    """What a source column holds. The labels are what the preview's choices show."""

    NUMBER = "number", "Recommendation number"
    TEXT = "text", "Recommendation text"
    SUBS = "subs", "Sub-recommendations or actions (numbers, or numbers with texts)"
    SUB_TEXTS = "sub_texts", "Texts of the sub-recommendations numbered beside them"
    ADDRESSEE = "addressee", "Addressee (who the report addressed)"
    OWNER = "owner", "Owner (the accountable officer)"
    DUE = "due", "Due date"
    STATUS = "status", "Status, for a reporting period"
    PERIOD = "period", "Progress update, for a reporting period"
    UPDATE_DATE = "update_date", "Date of the update"
    DETAIL = "detail", "Kept as a detail of the recommendation"
    IGNORE = "ignore", "Not imported"


@dataclass
class ColumnChoice:
    """The meaning chosen for one column and, for progress and status columns, its period."""

    meaning: str
    period: str = ""


@dataclass
class Mapping:
    """Column meanings by column key, and status words (normalised) to Status values ("" for
    "no status")."""

    columns: dict[str, ColumnChoice] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)

"""Fixed vocabularies: every badge, PDF and spreadsheet takes its words and colours from here."""

from dataclasses import dataclass

from django.db import models


class Status(models.TextChoices):
    """Progress judgement of a recommendation in one reporting period."""

    NOT_STARTED = "not_started", "Not started"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    COMPLETE = "complete", "Complete"
    CLOSED = "closed", "Closed"


@dataclass(frozen=True)
class Rag:
    """A RAG judgement: its word, the badge colour and the text colour that contrasts with it."""

    word: str
    background: str
    foreground: str


# Colours chosen for at least 4.5:1 contrast of the text on the badge (WCAG AA).
RAG_BY_STATUS: dict[str, Rag] = {
    Status.NOT_STARTED: Rag("Grey", "#505a5f", "#ffffff"),
    Status.ON_TRACK: Rag("Green", "#00703c", "#ffffff"),
    Status.AT_RISK: Rag("Amber", "#ffdd00", "#0b0c0c"),
    Status.OFF_TRACK: Rag("Red", "#d4351c", "#ffffff"),
    Status.COMPLETE: Rag("Blue", "#1d70b8", "#ffffff"),
    Status.CLOSED: Rag("Black", "#0b0c0c", "#ffffff"),
}
NO_STATUS_RAG = Rag("None", "#f3f2f1", "#0b0c0c")
NO_STATUS_LABEL = "No status given"

# Statuses after which a recommendation no longer counts as overdue.
FINISHED_STATUSES = frozenset({Status.COMPLETE, Status.CLOSED})


def status_label(status: str) -> str:
    return Status(status).label if status else NO_STATUS_LABEL


def rag_for(status: str) -> Rag:
    return RAG_BY_STATUS.get(status, NO_STATUS_RAG)


class SignOff(models.TextChoices):
    """Where a status update stands in the sign-off workflow."""

    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Awaiting sign-off"
    RETURNED = "returned", "Returned for changes"
    APPROVED = "approved", "Approved"

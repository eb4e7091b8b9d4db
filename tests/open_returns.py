"""Returns in the open return format (version 1), as a force's tracker would send them, for the
collation tests. `return_document` makes a valid one; tests change a copy of it."""

from __future__ import annotations

import copy
from typing import Any

from recommendations.models import Report, ReportRecommendation

REC_7 = (
    "By 27 March 2025, where required, seek changes to their crime recording systems to enable "
    "staff and officers to document and search for crimes not recorded as the principal crime, "
    "as included classifications on crime records."
)
REC_7_1 = (
    "Processes should be put in place to make sure this system capability is effectively used "
    "by officers and staff."
)
REC_10 = (
    "By 27 March 2025, review and update their learning and training provision relating to "
    "stalking."
)
REC_15 = (
    "By 27 March 2025, review whether the right specialist services have been commissioned to "
    "support stalking victims in their area, including provision of trained independent "
    "stalking advocate caseworkers (ISACs)."
)


def stalking_report() -> Report:
    """The report with recommendations 7 (and 7.1), 10 and 15."""
    report, _ = Report.objects.get_or_create(
        slug="stalking-super-complaint",
        defaults={"title": "Stalking super-complaint report", "publisher": "HMICFRS"},
    )
    seven, _ = ReportRecommendation.objects.get_or_create(
        report=report, number="7", defaults={"text": REC_7, "addressee": "Chief Constables"}
    )
    ReportRecommendation.objects.get_or_create(
        report=report, number="7.1", defaults={"text": REC_7_1, "parent": seven}
    )
    ReportRecommendation.objects.get_or_create(
        report=report, number="10", defaults={"text": REC_10, "addressee": "Chief Constables"}
    )
    ReportRecommendation.objects.get_or_create(
        report=report,
        number="15",
        defaults={"text": REC_15, "addressee": "Police and crime commissioners"},
    )
    return report


def item(number: str, text: str, **changes: Any) -> dict[str, Any]:
    """One recommendation or action of a return, with an approved status and update."""
    found = {
        "number": number,
        "report_number": number,
        "local": False,
        "text": text,
        "addressee": "Chief Constables",
        "owner": "D/Supt Example Owner",
        "status": "on_track",
        "status_label": "On track",
        "rag": "Green",
        "status_from_actions": False,
        "due_date": "2025-03-27",
        "original_due_date": "2025-03-27",
        "slips": 0,
        "update": f"Progress on {number} as approved by the force.",
        "last_updated": "2026-03-20",
        "evidence_count": 0,
        "actions": [],
    }
    found.update(changes)
    return found


BASE: dict[str, Any] = {
    "format": "action-plan-return",
    "version": 1,
    "report": {
        "slug": "stalking-super-complaint",
        "title": "Stalking super-complaint report",
        "publisher": "HMICFRS",
        "published": "2024-09-27",
        "url": "",
    },
    "organisation": {"name": "Example Constabulary", "short_name": "EC", "code": "example"},
    "plan": {"slug": "stalking", "title": "Stalking action plan", "url": ""},
    "period": {"label": "March 2026 update", "period_end": "2026-03-31", "return_due": None},
    "as_at": "2026-03-31T17:00:00+01:00",
    "generated_at": "2026-04-01T09:00:00+01:00",
    "recommendations": [
        item("7", REC_7, actions=[item("7.1", REC_7_1, addressee="", owner="")]),
        item("10", REC_10, status="at_risk", status_label="At risk", rag="Amber"),
        item(
            "L1",
            "Appoint a stalking single point of contact in each district.",
            report_number=None,
            local=True,
            addressee="",
            status="not_started",
            status_label="Not started",
            rag="Grey",
            update=None,
        ),
    ],
}


def return_document(**changes: Any) -> dict[str, Any]:
    """A valid return of Example Constabulary to the stalking report (a deep copy: change it
    freely); `changes` replace top-level parts."""
    document = copy.deepcopy(BASE)
    document.update(copy.deepcopy(changes))
    return document

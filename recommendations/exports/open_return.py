"""A plan's return in the open return format (open_format.py): the JSON document, and the
same rows as a flat CSV.

The document is drawn from the same `PlanReturn` as the XLSX and PDF returns
(exports/common.py), so it holds the same recommendations, period and "as at" moment. It
carries signed-off (approved) content only, and never evidence files, only how many there are.
What each row holds is read with the plan table; what the table does not hold (the report's
numbers, the slips that moved a date later, the evidence counts) is read in one query each,
whatever the size of the plan. Every document is checked against the schema before it leaves:
a failure there is a fault in the tracker, raised as open_format.InvalidReturn.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, Subquery
from django.utils import timezone

from ..choices import SignOff
from ..models import (
    DueDateChange,
    Evidence,
    Organisation,
    Plan,
    Recommendation,
    Report,
    ReportingPeriod,
    ReportRecommendation,
    StatusUpdate,
)
from ..queries import PlanRow
from . import open_format
from .common import ExportError, PlanReturn, ReturnRow, clean_text, neutralise_formula
from .common import _return_row as _return_line

CSV_TYPE = "text/csv; charset=utf-8"
APPROVED_ONLY = (
    "The open return format (JSON and CSV) carries signed-off updates only: untick "
    '"Include updates awaiting sign-off", or download the XLSX or PDF return to include them.'
)
NO_REPORT = (
    "This plan does not say which report it answers, so it has no return in the open format: "
    "an administrator can set its report."
)


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _moment(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat()


# ---------------------------------------------------------------------------- bulk facts


@dataclass(frozen=True)
class _Facts:
    """What the plan table does not hold, read for every row at once."""

    report_numbers: dict[int, str]  # by ReportRecommendation id
    slips: dict[int, int]  # by recommendation id: due date changes that moved it later
    evidence: dict[int, int]  # by update id


def _report_numbers(rows: list[PlanRow]) -> dict[int, str]:
    ids = {
        item.recommendation.report_recommendation_id
        for row in rows
        for item in [row, *row.actions]
        if item.recommendation.report_recommendation_id
    }
    found = ReportRecommendation.objects.filter(pk__in=ids).order_by().values_list("pk", "number")
    return dict(found)


def _later_slips(plan: Plan, as_of: dt.datetime | None) -> dict[int, int]:
    """Per recommendation, how many due date changes (made by `as_of`) moved it later."""
    changes = DueDateChange.objects.filter(
        recommendation__plan_id=plan.pk, old_date__isnull=False, new_date__gt=F("old_date")
    )
    if as_of is not None:
        changes = changes.filter(changed_at__lte=as_of)
    counts = changes.order_by().values("recommendation_id").annotate(n=Count("id"))
    return dict(counts.values_list("recommendation_id", "n"))


def _evidence_counts(
    period: ReportingPeriod | None,
    approved: dict[int, dt.datetime | None],
    as_of: dt.datetime | None,
) -> dict[int, int]:
    """Per update of the period, how many evidence files its approved version stood on (at
    `as_of`): those uploaded by the moment it was approved, so a file attached to a newer
    draft is not counted until that draft is approved. `approved` gives each update's
    approval moment. One query."""
    if period is None:
        return {}
    if as_of is None:
        counts = (
            Evidence.objects.filter(
                update__period_id=period.pk, uploaded_at__lte=F("update__approved_at")
            )
            .order_by()
            .values("update_id")
            .annotate(n=Count("id"))
        )
        return dict(counts.values_list("update_id", "n"))
    latest: dict[int, tuple[int, str, dt.datetime]] = {}
    records = Evidence.history.filter(update_id__in=approved, history_date__lte=as_of)
    for pk, update_id, kind, uploaded_at in records.order_by(
        "history_date", "history_id"
    ).values_list("id", "update_id", "history_type", "uploaded_at"):
        latest[pk] = (update_id, kind, uploaded_at)
    return dict(
        Counter(
            update_id
            for update_id, kind, uploaded_at in latest.values()
            if kind != "-" and (approved[update_id] is None or uploaded_at <= approved[update_id])
        )
    )


# ---------------------------------------------------------------------------- the document


def _action_line(action: PlanRow, ret: PlanReturn, zone: dt.tzinfo) -> ReturnRow:
    # Made by the rule the XLSX and PDF rows are made by, for every sub-recommendation and
    # action: the files print only those that report for themselves as rows of their own.
    return _return_line(action, ret.table, ret.include_pending, zone, is_action=True)


def _item(
    line: ReturnRow, row: PlanRow, ret: PlanReturn, facts: _Facts, actions: list, public: bool
) -> dict:
    index = ret.table.period_index
    cell = line.cells[index] if index is not None else None
    update = row.cells[index] if index is not None else None
    rec = row.recommendation
    report_number = facts.report_numbers.get(rec.report_recommendation_id or 0)
    return {
        "number": line.number,
        "report_number": report_number,
        "local": report_number is None,
        "text": line.text,
        "addressee": line.addressee,
        "owner": "" if public else line.owner,  # the public plan page names no owner
        "status": line.status or None,
        "status_label": line.status_label,
        "rag": line.rag.word,
        "status_from_actions": line.status_from_actions,
        "due_date": _date(line.due_date),
        "original_due_date": _date(rec.original_due_date),
        "slips": facts.slips.get(rec.pk, 0),
        "update": cell.text if cell is not None else None,
        "last_updated": _date(line.last_updated),
        "evidence_count": facts.evidence.get(update.pk, 0) if update is not None else 0,
        "actions": actions,
    }


def document_for(
    plan_return: PlanReturn, *, public_url: str = "", public: bool = False
) -> dict[str, Any]:
    """The return as a version 1 open format document, checked against its schema.

    Every sub-recommendation and action is in its recommendation's `actions`, those the XLSX
    prints as text beside their recommendation too. `public_url` is the plan's public page
    (empty when it is not published). A `public` document names no owner ("" for each), as
    the public plan page does not; due dates and slips stay. ExportError for a return the
    format cannot carry (updates awaiting sign-off, a plan with no report);
    open_format.InvalidReturn is a fault.
    """
    ret = plan_return
    if ret.include_pending:
        raise ExportError(APPROVED_ONLY)
    plan = ret.plan
    report: Report | None = plan.report if plan.report_id else None
    if report is None:
        raise ExportError(NO_REPORT)
    organisation: Organisation = plan.organisation
    index = ret.table.period_index
    rows = ret.table.rows
    facts = _Facts(
        report_numbers=_report_numbers(rows),
        slips=_later_slips(plan, ret.as_of),
        evidence=_evidence_counts(
            ret.period,
            {
                item.cells[index].pk: item.cells[index].approved_at
                for row in rows
                for item in [row, *row.actions]
                if index is not None and item.cells[index] is not None
            },
            ret.as_of,
        ),
    )
    zone = timezone.get_current_timezone()
    recommendations = []
    for row, line in zip(rows, ret.rows, strict=True):
        actions = [
            _item(_action_line(action, ret, zone), action, ret, facts, [], public)
            for action in row.actions
        ]
        recommendations.append(_item(line, row, ret, facts, actions, public))
    period = ret.period
    document = {
        "format": open_format.FORMAT,
        "version": open_format.VERSION,
        "report": {
            "slug": report.slug,
            "title": clean_text(report.title),
            "publisher": clean_text(report.publisher),
            "published": _date(report.published),
            "url": report.url,
        },
        "organisation": {
            "name": clean_text(organisation.name),
            "short_name": clean_text(organisation.short_name),
            "code": organisation.code,
        },
        "plan": {"slug": plan.slug, "title": clean_text(plan.title), "url": public_url},
        "period": None
        if period is None
        else {
            "label": clean_text(period.label),
            "period_end": _date(period.period_end),
            "return_due": _date(period.return_due),
        },
        "as_at": _moment(ret.as_at),
        "generated_at": _moment(ret.generated_at),
        "recommendations": recommendations,
    }
    open_format.check(document)
    return document


def json_bytes(document: dict[str, Any]) -> bytes:
    """The document as the file carries it: UTF-8, indented, keys in the schema's order."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------- CSV


CSV_HEADERS = (
    "organisation_code",
    "organisation",
    "report",
    "plan",
    "period",
    "as_at",
    "number",
    "part_of",
    "report_number",
    "local",
    "text",
    "addressee",
    "owner",
    "status",
    "status_label",
    "rag",
    "status_from_actions",
    "due_date",
    "original_due_date",
    "slips",
    "update",
    "last_updated",
    "evidence_count",
)


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return neutralise_formula(str(value))


def rows_for_csv(document: dict[str, Any]) -> list[list[str]]:
    """One row per recommendation and per action (after its recommendation), the plan's,
    period's and organisation's columns repeated on each, every cell safe from spreadsheet
    formulas (the XLSX's rule, common.looks_like_formula). Without the header: CSV_HEADERS."""
    period = document["period"] or {}
    shared = [
        document["organisation"]["code"],
        document["organisation"]["name"],
        document["report"]["title"],
        document["plan"]["title"],
        period.get("label"),
        document["as_at"],
    ]
    rows = []
    for rec in document["recommendations"]:
        for item, part_of in [(rec, None), *((action, rec["number"]) for action in rec["actions"])]:
            values = [*shared, item["number"], part_of]
            values += [item[name] for name in CSV_HEADERS[len(values) :]]
            rows.append([_csv_value(value) for value in values])
    return rows


def csv_bytes(document: dict[str, Any]) -> bytes:
    """The CSV file: UTF-8 with a byte order mark, so that Excel reads it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADERS)
    writer.writerows(rows_for_csv(document))
    return buffer.getvalue().encode("utf-8-sig")


WRITERS = {"json": json_bytes, "csv": csv_bytes}
CONTENT_TYPES = {"json": open_format.CONTENT_TYPE, "csv": CSV_TYPE}


# ---------------------------------------------------------------------------- last changed


def last_changed(plan: Plan) -> dt.datetime:
    """The latest moment anything the plan's public return holds changed: the plan, its
    organisation and report, periods, recommendations (not their owners, whom the public
    return does not name), moved dates, approved (or removed) updates and evidence. One
    query; the plan's creation if nothing has a history (rows loaded raw)."""

    def latest(history) -> Subquery:
        return Subquery(history.order_by("-history_date").values("history_date")[:1])

    moments = {
        "plan": Plan.history.filter(id=plan.pk),
        "organisation": Organisation.history.filter(id=plan.organisation_id),
        "report": Report.history.filter(id=plan.report_id),
        "numbers": ReportRecommendation.history.filter(report_id=plan.report_id),
        "periods": ReportingPeriod.history.filter(plan_id=plan.pk),
        "recommendations": Recommendation.history.filter(plan_id=plan.pk),
        "moves": DueDateChange.history.filter(recommendation__plan_id=plan.pk),
        "updates": StatusUpdate.history.filter(recommendation__plan_id=plan.pk).filter(
            Q(sign_off=SignOff.APPROVED) | Q(history_type="-")
        ),
        # Files the approved versions stood on: not those attached to a newer draft.
        "evidence": Evidence.history.filter(
            update__recommendation__plan_id=plan.pk, uploaded_at__lte=F("update__approved_at")
        ),
    }
    found = (
        Plan.objects.filter(pk=plan.pk)
        .annotate(**{f"changed_{name}": latest(history) for name, history in moments.items()})
        .values_list(*(f"changed_{name}" for name in moments))
        .first()
    )
    return max((moment for moment in found or () if moment is not None), default=plan.created_at)

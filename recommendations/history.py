"""Change history as people read it: who, when, what was changed, and each field's old and new
value. One description of a change, used by the recommendation page's history and by the
dashboard's recent activity.

Each history row is compared with the row before it of the same object by django-simple-
history's `diff_against`, leaving out the columns no page shows (ids, version counters, the
sort key, the approved copies of an update's words...). What is left is what a person can see
change; a save that changed nothing of it is not listed. Values are shown as the pages show
them, moments in the project's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Field, Model, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import dateformat

from .choices import NO_STATUS_LABEL
from .models import Evidence, Recommendation, ReportingPeriod, StatusUpdate
from .templatetags.times import local_time

# Columns no page shows, or that merely copy what a page shows (an update's approved words
# copy its words when it is approved; when it was reviewed is when the change was made).
HIDDEN_FIELDS: dict[type[Model], frozenset[str]] = {
    # Which of the report's recommendations it answers is a link made by number, not a change.
    Recommendation: frozenset(
        {
            "id",
            "plan",
            "parent",
            "sort_key",
            "original_due_date",
            "version",
            "report_recommendation",
        }
    ),
    StatusUpdate: frozenset(
        {
            "id",
            "recommendation",
            "period",
            "version",
            "changed_by",
            "reviewed_at",
            "approved_status",
            "approved_text",
            "approved_version",
            "approved_at",
        }
    ),
    # A file is named in the sentence itself ("attached evidence to ...: minutes.pdf").
    Evidence: frozenset(
        {"id", "update", "file", "original_name", "content_type", "size", "uploaded_by"}
    ),
}
LABELS = {
    "sign_off": "Sign-off",
    "reviewer_comment": "Sign-off comment",
    "no_evidence_reason": "Why no evidence is needed",
}
# Left out of the one-line summary: they repeat who made the change and when.
NOT_IN_SUMMARY = {"author", "recorded_at", "reviewed_by"}
# Longer values are summed up by their field's name alone.
SHORT = 60
VERBS = {"+": "added", "~": "changed", "-": "deleted"}
EVIDENCE_VERBS = {
    "+": "attached evidence to",
    "~": "changed evidence of",
    "-": "removed evidence from",
}
REMOVED_RECOMMENDATION = "a removed recommendation"


@dataclass
class FieldChange:
    """One field's value before and after, as the pages show it ("" for none)."""

    name: str
    label: str
    old: str
    new: str

    def brief(self, *, added: bool) -> str:
        """ "Status On track → At risk"; "Status At risk" for a value first given."""
        long = any(len(value) > SHORT or "\n" in value for value in (self.old, self.new))
        if added:
            return "" if long else f"{self.label} {self.new}"
        if long:
            return f"{self.label} changed"
        return f"{self.label} {self.old or '–'} → {self.new or '–'}"


@dataclass
class Change:
    """One change from history: "{who} {action} {target} ({where}): {detail}", when, why,
    and the fields it changed. `url` links the target where it still exists; `plan_title`
    names its plan where changes to several plans are listed together."""

    when: dt.datetime
    who: object | None
    kind: str  # "+" added, "~" changed, "-" deleted
    action: str
    target: str
    url: str = ""
    where: str = ""
    detail: str = ""
    plan_title: str = ""
    reason: str = ""
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """What changed, in one line: "Status On track → At risk; Sign-off Draft → Awaiting
        sign-off"."""
        added = self.kind == "+"
        parts = [self.detail] if self.detail else []
        for change in self.changes:
            if change.name in NOT_IN_SUMMARY or (added and change.name == "number"):
                continue
            brief = change.brief(added=added)
            if brief:
                parts.append(brief)
        return "; ".join(parts)


@dataclass
class Subject:
    """What a change was made to, as people name it."""

    target: str
    url: str = ""
    plan_title: str = ""


# ---------------------------------------------------------------------------- values


def visible_fields(model: type[Model]) -> list[Field]:
    """The fields whose changes people see, in the model's order: those a form or the admin
    edits (as diff_against compares by default), less the hidden ones."""
    hidden = HIDDEN_FIELDS[model]
    return [f for f in model._meta.fields if f.editable and f.name not in hidden]


def _label(f: Field) -> str:
    return LABELS.get(f.name) or str(f.verbose_name).capitalize()


def _empty(value) -> bool:
    return value is None or value == "" or value == {}


class Names:
    """What the ids in history rows stand for, each kind fetched once, in bulk."""

    def __init__(self) -> None:
        self._wanted: dict[type[Model], set] = defaultdict(set)
        self._found: dict[type[Model], dict] = {}

    def want(self, model: type[Model], pks: Iterable) -> None:
        self._wanted[model].update(pk for pk in pks if pk is not None)

    def want_values(self, model: type[Model], rows: Iterable[Model]) -> None:
        """The related rows that the visible fields of these history rows point to."""
        relations = [f for f in visible_fields(model) if f.is_relation]
        for row in rows:
            for f in relations:
                self.want(f.related_model, [getattr(row, f.attname)])

    def fetch(self) -> Names:
        for model, pks in self._wanted.items():
            self._found[model] = model._default_manager.in_bulk(pks) if pks else {}
        return self

    def get(self, model: type[Model], pk):
        return self._found.get(model, {}).get(pk)

    def name(self, model: type[Model], pk) -> str:
        found = self.get(model, pk)
        if found is None:
            return f"a removed {model._meta.verbose_name}"
        if model is get_user_model():
            return found.get_full_name() or found.get_username()
        return str(found)


def shown(f: Field, value, names: Names) -> str:
    """A field's value as the pages show it; moments in the project's time zone."""
    if f.name == "status" and value == "":
        return NO_STATUS_LABEL
    if _empty(value):
        return ""
    if f.is_relation:
        return names.name(f.related_model, value)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, dt.date):
        return dateformat.format(value, "j M Y")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        return "\n".join(f"{key}: {item}" for key, item in value.items())
    return str(value)


# ---------------------------------------------------------------------------- describing


def field_changes(model: type[Model], row, before, names: Names) -> list[FieldChange]:
    """What people see change from `before` (the object's previous history row, None if
    there is none) to `row`: every value given when it was added; nothing when it was
    deleted."""
    if row.history_type == "-":
        return []
    fields = visible_fields(model)
    if before is None:
        pairs = [(f, None, getattr(row, f.attname)) for f in fields]
        pairs = [pair for pair in pairs if not _empty(pair[2])]
    else:
        delta = row.diff_against(before, excluded_fields=HIDDEN_FIELDS[model])
        changed = {change.field: change for change in delta.changes}
        pairs = [(f, changed[f.name].old, changed[f.name].new) for f in fields if f.name in changed]
    changes = []
    for f, old, new in pairs:
        old_shown = "" if before is None else shown(f, old, names)
        new_shown = shown(f, new, names)
        # Values that differ only where no page looks (seconds of a moment) did not change.
        if before is None or old_shown != new_shown:
            changes.append(FieldChange(f.name, _label(f), old_shown, new_shown))
    return changes


def _action(model: type[Model], row, changes: list[FieldChange]) -> str:
    if model is Evidence:
        return EVIDENCE_VERBS[row.history_type]
    if model is StatusUpdate:
        return f"{VERBS[row.history_type]} the update of"
    if (
        row.history_type == "~"
        and [change.name for change in changes] == ["due_date"]
        and changes[0].old
        and changes[0].new
    ):
        return "moved the due date of"
    return VERBS[row.history_type]


def describe(
    model: type[Model],
    rows: Iterable,
    *,
    names: Names,
    subject: Callable[[object], Subject],
    where: Callable[[object], str] = lambda row: "",
    wanted: set[int] | None = None,
) -> list[Change]:
    """The changes that history `rows` of one model record, each compared with the row
    before it of the same object (which `rows` must hold); only rows in `wanted` (history
    ids) if given. A row that changed nothing people see is left out."""
    ordered = sorted(rows, key=lambda row: (row.id, row.history_date, row.history_id))
    previous: dict = {}
    described = []
    for row in ordered:
        before = previous.get(row.id)
        previous[row.id] = row
        if wanted is not None and row.history_id not in wanted:
            continue
        changes = field_changes(model, row, before, names)
        if row.history_type == "~" and before is not None and not changes:
            continue
        about = subject(row)
        described.append(
            Change(
                when=row.history_date,
                who=row.history_user,
                kind=row.history_type,
                action=_action(model, row, changes),
                target=about.target,
                url=about.url,
                where=where(row),
                detail=row.original_name if model is Evidence else "",
                plan_title=about.plan_title,
                reason=row.history_change_reason or "",
                changes=changes,
            )
        )
    return described


def newest_first(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=lambda change: change.when, reverse=True)


# ---------------------------------------------------------------------------- a recommendation


def recommendation_history(recommendation: Recommendation) -> list[Change]:
    """Every change to a recommendation, its sub-recommendations and actions, all their
    updates and the evidence of those, newest first: a fixed number of queries."""
    ids = {recommendation.pk}
    ids |= set(
        Recommendation.history.filter(parent_id=recommendation.pk).values_list("id", flat=True)
    )
    recs = list(Recommendation.history.filter(id__in=ids).select_related("history_user"))
    updates = list(
        StatusUpdate.history.filter(recommendation_id__in=ids).select_related("history_user")
    )
    evidence = list(
        Evidence.history.filter(update_id__in={row.id for row in updates}).select_related(
            "history_user"
        )
    )
    names = Names()
    names.want_values(Recommendation, recs)
    names.want_values(StatusUpdate, updates)
    names.want(ReportingPeriod, {row.period_id for row in updates})
    names.fetch()

    latest = {row.id: row for row in sorted(recs, key=lambda r: (r.history_date, r.history_id))}
    slug = recommendation.plan.slug

    def subject_of(rec_id) -> Subject:
        row = latest.get(rec_id)
        if row is None:
            return Subject(REMOVED_RECOMMENDATION)
        kind = "Sub-recommendation" if row.parent_id else "Recommendation"
        # Links lead to its actions' pages, not back to this one, nor to a removed action.
        alive = row.history_type != "-" and rec_id != recommendation.pk
        url = reverse("recommendation_detail", args=[slug, row.number]) if alive else ""
        return Subject(f"{kind} {row.number}", url)

    def period_of(period_id) -> str:
        return names.name(ReportingPeriod, period_id)

    refs = {row.id: (row.recommendation_id, row.period_id) for row in updates}
    changes = describe(Recommendation, recs, names=names, subject=lambda row: subject_of(row.id))
    changes += describe(
        StatusUpdate,
        updates,
        names=names,
        subject=lambda row: subject_of(row.recommendation_id),
        where=lambda row: period_of(row.period_id),
    )
    changes += describe(
        Evidence,
        evidence,
        names=names,
        subject=lambda row: subject_of(refs[row.update_id][0]),
        where=lambda row: period_of(refs[row.update_id][1]),
    )
    return newest_first(changes)


def paginate(entries: list, page_number, per_page: int = 25) -> Page:
    return Paginator(entries, per_page).get_page(page_number)


# ---------------------------------------------------------------------------- every plan


# How each kind's history rows lead to the organisation whose plan they belong to.
ORGANISATION_OF = {
    Recommendation: "plan__organisation_id",
    StatusUpdate: "recommendation__plan__organisation_id",
    Evidence: "update__recommendation__plan__organisation_id",
}


def _newest_rows(
    model: type[Model], size: int, organisation_id: int | None = None
) -> tuple[list, set[int]]:
    """The newest `size` history rows of a model (their history ids: the second value), of
    one organisation's plans if given, with the row before each of the same object, to
    compare them with: one query."""
    history = model.history
    mine = history.all()
    if organisation_id is not None:
        mine = mine.filter(**{ORGANISATION_OF[model]: organisation_id})
    newest = mine.order_by("-history_date", "-history_id").values("history_id")[:size]
    earlier = (
        history.filter(id=OuterRef("id"))
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    before = history.filter(history_id__in=newest).annotate(before=Subquery(earlier))
    rows = list(
        history.filter(
            Q(history_id__in=newest) | Q(history_id__in=before.values("before"))
        ).select_related("history_user")
    )
    # Every row not among the newest is older than all of them.
    rows.sort(key=lambda row: (row.history_date, row.history_id), reverse=True)
    return rows, {row.history_id for row in rows[:size]}


def latest_changes(limit: int, *, organisation_id: int | None = None) -> list[Change]:
    """The latest changes people can see to recommendations, updates and evidence across
    every plan (or one organisation's plans), newest first, each naming its plan: a fixed
    number of queries, whatever the number of plans and the depth of their history.

    Up to three times `limit` of the newest rows of each kind are read, so that `limit`
    changes remain after the saves that changed nothing people see are left out.
    """
    size = 3 * limit
    (recs, rec_rows), (updates, update_rows), (evidence, evidence_rows) = (
        _newest_rows(model, size, organisation_id)
        for model in (Recommendation, StatusUpdate, Evidence)
    )
    # What each piece of evidence belonged to, removed updates included.
    refs = {
        ref["id"]: (ref["recommendation_id"], ref["period_id"])
        for ref in StatusUpdate.history.filter(id__in={row.update_id for row in evidence})
        .values("id", "recommendation_id", "period_id")
        .distinct()
    }
    rec_ids = {row.id for row in recs} | {row.recommendation_id for row in updates}
    rec_ids |= {rec_id for rec_id, _ in refs.values()}
    live = Recommendation.objects.select_related("plan").in_bulk(rec_ids)
    names = Names()
    names.want_values(Recommendation, recs)
    names.want_values(StatusUpdate, updates)
    names.want(ReportingPeriod, {row.period_id for row in updates})
    names.want(ReportingPeriod, {period_id for _, period_id in refs.values()})
    names.fetch()

    def subject_of(rec_id, fallback: str = REMOVED_RECOMMENDATION) -> Subject:
        rec = live.get(rec_id)
        if rec is None:
            return Subject(fallback)
        return Subject(str(rec), rec.get_absolute_url(), rec.plan.title)

    def of_evidence(row) -> tuple:
        return refs.get(row.update_id, (None, None))

    def period_of(period_id) -> str:
        return names.name(ReportingPeriod, period_id) if period_id is not None else ""

    def removed_name(row) -> str:
        return f"{'Sub-recommendation' if row.parent_id else 'Recommendation'} {row.number}"

    changes = describe(
        Recommendation,
        recs,
        names=names,
        subject=lambda row: subject_of(row.id, removed_name(row)),
        wanted=rec_rows,
    )
    changes += describe(
        StatusUpdate,
        updates,
        names=names,
        subject=lambda row: subject_of(row.recommendation_id),
        where=lambda row: period_of(row.period_id),
        wanted=update_rows,
    )
    changes += describe(
        Evidence,
        evidence,
        names=names,
        subject=lambda row: subject_of(of_evidence(row)[0]),
        where=lambda row: period_of(of_evidence(row)[1]),
        wanted=evidence_rows,
    )
    return newest_first(changes)[:limit]

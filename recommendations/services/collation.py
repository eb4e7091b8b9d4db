"""Collation: a force's return, in the open return format (version 1), taken into the national
deployment's copy of that force's plan.

A national lead collates many forces' returns against one report. Taking a return finds (or
adds) the force by its code, its one plan answering the report, the period, each
recommendation and action, and the period's approved status and update, and writes only what
differs from what is held: the same return taken twice writes nothing (no history rows, no
versions moved), a changed return changes what changed. A return that breaks the schema,
answers another report or names a recommendation the report does not make is refused whole,
every message naming the force and the row, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from ..choices import SignOff, Status
from ..models import (
    CollectedSource,
    Organisation,
    Owner,
    Plan,
    Recommendation,
    Report,
    ReportingPeriod,
    StatusUpdate,
)
from . import return_checks
from .organisations import create_organisation
from .return_checks import Entry, ReturnRefused, force_name, refusals
from .setup import (
    add_period,
    add_recommendation,
    change_period,
    change_plan,
    change_recommendation,
    create_owner,
    create_plan,
)
from .updates import record_update

# Every history row a return writes gives this reason, then its source: the collation page
# reads it to say when a force's return last changed something.
REASON = "Return taken in"
OWNER_CHARS = Owner._meta.get_field("name").max_length


@dataclass
class Outcome:
    """What taking a return did: counts of the period, recommendations, actions and updates
    added, changed and left as they were."""

    organisation: Organisation
    plan: Plan
    period: ReportingPeriod | None = None
    organisation_created: bool = False
    plan_created: bool = False
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.changed or self.plan_created)

    def __str__(self) -> str:
        if not self.changed_anything:
            return f"{self.organisation}: unchanged ({self.unchanged} rows as held)"
        made = []
        if self.organisation_created:
            made.append("organisation added")
        if self.plan_created:
            made.append("plan added")
        made.append(f"{self.created} added, {self.changed} changed, {self.unchanged} unchanged")
        return f"{self.organisation}: " + ", ".join(made)


# ---------------------------------------------------------------------------- taking it in


def take_return(
    *,
    document: dict,
    report: Report,
    by: AbstractBaseUser | None,
    source: str = "",
    organisation: Organisation | None = None,
) -> Outcome:
    """Take a force's return to `report` in, all or nothing, attributed to `by` with a change
    reason naming `source` (a file's name or a web address).

    Refused (ReturnRefused, nothing written) when the document breaks the schema, answers
    another report or names a recommendation the report does not make. Otherwise every row is
    compared with what is held and only differences are written, so taking the same return
    again writes nothing at all. Recommendations and actions the plan holds but the return
    leaves out are kept, and so are updates the return no longer gives.
    """
    messages = refusals(document, report)
    if not messages and organisation is not None:
        code = document["organisation"]["code"]
        if code != organisation.code:
            messages = [
                f"{force_name(document)}: this is the return of the organisation coded "
                f'"{code}", not of {organisation} ("{organisation.code}"). Nothing was taken in.'
            ]
    if messages:
        raise ReturnRefused(messages)
    force = force_name(document)
    taker = _Taker(document, report, by, reason=f"{REASON} from {source}" if source else REASON)
    try:
        with transaction.atomic():
            return taker.take()
    except ValidationError as error:
        raise ReturnRefused(
            [f"{taker.where or force}: {message}" for message in error.messages]
        ) from error
    except DatabaseError as error:
        # Two returns of one organisation at the same moment, or a value the database would
        # not store: either way the transaction is rolled back.
        raise ReturnRefused(
            [
                f"{force}: the return could not be saved ({type(error).__name__}), perhaps "
                "because another return of this organisation was taken in at the same moment. "
                "Nothing was written: take it in again."
            ]
        ) from error


def take_returns(
    *,
    documents: list[dict],
    report: Report,
    by: AbstractBaseUser | None,
    source: str = "",
    organisation: Organisation | None = None,
) -> list[Outcome]:
    """Take several returns in (a plan file's periods, one return each, in order), all of them
    or none: ReturnRefused at any one writes nothing of the others. With `organisation`, each
    must be that organisation's return."""
    with transaction.atomic():
        return [
            take_return(
                document=document,
                report=report,
                by=by,
                source=source,
                organisation=organisation,
            )
            for document in documents
        ]


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _moment(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def _display(text: str) -> str:
    return " ".join(text.split())[:OWNER_CHARS].strip()


class _Taker:
    """One return being taken in: compares each row with what is held and writes the
    differences through the services."""

    def __init__(self, document: dict, report: Report, by, *, reason: str):
        self.document, self.report, self.by, self.reason = document, report, by, reason
        self.force = force_name(document)
        self.where = ""  # the row being written, for a message if the database refuses it
        self.outcome: Outcome | None = None

    def count(self, kind: str) -> None:
        setattr(self.outcome, kind, getattr(self.outcome, kind) + 1)

    def take(self) -> Outcome:
        organisation, organisation_created = self.organisation()
        self.owner_organisation = organisation
        plan, plan_created, retitled = self.plan(organisation)
        self.outcome = Outcome(
            organisation, plan, organisation_created=organisation_created, plan_created=plan_created
        )
        self.outcome.changed += int(retitled)
        self.outcome.period = self.period(plan)
        entries = return_checks.entries(self.document)
        held = {rec.number: rec for rec in plan.recommendations.select_related("owner")}
        self.owners = {_display(str(rec.owner)): rec.owner for rec in held.values() if rec.owner}
        linked = {rr.number: rr for rr in self.report.recommendations.all()}
        written: dict[int, Recommendation] = {}
        for entry in entries:
            self.where = entry.place(self.force)
            parent = written[id(entry.parent)] if entry.parent is not None else None
            written[id(entry)] = self.recommendation(plan, entry, held, linked, parent)
        if self.outcome.period is not None:
            self.updates(self.outcome.period, entries, written)
        self.where = ""
        return self.outcome

    def organisation(self) -> tuple[Organisation, bool]:
        block = self.document["organisation"]
        found = Organisation.objects.filter(code=block["code"]).first()
        if found is not None:
            return found, False
        self.where = f"{self.force}, organisation"
        made = create_organisation(
            name=block["name"], short_name=block["short_name"], code=block["code"], by=self.by
        )
        return made, True

    def plan(self, organisation: Organisation) -> tuple[Plan, bool, bool]:
        """The organisation's plan answering the report (made if it has none), whether it
        was made, and whether its title changed."""
        title = self.document["plan"]["title"]
        found = (
            Plan.objects.select_for_update()
            .filter(organisation=organisation, report=self.report)
            .newest_first()
            .first()
        )
        self.where = f"{self.force}, plan"
        if found is None:
            plan = create_plan(
                by=self.by,
                reason=self.reason,
                organisation=organisation,
                report=self.report,
                slug=_free_slug(f"{organisation.code}-{self.report.slug}"),
                title=title,
                collected=True,
            )
            return plan, True, False
        if not found.collected:
            raise ValidationError(
                f"{organisation}'s plan for this report is kept by {organisation} here, on "
                "this deployment: a return cannot change it."
            )
        if found.title == title:
            return found, False, False
        return change_plan(plan=found, by=self.by, reason=self.reason, title=title), False, True

    def period(self, plan: Plan) -> ReportingPeriod | None:
        block = self.document["period"]
        if block is None:
            return None
        self.where = f"{self.force}, period {block['label']}"
        wanted = {
            "period_end": _date(block["period_end"]),
            "return_due": _date(block["return_due"]),
        }
        found = plan.periods.filter(label=block["label"]).first()
        if found is None:
            self.count("created")
            return add_period(
                plan=plan,
                label=block["label"],
                position=self.position_for(plan, wanted["period_end"]),
                by=self.by,
                reason=self.reason,
                **wanted,
            )
        changes = {name: value for name, value in wanted.items() if getattr(found, name) != value}
        if not changes:
            self.count("unchanged")
            return found
        self.count("changed")
        return change_period(period=found, by=self.by, reason=self.reason, **changes)

    def position_for(self, plan: Plan, end: dt.date | None) -> int | None:
        """Where a new period goes: before the first period ending after it (a return for an
        earlier period taken in late does not become the latest), moving those along; last
        when it has no end date or none ends after it."""
        periods = list(plan.periods.order_by("position", "pk"))
        later = [p for p in periods if end is not None and p.period_end and p.period_end > end]
        if not later:
            return None
        position = later[0].position
        for period in reversed([p for p in periods if p.position >= position]):
            change_period(
                period=period, position=period.position + 1, by=self.by, reason=self.reason
            )
        return position

    def owner(self, text: str) -> Owner | None:
        """The owner the return names: one of the plan's owners shown the same way, or a new
        one. Owners of other plans are never matched: one may be another force's officer,
        linked to an account."""
        name = _display(text)
        if not name:
            return None
        if name not in self.owners:
            self.owners[name] = create_owner(
                name=name, organisation=self.owner_organisation, by=self.by, reason=self.reason
            )
        return self.owners[name]

    def recommendation(
        self,
        plan: Plan,
        entry: Entry,
        held: dict[str, Recommendation],
        linked: dict,
        parent: Recommendation | None,
    ) -> Recommendation:
        item = entry.item
        answers = None if entry.is_local else linked[item["report_number"]]
        due = _date(item["due_date"])
        existing = held.get(entry.number)
        if existing is None:
            self.count("created")
            rec = add_recommendation(
                plan=plan,
                parent=parent,
                number=entry.number,
                text=item["text"],
                addressee=item["addressee"],
                due_date=_date(item["original_due_date"]) or due,
                owner=self.owner(item["owner"]),
                local=entry.is_local,
                report_recommendation=answers,
                by=self.by,
                reason=self.reason,
            )
            if rec.due_date != due:
                rec = change_recommendation(
                    recommendation=rec,
                    by=self.by,
                    reason=self.reason,
                    due_date=due,
                    due_date_reason=f"Moved by {self.force}, as its return says",
                )
            return rec
        owner = self.owner(item["owner"])
        wanted = {
            "text": item["text"],
            "addressee": item["addressee"],
            "owner": owner,
            "parent": parent,
            "report_recommendation": answers,
        }
        changes = {
            name: value
            for name, value in wanted.items()
            if getattr(existing, f"{name}_id" if name not in ("text", "addressee") else name)
            != (value.pk if hasattr(value, "pk") else value)
        }
        if existing.due_date != due:
            changes["due_date"] = due
        if not changes:
            self.count("unchanged")
            return existing
        self.count("changed")
        return change_recommendation(
            recommendation=existing,
            by=self.by,
            reason=self.reason,
            due_date_reason=f"Moved by {self.force}, as its return says",
            **changes,
        )

    def updates(
        self, period: ReportingPeriod, entries: list[Entry], written: dict[int, Recommendation]
    ) -> None:
        held = {
            update.recommendation_id: update
            for update in StatusUpdate.objects.filter(period=period)
        }
        for entry in entries:
            item = entry.item
            # A status that follows from the actions is theirs, recorded with them.
            status = "" if item["status_from_actions"] or item["status"] is None else item["status"]
            text = item["update"] or ""
            if not status and not text:
                continue
            rec = written[id(entry)]
            self.where = entry.place(self.force)
            existing = held.get(rec.pk)
            if (
                existing is not None
                and existing.sign_off == SignOff.APPROVED
                and (existing.status, existing.text) == (status, text)
            ):
                self.count("unchanged")
                continue
            self.count("created" if existing is None else "changed")
            count = item["evidence_count"]
            record_update(
                recommendation=rec,
                period=period,
                status=status,
                text=text,
                author=self.by,
                sign_off=SignOff.APPROVED,
                approved_by=self.by,
                recorded_at=_moment(_date(item["last_updated"])),
                # The evidence stays with the force: a return says how much there is.
                no_evidence_reason=(
                    f"Marked complete in the return of {self.force}, which holds its evidence "
                    f"({count} file{'s' if count != 1 else ''})."
                    if status == Status.COMPLETE
                    else None
                ),
                reason=self.reason,
            )


def _free_slug(base: str) -> str:
    base = base[:100].strip("-") or "plan"
    slug, n = base, 2
    while Plan.objects.filter(slug=slug).exists():
        slug, n = f"{base[:94]}-{n}", n + 1
    return slug


def remember_fetch(
    *,
    url: str,
    report: Report,
    organisation: Organisation | None = None,
    etag: str = "",
    last_modified: str = "",
    body_sha256: str = "",
) -> CollectedSource:
    """Keep what a web address answered (its validators, the digest of the body taken in), so
    the next collection asks only for a changed return. Blank values keep what was held."""
    source, _ = CollectedSource.objects.get_or_create(url=url, defaults={"report": report})
    source.report = report
    source.organisation = organisation or source.organisation
    source.etag = etag[:300] or source.etag
    source.last_modified = last_modified[:100] or source.last_modified
    source.body_sha256 = body_sha256 or source.body_sha256
    source.fetched_at = timezone.now()
    source.save()
    return source

"""Checking a preview against the database, and writing it through the services.

Three ways a file goes in:
- "new": a new plan with its periods, recommendations, sub-recommendations and actions and
  their updates, which arrive approved (they are the plan as already published), unless
  the file marks them as awaiting sign-off;
- "fill": the same into an existing plan that has no recommendations yet, keeping its title,
  leads and report details;
- "update": next quarter's file into a plan that has its recommendations. Only updates are
  added or changed, matched by recommendation and action number and by period label (new
  periods are added); each change is shown first as old text -> new text, and arrives
  awaiting sign-off unless an administrator chooses to record it as approved. Nothing else
  in the plan is touched.

Everything is written in one transaction, every history row naming the file and the person
importing it, or nothing at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from .. import services
from ..choices import SignOff, Status
from ..models import Owner, Plan, Recommendation, ReportingPeriod, StatusUpdate
from .preview import Change, ImportPreview, ImportRefused, Item, PeriodCell, Person, Problem

NEW, FILL, UPDATE = "new", "fill", "update"


def check_against_database(preview: ImportPreview, *, into_existing: bool = False) -> None:
    """The plan's title and address checked against the plans that exist, and each person
    matched to an existing owner. With `into_existing`, a plan that has the preview's address
    is filled (no recommendations yet) or updated (new and changed updates only)."""
    _check_plan(preview, into_existing=into_existing)
    _match_people(preview)
    if preview.mode == UPDATE and preview.ok:
        _compare_updates(preview)


def _check_plan(preview: ImportPreview, *, into_existing: bool) -> None:
    preview.slug = preview.slug or slugify(preview.title)[:100].strip("-")
    existing = Plan.objects.filter(slug=preview.slug).first() if preview.slug else None
    theirs = preview.organisation
    if existing is not None and theirs is not None and existing.organisation_id != theirs.pk:
        preview.problems.append(
            Problem(
                f'The address "{preview.slug}" belongs to a plan of another organisation, not '
                f"{theirs}'s. Choose another address."
            )
        )
        return
    if existing is not None and into_existing:
        preview.existing_plan = existing
        preview.title = existing.title
        if existing.recommendations.exists():
            preview.mode = UPDATE
        else:
            preview.mode = FILL
            preview.warnings.append(
                Problem(
                    "The recommendations and periods will be added to the existing, empty plan "
                    f'"{existing.title}"; its title, leads and report details are kept.'
                )
            )
        return
    if into_existing and preview.slug:
        preview.problems.append(
            Problem(f'There is no plan with the address "{preview.slug}" to import into.')
        )
        return
    if not preview.title and preview.slug:
        preview.title = preview.slug.replace("-", " ").replace("_", " ").capitalize()
        preview.warnings.append(
            Problem(f'The plan is titled "{preview.title}" after its address: rename it later.')
        )
    if not preview.title and preview.filename:
        stem = preview.filename.rsplit(".", 1)[0]
        preview.title = " ".join(stem.replace("_", " ").replace("-", " ").split()).capitalize()
        preview.slug = slugify(preview.title)[:100].strip("-")
        preview.warnings.append(
            Problem(
                f'The file gives no title, so the plan is titled "{preview.title}" after the '
                "file's name: give it a title, or rename it later."
            )
        )
    if not preview.title:
        preview.problems.append(
            Problem('The plan has no title: give one (the file has no title line or "Plan" sheet).')
        )
        return
    if len(preview.title) > 300:
        preview.problems.append(Problem("The plan title is longer than 300 characters."))
    try:
        validate_slug(preview.slug)
    except ValidationError:
        preview.problems.append(
            Problem(
                f'"{preview.slug[:100]}" cannot be a plan address: use letters, numbers, '
                "hyphens or underscores."
            )
        )
        return
    if existing is not None:
        preview.problems.append(
            Problem(
                f'A plan with the address "{preview.slug}" already exists ({existing.title}). '
                "Choose another address, or import into that plan to add its updates."
            )
        )


def _match_people(preview: ImportPreview) -> None:
    """Point each person at the existing Owner shown the same way, or of the same name and rank."""
    people = preview.people
    if not people:
        return
    candidates = set()
    for person in people:
        words = str(person).split()
        candidates |= {" ".join(words[i:]) for i in range(len(words))}
    # People of the organisation the plan is for only: another force's staff are not theirs.
    organisation = preview.organisation or services.home_organisation()
    if preview.existing_plan is not None:
        organisation = preview.existing_plan.organisation
    owners = list(
        Owner.objects.filter(name__in=candidates, organisation=organisation).order_by("pk")
    )
    by_display, by_key = {}, {}
    for owner in owners:
        by_display.setdefault(" ".join(str(owner).split()), owner)
        by_key.setdefault((owner.rank, owner.name), owner)
    for person in people:
        person.existing = by_display.get(str(person)) or by_key.get(person.key)


# ---------------------------------------------------------------------------- next quarter's file


def _compare_updates(preview: ImportPreview) -> None:
    """The updates an import into an existing plan adds or changes, old text against new."""
    plan = preview.existing_plan
    numbers = set(plan.recommendations.values_list("number", flat=True))
    existing = {
        (update.recommendation.number, update.period.label): update
        for update in StatusUpdate.objects.filter(recommendation__plan=plan).select_related(
            "recommendation", "period"
        )
    }
    preview.changes = []
    for item in preview.items():
        if item.number not in numbers:
            if item.has_progress:
                preview.warnings.append(
                    Problem(
                        f"{item.number} is not in this plan, so its updates are not imported: "
                        "add it to the plan first.",
                        sheet=item.sheet,
                        row=item.row,
                    )
                )
            continue
        for cell in item.cells:
            if cell.is_empty:
                continue
            old = existing.get((item.number, cell.period))
            old_text, old_status = (old.text, old.status) if old else ("", "")
            # What the file leaves blank stays as the plan has it: a file giving this
            # quarter's statuses only does not wipe last quarter's.
            new_text, new_status = cell.text or old_text, cell.status or old_status
            if (old_text, old_status) != (new_text, new_status):
                preview.changes.append(
                    Change(item.number, cell.period, old_text, new_text, old_status, new_status)
                )
    if not preview.changes:
        preview.warnings.append(
            Problem("Every update in the file is already in the plan as written: nothing to add.")
        )


def changes_digest(preview: ImportPreview) -> str:
    """A fingerprint of the changes previewed, so a confirmation saves only what was shown."""
    parts = [
        "\x1f".join([c.number, c.period, c.old_text, c.new_text, c.old_status, c.new_status])
        for c in preview.changes
    ]
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


# ---------------------------------------------------------------------------- saving


def save_plan(
    preview: ImportPreview,
    *,
    by: AbstractBaseUser | None = None,
    approve: bool = False,
    expected_changes: str | None = None,
) -> Plan:
    """Write the previewed plan in one transaction, every row's history saying which file it
    came from; ImportRefused (and nothing written) if anything is wrong.

    Into an existing plan ("update"), the updates arrive awaiting sign-off unless `approve`;
    `expected_changes` (changes_digest of the preview the user saw) refuses the save if the
    plan changed since."""
    if not preview.ok:
        raise ImportRefused(preview.problems)
    try:
        with transaction.atomic():
            if preview.mode == UPDATE:
                return _save_updates(preview, by=by, approve=approve, expected=expected_changes)
            return _save_plan(preview, by=by)
    except ValidationError as error:
        raise ImportRefused([Problem(message) for message in error.messages]) from error
    except IntegrityError as error:
        # Someone saved the same plan or number between our checks and our writes.
        raise ImportRefused(
            [Problem("Someone else saved this plan at the same moment. Nothing was written.")]
        ) from error


class _Writer:
    """Writes a preview's rows through the services, creating each new owner once."""

    def __init__(self, preview: ImportPreview, by: AbstractBaseUser | None):
        self.preview, self.by, self.reason = preview, by, preview.reason
        self.owners: dict[tuple[str, str], Owner] = {}
        existing = preview.existing_plan
        self.organisation = existing.organisation if existing is not None else preview.organisation

    def owner_for(self, person: Person | None, role: str = "") -> Owner | None:
        if person is None:
            return None
        if person.existing is not None:
            return person.existing
        if person.key not in self.owners:
            self.owners[person.key] = services.create_owner(
                name=person.name,
                rank=person.rank,
                role=role or getattr(person, "role", ""),
                organisation=self.organisation,
                by=self.by,
                reason=self.reason,
            )
        return self.owners[person.key]

    def periods(self, plan: Plan, only: set[str] | None = None) -> dict[str, ReportingPeriod]:
        """The plan's periods by label, adding the file's new ones (those in `only`)."""
        periods = {period.label: period for period in plan.periods.all()}
        for spec in self.preview.periods:
            if spec.label not in periods and (only is None or spec.label in only):
                periods[spec.label] = services.add_period(
                    plan=plan,
                    label=spec.label,
                    period_end=spec.period_end,
                    by=self.by,
                    reason=self.reason,
                )
        return periods

    def item(self, plan: Plan, item: Item, parent: Recommendation | None) -> Recommendation:
        return services.add_recommendation(
            plan=plan,
            parent=parent,
            number=item.number,
            text=item.text,
            addressee=item.addressee,
            due_date=item.due_date,
            owner=self.owner_for(item.owner),
            details=_details(item),
            by=self.by,
            reason=self.reason,
        )

    def update(
        self, recommendation: Recommendation, period: ReportingPeriod, cell: PeriodCell, sign_off
    ) -> StatusUpdate:
        return services.record_update(
            recommendation=recommendation,
            period=period,
            status=cell.status,
            text=cell.text,
            author=self.by,
            sign_off=sign_off,
            recorded_at=_moment(cell.recorded),
            # Evidence of completion is held wherever the plan was kept before.
            no_evidence_reason=(
                f"Marked complete in {self.preview.filename}; any evidence is held outside "
                "the tracker."
                if cell.status == Status.COMPLETE
                else None
            ),
            reason=self.reason,
        )


def _details(item: Item) -> dict[str, str]:
    details = dict(item.details)
    if item.section:
        details.setdefault("Section", item.section)
    return details


def _moment(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def _mapping_json(preview: ImportPreview) -> dict:
    mapping = preview.mapping
    return mapping.to_dict() if mapping is not None and hasattr(mapping, "to_dict") else {}


def _save_plan(preview: ImportPreview, *, by: AbstractBaseUser | None) -> Plan:
    writer = _Writer(preview, by)
    if preview.existing_plan is not None:
        plan = Plan.objects.select_for_update().get(pk=preview.existing_plan.pk)
        if plan.recommendations.exists():
            raise ImportRefused([Problem(f'The plan "{plan.slug}" now has recommendations.')])
        services.save_import_mapping(
            plan=plan, mapping=_mapping_json(preview), by=by, reason=writer.reason
        )
    else:
        if Plan.objects.filter(slug=preview.slug).exists():
            raise ImportRefused([Problem(f'A plan with the address "{preview.slug}" now exists.')])
        plan = services.create_plan(
            by=by,
            reason=writer.reason,
            organisation=preview.organisation,
            slug=preview.slug,
            title=preview.title,
            introduction=preview.introduction,
            report_title=preview.report_title,
            report_publisher=preview.report_publisher,
            report_date=preview.report_date,
            complainant=preview.complainant,
            response_deadline=preview.response_deadline,
            executive_lead=writer.owner_for(preview.executive_lead, "Strategic / Executive Lead"),
            operational_lead=writer.owner_for(preview.operational_lead, "Operational Lead"),
            import_mapping=_mapping_json(preview),
        )
    periods = writer.periods(plan)
    for item in preview.recommendations:
        recommendation = writer.item(plan, item, None)
        written = [(recommendation, item)]
        written += [(writer.item(plan, child, recommendation), child) for child in item.children]
        for rec, source in written:
            for cell in source.cells:
                if not cell.is_empty:
                    sign_off = SignOff.SUBMITTED if cell.pending else SignOff.APPROVED
                    writer.update(rec, periods[cell.period], cell, sign_off)
    return plan


def _save_updates(
    preview: ImportPreview, *, by: AbstractBaseUser | None, approve: bool, expected: str | None
) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=preview.existing_plan.pk)
    # Read again under the plan's lock: what is saved is exactly what was previewed.
    _compare_updates(preview)
    if expected is not None and changes_digest(preview) != expected:
        raise ImportRefused(
            [
                Problem(
                    "The plan's updates changed after the preview was made. Nothing was written: "
                    "preview the file again."
                )
            ]
        )
    if not preview.changes:
        return plan  # nothing to add: nothing is written
    writer = _Writer(preview, by)
    periods = writer.periods(plan, only={change.period for change in preview.changes})
    recs = {rec.number: rec for rec in plan.recommendations.all()}
    cells = {(item.number, cell.period): cell for item in preview.items() for cell in item.cells}
    for change in preview.changes:
        cell = cells[(change.number, change.period)]
        cell = replace(cell, text=change.new_text, status=change.new_status)
        sign_off = SignOff.APPROVED if approve and not cell.pending else SignOff.SUBMITTED
        writer.update(recs[change.number], periods[change.period], cell, sign_off)
    mapping = _mapping_json(preview)
    if mapping and mapping != plan.import_mapping:
        services.save_import_mapping(plan=plan, mapping=mapping, by=by, reason=writer.reason)
    return plan

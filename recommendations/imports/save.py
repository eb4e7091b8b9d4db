"""Checking a preview against the database, and writing it through the services.

Work in progress: check_against_database is final in its signature; saving follows.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.utils.text import slugify

from ..models import Owner, Plan
from .preview import ImportPreview, Problem


def check_against_database(preview: ImportPreview, *, into_existing: bool = False) -> None:
    """The plan's title and address checked against the plans that exist, and each person
    matched to an existing owner. With `into_existing`, a plan that has the preview's address
    is filled (no recommendations yet) or updated (new and changed updates only)."""
    _check_plan(preview, into_existing=into_existing)
    _match_people(preview)


def _check_plan(preview: ImportPreview, *, into_existing: bool) -> None:
    preview.slug = preview.slug or slugify(preview.title)[:100].strip("-")
    existing = Plan.objects.filter(slug=preview.slug).first() if preview.slug else None
    if existing is not None and into_existing:
        preview.existing_plan = existing
        preview.title = existing.title
        if existing.recommendations.exists():
            preview.mode = "update"
            preview.warnings.append(
                Problem(
                    f'The updates will be added to the existing plan "{existing.title}", '
                    "matching recommendations by number; nothing else in it changes."
                )
            )
        else:
            preview.mode = "fill"
            preview.warnings.append(
                Problem(
                    "The recommendations and periods will be added to the existing, empty plan "
                    f'"{existing.title}"; its title, leads and report details are kept.'
                )
            )
        return
    if not preview.title and preview.slug:
        preview.title = preview.slug.replace("-", " ").replace("_", " ").capitalize()
        preview.warnings.append(
            Problem(f'The plan is titled "{preview.title}" after its address: rename it later.')
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
    owners = list(Owner.objects.filter(name__in=candidates).order_by("pk"))
    by_display, by_key = {}, {}
    for owner in owners:
        by_display.setdefault(" ".join(str(owner).split()), owner)
        by_key.setdefault((owner.rank, owner.name), owner)
    for person in people:
        person.existing = by_display.get(str(person)) or by_key.get(person.key)

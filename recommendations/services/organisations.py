"""Organisations and the reports their plans answer."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from ..models import (
    Account,
    Organisation,
    Recommendation,
    Report,
    ReportRecommendation,
    natural_key,
)
from .base import _apply, _save


def home_organisation() -> Organisation:
    """The deployment's own organisation, named by FORCE_NAME: plans and accounts made without
    naming one belong to it."""
    found = Organisation.objects.filter(name=settings.FORCE_NAME).first()
    if found is not None:
        return found
    organisation = Organisation(name=settings.FORCE_NAME, code=_free_code(settings.FORCE_NAME))
    _save(organisation, user=None, reason="The deployment's own organisation")
    return organisation


def _free_code(name: str) -> str:
    base = slugify(name)[:36] or "organisation"
    code, n = base, 2
    while Organisation.objects.filter(code=code).exists():
        code, n = f"{base}-{n}", n + 1
    return code


def create_organisation(
    *,
    name: str,
    short_name: str = "",
    code: str = "",
    answers_reports: bool = True,
    by: AbstractBaseUser | None = None,
) -> Organisation:
    """Add an organisation: a force (answering reports), or a national body (not)."""
    organisation = Organisation(
        name=name,
        short_name=short_name,
        code=code or _free_code(name),
        answers_reports=answers_reports,
    )
    organisation.full_clean()
    _save(organisation, user=by, reason="Organisation added")
    return organisation


@transaction.atomic
def change_organisation(
    *, organisation: Organisation, by: AbstractBaseUser | None, reason: str = "", **changes
) -> Organisation:
    """Change an organisation's name, short name or code."""
    current = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _apply(current, changes, by=by, reason=reason or "Organisation changed")
    return current


def set_organisation(
    *, user: AbstractBaseUser, organisation: Organisation, by: AbstractBaseUser | None = None
) -> Account:
    """Make `user` an account of `organisation`: they see and change its plans only."""
    account = Account.objects.filter(user=user).first() or Account(user=user)
    account.organisation = organisation
    _save(account, user=by, reason=f"Account of {organisation}")
    return account


def report_for(
    *,
    title: str,
    publisher: str = "",
    published: dt.date | None = None,
    complainant: str = "",
    url: str = "",
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> Report:
    """The report of that title, publisher and date, made if there is none yet."""
    found = Report.objects.filter(title=title, publisher=publisher, published=published).first()
    if found is not None:
        return found
    base = slugify(title)[:90] or "report"
    slug, n = base, 2
    while Report.objects.filter(slug=slug).exists():
        slug, n = f"{base[:85]}-{n}", n + 1
    report = Report(
        slug=slug,
        title=title,
        publisher=publisher,
        published=published,
        complainant=complainant,
        url=url,
    )
    report.full_clean()
    _save(report, user=by, reason=reason or "Report added")
    return report


def link_to_report(
    recommendation: Recommendation,
    *,
    local: bool = False,
    save: bool = True,
    by: AbstractBaseUser | None = None,
) -> None:
    """Link a recommendation to its report's recommendation of the same number, so "7" means
    the same in every plan answering the report.

    A recommendation the report lacks becomes one of the report's (the first plan to answer a
    report gives its recommendations), unless `local` says it is the force's own. A
    sub-recommendation or action links only where the report has its number: otherwise it is
    the force's own (a local action). With `save=False` the link is set on the unsaved
    recommendation for its own first save.
    """
    report_id = recommendation.plan.report_id
    if report_id is None or local:
        return
    found = ReportRecommendation.objects.filter(
        report_id=report_id, number=recommendation.number
    ).first()
    if found is None and recommendation.parent_id is None:
        found = ReportRecommendation(
            report_id=report_id,
            number=recommendation.number,
            text=recommendation.text,
            addressee=recommendation.addressee,
        )
        _save(found, user=by, reason="Recommendation of the report")
    if found is not None and recommendation.report_recommendation_id != found.pk:
        recommendation.report_recommendation = found
        if save:
            _save(recommendation, user=by, reason="Linked to the report's recommendation")


def _clean(instance, where: str, **options) -> None:
    """full_clean, its messages naming which of the return's recommendations they are about."""
    try:
        instance.full_clean(**options)
    except ValidationError as error:
        raise ValidationError([f"{where}: {message}" for message in error.messages]) from None


@transaction.atomic
def report_from_return(*, document: dict, by: AbstractBaseUser | None = None) -> Report:
    """The report a return answers, with the recommendations it numbers (the report's own,
    not the force's local actions), set up on a deployment that does not have it yet: a
    national deployment starts from one force's return. A report already there is left as
    it is. `document` must be a valid return (open_format.check); ValidationError, saving
    nothing, when what it says of the report is not something the tracker can hold (a number
    given twice, a bad address, a number the model refuses, a character it cannot store)."""
    from ..exports import open_format
    from .return_checks import unstorable

    open_format.check(document)
    found = unstorable(document)
    if found:
        raise ValidationError([str(problem) for problem in found])
    given = document["report"]
    found = Report.objects.filter(slug=given["slug"]).first()
    if found is not None:
        return found
    report = Report(
        slug=given["slug"],
        title=given["title"],
        publisher=given["publisher"],
        published=dt.date.fromisoformat(given["published"]) if given["published"] else None,
        url=given["url"],
    )
    _clean(report, "the report")
    reason = f"Set up from {document['organisation']['name']}'s return"
    _save(report, user=by, reason=reason)
    seen: set[str] = set()

    def make(item: dict, row: int, parent: ReportRecommendation | None) -> ReportRecommendation:
        number = item["report_number"]
        where = f"row {row} (report recommendation {number})"
        if number in seen:
            raise ValidationError(f"{where}: the return gives this report recommendation twice.")
        seen.add(number)
        made = ReportRecommendation(
            report=report,
            parent=parent,
            number=number,
            text=item["text"],
            addressee=item["addressee"],
        )
        made.sort_key = natural_key(number)
        _clean(made, where)
        _save(made, user=by, reason=reason)
        return made

    for row, item in enumerate(document["recommendations"], start=1):
        if item["local"] or not item["report_number"]:
            continue
        parent = make(item, row, None)
        for action in item["actions"]:
            if action["local"] or not action["report_number"]:
                continue
            make(action, row, parent)
    return report

"""The national demonstration: fictional forces answering the same report as the demo plan,
loaded through the services so they carry history, and a National account.

Every generated organisation is named as fictional ("Example Force 1"...), every text says it
is made up. Statuses follow a fixed pattern per force, so each run loads the same figures:
some forces have not returned the latest period, some returned it late.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from . import services
from .choices import SignOff, status_label
from .demo import FIXTURES
from .models import Organisation, Plan, Recommendation

SPEC = FIXTURES / "demo_national.json"


def load_national_account(path: Path = SPEC):
    """The national demo account, of the fictional national body (made, or its password
    reset)."""
    spec = json.loads(path.read_text())
    body = Organisation.objects.filter(code=spec["national_body"]["code"]).first()
    if body is None:
        body = services.create_organisation(**spec["national_body"])
    details = spec["account"]
    user, _ = get_user_model().objects.get_or_create(username=details["username"])
    user.first_name, user.last_name = details["first_name"], details["last_name"]
    user.email = details["email"]
    user.set_password(details["password"])
    user.save()
    user.groups.add(Group.objects.get(name=details["role"]))
    services.set_organisation(user=user, organisation=body)
    return user


@transaction.atomic
def load_forces(home: Plan, *, by=None, path: Path = SPEC) -> list[Plan]:
    """A plan for each fictional force, answering `home`'s report with its recommendations,
    sub-recommendations and periods; forces already loaded are left as they are. Returns the
    plans made."""
    spec = json.loads(path.read_text())
    periods = list(home.periods.order_by("position"))
    recs = list(
        Recommendation.objects.filter(plan=home, parent=None)
        .prefetch_related("subrecommendations")
        .order_by("sort_key")
    )
    made = []
    for n in range(1, spec["forces"] + 1):
        code = spec["force_code"].format(n=n)
        if Plan.objects.filter(slug=f"{code}-{home.slug}").exists():
            continue
        made.append(_load_force(spec, n, code, home, periods, recs, by=by))
    return made


def _load_force(spec: dict, n: int, code: str, home: Plan, periods, recs, *, by) -> Plan:
    name = spec["force_name"].format(n=n)
    reason = f"Loaded from fixtures/{SPEC.name}: a fictional force"
    organisation = Organisation.objects.filter(code=code).first()
    if organisation is None:
        organisation = services.create_organisation(
            name=name, short_name=f"EF{n}", code=code, by=by
        )
    plan = services.create_plan(
        slug=f"{code}-{home.slug}",
        title=f"{name}: {home.title}",
        introduction=f"{name} is fictional: this plan is made-up demonstration data.",
        report=home.report,
        organisation=organisation,
        is_published=True,
        collected=True,  # it stands for the force's returns, as collation keeps them
        by=by,
        reason=reason,
    )
    own_periods = [
        services.add_period(
            plan=plan,
            label=p.label,
            period_end=p.period_end,
            return_due=p.return_due,
            by=by,
            reason=reason,
        )
        for p in periods
    ]
    statuses = spec["statuses"]
    returned = own_periods[:-1] if n % spec["not_returned_every"] == 0 else own_periods
    for r, rec in enumerate(recs):
        mine = services.add_recommendation(
            plan=plan,
            number=rec.number,
            text=rec.text,
            addressee=rec.addressee,
            due_date=rec.due_date,
            by=by,
            reason=reason,
        )
        for sub in rec.subrecommendations.all():
            services.add_subrecommendation(
                recommendation=mine, number=sub.number, text=sub.text, by=by, reason=reason
            )
        for p, period in enumerate(returned):
            status = statuses[(n + r + p) % len(statuses)]
            late = n % spec["late_every"] == 0 and period is returned[-1]
            services.record_update(
                recommendation=mine,
                period=period,
                status=status,
                text=spec["update"].format(
                    force=name,
                    status=status_label(status),
                    number=rec.number,
                    period=period.label,
                ),
                no_evidence_reason="Demonstration data: no evidence files.",
                author=by,
                sign_off=SignOff.APPROVED,
                recorded_at=_recorded(period, late=late),
                reason=reason,
            )
    return plan


def _recorded(period, *, late: bool) -> dt.datetime:
    """When a return was made: before its due date, or (late) a fortnight after, and never in
    the future."""
    due = period.return_due or period.period_end or timezone.localdate()
    day = due + dt.timedelta(days=14) if late else due - dt.timedelta(days=3)
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
    return min(moment, timezone.now())

"""Loading the demo plan and demo accounts through the services, so they carry history."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from . import services
from .choices import SignOff
from .models import Plan, ReportingPeriod

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def load_accounts(path: Path = FIXTURES / "demo_accounts.json") -> dict[str, object]:
    """Create (or reset the passwords of) the demo accounts; returns them by username."""
    User = get_user_model()
    accounts = {}
    for spec in json.loads(path.read_text())["accounts"]:
        user, _ = User.objects.get_or_create(username=spec["username"])
        user.first_name, user.last_name, user.email = (
            spec["first_name"],
            spec["last_name"],
            spec["email"],
        )
        user.is_superuser = user.is_staff = bool(spec.get("superuser"))
        user.set_password(spec["password"])
        user.save()
        user.groups.add(Group.objects.get(name=spec["role"]))
        accounts[user.username] = user
    return accounts


def demo_plan(path: Path = FIXTURES / "demo_plan.json") -> Plan:
    """The demo plan as loaded (Plan.DoesNotExist if it is not)."""
    return Plan.objects.get(slug=json.loads(path.read_text())["plan"]["slug"])


@transaction.atomic
def load_plan(path: Path = FIXTURES / "demo_plan.json", *, accounts=None, by=None) -> Plan | None:
    """Load the demo plan unless a plan with its slug exists; returns the plan created."""
    data = json.loads(path.read_text())
    if Plan.objects.filter(slug=data["plan"]["slug"]).exists():
        return None
    accounts = accounts or {}
    reason = f"Loaded from fixtures/{path.name}"
    owners = {
        spec["key"]: services.create_owner(
            name=spec["name"],
            rank=spec["rank"],
            role=spec["role"],
            email=spec["email"],
            user=accounts.get(spec.get("account")),
            by=by,
            reason=reason,
        )
        for spec in data["owners"]
    }
    spec = dict(data["plan"])
    spec["executive_lead"] = owners.get(spec.get("executive_lead"))
    spec["report_date"] = _date(spec.get("report_date"))
    spec["response_deadline"] = _date(spec.get("response_deadline"))
    plan = services.create_plan(by=by, reason=reason, **spec)
    periods = {
        p["label"]: services.add_period(
            plan=plan,
            label=p["label"],
            period_end=_date(p.get("period_end")),
            return_due=_date(p.get("return_due")),
            by=by,
            reason=reason,
        )
        for p in data["periods"]
    }
    for r in data["recommendations"]:
        rec = services.add_recommendation(
            plan=plan,
            number=r["number"],
            text=r["text"],
            addressee=r.get("addressee", ""),
            due_date=_date(r.get("due_date")),
            owner=owners.get(r.get("owner")),
            by=by,
            reason=reason,
        )
        for s in r.get("subrecommendations", []):
            services.add_subrecommendation(
                recommendation=rec, number=s["number"], text=s["text"], by=by, reason=reason
            )
        for label, text in r.get("updates", {}).items():
            period = periods[label]
            recorded = dt.datetime.combine(period.period_end, dt.time(12, 0))
            services.record_update(
                recommendation=rec,
                period=period,
                status="",
                text=text,
                author=by,
                sign_off=SignOff.APPROVED,
                recorded_at=timezone.make_aware(recorded),
                reason=reason,
            )
    return plan


def ensure_current_period(plan: Plan, *, today: dt.date, by=None) -> ReportingPeriod | None:
    """Add a reporting period covering `today` unless the plan has one ending on or after it,
    so a newcomer can record an update at once; the published periods stay as published.
    Returns the period added."""
    if plan.periods.filter(period_end__gte=today).exists():
        return None
    end = dt.date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    return services.add_period(
        plan=plan,
        label=f"{today:%B %Y} update",
        period_end=end,
        return_due=end + dt.timedelta(days=14),
        by=by,
        reason="A reporting period for now, so the demo can be tried at once",
    )

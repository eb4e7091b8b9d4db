"""`load_demo --national`: the demo plan as its force's, fictional forces answering the same
report, and a National account."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from recommendations import permissions
from recommendations.choices import SignOff
from recommendations.models import Organisation, Plan, Recommendation, StatusUpdate

pytestmark = pytest.mark.django_db


def load() -> None:
    call_command("load_demo", "--national", verbosity=0)


def test_fictional_forces_answer_the_demo_plans_report():
    load()
    home = Plan.objects.get(slug="stalking-super-complaint")
    forces = Plan.objects.exclude(pk=home.pk).select_related("organisation")
    assert forces.count() == 8
    assert {plan.report_id for plan in forces} == {home.report_id}
    names = {plan.organisation.name for plan in forces}
    assert names == {f"Example Force {n}" for n in range(1, 9)}
    assert home.organisation.name == "Hampshire and Isle of Wight Constabulary"
    # "7" is the same recommendation of the report in every force's plan.
    sevens = Recommendation.objects.filter(number="7")
    assert sevens.count() == 9
    assert len({rec.report_recommendation_id for rec in sevens}) == 1
    assert None not in {rec.report_recommendation_id for rec in sevens}
    # Made through the services: each generated update has its history, and is signed off.
    updates = StatusUpdate.objects.filter(recommendation__plan__in=forces)
    assert updates.exists()
    assert set(updates.values_list("sign_off", flat=True)) == {SignOff.APPROVED}
    assert all(update.history.exists() for update in updates[:5])
    assert all("fictional" in update.text for update in updates)


def test_some_forces_have_not_returned_the_latest_period():
    load()
    latest_returned = {
        plan.organisation.code: StatusUpdate.objects.filter(
            period=plan.periods.order_by("-position").first()
        ).exists()
        for plan in Plan.objects.exclude(slug="stalking-super-complaint")
    }
    assert not latest_returned["example-force-4"] and not latest_returned["example-force-8"]
    assert latest_returned["example-force-1"]


def test_the_national_account_sees_every_force_and_changes_none():
    load()
    national = authenticate(username="national", password="national-demo-2026")
    assert national is not None
    assert permissions.can_view_national(national)
    assert permissions.visible_plans(national).count() == 9
    assert permissions.own_plans(national).count() == 0
    body = Organisation.objects.get(pk=permissions.organisation_id_of(national))
    assert "fictional" in body.name


def test_loading_twice_adds_nothing():
    load()
    counts = (Plan.objects.count(), Recommendation.objects.count(), StatusUpdate.objects.count())
    load()
    assert (
        Plan.objects.count(),
        Recommendation.objects.count(),
        StatusUpdate.objects.count(),
    ) == counts

"""The demo: a newcomer can record an update at once."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from recommendations.models import Plan

pytestmark = pytest.mark.django_db


def test_load_demo_adds_a_period_for_now_and_keeps_the_published_ones():
    call_command("load_demo", stdout=io.StringIO())
    plan = Plan.objects.get()
    labels = list(plan.periods.values_list("label", flat=True))
    today = timezone.localdate()
    assert labels[:2] == ["Initial action plan response", "March 2026 update"]
    current = plan.periods.get(label=f"{today:%B %Y} update")
    assert current.period_end >= today
    call_command("load_demo", stdout=io.StringIO())
    assert plan.periods.count() == len(labels)  # once only


def test_the_lead_can_record_an_update_for_now_with_no_admin_step(client):
    call_command("load_demo", stdout=io.StringIO())
    plan = Plan.objects.get()
    client.post(reverse("login"), {"username": "lead", "password": "lead-demo-2026"})
    period = plan.periods.order_by("-position").first()
    assert period.period_end >= timezone.localdate() - dt.timedelta(days=0)
    url = reverse("update_edit", args=[plan.slug, "7", period.pk])
    response = client.post(url, {"status": "on_track", "text": "Begun.", "version": 0})
    assert response.status_code == 302
    page = client.get(reverse("my_work")).content.decode()
    assert "Drafts not yet submitted (1)" in page

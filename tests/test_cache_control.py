"""Signed-in pages are never kept by a browser or a shared cache; public pages keep theirs."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories import build_plan

pytestmark = pytest.mark.django_db


def kept_nowhere(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.fixture
def plan():
    plan = build_plan(recommendations=1, periods=1, subs=0)
    plan.is_published = True
    plan.save()
    return plan


def signed_in_pages(plan) -> list[str]:
    rec = plan.recommendations.top_level().get()
    period = plan.periods.get()
    return [
        reverse("home"),
        reverse("dashboard"),
        reverse("my_work"),
        reverse("sign_off_queue"),
        reverse("plan_list"),
        reverse("plan_table", args=[plan.slug]),
        reverse("recommendation_detail", args=[plan.slug, rec.number]),
        reverse("update_edit", args=[plan.slug, rec.number, period.pk]),
        reverse("import_upload"),
        reverse("public_plan", args=[plan.slug]),
        "/admin/",
        "/admin/recommendations/plan/",
    ]


def test_every_page_a_signed_in_user_sees_is_marked_no_store_and_private(
    client, administrator, plan
):
    administrator.groups.add(Group.objects.get(name="Executive"))
    client.force_login(administrator)
    pages = signed_in_pages(plan)
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert kept_nowhere(response), (url, response.get("Cache-Control"))


def test_a_refusal_for_a_signed_in_user_is_not_kept_either(client, outsider, plan):
    client.force_login(outsider)
    response = client.get(reverse("import_upload"))
    assert response.status_code == 403
    assert kept_nowhere(response)


def test_the_public_page_for_anonymous_visitors_keeps_its_own_caching(client, plan):
    response = client.get(reverse("public_plan", args=[plan.slug]))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "private" not in response.get("Cache-Control", "")


def test_static_files_keep_their_own_caching(client, administrator, settings):
    settings.WHITENOISE_USE_FINDERS = True
    client.force_login(administrator)
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")

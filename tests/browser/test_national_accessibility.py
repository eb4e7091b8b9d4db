"""axe-core finds no WCAG 2.2 A or AA violations on the national progress report, and a
keyboard user can reach its wide table to scroll it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.helpers import assert_accessible, sign_in
from tests.factories import PASSWORD, OrganisationFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def national(demo):
    # A transactional test's flush removes the groups the migrations made.
    Group.objects.get_or_create(name="National")
    UserFactory(username="national", role="National")
    for n in range(1, 16):
        OrganisationFactory(name=f"Example Force {n}")
    return demo.plan.report


def test_the_national_report_has_no_accessibility_violations(page: Page, national):
    sign_in(page, "national", PASSWORD)
    page.goto(reverse("national_report", args=[national.slug]))
    expect(page.get_by_role("heading", name=f"National progress: {national.title}")).to_be_visible()
    region = page.get_by_role("region", name=national.title, exact=False)
    region.focus()
    expect(region).to_be_focused()
    assert_accessible(page)


def test_the_filtered_and_public_national_pages_have_no_violations(page: Page, national, settings):
    settings.NATIONAL_PUBLIC_PAGE = True
    page.goto(reverse("public_national", args=[national.slug]))
    expect(page.get_by_role("table")).to_be_visible()
    assert_accessible(page)
    sign_in(page, "national", PASSWORD)
    page.goto(reverse("national_report", args=[national.slug]) + "?not_returned=1")
    assert_accessible(page)

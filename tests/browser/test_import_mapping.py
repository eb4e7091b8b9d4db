"""The mapping step in a real browser: an administrator changes how a column and a status
word are read, sees the preview again, saves, and the plan follows the choices."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from recommendations.choices import Status
from recommendations.models import Plan
from tests.browser.helpers import assert_accessible, sign_in

pytestmark = pytest.mark.browser

PLAN = (
    "Force action plan: audit of stalking\n"
    "Executive Lead: Assistant Chief Constable Vaughn Lukey\n"
    "Ref,Action,Owner,Q1 2025,RAG,Overall %\n"
    "1,Train every call handler.,DI Jo Bloggs,Course booked.,Green,40\n"
    "2,Review the policy.,,Not begun.,Purple,0\n"
)


def test_an_administrator_changes_a_column_and_a_status_word_then_saves(page: Page, demo, tmp_path):
    path = tmp_path / "audit.csv"
    path.write_text(PLAN)
    sign_in(page, "admin")
    page.goto(reverse("import_upload"))
    page.get_by_label("Plan file").set_input_files(path)
    page.get_by_role("button", name="Upload and preview").click()

    # "Purple" is no status the tracker knows: the preview says so and offers the choice.
    expect(page.get_by_text("1 problem stops this import")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Meaning of column F “Overall %”").select_option(label="Not imported")
    page.get_by_label("Status for “Purple”").select_option(label="Not started")
    page.get_by_role("button", name="Preview again with these choices").click()

    left_out = page.get_by_role("region", name="What will not be imported")
    expect(left_out).to_contain_text("Column F “Overall %”")
    expect(page.get_by_label("Status for “Purple”")).to_have_value(Status.NOT_STARTED)
    expect(page.get_by_text("problem stops this import")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("button", name="Save this plan").click()

    expect(page.get_by_text("Imported 2 recommendations")).to_be_visible()
    plan = Plan.objects.get(title="Force action plan: audit of stalking")
    two = plan.recommendations.get(number="2")
    assert two.updates.get().status == Status.NOT_STARTED
    assert two.details == {}
    assert plan.recommendations.get(number="1").details == {}
    assert plan.import_mapping["columns"]["overall percent"] == {"meaning": "ignore"}

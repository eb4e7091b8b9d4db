"""A lead's day and an executive's, in a real browser: the lead lands on "My work", sees the
returned update with the executive's comment at the top, fixes and resubmits it from there;
the executive sees the change marked up in the sign-off queue and approves it there."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from recommendations import services
from recommendations.choices import SignOff, Status
from recommendations.models import StatusUpdate
from tests.browser.helpers import assert_accessible, sign_in, sign_out

pytestmark = pytest.mark.browser

FIRST = "Supplier asked for the change to the crime recording system."
COMMENT = "Say when the supplier will deliver it."
ADDED = "Delivery is promised for the August release."


def test_a_returned_update_is_fixed_from_my_work_and_approved_from_the_queue(page: Page, demo):
    lead, executive = demo.accounts["lead"], demo.accounts["executive"]
    seven = demo.plan.recommendations.get(number="7")
    update = services.record_update(
        recommendation=seven, period=demo.period, status=Status.ON_TRACK, text=FIRST,
        author=lead, submit=True,
    )  # fmt: skip
    services.change_sign_off(update=update, to=SignOff.APPROVED, by=executive)
    update = services.record_update(
        recommendation=seven, period=demo.period, status=Status.AT_RISK, text=FIRST,
        author=lead, submit=True,
    )  # fmt: skip
    services.change_sign_off(update=update, to=SignOff.RETURNED, by=executive, comment=COMMENT)

    sign_in(page, "lead")
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
    returned = page.get_by_role("region", name="Returned for changes (1)")
    expect(returned).to_contain_text(COMMENT)
    assert_accessible(page)
    returned.get_by_role("link", name="Recommendation 7, June 2026 update").click()
    text = page.get_by_label("Progress narrative")
    text.fill(f"{FIRST} {ADDED}")
    page.get_by_role("button", name="Save and submit for sign-off").click()
    expect(page.get_by_text("saved and submitted for sign-off")).to_be_visible()
    sign_out(page)

    sign_in(page, "executive")
    page.get_by_role("link", name="Sign-off queue").click()
    item = page.get_by_role("region", name="Recommendation 7, June 2026 update")
    expect(item.locator("ins").filter(has_text=ADDED)).to_be_visible()
    expect(item.locator("del")).to_contain_text("On track")  # the approved status, struck
    assert_accessible(page)
    item.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Nothing awaits sign-off.")).to_be_visible()
    stored = StatusUpdate.objects.get(pk=update.pk)
    assert stored.sign_off == SignOff.APPROVED
    assert stored.approved_text == f"{FIRST} {ADDED}" and stored.approved_status == Status.AT_RISK

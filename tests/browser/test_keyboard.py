"""The lead's whole journey works with the keyboard alone, with focus visible at every stop.

After the first page.goto, the journey only presses keys and types: no clicks, no navigation by
URL.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from recommendations.choices import SignOff, Status
from recommendations.models import StatusUpdate
from tests.browser.helpers import (
    assert_focus_visible,
    choose_with_arrow_keys,
    is_focused,
    sign_in,
    small_pdf,
    tab_to,
)

pytestmark = pytest.mark.browser


def use_skip_link(page: Page) -> None:
    """On a freshly loaded page the first Tab reaches the skip link; Enter jumps to the content."""
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    assert is_focused(skip_link), "The first Tab did not reach the skip link"
    expect(skip_link).to_be_in_viewport()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    assert is_focused(page.locator("main")), "The skip link did not move focus to the content"


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_past_the_navigation(page: Page, demo):
    sign_in(page, "lead")
    page.goto(demo.plan.get_absolute_url())
    use_skip_link(page)
    # The next Tab continues from the main content, not from the site header.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused, "After the skip link, Tab went back into the header"
    assert_focus_visible(page)


def test_the_skip_link_is_hidden_until_it_is_focused(page: Page, demo):
    page.goto("/sign-in/")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).not_to_be_in_viewport()
    skip_link.focus()
    expect(skip_link).to_be_in_viewport()


def test_a_lead_records_and_submits_an_update_using_only_the_keyboard(page: Page, demo, tmp_path):
    keyboard = page.keyboard
    page.goto("/sign-in/")

    # The sign-in form focuses its username field when the page opens.
    expect(page.get_by_label("Username")).to_be_focused()
    keyboard.type("lead")
    keyboard.press("Tab")
    assert is_focused(page.get_by_label("Password"))
    keyboard.type("lead-demo-2026")
    keyboard.press("Enter")

    # Leads land on their own work; the plans are one link away.
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
    tab_to(page, page.get_by_role("link", name="Plans", exact=True))
    keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Action plans", level=1)).to_be_visible()
    use_skip_link(page)
    tab_to(page, page.get_by_role("link", name=demo.plan.title, exact=True))
    keyboard.press("Enter")

    expect(page.get_by_role("heading", name=demo.plan.title, level=1)).to_be_visible()
    # Filter the table: type a search, tick a box with Space, submit with Enter.
    tab_to(page, page.get_by_label("Search"))
    keyboard.type("crime recording")
    tab_to(page, page.get_by_label("No update for the latest period"))
    keyboard.press("Space")
    expect(page.get_by_label("No update for the latest period")).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Apply filters"))
    keyboard.press("Enter")
    expect(page.get_by_text("Showing 1 of 2 recommendations")).to_be_visible()
    expect(page.get_by_label("Search")).to_have_value("crime recording")

    tab_to(page, page.get_by_role("link", name="7 – open recommendation 7"))
    keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Recommendation 7", level=1)).to_be_visible()
    tab_to(page, page.get_by_role("link", name="Record update for June 2026 update"))
    keyboard.press("Enter")

    expect(
        page.get_by_role("heading", name="Record the update for June 2026 update")
    ).to_be_visible()
    status = page.get_by_label("Status")
    tab_to(page, status)
    choose_with_arrow_keys(page, status, "On track")
    expect(status).to_have_value(Status.ON_TRACK)
    keyboard.press("Tab")
    assert is_focused(page.get_by_label("Progress narrative"))
    keyboard.type("Change to crime recording requested; guidance drafted for staff.")
    # The file input is reached with the keyboard; what happens next is the operating
    # system's file picker, not ours, so Playwright stands in for it and hands the input its
    # file. (Waiting for Chromium's picker event from a key press proved unreliable on busy
    # machines, and said nothing about our page.)
    evidence = tmp_path / "change-request.pdf"
    evidence.write_bytes(small_pdf())
    attach = page.get_by_label("Attach evidence (optional)")
    tab_to(page, attach)
    attach.set_input_files(evidence)
    tab_to(page, page.get_by_role("button", name="Save and submit for sign-off"))
    keyboard.press("Space")

    messages = page.locator(".messages")
    expect(messages).to_contain_text(
        "Update for June 2026 update saved and submitted for sign-off."
    )
    expect(messages).to_contain_text("change-request.pdf attached.")
    update = StatusUpdate.objects.get(recommendation__number="7", period=demo.period)
    assert update.sign_off == SignOff.SUBMITTED
    assert update.status == Status.ON_TRACK
    assert update.text == "Change to crime recording requested; guidance drafted for staff."
    assert update.author.username == "lead"
    assert [item.original_name for item in update.evidence.all()] == ["change-request.pdf"]


def test_a_lead_corrects_a_rejected_update_from_the_error_summary_using_the_keyboard(
    page: Page, demo
):
    sign_in(page, "lead")
    page.goto(reverse("update_edit", args=[demo.plan.slug, "10", demo.period.pk]))
    keyboard = page.keyboard

    tab_to(page, page.get_by_role("button", name="Save draft"))
    keyboard.press("Enter")

    # The error summary takes focus on load; its first link leads to the first bad field.
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    keyboard.press("Tab")
    assert is_focused(summary.get_by_role("link").first)
    keyboard.press("Enter")
    expect(page.get_by_label("Status")).to_be_focused()
    choose_with_arrow_keys(page, page.get_by_label("Status"), "At risk")
    keyboard.press("Tab")
    keyboard.type("Training review behind schedule: two trainers off sick.")
    tab_to(page, page.get_by_role("button", name="Save draft"))
    keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("saved as a draft")
    update = StatusUpdate.objects.get(recommendation__number="10", period=demo.period)
    assert (update.status, update.sign_off) == (Status.AT_RISK, SignOff.DRAFT)
    assert update.text == "Training review behind schedule: two trainers off sick."

"""The whole journey of one update, in a real browser, through the pages people use.

A lead records progress with evidence and submits it; an executive returns it with a comment;
the lead resubmits; the executive approves; the returns download and the approved text is
published.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from recommendations.choices import SignOff, Status
from recommendations.models import StatusUpdate
from tests.browser.helpers import assert_accessible, sign_in, small_pdf

pytestmark = pytest.mark.browser

FIRST_TEXT = "Crime recording change requested from the supplier; staff guidance drafted."
RETURN_COMMENT = "Say when the supplier will deliver the change."
SECOND_TEXT = FIRST_TEXT + " The supplier will deliver the change in the August release."


def workbook_text(path: Path) -> str:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return "\n".join(
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    finally:
        workbook.close()


def pdf_text(path: Path) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages)


def stored_update(demo) -> StatusUpdate:
    return StatusUpdate.objects.get(recommendation__number="7", period=demo.period)


def open_recommendation_from_the_plan_table(page: Page, demo, *, search: str = "") -> None:
    page.get_by_role("link", name="Plans", exact=True).click()
    page.get_by_role("link", name=demo.plan.title, exact=True).click()
    if search:
        page.get_by_label("Search").fill(search)
        page.get_by_role("button", name="Apply filters").click()
        expect(page.get_by_text("Showing 1 of 2 recommendations")).to_be_visible()
    page.get_by_role("link", name="7 – open recommendation 7").click()
    expect(page.get_by_role("heading", name="Recommendation 7", level=1)).to_be_visible()


def period_card(page: Page):
    return page.get_by_role("region", name="June 2026 update")


def test_an_update_goes_from_the_lead_through_sign_off_to_the_public_page(
    browser: Browser, new_context, demo, tmp_path
):
    lead = new_context().new_page()
    executive = new_context().new_page()

    # The lead signs in, narrows the plan table to what they are looking for and opens it.
    sign_in(lead, "lead")
    open_recommendation_from_the_plan_table(lead, demo, search="crime recording")
    period_card(lead).get_by_role("link", name="Record update for June 2026 update").click()

    # They record progress with a PDF of evidence and submit it for sign-off.
    evidence = tmp_path / "supplier-change-request.pdf"
    evidence.write_bytes(small_pdf("Change request to the crime recording supplier"))
    lead.get_by_label("Status").select_option(label="On track")
    lead.get_by_label("Progress narrative").fill(FIRST_TEXT)
    lead.get_by_label("Attach evidence (optional)").set_input_files(evidence)
    lead.get_by_label("What the evidence shows (optional)").fill("The change request")
    lead.get_by_role("button", name="Save and submit for sign-off").click()
    expect(lead.get_by_role("status").first).to_contain_text(
        "Update for June 2026 update saved and submitted for sign-off."
    )
    card = period_card(lead)
    expect(card).to_contain_text(FIRST_TEXT)
    expect(card).to_contain_text("Awaiting sign-off")
    expect(card.get_by_role("link", name="supplier-change-request.pdf", exact=True)).to_be_visible()
    update = stored_update(demo)
    assert (update.status, update.sign_off, update.text) == (
        Status.ON_TRACK,
        SignOff.SUBMITTED,
        FIRST_TEXT,
    )
    assert [item.original_name for item in update.evidence.all()] == ["supplier-change-request.pdf"]

    # An executive signs in to the dashboard, which counts it as awaiting sign-off and opens
    # the plan table filtered to it.
    sign_in(executive, "executive")
    expect(executive.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(executive.get_by_role("link", name="Dashboard")).to_have_attribute(
        "aria-current", "page"
    )
    assert_accessible(executive)
    executive.get_by_role(
        "link", name=f"1 awaiting sign-off in {demo.plan.title}", exact=True
    ).click()
    expect(executive.get_by_label("Awaiting sign-off", exact=True)).to_be_checked()
    expect(executive.get_by_text("Showing 1 of 2 recommendations")).to_be_visible()
    expect(executive.get_by_role("table", name="Recommendations and progress")).to_contain_text(
        FIRST_TEXT
    )
    executive.get_by_role("link", name="7 – open recommendation 7").click()
    card = period_card(executive)
    with executive.expect_download() as download_info:
        card.get_by_role("link", name="supplier-change-request.pdf", exact=True).click()
    assert download_info.value.suggested_filename == "supplier-change-request.pdf"
    assert Path(download_info.value.path()).read_bytes()[:5] == b"%PDF-"
    card.get_by_label("Comment for the lead").fill(RETURN_COMMENT)
    card.get_by_role("button", name="Return with comment").click()
    expect(executive.get_by_role("status").first).to_contain_text(
        "Update for June 2026 update: returned for changes."
    )
    assert stored_update(demo).sign_off == SignOff.RETURNED

    # The lead sees the comment, adds what was asked for and resubmits.
    lead.reload()
    card = period_card(lead)
    expect(card).to_contain_text("Returned for changes")
    expect(card).to_contain_text(RETURN_COMMENT)
    card.get_by_role("link", name="Edit update for June 2026 update").click()
    expect(lead.get_by_text(f"Returned with this comment: {RETURN_COMMENT}")).to_be_visible()
    expect(lead.get_by_label("Progress narrative")).to_have_value(FIRST_TEXT)
    lead.get_by_label("Progress narrative").fill(SECOND_TEXT)
    lead.get_by_role("button", name="Save and submit for sign-off").click()
    expect(lead.get_by_role("status").first).to_contain_text("saved and submitted for sign-off")
    assert (stored_update(demo).sign_off, stored_update(demo).text) == (
        SignOff.SUBMITTED,
        SECOND_TEXT,
    )

    # The executive approves it.
    executive.reload()
    card = period_card(executive)
    expect(card).to_contain_text(SECOND_TEXT)
    card.get_by_role("button", name="Approve update for June 2026 update").click()
    expect(executive.get_by_role("status").first).to_contain_text(
        "Update for June 2026 update: approved."
    )
    update = stored_update(demo)
    assert (update.sign_off, update.reviewed_by.username) == (SignOff.APPROVED, "executive")

    # The returns for the period download from the plan table, with the approved text in them.
    executive.get_by_role("link", name=demo.plan.title, exact=True).click()
    expect(executive.get_by_label("Reporting period")).to_have_value(str(demo.period.pk))
    with executive.expect_download() as download_info:
        executive.get_by_role("button", name="Download XLSX").click()
    xlsx = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(xlsx)
    assert xlsx.read_bytes()[:2] == b"PK"
    assert download_info.value.suggested_filename.endswith(".xlsx")
    assert SECOND_TEXT in workbook_text(xlsx)
    with executive.expect_download() as download_info:
        executive.get_by_role("button", name="Download PDF").click()
    pdf = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert download_info.value.suggested_filename.endswith(".pdf")
    assert "August release" in pdf_text(pdf)

    # Anyone, signed in or not, now reads the approved text on the public page.
    public = new_context().new_page()
    public.goto(f"/public/{demo.plan.slug}/")
    table = public.get_by_role("table", name="Recommendations and the force's response")
    expect(table.get_by_role("columnheader", name="June 2026 update")).to_be_visible()
    expect(table).to_contain_text(SECOND_TEXT)
    expect(table).not_to_contain_text(RETURN_COMMENT)
    expect(
        public.get_by_role("link", name="supplier-change-request.pdf", exact=True)
    ).to_have_count(0)
    assert_accessible(public)

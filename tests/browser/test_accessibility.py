"""axe-core finds no WCAG 2.0/2.1/2.2 A or AA violations on any kind of page.

Each test opens one kind of page in the state a user sees it (with filters, with errors) and runs
axe-core on it; a failure lists every violation's rule, help and the elements it found.
"""

from __future__ import annotations

import openpyxl
import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.helpers import assert_accessible, axe_results, sign_in, small_pdf
from tests.factories import OwnerFactory, UserFactory, build_plan

pytestmark = pytest.mark.browser


def recommendation_url(demo, number: str = "7") -> str:
    return reverse("recommendation_detail", args=[demo.plan.slug, number])


def update_url(demo, number: str = "7") -> str:
    return reverse("update_edit", args=[demo.plan.slug, number, demo.period.pk])


def test_the_sign_in_page_has_no_accessibility_violations(page: Page, demo):
    page.goto("/sign-in/")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    assert_accessible(page)


def test_the_sign_in_page_with_errors_has_no_accessibility_violations(page: Page, demo):
    page.goto("/sign-in/")
    page.get_by_label("Username").fill("lead")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)


def test_the_plan_list_has_no_accessibility_violations(page: Page, demo):
    sign_in(page, "lead")
    page.goto(reverse("plan_list"))
    expect(page.get_by_role("link", name=demo.plan.title, exact=True)).to_be_visible()
    assert_accessible(page)


def test_axe_checks_the_size_of_targets_too(page: Page, demo):
    """axe ships its WCAG 2.2 target-size rule switched off; the helpers switch it on."""
    sign_in(page, "lead")
    page.goto(demo.plan.get_absolute_url())
    results = axe_results(page)
    outcomes = {
        kind: {rule["id"] for rule in results[kind]}
        for kind in ("passes", "violations", "incomplete", "inapplicable")
    }
    assert "target-size" in outcomes["passes"] | outcomes["violations"], outcomes
    assert "target-size" not in outcomes["violations"]


def test_the_plan_table_has_no_accessibility_violations(page: Page, demo):
    sign_in(page, "lead")
    page.goto(demo.plan.get_absolute_url())
    expect(page.get_by_role("table", name="Recommendations and progress")).to_be_visible()
    assert_accessible(page)


def _actions_for(demo) -> None:
    """Recommendation 10 of the demo plan reporting through two actions of its own."""
    from recommendations import services
    from recommendations.choices import SignOff, Status
    from recommendations.models import Recommendation

    ten = Recommendation.objects.get(plan=demo.plan, number="10")
    owner = demo.accounts["lead"].owner
    for number, status in [("10.4", Status.AT_RISK), ("10.5", Status.ON_TRACK)]:
        action = services.add_subrecommendation(
            recommendation=ten, number=number, text=f"Action {number}.", owner=owner
        )
        services.record_update(
            recommendation=action,
            period=demo.period,
            status=status,
            text=f"Progress on {number}.",
            author=demo.accounts["admin"],
            sign_off=SignOff.APPROVED,
        )


def test_the_plan_table_with_actions_reporting_has_no_accessibility_violations(page: Page, demo):
    _actions_for(demo)
    sign_in(page, "lead")
    page.goto(demo.plan.get_absolute_url())
    expect(page.get_by_text("Progress on 10.4.")).to_be_visible()
    assert_accessible(page)
    page.goto(recommendation_url(demo, "10"))
    expect(page.get_by_role("heading", name="Sub-recommendations and actions")).to_be_visible()
    assert_accessible(page)
    page.goto(recommendation_url(demo, "10.4"))
    expect(page.get_by_role("heading", name="Sub-recommendation 10.4", level=1)).to_be_visible()
    assert_accessible(page)


def test_the_filtered_plan_table_has_no_accessibility_violations(page: Page, demo):
    sign_in(page, "lead")
    page.goto(demo.plan.get_absolute_url() + "?q=training&stale=on")
    expect(page.get_by_text("Showing 1 of 2 recommendations")).to_be_visible()
    assert_accessible(page)


def test_the_plan_table_matching_nothing_has_no_accessibility_violations(page: Page, demo):
    sign_in(page, "lead")
    page.goto(demo.plan.get_absolute_url() + "?q=no+such+words+anywhere")
    expect(page.get_by_text("No recommendations match these filters.")).to_be_visible()
    assert_accessible(page)


def test_the_recommendation_page_has_no_accessibility_violations(page: Page, demo):
    sign_in(page, "lead")
    page.goto(recommendation_url(demo))
    expect(page.get_by_role("heading", name="Recommendation 7", level=1)).to_be_visible()
    # The breadcrumb separators are drawn, not read out.
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_match_aria_snapshot(
        f"""
        - navigation "Breadcrumb":
          - list:
            - listitem:
              - link "Plans"
            - listitem:
              - link "{demo.plan.title}"
            - listitem: Recommendation 7
        """
    )
    assert_accessible(page)


def test_the_recommendation_page_with_the_sign_off_form_has_no_accessibility_violations(
    page: Page, demo
):
    from recommendations import services
    from recommendations.choices import SignOff, Status

    recommendation = demo.plan.recommendations.get(number="7")
    services.record_update(
        recommendation=recommendation,
        period=demo.period,
        status=Status.ON_TRACK,
        text="Crime recording change requested.",
        author=demo.accounts["lead"],
        sign_off=SignOff.SUBMITTED,
    )
    sign_in(page, "executive")
    page.goto(recommendation_url(demo))
    expect(page.get_by_role("button", name="Approve update for June 2026 update")).to_be_visible()
    assert_accessible(page)


def test_the_update_form_with_errors_shown_has_no_accessibility_violations(page: Page, demo):
    sign_in(page, "lead")
    page.goto(update_url(demo))
    page.get_by_role("button", name="Save and submit for sign-off").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_text("Choose a status for this period.").first).to_be_visible()
    assert_accessible(page)


def test_the_403_page_has_no_accessibility_violations(page: Page, demo):
    colleague = UserFactory(username="colleague", role="Lead")
    OwnerFactory(name="Colleague Lead", user=colleague)
    sign_in(page, "colleague", "a-long-test-password-1")
    response = page.goto(update_url(demo))
    assert response.status == 403
    expect(page.get_by_role("heading", name="You are not allowed to do that")).to_be_visible()
    assert_accessible(page)


def test_the_404_page_has_no_accessibility_violations(page: Page, demo):
    sign_in(page, "lead")
    response = page.goto("/plans/no-such-plan/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_accessible(page)


def test_the_500_page_has_no_accessibility_violations(page: Page, demo, settings):
    settings.ROOT_URLCONF = "tests.browser.failing_urls"
    response = page.goto("/fail/")
    assert response.status == 500
    expect(
        page.get_by_role("heading", name="Sorry, there is a problem with the service")
    ).to_be_visible()
    assert_accessible(page)


def test_the_import_upload_page_with_errors_has_no_accessibility_violations(page: Page, demo):
    sign_in(page, "admin")
    page.goto(reverse("import_upload"))
    expect(page.get_by_role("heading", name="Import a plan", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)


def test_the_import_preview_has_no_accessibility_violations(page: Page, demo, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Strategic / Executive Lead: D/Supt Abbie Leeson"])
    sheet.append(
        [
            "Rec No.",
            "Recommendation",
            "Sub recommendation",
            "Rec. Owner",
            "Status",
            "Initial action plan response",
        ]
    )
    sheet.append(
        [
            "10",
            "By 27 March 2025, review and update their learning and training "
            "provision relating to stalking.",
            "",
            "Chief Constables",
            "Sideways",
            "Training review under way.",
        ]
    )
    path = tmp_path / "force-plan.xlsx"
    workbook.save(path)

    sign_in(page, "admin")
    page.goto(reverse("import_upload"))
    page.get_by_label("Plan file").set_input_files(path)
    page.get_by_label("Title of a new plan (optional)").fill("Imported stalking plan")
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("Sideways").first).to_be_visible()
    assert_accessible(page)


def test_the_due_date_form_with_errors_has_no_accessibility_violations(page: Page, demo):
    sign_in(page, "admin")
    page.goto(recommendation_url(demo))
    page.get_by_role("link", name="Change due date").click()
    expect(
        page.get_by_role("heading", name="Change the due date of recommendation 7")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Reason for the change").fill("")
    page.get_by_role("button", name="Change due date").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)


def test_the_evidence_form_with_errors_has_no_accessibility_violations(page: Page, demo, tmp_path):
    from recommendations import services

    services.record_update(
        recommendation=demo.plan.recommendations.get(number="7"),
        period=demo.period,
        status="on_track",
        text="Supplier asked for the change.",
        author=demo.accounts["lead"],
    )
    sign_in(page, "lead")
    page.goto(reverse("evidence_upload", args=[demo.plan.slug, "7", demo.period.pk]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Attach evidence")
    assert_accessible(page)
    not_a_pdf = tmp_path / "minutes.pdf"
    not_a_pdf.write_text("<script>alert(1)</script>")
    page.get_by_label("Evidence file").set_input_files(not_a_pdf)
    page.get_by_role("button", name="Attach file").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)

    evidence = tmp_path / "change-request.pdf"
    evidence.write_bytes(small_pdf())
    page.get_by_label("Evidence file").set_input_files(evidence)
    page.get_by_role("button", name="Attach file").click()
    page.get_by_role("link", name="Remove change-request.pdf").click()
    expect(page.get_by_role("heading", name="Remove evidence from the update")).to_be_visible()
    assert_accessible(page)


def test_the_dashboard_of_several_plans_has_no_accessibility_violations(page: Page, demo):
    from recommendations import services

    services.record_update(
        recommendation=demo.plan.recommendations.get(number="7"),
        period=demo.period,
        status="at_risk",
        text="Waiting on the supplier.",
        author=demo.accounts["lead"],
        sign_off="submitted",
    )
    build_plan(recommendations=3)
    sign_in(page, "executive")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Plans compared")).to_be_visible()
    expect(page.get_by_role("table", name="Progress by plan")).to_be_visible()
    assert_accessible(page)


def test_the_public_plan_page_has_no_accessibility_violations(page: Page, demo):
    page.goto(reverse("public_plan", args=[demo.plan.slug]))
    expect(page.get_by_role("heading", name=demo.plan.title, level=1)).to_be_visible()
    assert_accessible(page)


def test_the_locked_out_page_has_no_accessibility_violations(page: Page, demo, settings):
    settings.AXES_FAILURE_LIMIT = 2
    page.goto("/sign-in/")
    for _ in range(2):
        page.get_by_label("Username").fill("lead")
        page.get_by_label("Password").fill("a-wrong-guess")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Too many failed sign-in attempts")).to_be_visible()
    assert_accessible(page)


def test_the_error_summary_is_focused_and_its_links_move_focus_to_the_fields(page: Page, demo):
    sign_in(page, "lead")
    page.goto(update_url(demo))
    page.get_by_role("button", name="Save and submit for sign-off").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Status: Choose a status for this period.").click()
    expect(page.get_by_label("Status")).to_be_focused()
    summary.get_by_role("link", name="Progress narrative: Write what has happened").click()
    expect(page.get_by_label("Progress narrative")).to_be_focused()


def test_a_fields_error_message_is_read_out_with_the_field(page: Page, demo):
    sign_in(page, "lead")
    page.goto(update_url(demo))
    page.get_by_role("button", name="Save draft").click()

    narrative = page.get_by_label("Progress narrative")
    expect(narrative).to_have_accessible_description(
        "What has been done, what is next and any risk to the deadline. "
        "Error: Write what has happened in this period."
    )
    expect(narrative).to_have_attribute("aria-invalid", "true")

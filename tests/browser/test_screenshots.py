"""The pages people read, as a laptop (1366 px) and a phone (390 px) show them.

Each page of the demo plan (with a period covering today and an update awaiting sign-off) is
saved as a screenshot under var/screenshots/ for people to look at, and on the phone the plan
table, the recommendation page, the dashboard and the public page must not scroll sideways.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.helpers import sign_in, small_pdf

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
WIDTHS = {"laptop": 1366, "phone": 390}
AWAITING_TEXT = (
    "Change request raised with the crime recording supplier; interim guidance for staff "
    "drafted and circulated to supervisors for comment."
)


@pytest.fixture
def current_demo(demo):
    """The demo plan, published, with statuses signed off in its earlier periods and a period
    covering today in which recommendation 7's update awaits sign-off."""
    from recommendations import services
    from recommendations.choices import SignOff, Status

    admin, lead, executive = (demo.accounts[name] for name in ("admin", "lead", "executive"))
    plan = demo.plan
    plan.is_published = True
    plan.save()
    seven, ten = (plan.recommendations.get(number=n) for n in ("7", "10"))
    for rec, label, status in [
        (seven, "Initial action plan response", Status.AT_RISK),
        (ten, "Initial action plan response", Status.ON_TRACK),
        (ten, "March 2026 update", Status.COMPLETE),
    ]:
        update = rec.updates.get(period__label=label)
        services.record_update(
            recommendation=rec,
            period=update.period,
            status=status,
            text=update.text,
            author=lead,
            expected_version=update.version,
            no_evidence_reason=(
                "Training records are held centrally." if status == Status.COMPLETE else None
            ),
            sign_off=SignOff.SUBMITTED,
        )
        services.change_sign_off(
            update=rec.updates.get(pk=update.pk), to=SignOff.APPROVED, by=executive
        )
    end = timezone.localdate() + dt.timedelta(days=31)
    period = services.add_period(
        plan=plan,
        label=f"{end:%B %Y} update",
        period_end=end,
        return_due=end + dt.timedelta(days=14),
        by=admin,
        reason="The period covering today",
    )
    services.record_update(
        recommendation=seven,
        period=period,
        status=Status.ON_TRACK,
        text=AWAITING_TEXT,
        author=lead,
        sign_off=SignOff.SUBMITTED,
        new_evidence=[(SimpleUploadedFile("change-request.pdf", small_pdf()), "Change request")],
    )
    return demo, period


def _no_sideways_scroll(page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths}"


CELLS = """() => [...document.querySelectorAll('td.period-cell')].map(cell => {
  const box = cell.getBoundingClientRect(), text = cell.querySelector('p');
  const style = text ? getComputedStyle(text) : getComputedStyle(cell);
  return {latest: cell.classList.contains('latest'), width: box.width, right: box.right,
          shown: box.height > 0, wrap: style.overflowWrap, words: style.wordBreak};
})"""


def _progress_reads_as_prose(page, screen: str) -> None:
    """Progress columns at least 12rem wide on a laptop, words never broken inside; on a phone
    each row's latest period shown within the screen."""
    cells = page.evaluate(CELLS)
    assert cells
    for cell in cells:
        assert (cell["wrap"], cell["words"]) == ("normal", "normal"), cell
    if screen == "laptop":
        assert min(cell["width"] for cell in cells) >= 12 * 16, cells
    else:
        latest = [cell for cell in cells if cell["latest"]]
        assert latest and all(cell["shown"] and cell["right"] <= WIDTHS["phone"] for cell in latest)


@pytest.mark.parametrize("screen", list(WIDTHS))
def test_the_pages_people_read_fit_a_laptop_and_a_phone(new_context, current_demo, screen):
    demo, period = current_demo
    width = WIDTHS[screen]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    plan = demo.plan
    pages = [
        ("lead", "plan-table", plan.get_absolute_url(), "Recommendations and progress"),
        (
            "executive",
            "recommendation",
            reverse("recommendation_detail", args=[plan.slug, "7"]),
            period.label,
        ),
        ("executive", "dashboard", reverse("dashboard"), "Progress over time"),
        (None, "public", reverse("public_plan", args=[plan.slug]), "Position as at"),
    ]
    browsers = {}
    for who, name, path, landmark in pages:
        if who not in browsers:
            browsers[who] = new_context(viewport={"width": width, "height": 900}).new_page()
            if who:
                sign_in(browsers[who], who)
        page = browsers[who]
        page.goto(path)
        expect(page.get_by_text(landmark).first).to_be_attached()
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
        if screen == "phone":
            _no_sideways_scroll(page)
        if name in ("plan-table", "public"):
            _progress_reads_as_prose(page, screen)
        if name == "recommendation":
            # The period covering today comes first, with its update awaiting sign-off.
            first = page.locator(".period-card").first
            expect(first).to_contain_text(period.label)
            expect(first).to_contain_text("Awaiting sign-off")
        if name == "public":
            expect(page.get_by_role("table")).not_to_contain_text(AWAITING_TEXT)

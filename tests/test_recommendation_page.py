"""The recommendation page reads from the latest period down: that period first and open, the
earlier ones newest first and folded, forms only where the reader can act, the history folded
and paged."""

import re

import pytest
from django.urls import reverse

from recommendations import services
from recommendations.choices import SignOff, Status
from tests.factories import (
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    SubRecommendationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rec(lead):
    """Recommendation 7 with three periods: approved, approved, and the latest awaiting
    sign-off."""
    plan = PlanFactory(slug="plan", title="Plan")
    periods = [
        PeriodFactory(plan=plan, label=label, position=n)
        for n, label in enumerate(["Initial response", "March update", "June update"])
    ]
    rec = RecommendationFactory(plan=plan, number="7", owner=lead.owner)
    StatusUpdateFactory(
        recommendation=rec, period=periods[0], status=Status.AT_RISK, text="First words."
    )
    StatusUpdateFactory(
        recommendation=rec, period=periods[1], status=Status.OFF_TRACK, text="Second words."
    )
    StatusUpdateFactory(
        recommendation=rec,
        period=periods[2],
        status=Status.ON_TRACK,
        text="Latest words.",
        sign_off=SignOff.SUBMITTED,
    )
    return rec


def page_of(client, rec, query: str = "") -> str:
    response = client.get(rec.get_absolute_url() + query)
    assert response.status_code == 200
    return response.content.decode()


def progress_section(page: str) -> str:
    return page[page.index('id="progress-title"') : page.index('id="history"')]


def folded(page: str) -> list[str]:
    """The HTML of each folded earlier period, in page order."""
    return re.findall(r'<details class="period-card period-earlier"(.*?)</details>', page, re.S)


def test_the_latest_period_comes_first_then_the_others_newest_first(client, rec, lead):
    client.force_login(lead)
    section = progress_section(page_of(client, rec))
    order = [section.index(label) for label in ("June update", "March update", "Initial")]
    assert order == sorted(order)
    current = section[: section.index("Earlier periods")]
    assert '<section class="period-card period-current" aria-labelledby=' in current
    assert "Latest words." in current and "<details" not in current


def test_earlier_periods_are_folded_with_their_status_and_sign_off_in_the_summary(
    client, rec, lead
):
    client.force_login(lead)
    march, initial = folded(page_of(client, rec))
    assert march.startswith(">")  # closed: nothing here asks anything of the lead
    summary = re.search(r"<summary>(.*?)</summary>", march, re.S).group(1)
    assert "March update" in summary
    assert '<span class="badge badge-off_track">Off track</span>' in summary
    assert '<span class="tag tag-approved">Approved</span>' in summary
    assert "Second words." in march  # in the page, to read when opened
    assert "At risk" in initial


def test_the_owner_gets_the_evidence_form_only_for_the_latest_period(client, rec, lead):
    client.force_login(lead)
    page = page_of(client, rec)
    assert page.count('enctype="multipart/form-data"') == 1
    current = progress_section(page)[: progress_section(page).index("Earlier periods")]
    assert 'enctype="multipart/form-data"' in current
    march = folded(page)[0]
    period = rec.plan.periods.get(label="March update")
    upload = reverse("evidence_upload", args=[rec.plan.slug, rec.number, period.pk])
    assert f'href="{upload}"' in march
    assert "Edit update<span" in march
    assert "review-form" not in page


def test_an_executive_gets_the_sign_off_form_and_no_lead_forms(client, rec, executive):
    client.force_login(executive)
    page = page_of(client, rec)
    assert 'Approve<span class="visually-hidden"> update for June update</span>' in page
    for lead_only in ("multipart/form-data", "Record update", "Edit update", "Submit for sign-off"):
        assert lead_only not in page, lead_only
    earlier = folded(page)
    assert earlier and not any(period.startswith(" open") for period in earlier)


def test_an_earlier_update_awaiting_sign_off_is_open_for_an_executive(client, rec, executive):
    march = rec.updates.get(period__label="March update")
    march.sign_off = SignOff.SUBMITTED
    march.save()
    client.force_login(executive)
    march_html, initial_html = folded(page_of(client, rec))
    assert march_html.startswith(" open>")
    assert "Approve<span" in march_html
    assert initial_html.startswith(">")


def test_a_returned_earlier_update_is_open_for_its_owner(client, rec, lead):
    march = rec.updates.get(period__label="March update")
    march.sign_off = SignOff.RETURNED
    march.save()
    client.force_login(lead)
    march_html = folded(page_of(client, rec))[0]
    assert march_html.startswith(" open>")
    assert "Submit for sign-off" in march_html


def test_a_colleague_reads_the_page_without_any_form(client, rec, colleague):
    client.force_login(colleague)
    page = page_of(client, rec)
    main = page[page.index("<main") : page.index("</main>")]
    assert "<form" not in main
    assert "Latest words." in page and "Second words." in page


def test_the_history_is_folded_and_opens_when_one_of_its_pages_is_asked_for(client, rec, lead):
    for n in range(30):
        services.record_update(
            recommendation=rec,
            period=rec.plan.periods.get(label="June update"),
            status=Status.ON_TRACK,
            text=f"Edit {n}.",
            author=lead,
        )
    client.force_login(lead)
    first = page_of(client, rec)
    history = first[first.index('id="history"') :]
    assert '<details class="history-details">' in history
    assert "Changes 1 to 25 of" in history
    assert '<a href="?page=2#history">Older changes</a>' in history

    second = page_of(client, rec, "?page=2")
    history = second[second.index('id="history"') :]
    assert '<details class="history-details" open>' in history
    assert '<a href="?page=1#history">Newer changes</a>' in history


def test_a_sub_recommendation_has_the_same_page_with_a_link_to_its_recommendation(
    client, rec, lead
):
    sub = SubRecommendationFactory(recommendation=rec, number="7.1", owner=lead.owner)
    StatusUpdateFactory(
        recommendation=sub, period=rec.plan.periods.get(label="Initial response"), text="Sub."
    )
    client.force_login(lead)
    page = page_of(client, sub)
    assert "<h1>Sub-recommendation 7.1</h1>" in page
    assert f'Part of <a href="{rec.get_absolute_url()}">Recommendation 7</a>' in page
    section = progress_section(page)
    assert section.index("June update") < section.index("Initial response")
    assert len(folded(page)) == 2


def test_a_plan_without_periods_says_so(client, lead):
    rec = RecommendationFactory(plan=PlanFactory(), owner=lead.owner)
    client.force_login(lead)
    assert "This plan has no reporting periods yet." in page_of(client, rec)


def test_long_unbroken_runs_may_wrap_but_words_are_kept_whole(client, rec, lead):
    address = "https://example.police.uk/" + "a" * 40
    update = rec.updates.get(period__label="June update")
    update.text = f"See {address} for the guidance."
    update.save()
    client.force_login(lead)
    page = page_of(client, rec)
    assert f'See <span class="long-run">{address}</span> for the guidance.' in page

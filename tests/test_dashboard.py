import datetime as dt
import re
from itertools import pairwise

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recommendations import services
from recommendations.choices import SignOff, Status
from recommendations.models import Evidence, Recommendation
from tests.factories import (
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    UserFactory,
    build_plan,
)

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")
PAST = dt.date(2020, 1, 1)
FUTURE = dt.date(2099, 1, 1)


def page_of(client, url=DASHBOARD) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def links_to(page: str, href: str) -> list[str]:
    """The visible text of every link to `href` (hidden helper text removed)."""
    texts = []
    for inner in re.findall(rf'<a href="{re.escape(href)}">(.*?)</a>', page, re.S):
        inner = re.sub(r'<span class="visually-hidden">.*?</span>', "", inner, flags=re.S)
        texts.append(re.sub(r"<[^>]+>", "", inner).strip())
    assert texts, f"no link to {href}"
    return texts


@pytest.fixture
def mixed_plan():
    """One plan with one recommendation of each kind the dashboard counts.

    Periods: "Initial response" then "March update" (the latest).
    1 overdue, on track when approved; at risk now, awaiting sign-off
    2 complete in the first period only, so nothing for the latest period
    3 nothing recorded at all
    4 closed in the latest period, its deadline moved once
    5 on track in the latest period, still a draft
    """
    plan = PlanFactory(slug="mixed", title="Mixed plan")
    first = PeriodFactory(plan=plan, label="Initial response", position=0)
    latest = PeriodFactory(plan=plan, label="March update", position=1)
    recs = {
        n: RecommendationFactory(plan=plan, number=str(n), due_date=FUTURE) for n in range(1, 6)
    }
    recs[1].due_date = PAST
    recs[1].save()
    StatusUpdateFactory(recommendation=recs[1], period=first, status=Status.ON_TRACK)
    StatusUpdateFactory(
        recommendation=recs[1], period=latest, status=Status.AT_RISK, sign_off=SignOff.SUBMITTED
    )
    StatusUpdateFactory(recommendation=recs[2], period=first, status=Status.COMPLETE)
    StatusUpdateFactory(recommendation=recs[4], period=latest, status=Status.CLOSED)
    services.change_due_date(
        recommendation=recs[4], new_date=dt.date(2099, 6, 1), reason="Supplier delay", by=None
    )
    StatusUpdateFactory(
        recommendation=recs[5], period=latest, status=Status.ON_TRACK, sign_off=SignOff.DRAFT
    )
    return plan


# ---------------------------------------------------------------------------- who sees it


def test_executives_start_on_the_dashboard_and_leads_on_their_work(client, executive, lead):
    client.force_login(executive)
    assert client.get(reverse("home")).url == DASHBOARD
    client.force_login(lead)
    assert client.get(reverse("home")).url == reverse("my_work")


def test_executives_and_administrators_see_the_dashboard(client, executive, administrator):
    for user in (executive, administrator):
        client.force_login(user)
        assert "<h1>Dashboard</h1>" in page_of(client)


def test_leads_and_people_without_a_role_are_refused_with_a_reason(client, lead, outsider):
    for user in (lead, outsider):
        client.force_login(user)
        response = client.get(DASHBOARD)
        assert response.status_code == 403
        assert "The dashboard is for executives and administrators." in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# ---------------------------------------------------------------------------- the figures


def test_each_figure_counts_the_right_recommendations(client, executive, mixed_plan):
    client.force_login(executive)
    page = page_of(client)
    table = reverse("plan_table", args=["mixed"])
    assert "5 recommendations" in links_to(page, table)
    assert "1 overdue" in links_to(page, f"{table}?overdue=on")
    assert "2 with no update for the latest period" in links_to(page, f"{table}?stale=on")
    assert "1 awaiting sign-off" in links_to(page, f"{table}?awaiting=on")
    assert "1 with a deadline moved" in links_to(page, f"{table}?slipped=on")
    assert "1 complete" in links_to(page, f"{table}?status=complete")
    assert "1 closed" in links_to(page, f"{table}?status=closed")
    # Approved statuses count: 1's "at risk" awaits sign-off, 5's "on track" is a draft.
    assert "0" in links_to(page, f"{table}?status=at_risk")
    assert "1" in links_to(page, f"{table}?status=on_track")
    assert "2" in links_to(page, f"{table}?status=none")
    assert "If what awaits sign-off is approved: 1 recommendation moves to At risk." in " ".join(
        page.split()
    )
    assert '<span class="figure">40%</span> complete or closed' in page
    assert "Latest period: March update" in page


def test_every_number_opens_a_plan_table_showing_that_many_rows(client, executive, mixed_plan):
    client.force_login(executive)
    page = page_of(client)
    links = re.findall(r'<a href="(/plans/mixed/\?[^"]+)">(?:<span class="figure">)?(\d+)', page)
    assert len({href for href, _ in links}) == 11  # 7 statuses and 4 flags
    for href, number in links:
        table = page_of(client, href.replace("&amp;", "&"))
        assert f"Showing {number} of 5 recommendations" in table, href


def test_a_plan_without_periods_counts_every_recommendation_as_without_a_current_update(
    client, executive
):
    plan = PlanFactory(slug="new-plan")
    RecommendationFactory(plan=plan, number="1")
    RecommendationFactory(plan=plan, number="2")
    client.force_login(executive)
    page = page_of(client)
    assert "2 with no update for the latest period" in links_to(page, "/plans/new-plan/?stale=on")
    assert "This plan has no reporting periods yet" in page


def test_a_single_plan_shows_no_overall_section(client, executive, mixed_plan):
    client.force_login(executive)
    page = page_of(client)
    assert "All plans" not in page
    assert "Plans compared" not in page
    assert "<h2 id=" in page and "Mixed plan</h2>" in page


def test_several_plans_add_overall_figures_that_point_to_the_comparison(
    client, executive, mixed_plan
):
    other = build_plan(recommendations=3, periods=1)
    client.force_login(executive)
    page = page_of(client)
    overall = page[page.index('<h2 id="overall-title">') : page.index('id="by-plan"')]
    assert "8 recommendations" in links_to(overall, "#by-plan")
    assert '<span class="figure">25%</span> complete or closed' in overall  # 2 of 8
    compare = page[page.index('id="by-plan"') :]
    assert f'<a href="{other.get_absolute_url()}">{other.title}</a>' in compare
    assert "3" in links_to(compare, f"{other.get_absolute_url()}?status=on_track")
    assert page.index("All plans") < page.index("Plans compared") < page.index("Mixed plan</h2>")


def test_the_page_says_so_when_there_are_no_plans(client, executive):
    client.force_login(executive)
    assert "There are no plans yet." in page_of(client)


# ---------------------------------------------------------------------------- charts and access


def test_bars_are_svg_without_style_attributes_and_repeat_labelled_numbers(
    client, executive, mixed_plan
):
    client.force_login(executive)
    page = page_of(client)
    assert "style=" not in page
    assert "<script" not in page
    # The bars beside the numbers are hidden from screen readers; the chart of progress over
    # time is an image with a name, its figures in a table (tests/test_progress_chart.py).
    svgs = re.findall(r"<svg [^>]*>", page)
    bars = [svg for svg in svgs if 'class="dash-bar"' in svg]
    assert bars and all('aria-hidden="true"' in bar for bar in bars)
    charts = [svg for svg in svgs if svg not in bars]
    assert charts and all('role="img"' in svg for svg in charts)
    # The on-track row: its badge word, its count and its share in text, then its green bar.
    row = re.search(r"badge-on_track\">On track</span></th>(.*?)</tr>", page, re.S).group(1)
    assert "20%" in row
    assert 'width="20.0" height="10" fill="#00703c"' in row


def test_tables_have_captions_and_scoped_headers_and_headings_descend_in_order(
    client, executive, mixed_plan
):
    build_plan(recommendations=1)
    client.force_login(executive)
    page = page_of(client)
    main = page[page.index("<main") : page.index("</main>")]
    assert main.count("<table") == main.count("<caption")
    assert "<th>" not in main
    levels = [int(level) for level in re.findall(r"<h([1-6])", main)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in pairwise(levels))


# ---------------------------------------------------------------------------- recent activity


def test_recent_activity_says_who_changed_what_and_links_to_it(client, executive):
    plan = PlanFactory(slug="act", title="Activity plan")
    period = PeriodFactory(plan=plan, label="March 2026 update")
    rec = RecommendationFactory(plan=plan, number="7", due_date=dt.date(2030, 3, 27))
    author = UserFactory(username="writer", first_name="Wendy", last_name="Writer")
    update = services.record_update(
        recommendation=rec, period=period, status=Status.AT_RISK, text="Work", author=author
    )
    services.change_sign_off(update=update, to=SignOff.SUBMITTED, by=author)
    services.change_due_date(
        recommendation=rec, new_date=dt.date(2030, 9, 30), reason="Awaiting funding", by=author
    )
    evidence = Evidence(
        update=update,
        file="evidence/x/abc",
        original_name="training-plan.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=author,
    )
    evidence._history_user = author
    evidence.save()
    client.force_login(executive)
    page = page_of(client)
    activity = page[page.index('id="activity-title"') :]
    link = f'<a href="{rec.get_absolute_url()}">Recommendation 7'
    assert "Wendy Writer attached evidence to " + link in activity
    assert "</a> (March 2026 update): training-plan.pdf" in activity
    assert "Wendy Writer moved the due date of " + link in activity
    assert "</a>: Due date 27 Mar 2030 → 30 Sep 2030" in activity
    assert "<q>Awaiting funding</q>" in activity
    assert "Wendy Writer changed the update of " + link in activity
    assert "</a> (March 2026 update): Sign-off Draft → Awaiting sign-off" in activity
    assert "<q>Submitted for sign-off</q>" in activity
    assert "Wendy Writer added the update of " + link in activity
    assert "</a> (March 2026 update): Status At risk" in activity
    # Newest first.
    assert activity.index("attached evidence") < activity.index("moved the due date")


def test_recent_activity_keeps_a_removed_recommendation_without_a_link(client, executive):
    rec = RecommendationFactory(number="12")
    rec.delete()
    client.force_login(executive)
    activity = page_of(client).split('id="activity-title"')[1]
    assert "The system deleted Recommendation 12" in activity
    assert "Recommendation 12</a>" not in activity


def test_recent_activity_shows_at_most_fifteen_changes(client, executive):
    build_plan(recommendations=10, periods=2, subs=0)
    client.force_login(executive)
    activity = page_of(client).split('id="activity-title"')[1]
    assert activity.count("<li>") == 15


# ---------------------------------------------------------------------------- query count


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    return len(queries)


def cold_and_warm(client) -> tuple[int, int]:
    """Queries for the dashboard rendered afresh, then served from the page cache."""
    cache.clear()
    return count_queries(client), count_queries(client)


def add_activity_of_every_kind(plan) -> None:
    rec = plan.recommendations.top_level().first()
    update = rec.updates.first()
    services.record_update(
        recommendation=rec, period=update.period, status=Status.AT_RISK, text="New", author=None
    )
    services.change_due_date(recommendation=rec, new_date=FUTURE, reason="Moved", by=None)
    Evidence.objects.create(
        update=update, file="evidence/x/y", original_name="a.pdf", content_type="x", size=1
    )


def test_dashboard_query_count_does_not_grow_with_plans_or_recommendations(client, executive):
    small = build_plan(recommendations=2, periods=2, subs=0)
    add_activity_of_every_kind(small)
    client.force_login(executive)
    count_queries(client)  # warm the session
    few = cold_and_warm(client)
    assert few[1] < few[0]

    for _ in range(4):
        plan = build_plan(recommendations=15, periods=3, subs=0)
        add_activity_of_every_kind(plan)
        RecommendationFactory(plan=plan, number="99", due_date=PAST)
    assert Recommendation.objects.count() == 2 + 4 * 16
    assert cold_and_warm(client) == few

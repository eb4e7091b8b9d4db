import datetime as dt
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recommendations.choices import Status
from tests.factories import (
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    build_plan,
)

pytestmark = pytest.mark.django_db


def table_url(plan, **params):
    url = reverse("plan_table", args=[plan.slug])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def test_the_demo_plan_table_shows_the_published_rows(client, demo_plan, lead):
    client.force_login(lead)
    page = client.get(table_url(demo_plan)).content.decode()
    for text in [
        "Strategic / Executive Lead",
        "D/Supt Abbie Leeson",
        "In response to the Super Complaint submitted by the Suzy Lamplugh Trust",
        "Initial action plan response",
        "March 2026 update",
        "Chief Constables",
        "7.1",
        "Processes should be put in place to make sure this system capability",
        "10.2",
        "10.3",
        "Makes appropriate use",
        "Uses the skills and",
        "Long-term solution via RMS change through Minerva project",
        "timeframe for delivery cannot be",
        "HIOWC has reviewed all training content",
    ]:
        assert text in page, text
    assert page.index(">7<") < page.index(">10<")


def test_recommendations_sort_naturally_seven_before_ten(client, lead):
    plan = PlanFactory()
    for number in ["10", "7", "16", "9"]:
        RecommendationFactory(plan=plan, number=number)
    client.force_login(lead)
    page = client.get(table_url(plan)).content.decode()
    positions = [page.index(f">{n}<span") for n in ["7", "9", "10", "16"]]
    assert positions == sorted(positions)


def test_filter_by_status_keeps_only_matching_rows(client, lead):
    plan = PlanFactory()
    period = PeriodFactory(plan=plan)
    StatusUpdateFactory(
        recommendation=RecommendationFactory(plan=plan, number="1", text="Alpha work"),
        period=period,
        status=Status.AT_RISK,
    )
    StatusUpdateFactory(
        recommendation=RecommendationFactory(plan=plan, number="2", text="Bravo work"),
        period=period,
        status=Status.COMPLETE,
    )
    client.force_login(lead)
    page = client.get(table_url(plan, status="at_risk")).content.decode()
    assert "Alpha work" in page
    assert "Bravo work" not in page
    assert "Showing 1 of 2 recommendations" in page


def test_filter_by_owner_overdue_and_free_text(client, lead):
    plan = PlanFactory()
    late = RecommendationFactory(
        plan=plan, number="1", text="Late item", due_date=dt.date(2020, 1, 1)
    )
    RecommendationFactory(plan=plan, number="2", text="Future item", due_date=dt.date(2099, 1, 1))
    done = RecommendationFactory(
        plan=plan, number="3", text="Done item", due_date=dt.date(2020, 1, 1)
    )
    StatusUpdateFactory(
        recommendation=done, period=PeriodFactory(plan=plan), status=Status.COMPLETE
    )
    client.force_login(lead)

    overdue = client.get(table_url(plan, overdue="on")).content.decode()
    assert "Late item" in overdue and "Future item" not in overdue and "Done item" not in overdue

    by_owner = client.get(table_url(plan, owner=late.owner_id)).content.decode()
    assert "Late item" in by_owner and "Future item" not in by_owner

    search = client.get(table_url(plan, q="FUTURE")).content.decode()
    assert "Future item" in search and "Late item" not in search


def test_an_invalid_filter_value_shows_a_message_not_an_error(client, lead):
    plan = build_plan(recommendations=2)
    client.force_login(lead)
    response = client.get(table_url(plan, status="nonsense", owner="abc"))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_filters_are_plain_get_links_that_survive_a_reload(client, lead):
    plan = build_plan(recommendations=3)
    client.force_login(lead)
    page = client.get(table_url(plan, q="zzz-nothing")).content.decode()
    assert 'method="get"' in page
    assert 'value="zzz-nothing"' in page
    assert "No recommendations match these filters" in page


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def cold_and_warm(client, url) -> tuple[int, int]:
    """Queries for a page rendered afresh, then served from the page cache."""
    cache.clear()
    return count_queries(client, url), count_queries(client, url)


def test_plan_table_query_count_does_not_grow_with_recommendations(client, lead):
    small = build_plan(recommendations=2, periods=3, subs=2)
    large = build_plan(recommendations=50, periods=3, subs=2)
    client.force_login(lead)
    count_queries(client, table_url(small))  # warm the session
    few = cold_and_warm(client, table_url(small))
    assert few[1] < few[0]
    assert cold_and_warm(client, table_url(large)) == few


def test_plan_list_query_count_does_not_grow_with_plans(client, lead):
    build_plan(recommendations=2)
    client.force_login(lead)
    count_queries(client, reverse("plan_list"))  # warm the session
    few = cold_and_warm(client, reverse("plan_list"))
    assert few[1] < few[0]
    for _ in range(5):
        build_plan(recommendations=4)
    assert cold_and_warm(client, reverse("plan_list")) == few


def test_plan_list_summarises_totals_complete_and_overdue(client, lead):
    plan = PlanFactory(title="Summary plan")
    period = PeriodFactory(plan=plan)
    RecommendationFactory(plan=plan, due_date=dt.date(2020, 1, 1))
    done = RecommendationFactory(plan=plan, due_date=dt.date(2020, 1, 1))
    StatusUpdateFactory(recommendation=done, period=period, status=Status.COMPLETE)
    RecommendationFactory(plan=plan, due_date=dt.date(2099, 1, 1))
    client.force_login(lead)
    response = client.get(reverse("plan_list"))
    summary = next(p for p in response.context["plans"] if p.pk == plan.pk)
    assert (summary.total, summary.finished, summary.overdue) == (3, 1, 1)


def test_unknown_plan_is_a_404_page(client, lead):
    client.force_login(lead)
    response = client.get("/plans/no-such-plan/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def row_of(page: str, number: str) -> str:
    """The HTML of the plan table's row for recommendation `number`."""
    start = page.index(f'>{number}<span class="visually-hidden"> – open recommendation')
    return page[start : page.index("</tr>", start)]


def test_a_recommendation_without_sub_recommendations_shows_an_empty_cell_not_none(client, lead):
    plan = PlanFactory()
    PeriodFactory(plan=plan)
    RecommendationFactory(plan=plan, number="1")
    client.force_login(lead)
    row = row_of(client.get(table_url(plan)).content.decode(), "1")
    assert ">None<" not in row
    subs = re.search(r'<td class="rec-subs empty">(.*?)</td>', row, re.S).group(1)
    visible = re.sub(r'<span class="(cell-heading|visually-hidden)">.*?</span>', "", subs)
    assert visible.strip() == ""
    assert '<span class="visually-hidden">No sub-recommendations</span>' in subs


def test_each_progress_cell_is_named_for_narrow_screens_and_the_latest_is_marked(client, lead):
    plan = PlanFactory()
    first = PeriodFactory(plan=plan, label="Initial response", position=0)
    PeriodFactory(plan=plan, label="March update", position=1)
    rec = RecommendationFactory(plan=plan, number="1")
    StatusUpdateFactory(recommendation=rec, period=first, text="Started.")
    client.force_login(lead)
    row = row_of(client.get(table_url(plan)).content.decode(), "1")
    cells = re.findall(
        r'<td class="(period-cell[^"]*)"><span class="cell-heading">(.*?)</span>', row
    )
    assert cells == [
        ("period-cell", "Initial response"),
        ("period-cell latest", "March update (latest)"),
    ]
    # The other cells name themselves too, so a phone shows each as a labelled part of a card.
    for heading in ("Sub recommendation", "Addressed to", "Owner"):
        assert f'<span class="cell-heading">{heading}</span>' in row


def test_the_number_links_are_targets_of_their_own_size(client, lead):
    plan = PlanFactory()
    RecommendationFactory(plan=plan, number="1")
    client.force_login(lead)
    page = client.get(table_url(plan)).content.decode()
    assert '<th scope="row"><a class="row-link" href="' in page


def test_long_addresses_may_wrap_but_words_are_never_broken(client, lead):
    plan = PlanFactory()
    period = PeriodFactory(plan=plan)
    rec = RecommendationFactory(plan=plan, number="1")
    address = "https://www.example.police.uk/guidance/stalking-protection-orders.pdf"
    StatusUpdateFactory(recommendation=rec, period=period, text=f"Published at {address} today.")
    client.force_login(lead)
    page = client.get(table_url(plan)).content.decode()
    assert f'Published at <span class="long-run">{address}</span> today.' in page
    with open(finders.find("css/app.css")) as css:
        rules = css.read()
    assert ".long-run { overflow-wrap: anywhere; }" in rules
    assert "word-break: normal" in rules and "@media (max-width: 40rem)" in rules


def test_the_plan_page_charts_progress_over_time(client, lead):
    plan = build_plan(recommendations=2, periods=3, subs=0)
    client.force_login(lead)
    page = client.get(table_url(plan)).content.decode()
    assert '<h2 id="progress-title">Progress over time</h2>' in page
    assert '<svg class="progress-svg"' in page and 'role="img"' in page


def test_the_stylesheet_colours_statuses_as_the_vocabulary_does():
    """Badges on screen take the colours every PDF and spreadsheet takes from choices.py."""
    import re
    from pathlib import Path

    from django.conf import settings

    from recommendations.choices import NO_STATUS_RAG, RAG_BY_STATUS

    css = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    defined = dict(re.findall(r"--status-([a-z-]+): (#[0-9a-f]{6})", css))
    assert defined, "the status colours are custom properties of the style sheet"
    expected = {value.replace("_", "-"): rag.background for value, rag in RAG_BY_STATUS.items()}
    expected["none"] = NO_STATUS_RAG.background
    assert defined == expected

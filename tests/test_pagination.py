"""Long lists of plans come a page at a time, with plain links between pages and to the whole
list; short lists look as they always did."""

import re

import pytest
from django.urls import reverse

from tests.factories import PlanFactory, RecommendationFactory

pytestmark = pytest.mark.django_db

PLAN_LIST = reverse("plan_list")
DASHBOARD = reverse("dashboard")


def make_plans(count: int) -> list:
    """Plans titled so that title order is number order: "Plan 01", "Plan 02"..."""
    return [PlanFactory(title=f"Plan {n:02d}", slug=f"plan-{n:02d}") for n in range(1, count + 1)]


def plan_rows(page: str) -> list[str]:
    """The titles of the plans listed in the plan list's table, in order."""
    return re.findall(r'<th scope="row"><a href="/plans/[^"]+/">(Plan \d+)</a>', page)


def section(plan) -> str:
    """The id of a plan's own section on the dashboard."""
    return f'id="plan-{plan.pk}-title"'


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_short_plan_list_has_no_page_links(client, lead):
    make_plans(3)
    client.force_login(lead)
    page = page_of(client, PLAN_LIST)
    assert plan_rows(page) == ["Plan 01", "Plan 02", "Plan 03"]
    assert "Pages of plans" not in page
    assert "?page=" not in page


def test_the_plan_list_shows_twenty_five_plans_a_page_with_links_to_the_others(client, lead):
    make_plans(30)
    client.force_login(lead)

    first = page_of(client, PLAN_LIST)
    assert plan_rows(first) == [f"Plan {n:02d}" for n in range(1, 26)]
    assert '<nav aria-label="Pages of plans" class="pagination pages">' in first
    assert "Plans 1 to 25 of 30" in first
    hidden = '<span class="visually-hidden">Page </span>'
    assert f'<a href="?page=1" aria-current="page">{hidden}1</a>' in first
    assert f'<a href="?page=2">{hidden}2</a>' in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert '<a href="?page=all">Show all 30 plans</a>' in first

    second = page_of(client, PLAN_LIST + "?page=2")
    assert plan_rows(second) == [f"Plan {n:02d}" for n in range(26, 31)]
    assert "Plans 26 to 30 of 30" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_show_all_lists_every_plan_and_offers_the_pages_again(client, lead):
    make_plans(30)
    client.force_login(lead)
    page = page_of(client, PLAN_LIST + "?page=all")
    assert plan_rows(page) == [f"Plan {n:02d}" for n in range(1, 31)]
    assert "All 30 plans" in page
    assert '<a href="?page=1">Show 25 plans a page</a>' in page


def test_a_page_number_out_of_range_or_not_a_number_shows_a_real_page(client, lead):
    make_plans(30)
    client.force_login(lead)
    assert plan_rows(page_of(client, PLAN_LIST + "?page=99"))[0] == "Plan 26"
    assert plan_rows(page_of(client, PLAN_LIST + "?page=x"))[0] == "Plan 01"


def test_the_dashboard_compares_a_page_of_plans_but_counts_every_plan(client, executive):
    plans = make_plans(27)
    for plan in plans:
        RecommendationFactory(plan=plan, number="1")
    client.force_login(executive)

    first = page_of(client, DASHBOARD)
    assert "Plans 1 to 25 of 27" in first
    assert section(plans[0]) in first
    assert section(plans[26]) not in first
    # The overall figures and the comparison's total count all 27 plans.
    assert re.search(r'<span class="figure">27</span> recommendations', first)

    second = page_of(client, DASHBOARD + "?page=2")
    assert section(plans[26]) in second
    assert section(plans[0]) not in second
    assert re.search(r'<span class="figure">27</span> recommendations', second)

    everything = page_of(client, DASHBOARD + "?page=all")
    assert all(section(plan) in everything for plan in plans)

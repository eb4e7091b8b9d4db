"""Every page costs the same number of queries whatever the size of the plan and the database.

Each page is requested for the largest plan of a small generated data set, then again after a
larger one (more plans, more recommendations, sub-recommendations, periods and edits, so deeper
history) has been added; the two counts must be equal.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from recommendations.generate import DemoSize, GeneratedDemo, generate

pytestmark = pytest.mark.django_db

SMALL = DemoSize(plans=1, recommendations=2, subs=1, periods=2, edits=1)
LARGER = DemoSize(plans=4, recommendations=7, subs=3, periods=5, edits=3)

# page name -> (path for a generated data set, who asks: executive, owning lead or nobody)
PAGES = {
    "plan list": (lambda d: "/plans/", "executive"),
    "plan table": (lambda d: f"/plans/{d.largest_plan}/", "executive"),
    "plan table, filtered": (
        lambda d: f"/plans/{d.largest_plan}/?q=audit&status=on_track&overdue=on",
        "executive",
    ),
    "recommendation": (
        lambda d: f"/plans/{d.largest_plan}/recommendations/{d.deep_recommendation}/",
        "executive",
    ),
    "recommendation, seen by its owner": (
        lambda d: f"/plans/{d.largest_plan}/recommendations/{d.deep_recommendation}/",
        "owner",
    ),
    "dashboard": (lambda d: "/dashboard/", "executive"),
    "return xlsx": (lambda d: f"/plans/{d.largest_plan}/return.xlsx", "executive"),
    "return pdf": (lambda d: f"/plans/{d.largest_plan}/return.pdf", "executive"),
    "public plan": (lambda d: f"/public/{d.largest_plan}/", None),
}


def _client(generated: GeneratedDemo, who: str | None) -> Client:
    client = Client()
    User = get_user_model()
    if who == "executive":
        client.force_login(User.objects.get(username=generated.executives[0]))
    elif who == "owner":
        client.force_login(
            User.objects.get(
                owner__recommendations__plan__slug=generated.largest_plan,
                owner__recommendations__number=generated.deep_recommendation,
            )
        )
    return client


def _queries(generated: GeneratedDemo, page: str) -> tuple[int, int]:
    path_for, who = PAGES[page]
    client = _client(generated, who)
    path = path_for(generated)
    # The first request may refresh the session and fill per-process caches; count the second.
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response.status_code, len(queries)


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_makes_as_many_queries_for_a_larger_plan_in_a_larger_database(page):
    small = generate(SMALL, seed=1)
    small_status, small_count = _queries(small, page)
    larger = generate(LARGER, seed=2)
    larger_status, larger_count = _queries(larger, page)

    assert (small_status, larger_status) == (200, 200)
    assert small_count == larger_count, (
        f"{page}: {small_count} queries for the small plan, {larger_count} for the larger one"
    )


def test_the_larger_data_set_really_is_larger():
    small = generate(SMALL, seed=1)
    larger = generate(LARGER, seed=2)
    assert larger.counts["recommendation"] > 4 * small.counts["recommendation"]
    assert larger.history_rows > 10 * small.history_rows

"""Every page costs the same number of queries whatever the size of the plan and the database.

Each page is requested for the largest plan of a small generated data set, then again after a
larger one (more plans, more recommendations, sub-recommendations, periods and edits, so deeper
history) has been added; the two counts must be equal. Pages kept in the page cache are counted
twice: rendered afresh (a miss) and served from the cache (a hit).
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
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


# Pages whose body the page cache keeps (recommendations/page_cache.py).
CACHED = {"plan list", "plan table", "plan table, filtered", "dashboard"}


def _queries(generated: GeneratedDemo, page: str) -> tuple[int, int, int]:
    """HTTP status, queries rendering the page afresh, queries serving it again."""
    path_for, who = PAGES[page]
    client = _client(generated, who)
    path = path_for(generated)
    # The first request may refresh the session and fill per-process caches.
    client.get(path)
    cache.clear()
    counts = []
    for _ in ("cold", "warm"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        counts.append(len(queries))
    return response.status_code, *counts


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_makes_as_many_queries_for_a_larger_plan_in_a_larger_database(page):
    small = generate(SMALL, seed=1)
    small_status, *small_counts = _queries(small, page)
    larger = generate(LARGER, seed=2)
    larger_status, *larger_counts = _queries(larger, page)

    assert (small_status, larger_status) == (200, 200)
    assert small_counts == larger_counts, (
        f"{page}: {small_counts} queries (afresh, again) for the small plan, "
        f"{larger_counts} for the larger one"
    )
    cold, warm = small_counts
    assert (warm < cold) == (page in CACHED)


def test_the_larger_data_set_really_is_larger():
    small = generate(SMALL, seed=1)
    larger = generate(LARGER, seed=2)
    assert larger.counts["recommendation"] > 4 * small.counts["recommendation"]
    assert larger.history_rows > 10 * small.history_rows

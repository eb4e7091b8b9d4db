"""Migrations that move data: what an existing deployment holds arrives whole."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("recommendations", "0007_actions_are_recommendations")]


@pytest.fixture
def old_apps(django_db_blocker):
    """The app registry as it stood before sub-recommendations became recommendations; the
    database is taken back there and brought up to date again afterwards."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        yield executor.loader.project_state(BEFORE).apps
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_sub_recommendations_become_recommendations_with_their_history(old_apps):
    Plan = old_apps.get_model("recommendations", "Plan")
    Recommendation = old_apps.get_model("recommendations", "Recommendation")
    Sub = old_apps.get_model("recommendations", "SubRecommendation")
    HistoricalSub = old_apps.get_model("recommendations", "HistoricalSubRecommendation")
    Owner = old_apps.get_model("recommendations", "Owner")
    created = timezone.now() - dt.timedelta(days=30)

    plan = Plan.objects.create(slug="old", title="Old plan")
    owner = Owner.objects.create(name="Abbie Leeson", rank="D/Supt")
    seven = Recommendation.objects.create(plan=plan, number="7", sort_key="7", text="Seven.")
    eight = Recommendation.objects.create(plan=plan, number="8", sort_key="8", text="Eight.")
    kept = Sub.objects.create(recommendation=seven, number="7.1", sort_key="", text="New text.")
    clash = Sub.objects.create(recommendation=seven, number="8", sort_key="", owner=owner)
    for sub, texts in [(kept, ["Old text.", "New text."]), (clash, [""])]:
        for n, text in enumerate(texts):
            HistoricalSub.objects.create(
                id=sub.pk,
                recommendation_id=seven.pk,
                number=sub.number,
                sort_key="",
                text=text,
                owner_id=sub.owner_id,
                history_date=created + dt.timedelta(days=n),
                history_type="+" if n == 0 else "~",
                history_change_reason=f"edit {n}",
            )
    # One deleted before the move: known only from its history.
    HistoricalSub.objects.create(
        id=kept.pk + 100,
        recommendation_id=seven.pk,
        number="7.9",
        sort_key="",
        text="Dropped.",
        history_date=created,
        history_type="+",
    )
    assert eight.pk

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from recommendations.models import Recommendation as Now

    children = Now.objects.filter(parent__number="7").order_by("sort_key")
    assert [(c.number, c.text, c.owner_id) for c in children] == [
        ("7.1", "New text.", None),
        ("7.8", "", owner.pk),  # "8" is recommendation 8's number in this plan
    ]
    moved = children[0]
    assert [r.text for r in moved.history.order_by("history_date")] == ["Old text.", "New text."]
    assert moved.history.earliest("history_date").history_change_reason == "edit 0"
    # The deleted one's history is kept under an id no live recommendation has.
    dropped = Now.history.get(number="7.9")
    assert not Now.objects.filter(pk=dropped.id).exists()
    assert dropped.parent_id == seven.pk

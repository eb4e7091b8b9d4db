"""The change history as people read it: one description of a change on the recommendation
page and the dashboard, only what a person can see change, every moment in the project's time
zone (British Summer Time in June)."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recommendations import history, services
from recommendations.choices import SignOff, Status
from recommendations.models import Recommendation, StatusUpdate
from recommendations.templatetags.times import local_time, machine_time
from tests.factories import (
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    SubRecommendationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# 11:00 and 13:30 in UTC are 12:00 and 14:30 in London in June (British Summer Time).
FIRST = dt.datetime(2026, 6, 15, 11, 0, tzinfo=UTC)
SECOND = dt.datetime(2026, 6, 15, 13, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def london(settings):
    settings.TIME_ZONE = "Europe/London"


@pytest.fixture
def author():
    return UserFactory(username="writer", first_name="Wendy", last_name="Writer", role="Lead")


@pytest.fixture
def rec():
    plan = PlanFactory(slug="hist", title="History plan")
    PeriodFactory(plan=plan, label="June 2026 update", position=0)
    return RecommendationFactory(plan=plan, number="7", due_date=dt.date(2030, 3, 27))


def june(rec):
    return rec.plan.periods.get(label="June 2026 update")


def text_of(html: str) -> str:
    """The words a page fragment shows: tags and visually hidden words removed, spaces
    collapsed."""
    html = re.sub(r'<span class="visually-hidden">.*?</span>', "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def history_of(client, rec) -> str:
    page = client.get(rec.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    return html[html.index('id="history"') :]


def activity_of(client) -> str:
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('id="activity-title"')
    return html[start : html.index("</section>", start)]


def dated(update: StatusUpdate, *moments: dt.datetime) -> None:
    """Give the update's history rows, oldest first, these moments."""
    rows = list(update.history.order_by("history_date", "history_id"))
    assert len(rows) == len(moments)
    for row, moment in zip(rows, moments, strict=True):
        StatusUpdate.history.filter(history_id=row.history_id).update(history_date=moment)


# ---------------------------------------------------------------------------- local time


def test_the_time_filters_give_local_time_to_the_second_in_summer_time():
    moment = dt.datetime(2026, 6, 15, 11, 0, 5, 123456, tzinfo=UTC)
    assert machine_time(moment) == "2026-06-15T12:00:05+01:00"
    assert machine_time(moment, "date") == "2026-06-15"
    assert machine_time(dt.date(2026, 6, 15)) == "2026-06-15"
    assert machine_time(None) == ""
    assert local_time(moment) == "15 June 2026, 12:00"
    # Late in the evening in UTC is already the next day in London.
    assert machine_time(dt.datetime(2026, 6, 15, 23, 30, tzinfo=UTC), "date") == "2026-06-16"


def test_a_history_entry_and_a_field_change_show_the_local_hour(client, rec, author, executive):
    update = services.record_update(
        recommendation=rec,
        period=june(rec),
        status=Status.ON_TRACK,
        text="Begun.",
        author=author,
        recorded_at=FIRST,
    )
    update = services.record_update(
        recommendation=rec,
        period=june(rec),
        status=Status.AT_RISK,
        text="Begun.",
        author=author,
        recorded_at=SECOND,
    )
    dated(update, FIRST, SECOND)
    client.force_login(executive)

    page = history_of(client, rec)
    words = text_of(page)
    # When the change was made, in words and in the machine-readable attribute.
    assert '<time datetime="2026-06-15T14:30:00+01:00">15 June 2026, 14:30</time>' in page
    assert '<time datetime="2026-06-15T12:00:00+01:00">15 June 2026, 12:00</time>' in page
    # A moment that changed: the date recorded, before and after.
    assert "Date recorded 15 June 2026, 12:00 15 June 2026, 14:30" in words
    assert "11:00" not in words and "13:30" not in words

    activity = activity_of(client)
    assert '<time datetime="2026-06-15T14:30:00+01:00">15 June 2026, 14:30</time>' in activity
    assert "11:00" not in text_of(activity) and "13:30" not in text_of(activity)


# ---------------------------------------------------------------------------- what is listed


def test_a_change_reads_the_same_on_the_recommendation_page_and_the_dashboard(
    client, rec, author, executive
):
    period = june(rec)
    services.record_update(
        recommendation=rec, period=period, status=Status.ON_TRACK, text="Begun.", author=author
    )
    services.record_update(
        recommendation=rec, period=period, status=Status.AT_RISK, text="Begun.", author=author
    )
    client.force_login(executive)
    sentence = "Wendy Writer changed the update of Recommendation 7 (June 2026 update)"

    activity = text_of(activity_of(client))
    assert f"{sentence}: Status On track → At risk" in activity

    page = history_of(client, rec)
    assert sentence in text_of(page)
    assert '<th scope="row">Status</th><td class="prewrap">On track</td>' in page


def test_saves_that_change_nothing_a_person_sees_are_not_listed(client, rec, author, executive):
    period = june(rec)
    update = services.record_update(
        recommendation=rec, period=period, status=Status.ON_TRACK, text="Begun.", author=author
    )
    # Attaching evidence to a draft changes only the update's version and who changed it:
    # the evidence is the change people see.
    services.attach_evidence(
        update=update,
        uploaded_file=SimpleUploadedFile("log.txt", b"Trained 12 officers.\n"),
        description="Training log",
        by=author,
    )
    # The update's history holds that save too, but nothing of it shows on any page.
    assert update.history.count() == 2
    client.force_login(executive)

    entries = history.recommendation_history(rec)
    assert [(change.action, change.target) for change in entries] == [
        ("attached evidence to", "Recommendation 7"),
        ("added the update of", "Recommendation 7"),
        ("added", "Recommendation 7"),
    ]
    assert entries[0].detail == "log.txt"
    assert [(c.label, c.old, c.new) for c in entries[0].changes] == [
        ("Description", "", "Training log")
    ]
    words = text_of(history_of(client, rec))
    assert "changed the update of" not in words
    assert "3 changes, newest first" in words

    activity = text_of(activity_of(client))
    assert "attached evidence to Recommendation 7 (June 2026 update): log.txt" in (activity)
    assert "changed the update of" not in activity


def test_an_approval_lists_the_sign_off_and_not_the_copies_of_the_approved_words(
    rec, author, executive
):
    update = services.record_update(
        recommendation=rec,
        period=june(rec),
        status=Status.ON_TRACK,
        text="Begun.",
        author=author,
        submit=True,
    )
    services.change_sign_off(update=update, to=SignOff.APPROVED, by=executive)
    approval = history.recommendation_history(rec)[0]
    assert approval.action == "changed the update of"
    assert approval.reason == "Approved"
    labels = [change.label for change in approval.changes]
    assert labels == ["Sign-off", "Reviewed by"]
    assert approval.summary == "Sign-off Awaiting sign-off → Approved"


def test_a_moved_deadline_is_one_change_with_its_reason(rec, administrator):
    services.change_due_date(
        recommendation=rec, new_date=dt.date(2030, 9, 30), reason="Awaiting funding", by=None
    )
    moved = history.recommendation_history(rec)[0]
    assert (moved.action, moved.reason) == ("moved the due date of", "Awaiting funding")
    assert moved.summary == "Due date 27 Mar 2030 → 30 Sep 2030"
    assert [entry.action for entry in history.latest_changes(15)].count(
        "moved the due date of"
    ) == 1


def test_the_history_covers_its_actions_and_their_updates_even_once_removed(rec, author):
    action = SubRecommendationFactory(recommendation=rec, number="7.1", text="Train them.")
    services.record_update(
        recommendation=action, period=june(rec), status=Status.AT_RISK, text="Late.", author=author
    )
    services.delete(Recommendation.objects.get(pk=action.pk), by=None, reason="Merged into 7")
    entries = history.recommendation_history(rec)
    described = [(c.action, c.target, c.where, c.url) for c in entries]
    assert ("deleted", "Sub-recommendation 7.1", "", "") in described
    assert ("added the update of", "Sub-recommendation 7.1", "June 2026 update", "") in described
    assert ("added", "Recommendation 7", "", "") in described


def test_recent_activity_names_the_plan_and_links_to_what_still_exists(
    client, rec, author, executive
):
    action = SubRecommendationFactory(recommendation=rec, number="7.1", text="Train them.")
    services.record_update(
        recommendation=action, period=june(rec), status=Status.AT_RISK, text="Late.", author=author
    )
    client.force_login(executive)
    activity = activity_of(client)
    link = (
        f'<a href="{action.get_absolute_url()}">Sub-recommendation 7.1'
        '<span class="visually-hidden"> in History plan</span></a>'
    )
    assert f"Wendy Writer added the update of {link} (June 2026 update): Status At risk" in (
        activity
    )
    assert "History plan · <time" in activity

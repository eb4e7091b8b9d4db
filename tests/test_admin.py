"""The admin, where administrators set plans up: no lost updates between two administrators,
the same completion rule as the update form, and reminders as a read-only record."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from recommendations.choices import SignOff, Status
from recommendations.models import ReminderSent, StatusUpdate
from tests.factories import RecommendationFactory, StatusUpdateFactory, UserFactory

pytestmark = pytest.mark.django_db

INLINE_MANAGEMENT = {
    "subrecommendations-TOTAL_FORMS": "0",
    "subrecommendations-INITIAL_FORMS": "0",
    "subrecommendations-MIN_NUM_FORMS": "0",
    "subrecommendations-MAX_NUM_FORMS": "1000",
}


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="superuser", is_staff=True, is_superuser=True))
    return client


def recommendation_post(client, rec, started_from, **changes):
    data = {
        "plan": rec.plan_id,
        "number": rec.number,
        "text": rec.text,
        "addressee": rec.addressee,
        "due_date": "",
        "owner": "",
        "due_date_reason": "",
        "started_from_version": started_from,
        **INLINE_MANAGEMENT,
        "_save": "Save",
    }
    data.update(changes)
    url = reverse("admin:recommendations_recommendation_change", args=[rec.pk])
    return client.post(url, data)


def update_post(client, update, started_from, **changes):
    data = {
        "recommendation": update.recommendation_id,
        "period": update.period_id,
        "status": update.status,
        "text": update.text,
        "author": "",
        "recorded_at_0": "01/03/2026",
        "recorded_at_1": "10:00:00",
        "sign_off": update.sign_off,
        "reviewer_comment": "",
        "reviewed_by": "",
        "reviewed_at_0": "",
        "reviewed_at_1": "",
        "no_evidence_reason": "",
        "started_from_version": started_from,
        "_save": "Save",
    }
    data.update(changes)
    url = reverse("admin:recommendations_statusupdate_change", args=[update.pk])
    return client.post(url, data)


def test_a_recommendation_saved_meanwhile_is_not_overwritten_and_both_texts_are_kept(
    superuser_client,
):
    rec = RecommendationFactory(text="The report's words.", due_date=None, owner=None)
    opened_at = rec.version
    # Another administrator saves first, from the same starting point.
    first = recommendation_post(superuser_client, rec, opened_at, text="First correction.")
    assert first.status_code == 302

    second = recommendation_post(superuser_client, rec, opened_at, text="Second correction.")

    assert second.status_code == 200
    page = second.content.decode()
    assert "Someone else saved this recommendation after you opened it" in page
    assert "Second correction." in page  # the refused words are still in the form
    rec.refresh_from_db()
    assert rec.text == "First correction."
    assert rec.version == opened_at + 1
    assert [h.text for h in rec.history.order_by("history_date")] == [
        "The report's words.",
        "First correction.",
    ]


def test_a_recommendation_saved_from_its_current_version_saves_and_counts_the_save(
    superuser_client,
):
    rec = RecommendationFactory(due_date=None, owner=None)
    response = recommendation_post(superuser_client, rec, rec.version, addressee="Chief Officers")
    assert response.status_code == 302
    rec.refresh_from_db()
    assert (rec.addressee, rec.version) == ("Chief Officers", 2)
    assert rec.history.latest().history_user.username == "superuser"


def test_an_update_saved_meanwhile_in_the_admin_is_not_overwritten(superuser_client):
    update = StatusUpdateFactory(text="Lead's words.", version=3)
    response = update_post(superuser_client, update, 2, text="Administrator's correction.")
    assert response.status_code == 200
    assert "Someone else saved this update after you opened it" in response.content.decode()
    update.refresh_from_db()
    assert (update.text, update.version) == ("Lead's words.", 3)


def test_the_admin_will_not_mark_an_update_complete_without_evidence_or_a_note(
    superuser_client,
):
    update = StatusUpdateFactory(status=Status.ON_TRACK, sign_off=SignOff.APPROVED)
    refused = update_post(superuser_client, update, update.version, status=Status.COMPLETE)
    assert refused.status_code == 200
    assert "errors field-no_evidence_reason" in refused.content.decode()
    assert StatusUpdate.objects.get(pk=update.pk).status == Status.ON_TRACK

    accepted = update_post(
        superuser_client,
        update,
        update.version,
        status=Status.COMPLETE,
        no_evidence_reason="Closed by the national working group.",
    )
    assert accepted.status_code == 302
    update.refresh_from_db()
    assert (update.status, update.version) == (Status.COMPLETE, 2)


def test_reminders_sent_are_listed_and_cannot_be_added_changed_or_deleted(superuser_client):
    sent = ReminderSent.objects.create(
        email="owner@example.invalid",
        kind=ReminderSent.Kind.OWNER,
        sent_on=dt.date(2026, 3, 1),
        sent_at=timezone.now(),
        items=["update:1"],
        fingerprint="0" * 64,
    )
    listing = superuser_client.get(reverse("admin:recommendations_remindersent_changelist"))
    assert listing.status_code == 200
    assert "owner@example.invalid" in listing.content.decode()
    add = reverse("admin:recommendations_remindersent_add")
    assert superuser_client.get(add).status_code == 403
    delete = reverse("admin:recommendations_remindersent_delete", args=[sent.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    assert ReminderSent.objects.filter(pk=sent.pk).exists()


def test_joining_the_administrator_role_opens_the_admin_and_leaving_it_closes_it(client):
    from django.contrib.auth.models import Group

    person = UserFactory(username="newadmin")
    client.force_login(person)
    assert client.get(reverse("admin:index")).status_code == 302

    person.groups.add(Group.objects.get(name="Administrator"))
    person.refresh_from_db()
    assert person.is_staff
    assert client.get(reverse("admin:index")).status_code == 200

    Group.objects.get(name="Administrator").user_set.remove(person)
    person.refresh_from_db()
    assert not person.is_staff
    assert client.get(reverse("admin:index")).status_code == 302


def test_administrators_may_read_the_reminders_sent(client, administrator):
    """Models added after the roles were first made are granted to administrators too."""
    assert administrator.has_perm("recommendations.view_remindersent")
    client.force_login(administrator)
    page = client.get(reverse("admin:recommendations_remindersent_changelist"))
    assert page.status_code == 200

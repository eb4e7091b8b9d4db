"""Governed deadlines: a due date moves only with a reason, the original date is kept, and every
move is listed with who, when, the old and new dates and why."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from recommendations import services
from recommendations.models import DueDateChange, Recommendation
from tests.factories import RecommendationFactory, UserFactory

pytestmark = pytest.mark.django_db

ORIGINAL = dt.date(2025, 3, 27)
LATER = dt.date(2026, 3, 31)
LATER_STILL = dt.date(2026, 9, 30)
REASON = "The shared records system change is scheduled by the supplier for 2026."


@pytest.fixture
def rec(lead):
    return RecommendationFactory(owner=lead.owner, number="7", due_date=ORIGINAL)


def due_date_url(rec):
    return reverse("due_date_edit", args=[rec.plan.slug, rec.number])


def move(rec, new_date, reason=REASON, by=None, expected_version=None):
    return services.change_due_date(
        recommendation=rec,
        new_date=new_date,
        reason=reason,
        by=by,
        expected_version=expected_version,
    )


# ---------------------------------------------------------------------------- the service


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_a_due_date_change_without_a_reason_is_refused_and_nothing_changes(rec, reason):
    versions = rec.history.count()
    with pytest.raises(ValidationError) as refused:
        move(rec, LATER, reason=reason)
    assert "reason" in refused.value.message_dict
    rec.refresh_from_db()
    assert (rec.due_date, rec.version) == (ORIGINAL, 1)
    assert not DueDateChange.objects.exists()
    assert rec.history.count() == versions


def test_a_due_date_change_keeps_the_original_and_records_who_when_and_why(rec, administrator):
    moved = move(rec, LATER, by=administrator)

    rec.refresh_from_db()
    assert (rec.due_date, rec.original_due_date, rec.version) == (LATER, ORIGINAL, 2)
    assert moved.version == 2
    change = DueDateChange.objects.get()
    assert (change.recommendation, change.old_date, change.new_date) == (rec, ORIGINAL, LATER)
    assert (change.reason, change.changed_by) == (REASON, administrator)
    assert change.changed_at is not None
    latest = rec.history.latest()
    assert (latest.due_date, latest.history_change_reason, latest.history_user) == (
        LATER,
        REASON,
        administrator,
    )
    assert change.history.get().history_user == administrator


def test_a_second_move_still_shows_the_first_date_as_the_original(rec, administrator):
    move(rec, LATER, by=administrator)
    move(rec, LATER_STILL, reason="Supplier delay.", by=administrator)
    rec.refresh_from_db()
    assert (rec.due_date, rec.original_due_date) == (LATER_STILL, ORIGINAL)
    assert list(DueDateChange.objects.values_list("old_date", "new_date", "reason")) == [
        (ORIGINAL, LATER, REASON),
        (LATER, LATER_STILL, "Supplier delay."),
    ]


def test_a_stale_version_is_a_conflict_and_nothing_changes(rec, administrator):
    move(rec, LATER, by=administrator)
    with pytest.raises(services.ConflictError) as conflict:
        move(rec, LATER_STILL, by=administrator, expected_version=1)
    assert conflict.value.current.due_date == LATER
    rec.refresh_from_db()
    assert (rec.due_date, rec.version) == (LATER, 2)
    assert DueDateChange.objects.count() == 1


def test_moving_to_the_same_date_is_refused(rec):
    with pytest.raises(ValidationError) as refused:
        move(rec, ORIGINAL)
    assert "new_date" in refused.value.message_dict
    assert not DueDateChange.objects.exists()


def test_setting_a_first_due_date_is_not_a_slip(lead, administrator):
    rec = RecommendationFactory(owner=lead.owner, due_date=None)
    move(rec, LATER, reason="Agreed with the executive lead.", by=administrator)
    rec.refresh_from_db()
    assert (rec.due_date, rec.original_due_date) == (LATER, LATER)
    assert not DueDateChange.objects.exists()
    assert rec.history.latest().history_change_reason == "Agreed with the executive lead."


# ---------------------------------------------------------------------------- the page


def test_an_administrator_moves_a_due_date_and_the_pages_show_it(client, rec, administrator):
    client.force_login(administrator)
    page = client.get(rec.get_absolute_url()).content.decode()
    assert due_date_url(rec) in page
    assert "The due date has not been moved." in page
    form = client.get(due_date_url(rec)).content.decode()
    assert "Current due date" in form and "27 March 2025" in form
    assert '<label for="id_new_date">New due date</label>' in form
    assert '<label for="id_reason">Reason for the change</label>' in form

    response = client.post(
        due_date_url(rec), {"new_date": "2026-03-31", "reason": REASON, "version": 1}
    )

    assert response.status_code == 302
    assert response["Location"] == rec.get_absolute_url()
    page = client.get(rec.get_absolute_url()).content.decode()
    assert "Due date of recommendation 7 changed to 31 March 2026." in page
    assert "31 March 2026 (originally 27 March 2025)" in page
    assert "Moved 1 time" in page
    who = administrator.get_full_name()
    listing = page[page.index('id="due-date-changes"') : page.index("Sub-recommendations")]
    for expected in (who, "27 March 2025", "31 March 2026", REASON):
        assert expected in listing
    table = client.get(reverse("plan_table", args=[rec.plan.slug])).content.decode()
    assert "Moved 1 time" in table


def test_the_change_page_refuses_a_missing_reason_beside_the_field(client, rec, administrator):
    client.force_login(administrator)
    response = client.post(due_date_url(rec), {"new_date": "2026-03-31", "version": 1})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_reason-error"' in page
    assert "every moved deadline needs a reason" in page
    rec.refresh_from_db()
    assert rec.due_date == ORIGINAL
    assert not DueDateChange.objects.exists()


@pytest.mark.parametrize(
    ("new_date", "message"),
    [
        ("", "Give the new due date."),
        ("31/02/2026", "Give the new due date as a real date"),
        ("2025-03-27", "That is already the due date."),
    ],
)
def test_a_bad_new_date_comes_back_with_a_message(client, rec, administrator, new_date, message):
    client.force_login(administrator)
    response = client.post(
        due_date_url(rec), {"new_date": new_date, "reason": REASON, "version": 1}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DueDateChange.objects.exists()


def test_a_date_in_british_form_is_understood(client, rec, administrator):
    client.force_login(administrator)
    client.post(due_date_url(rec), {"new_date": "31/03/2026", "reason": REASON, "version": 1})
    rec.refresh_from_db()
    assert rec.due_date == LATER


def test_a_change_made_meanwhile_is_shown_and_nothing_is_overwritten(client, rec, administrator):
    move(rec, LATER_STILL, reason="Someone else's reason.", by=administrator)
    client.force_login(administrator)
    response = client.post(
        due_date_url(rec), {"new_date": "2026-03-31", "reason": REASON, "version": 1}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this recommendation" in page
    assert "30 September 2026" in page
    rec.refresh_from_db()
    assert rec.due_date == LATER_STILL
    assert 'name="version" value="2"' in page


@pytest.mark.parametrize("who", ["lead", "colleague", "executive", "outsider"])
def test_only_administrators_may_move_a_due_date(client, rec, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(due_date_url(rec)).status_code == 403
    response = client.post(
        due_date_url(rec), {"new_date": "2026-03-31", "reason": REASON, "version": 1}
    )
    assert response.status_code == 403
    assert "Only administrators may move a due date." in response.content.decode()
    rec.refresh_from_db()
    assert rec.due_date == ORIGINAL
    assert not DueDateChange.objects.exists()
    assert due_date_url(rec) not in client.get(rec.get_absolute_url()).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_changes(client, rec):
    response = client.post(
        due_date_url(rec), {"new_date": "2026-03-31", "reason": REASON, "version": 1}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    rec.refresh_from_db()
    assert rec.due_date == ORIGINAL


# ---------------------------------------------------------------------------- the admin


@pytest.fixture
def superuser(db):
    return UserFactory(username="superuser", is_staff=True, is_superuser=True)


def admin_post(client, rec, **changes):
    data = {
        "plan": rec.plan_id,
        "number": rec.number,
        "text": rec.text,
        "addressee": rec.addressee,
        "due_date": rec.due_date.strftime("%d/%m/%Y") if rec.due_date else "",
        "owner": rec.owner_id or "",
        "due_date_reason": "",
        "started_from_version": rec.version,
        "subrecommendations-TOTAL_FORMS": "0",
        "subrecommendations-INITIAL_FORMS": "0",
        "subrecommendations-MIN_NUM_FORMS": "0",
        "subrecommendations-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    data.update(changes)
    return client.post(reverse("admin:recommendations_recommendation_change", args=[rec.pk]), data)


def test_the_admin_refuses_a_due_date_change_without_a_reason(client, rec, superuser):
    client.force_login(superuser)
    response = admin_post(client, rec, due_date="31/03/2026")
    assert response.status_code == 200
    assert "every moved deadline needs a reason" in response.content.decode()
    rec.refresh_from_db()
    assert rec.due_date == ORIGINAL
    assert not DueDateChange.objects.exists()


def test_the_admin_moves_a_due_date_through_the_service_with_its_reason(client, rec, superuser):
    client.force_login(superuser)
    response = admin_post(
        client, rec, due_date="31/03/2026", due_date_reason=REASON, addressee="Chief constables"
    )
    assert response.status_code == 302
    rec.refresh_from_db()
    assert (rec.due_date, rec.original_due_date, rec.addressee) == (
        LATER,
        ORIGINAL,
        "Chief constables",
    )
    change = DueDateChange.objects.get()
    assert (change.old_date, change.new_date, change.reason, change.changed_by) == (
        ORIGINAL,
        LATER,
        REASON,
        superuser,
    )
    assert rec.history.latest().history_change_reason == REASON


def test_the_admin_saves_other_fields_without_asking_for_a_reason(client, rec, superuser):
    client.force_login(superuser)
    response = admin_post(client, rec, addressee="Police and crime commissioners")
    assert response.status_code == 302
    assert Recommendation.objects.get(pk=rec.pk).addressee == "Police and crime commissioners"
    assert not DueDateChange.objects.exists()


def test_due_date_changes_and_evidence_are_read_only_in_the_admin(client, rec, superuser):
    move(rec, LATER, by=superuser)
    client.force_login(superuser)
    listing = client.get(reverse("admin:recommendations_duedatechange_changelist"))
    assert listing.status_code == 200
    assert "27 Mar 2025" in listing.content.decode()
    assert client.get(reverse("admin:recommendations_duedatechange_add")).status_code == 403
    assert client.get(reverse("admin:recommendations_evidence_changelist")).status_code == 200
    assert client.get(reverse("admin:recommendations_evidence_add")).status_code == 403

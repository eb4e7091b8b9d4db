import pytest
from django.urls import reverse

from recommendations.choices import SignOff, Status
from recommendations.models import StatusUpdate
from tests.factories import PeriodFactory, RecommendationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(lead):
    """A recommendation owned by the `lead` fixture, with one reporting period."""
    rec = RecommendationFactory(owner=lead.owner, number="7", text="Seek changes to systems.")
    period = PeriodFactory(plan=rec.plan, label="March 2026 update")
    return rec, period


def edit_url(rec, period):
    return reverse("update_edit", args=[rec.plan.slug, rec.number, period.pk])


def test_recording_then_editing_leaves_two_history_records_by_the_signed_in_user(
    lead_client, lead, owned
):
    rec, period = owned
    first = lead_client.post(
        edit_url(rec, period), {"status": "on_track", "text": "First words.", "version": 0}
    )
    assert first.status_code == 302
    second = lead_client.post(
        edit_url(rec, period), {"status": "at_risk", "text": "Second words.", "version": 1}
    )
    assert second.status_code == 302

    update = StatusUpdate.objects.get(recommendation=rec, period=period)
    assert (update.text, update.status, update.version) == ("Second words.", Status.AT_RISK, 2)
    records = list(update.history.order_by("history_date"))
    assert [r.text for r in records] == ["First words.", "Second words."]
    assert {r.history_user for r in records} == {lead}

    page = lead_client.get(rec.get_absolute_url()).content.decode()
    assert "First words." in page  # the old text, in the change history
    assert "Second words." in page
    assert "At risk" in page and "On track" in page


def test_saving_with_submit_sends_the_update_for_sign_off(lead_client, owned):
    rec, period = owned
    lead_client.post(
        edit_url(rec, period),
        {"status": "on_track", "text": "Ready.", "version": 0, "submit": "1"},
    )
    assert StatusUpdate.objects.get(recommendation=rec).sign_off == SignOff.SUBMITTED


def test_invalid_values_come_back_with_messages_next_to_the_fields(lead_client, owned):
    rec, period = owned
    response = lead_client.post(
        edit_url(rec, period), {"status": "excellent", "text": "   ", "version": 0}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Write what has happened in this period." in page
    assert "Select a valid choice" in page
    assert 'href="#id_text"' in page
    assert not StatusUpdate.objects.exists()


def test_text_of_any_length_and_characters_is_stored_and_shown_escaped(lead_client, owned):
    rec, period = owned
    text = "<script>alert('x')</script> & \"quotes\" =SUM(A1) é ✓ " + "long " * 3000
    response = lead_client.post(
        edit_url(rec, period), {"status": "on_track", "text": text, "version": 0}
    )
    assert response.status_code == 302
    assert StatusUpdate.objects.get(recommendation=rec).text == text.strip()
    page = lead_client.get(rec.get_absolute_url()).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    table = lead_client.get(rec.plan.get_absolute_url()).content.decode()
    assert "<script>alert" not in table


def test_a_null_character_is_refused_with_a_message(lead_client, owned):
    rec, period = owned
    response = lead_client.post(
        edit_url(rec, period), {"status": "on_track", "text": "bad\x00byte", "version": 0}
    )
    assert response.status_code == 400
    assert not StatusUpdate.objects.exists()


def test_a_second_editor_is_refused_and_both_texts_are_kept(lead_client, lead, owned, client):
    rec, period = owned
    lead_client.post(edit_url(rec, period), {"status": "on_track", "text": "Base.", "version": 0})
    # Two people opened the form at version 1; the first saves, then the second.
    lead_client.post(edit_url(rec, period), {"status": "on_track", "text": "Mine.", "version": 1})
    response = lead_client.post(
        edit_url(rec, period), {"status": "at_risk", "text": "Theirs.", "version": 1}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this update" in page
    assert "Mine." in page and "Theirs." in page
    assert StatusUpdate.objects.get(recommendation=rec).text == "Mine."
    # Having seen the other version, saving again goes through.
    again = lead_client.post(
        edit_url(rec, period), {"status": "at_risk", "text": "Merged.", "version": 2}
    )
    assert again.status_code == 302
    assert StatusUpdate.objects.get(recommendation=rec).text == "Merged."


def test_unknown_recommendation_or_period_is_a_404(lead_client, owned):
    rec, _period = owned
    assert lead_client.get(f"/plans/{rec.plan.slug}/recommendations/999/").status_code == 404
    other_plan_period = PeriodFactory()
    assert lead_client.get(edit_url(rec, other_plan_period)).status_code == 404


def test_a_lead_cannot_record_progress_on_another_leads_recommendation(client, colleague, owned):
    rec, period = owned
    client.force_login(colleague)
    response = client.post(edit_url(rec, period), {"status": "on_track", "text": "x", "version": 0})
    assert response.status_code == 403
    assert "Only the lead who owns this recommendation" in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_pages_need_sign_in(client, owned):
    rec, _period = owned
    for url in ["/", "/plans/", rec.plan.get_absolute_url(), rec.get_absolute_url()]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/sign-in/")

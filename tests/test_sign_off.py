"""The sign-off workflow through the web forms: draft -> submitted -> returned -> submitted ->
approved, who may take each step, and what the public sees at each point."""

import pytest
from django.urls import reverse

from recommendations.choices import SignOff, Status
from recommendations.models import StatusUpdate
from tests.factories import PeriodFactory, PlanFactory, RecommendationFactory

pytestmark = pytest.mark.django_db

FIRST = "Training content mapped against the national curriculum."
SECOND = "Training content mapped; gaps in the stalking module closed in March."
LATER = "A refresher course for call handlers has been commissioned."
COMMENT = "Say which gaps were found and when they will be closed."


@pytest.fixture
def rec(lead):
    """A recommendation owned by the `lead` fixture in a published plan."""
    plan = PlanFactory(title="Published plan", is_published=True)
    rec = RecommendationFactory(plan=plan, owner=lead.owner, number="10", text="Review training.")
    PeriodFactory(plan=plan, label="March 2026 update")
    return rec


def period_of(rec):
    return rec.plan.periods.get()


def edit_url(rec):
    return reverse("update_edit", args=[rec.plan.slug, rec.number, period_of(rec).pk])


def sign_off_url(rec):
    return reverse("update_sign_off", args=[rec.plan.slug, rec.number, period_of(rec).pk])


def public_page(client, rec) -> str:
    client.logout()
    return client.get(reverse("public_plan", args=[rec.plan.slug])).content.decode()


def stored(rec) -> StatusUpdate:
    return StatusUpdate.objects.get(recommendation=rec)


def write(client, rec, text, *, submit=False, version=None):
    data = {"status": Status.ON_TRACK, "text": text}
    data["version"] = stored(rec).version if version is None else version
    if submit:
        data["submit"] = "1"
    response = client.post(edit_url(rec), data)
    assert response.status_code == 302, response.content.decode()
    return response


def act(client, rec, action, comment=""):
    return client.post(sign_off_url(rec), {"action": action, "comment": comment}, follow=True)


@pytest.fixture
def submitted(client, rec, lead):
    """An update written by the owner and submitted for sign-off."""
    client.force_login(lead)
    write(client, rec, FIRST, version=0)
    act(client, rec, "submit")
    assert stored(rec).sign_off == SignOff.SUBMITTED
    return stored(rec)


def test_an_update_goes_from_draft_to_approved_through_the_forms_with_every_step_in_history(
    client, rec, lead, executive
):
    client.force_login(lead)
    write(client, rec, FIRST, version=0)
    assert stored(rec).sign_off == SignOff.DRAFT
    assert FIRST not in public_page(client, rec)

    client.force_login(lead)
    page = act(client, rec, "submit").content.decode()
    assert "Update for March 2026 update: awaiting sign-off." in page
    assert stored(rec).sign_off == SignOff.SUBMITTED
    assert FIRST not in public_page(client, rec)

    client.force_login(executive)
    refused = act(client, rec, "return").content.decode()
    assert "Say what needs to change when returning an update." in refused
    assert stored(rec).sign_off == SignOff.SUBMITTED
    returned = act(client, rec, "return", COMMENT).content.decode()
    assert "returned for changes" in returned
    update = stored(rec)
    assert (update.sign_off, update.reviewer_comment, update.reviewed_by) == (
        SignOff.RETURNED,
        COMMENT,
        executive,
    )
    assert FIRST not in public_page(client, rec)

    client.force_login(lead)
    form = client.get(edit_url(rec)).content.decode()
    assert COMMENT in form
    write(client, rec, SECOND, submit=True)
    assert stored(rec).sign_off == SignOff.SUBMITTED
    assert SECOND not in public_page(client, rec)

    client.force_login(executive)
    page = act(client, rec, "approve").content.decode()
    assert "Update for March 2026 update: approved." in page
    update = stored(rec)
    assert (update.sign_off, update.reviewed_by, update.text) == (
        SignOff.APPROVED,
        executive,
        SECOND,
    )
    public = public_page(client, rec)
    assert SECOND in public and FIRST not in public

    steps = [
        (record.sign_off, record.history_user, record.history_change_reason)
        for record in update.history.order_by("history_date", "history_id")
    ]
    assert steps == [
        (SignOff.DRAFT, lead, None),
        (SignOff.SUBMITTED, lead, "Submitted for sign-off"),
        (SignOff.RETURNED, executive, "Returned for changes"),
        (SignOff.SUBMITTED, lead, None),
        (SignOff.APPROVED, executive, "Approved"),
    ]
    client.force_login(lead)
    page = client.get(rec.get_absolute_url()).content.decode()
    assert "Returned for changes" in page and "Approved" in page
    assert executive.get_full_name() in page


def test_a_lead_cannot_approve_and_nothing_changes(client, rec, lead, colleague, submitted):
    for who in (lead, colleague):
        client.force_login(who)
        response = client.post(sign_off_url(rec), {"action": "approve"})
        assert response.status_code == 403
        assert "Only executives sign updates off." in response.content.decode()
    update = stored(rec)
    assert update.sign_off == SignOff.SUBMITTED
    assert update.history.count() == submitted.history.count()


@pytest.mark.parametrize("who", ["colleague", "outsider", "administrator"])
def test_only_executives_may_return_an_update(client, rec, submitted, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.post(sign_off_url(rec), {"action": "return", "comment": "No."})
    assert response.status_code == 403
    assert stored(rec).sign_off == SignOff.SUBMITTED
    assert stored(rec).reviewer_comment == ""


def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_changes(client, rec, submitted):
    client.logout()
    response = client.post(sign_off_url(rec), {"action": "approve"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert stored(rec).sign_off == SignOff.SUBMITTED


def test_an_executive_cannot_edit_the_narrative(client, rec, executive, submitted):
    client.force_login(executive)
    assert client.get(edit_url(rec)).status_code == 403
    response = client.post(
        edit_url(rec), {"status": Status.AT_RISK, "text": "Rewritten.", "version": 2}
    )
    assert response.status_code == 403
    update = stored(rec)
    assert (update.text, update.status, update.version) == (FIRST, Status.ON_TRACK, 1)
    page = client.get(rec.get_absolute_url()).content.decode()
    assert edit_url(rec) not in page


@pytest.mark.parametrize("who", ["colleague", "executive", "outsider"])
def test_only_the_owner_may_submit_the_update(client, rec, lead, who, request):
    client.force_login(lead)
    write(client, rec, FIRST, version=0)
    client.force_login(request.getfixturevalue(who))
    assert client.post(sign_off_url(rec), {"action": "submit"}).status_code == 403
    assert stored(rec).sign_off == SignOff.DRAFT


def test_approving_an_update_that_was_never_submitted_is_refused_with_a_message(
    client, rec, lead, executive
):
    client.force_login(lead)
    write(client, rec, FIRST, version=0)
    client.force_login(executive)
    page = act(client, rec, "approve").content.decode()
    assert "An update that is draft cannot be approved." in page
    assert stored(rec).sign_off == SignOff.DRAFT


def test_an_unknown_action_changes_nothing(client, rec, executive, submitted):
    client.force_login(executive)
    assert client.post(sign_off_url(rec), {"action": "publish"}).status_code == 404
    assert stored(rec).sign_off == SignOff.SUBMITTED


def test_editing_an_approved_update_sends_it_back_and_the_public_keeps_the_approved_text(
    client, rec, lead, executive, submitted
):
    client.force_login(executive)
    act(client, rec, "approve")
    assert FIRST in public_page(client, rec)

    client.force_login(lead)
    form = client.get(edit_url(rec)).content.decode()
    assert "The approved version stays in force" in form
    # "Save draft" keeps the draft beside the approved version, which stays in force.
    saved = client.post(
        edit_url(rec),
        {"status": Status.ON_TRACK, "text": LATER, "version": stored(rec).version},
        follow=True,
    )
    assert "The approved version stays in force" in saved.content.decode()
    update = stored(rec)
    assert (update.sign_off, update.text, update.approved_text) == (SignOff.DRAFT, LATER, FIRST)
    public = public_page(client, rec)
    assert FIRST in public and LATER not in public

    # "Save and submit for sign-off" sends it to an executive; still the approved words stand.
    client.force_login(lead)
    write(client, rec, LATER, submit=True)
    update = stored(rec)
    assert (update.sign_off, update.text) == (SignOff.SUBMITTED, LATER)
    public = public_page(client, rec)
    assert FIRST in public
    assert LATER not in public

    client.force_login(executive)
    act(client, rec, "approve")
    public = public_page(client, rec)
    assert LATER in public and FIRST not in public


def test_the_executive_sees_the_review_form_and_the_lead_does_not(
    client, rec, lead, executive, submitted
):
    client.force_login(executive)
    page = client.get(rec.get_absolute_url()).content.decode()
    assert 'value="approve"' in page and 'value="return"' in page
    client.force_login(lead)
    page = client.get(rec.get_absolute_url()).content.decode()
    assert 'value="approve"' not in page and 'value="return"' not in page

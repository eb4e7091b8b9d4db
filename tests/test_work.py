"""A lead's "My work" and an executive's sign-off queue."""

import datetime as dt

import pytest
from django.urls import reverse

from recommendations import services
from recommendations.choices import SignOff, Status
from recommendations.models import StatusUpdate
from recommendations.work import word_diff
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(demo_plan):
    """The demo plan with a period for now, and a lead's updates in each state."""
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    june = services.add_period(
        plan=demo_plan, label="June 2026 update", return_due=dt.date(2026, 7, 14)
    )
    seven = demo_plan.recommendations.get(number="7")
    ten = demo_plan.recommendations.get(number="10")
    draft = services.record_update(
        recommendation=seven, period=june, status=Status.ON_TRACK, text="Half done.",
        author=users["lead"], submit=True,
    )  # fmt: skip
    services.change_sign_off(
        update=draft, to=SignOff.RETURNED, by=users["executive"], comment="Say when it ends."
    )
    seven.due_date = dt.date(2020, 1, 1)
    seven.save()
    return {"users": users, "june": june, "seven": seven, "ten": ten, "plan": demo_plan}


def test_a_lead_lands_on_their_work_with_the_returned_update_and_its_comment_first(client, day):
    client.force_login(day["users"]["lead"])
    page = client.get(reverse("home"), follow=True).content.decode()
    assert "<h1>My work</h1>" in page
    returned = page.index("Returned for changes (1)")
    assert returned < page.index("Say when it ends.") < page.index("Updates due for the latest")
    edit = reverse("update_edit", args=[day["plan"].slug, "7", day["june"].pk])
    assert edit in page
    # Recommendation 10 has nothing for June; 7 is overdue.
    assert reverse("update_edit", args=[day["plan"].slug, "10", day["june"].pk]) in page
    assert "Overdue (2)" in page  # 7 moved back to 2020; 10 due by 27 March 2025


def test_another_lead_sees_none_of_it(client, day, colleague):
    client.force_login(colleague)
    page = client.get(reverse("my_work")).content.decode()
    assert "Say when it ends." not in page and "Nothing needs you now" in page


def test_the_queue_shows_what_changed_since_the_approved_version(client, day):
    users = day["users"]
    march = StatusUpdate.objects.get(recommendation=day["ten"], period__label="March 2026 update")
    services.record_update(
        recommendation=day["ten"], period=march.period, status=Status.COMPLETE,
        text=march.text + " Training refreshed in May.", author=users["lead"], submit=True,
        no_evidence_reason="Course register kept by the college.",
    )  # fmt: skip
    client.force_login(users["executive"])
    page = client.get(reverse("sign_off_queue")).content.decode()
    assert "<ins> Training refreshed in May.</ins>" in page
    assert "<del>" in page  # the status moved: the approved badge struck through
    response = client.post(
        reverse("queue_decide", args=[march.pk]), {"action": "approve", "comment": ""}
    )
    assert response.status_code == 302 and response.url == reverse("sign_off_queue")
    march.refresh_from_db()
    assert march.sign_off == SignOff.APPROVED and march.approved_status == Status.COMPLETE


def test_returning_from_the_queue_needs_a_comment_beside_its_field(client, day):
    users = day["users"]
    update = StatusUpdate.objects.get(recommendation=day["seven"], period=day["june"])
    services.change_sign_off(update=update, to=SignOff.SUBMITTED, by=users["lead"])
    client.force_login(users["executive"])
    response = client.post(reverse("queue_decide", args=[update.pk]), {"action": "return"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and 'aria-invalid="true"' in page
    assert StatusUpdate.objects.get(pk=update.pk).sign_off == SignOff.SUBMITTED


def test_an_executive_is_not_offered_to_approve_their_own_update(client, day):
    both = UserFactory(username="both", role="Executive")
    update = services.record_update(
        recommendation=day["ten"], period=day["june"], status="", text="Mine.", author=both,
        submit=True,
    )  # fmt: skip
    client.force_login(both)
    page = client.get(reverse("sign_off_queue")).content.decode()
    assert "another executive signs it off" in page
    response = client.post(reverse("queue_decide", args=[update.pk]), {"action": "approve"})
    assert response.status_code == 400
    assert StatusUpdate.objects.get(pk=update.pk).sign_off == SignOff.SUBMITTED


@pytest.mark.parametrize("who", ["lead", "outsider"])
def test_only_executives_open_the_queue(client, request, who, day):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("sign_off_queue")).status_code == 403
    update = StatusUpdate.objects.filter(sign_off=SignOff.RETURNED).get()
    assert (
        client.post(reverse("queue_decide", args=[update.pk]), {"action": "approve"}).status_code
        == 403
    )


def test_words_added_and_removed_are_told_apart():
    pieces = word_diff("Training booked for May.", "Training delivered in May.")
    assert [(p.kind, p.text) for p in pieces] == [
        ("same", "Training "),
        ("removed", "booked for"),
        ("added", "delivered in"),
        ("same", " May."),
    ]

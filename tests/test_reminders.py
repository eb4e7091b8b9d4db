import datetime as dt
import smtplib
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.utils import timezone

from recommendations import reminders, services
from recommendations.choices import SignOff, Status
from recommendations.models import ReminderSent
from tests.factories import (
    OwnerFactory,
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PAST = dt.date(2020, 1, 1)
FUTURE = dt.date(2099, 1, 1)


def run(*args: str) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def sent_to() -> dict[str, mail.EmailMessage]:
    by_address = {}
    for message in mail.outbox:
        assert len(message.to) == 1
        assert message.to[0] not in by_address, f"two messages to {message.to[0]}"
        by_address[message.to[0]] = message
    return by_address


@pytest.fixture
def world():
    """Owners with something and nothing to do, and executives with and without an email.

    The plan's current return ("Spring update") is due in five days.
    """
    plan = PlanFactory(slug="stalking", title="Stalking plan")
    PeriodFactory(plan=plan, label="Initial response", position=0, return_due=PAST)
    spring = PeriodFactory(
        plan=plan,
        label="Spring update",
        position=1,
        return_due=TODAY + dt.timedelta(days=5),
    )
    alice = OwnerFactory(name="Alice Able", email="alice@example.invalid")
    bob = OwnerFactory(name="Bob Busy", email="bob@example.invalid")
    carol_account = UserFactory(username="carol", email="carol.account@example.invalid")
    carol = OwnerFactory(name="Carol Cole", email="", user=carol_account)
    dan = OwnerFactory(name="Dan Done", email="dan@example.invalid")

    def rec(number, owner, **kwargs):
        kwargs.setdefault("due_date", FUTURE)
        return RecommendationFactory(plan=plan, number=number, owner=owner, **kwargs)

    recs = {
        "nothing yet": rec("1", alice),
        "overdue": rec("2", alice, due_date=PAST),
        "approved": rec("3", bob),
        "draft": rec("4", carol),
        "submitted": rec("5", dan),
    }
    StatusUpdateFactory(recommendation=recs["overdue"], period=spring, status=Status.AT_RISK)
    StatusUpdateFactory(recommendation=recs["approved"], period=spring)
    StatusUpdateFactory(recommendation=recs["draft"], period=spring, sign_off=SignOff.DRAFT)
    StatusUpdateFactory(
        recommendation=recs["submitted"],
        period=spring,
        sign_off=SignOff.SUBMITTED,
        author=UserFactory(username="dan", first_name="Dan", last_name="Done"),
    )
    UserFactory(username="exec", email="exec@example.invalid", role="Executive")
    UserFactory(username="exec-no-mail", email="", role="Executive")
    UserFactory(username="a-lead", email="lead@example.invalid", role="Lead")
    return recs


def test_each_owner_gets_one_digest_of_their_due_and_overdue_recommendations(world):
    run()
    messages = sent_to()
    assert set(messages) == {
        "alice@example.invalid",
        "carol.account@example.invalid",  # no owner email: the linked account's
        "exec@example.invalid",
    }
    alice = messages["alice@example.invalid"]
    assert alice.subject == "Action plans: 1 update due, 1 overdue recommendation"
    due, overdue = alice.body.split("OVERDUE RECOMMENDATIONS")
    assert "recommendation 1\n  Spring update, due" in due
    assert "no update recorded yet" in due
    assert "http://127.0.0.1:8000/plans/stalking/recommendations/1/" in due
    assert "recommendation 2\n  Due 1 January 2020; latest status: At risk" in overdue
    assert "recommendation 3" not in alice.body
    carol = messages["carol.account@example.invalid"].body
    assert "recommendation 4\n  Spring update" in carol and "draft, not yet submitted" in carol


def test_executives_get_one_digest_of_what_awaits_sign_off(world):
    run()
    message = sent_to()["exec@example.invalid"]
    assert message.subject == "Action plans: 1 update awaiting your sign-off"
    assert "Stalking plan, recommendation 5\n  Spring update: On track, recorded by Dan Done" in (
        message.body
    )
    assert "http://127.0.0.1:8000/dashboard/" in message.body
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_people_with_nothing_to_report_get_nothing(world):
    run()
    addresses = set(sent_to())
    assert "bob@example.invalid" not in addresses  # approved and not overdue
    assert "dan@example.invalid" not in addresses  # submitted: now the executive's turn
    assert "lead@example.invalid" not in addresses  # owns nothing, not an executive


def test_nothing_to_report_anywhere_sends_and_records_nothing(db):
    OwnerFactory(email="idle@example.invalid")
    UserFactory(username="exec", email="exec@example.invalid", role="Executive")
    assert "Sent 0 digests" in run()
    assert mail.outbox == []
    assert not ReminderSent.objects.exists()


def test_a_second_run_the_same_day_sends_nothing(world):
    run()
    assert len(mail.outbox) == 3
    output = run()
    assert len(mail.outbox) == 3
    assert "Sent 0 digests; 3 already sent today with nothing new." in output
    assert ReminderSent.objects.count() == 3
    record = ReminderSent.objects.get(email="alice@example.invalid")
    assert record.kind == ReminderSent.Kind.OWNER and record.sent_on == TODAY
    assert record.items == [
        f"due:{world['nothing yet'].pk}:{world['nothing yet'].plan.periods.last().pk}",
        f"overdue:{world['overdue'].pk}",
    ]


def test_something_new_the_same_day_goes_only_to_whom_it_concerns_marked_new(world):
    run()
    mail.outbox.clear()
    services.change_sign_off(update=world["draft"].updates.get(), to=SignOff.SUBMITTED, by=None)
    run()
    assert set(sent_to()) == {"exec@example.invalid"}
    body = mail.outbox[0].body
    assert mail.outbox[0].subject == "Action plans: 2 updates awaiting your sign-off"
    assert "- NEW: Stalking plan, recommendation 4" in body
    assert "- Stalking plan, recommendation 5" in body


def test_the_next_day_everything_current_is_sent_again(world):
    reminders.send_reminders()
    mail.outbox.clear()
    result = reminders.send_reminders(today=TODAY + dt.timedelta(days=1))
    assert len(result.sent) == 3 and not result.already_sent
    assert len(mail.outbox) == 3
    assert "NEW:" not in mail.outbox[0].body


def test_a_return_further_ahead_than_the_window_is_not_chased_yet(world):
    later = PlanFactory(slug="later")
    PeriodFactory(plan=later, label="Autumn update", return_due=TODAY + dt.timedelta(days=20))
    RecommendationFactory(plan=later, number="9", owner=OwnerFactory(email="eve@example.invalid"))
    run()
    assert "eve@example.invalid" not in sent_to()
    mail.outbox.clear()
    run("--days", "30")
    assert "Autumn update, due" in sent_to()["eve@example.invalid"].body


def test_a_late_return_is_chased_until_the_next_one_comes_due(db):
    plan = PlanFactory(slug="late")
    late = PeriodFactory(plan=plan, label="Summer update", return_due=TODAY - dt.timedelta(3))
    owner = OwnerFactory(email="fay@example.invalid")
    rec = RecommendationFactory(plan=plan, number="3", owner=owner)
    StatusUpdateFactory(
        recommendation=rec, period=late, sign_off=SignOff.RETURNED, reviewer_comment="More"
    )
    run()
    body = sent_to()["fay@example.invalid"].body
    assert "LATE UPDATES" in body
    assert "Summer update, due" in body and "returned for changes" in body

    PeriodFactory(plan=plan, label="Winter update", return_due=TODAY + dt.timedelta(10))
    mail.outbox.clear()
    reminders.send_reminders(today=TODAY + dt.timedelta(days=1))
    body = sent_to()["fay@example.invalid"].body
    assert "Winter update, due" in body and "Summer update" not in body


def test_a_closed_recommendation_is_not_chased_for_an_update_it_has_not_started(db):
    plan = PlanFactory(slug="closing")
    first = PeriodFactory(plan=plan, position=0)
    PeriodFactory(plan=plan, position=1, return_due=TODAY + dt.timedelta(2))
    owner = OwnerFactory(email="gil@example.invalid")
    closed = RecommendationFactory(plan=plan, number="1", owner=owner)
    StatusUpdateFactory(recommendation=closed, period=first, status=Status.CLOSED)
    open_one = RecommendationFactory(plan=plan, number="2", owner=owner)
    StatusUpdateFactory(recommendation=open_one, period=first, status=Status.ON_TRACK)
    run()
    body = sent_to()["gil@example.invalid"].body
    assert "recommendation 2" in body and "recommendation 1\n" not in body


def test_owners_sharing_an_address_get_one_digest_listing_both(db):
    plan = PlanFactory(slug="shared")
    for number, name in (("1", "Hal Hart"), ("2", "Hal Hart (deputy)")):
        owner = OwnerFactory(
            name=name, email="HAL@example.invalid" if number == "1" else "hal@example.invalid"
        )
        RecommendationFactory(plan=plan, number=number, owner=owner, due_date=PAST)
    run()
    assert len(mail.outbox) == 1
    assert "recommendation 1" in mail.outbox[0].body and "recommendation 2" in mail.outbox[0].body


def test_links_start_with_the_base_url_and_text_is_not_html_escaped(world, settings):
    plan = world["nothing yet"].plan
    plan.title = "Stalking & harassment plan"
    plan.save()
    run("--base-url", "https://plans.example.police.uk/")
    body = sent_to()["alice@example.invalid"].body
    assert "Stalking & harassment plan, recommendation 1" in body
    assert "https://plans.example.police.uk/plans/stalking/recommendations/1/" in body

    settings.SITE_URL = "https://tracker.example.invalid"
    reminders.send_reminders(today=TODAY + dt.timedelta(days=1))
    assert "https://tracker.example.invalid/plans/stalking/" in mail.outbox[-1].body


def test_a_dry_run_prints_the_digests_and_sends_and_records_nothing(world):
    output = run("--dry-run")
    assert "Would send to alice@example.invalid: Action plans: 1 update due" in output
    assert "Hello Supt Alice Able," in output
    assert "Would send 3 digests" in output
    assert mail.outbox == []
    assert not ReminderSent.objects.exists()


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"x": (550, b"No such user")})


def test_a_refused_message_is_not_recorded_and_goes_out_next_run(world, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingBackend"
    with pytest.raises(CommandError, match="3 digests could not be sent"):
        run()
    assert not ReminderSent.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run()
    assert len(mail.outbox) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--days", "-1"), "--days must be a whole number from 0 to 366"),
        (("--days", "many"), "invalid int value"),
        (("--base-url", "plans.example"), "--base-url must be a web address"),
    ],
)
def test_bad_options_are_refused_with_a_message(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert mail.outbox == []

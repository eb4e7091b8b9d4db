"""Writes to different plans never wait for one another.

One database connection (a thread of its own) makes a change and keeps its transaction open;
the main thread then makes another change on its own connection, with PostgreSQL's
`lock_timeout` set so that waiting for a lock the first transaction holds fails at once
instead of hanging. Only PostgreSQL can show this: SQLite locks the whole file for every
writer, whatever they write.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import OperationalError, connection, connections, transaction

from recommendations import page_cache, services
from recommendations.choices import SignOff, Status
from recommendations.models import Plan, Recommendation, ReportRecommendation, StatusUpdate
from tests.factories import (
    OrganisationFactory,
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    ReportFactory,
    StatusUpdateFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL: SQLite locks the whole database for every writer",
    ),
]

# Long enough for any write of these to finish when nothing blocks it; a wait for a lock the
# other transaction holds would last until that transaction ends, so it fails instead.
LOCK_TIMEOUT = "3s"


def plan_with_work(slug: str, lead, **plan) -> dict:
    plan = PlanFactory(slug=slug, title=f"Plan {slug}", **plan)
    period = PeriodFactory(plan=plan, label="March update", position=0)
    rec = RecommendationFactory(plan=plan, number="1", owner=lead.owner, due_date=None)
    submitted = StatusUpdateFactory(
        recommendation=RecommendationFactory(plan=plan, number="2", owner=lead.owner),
        period=period,
        text="Ready for sign-off.",
        sign_off=SignOff.SUBMITTED,
    )
    return {"plan": plan, "period": period, "rec": rec, "submitted": submitted}


def record(objects: dict, people: dict) -> None:
    services.record_update(
        recommendation=objects["rec"],
        period=objects["period"],
        status=Status.ON_TRACK,
        text=f"Progress on {objects['plan'].slug}.",
        author=people["lead"],
    )


def approve(objects: dict, people: dict) -> None:
    services.change_sign_off(update=objects["submitted"], to=SignOff.APPROVED, by=people["exec"])


def move_deadline(objects: dict, people: dict) -> None:
    services.change_due_date(
        recommendation=objects["rec"],
        new_date=dt.date(2099, 6, 30),
        reason="Supplier delay",
        by=people["admin"],
    )


def add_recommendation(objects: dict, people: dict) -> None:
    services.add_recommendation(
        plan=objects["plan"], number="3", text="A new recommendation.", by=people["admin"]
    )


def rename_plan(objects: dict, people: dict) -> None:
    services.change_plan(plan=objects["plan"], by=people["admin"], title="Renamed plan")


def new_owner(objects: dict, people: dict) -> None:
    # As an import does, in the same transaction as the plan it writes.
    owner = services.create_owner(name="Imported Person", rank="Supt", by=people["admin"])
    services.add_recommendation(
        plan=objects["plan"], number="4", text="Imported.", owner=owner, by=people["admin"]
    )


WRITES: dict[str, Callable[[dict, dict], None]] = {
    "record an update": record,
    "approve an update": approve,
    "move a deadline": move_deadline,
    "add a recommendation": add_recommendation,
    "rename the plan": rename_plan,
    "add an owner and a recommendation": new_owner,
}


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """The roles' groups, which every test here flushes with the rest of the database."""
    for name in ("Lead", "Executive", "Administrator"):
        Group.objects.get_or_create(name=name)


@pytest.fixture
def people(lead):
    return {
        "lead": lead,
        "exec": UserFactory(username="approving-executive", role="Executive"),
        "admin": UserFactory(username="setting-up-admin", role="Administrator"),
    }


@pytest.fixture
def plans(lead):
    """Two forces' plans answering one report, whose recommendations the report makes (as a
    report does: defining a new recommendation of the report is a change to the report, which
    every plan answering it shares)."""
    report = ReportFactory()
    for number in ("1", "2", "3", "4"):
        ReportRecommendation.objects.create(report=report, number=number, text=f"Do {number}.")
    return (
        plan_with_work("plan-a", lead, report=report),
        plan_with_work("plan-b", lead, report=report, organisation=OrganisationFactory()),
    )


def hold_open(write: Callable[[], None]):
    """Run `write` on a connection of its own and keep its transaction open until released."""
    done, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            with transaction.atomic():
                write()
                done.set()
                release.wait(timeout=60)
        except BaseException as error:
            failure.append(error)
            done.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert done.wait(timeout=60), "the first write never finished"
    assert not failure, failure
    return thread, release, failure


def write_without_waiting(write: Callable[[], None]) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        try:
            write()
        except OperationalError as error:
            pytest.fail(f"the second write waited for the first one's locks: {error}")


@pytest.mark.parametrize("second", WRITES)
@pytest.mark.parametrize("first", WRITES)
def test_a_write_to_one_plan_never_waits_for_an_open_write_to_another(first, second, plans, people):
    plan_a, plan_b = plans
    site_before = page_cache.site_token()
    tokens_before = dict(Plan.objects.values_list("slug", "revision__token"))
    thread, release, failure = hold_open(lambda: WRITES[first](plan_a, people))
    try:
        # The first transaction is still open: its change is not visible here yet.
        assert Plan.objects.get(pk=plan_a["plan"].pk).revision.token == tokens_before["plan-a"]
        write_without_waiting(lambda: WRITES[second](plan_b, people))
        assert page_cache.site_token() != site_before
    finally:
        release.set()
        thread.join(timeout=60)
    assert not failure, failure
    tokens_after = dict(Plan.objects.values_list("slug", "revision__token"))
    assert tokens_after["plan-a"] != tokens_before["plan-a"]
    assert tokens_after["plan-b"] != tokens_before["plan-b"]
    # Recommendations added answer the report's own: "3" means the same in both plans.
    added = Recommendation.objects.filter(number__in=["3", "4"])
    assert all(rec.report_recommendation_id is not None for rec in added)


def test_a_write_to_a_plan_never_waits_for_an_account_being_renamed(plans, people):
    """Names show on every page that spans plans, but renaming someone locks no plan."""
    _, plan_b = plans
    site_before = page_cache.site_token()

    def rename() -> None:
        user = get_user_model().objects.get(username="approving-executive")
        user.first_name = "Renamed"
        user.save()

    thread, release, failure = hold_open(rename)
    try:
        write_without_waiting(lambda: record(plan_b, people))
    finally:
        release.set()
        thread.join(timeout=60)
    assert not failure, failure
    assert page_cache.site_token() != site_before


def test_the_lock_timeout_does_catch_a_wait(plans, people):
    """The check above can fail: two writes to the same update do wait, and are caught."""
    plan_a, _ = plans
    thread, release, failure = hold_open(lambda: record(plan_a, people))
    try:
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '100ms'")
            record(plan_a, people)
    finally:
        release.set()
        thread.join(timeout=60)
    assert not failure, failure
    assert StatusUpdate.objects.filter(recommendation=plan_a["rec"]).count() == 1

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, Max
from django.utils import timezone

from recommendations.choices import SignOff
from recommendations.generate import DEFAULT_PASSWORD, DemoSize, generate
from recommendations.models import (
    DueDateChange,
    Owner,
    Plan,
    Recommendation,
    ReportingPeriod,
    StatusUpdate,
    natural_key,
)
from recommendations.queries import plan_table

pytestmark = pytest.mark.django_db

SIZE = {"plans": 3, "recommendations": 6, "subs": 2, "periods": 4, "edits": 3}


@pytest.fixture
def generated():
    call_command("generate_demo", *(f"--{name}={value}" for name, value in SIZE.items()))


def test_generate_demo_makes_every_plan_with_the_asked_shape(generated):
    plans, recs, subs, periods = (
        SIZE["plans"],
        SIZE["plans"] * SIZE["recommendations"],
        SIZE["subs"],
        SIZE["periods"],
    )
    assert Plan.objects.count() == plans
    assert Recommendation.objects.top_level().count() == recs
    assert Recommendation.objects.filter(parent__isnull=False).count() == recs * subs
    assert ReportingPeriod.objects.count() == plans * periods
    # An update in every period for every recommendation.
    assert StatusUpdate.objects.count() == recs * periods
    assert not StatusUpdate.objects.filter(text="").exists()


def test_every_update_has_a_draft_and_each_edit_in_its_history_with_its_author(generated):
    per_update = StatusUpdate.history.values("id").annotate(n=Count("history_id"))
    assert min(row["n"] for row in per_update) >= 1 + SIZE["edits"]
    assert not StatusUpdate.history.filter(history_user__isnull=True).exists()
    for model in (Plan, ReportingPeriod, Recommendation, Owner):
        assert model.history.count() >= model.objects.count()
        assert not model.history.filter(history_user__isnull=True).exists()
    first_drafts = StatusUpdate.history.filter(history_type="+")
    assert first_drafts.count() == StatusUpdate.objects.count()
    assert set(first_drafts.values_list("version", flat=True)) == {1}
    assert StatusUpdate.objects.aggregate(v=Max("version"))["v"] == 1 + SIZE["edits"]


def test_the_latest_history_row_of_every_update_is_what_the_update_holds(generated):
    latest = {}
    for record in StatusUpdate.history.order_by("history_date", "history_id"):
        latest[record.id] = record
    updates = list(StatusUpdate.objects.all())
    assert updates
    for update in updates:
        record = latest[update.pk]
        assert (record.text, record.version, record.sign_off, record.status) == (
            update.text,
            update.version,
            update.sign_off,
            update.status,
        )


def test_history_is_dated_in_the_past_and_in_order_for_each_update(generated):
    now = timezone.now()
    dates: dict[int, list[dt.datetime]] = {}
    for record in StatusUpdate.history.order_by("history_id"):
        assert record.history_date < now
        dates.setdefault(record.id, []).append(record.history_date)
    assert dates
    assert all(moments == sorted(moments) for moments in dates.values())


def test_owners_are_leads_who_can_sign_in_and_a_few_executives_sign_off(generated):
    User = get_user_model()
    owners = Owner.objects.select_related("user")
    assert owners.exists()
    assert all(owner.user is not None and owner.email and owner.rank for owner in owners)
    leads = User.objects.filter(groups__name="Lead")
    executives = User.objects.filter(groups__name="Executive")
    assert leads.exists()
    assert 2 <= executives.count() <= 5
    assert leads.first().check_password(DEFAULT_PASSWORD)
    # Each account belongs to the deployment's own organisation, as one the services make.
    assert User.objects.exists()
    assert not User.objects.filter(account__isnull=True).exists()
    assert set(User.objects.values_list("account__organisation__name", flat=True)) == {
        settings.FORCE_NAME
    }
    reviewers = set(
        StatusUpdate.objects.filter(sign_off=SignOff.APPROVED).values_list(
            "reviewed_by__groups__name", flat=True
        )
    )
    assert reviewers == {"Executive"}
    assert StatusUpdate.objects.filter(sign_off=SignOff.SUBMITTED).exists()


def test_recommendations_sort_naturally_and_keep_their_original_due_date(generated):
    recs = list(Recommendation.objects.all())
    assert any(rec.parent_id for rec in recs) and any(not rec.parent_id for rec in recs)
    for rec in recs:
        assert rec.sort_key == natural_key(rec.number)
        if rec.parent_id is None:
            assert rec.original_due_date is not None
    moved = Recommendation.objects.filter(due_date_changes__isnull=False).distinct()
    assert moved.exists()
    for rec in moved:
        changes = list(rec.due_date_changes.order_by("changed_at"))
        assert changes[0].old_date == rec.original_due_date
        assert changes[-1].new_date == rec.due_date
        assert all(change.reason for change in changes)
        assert rec.history.filter(history_type="~", due_date=rec.due_date).exists()


def test_a_generated_plan_loads_in_the_plan_table_as_it_stood_in_the_past(generated):
    plan = Plan.objects.order_by("slug").first()
    now = plan_table(plan)
    assert now.total == SIZE["recommendations"]
    assert all(row.current is not None for row in now.rows)
    first_return = plan.periods.order_by("position").first().return_due
    as_of = timezone.make_aware(dt.datetime.combine(first_return, dt.time(23, 59)))
    then = plan_table(plan, as_of=as_of)
    # At the first return, only the first period had been written.
    assert then.rows
    assert all(row.cells[0] is not None for row in then.rows)
    assert all(cell is None for row in then.rows for cell in row.cells[1:])


def test_the_same_seed_gives_the_same_texts():
    generate(DemoSize(plans=1, recommendations=2, subs=1, periods=2, edits=1), seed=7)
    first = list(StatusUpdate.objects.order_by("pk").values_list("text", flat=True))
    Plan.objects.all().delete()
    get_user_model().objects.exclude(is_superuser=True).delete()
    generate(DemoSize(plans=1, recommendations=2, subs=1, periods=2, edits=1), seed=7)
    second = list(StatusUpdate.objects.order_by("pk").values_list("text", flat=True))
    assert first == second


def test_generating_twice_with_the_same_seed_is_refused_with_nothing_written(generated):
    before = (Plan.objects.count(), get_user_model().objects.count())
    with pytest.raises(CommandError, match="already exist"):
        call_command("generate_demo", "--plans=1")
    assert (Plan.objects.count(), get_user_model().objects.count()) == before


def test_a_size_below_one_is_refused():
    with pytest.raises(CommandError, match="plans must be at least 1"):
        call_command("generate_demo", "--plans=0")
    assert not Plan.objects.exists()


def test_moved_deadlines_are_recorded_with_who_moved_them(generated):
    assert DueDateChange.objects.exists()
    assert not DueDateChange.objects.filter(changed_by__isnull=True).exists()
    assert DueDateChange.history.count() == DueDateChange.objects.count()

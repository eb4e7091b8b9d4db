"""Two forces and the National role on every page of the tracker.

The permission matrix (tests/test_permission_matrix.py) says what each role may do to its own
organisation's plan. Here the same plan, with the same requests, is visited by the accounts of a
second force (a lead, an executive and an administrator, each with the role that would let them
in at home) and by a National account:

- another force's accounts never see or change the first force's plan, its recommendations,
  updates, evidence or returns: a page about it is a 404 (or the 403 their role gets anyway),
  and the pages spanning plans (plan list, dashboard, my work, sign-off queue) do not show it;
- a National account opens every page about the plan, its evidence and its returns, but every
  change is refused;
- in the admin, an administrator of the second force finds none of the first force's rows.

Every request is checked against a snapshot of the database: nothing changes.
"""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client
from django.urls import reverse

from recommendations import services
from recommendations.models import Plan
from tests import test_permission_matrix as matrix
from tests.factories import UserFactory
from tests.snapshots import assert_unchanged, snapshot
from tests.test_permission_matrix import PREPARE, RULES, URLS, World, keep_pending_import, send

pytestmark = pytest.mark.django_db

world = matrix.world  # the first force's plan, as the permission matrix makes it

OTHER_FORCE = ("other_lead", "other_executive", "other_administrator")
PLAN_TITLE = "Stalking action plan"  # the first force's plan, as the world names it
# Pages that show lists or counts spanning plans, where another force's plan must not appear.
SPANNING = ("plan_list", "dashboard", "my_work", "sign_off_queue")
# Read-only pages about the plan that the National role opens.
NATIONAL_READS = {
    "plan_table", "recommendation_detail", "return_xlsx", "return_pdf", "return_json",
    "return_csv", "return_progress", "return_file", "evidence_download", "public_plan:published",
    "public_return_json:published", "public_return_csv:published", "national_returns",
    "national_return_upload", "national_index", "national_report", "national_xlsx", "national_pdf",
}  # fmt: skip
# Sent on to the progress page of a return made in the background, as at home.
NATIONAL_ONWARDS = {"return_pdf:background"}


@pytest.fixture
def other_force(db):
    return services.create_organisation(name="Example Force 1", code="example-force-1")


def _member(username: str, role: str, organisation):
    user = UserFactory(username=username, role=role)
    services.set_organisation(user=user, organisation=organisation)
    return user


@pytest.fixture
def other_lead(other_force):
    return _member("other-lead", "Lead", other_force)


@pytest.fixture
def other_executive(other_force):
    return _member("other-executive", "Executive", other_force)


@pytest.fixture
def other_administrator(other_force):
    user = _member("other-administrator", "Administrator", other_force)
    assert user.__class__.objects.get(pk=user.pk).is_staff
    return user


@pytest.fixture
def national(other_force):
    """A national lead's account, of a national body of its own."""
    body = services.create_organisation(name="National lead", code="national")
    return _member("national", "National", body)


def about_the_plan(view: str) -> bool:
    """Whether the URL names the first force's plan (or one of its updates)."""
    return view.split(":")[0] not in (
        "home", "dashboard", "plan_list", "my_work", "sign_off_queue", "healthz",
        "import_upload", "import_confirm",
    ) and not view.startswith(("admin", "public_", "national_"))  # fmt: skip


def rules_for(actors) -> list:
    return [
        pytest.param(rule, actor, id=f"{rule.view}-{rule.method}-{actor}")
        for rule in RULES
        for actor in actors
    ]


def _visit(client: Client, request, world: World, rule, user, media_root):
    client.force_login(user)
    token = keep_pending_import(client, media_root) if rule.view == "import_confirm" else ""
    if rule.view in PREPARE:
        PREPARE[rule.view](world, request)
    before = snapshot()
    # As the lead who owns the recommendation would ask (a lead of another force owns none).
    response = send(client, rule, world, "lead_own", token)
    return before, response


@pytest.mark.parametrize(("rule", "actor"), rules_for(OTHER_FORCE))
def test_another_forces_accounts_neither_see_nor_change_the_plan(
    client,
    request,
    world,
    media_root,
    rule,
    actor,
):
    user = request.getfixturevalue(actor)
    before, response = _visit(client, request, world, rule, user, media_root)

    if about_the_plan(rule.view):
        assert response.status_code in (403, 404, 405), response.status_code
    page = html.unescape(response.content.decode(errors="replace"))
    if not rule.view.endswith(":published"):  # what the force publishes is for everyone
        assert PLAN_TITLE not in page
        assert world.own.text not in page or not world.own.text
    if response.status_code == 302 and rule.view != "import_upload":
        assert world.plan.slug not in response.url
    if rule.view == "import_confirm" and response.status_code == 302:
        # Their administrator may import, but into their own organisation only.
        made = Plan.objects.exclude(pk__in=[world.plan.pk, world.hidden.pk])
        assert {plan.organisation.name for plan in made} <= {"Example Force 1"}
        return
    if rule.method == "POST" and rule.view == "import_upload":
        return  # a preview waits in the session; nothing is written yet
    assert_unchanged(before)


@pytest.mark.parametrize("rule", [r for r in RULES if r.method == "GET"], ids=lambda r: r.view)
def test_the_national_role_reads_every_page_about_the_plan(
    client,
    request,
    world,
    media_root,
    national,
    rule,
):
    before, response = _visit(client, request, world, rule, national, media_root)

    if rule.view in NATIONAL_READS:
        assert response.status_code == 200, response.status_code
    if rule.view in NATIONAL_ONWARDS:
        assert response.status_code == 302
        assert response.url.startswith(reverse("plan_table", args=[world.plan.slug]))
    if rule.view in ("plan_list", "dashboard"):
        assert response.status_code == 200
        assert PLAN_TITLE in html.unescape(response.content.decode())
    assert_unchanged(before)


# Taking returns in is the one change the National role makes (tests/test_collation.py).
NATIONAL_WRITES = {"national_return_upload"}


@pytest.mark.parametrize(
    "rule",
    [r for r in RULES if r.method == "POST" and r.view not in NATIONAL_WRITES],
    ids=lambda r: r.view,
)
def test_the_national_role_changes_no_plan(
    client,
    request,
    world,
    media_root,
    national,
    rule,
):
    before, response = _visit(client, request, world, rule, national, media_root)

    assert response.status_code in (403, 404, 405), response.status_code
    assert_unchanged(before)


def test_the_pages_spanning_plans_show_each_force_its_own(
    client, world, other_force, other_executive
):
    mine = services.create_plan(
        slug="force-b-plan",
        title="Example Force 1 action plan",
        organisation=other_force,
        by=None,
    )
    client.force_login(other_executive)
    for name in SPANNING:
        page = html.unescape(client.get(reverse(name)).content.decode())
        assert PLAN_TITLE not in page, name
    assert mine.title in html.unescape(client.get(reverse("plan_list")).content.decode())
    assert mine.title in html.unescape(client.get(reverse("dashboard")).content.decode())


@pytest.mark.parametrize(
    "model", ["plan", "recommendation", "reportingperiod", "statusupdate", "evidence"]
)
def test_another_forces_administrator_finds_none_of_the_plans_rows_in_the_admin(
    client,
    world,
    other_administrator,
    model,
):
    client.force_login(other_administrator)
    listing = client.get(reverse(f"admin:recommendations_{model}_changelist"))
    assert listing.status_code == 200
    assert "0 " in listing.content.decode() or "0&nbsp;" in listing.content.decode()
    rows = {
        "plan": world.plan,
        "recommendation": world.own,
        "reportingperiod": world.submitted,
        "statusupdate": world.update(world.own, world.submitted),
        "evidence": world.evidence(world.own),
    }
    change = client.get(reverse(f"admin:recommendations_{model}_change", args=[rows[model].pk]))
    assert change.status_code in (302, 404)
    assert PLAN_TITLE not in html.unescape(change.content.decode())


def test_the_admin_offers_another_forces_administrator_only_their_own_plans(
    client, world, other_force, other_administrator
):
    mine = services.create_plan(
        slug="force-b-plan",
        title="Example Force 1 action plan",
        organisation=other_force,
        by=None,
    )
    client.force_login(other_administrator)
    page = html.unescape(
        client.get(reverse("admin:recommendations_recommendation_add")).content.decode()
    )
    assert mine.title in page
    assert PLAN_TITLE not in page
    organisations = client.get(reverse("admin:recommendations_plan_add")).content.decode()
    assert "Example Force 1" in organisations
    assert "Hampshire" not in organisations
    # Organisations, accounts and reports are the superuser's to manage.
    assert client.get(reverse("admin:recommendations_organisation_changelist")).status_code == 403


def test_a_superuser_manages_every_organisation_in_the_admin(client, world, other_force):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    assert world.plan.title in html.unescape(
        client.get(reverse("admin:recommendations_plan_changelist")).content.decode()
    )
    response = client.post(
        reverse("admin:recommendations_organisation_change", args=[other_force.pk]),
        {"name": "Example Force 1", "short_name": "EF1", "code": "example-force-1"},
    )
    assert response.status_code == 302
    other_force.refresh_from_db()
    assert other_force.short_name == "EF1"
    assert other_force.history.first().history_user == superuser


def test_every_url_about_the_plan_is_checked():
    assert {name for name in URLS if about_the_plan(name)} >= {
        "plan_table", "recommendation_detail", "update_edit", "evidence_download",
        "return_xlsx", "queue_decide:approve",
    }  # fmt: skip


# ---------------------------------------------------------------------------- the admin's edges


def test_another_forces_administrator_cannot_reach_the_plans_history_in_the_admin(
    client, world, other_administrator
):
    client.force_login(other_administrator)
    record = world.plan.history.first()
    for url in (
        reverse("admin:recommendations_plan_history", args=[world.plan.pk]),
        reverse("admin:recommendations_plan_simple_history", args=[world.plan.pk, record.pk]),
    ):
        response = client.get(url)
        assert response.status_code in (302, 404), url
        assert PLAN_TITLE not in html.unescape(response.content.decode())
    before = snapshot()
    client.post(
        reverse("admin:recommendations_plan_simple_history", args=[world.plan.pk, record.pk]),
        {"title": "Taken over", "slug": world.plan.slug, "organisation": other_administrator.pk},
    )
    assert_unchanged(before)


def test_another_forces_administrator_manages_only_their_own_accounts_and_people(
    client, world, lead, other_administrator, other_lead
):
    client.force_login(other_administrator)
    accounts = html.unescape(client.get(reverse("admin:auth_user_changelist")).content.decode())
    assert "other-lead" in accounts and "lead-owner" not in accounts
    response = client.get(reverse("admin:auth_user_change", args=[lead.pk]))
    assert response.status_code in (302, 404)
    owners = html.unescape(
        client.get(reverse("admin:recommendations_owner_changelist")).content.decode()
    )
    assert "Owning Lead" not in owners
    assert client.get(
        reverse("admin:recommendations_owner_change", args=[lead.owner.pk])
    ).status_code in (302, 404)
    # Not a superuser, nor staff by hand, nor the National role.
    page = client.get(reverse("admin:auth_user_change", args=[other_lead.pk])).content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    assert ">National<" not in page
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403
    from recommendations.models import ReminderSent

    ReminderSent.objects.create(
        email="lead-owner@example.invalid", user=lead, kind="owner", sent_on="2026-11-30",
        sent_at="2026-11-30T08:00:00Z", items=[], fingerprint="0" * 64, summary="Due soon",
    )  # fmt: skip
    sent = client.get(reverse("admin:recommendations_remindersent_changelist")).content.decode()
    assert "lead-owner@example.invalid" not in sent


def test_an_account_another_forces_administrator_adds_is_of_their_organisation(
    client, other_force, other_administrator
):
    client.force_login(other_administrator)
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "new-officer",
            "password1": "a-long-password-for-tests-2026",
            "password2": "a-long-password-for-tests-2026",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from django.contrib.auth import get_user_model

    made = get_user_model().objects.get(username="new-officer")
    assert made.account.organisation == other_force
    assert not made.is_superuser


def test_the_admins_filters_offer_only_the_organisations_own_plans(
    client, world, other_administrator
):
    client.force_login(other_administrator)
    for model in ("recommendation", "reportingperiod", "statusupdate", "evidence", "duedatechange"):
        page = html.unescape(
            client.get(reverse(f"admin:recommendations_{model}_changelist")).content.decode()
        )
        assert PLAN_TITLE not in page and "Unpublished plan" not in page, model


def test_reminders_go_to_each_force_about_its_own_plans_only(
    world, executive, other_force, other_executive, lead
):
    from recommendations import reminders
    from recommendations.models import Owner

    other_executive.email = "other-executive@example.invalid"
    other_executive.save()
    digests = reminders.executive_digests()
    assert digests, "the first force's executives hear of its updates awaiting sign-off"
    assert "other-executive@example.invalid" not in {digest.email for digest in digests}
    # An owner of the other force named in the first force's plan hears nothing of it.
    stranger = Owner.objects.create(
        name="Other Officer", email="other-officer@example.invalid", organisation=other_force
    )
    world.own.owner = stranger
    world.own.due_date = world.submitted.period_end or dt.date(2020, 1, 1)
    world.own.save()
    owners = reminders.owner_digests(today=dt.date(2031, 1, 1), days=14)
    assert "other-officer@example.invalid" not in {digest.email for digest in owners}

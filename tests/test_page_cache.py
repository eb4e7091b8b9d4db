"""The page cache (recommendations/page_cache.py) serves the plan table, the plan list and the
dashboard bodies from memory, and never serves a stale one: every kind of change shows on the
very next request, whoever made it and however, and what is cached carries nothing that
belongs to one request or one user."""

import datetime as dt
import json
import logging
import os
import pickle
import socket
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from recommendations import page_cache, services
from recommendations.backup import create_backup, restore_backup
from recommendations.choices import SignOff, Status
from recommendations.models import (
    Owner,
    Plan,
    Recommendation,
    ReportingPeriod,
    SiteRevision,
    StatusUpdate,
)
from recommendations.services import home_organisation
from tests.factories import (
    OwnerFactory,
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    SubRecommendationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PLAN_LIST = reverse("plan_list")
DASHBOARD = reverse("dashboard")
FUTURE = dt.date(2099, 1, 1)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def plan(lead):
    """A plan with two periods and two recommendations, the first owned by `lead`."""
    plan = PlanFactory(slug="cached", title="Cached plan", executive_lead=lead.owner)
    first = PeriodFactory(plan=plan, label="Initial response", position=0)
    PeriodFactory(plan=plan, label="March update", position=1)
    owned = RecommendationFactory(
        plan=plan, number="7", text="Seek changes to systems.", owner=lead.owner, due_date=FUTURE
    )
    SubRecommendationFactory(recommendation=owned, number="7.1", text="Train the call handlers.")
    other = RecommendationFactory(plan=plan, number="10", text="Review the risk tools.")
    StatusUpdateFactory(recommendation=owned, period=first, text="Work has begun.")
    StatusUpdateFactory(recommendation=other, period=first, text="Scoping the review.")
    return plan


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lead_browser(lead):
    return signed_in(lead)


@pytest.fixture
def executive_browser(executive):
    return signed_in(executive)


@pytest.fixture
def admin_browser(administrator):
    administrator.is_staff = True
    administrator.save()
    return signed_in(administrator)


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def warm(client, *urls) -> None:
    """Request each page twice, so that it is certainly cached."""
    for url in urls:
        page(client, url)
        page(client, url)


def queries_for(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def cached_bodies() -> list[str]:
    """Every page body held in the cache, as stored: in this process's memory, or in Redis
    when REDIS_URL is set (as in CI's PostgreSQL run)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client()
        stored = [client.get(key) for key in client.scan_iter(match="*:page:*")]
    else:
        stored = [value for key, value in backend._cache.items() if ":page:" in key]
    # What this test run itself stored.
    return [pickle.loads(value).decode() for value in stored]  # noqa: S301


def pages_of(plan) -> list[str]:
    return [plan.get_absolute_url(), PLAN_LIST, DASHBOARD]


# ---------------------------------------------------------------------------- what is cached


def test_a_second_request_is_served_from_the_cache_without_reading_the_plan(
    executive_browser, plan
):
    for url in pages_of(plan):
        first = queries_for(executive_browser, url)
        again = queries_for(executive_browser, url)
        assert len(again) < len(first), url
        # Session, user, roles, and the plan or the site's revision token: nothing else.
        assert len(again) <= 4, (url, again)
        for sql in again:
            for table in ("statusupdate", 'recommendation"', "subrecommendation", "history"):
                assert table not in sql, (url, sql)


def test_cached_bodies_hold_no_csrf_token_no_name_and_no_message(
    executive_browser, executive, plan
):
    executive.first_name, executive.last_name = "Zebedee", "Quartermaine"
    executive.save()
    warm(executive_browser, *pages_of(plan))
    bodies = cached_bodies()
    assert len(bodies) == 3
    for body in bodies:
        assert "csrfmiddlewaretoken" not in body
        assert "Zebedee" not in body and "Quartermaine" not in body
        assert "Sign out" not in body and "Signed in as" not in body
    # The page around a cached body still has them.
    full = page(executive_browser, DASHBOARD)
    assert "Signed in as Zebedee Quartermaine" in full
    assert 'name="csrfmiddlewaretoken"' in full


def test_each_person_gets_their_own_csrf_token_around_the_same_cached_body(plan, executive):
    other = UserFactory(username="second-executive", role="Executive")
    tokens = set()
    for user in (executive, other):
        text = page(signed_in(user), plan.get_absolute_url())
        token = text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        tokens.add(token)
    assert len(tokens) == 2
    assert len(cached_bodies()) == 1  # both were served the one body


def test_messages_are_shown_once_and_never_cached(lead_browser, lead, plan):
    owned = plan.recommendations.get(number="7")
    period = plan.periods.get(position=1)
    url = reverse("update_edit", args=[plan.slug, owned.number, period.pk])
    warm(lead_browser, plan.get_absolute_url())
    lead_browser.post(url, {"status": "on_track", "text": "Saved once.", "version": 0})
    assert "Update for March update saved as a draft." in page(
        lead_browser, plan.get_absolute_url()
    )
    assert "saved as a draft" not in page(lead_browser, plan.get_absolute_url())
    bodies = cached_bodies()
    assert bodies and all("saved as a draft" not in body for body in bodies)


def test_the_as_at_picker_allows_up_to_the_minute_of_each_request(
    executive_browser, plan, monkeypatch
):
    moment = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 15))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert 'max="2026-03-02T09:15"' in page(executive_browser, plan.get_absolute_url())
    later = moment + dt.timedelta(minutes=7)
    monkeypatch.setattr(timezone, "now", lambda: later)
    text = page(executive_browser, plan.get_absolute_url())
    assert 'max="2026-03-02T09:22"' in text
    assert len(cached_bodies()) == 1


def test_filters_are_part_of_the_key_and_parameters_that_change_nothing_are_not(
    executive_browser, plan
):
    url = plan.get_absolute_url()
    everything = page(executive_browser, url)
    only_seven = page(executive_browser, url + "?q=systems")
    assert "Review the risk tools." in everything
    assert "Review the risk tools." not in only_seven
    assert "Showing 1 of 2 recommendations" in only_seven
    assert '<input type="hidden" name="q" value="systems">' in only_seven
    again = queries_for(executive_browser, url + "?q=systems&utm_source=mail")
    assert len(again) <= 4
    assert len(cached_bodies()) == 2


def test_page_cache_off_renders_every_time(executive_browser, plan, settings):
    settings.PAGE_CACHE = False
    page(executive_browser, PLAN_LIST)  # the first request refreshes the session
    for url in pages_of(plan):
        assert len(queries_for(executive_browser, url)) == len(queries_for(executive_browser, url))
    assert cached_bodies() == []


# ---------------------------------------------------------------------------- who sees what


def test_people_with_different_rights_never_see_each_others_cached_links(
    plan, admin_browser, executive_browser, lead_browser
):
    import_link = reverse("import_upload")
    # The administrator fills the cache first, then the others ask; then the other way round.
    assert import_link in page(admin_browser, PLAN_LIST)
    assert import_link not in page(executive_browser, PLAN_LIST)
    assert import_link not in page(lead_browser, PLAN_LIST)
    cache.clear()
    assert import_link not in page(lead_browser, PLAN_LIST)
    assert import_link not in page(executive_browser, PLAN_LIST)
    assert import_link in page(admin_browser, PLAN_LIST)


def test_the_set_up_link_of_an_empty_dashboard_is_for_administrators_only(
    admin_browser, executive_browser
):
    add_plan = reverse("admin:recommendations_plan_add")
    assert add_plan not in page(executive_browser, DASHBOARD)
    assert add_plan in page(admin_browser, DASHBOARD)
    assert add_plan not in page(executive_browser, DASHBOARD)


# ---------------------------------------------------------------------------- changes show at once


def test_a_status_update_saved_through_the_form_shows_everywhere(
    lead_browser, executive_browser, plan
):
    owned = plan.recommendations.get(number="7")
    period = plan.periods.get(position=1)
    warm(executive_browser, *pages_of(plan))
    warm(lead_browser, plan.get_absolute_url(), PLAN_LIST)
    response = lead_browser.post(
        reverse("update_edit", args=[plan.slug, owned.number, period.pk]),
        {"status": "complete", "text": "All systems changed.", "version": 0,
         "no_evidence_reason": "Seen by the inspector.", "submit": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    for client in (lead_browser, executive_browser):
        assert "All systems changed." in page(client, plan.get_absolute_url())
    dashboard = page(executive_browser, DASHBOARD)
    assert "changed the update of" in dashboard or "added the update of" in dashboard
    assert "(March update): Status Complete" in dashboard
    assert '<td class="numeric">0</td>' in page(lead_browser, PLAN_LIST)  # not yet approved
    services.change_sign_off(
        update=StatusUpdate.objects.get(recommendation=owned, period=period),
        to=SignOff.APPROVED,
        by=UserFactory(username="another-executive", role="Executive"),
    )
    listing = page(lead_browser, PLAN_LIST)
    assert '<td class="numeric">1</td>' in listing  # one complete or closed, once approved


def test_a_sign_off_shows_at_once(lead_browser, executive_browser, plan):
    owned = plan.recommendations.get(number="7")
    period = plan.periods.get(position=1)
    services.record_update(
        recommendation=owned, period=period, status=Status.ON_TRACK, text="Ready.",
        author=None, sign_off=SignOff.SUBMITTED,
    )  # fmt: skip
    warm(executive_browser, *pages_of(plan))
    assert '<span class="tag tag-submitted">' in page(executive_browser, plan.get_absolute_url())
    response = executive_browser.post(
        reverse("update_sign_off", args=[plan.slug, owned.number, period.pk]),
        {"action": "approve"},
    )
    assert response.status_code == 302
    assert '<span class="tag tag-submitted">' not in page(
        executive_browser, plan.get_absolute_url()
    )
    assert "(March update): Sign-off Awaiting sign-off → Approved" in page(
        executive_browser, DASHBOARD
    )


def test_evidence_attached_and_removed_shows_in_the_recent_activity(
    lead_browser, executive_browser, plan
):
    owned = plan.recommendations.get(number="7")
    update = owned.updates.get()
    warm(executive_browser, DASHBOARD)
    response = lead_browser.post(
        reverse("evidence_upload", args=[plan.slug, owned.number, update.period_id]),
        {"file": SimpleUploadedFile("training.pdf", PDF), "description": "Figures"},
    )
    assert response.status_code == 302
    assert "attached evidence to" in page(executive_browser, DASHBOARD)

    evidence = update.evidence.get()
    response = lead_browser.post(
        reverse("evidence_remove", args=[plan.slug, evidence.pk]), {"reason": "Wrong file"}
    )
    assert response.status_code == 302
    assert "removed evidence from" in page(executive_browser, DASHBOARD)


def test_a_moved_due_date_shows_at_once(admin_browser, executive_browser, plan):
    owned = plan.recommendations.get(number="7")
    warm(executive_browser, *pages_of(plan))
    response = admin_browser.post(
        reverse("due_date_edit", args=[plan.slug, owned.number]),
        {"new_date": "2099-06-30", "reason": "Supplier delay", "version": owned.version},
    )
    assert response.status_code == 302
    table = page(executive_browser, plan.get_absolute_url())
    assert "Due 30 Jun 2099" in table and "Moved 1 time" in table
    assert "moved the due date of" in page(executive_browser, DASHBOARD)


def test_a_change_by_another_process_shows_on_the_next_request(
    executive_browser, plan, monkeypatch
):
    """Another server process has its own cache, which this one never sees: the change must
    reach this process through the database alone."""
    warm(executive_browser, *pages_of(plan))

    def untouchable(*args, **kwargs):
        raise AssertionError("a write must not rely on this process's cache")

    with monkeypatch.context() as patched:
        for name in ("set", "delete", "clear", "delete_many", "incr"):
            patched.setattr(caches["default"], name, untouchable)
        # The other process saves through the ORM, as every path in the app does.
        rec = Recommendation.objects.get(plan=plan, number="10")
        rec.text = "Written elsewhere."
        rec.save()
        new_plan = Plan(
            slug="elsewhere", title="Plan from elsewhere", organisation=home_organisation()
        )
        new_plan.save()

    assert "Written elsewhere." in page(executive_browser, plan.get_absolute_url())
    assert "Plan from elsewhere" in page(executive_browser, PLAN_LIST)
    assert "Plan from elsewhere" in page(executive_browser, DASHBOARD)


def test_a_new_plan_appears_in_the_list_and_on_the_dashboard(executive_browser, plan):
    warm(executive_browser, PLAN_LIST, DASHBOARD)
    services.create_plan(slug="new-plan", title="A brand new plan")
    assert "A brand new plan" in page(executive_browser, PLAN_LIST)
    assert "A brand new plan" in page(executive_browser, DASHBOARD)


def test_an_imported_plan_appears_in_the_list_and_on_the_dashboard(admin_browser, plan):
    from tests.test_import import seed_workbook, upload

    warm(admin_browser, PLAN_LIST, DASHBOARD)
    assert upload(admin_browser, seed_workbook(), title="Imported stalking plan").status_code == 200
    token = admin_browser.session["plan_import"]["token"]
    response = admin_browser.post(reverse("import_confirm"), {"token": token})
    assert response.status_code == 302
    assert "Imported stalking plan" in page(admin_browser, PLAN_LIST)
    assert "Imported stalking plan" in page(admin_browser, DASHBOARD)
    imported = Plan.objects.get(title="Imported stalking plan")
    assert "Makes appropriate use" in page(admin_browser, imported.get_absolute_url())


def test_overdue_follows_the_date_when_it_rolls_over(
    executive_browser, executive, plan, monkeypatch
):
    owned = plan.recommendations.get(number="7")
    today = timezone.localdate()
    owned.due_date = today
    owned.save()
    warm(executive_browser, *pages_of(plan))
    assert "tag-overdue" not in page(executive_browser, plan.get_absolute_url())

    tomorrow = timezone.now() + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    executive_browser.force_login(executive)  # a day idle ends a session
    assert "tag-overdue" in page(executive_browser, plan.get_absolute_url())
    listing = page(executive_browser, PLAN_LIST)
    assert f'{plan.get_absolute_url()}?overdue=on">1<' in listing
    assert tomorrow.strftime("%-d %B %Y") in page(executive_browser, DASHBOARD)


# ---------------------------------------------------------------------------- the admin


class FormValues(HTMLParser):
    """The values a browser would send for the forms on an admin page."""

    def __init__(self):
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select: dict | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.values.append((name, attrs.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = {"name": name, "first": None, "chosen": []}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["chosen"].append(value)
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            chosen = self._select["chosen"] or [self._select["first"] or ""]
            self.values += [(self._select["name"], value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.values.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text += data


def admin_save(client, url: str, **changes: str):
    """Open an admin change page, change some fields, and save it as a browser would."""
    parser = FormValues()
    parser.feed(page(client, url))
    data: dict[str, list[str]] = {}
    for name, value in parser.values:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = [value]
    data["_save"] = ["Save"]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]


def change_url(instance) -> str:
    meta = instance._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[instance.pk])


def test_admin_edits_of_the_plan_and_a_period_show_at_once(admin_browser, executive_browser, plan):
    warm(executive_browser, *pages_of(plan))
    admin_save(admin_browser, change_url(plan), title="Renamed in the admin")
    for url in pages_of(plan):
        assert "Renamed in the admin" in page(executive_browser, url), url

    period = plan.periods.get(position=1)
    warm(executive_browser, plan.get_absolute_url())
    admin_save(admin_browser, change_url(period), label="June update")
    assert "June update" in page(executive_browser, plan.get_absolute_url())


def test_admin_edits_of_a_recommendation_and_its_sub_recommendations_show_at_once(
    admin_browser, executive_browser, plan
):
    owned = plan.recommendations.get(number="7")
    sub = owned.subrecommendations.get()
    warm(executive_browser, plan.get_absolute_url())
    admin_save(
        admin_browser,
        change_url(owned),
        text="Rewritten by the administrator.",
        **{"subrecommendations-0-text": "Train every call handler."},
    )
    table = page(executive_browser, plan.get_absolute_url())
    assert "Rewritten by the administrator." in table
    assert "Train every call handler." in table
    assert Recommendation.objects.get(pk=sub.pk).text == "Train every call handler."


def test_admin_edits_of_an_owner_and_a_user_name_show_at_once(
    admin_browser, executive_browser, plan, lead
):
    warm(executive_browser, *pages_of(plan))
    admin_save(admin_browser, change_url(lead.owner), name="Renamed Owner")
    assert "Renamed Owner" in page(executive_browser, plan.get_absolute_url())
    assert "Renamed Owner" in page(executive_browser, PLAN_LIST)  # the executive lead

    services.record_update(
        recommendation=plan.recommendations.get(number="7"),
        period=plan.periods.get(position=1),
        status=Status.ON_TRACK,
        text="By the lead.",
        author=lead,
    )
    assert "By the lead." in page(executive_browser, plan.get_absolute_url())
    warm(executive_browser, DASHBOARD)
    admin_save(admin_browser, change_url(lead), first_name="Wilhelmina", last_name="Renamed")
    assert "Wilhelmina Renamed" in page(executive_browser, DASHBOARD)


def test_a_recommendation_moved_to_another_plan_leaves_one_table_and_joins_the_other(
    executive_browser, plan
):
    other = PlanFactory(slug="other", title="Other plan")
    rec = plan.recommendations.get(number="10")
    warm(executive_browser, plan.get_absolute_url(), other.get_absolute_url())
    rec.plan = other
    rec.save()
    assert "Review the risk tools." not in page(executive_browser, plan.get_absolute_url())
    assert "Review the risk tools." in page(executive_browser, other.get_absolute_url())


def test_deleting_rows_shows_at_once(executive_browser, plan):
    warm(executive_browser, *pages_of(plan))
    plan.recommendations.get(number="10").delete()
    assert "Review the risk tools." not in page(executive_browser, plan.get_absolute_url())
    ReportingPeriod.objects.get(plan=plan, position=1).delete()
    assert "March update" not in page(executive_browser, plan.get_absolute_url())
    Plan.objects.get(pk=plan.pk).delete()
    assert "Cached plan" not in page(executive_browser, PLAN_LIST)
    assert "Cached plan" not in page(executive_browser, DASHBOARD)


def test_reverting_to_an_earlier_version_from_history_shows_at_once(executive_browser, plan):
    rec = plan.recommendations.get(number="10")
    rec.text = "A later text."
    rec.save()
    warm(executive_browser, plan.get_absolute_url())
    earliest = rec.history.earliest("history_date")
    earliest.instance.save()  # what the admin's "revert" saves
    assert "Review the risk tools." in page(executive_browser, plan.get_absolute_url())


def test_a_sign_in_does_not_empty_the_cache(executive_browser, executive, plan, client):
    warm(executive_browser, DASHBOARD)
    before = page_cache.site_token()
    client.post(reverse("login"), {"username": executive.username, "password": "x"})
    executive.last_login = timezone.now()
    executive.save(update_fields=["last_login"])
    assert page_cache.site_token() == before


def test_owners_and_users_removed_show_at_once(executive_browser, plan, lead):
    warm(executive_browser, *pages_of(plan))
    Owner.objects.filter(pk=lead.owner.pk).get().delete()
    assert "Owning Lead" not in page(executive_browser, plan.get_absolute_url())
    get_user_model().objects.get(pk=lead.pk).delete()
    assert "Owning Lead" not in page(executive_browser, DASHBOARD)


def test_generated_plans_are_cached_and_replace_the_tokens():
    from recommendations.generate import DemoSize, generate

    before = page_cache.site_token()
    generated = generate(DemoSize(plans=2, recommendations=2, subs=1, periods=2, edits=1))
    assert page_cache.site_token() != before
    for slug in (generated.largest_plan,):
        assert page_cache.plan_token(Plan.objects.select_related("revision").get(slug=slug))


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_is_never_served_from_pages_cached_before_it(tmp_path):
    update = StatusUpdateFactory(text="Before the backup.")
    plan = update.recommendation.plan
    Group.objects.get_or_create(name="Executive")  # a flushed database has no roles
    executive = UserFactory(username="restoring-executive", role="Executive")
    browser = signed_in(executive)
    folder = create_backup(tmp_path / "backups", fmt="json")

    update.text = "After the backup."
    update.save()
    warm(browser, plan.get_absolute_url())
    assert "After the backup." in page(browser, plan.get_absolute_url())

    restore_backup(folder)
    browser = signed_in(get_user_model().objects.get(username="restoring-executive"))
    text = page(browser, Plan.objects.get(slug=plan.slug).get_absolute_url())
    assert "Before the backup." in text and "After the backup." not in text


def test_a_new_owner_replaces_the_tokens():
    before = page_cache.site_token()
    OwnerFactory(name="Someone new")
    assert page_cache.site_token() != before


def plan_tokens() -> dict[str, str]:
    return dict(Plan.objects.values_list("slug", "revision__token"))


def test_an_owner_changes_only_the_plans_that_name_them(plan, lead):
    PlanFactory(slug="unrelated", title="A plan nobody here owns")
    before, site_before = plan_tokens(), page_cache.site_token()
    owner = Owner.objects.get(pk=lead.owner.pk)
    owner.name = "Renamed Owner"
    owner.save()
    after = plan_tokens()
    assert after["cached"] != before["cached"]
    assert after["unrelated"] == before["unrelated"]
    assert page_cache.site_token() != site_before

    before, site_before = after, page_cache.site_token()
    OwnerFactory(name="Named nowhere yet")
    assert plan_tokens() == before
    assert page_cache.site_token() != site_before


def test_marks_of_changes_no_plan_owns_stay_few_and_the_token_never_comes_back(executive, plan):
    seen = {page_cache.site_token()}
    for n in range(2 * page_cache.PRUNE_EVERY + 5):
        executive.first_name = f"Name {n}"
        executive.save()
        token = page_cache.site_token()
        assert token not in seen
        seen.add(token)
    assert 1 <= SiteRevision.objects.count() <= page_cache.PRUNE_EVERY


# ---------------------------------------------------------------------------- the migration

BEFORE_MARKS = [("recommendations", "0010_approved_version_in_force")]
WITH_MARKS = [("recommendations", "0011_site_revision_marks")]


@pytest.mark.django_db(transaction=True)
def test_the_one_site_token_row_is_kept_and_new_marks_number_after_it():
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_MARKS)
    try:
        old = executor.loader.project_state(BEFORE_MARKS).apps
        OldSiteRevision = old.get_model("recommendations", "SiteRevision")
        OldSiteRevision.objects.all().delete()
        OldSiteRevision.objects.create(id=1, token="kept-token")
        executor = MigrationExecutor(connection)
        executor.migrate(WITH_MARKS)
        new = executor.loader.project_state(WITH_MARKS).apps
        SiteRevision = new.get_model("recommendations", "SiteRevision")
        assert list(SiteRevision.objects.values_list("pk", "token")) == [(1, "kept-token")]
        added = SiteRevision.objects.create(token="next")
        assert added.pk > 1
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


# ---------------------------------------------------------------------------- the cache fails


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cache_health(monkeypatch):
    """A fresh record of the cache's health, tried again on every request."""
    monkeypatch.setattr(page_cache, "_health", page_cache._CacheHealth())
    monkeypatch.setattr(page_cache, "RETRY_SECONDS", 0.0)
    return page_cache._health


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def cache_log(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "recommendations.page_cache"]


def test_pages_render_when_redis_is_down_and_the_outage_is_logged_once(
    executive_browser, plan, redis_down, cache_health, caplog, settings
):
    with pytest.raises(RedisConnectionError):
        caches["default"].get("anything")  # the cache itself does fail
    for _ in range(3):
        for url in pages_of(plan):
            assert "Cached plan" in page(executive_browser, url)
    (logged,) = cache_log(caplog)
    assert logged.levelno == logging.ERROR
    assert "ConnectionError" in logged.getMessage()

    # A change still shows at once: nothing was cached, nothing stale is served.
    rec = plan.recommendations.get(number="10")
    rec.text = "Changed while the cache was down."
    rec.save()
    assert "Changed while the cache was down." in page(executive_browser, plan.get_absolute_url())

    # The cache answers again: that is logged once too, and bodies are cached again.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "up"}
    }
    warm(executive_browser, *pages_of(plan))
    assert len(cached_bodies()) == 3
    assert [record.levelno for record in cache_log(caplog)] == [logging.ERROR, logging.WARNING]


def test_a_failed_cache_is_left_alone_for_a_while_then_tried_again(
    executive_browser, plan, redis_down, cache_health, monkeypatch
):
    monkeypatch.setattr(page_cache, "RETRY_SECONDS", 30.0)
    calls = []
    backend = caches["default"]
    real_get = backend.get

    def counted_get(*args, **kwargs):
        calls.append(args)
        return real_get(*args, **kwargs)

    monkeypatch.setattr(backend, "get", counted_get)
    clock = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: clock[0])
    for _ in range(3):
        page(executive_browser, PLAN_LIST)
    assert len(calls) == 1  # then left alone
    clock[0] += 31
    page(executive_browser, PLAN_LIST)
    assert len(calls) == 2  # and tried again


# ---------------------------------------------------------------------------- configuration


def settings_in_a_fresh_process(**environ: str) -> dict:
    """The cache settings a server process started with `environ` would have."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CACHES['default']))"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "CACHE_KEY_PREFIX")
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env | {"DJANGO_SETTINGS_MODULE": "actionplan.settings"} | environ,
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_redis_url_makes_the_cache_redis_and_each_release_has_its_own_prefix():
    local = settings_in_a_fresh_process()
    assert local["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"

    shared = settings_in_a_fresh_process(REDIS_URL="redis://127.0.0.1:6399/2")
    assert shared["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert shared["LOCATION"] == "redis://127.0.0.1:6399/2"
    from actionplan.settings import release_fingerprint

    assert shared["KEY_PREFIX"] == f"actionplan-{release_fingerprint()}"

    chosen = settings_in_a_fresh_process(
        REDIS_URL="redis://127.0.0.1:6399/2", CACHE_KEY_PREFIX="deploy-2026-12-01"
    )
    assert chosen["KEY_PREFIX"] == "deploy-2026-12-01"


def test_the_release_fingerprint_changes_with_a_template_and_only_then(tmp_path, monkeypatch):
    import actionplan.settings as project_settings

    for name in ("actionplan/settings.py", "recommendations/views.py", "templates/base.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"contents of {name}\n")
    (tmp_path / "requirements.lock").write_text("Django==5.2.19\n")
    monkeypatch.setattr(project_settings, "BASE_DIR", tmp_path)
    first = project_settings.release_fingerprint()
    (tmp_path / "recommendations/__pycache__").mkdir()
    (tmp_path / "recommendations/__pycache__/views.pyc").write_bytes(b"compiled")
    assert project_settings.release_fingerprint() == first  # compiled files are not the release
    (tmp_path / "templates/base.html").write_text("a new release of the page\n")
    assert project_settings.release_fingerprint() != first

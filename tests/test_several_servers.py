"""Two servers (gunicorn on loopback) sharing one PostgreSQL database and one Redis: a change
saved through one is on the other's very next page, the rendered pages one server caches are
served by the other, a session started on one is good on the other, and sign-in failures are
counted across both. A server whose Redis is down still serves every page.

These need PostgreSQL and Redis: `make test-postgres` (and so CI) runs them with both. Elsewhere
they are skipped with a warning, or fail with REQUIRE_SEVERAL_SERVERS=1 (as test-postgres sets).
"""

from __future__ import annotations

import os
import pickle
import re
import socket
import urllib.parse
import warnings

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.urls import reverse

from recommendations.choices import SignOff
from tests.bench.server import HttpSession, Server, collect_static, csrf_token
from tests.factories import (
    OwnerFactory,
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    UserFactory,
)

PASSWORD = "two-servers-test-password-2026"
FAILURE_LIMIT = 3
# Servers of one site share their secret key: sessions and CSRF tokens are signed with it.
SECRET_KEY = "two-servers-test-only-" + os.urandom(16).hex()


def _missing() -> str | None:
    if connection.vendor != "postgresql":
        return "DATABASE_URL is not PostgreSQL"
    if not isinstance(caches["default"], RedisCache):
        return "REDIS_URL is not set"
    return None


MISSING = _missing()
REQUIRED = os.environ.get("REQUIRE_SEVERAL_SERVERS", "").strip() == "1"
if MISSING and not REQUIRED:
    warnings.warn(
        f"SEVERAL-SERVER TESTS SKIPPED: {MISSING} (run `make test-postgres`)", stacklevel=1
    )


@pytest.fixture(scope="module", autouse=True)
def postgres_and_redis():
    if MISSING and REQUIRED:
        pytest.fail(f"SEVERAL-SERVER TESTS REQUIRED (REQUIRE_SEVERAL_SERVERS=1) BUT {MISSING}")
    if MISSING:
        pytest.skip(f"SEVERAL-SERVER TESTS SKIPPED: {MISSING} (run `make test-postgres`)")


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """The hashed static files production serves (its manifest must exist)."""
    root = tmp_path_factory.mktemp("static")
    collect_static(root)
    return root


def database_url() -> str:
    """The test database, as the servers reach it."""
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "", safe="")
    password = urllib.parse.quote(db["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{credentials}{db['HOST']}:{db['PORT']}/{db['NAME']}"


def server(static_root, tmp_path, **env: str) -> Server:
    return Server(
        database_url(),
        workers=2,
        threads=2,
        timeout=120,
        log_dir=tmp_path,
        env={
            "SECRET_KEY": SECRET_KEY,
            "STATIC_ROOT": str(static_root),
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
            # One prefix for both, whatever happens to the files while they start.
            "CACHE_KEY_PREFIX": "two-servers-test",
            "AXES_FAILURE_LIMIT": str(FAILURE_LIMIT),
            "LOG_LEVEL": "ERROR",
        }
        | env,
    )


class QuickPBKDF2(PBKDF2PasswordHasher):
    """Production's hasher with few rounds: the servers read the rounds from the hash."""

    iterations = 1000


@pytest.fixture(scope="module")
def servers(django_db_setup, static_root, tmp_path_factory):
    """Servers A and B, started once for the tests that share them."""
    logs = tmp_path_factory.mktemp("logs")
    with server(static_root, logs) as a, server(static_root, logs) as b:
        yield a, b


@pytest.fixture
def people(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["tests.test_several_servers.QuickPBKDF2"]
    for name in ("Lead", "Executive", "Administrator"):
        Group.objects.get_or_create(name=name)
    lead = UserFactory(username="two-servers-lead", role="Lead", password=PASSWORD)
    OwnerFactory(name="Server Lead", user=lead)
    executive = UserFactory(username="two-servers-executive", role="Executive", password=PASSWORD)
    return lead, executive


@pytest.fixture
def plan(people):
    lead, _ = people
    plan = PlanFactory(slug="shared", title="Plan served twice")
    PeriodFactory(plan=plan, label="Initial response", position=0)
    period = PeriodFactory(plan=plan, label="March update", position=1)
    rec = RecommendationFactory(plan=plan, number="7", text="Seek changes.", owner=lead.owner)
    StatusUpdateFactory(
        recommendation=rec,
        period=plan.periods.get(position=0),
        text="Work has begun.",
        sign_off=SignOff.APPROVED,
    )
    return plan, rec, period


def page(session: HttpSession, path: str) -> str:
    response = session.get(path)
    assert response.status == 200, (session.port, path, response.status)
    return response.text


def signed_in(port: int, username: str) -> HttpSession:
    session = HttpSession(port, timeout=120)
    session.sign_in(username, PASSWORD)
    return session


def cached_keys(name: str) -> list[bytes]:
    client = caches["default"]._cache.get_client()
    return sorted(client.scan_iter(match=f"*:page:{name}:*"))


@pytest.mark.django_db(transaction=True)
def test_a_change_saved_through_one_server_is_on_the_others_next_page(servers, people, plan):
    lead, executive = people
    plan, rec, period = plan
    pages = [plan.get_absolute_url(), "/plans/", "/dashboard/"]
    a, b = servers
    on_a, on_b = signed_in(a.port, executive.username), signed_in(b.port, executive.username)
    for path in pages:
        page(on_a, path)
    # What server A rendered is in Redis, and server B serves it from there: marked in
    # the store, the mark shows on B's page.
    (table_key,) = cached_keys("plan_table")
    client = caches["default"]._cache.get_client()
    body = pickle.loads(client.get(table_key))  # noqa: S301 - stored by our own server
    client.set(table_key, pickle.dumps(body + b"<!--kept in redis-->"))
    assert "<!--kept in redis-->" in page(on_b, plan.get_absolute_url())
    for path in pages:
        page(on_b, path)
    assert len(cached_keys("plan_table")) == 1  # B added nothing of its own
    before = {path: page(on_b, path) for path in pages}
    assert "Saved through server A." not in before[plan.get_absolute_url()]

    # A lead saves an update through server A's form.
    lead_on_a = signed_in(a.port, lead.username)
    form_path = reverse("update_edit", args=[plan.slug, rec.number, period.pk])
    form = page(lead_on_a, form_path)
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    saved = lead_on_a.post(
        form_path,
        {
            "csrfmiddlewaretoken": csrf_token(form),
            "status": "complete",
            "text": "Saved through server A.",
            "no_evidence_reason": "Seen by the inspector.",
            "version": version,
            "submit": "1",
        },
    )
    assert saved.status == 302, saved.text[:2000]

    # Server B's very next pages show it, though it had them all cached.
    table = page(on_b, plan.get_absolute_url())
    assert "Saved through server A." in table
    assert "<!--kept in redis-->" not in table
    dashboard = page(on_b, "/dashboard/")
    assert "(March update): Status Complete" in dashboard
    assert "(March update): Status Complete" not in before["/dashboard/"]

    # The executive approves it through server B; server A's cached plan list and dashboard
    # count it at once.
    assert figures_of(page(on_a, "/plans/")) == ["1", "0", "0"]  # none complete yet
    approved = on_b.post(
        reverse("update_sign_off", args=[plan.slug, rec.number, period.pk]),
        {"csrfmiddlewaretoken": csrf_token(table), "action": "approve"},
    )
    assert approved.status == 302, approved.text[:2000]
    assert figures_of(page(on_a, "/plans/")) == ["1", "1", "0"]  # recommendations, complete
    assert "(March update): Sign-off Awaiting sign-off → Approved" in page(on_a, "/dashboard/")
    assert "Saved through server A." in page(on_a, plan.get_absolute_url())


def figures_of(plan_list: str) -> list[str]:
    """The plan list's figures for its one plan: recommendations, complete or closed, overdue."""
    return re.findall(r'<td class="numeric">(?:<a [^>]*>)?(\d+)', plan_list)


@pytest.mark.django_db(transaction=True)
def test_a_session_and_sign_in_failures_are_shared_by_both_servers(servers, people, plan):
    lead, executive = people
    a, b = servers
    # Signed in on A, the same browser is signed in on B.
    browser = signed_in(a.port, executive.username)
    browser.close()
    browser.port = b.port
    assert "Plan served twice" in page(browser, "/dashboard/")

    # Failures through A and B add up to one count for the account at this address.
    def attempt(port: int, password: str) -> int:
        session = HttpSession(port, timeout=120)
        form = session.get("/sign-in/")
        return session.post(
            "/sign-in/",
            {
                "csrfmiddlewaretoken": csrf_token(form.text),
                "username": lead.username,
                "password": password,
                "next": "",
            },
        ).status

    assert [attempt(port, "wrong") for port in (a.port, b.port)] == [200, 200]
    assert attempt(a.port, "wrong") == 429  # the third failure, wherever it is made
    assert attempt(b.port, PASSWORD) == 429  # locked out on both, right password or not


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_a_server_whose_redis_is_down_serves_every_page_and_says_so_once(
    static_root, tmp_path, people, plan
):
    _, executive = people
    plan, _, _ = plan
    down = Server(
        database_url(),
        workers=1,
        threads=2,
        timeout=120,
        log_dir=tmp_path,
        env={
            "STATIC_ROOT": str(static_root),
            "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0",
            "LOG_LEVEL": "ERROR",
        },
    )
    with down:
        browser = signed_in(down.port, executive.username)
        for _ in range(3):
            assert "Plan served twice" in page(browser, plan.get_absolute_url())
            assert "Plan served twice" in page(browser, "/plans/")
            assert "Plan served twice" in page(browser, "/dashboard/")
    log = down.log.read_text()
    assert log.count("The page cache failed (ConnectionError") == 1, log[-3000:]

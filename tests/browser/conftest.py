"""Browser tests: Playwright drives Debian's Chromium against Django's live server.

Where Chromium is missing the browser tests are skipped, loudly; with REQUIRE_BROWSER=1 (as CI
sets) a missing browser fails them instead, so CI can never pass without running them.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect

HERE = Path(__file__).resolve().parent


def _find_chromium() -> str | None:
    # CHROMIUM_PATH names another Chromium binary (or, pointing nowhere, simulates none).
    chosen = os.environ.get("CHROMIUM_PATH")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    found = shutil.which("chromium")
    if found:
        return found
    default = Path("/usr/bin/chromium")
    return str(default) if os.access(default, os.X_OK) else None


CHROMIUM = _find_chromium()
REQUIRED = os.environ.get("REQUIRE_BROWSER", "").strip() == "1"
SKIPPED_MESSAGE = "BROWSER TESTS SKIPPED: chromium not installed (apt-get install chromium)"
REQUIRED_MESSAGE = (
    "BROWSER TESTS REQUIRED (REQUIRE_BROWSER=1) BUT chromium is not installed "
    "(apt-get install chromium)"
)

# Chromium phones home, updates components and syncs unless told not to; none of that belongs
# in a test run on a machine that may have no internet at all.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

ROLES = ("Lead", "Executive", "Administrator")

# Assertions wait for the page rather than sleeping; on a busy two-core CI machine a page that
# makes a PDF can take longer than Playwright's default five seconds.
expect.set_options(timeout=15_000)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives a real browser (Chromium) against the live server"
    )


# Fixtures through which a test uses the browser; tests without them need no Chromium.
BROWSER_FIXTURES = {"page", "context", "new_context", "browser", "browser_type"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Browser tests run on the live server's flushed (transactional) database, which also
    # empties what migrations filled, such as the role groups. pytest-django orders such tests
    # after the others, but pytest then regroups tests by the session-scoped browser parameter
    # and can put them in the middle of the run: move them to the end again (trylast).
    ours = [item for item in items if item.path.is_relative_to(HERE)]
    if ours:
        items[:] = [item for item in items if not item.path.is_relative_to(HERE)] + ours
    browser_items = [
        item
        for item in items
        if item.path.is_relative_to(HERE)
        and BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))
    ]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    if browser_items and CHROMIUM is None and not REQUIRED:
        warnings.warn(pytest.PytestWarning(SKIPPED_MESSAGE), stacklevel=1)
        for item in browser_items:
            item.add_marker(pytest.mark.skip(reason=SKIPPED_MESSAGE))
    config.stash[_browser_count] = len(browser_items)


_browser_count = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if CHROMIUM is None and config.stash.get(_browser_count, 0):
        message = REQUIRED_MESSAGE if REQUIRED else SKIPPED_MESSAGE
        terminalreporter.write_sep("!", message, red=True, bold=True)


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright():
    """Playwright's sync API runs an event loop in the test thread, which makes Django refuse
    ORM calls from the test unless told they are safe (they are: the loop serves no requests).

    Set for the browser tests only, which run last, and not at import: Django's deployment
    check rightly fails wherever the variable is set, and a test runs that check."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if CHROMIUM is None:
        # Reached only with REQUIRE_BROWSER=1: the tests were not skipped, so they fail here.
        pytest.fail(REQUIRED_MESSAGE, pytrace=False)
    args = list(CHROMIUM_ARGS)
    if os.geteuid() == 0:
        # Chromium's sandbox cannot start as root (CI containers run as root).
        args.append("--no-sandbox")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": args}


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Pages are opened by path (page.goto("/sign-in/")) against Django's live server."""
    return live_server.url


@pytest.fixture(autouse=True)
def _browser_test_settings(settings, transactional_db) -> None:
    # The live server's tables are flushed after every test, which also removes the role groups
    # the migration made; put them back so each test starts from a migrated database.
    from django.contrib.auth.models import Group

    for name in ROLES:
        Group.objects.get_or_create(name=name)


@dataclass
class PageProblems:
    """What the browser complained about while the test ran."""

    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def new_context(new_context, page_problems: PageProblems):
    """Every browser context a test opens reports Content-Security-Policy violations and
    script errors; the test fails if there were any."""

    def make(**kwargs):
        context = new_context(**kwargs)

        def on_console(message) -> None:
            text = message.text
            if "Content Security Policy" in text or "Content-Security-Policy" in text:
                page_problems.csp.append(f"{message.location.get('url', '')}: {text}")

        context.on("console", on_console)
        context.on("weberror", lambda error: page_problems.errors.append(str(error.error)))
        return context

    yield make
    # Checked after the test body, so a test that already failed reports its own failure.
    assert not page_problems.csp, "Content-Security-Policy violations:\n" + "\n".join(
        page_problems.csp
    )
    assert not page_problems.errors, "Script errors on the page:\n" + "\n".join(
        page_problems.errors
    )


@dataclass
class Demo:
    """The demo plan with its demo accounts, and a new reporting period for the lead to fill."""

    plan: object
    period: object
    accounts: dict


@pytest.fixture
def demo():
    from recommendations import demo as demo_data
    from recommendations import services

    accounts = demo_data.load_accounts()
    plan = demo_data.load_plan(accounts=accounts, by=accounts["admin"])
    period = services.add_period(
        plan=plan,
        label="June 2026 update",
        period_end=dt.date(2026, 6, 30),
        return_due=dt.date(2026, 7, 14),
        by=accounts["admin"],
        reason="Next reporting period",
    )
    return Demo(plan=plan, period=period, accounts=accounts)

"""Single sign-on in a real browser, through a real OpenID Connect provider on loopback.

The provider (tests/oidc/provider.mjs, npm's oidc-provider) is started once for the session on
a free port; each test says which claims each login name carries. Without Node or the
provider's package these tests are skipped, loudly; with REQUIRE_BROWSER=1 (as CI sets) they
fail instead.
"""

from __future__ import annotations

import os
import warnings

import jwt
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from actionplan import oidc
from recommendations import services
from tests.browser.helpers import assert_accessible
from tests.factories import PASSWORD, UserFactory
from tests.oidc import provider as test_provider

pytestmark = pytest.mark.browser

REQUIRED = os.environ.get("REQUIRE_BROWSER", "").strip() == "1"
PROVIDER_NAME = "Test Constabulary account"
SIGN_IN_WITH = f"Sign in with {PROVIDER_NAME}"
ROLE_MAP = {
    "Tracker.Lead": "Lead",
    "Tracker.Executive": "Executive",
    "Tracker.Admin": "Administrator",
}
ALICE = {
    "name": "Alice Example",
    "email": "alice.example@example.police.uk",
    "roles": ["Tracker.Lead"],
    "organisation": "Test Constabulary",
}


@pytest.fixture(scope="session")
def other_application():
    application = test_provider.OtherApplication()
    yield application
    application.stop()


@pytest.fixture(scope="session")
def identity_provider(live_server, other_application, tmp_path_factory):
    """The provider, knowing the tracker (on the live server) and one other application."""
    reason = test_provider.why_not_runnable()
    if reason is not None:
        if REQUIRED:
            pytest.fail(
                f"SINGLE SIGN-ON TESTS REQUIRED (REQUIRE_BROWSER=1) BUT {reason}", pytrace=False
            )
        message = f"SINGLE SIGN-ON BROWSER TESTS SKIPPED: {reason}"
        warnings.warn(pytest.PytestWarning(message), stacklevel=1)
        pytest.skip(message)
    tracker = test_provider.Client(
        client_id="tracker",
        client_secret="tracker-secret",
        redirect_uris=[live_server.url + "/oidc/callback/"],
        post_logout_redirect_uris=[live_server.url + "/sign-in/"],
    )
    running = test_provider.start(
        clients=[tracker, other_application.client], folder=tmp_path_factory.mktemp("oidc")
    )
    other_application.provider = running
    yield running
    running.stop()


@pytest.fixture
def provider(identity_provider, settings) -> test_provider.RunningProvider:
    """The tracker signing in through the provider; Alice is a lead there."""
    settings.OIDC_ISSUER = identity_provider.issuer
    settings.OIDC_CLIENT_ID = "tracker"
    settings.OIDC_CLIENT_SECRET = "tracker-secret"
    settings.OIDC_SCOPES = "openid email profile roles"
    settings.OIDC_ROLES_CLAIM = "roles"
    settings.OIDC_ROLE_MAP = ROLE_MAP
    settings.OIDC_ORGANISATION_CLAIM = "organisation"
    settings.OIDC_PROVIDER_NAME = PROVIDER_NAME
    settings.OIDC_ENDPOINTS = {}
    identity_provider.set_accounts({"alice": ALICE})
    # The organisation the claim names is one the tracker knows.
    services.create_organisation(name="Test Constabulary", code="test-constabulary")
    return identity_provider


@pytest.fixture
def page(page: Page) -> Page:
    # The provider's development pages ask for a web font; there is no internet to fetch it.
    page.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    return page


def answer_the_provider(page: Page, login: str) -> None:
    """On the provider's own sign-in page (which takes any login name and password)."""
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password will do")
    page.get_by_role("button", name="Sign-in").click()


def sign_in_with_provider(page: Page, login: str) -> None:
    page.goto("/sign-in/")
    page.get_by_role("button", name=SIGN_IN_WITH, exact=True).click()
    answer_the_provider(page, login)


def sign_out_everywhere(page: Page) -> None:
    """Sign out of the tracker, and agree on the provider's page to sign out there too."""
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()


def provider_cookies(page: Page) -> list[str]:
    return [cookie["name"] for cookie in page.context.cookies() if cookie["name"] == "_session"]


def roles_of(username: str) -> set[str]:
    user = get_user_model().objects.get(username=username)
    return set(user.groups.values_list("name", flat=True))


def expect_refused(page: Page, reason: str) -> None:
    expect(page.get_by_role("heading", name="You have not been signed in")).to_be_visible()
    expect(page.get_by_text(reason)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_the_first_sign_in_creates_the_account_with_the_mapped_role(page: Page, provider):
    sign_in_with_provider(page, "alice")

    expect(page.get_by_text("Signed in as Alice Example")).to_be_visible()
    expect(page.get_by_role("link", name="My work")).to_be_visible()
    expect(page.get_by_role("link", name="Sign-off queue")).to_have_count(0)
    alice = get_user_model().objects.get(username="alice")
    assert roles_of("alice") == {"Lead"}
    assert (alice.email, alice.is_staff, alice.has_usable_password()) == (
        ALICE["email"],
        False,
        False,
    )
    assert alice.account.organisation.name == "Test Constabulary"


def test_a_changed_claim_changes_the_role_at_the_next_sign_in(page: Page, provider):
    sign_in_with_provider(page, "alice")
    expect(page.get_by_role("link", name="My work")).to_be_visible()
    sign_out_everywhere(page)

    provider.set_accounts({"alice": {**ALICE, "roles": ["Tracker.Executive", "Tracker.Admin"]}})
    sign_in_with_provider(page, "alice")

    expect(page.get_by_role("link", name="Sign-off queue")).to_be_visible()
    expect(page.get_by_role("link", name="Administration")).to_be_visible()
    expect(page.get_by_role("link", name="My work")).to_have_count(0)
    assert roles_of("alice") == {"Executive", "Administrator"}
    assert get_user_model().objects.get(username="alice").is_staff
    sign_out_everywhere(page)

    provider.set_accounts({"alice": {**ALICE, "roles": ["Somebody.Elses.Role"]}})
    sign_in_with_provider(page, "alice")
    expect_refused(page, oidc.NO_ROLE)
    assert roles_of("alice") == set()
    assert not get_user_model().objects.get(username="alice").is_staff


def test_a_token_the_provider_issued_to_another_application_is_refused(
    page: Page, provider, other_application, settings
):
    # The other application signs Alice in for itself and is given her tokens...
    page.goto(other_application.sign_in_url())
    answer_the_provider(page, "alice")
    expect(page.get_by_role("heading", name="Signed in")).to_be_visible()
    token = other_application.tokens["id_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["aud"], claims["iss"]) == ("other-application", provider.issuer)
    # ...which reach the tracker in place of its own (its token endpoint is the other one's).
    settings.OIDC_ENDPOINTS = {
        **{name: provider.metadata()[name] for name in ("authorization_endpoint", "jwks_uri")},
        "token_endpoint": other_application.url + "/token",
    }

    page.goto("/sign-in/")
    page.get_by_role("button", name=SIGN_IN_WITH, exact=True).click()

    expect_refused(page, oidc.OTHER_CLIENT)
    assert not get_user_model().objects.exists()
    assert_accessible(page)


def test_a_token_from_another_issuer_is_refused(page: Page, provider, settings):
    # The tracker trusts another tenant; the endpoints it is given are this provider's.
    settings.OIDC_ISSUER = "https://login.example.test/another-tenant/v2.0"
    metadata = provider.metadata()
    settings.OIDC_ENDPOINTS = {
        name: metadata[name]
        for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
    }

    sign_in_with_provider(page, "alice")

    expect_refused(page, oidc.OTHER_ISSUER)
    assert not get_user_model().objects.exists()


def test_signing_out_ends_the_providers_session_too(page: Page, provider):
    sign_in_with_provider(page, "alice")
    expect(page.get_by_text("Signed in as Alice Example")).to_be_visible()
    assert provider_cookies(page) == ["_session"]

    sign_out_everywhere(page)

    assert provider_cookies(page) == []
    # Signing in again, the provider asks who you are rather than waving you through.
    page.get_by_role("button", name=SIGN_IN_WITH, exact=True).click()
    expect(page.locator("input[name=login]")).to_be_visible()
    answer_the_provider(page, "alice")
    expect(page.get_by_text("Signed in as Alice Example")).to_be_visible()


def test_with_local_accounts_off_the_password_form_is_refused(page: Page, provider, settings):
    UserFactory(username="local-lead", role="Lead")
    page.goto("/sign-in/")
    page.get_by_label("Username").fill("local-lead")
    page.get_by_label("Password").fill(PASSWORD)
    settings.LOCAL_ACCOUNTS = False  # switched off while the form was open

    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_text("Password sign-in is switched off here")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.goto("/sign-in/")
    expect(page.get_by_label("Password")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("button", name=SIGN_IN_WITH, exact=True).click()
    answer_the_provider(page, "alice")
    expect(page.get_by_text("Signed in as Alice Example")).to_be_visible()


def test_the_sign_in_page_with_single_sign_on_has_no_accessibility_violations(page: Page, provider):
    page.goto("/sign-in/")
    expect(page.get_by_role("button", name=SIGN_IN_WITH, exact=True)).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    assert_accessible(page)


def test_single_sign_on_works_without_javascript(new_context, provider):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    sign_in_with_provider(page, "alice")
    expect(page.get_by_text("Signed in as Alice Example")).to_be_visible()
    sign_out_everywhere(page)

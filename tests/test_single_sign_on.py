"""Single sign-on with OpenID Connect, through the tracker's own pages with the test client.

The provider here is a stand-in answering the tracker's HTTP calls (discovery, keys, token,
userinfo) with ID tokens signed by a key made for the test, so each check of a token can be
made to fail on its own. tests/browser/test_single_sign_on.py signs in through a real provider.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.utils.html import escape

from actionplan import oidc, oidc_config
from recommendations import permissions, services
from recommendations.services import accounts
from tests.factories import UserFactory

ISSUER = "https://login.example.test/force-tenant/v2.0"
CLIENT_ID = "tracker-client"
ROLE_MAP = {
    "Tracker.Lead": "Lead",
    "Tracker.Executive": "Executive",
    "Tracker.Admin": "Administrator",
}
DOCUMENT = {
    "issuer": ISSUER,
    "authorization_endpoint": "https://login.example.test/authorize",
    "token_endpoint": "https://login.example.test/token",
    "userinfo_endpoint": "https://login.example.test/userinfo",
    "jwks_uri": "https://login.example.test/keys",
    "end_session_endpoint": "https://login.example.test/logout",
}


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


PROVIDER_KEY = _key()
ANOTHER_KEY = _key()


def _response(url: str, body: Any, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.url = url
    response.headers["content-type"] = "application/json"
    response._content = json.dumps(body).encode()
    return response


@dataclass
class StandInProvider:
    """Answers the tracker's calls to the provider. `claims` go into the ID token (with the
    protocol claims, which `token_claims` can change) and `userinfo` is what the userinfo
    endpoint adds."""

    claims: dict = field(default_factory=dict)
    userinfo: dict = field(default_factory=dict)
    token_claims: dict = field(default_factory=dict)
    document: dict = field(default_factory=lambda: dict(DOCUMENT))
    signing_key: rsa.RSAPrivateKey = PROVIDER_KEY
    nonce: str | None = None
    calls: list[str] = field(default_factory=list)

    def get(self, url: str, **kwargs) -> requests.Response:
        self.calls.append(url)
        if url == ISSUER + oidc.DISCOVERY_PATH:
            return _response(url, self.document)
        if url == DOCUMENT["jwks_uri"]:
            public = jwt.algorithms.RSAAlgorithm.to_jwk(PROVIDER_KEY.public_key(), as_dict=True)
            return _response(url, {"keys": [{**public, "kid": "key-1", "use": "sig"}]})
        if url == DOCUMENT["userinfo_endpoint"]:
            return _response(url, {"sub": self.claims.get("sub"), **self.userinfo})
        return _response(url, {"error": "not found"}, status=404)

    def post(self, url: str, data: dict, **kwargs) -> requests.Response:
        self.calls.append(url)
        assert url == DOCUMENT["token_endpoint"]
        assert data["client_id"] == CLIENT_ID and data["code_verifier"]
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 600,
            "nonce": self.nonce,
            **self.claims,
            **self.token_claims,
        }
        token = jwt.encode(payload, self.signing_key, algorithm="RS256", headers={"kid": "key-1"})
        return _response(url, {"id_token": token, "access_token": "access", "token_type": "Bearer"})


@pytest.fixture
def provider(settings, monkeypatch, db) -> StandInProvider:
    """Single sign-on switched on against the stand-in provider."""
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = "client-secret"
    settings.OIDC_ROLE_MAP = ROLE_MAP
    settings.OIDC_ROLES_CLAIM = "roles"
    settings.OIDC_PROVIDER_NAME = "Force account"
    stand_in = StandInProvider()
    monkeypatch.setattr(requests, "get", stand_in.get)
    monkeypatch.setattr(requests, "post", stand_in.post)
    return stand_in


def sign_in(client, provider: StandInProvider, **claims):
    """Go to the provider and come back with these claims, as the browser would."""
    if claims:
        provider.claims = {"sub": "f81d4fae-7dec", "name": "Alex Morgan", **claims}
    started = client.get("/oidc/authenticate/")
    assert started.status_code == 302, started
    query = parse_qs(urlsplit(started["Location"]).query)
    provider.nonce = query["nonce"][0]
    return client.get("/oidc/callback/", {"code": "the-code", "state": query["state"][0]})


def roles_of(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def signed_in_user(client):
    return client.get("/").wsgi_request.user


# ---------------------------------------------------------------------------- settings


def test_the_settings_role_names_are_the_trackers_roles():
    assert oidc_config.ROLE_NAMES == permissions.ROLES


def test_the_role_map_reads_claim_values_and_roles():
    assert oidc_config.parse_role_map(
        "Tracker.Lead=Lead, Tracker.Executive=Executive,,a=b=Administrator,"
    ) == {"Tracker.Lead": "Lead", "Tracker.Executive": "Executive", "a=b": "Administrator"}
    assert oidc_config.parse_role_map("") == {}


@pytest.mark.parametrize("text", ["Tracker.Lead=Leader", "Tracker.Lead", "=Lead"])
def test_a_role_map_naming_no_role_is_refused(text):
    with pytest.raises(ImproperlyConfigured, match="OIDC_ROLE_MAP"):
        oidc_config.parse_role_map(text)


def _check(**changes) -> None:
    values = {
        "issuer": ISSUER,
        "client_id": CLIENT_ID,
        "client_secret": "secret",
        "role_map": ROLE_MAP,
        "endpoints": {},
        "local_accounts": True,
    }
    oidc_config.check(**{**values, **changes})


def test_a_configuration_that_could_sign_nobody_in_is_refused():
    _check()
    _check(issuer="", client_id="", local_accounts=True)
    with pytest.raises(ImproperlyConfigured, match="LOCAL_ACCOUNTS=off"):
        _check(issuer="", local_accounts=False)
    with pytest.raises(ImproperlyConfigured, match="OIDC_CLIENT_SECRET, OIDC_ROLE_MAP"):
        _check(client_secret="", role_map={})
    with pytest.raises(ImproperlyConfigured, match="OIDC_JWKS_URI"):
        _check(endpoints={"authorization_endpoint": "a", "token_endpoint": "t"})


def test_endpoints_are_read_by_their_discovery_names():
    environ = {"OIDC_TOKEN_ENDPOINT": " https://t ", "OIDC_JWKS_URI": "https://k", "OTHER": "x"}
    assert oidc_config.endpoints_from(environ) == {
        "token_endpoint": "https://t",
        "jwks_uri": "https://k",
    }


def _settings_in_a_fresh_process(**environ) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({'backends': settings.AUTHENTICATION_BACKENDS, "
        "'local': settings.LOCAL_ACCOUNTS, 'map': settings.OIDC_ROLE_MAP}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "actionplan.settings", **environ}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_local_accounts_off_leaves_only_single_sign_on_to_check_anyone():
    environ = {
        "OIDC_ISSUER": ISSUER,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": "secret",
        "OIDC_ROLE_MAP": "Tracker.Lead=Lead",
    }
    on = _settings_in_a_fresh_process(**environ)
    assert "django.contrib.auth.backends.ModelBackend" in on["backends"]
    off = _settings_in_a_fresh_process(**environ, LOCAL_ACCOUNTS="off")
    assert off == {
        "backends": ["actionplan.oidc.SingleSignOnBackend"],
        "local": False,
        "map": {"Tracker.Lead": "Lead"},
    }


# ---------------------------------------------------------------------------- the sign-in page


def test_the_sign_in_page_offers_the_provider_beside_the_password_form(client, provider):
    page = client.get("/sign-in/?next=/plans/").content.decode()
    assert "Sign in with Force account</button>" in page
    assert 'action="/oidc/authenticate/"' in page
    assert 'name="next" value="/plans/"' in page
    assert 'name="password"' in page


def test_without_single_sign_on_the_sign_in_page_is_as_before(client, db):
    page = client.get("/sign-in/").content.decode()
    assert "Sign in with" not in page
    assert 'name="password"' in page
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/", {"code": "c", "state": "s"}).status_code == 404


def test_with_local_accounts_off_the_password_form_is_neither_offered_nor_accepted(
    client, provider, settings
):
    user = UserFactory(username="local-lead", role="Lead")
    credentials = {"username": user.username, "password": "a-long-test-password-1"}
    settings.LOCAL_ACCOUNTS = False
    page = client.get("/sign-in/").content.decode()
    assert "Sign in with Force account" in page
    assert 'name="password"' not in page
    refused = client.post("/sign-in/", credentials)
    assert refused.status_code == 403
    assert "Password sign-in is switched off here" in refused.content.decode()
    assert not signed_in_user(client).is_authenticated
    # The same post is accepted with local accounts on: the refusal was the switch's doing.
    settings.LOCAL_ACCOUNTS = True
    assert client.post("/sign-in/", credentials).status_code == 302
    assert signed_in_user(client) == user


def test_with_local_accounts_off_the_admin_sends_people_to_the_sign_in_page(
    client, provider, settings
):
    assert b'name="password"' in client.get("/admin/login/").content
    settings.LOCAL_ACCOUNTS = False
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=/admin/"


# ---------------------------------------------------------------------------- signing in


def test_the_first_sign_in_creates_the_account_with_the_mapped_role(client, provider):
    response = sign_in(
        client,
        provider,
        sub="f81d4fae-7dec",
        name="Alex Morgan",
        email="alex.morgan@example.police.uk",
        roles=["Tracker.Lead", "Unrelated.Role"],
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="f81d4fae-7dec")
    assert roles_of(user) == {"Lead"}
    assert (user.get_full_name(), user.email) == ("Alex Morgan", "alex.morgan@example.police.uk")
    assert not user.has_usable_password() and not user.is_staff
    assert signed_in_user(client) == user
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Signed in as Alex Morgan" in page and ">My work</a>" in page


def test_the_request_to_the_provider_carries_state_nonce_and_pkce(client, provider):
    started = client.get("/oidc/authenticate/?next=/plans/")
    location = urlsplit(started["Location"])
    query = parse_qs(location.query)
    assert (
        f"{location.scheme}://{location.netloc}{location.path}"
        == DOCUMENT["authorization_endpoint"]
    )
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]
    assert query["scope"] == ["openid email profile"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32


def test_given_and_family_names_are_used_where_the_provider_sends_them(client, provider):
    sign_in(client, provider, given_name="Sam", family_name="Patel", roles="Tracker.Lead")
    user = get_user_model().objects.get(username="f81d4fae-7dec")
    assert (user.first_name, user.last_name) == ("Sam", "Patel")


def test_a_changed_claim_changes_the_role_at_the_next_sign_in(client, provider):
    sign_in(client, provider, roles=["Tracker.Lead"])
    user = get_user_model().objects.get(username="f81d4fae-7dec")
    assert roles_of(user) == {"Lead"} and not user.is_staff

    client.post("/sign-out/")
    sign_in(client, provider, roles=["Tracker.Executive", "Tracker.Admin"], name="Alex Lee")
    user.refresh_from_db()
    assert roles_of(user) == {"Executive", "Administrator"}
    assert user.is_staff and user.get_full_name() == "Alex Lee"

    client.post("/sign-out/")
    sign_in(client, provider, roles=["Tracker.Lead"])
    user.refresh_from_db()
    assert roles_of(user) == {"Lead"} and not user.is_staff
    assert get_user_model().objects.filter(username="f81d4fae-7dec").count() == 1


def test_groups_that_are_not_roles_are_left_alone(client, provider):
    sign_in(client, provider, roles=["Tracker.Lead"])
    user = get_user_model().objects.get(username="f81d4fae-7dec")
    user.groups.add(Group.objects.create(name="Newsletter"))
    client.post("/sign-out/")
    sign_in(client, provider, roles=["Tracker.Executive"])
    assert roles_of(user) == {"Executive", "Newsletter"}


def test_someone_with_no_mapped_role_gets_no_account_and_a_page_saying_why(client, provider):
    response = sign_in(client, provider, roles=["Other.App.Reader"])
    assert response.status_code == 403
    assert oidc.NO_ROLE in response.content.decode()
    assert not get_user_model().objects.filter(username="f81d4fae-7dec").exists()
    assert not signed_in_user(client).is_authenticated


def test_an_account_whose_roles_are_withdrawn_loses_them_and_is_refused(client, provider):
    sign_in(client, provider, roles=["Tracker.Admin"])
    user = get_user_model().objects.get(username="f81d4fae-7dec")
    assert user.is_staff
    client.post("/sign-out/")
    response = sign_in(client, provider, roles=[])
    assert response.status_code == 403
    user.refresh_from_db()
    assert roles_of(user) == set() and not user.is_staff
    assert not signed_in_user(client).is_authenticated


def test_an_account_made_for_a_password_is_never_signed_into_through_the_provider(client, provider):
    local = UserFactory(username="f81d4fae-7dec", role="Executive")
    response = sign_in(client, provider, roles=["Tracker.Admin"])
    assert response.status_code == 403
    assert accounts.LOCAL_ACCOUNT in response.content.decode()
    local.refresh_from_db()
    assert roles_of(local) == {"Executive"} and not local.is_staff
    assert not signed_in_user(client).is_authenticated


def test_a_switched_off_account_is_refused_and_its_sessions_end(client, provider):
    sign_in(client, provider, roles=["Tracker.Lead"])
    user = get_user_model().objects.get(username="f81d4fae-7dec")
    user.is_active = False
    user.save()
    assert not signed_in_user(client).is_authenticated
    response = sign_in(client, provider, roles=["Tracker.Lead"])
    assert response.status_code == 403
    assert accounts.SWITCHED_OFF in response.content.decode()


def test_the_username_comes_from_the_configured_claim(client, provider, settings):
    settings.OIDC_USERNAME_CLAIM = "oid"
    sign_in(client, provider, oid="00000000-aaaa-bbbb", roles=["Tracker.Lead"])
    assert get_user_model().objects.get().username == "00000000-aaaa-bbbb"
    client.post("/sign-out/")
    provider.claims = {"sub": "f81d4fae-7dec", "roles": ["Tracker.Lead"]}
    _refused(sign_in(client, provider), "did not say who you are (no oid claim)")


def test_roles_may_come_from_the_group_ids_claim(client, provider, settings):
    settings.OIDC_ROLES_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = {"6f2d0c1e-group": "Executive"}
    sign_in(client, provider, groups=["6f2d0c1e-group", "another-group"])
    user = get_user_model().objects.get(username="f81d4fae-7dec")
    assert roles_of(user) == {"Executive"}


def test_claims_from_the_userinfo_endpoint_count_too(client, provider):
    provider.userinfo = {"roles": ["Tracker.Executive"], "email": "alex@example.police.uk"}
    sign_in(client, provider, sub="f81d4fae-7dec")
    user = get_user_model().objects.get(username="f81d4fae-7dec")
    assert roles_of(user) == {"Executive"} and user.email == "alex@example.police.uk"


def test_without_a_userinfo_endpoint_the_id_token_alone_is_enough(client, provider):
    del provider.document["userinfo_endpoint"]
    sign_in(client, provider, roles=["Tracker.Lead"])
    assert DOCUMENT["userinfo_endpoint"] not in provider.calls
    assert roles_of(get_user_model().objects.get(username="f81d4fae-7dec")) == {"Lead"}


def test_userinfo_about_someone_else_is_refused(client, provider, monkeypatch):
    original = provider.get

    def someone_else(url, **kwargs):
        if url == DOCUMENT["userinfo_endpoint"]:
            return _response(url, {"sub": "someone-else", "roles": ["Tracker.Admin"]})
        return original(url, **kwargs)

    monkeypatch.setattr(requests, "get", someone_else)
    response = sign_in(client, provider, roles=["Tracker.Lead"])
    assert response.status_code == 403
    assert not get_user_model().objects.exists()


def test_the_organisation_claim_makes_the_account_one_of_that_organisation(
    client, provider, settings
):
    settings.OIDC_ORGANISATION_CLAIM = "organisation"
    other = services.create_organisation(name="Example Force 1", code="example-1")
    sign_in(client, provider, roles=["Tracker.Lead"], organisation="EXAMPLE-1")
    user = get_user_model().objects.get(username="f81d4fae-7dec")
    assert permissions.organisation_id_of(user) == other.pk
    assert user.account.organisation == other


def test_an_organisation_the_tracker_does_not_know_is_refused(client, provider, settings):
    settings.OIDC_ORGANISATION_CLAIM = "organisation"
    response = sign_in(client, provider, roles=["Tracker.Lead"], organisation="Nowhere Police")
    assert response.status_code == 403
    assert "&#x27;Nowhere Police&#x27;, which is not an organisation" in response.content.decode()
    assert not get_user_model().objects.exists()


def test_the_organisation_claim_is_ignored_unless_configured(client, provider):
    services.create_organisation(name="Example Force 1", code="example-1")
    sign_in(client, provider, roles=["Tracker.Lead"], organisation="example-1")
    user = get_user_model().objects.get(username="f81d4fae-7dec")
    assert user.account.organisation == services.home_organisation()


def test_endpoints_given_explicitly_are_used_without_discovery(client, provider, settings):
    settings.OIDC_ENDPOINTS = {k: v for k, v in DOCUMENT.items() if k != "issuer"}
    sign_in(client, provider, roles=["Tracker.Lead"])
    assert ISSUER + oidc.DISCOVERY_PATH not in provider.calls
    assert signed_in_user(client).is_authenticated


def test_the_discovery_document_is_fetched_once_not_at_every_sign_in(client, provider):
    sign_in(client, provider, roles=["Tracker.Lead"])
    client.post("/sign-out/")
    sign_in(client, provider, roles=["Tracker.Lead"])
    assert provider.calls.count(ISSUER + oidc.DISCOVERY_PATH) == 1


# ---------------------------------------------------------------------------- refusals


def _refused(response, reason: str, status: int = 403) -> None:
    assert response.status_code == status, response
    page = response.content.decode()
    assert "You have not been signed in" in page and escape(reason) in page
    assert response.templates[0].name == oidc.REFUSED_TEMPLATE


@pytest.mark.parametrize(
    ("token_claims", "reason"),
    [
        ({"aud": "another-application"}, oidc.OTHER_CLIENT),
        ({"aud": ["another-application", "and-another"]}, oidc.OTHER_CLIENT),
        ({"iss": "https://login.example.test/another-tenant/v2.0"}, oidc.OTHER_ISSUER),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, oidc.EXPIRED),
        ({"iat": "not a time"}, oidc.UNVERIFIED),
        ({"nonce": "not-the-nonce-we-sent"}, oidc.UNVERIFIED),
    ],
    ids=["other client", "other clients", "other issuer", "expired", "bad iat", "wrong nonce"],
)
def test_a_token_that_fails_a_check_is_refused_with_a_page_saying_why(
    client, provider, token_claims, reason
):
    provider.token_claims = token_claims
    response = sign_in(client, provider, roles=["Tracker.Lead"])
    _refused(response, reason)
    assert not get_user_model().objects.exists()
    assert not signed_in_user(client).is_authenticated


def test_a_token_signed_with_another_key_is_refused(client, provider):
    provider.signing_key = ANOTHER_KEY
    _refused(sign_in(client, provider, roles=["Tracker.Lead"]), oidc.UNVERIFIED)
    assert not get_user_model().objects.exists()


def test_the_same_token_passes_every_check_when_nothing_is_wrong(client, provider):
    # The control for the refusals above: only what each changes makes it fail.
    assert sign_in(client, provider, roles=["Tracker.Lead"]).status_code == 302


def test_a_callback_with_an_unknown_state_gets_a_page_not_an_error(client, provider):
    client.get("/oidc/authenticate/")
    _refused(client.get("/oidc/callback/", {"code": "c", "state": "forged"}), "Sign in again", 400)
    fresh = client.__class__()
    _refused(fresh.get("/oidc/callback/", {"code": "c", "state": "s"}), "Sign in again", 400)


def test_a_callback_used_twice_is_refused_the_second_time(client, provider):
    started = client.get("/oidc/authenticate/")
    query = parse_qs(urlsplit(started["Location"]).query)
    provider.nonce = query["nonce"][0]
    provider.claims = {"sub": "f81d4fae-7dec", "roles": ["Tracker.Lead"]}
    params = {"code": "the-code", "state": query["state"][0]}
    assert client.get("/oidc/callback/", params).status_code == 302
    client.post("/sign-out/")
    _refused(client.get("/oidc/callback/", params), "Sign in again", 400)


def test_the_provider_saying_no_gets_a_page_with_what_it_said(client, provider):
    started = client.get("/oidc/authenticate/")
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    response = client.get(
        "/oidc/callback/",
        {"error": "access_denied", "error_description": "<b>User not assigned</b>", "state": state},
    )
    _refused(response, "did not sign you in: <b>User not assigned</b>")


def test_an_unreachable_provider_gets_a_page_not_an_error(client, provider, monkeypatch):
    def unreachable(url, **kwargs):
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(requests, "get", unreachable)
    _refused(client.get("/oidc/authenticate/"), oidc.UNREACHABLE, 502)


def test_a_token_endpoint_that_says_no_gets_a_page_not_an_error(client, provider, monkeypatch):
    monkeypatch.setattr(
        requests, "post", lambda url, **kw: _response(url, {"error": "invalid_grant"}, 400)
    )
    _refused(sign_in(client, provider, roles=["Tracker.Lead"]), oidc.NOT_COMPLETED, 502)


def test_a_discovery_document_naming_another_issuer_is_not_trusted(client, provider):
    provider.document["issuer"] = "https://login.example.test/impostor/v2.0"
    _refused(client.get("/oidc/authenticate/"), oidc.UNREACHABLE, 502)


def test_password_sign_in_still_counts_failures(client, provider, settings):
    """Throttling of local sign-ins is as it was, with single sign-on on."""
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="local-lead", role="Lead")
    for _ in range(2):
        client.post("/sign-in/", {"username": "local-lead", "password": "wrong"})
    right = {"username": "local-lead", "password": "a-long-test-password-1"}
    assert client.post("/sign-in/", right).status_code == 429
    assert not signed_in_user(client).is_authenticated


# ---------------------------------------------------------------------------- signing out


def test_signing_out_ends_the_providers_session_too(client, provider):
    sign_in(client, provider, roles=["Tracker.Lead"])
    id_token = client.session["oidc_id_token"]
    response = client.post("/sign-out/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (
        f"{location.scheme}://{location.netloc}{location.path}" == DOCUMENT["end_session_endpoint"]
    )
    assert parse_qs(location.query) == {
        "id_token_hint": [id_token],
        "post_logout_redirect_uri": ["http://testserver/sign-in/"],
        "client_id": [CLIENT_ID],
    }
    assert not signed_in_user(client).is_authenticated


def test_signing_out_of_a_password_account_stays_with_the_tracker(client, provider):
    user = UserFactory(username="local-lead", role="Lead")
    client.force_login(user)
    response = client.post("/sign-out/")
    assert response["Location"] == "/sign-in/"


def test_without_an_end_session_endpoint_signing_out_stays_with_the_tracker(client, provider):
    del provider.document["end_session_endpoint"]
    sign_in(client, provider, roles=["Tracker.Lead"])
    assert client.post("/sign-out/")["Location"] == "/sign-in/"
    assert not signed_in_user(client).is_authenticated


# ---------------------------------------------------------------------------- security headers


def _form_action(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(part for part in policy.split(";") if part.strip().startswith("form-action"))


def test_forms_may_lead_on_to_the_provider_only_when_it_is_configured(client, provider, settings):
    assert "https://login.example.test" in _form_action(client.get("/sign-in/"))
    settings.OIDC_ISSUER = ""
    assert _form_action(client.get("/sign-in/")).split() == ["form-action", "'self'"]


def test_a_discovery_document_that_is_not_an_object_is_not_trusted(client, provider):
    provider.document = ["not", "a", "discovery", "document"]
    _refused(client.get("/oidc/authenticate/"), oidc.UNREACHABLE, 502)

"""Single sign-on with OpenID Connect, through mozilla-django-oidc.

The library runs the authorisation code flow (state, nonce and PKCE kept in the session and
checked on return). This module gives it its settings (the provider's endpoints discovered from
the issuer on first use, or given explicitly), verifies every ID token fully (signature against
the provider's published keys, audience, issuer, expiry), turns the claims into the account and
its roles at every sign-in, answers a refused sign-in with a page saying why, and ends the
provider's session too when someone signs out. Settings: README, "Single sign-on".
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from recommendations.models import Organisation
from recommendations.permissions import organisation_id_of
from recommendations.services.accounts import SignInRefused, record_single_sign_on
from recommendations.services.organisations import set_organisation

from .oidc_config import REQUIRED_ENDPOINTS

log = logging.getLogger(__name__)

REFUSED_TEMPLATE = "registration/sign_in_refused.html"
DISCOVERY_PATH = "/.well-known/openid-configuration"
METADATA_SECONDS = 60 * 60
HTTP_TIMEOUT_SECONDS = 10
# Clocks on the tracker's server and the provider's may differ a little.
CLOCK_SKEW_SECONDS = 120

# What a refused sign-in says, each written once.
NO_ROLE = (
    "Your account has no role in the action plan tracker. Ask your IT team or an administrator "
    "to give you one (Lead, Executive or Administrator), then sign in again."
)
OTHER_CLIENT = (
    "The identity provider's answer was meant for another application, not this tracker, "
    "so it was not accepted. Tell your IT team."
)
OTHER_ISSUER = (
    "The answer came from a different identity provider than the one this tracker trusts, "
    "so it was not accepted. Tell your IT team."
)
EXPIRED = "The identity provider's answer had expired. Sign in again."
UNVERIFIED = "The identity provider's answer could not be verified, so it was not accepted."
NO_USERNAME = "The identity provider did not say who you are (no {claim} claim)."
UNKNOWN_ORGANISATION = (
    "The identity provider says you belong to {name!r}, which is not an organisation this "
    "tracker knows. Ask an administrator to add it."
)
LINK_USED = (
    "This sign-in had already been used or had expired, or was started in another browser. "
    "Sign in again."
)
UNREACHABLE = "The identity provider could not be reached. Try again in a few minutes."
NOT_COMPLETED = (
    "The identity provider would not complete the sign-in. Sign in again; if this keeps "
    "happening, tell your IT team."
)
PROVIDER_SAID = "The identity provider did not sign you in"
PASSWORD_SIGN_IN_OFF = "Password sign-in is switched off here: sign in with {provider}."  # noqa: S105


class ProviderUnavailable(Exception):
    """The provider's metadata could not be had, or could not be trusted."""


def enabled() -> bool:
    """Single sign-on is on when an issuer is configured."""
    return bool(settings.OIDC_ISSUER)


# ---------------------------------------------------------------------------- provider metadata


def _discover(issuer: str) -> dict[str, Any]:
    url = issuer.rstrip("/") + DISCOVERY_PATH
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"{url}: {error}") from error
    named = document.get("issuer") if isinstance(document, dict) else None
    if named != issuer:
        # OpenID Connect Discovery 1.0, 4.3: the document must name exactly the issuer asked.
        raise ProviderUnavailable(f"{url} names another issuer: {named!r}")
    return document


def provider_metadata() -> dict[str, Any]:
    """The provider's endpoints: given explicitly (OIDC_AUTHORIZATION_ENDPOINT...), or read
    from <issuer>/.well-known/openid-configuration on first use and kept for an hour."""
    if settings.OIDC_ENDPOINTS:
        return dict(settings.OIDC_ENDPOINTS)
    key = f"oidc-metadata:{settings.OIDC_ISSUER}"
    document = cache.get(key)
    if document is None:
        document = _discover(settings.OIDC_ISSUER)
        cache.set(key, document, METADATA_SECONDS)
    missing = [name for name in REQUIRED_ENDPOINTS if not document.get(name)]
    if missing:
        raise ProviderUnavailable(f"The provider's metadata has no {', '.join(missing)}.")
    return document


def _library_setting(attr: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings, taken from the tracker's own."""
    endpoints = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
        "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
        "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
        "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    }
    if attr in endpoints:
        return provider_metadata().get(endpoints[attr])
    fixed = {
        "OIDC_RP_CLIENT_ID": settings.OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.OIDC_CLIENT_SECRET,
        "OIDC_RP_SCOPES": settings.OIDC_SCOPES,
        "OIDC_RP_SIGN_ALGO": settings.OIDC_SIGNING_ALGORITHM,
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_STORE_ID_TOKEN": True,
        "OIDC_TIMEOUT": HTTP_TIMEOUT_SECONDS,
        "OIDC_ALLOW_UNSECURED_JWT": False,
    }
    if attr in fixed:
        return fixed[attr]
    return import_from_settings(attr, *default)


# ---------------------------------------------------------------------------- claims


def _text(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name) if name else None
    return value.strip() if isinstance(value, str) else ""


def roles_from_claims(claims: dict[str, Any]) -> set[str]:
    """The tracker's roles for these claims: each value of the roles claim (a list, or one
    value) looked up in OIDC_ROLE_MAP; values the map does not name give no role."""
    value = claims.get(settings.OIDC_ROLES_CLAIM)
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    mapping = settings.OIDC_ROLE_MAP
    return {mapping[v] for v in values if isinstance(v, str) and v in mapping}


def account_for_claims(claims: dict[str, Any]) -> AbstractBaseUser:
    """The account these (verified) claims sign into, brought in line with them; SignInRefused
    when the claims name nobody, give no role, or name an account that may not sign in so."""
    username = _text(claims, settings.OIDC_USERNAME_CLAIM)
    if not username:
        raise SignInRefused(NO_USERNAME.format(claim=settings.OIDC_USERNAME_CLAIM))
    if len(username) > get_user_model()._meta.get_field("username").max_length:
        raise SignInRefused(UNVERIFIED)
    roles = roles_from_claims(claims)
    organisation = organisation_from_claims(claims)
    user = record_single_sign_on(
        username=username,
        full_name=_text(claims, "name"),
        first_name=_text(claims, "given_name"),
        last_name=_text(claims, "family_name"),
        email=_text(claims, "email"),
        roles=roles,
    )
    if user is None or not roles:
        raise SignInRefused(NO_ROLE)
    if organisation is not None and organisation_id_of(user) != organisation.pk:
        set_organisation(user=user, organisation=organisation, by=user)
    return user


def organisation_from_claims(claims: dict[str, Any]) -> Organisation | None:
    """The organisation the OIDC_ORGANISATION_CLAIM names (by its code, short name or name,
    ignoring case), None when no claim is configured or sent; SignInRefused when it names an
    organisation the tracker does not have."""
    name = _text(claims, settings.OIDC_ORGANISATION_CLAIM)
    if not name:
        return None
    found = Organisation.objects.filter(
        Q(code__iexact=name) | Q(short_name__iexact=name) | Q(name__iexact=name)
    ).first()
    if found is None:
        raise SignInRefused(UNKNOWN_ORGANISATION.format(name=name))
    return found


# ---------------------------------------------------------------------------- authentication


class SingleSignOnBackend(OIDCAuthenticationBackend):
    """Completes a sign-in from the provider's callback. Settings are read when used, not
    when the backend is made, so password sign-ins never touch the provider."""

    get_settings = staticmethod(_library_setting)
    OIDC_RP_IDP_SIGN_KEY = None

    def __init__(self, *args, **kwargs) -> None:
        self.UserModel = get_user_model()

    # Django's rule, not the library's: a switched-off account's sessions end.
    get_user = ModelBackend.get_user

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return self.get_settings("OIDC_OP_TOKEN_ENDPOINT")

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str | None:
        return self.get_settings("OIDC_OP_USER_ENDPOINT")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return self.get_settings("OIDC_OP_JWKS_ENDPOINT")

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return settings.OIDC_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return settings.OIDC_CLIENT_SECRET

    @property
    def OIDC_RP_SIGN_ALGO(self) -> str:
        return settings.OIDC_SIGNING_ALGORITHM

    def authenticate(self, request: HttpRequest | None, **kwargs) -> AbstractBaseUser | None:
        """Only the provider's callback signs in here, and only with single sign-on on."""
        if request is None or not enabled() or "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def get_payload_data(self, token: bytes | str, key: Any) -> dict[str, Any]:
        """The ID token's claims, once its signature, audience, issuer and times are good."""
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_ISSUER,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidAudienceError as error:
            raise SignInRefused(OTHER_CLIENT) from error
        except jwt.InvalidIssuerError as error:
            raise SignInRefused(OTHER_ISSUER) from error
        except jwt.ExpiredSignatureError as error:
            raise SignInRefused(EXPIRED) from error
        except jwt.InvalidTokenError as error:
            raise SignInRefused(UNVERIFIED) from error

    def verify_token(self, token: str, **kwargs) -> dict[str, Any]:
        """Signature and claims (get_payload_data), then the nonce (the library)."""
        try:
            return super().verify_token(token, **kwargs)
        except (SuspiciousOperation, jwt.PyJWTError, KeyError, TypeError) as error:
            log.warning("Single sign-on: ID token refused: %s", error)
            raise SignInRefused(UNVERIFIED) from error

    def get_userinfo(self, access_token: str, id_token: str, payload: dict) -> dict[str, Any]:
        """The verified ID token's claims, with what the userinfo endpoint adds (some providers
        put roles in one, some in the other); both must be about the same person."""
        if not self.OIDC_OP_USER_ENDPOINT:
            return dict(payload)
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            raise SignInRefused(UNVERIFIED)
        return {**userinfo, **payload}

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict):
        """The account for the claims, with its roles and organisation."""
        return account_for_claims(self.get_userinfo(access_token, id_token, payload))


# ---------------------------------------------------------------------------- pages


def refused(request: HttpRequest, reason: str, *, status: int = 403) -> HttpResponse:
    """The page for a sign-in that did not complete: what happened and what to do."""
    return render(
        request,
        REFUSED_TEMPLATE,
        {"reason": reason, "provider_name": settings.OIDC_PROVIDER_NAME},
        status=status,
    )


class SignInView(auth_views.LoginView):
    """The sign-in page: single sign-on's button and, unless switched off, the password form."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.LOCAL_ACCOUNTS:
            raise PermissionDenied(
                PASSWORD_SIGN_IN_OFF.format(provider=settings.OIDC_PROVIDER_NAME)
            )
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "single_sign_on": enabled(),
            "provider_name": settings.OIDC_PROVIDER_NAME,
            "local_accounts": settings.LOCAL_ACCOUNTS,
        }


@method_decorator(login_not_required, name="dispatch")
class SignInStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider's sign-in page."""

    get_settings = staticmethod(_library_setting)

    def __init__(self, **kwargs) -> None:
        # The library reads the endpoint here; it is read in get(), where a failure has a page.
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404("Single sign-on is not set up.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_metadata()["authorization_endpoint"]
        except ProviderUnavailable as error:
            log.error("Single sign-on: %s", error)
            return refused(request, UNREACHABLE, status=502)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        return super().get(request)


@method_decorator(login_not_required, name="dispatch")
class SignInCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: signs in, or says why not."""

    get_settings = staticmethod(_library_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404("Single sign-on is not set up.")
        try:
            return super().get(request)
        except SignInRefused as refusal:
            log.warning("Single sign-on refused: %s", refusal)
            return refused(request, str(refusal))
        except SuspiciousOperation as error:  # an unknown state: replayed, or another browser
            log.warning("Single sign-on: %s", error)
            return refused(request, LINK_USED, status=400)
        except requests.HTTPError as error:  # the token endpoint said no (used code, bad secret)
            log.error("Single sign-on: %s", error)
            return refused(request, NOT_COMPLETED, status=502)
        except (ProviderUnavailable, requests.RequestException) as error:
            log.error("Single sign-on: %s", error)
            return refused(request, UNREACHABLE, status=502)

    def login_failure(self) -> HttpResponse:
        error = self.request.GET.get("error")
        if not error:
            return refused(self.request, LINK_USED, status=400)
        said = self.request.GET.get("error_description", "") or error
        return refused(self.request, f"{PROVIDER_SAID}: {said[:300]}")


def provider_sign_out_url(request: HttpRequest) -> str | None:
    """Where to send the browser so the provider ends its session too (RP-initiated logout),
    then returns it to the sign-in page; None where the provider offers no such endpoint or
    the person did not sign in through it."""
    id_token = request.session.get("oidc_id_token")
    if not enabled() or not id_token:
        return None
    try:
        endpoint = provider_metadata().get("end_session_endpoint")
    except ProviderUnavailable:
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
            "client_id": settings.OIDC_CLIENT_ID,
        }
    )
    return f"{endpoint}{'&' if urlsplit(endpoint).query else '?'}{query}"


class SignOutView(auth_views.LogoutView):
    """Signs out of the tracker, then of the provider where the person signed in there."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        provider_url = provider_sign_out_url(request)
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(provider_url) if provider_url else response


@login_not_required
def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The admin's own password form, unless password sign-in is off: then the tracker's
    sign-in page, and administrators reach the admin through single sign-on."""
    if settings.LOCAL_ACCOUNTS:
        return admin.site.login(request)
    if request.user.is_authenticated:
        raise PermissionDenied("Only administrators use the administration pages.")
    return redirect_to_login(request.GET.get("next", reverse("admin:index")))


# ---------------------------------------------------------------------------- security headers


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def provider_origins() -> list[str]:
    """The origins of the provider's sign-in and sign-out pages, as far as known without
    asking it: the issuer's, and those of endpoints given or already discovered."""
    urls = [settings.OIDC_ISSUER, *settings.OIDC_ENDPOINTS.values()]
    document = cache.get(f"oidc-metadata:{settings.OIDC_ISSUER}") or {}
    urls += [document.get("authorization_endpoint", ""), document.get("end_session_endpoint", "")]
    return sorted({origin for origin in map(_origin, urls) if origin})


class ProviderFormActionMiddleware:
    """Lets the sign-in and sign-out forms lead on to the provider: browsers apply the
    Content-Security-Policy's form-action to where a form's answer redirects, too."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if enabled() and response.get("Content-Type", "").startswith("text/html"):
            update = dict(getattr(response, "_csp_update", None) or {})
            update["form-action"] = [*update.get("form-action", []), *provider_origins()]
            response._csp_update = update
        return response

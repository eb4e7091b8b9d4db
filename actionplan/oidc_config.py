"""Single sign-on settings read from the environment.

settings.py imports this module, so nothing here may need Django's apps: it only parses and
checks values, refusing to start with a configuration that could never sign anyone in.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

# The tracker's roles, as recommendations.permissions.ROLES names them (which cannot be
# imported before the apps are ready); tests/test_single_sign_on.py keeps the two in step.
ROLE_NAMES = ("Lead", "Executive", "Administrator", "National")

# Endpoints that may be given instead of discovered, by their names in a discovery document;
# each is read from OIDC_<NAME IN CAPITALS>, e.g. OIDC_TOKEN_ENDPOINT.
ENDPOINT_NAMES = (
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "end_session_endpoint",
)
# Without these no sign-in can complete; the others are optional.
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


def parse_role_map(text: str) -> dict[str, str]:
    """Read OIDC_ROLE_MAP: `claim value=Role` pairs separated by commas.

    A claim value may itself contain "=" (the last one separates it from the role); several
    values may map to the same role. A role the tracker does not have is refused."""
    mapping: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        value, separator, role = item.rpartition("=")
        value, role = value.strip(), role.strip()
        if not separator or not value:
            raise ImproperlyConfigured(
                f"OIDC_ROLE_MAP: {item.strip()!r} should read 'claim value=Role'."
            )
        if role not in ROLE_NAMES:
            raise ImproperlyConfigured(
                f"OIDC_ROLE_MAP: {role!r} is not a role; the roles are {', '.join(ROLE_NAMES)}."
            )
        mapping[value] = role
    return mapping


def endpoints_from(environ: Mapping[str, str]) -> dict[str, str]:
    """The endpoints given explicitly in the environment, by their discovery document names."""
    given = {name: environ.get(f"OIDC_{name.upper()}", "").strip() for name in ENDPOINT_NAMES}
    return {name: url for name, url in given.items() if url}


def check(
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
    role_map: Mapping[str, str],
    endpoints: Mapping[str, str],
    local_accounts: bool,
) -> None:
    """Refuse a configuration under which nobody could sign in, or sign-in would be unsafe."""
    if not issuer:
        if not local_accounts:
            raise ImproperlyConfigured(
                "LOCAL_ACCOUNTS=off needs single sign-on: set OIDC_ISSUER and the other "
                "OIDC_ settings, or nobody can sign in."
            )
        return
    missing = [
        name
        for name, value in (
            ("OIDC_CLIENT_ID", client_id),
            ("OIDC_CLIENT_SECRET", client_secret),
            ("OIDC_ROLE_MAP", role_map),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(f"OIDC_ISSUER is set, so set {', '.join(missing)} too.")
    if endpoints:
        absent = [name for name in REQUIRED_ENDPOINTS if name not in endpoints]
        if absent:
            names = ", ".join(f"OIDC_{name.upper()}" for name in absent)
            raise ImproperlyConfigured(
                f"Endpoints given instead of discovered need {names} as well."
            )

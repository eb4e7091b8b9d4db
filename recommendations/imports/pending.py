"""An uploaded file waiting between its preview and the administrator's confirmation.

The file waits under MEDIA_ROOT/imports, named by a random token that only the uploader's
session knows; the session keeps the token, the file's checksum and what the preview showed.
Files that nobody confirmed or cancelled are removed after a day.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

from django.conf import settings

SESSION_KEY = "plan_import"
KEEP_SECONDS = 24 * 60 * 60
SUFFIX = ".upload"


def _folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _path(pending: dict) -> Path | None:
    token = pending.get("token", "")
    if not isinstance(token, str) or not token.isascii() or not 40 <= len(token) <= 64:
        return None
    if not token.replace("-", "").replace("_", "").isalnum():
        return None
    return _folder() / f"{token}{SUFFIX}"


def discard(session) -> None:
    """Forget the waiting import and remove its file."""
    path = _path(session.pop(SESSION_KEY, None) or {})
    if path is not None:
        path.unlink(missing_ok=True)


def _sweep() -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in _folder().glob(f"*{SUFFIX}"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


def keep(session, data: bytes, details: dict) -> dict:
    """Hold the file until the administrator confirms, replacing any import waiting in the
    same session; returns what the session keeps (with the token the form sends back)."""
    discard(session)
    _folder().mkdir(parents=True, exist_ok=True)
    _sweep()
    token = secrets.token_urlsafe(32)
    (_folder() / f"{token}{SUFFIX}").write_bytes(data)
    details = details | {"token": token, "sha256": hashlib.sha256(data).hexdigest()}
    session[SESSION_KEY] = details
    return details


def remember(session, details: dict) -> None:
    session[SESSION_KEY] = details


def waiting(session, token: str) -> tuple[dict, bytes] | None:
    """The waiting import and its bytes, if `token` is its token and the file is unchanged."""
    details = session.get(SESSION_KEY) or {}
    path = _path(details)
    data = path.read_bytes() if path is not None and path.is_file() else None
    if (
        data is None
        or not secrets.compare_digest(token.encode(), details["token"].encode())
        or hashlib.sha256(data).hexdigest() != details.get("sha256")
    ):
        return None
    return details, data

"""Session expiry after inactivity, without writing the session on every request."""

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REFRESH_AFTER_SECONDS = 60


class IdleSessionTimeoutMiddleware:
    """Pushes a signed-in session's expiry forward as the user works.

    The session cookie and row expire SESSION_IDLE_SECONDS after the last refresh; refreshing at
    most once a minute keeps the idle limit accurate to a minute while sparing a database write
    per request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated:
            now = int(time.time())
            if now - session.get("_refreshed_at", 0) >= REFRESH_AFTER_SECONDS:
                session["_refreshed_at"] = now
                session.set_expiry(settings.SESSION_IDLE_SECONDS)
        return self.get_response(request)

"""Request-wide rules: a limit on request bodies, session expiry after inactivity, and
signed-in pages kept by no cache."""

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.cache import add_never_cache_headers

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


class PrivatePagesMiddleware:
    """Marks every response to a signed-in user `no-store, private`.

    Signed-in pages show what the user may see, their name and a CSRF token: neither the
    browser (its back button, a shared computer) nor a proxy may keep them. Pages for anonymous
    visitors (the public plan page) keep whatever caching they set, static files are served
    before this runs, and the tracker's own page cache is on the server, keyed by role, so it is
    unaffected.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class RequestSizeLimitMiddleware:
    """Refuses a request whose body is over MAX_REQUEST_BYTES, before anything reads it.

    Django reads a body no further than its declared Content-Length, so checking that header
    caps what is read: a larger declared body gets 413 at once. A body of unstated length
    (chunked) would be read as empty, silently losing what was sent, so it gets 411.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BYTES
        declared = request.META.get("CONTENT_LENGTH") or ""
        if not declared.strip():
            if request.META.get("HTTP_TRANSFER_ENCODING"):
                return HttpResponse(
                    "Send the request with its length (Content-Length).\n",
                    status=411,
                    content_type="text/plain; charset=utf-8",
                )
        else:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size < 0:
                return HttpResponseBadRequest(
                    "The request's length is not a number.\n",
                    content_type="text/plain; charset=utf-8",
                )
            if size > limit:
                return HttpResponse(
                    f"The request is too large: the tracker accepts at most "
                    f"{limit / (1024 * 1024):.0f} MB at once (an evidence file up to "
                    f"{settings.EVIDENCE_MAX_BYTES / (1024 * 1024):.0f} MB).\n",
                    status=413,
                    content_type="text/plain; charset=utf-8",
                )
        return self.get_response(request)

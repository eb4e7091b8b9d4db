"""`/healthz` for load balancers and monitoring: is this server able to serve?

No sign-in, nothing about the plans or the people: only "ok" or "failing" for the database,
the cache and the background queue, and HTTP 200 when all are ok, else 503. Two queries at
most, never cached.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

OK, FAILING = "ok", "failing"


def database_ok() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def cache_ok() -> bool:
    key = "healthz:" + secrets.token_hex(8)
    cache.set(key, 1, timeout=10)
    found = cache.get(key)
    cache.delete(key)
    return found == 1


def queue_ok(*, now: dt.datetime | None = None) -> bool:
    """Whether the workers keep up: no task ready to run has waited for one longer than
    HEALTH_QUEUE_MAX_WAIT_SECONDS (none waits at all while a worker is idle)."""
    now = now or timezone.now()
    oldest = (
        DBTaskResult.objects.ready()
        .order_by("enqueued_at")
        .values_list("enqueued_at", "run_after")
        .first()
    )
    if oldest is None:
        return True
    # A task deferred to later waits from the moment it may run.
    due = oldest[0] if oldest[1].year == 9999 else max(oldest)
    return now - due <= dt.timedelta(seconds=settings.HEALTH_QUEUE_MAX_WAIT_SECONDS)


CHECKS = {"database": database_ok, "cache": cache_ok, "queue": queue_ok}


def _run(name: str) -> str:
    try:
        return OK if CHECKS[name]() else FAILING
    except Exception:
        # What failed goes to the log, never to the unauthenticated caller.
        logger.exception("Health check %s failed", name)
        return FAILING


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {name: _run(name) for name in CHECKS}
    healthy = all(result == OK for result in checks.values())
    return JsonResponse(
        {"status": OK if healthy else FAILING, "checks": checks}, status=200 if healthy else 503
    )

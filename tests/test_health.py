"""/healthz tells a load balancer whether this server can serve: database, cache and the
background queue, each "ok" or "failing", HTTP 200 or 503; no sign-in, no data, no caching."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from recommendations.exports import jobs
from recommendations.views import health
from tests.factories import build_plan

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
ALL_OK = {"status": "ok", "checks": {"database": "ok", "cache": "ok", "queue": "ok"}}


def healthz(client):
    return client.get(reverse("healthz"))


def test_a_healthy_server_says_ok_to_anyone_without_signing_in(client):
    response = healthz(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == ALL_OK


def test_it_reveals_nothing_about_the_plans(client):
    plan = build_plan(recommendations=3)
    response = healthz(client)
    # Exactly the three verdicts: no counts, no names, no versions.
    assert json.loads(response.content) == ALL_OK
    assert plan.title.encode() not in response.content


def test_it_is_never_cached(client):
    cache_control = healthz(client)["Cache-Control"]
    for directive in ("no-cache", "no-store", "must-revalidate", "max-age=0"):
        assert directive in cache_control


def test_it_costs_two_queries_at_most(client, django_assert_max_num_queries):
    build_plan()
    jobs.sweep_kept_returns.enqueue()
    with django_assert_max_num_queries(2):
        assert healthz(client).status_code == 200


def test_head_requests_are_answered_and_posts_refused(client):
    assert client.head(reverse("healthz")).status_code == 200
    assert client.post(reverse("healthz")).status_code == 405


def test_a_database_that_cannot_be_reached_fails_the_check(client, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 10.0.0.5 refused")

    monkeypatch.setattr(health.connection, "cursor", refuse)
    response = healthz(client)
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "failing"
    assert body["checks"]["database"] == "failing"
    # Why goes to the log, not to whoever asked.
    assert b"10.0.0.5" not in response.content
    assert "10.0.0.5" in caplog.text


def test_a_cache_that_keeps_nothing_fails_the_check(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    response = healthz(client)
    assert response.status_code == 503
    assert json.loads(response.content)["checks"] == {
        "database": "ok",
        "cache": "failing",
        "queue": "ok",
    }


def wait(task_id: str, seconds: float) -> None:
    DBTaskResult.objects.filter(pk=task_id).update(
        enqueued_at=timezone.now() - dt.timedelta(seconds=seconds)
    )


def test_a_task_left_waiting_too_long_fails_the_queue(client, settings):
    settings.HEALTH_QUEUE_MAX_WAIT_SECONDS = 600
    task = jobs.sweep_kept_returns.enqueue()
    wait(task.id, 590)
    assert healthz(client).status_code == 200

    wait(task.id, 610)
    response = healthz(client)
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["queue"] == "failing"


def test_the_queue_recovers_once_a_worker_has_run_the_task(client):
    from tests.test_background_returns import run_worker

    task = jobs.sweep_kept_returns.enqueue()
    wait(task.id, 3600)
    assert healthz(client).status_code == 503
    run_worker()
    assert healthz(client).status_code == 200


def test_a_task_deferred_to_later_is_not_waiting(client):
    later = timezone.now() + dt.timedelta(hours=1)
    task = jobs.sweep_kept_returns.using(run_after=later).enqueue()
    wait(task.id, 3600)
    assert healthz(client).status_code == 200


def test_production_answers_over_plain_http_where_every_page_redirects_to_https():
    """A load balancer checks the server directly, without TLS: the HTTPS redirect exempts
    /healthz, and only it."""
    script = (
        "from django.test import Client; c = Client();"
        "print(c.get('/healthz').status_code, c.get('/sign-in/').status_code)"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment |= {
        "DJANGO_SETTINGS_MODULE": "actionplan.settings",
        "DEBUG": "false",
        "SECRET_KEY": "health-check-test-" + "x" * 50,
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    health_status, sign_in_status = result.stdout.split()[-2:]
    # An empty database has no queue table: failing, but answered rather than redirected.
    assert health_status == "503"
    assert sign_in_status == "301"

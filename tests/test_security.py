import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory, build_plan

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3J9-wq7zP0vN4rT8yB2mX6cL1sD5fG0hQ9uE3iO7aW2eR6tY4uI8oP1lK5jH3gF"


def run_django(args: list[str], **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    environment |= {"DJANGO_SETTINGS_MODULE": "actionplan.settings", **env}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_django(["manage.py", "check"], DEBUG="false", ALLOWED_HOSTS="plans.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_django(["manage.py", "check"], DEBUG="false", SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_django(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="plans.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_pages_carry_security_headers(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_templates_hold_no_inline_script_or_style():
    # PDF templates are rendered by WeasyPrint, never by a browser.
    paths = [p for p in (ROOT / "templates").rglob("*.html") if "returns" not in p.parts]
    assert len(paths) > 10
    for path in paths:
        text = path.read_text()
        assert "style=" not in text, path
        assert "<style" not in text, path
        assert "<script>" not in text and " on" + "click=" not in text, path


@pytest.mark.django_db
def test_sign_in_is_throttled_after_repeated_failures(client):
    user = UserFactory(username="target", role="Lead")
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "target", "password": "wrong"})
        assert response.status_code in (200, 429)
    response = client.post(reverse("login"), {"username": "target", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert user.pk


@pytest.mark.django_db
def test_a_correct_password_signs_in(client):
    UserFactory(username="someone", role="Lead")
    response = client.post(reverse("login"), {"username": "someone", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


@pytest.mark.django_db
def test_sessions_expire_after_inactivity(client, settings):
    user = UserFactory(username="idle", role="Lead")
    client.force_login(user)
    client.get(reverse("plan_list"))
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_SECONDS
    assert settings.SESSION_IDLE_SECONDS <= 60 * 60


@pytest.mark.django_db
def test_a_post_without_a_csrf_token_is_refused(lead):
    plan = build_plan(recommendations=1, periods=1)
    rec = plan.recommendations.top_level().get()
    rec.owner = lead.owner
    rec.save()
    period = plan.periods.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead)
    for url in [
        reverse("update_edit", args=[plan.slug, rec.number, period.pk]),
        reverse("update_sign_off", args=[plan.slug, rec.number, period.pk]),
        reverse("logout"),
    ]:
        response = client.post(url, {"status": "on_track", "text": "x", "version": 1})
        assert response.status_code == 403, url
    rec.updates.get(period=period).refresh_from_db()
    assert rec.updates.get(period=period).text != "x"

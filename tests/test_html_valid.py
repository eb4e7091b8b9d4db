"""Every page type is valid HTML, as the Nu HTML Checker (the W3C's validator) reads it.

Each page is rendered with the test client for the people who see it, from the demo plan with
every kind of thing a page shows (an update awaiting sign-off, a returned one, evidence, an
action with its own update, a moved deadline), written to a folder and checked in one run of
vnu.jar. Where Java or vnu.jar is missing the test is skipped, loudly; with REQUIRE_BROWSER=1
(as CI sets) it fails instead, so CI can never pass without checking the pages.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from recommendations import services
from recommendations.choices import SignOff, Status
from tests.factories import build_plan

pytestmark = pytest.mark.django_db

DEFAULT_JAR = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
REQUIRED = os.environ.get("REQUIRE_BROWSER", "").strip() == "1"
INSTALL = "apt-get install default-jre-headless; npm install --no-save vnu-jar"


def _checker() -> tuple[list[str] | None, str]:
    """The command that runs the checker, or None and what is missing."""
    java = shutil.which("java")
    jar = Path(os.environ.get("VNU_JAR") or DEFAULT_JAR)
    missing = [name for name, found in (("java", java), (str(jar), jar.is_file())) if not found]
    if missing:
        return None, " and ".join(missing)
    return [java, "-jar", str(jar), "--errors-only", "--format", "json"], ""


@pytest.fixture
def checker() -> list[str]:
    command, missing = _checker()
    if command is None:
        if REQUIRED:
            pytest.fail(
                f"HTML CHECK REQUIRED (REQUIRE_BROWSER=1) BUT {missing} is missing ({INSTALL})",
                pytrace=False,
            )
        message = f"HTML CHECK SKIPPED: {missing} is missing ({INSTALL})"
        warnings.warn(pytest.PytestWarning(message), stacklevel=1)
        pytest.skip(message)
    return command


def _accounts() -> dict[str, object]:
    User = get_user_model()
    return {user.username: user for user in User.objects.filter(username__in=LOGINS)}


LOGINS = ("lead", "executive", "admin")


@pytest.fixture
def scene(demo_plan):
    """The demo plan holding every kind of element its pages show."""
    accounts = _accounts()
    lead, executive, admin = (accounts[name] for name in LOGINS)
    plan = demo_plan
    services.change_plan(plan=plan, by=admin, is_published=True)
    june = services.add_period(
        plan=plan,
        label="June 2026 update",
        period_end=dt.date(2026, 6, 30),
        return_due=dt.date(2026, 7, 14),
        by=admin,
        reason="Next reporting period",
    )
    seven = plan.recommendations.get(number="7")
    ten = plan.recommendations.get(number="10")
    action = plan.recommendations.get(number="7.1")
    owner = seven.owner
    # An action with its own owner, deadline and update.
    services.change_recommendation(
        recommendation=action,
        by=admin,
        owner=owner,
        due_date=dt.date(2026, 9, 30),
        due_date_reason="A deadline of its own",
    )
    services.record_update(
        recommendation=action,
        period=june,
        status=Status.AT_RISK,
        text="Training booked for the autumn.",
        author=lead,
        submit=True,
    )
    # Awaiting sign-off, with evidence.
    awaiting = services.record_update(
        recommendation=seven,
        period=june,
        status=Status.ON_TRACK,
        text="Stalking advocates are in post.\n\nTraining continues.",
        author=lead,
        submit=True,
        new_evidence=[
            (SimpleUploadedFile("notes.txt", b"Trained 412 officers.\n"), "Training log")
        ],
    )
    # Returned with a comment.
    returned = services.record_update(
        recommendation=ten,
        period=june,
        status=Status.OFF_TRACK,
        text="Awaiting the new system.",
        author=lead,
        submit=True,
    )
    services.change_sign_off(
        update=returned, to=SignOff.RETURNED, by=executive, comment="Say when it arrives."
    )
    # A moved deadline.
    services.change_due_date(
        recommendation=seven, new_date=dt.date(2026, 12, 31), reason="Awaiting funding", by=admin
    )
    return {
        "plan": plan,
        "june": june,
        "seven": seven,
        "ten": ten,
        "action": action,
        "evidence": awaiting.evidence.get(),
        "accounts": accounts,
    }


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _pages(scene) -> dict[str, str]:
    """Every page type, by name: its HTML as the people who see it are served it."""
    plan, june, seven = scene["plan"], scene["june"], scene["seven"]
    accounts = scene["accounts"]
    anonymous = _client()
    lead, executive, admin = (_client(accounts[name]) for name in LOGINS)
    slug = plan.slug

    def rec_url(number: str) -> str:
        return reverse("recommendation_detail", args=[slug, number])

    update_url = reverse("update_edit", args=[slug, "7", june.pk])
    earlier = plan.periods.get(label="March 2026 update")
    table = reverse("plan_table", args=[slug])
    csv = SimpleUploadedFile("plan.csv", b"Ref,Recommendation\n1,Do it.\n", content_type="text/csv")
    # (name, client, method, url, data, expected status)
    requests = [
        ("sign-in", anonymous, "get", reverse("login"), None, 200),
        (
            "sign-in, refused",
            anonymous,
            "post",
            reverse("login"),
            {"username": "lead", "password": "not-the-password"},
            200,
        ),
        ("plan list", executive, "get", reverse("plan_list"), None, 200),
        ("plan table", executive, "get", table, None, 200),
        ("plan table, filtered", executive, "get", f"{table}?awaiting=on&q=stalking", None, 200),
        ("plan table, empty", executive, "get", f"{table}?q=no-such-words-anywhere", None, 200),
        ("recommendation, lead", lead, "get", rec_url("7"), None, 200),
        ("recommendation, executive", executive, "get", rec_url("7"), None, 200),
        ("recommendation, administrator", admin, "get", rec_url("10"), None, 200),
        ("sub-recommendation, lead", lead, "get", rec_url("7.1"), None, 200),
        ("update form", lead, "get", update_url, None, 200),
        (
            "update form, refused",
            lead,
            "post",
            update_url,
            {"status": "complete", "text": "", "version": seven.updates.get(period=june).version},
            400,
        ),
        (
            "evidence form",
            lead,
            "get",
            reverse("evidence_upload", args=[slug, "7", earlier.pk]),
            None,
            200,
        ),
        (
            "evidence removal",
            lead,
            "get",
            reverse("evidence_remove", args=[slug, scene["evidence"].pk]),
            None,
            200,
        ),
        ("due-date form", admin, "get", reverse("due_date_edit", args=[slug, "7"]), None, 200),
        ("dashboard, one plan", executive, "get", reverse("dashboard"), None, 200),
        ("my work", lead, "get", reverse("my_work"), None, 200),
        ("sign-off queue", executive, "get", reverse("sign_off_queue"), None, 200),
        ("import upload", admin, "get", reverse("import_upload"), None, 200),
        (
            "import preview",
            admin,
            "post",
            reverse("import_upload"),
            {"file": csv, "title": "A small plan", "slug": "a-small-plan"},
            200,
        ),
        ("public page", anonymous, "get", reverse("public_plan", args=[slug]), None, 200),
        ("403", lead, "get", reverse("import_upload"), None, 403),
        ("404", executive, "get", "/plans/no-such-plan/", None, 404),
    ]
    pages = {}
    for name, client, method, url, data, expected in requests:
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
        assert response.status_code == expected, f"{name}: {url} gave {response.status_code}"
        pages[name] = response.content.decode()
    # Each state is what it is named: the filtered table has rows and the empty one none; the
    # refused sign-in focuses its error summary, not the username; the preview is a preview
    # (a refused upload comes back as the form); the refused update shows its errors.
    assert "No recommendations match" in pages["plan table, empty"]
    assert "No recommendations match" not in pages["plan table, filtered"]
    assert "There is a problem" in pages["sign-in, refused"]
    assert pages["sign-in, refused"].count("autofocus") == 1
    assert 'name="username" autofocus' in pages["sign-in"]
    assert "Do it." in pages["import preview"]
    assert 'aria-invalid="true"' in pages["update form, refused"]

    build_plan(recommendations=3, periods=2, subs=1)
    response = executive.get(reverse("dashboard"))
    assert response.status_code == 200
    pages["dashboard, several plans"] = response.content.decode()

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    pages["500"] = response.content.decode()
    return pages


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name).strip("-") + ".html"


def _check(command: list[str], folder: Path, pages: dict[str, str]) -> list[str]:
    """The checker's errors, each as "file:line: message"."""
    files = []
    for name, html in pages.items():
        path = folder / _file_name(name)
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(
        [*command, *files], capture_output=True, text=True, timeout=300, check=False
    )
    # The JSON report goes to standard error; anything but a report is a failure to run.
    try:
        report = json.loads(result.stderr or result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"vnu.jar gave no report (exit {result.returncode}):\n{result.stderr}")
    errors = []
    for message in report.get("messages", []):
        where = Path(unquote(urlparse(message.get("url", "")).path)).name
        line = message.get("lastLine") or message.get("firstLine") or "?"
        errors.append(f"{where}:{line}: {message.get('message', '').strip()}")
    return errors


# A page the checker must fault, checked with the others: a run that checked nothing (no
# files read, an empty report) cannot pass.
CANARY = "known-invalid"
CANARY_HTML = (
    '<!DOCTYPE html><html lang="en"><head><title>Invalid</title></head><body>'
    '<p><time datetime="2026-06-15T12:00:00.123456+01:00">Noon</time></p></body></html>'
)


def test_every_page_type_is_valid_html(checker, scene, tmp_path):
    pages = _pages(scene)
    assert len(pages) == 25
    errors = _check(checker, tmp_path, {**pages, CANARY: CANARY_HTML})
    canary = [error for error in errors if error.startswith(_file_name(CANARY))]
    assert canary, "The checker found no fault in a page known to be invalid"
    errors = [error for error in errors if error not in canary]
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(errors)

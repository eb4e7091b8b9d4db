"""A force's deployment and a national deployment, live on loopback with databases of their own:
the force publishes its plan; the national side sets the report up from the force's published
return, collects it and shows the force's approved statuses in the national progress report;
after the force approves a new update, a second collection brings only that change, and a third,
with nothing new, transfers no body (304 Not Modified).

Each deployment is a gunicorn server with production settings; each one's management commands
run as separate processes against its own SQLite database, as its IT team would run them.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.bench.server import ROOT, HttpSession, Server, collect_static, production_env

FORCE = "Hampshire and Isle of Wight Constabulary"
NATIONAL_BODY = "Example National Lead (fictional)"
PLAN = "stalking-super-complaint"
PASSWORD = "two-deployments-national-2026"

# Record and approve an update on the force's side as its people do: the lead writes and
# submits, the executive approves (services.record_update, services.change_sign_off).
APPROVE = """
from django.contrib.auth import get_user_model
from recommendations import services
from recommendations.choices import SignOff
from recommendations.models import Plan
users = get_user_model().objects
plan = Plan.objects.get(slug={plan!r})
rec = plan.recommendations.get(number={number!r})
period = plan.periods.order_by("-position").first()
update = services.record_update(
    recommendation=rec, period=period, status={status!r}, text={text!r},
    no_evidence_reason="Nothing to attach yet.", author=users.get(username="lead"), submit=True,
)
services.change_sign_off(update=update, to=SignOff.APPROVED, by=users.get(username="executive"))
"""

NATIONAL_ACCOUNT = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from recommendations import services
body = services.home_organisation()  # FORCE_NAME: the national body's own name
assert body.name == {body!r}
body = services.change_organisation(organisation=body, by=None, answers_reports=False)
user = get_user_model().objects.create_user("national", password={password!r})
user.groups.add(Group.objects.get(name="National"))
services.set_organisation(user=user, organisation=body)
"""


class Deployment:
    """One deployment: its database, its settings, its commands and its server."""

    def __init__(self, folder: Path, static_root: Path, *, name: str, **env: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.database_url = f"sqlite:///{folder / 'db.sqlite3'}"
        self.env = {
            "FORCE_NAME": name,
            "STATIC_ROOT": str(static_root),
            "MEDIA_ROOT": str(folder / "media"),
            **env,
        }
        self.server: Server | None = None

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=production_env(self.database_url) | self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def must(self, *args: str) -> str:
        done = self.manage(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def shell(self, code: str) -> None:
        self.must("shell", "-c", code)

    def start(self) -> None:
        self.server = Server(
            self.database_url, workers=1, threads=2, timeout=120, env=self.env,
            log_dir=self.folder,
        ).__enter__()  # fmt: skip

    def stop(self) -> None:
        if self.server is not None:
            self.server.__exit__()

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture(scope="module")
def deployments(tmp_path_factory):
    static_root = tmp_path_factory.mktemp("static")
    collect_static(static_root)
    root = tmp_path_factory.mktemp("deployments")
    force = Deployment(root / "force", static_root, name=FORCE)
    national = Deployment(root / "national", static_root, name=NATIONAL_BODY)
    force.must("migrate", "--noinput", "-v0")
    force.must("load_demo")  # the force's published plan, its lead and executive
    national.must("migrate", "--noinput", "-v0")
    national.shell(NATIONAL_ACCOUNT.format(body=NATIONAL_BODY, password=PASSWORD))
    force.start()
    national.start()
    try:
        yield force, national
    finally:
        force.stop()
        national.stop()


def _collect(force: Deployment, national: Deployment, report: str) -> str:
    url = f"{force.address}/public/{PLAN}/return.json"
    return national.must("collect_returns", "--report", report, "--as", "national", url)


def _matrix(national: Deployment, report: str) -> str:
    session = HttpSession(national.server.port)
    session.sign_in("national", PASSWORD)
    page = session.get(f"/national/{report}/")
    assert page.status == 200, page.status
    return html.unescape(re.sub(r"\s+", " ", page.text))


def test_a_national_deployment_collects_a_forces_published_return(deployments):
    force, national = deployments
    force.shell(
        APPROVE.format(
            plan=PLAN, number="7", status="on_track",
            text="Stalking training delivered to 412 officers.",
        )
    )  # fmt: skip
    published = HttpSession(force.server.port).get(f"/public/{PLAN}/return.json")
    assert published.status == 200
    document = json.loads(published.text)
    report = document["report"]["slug"]

    # The national side has never heard of the report: set it up from the force's return.
    url = f"{force.address}/public/{PLAN}/return.json"
    assert "Set up" in national.must("add_report", "--from-return", url)

    first = _collect(force, national, report)
    assert FORCE in first and "refused" not in first and "failed" not in first
    matrix = _matrix(national, report)
    assert FORCE in matrix
    assert NATIONAL_BODY not in matrix.split("</header>", 1)[-1].split("<footer", 1)[0]
    assert "On track" in matrix

    # The force approves a new update: the next collection brings that change only.
    force.shell(
        APPROVE.format(
            plan=PLAN, number="10", status="at_risk",
            text="The stalking clinic is delayed by recruitment.",
        )
    )  # fmt: skip
    second = _collect(force, national, report)
    counts = re.search(r"(\d+) added, (\d+) changed", second)
    assert counts, second
    assert int(counts.group(1)) + int(counts.group(2)) == 1, second
    assert "At risk" in _matrix(national, report)

    # Nothing new: the force answers 304 and sends no body.
    third = _collect(force, national, report)
    assert "unchanged (304)" in third, third
    # As the collector asked: with the validators of what it holds, the answer has no body.
    held = requests.get(url, timeout=30)
    again = requests.get(
        url,
        headers={
            "If-None-Match": held.headers["ETag"],
            "If-Modified-Since": held.headers["Last-Modified"],
        },
        timeout=30,
    )
    assert again.status_code == 304 and again.content == b""

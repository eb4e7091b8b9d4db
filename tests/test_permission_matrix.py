"""Who may open, and post to, every page of the tracker.

Each rule below is one URL and method, with what each person gets: an anonymous visitor, the
lead who owns the recommendation, a lead who does not, an executive, an administrator and a
signed-in person with no role. Plan-wide pages are the same for both leads, so they name one
"lead". A refusal is a 403 saying what is not allowed; a refused request, and every GET,
changes nothing; an allowed POST does change something (so the refusals prove something).

The role rules: leads record progress and evidence only for recommendations whose owner is
linked to their account; executives see everything and sign updates off, but write no
narrative; administrators set plans up, import them and move due dates; everyone with a role
sees the plans and downloads the returns; the public page needs no sign-in and shows only
published plans.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from recommendations import services
from recommendations.choices import SignOff, Status
from recommendations.exports import jobs
from recommendations.imports import pending
from recommendations.models import Plan, Recommendation, ReportingPeriod, StatusUpdate
from tests.factories import (
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    SubRecommendationFactory,
    UserFactory,
)
from tests.open_returns import return_document
from tests.snapshots import assert_unchanged, changed_parts, snapshot

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------- outcomes

# Each outcome is also the last part of its cases' ids.
OK = "200"
REDIRECT = "302"  # onwards, not to a sign-in page
SIGN_IN = "sign-in"  # 302 to the sign-in page
ADMIN_SIGN_IN = "admin-sign-in"  # 302 to the admin's own sign-in page
DENIED = "403"
MISSING = "404"
WRONG_METHOD = "405"

PLAN_WIDE_ACTORS = ("anonymous", "lead", "executive", "administrator", "outsider")
PER_RECOMMENDATION_ACTORS = (
    "anonymous",
    "lead_own",
    "lead_other",
    "executive",
    "administrator",
    "outsider",
)

NO_ROLE = "You have no role in any plan."
EDIT_REFUSED = (
    "Only the lead who owns this recommendation, or an administrator, may record its progress."
)
EVIDENCE_REFUSED = (
    "Only the lead who owns this recommendation, or an administrator, may change its evidence."
)
SIGN_OFF_REFUSED = "Only executives sign updates off."
SUBMIT_REFUSED = "Only the lead who owns this recommendation may submit its update."
IMPORT_REFUSED = "Only administrators may import plans."
DUE_DATE_REFUSED = "Only administrators may move a due date."
DASHBOARD_REFUSED = "The dashboard is for executives and administrators."
RETURNS_REFUSED = "You have no role in any plan, so you cannot download its returns."
COLLECT_REFUSED = "Only accounts with the National role take forces' returns in."
NATIONAL_REFUSED = "The national pages are for accounts with the National role."


@dataclass(frozen=True)
class Rule:
    """One URL and method, and what each person gets from it."""

    view: str  # a URL name, with the variant after a colon ("update_sign_off:approve")
    method: str
    outcomes: dict[str, str]
    refusal: str = ""  # what a 403 says
    xfail: dict[str, str] = field(default_factory=dict)  # actor -> why the app is wrong


def plan_wide(view, method, *, anonymous, lead, executive, administrator, outsider, **extra):
    outcomes = dict(
        anonymous=anonymous,
        lead=lead,
        executive=executive,
        administrator=administrator,
        outsider=outsider,
    )
    return Rule(view, method, outcomes, **extra)


def per_recommendation(
    view, method, *, anonymous, lead_own, lead_other, executive, administrator, outsider, **extra
):
    outcomes = dict(
        anonymous=anonymous,
        lead_own=lead_own,
        lead_other=lead_other,
        executive=executive,
        administrator=administrator,
        outsider=outsider,
    )
    return Rule(view, method, outcomes, **extra)


# fmt: off
RULES = [
    # Start and overview pages.
    plan_wide("home", "GET", anonymous=SIGN_IN, lead=REDIRECT, executive=REDIRECT,
              administrator=REDIRECT, outsider=REDIRECT),
    plan_wide("dashboard", "GET", anonymous=SIGN_IN, lead=DENIED, executive=OK,
              administrator=OK, outsider=DENIED, refusal=DASHBOARD_REFUSED),
    plan_wide("plan_list", "GET", anonymous=SIGN_IN, lead=OK, executive=OK, administrator=OK,
              outsider=DENIED, refusal=NO_ROLE),
    plan_wide("my_work", "GET", anonymous=SIGN_IN, lead=OK, executive=OK, administrator=OK,
              outsider=DENIED, refusal=NO_ROLE),
    plan_wide("sign_off_queue", "GET", anonymous=SIGN_IN, lead=DENIED, executive=OK,
              administrator=DENIED, outsider=DENIED, refusal=SIGN_OFF_REFUSED),
    plan_wide("plan_table", "GET", anonymous=SIGN_IN, lead=OK, executive=OK, administrator=OK,
              outsider=DENIED, refusal=NO_ROLE),
    # Returns.
    plan_wide("return_xlsx", "GET", anonymous=SIGN_IN, lead=OK, executive=OK, administrator=OK,
              outsider=DENIED, refusal=RETURNS_REFUSED),
    plan_wide("return_xlsx", "POST", anonymous=SIGN_IN, lead=WRONG_METHOD,
              executive=WRONG_METHOD, administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    plan_wide("return_pdf", "GET", anonymous=SIGN_IN, lead=OK, executive=OK, administrator=OK,
              outsider=DENIED, refusal=RETURNS_REFUSED),
    plan_wide("return_pdf", "POST", anonymous=SIGN_IN, lead=WRONG_METHOD,
              executive=WRONG_METHOD, administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    plan_wide("return_json", "GET", anonymous=SIGN_IN, lead=OK, executive=OK, administrator=OK,
              outsider=DENIED, refusal=RETURNS_REFUSED),
    plan_wide("return_json", "POST", anonymous=SIGN_IN, lead=WRONG_METHOD,
              executive=WRONG_METHOD, administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    plan_wide("return_csv", "GET", anonymous=SIGN_IN, lead=OK, executive=OK, administrator=OK,
              outsider=DENIED, refusal=RETURNS_REFUSED),
    plan_wide("return_csv", "POST", anonymous=SIGN_IN, lead=WRONG_METHOD,
              executive=WRONG_METHOD, administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    # A return large enough for the background worker: the download leads to its progress page.
    plan_wide("return_pdf:background", "GET", anonymous=SIGN_IN, lead=REDIRECT,
              executive=REDIRECT, administrator=REDIRECT, outsider=DENIED,
              refusal=RETURNS_REFUSED),
    plan_wide("return_progress", "GET", anonymous=SIGN_IN, lead=OK, executive=OK,
              administrator=OK, outsider=DENIED, refusal=RETURNS_REFUSED),
    plan_wide("return_progress", "POST", anonymous=SIGN_IN, lead=WRONG_METHOD,
              executive=WRONG_METHOD, administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    plan_wide("return_file", "GET", anonymous=SIGN_IN, lead=OK, executive=OK,
              administrator=OK, outsider=DENIED, refusal=RETURNS_REFUSED),
    plan_wide("return_file", "POST", anonymous=SIGN_IN, lead=WRONG_METHOD,
              executive=WRONG_METHOD, administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    # Importing a plan.
    plan_wide("import_upload", "GET", anonymous=SIGN_IN, lead=DENIED, executive=DENIED,
              administrator=OK, outsider=DENIED, refusal=IMPORT_REFUSED),
    plan_wide("import_upload", "POST", anonymous=SIGN_IN, lead=DENIED, executive=DENIED,
              administrator=OK, outsider=DENIED, refusal=IMPORT_REFUSED),
    plan_wide("import_confirm", "GET", anonymous=SIGN_IN, lead=WRONG_METHOD,
              executive=WRONG_METHOD, administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    plan_wide("import_confirm", "POST", anonymous=SIGN_IN, lead=DENIED, executive=DENIED,
              administrator=REDIRECT, outsider=DENIED, refusal=IMPORT_REFUSED),
    # A recommendation and its updates.
    per_recommendation("recommendation_detail", "GET", anonymous=SIGN_IN, lead_own=OK,
                       lead_other=OK, executive=OK, administrator=OK, outsider=DENIED,
                       refusal=NO_ROLE),
    per_recommendation("update_edit", "GET", anonymous=SIGN_IN, lead_own=OK, lead_other=DENIED,
                       executive=DENIED, administrator=OK, outsider=DENIED,
                       refusal=EDIT_REFUSED),
    per_recommendation("update_edit", "POST", anonymous=SIGN_IN, lead_own=REDIRECT,
                       lead_other=DENIED, executive=DENIED, administrator=REDIRECT,
                       outsider=DENIED, refusal=EDIT_REFUSED),
    per_recommendation("update_sign_off:approve", "GET", anonymous=SIGN_IN,
                       lead_own=WRONG_METHOD, lead_other=WRONG_METHOD, executive=WRONG_METHOD,
                       administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    per_recommendation("update_sign_off:approve", "POST", anonymous=SIGN_IN, lead_own=DENIED,
                       lead_other=DENIED, executive=REDIRECT, administrator=DENIED,
                       outsider=DENIED, refusal=SIGN_OFF_REFUSED),
    per_recommendation("update_sign_off:return", "POST", anonymous=SIGN_IN, lead_own=DENIED,
                       lead_other=DENIED, executive=REDIRECT, administrator=DENIED,
                       outsider=DENIED, refusal=SIGN_OFF_REFUSED),
    per_recommendation("update_sign_off:submit", "POST", anonymous=SIGN_IN, lead_own=REDIRECT,
                       lead_other=DENIED, executive=DENIED, administrator=REDIRECT,
                       outsider=DENIED, refusal=SUBMIT_REFUSED),
    per_recommendation("queue_decide:approve", "GET", anonymous=SIGN_IN,
                       lead_own=WRONG_METHOD, lead_other=WRONG_METHOD, executive=WRONG_METHOD,
                       administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    per_recommendation("queue_decide:approve", "POST", anonymous=SIGN_IN, lead_own=DENIED,
                       lead_other=DENIED, executive=REDIRECT, administrator=DENIED,
                       outsider=DENIED, refusal=SIGN_OFF_REFUSED),
    per_recommendation("queue_decide:return", "POST", anonymous=SIGN_IN, lead_own=DENIED,
                       lead_other=DENIED, executive=REDIRECT, administrator=DENIED,
                       outsider=DENIED, refusal=SIGN_OFF_REFUSED),
    # Evidence.
    per_recommendation("evidence_upload", "GET", anonymous=SIGN_IN, lead_own=OK,
                       lead_other=DENIED, executive=DENIED, administrator=OK, outsider=DENIED,
                       refusal=EVIDENCE_REFUSED),
    per_recommendation("evidence_upload", "POST", anonymous=SIGN_IN, lead_own=REDIRECT,
                       lead_other=DENIED, executive=DENIED, administrator=REDIRECT,
                       outsider=DENIED, refusal=EVIDENCE_REFUSED),
    per_recommendation("evidence_download", "GET", anonymous=SIGN_IN, lead_own=OK,
                       lead_other=OK, executive=OK, administrator=OK, outsider=DENIED,
                       refusal=NO_ROLE),
    per_recommendation("evidence_download", "POST", anonymous=SIGN_IN, lead_own=WRONG_METHOD,
                       lead_other=WRONG_METHOD, executive=WRONG_METHOD,
                       administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    per_recommendation("evidence_remove", "GET", anonymous=SIGN_IN, lead_own=OK,
                       lead_other=DENIED, executive=DENIED, administrator=OK, outsider=DENIED,
                       refusal=EVIDENCE_REFUSED),
    per_recommendation("evidence_remove", "POST", anonymous=SIGN_IN, lead_own=REDIRECT,
                       lead_other=DENIED, executive=DENIED, administrator=REDIRECT,
                       outsider=DENIED, refusal=EVIDENCE_REFUSED),
    # Deadlines.
    per_recommendation("due_date_edit", "GET", anonymous=SIGN_IN, lead_own=DENIED,
                       lead_other=DENIED, executive=DENIED, administrator=OK, outsider=DENIED,
                       refusal=DUE_DATE_REFUSED),
    per_recommendation("due_date_edit", "POST", anonymous=SIGN_IN, lead_own=DENIED,
                       lead_other=DENIED, executive=DENIED, administrator=REDIRECT,
                       outsider=DENIED, refusal=DUE_DATE_REFUSED),
    # Collating forces' returns: the National role only (see tests/test_collation.py).
    plan_wide("national_returns", "GET", anonymous=SIGN_IN, lead=DENIED, executive=DENIED,
              administrator=DENIED, outsider=DENIED, refusal=COLLECT_REFUSED),
    plan_wide("national_returns", "POST", anonymous=SIGN_IN, lead=WRONG_METHOD,
              executive=WRONG_METHOD, administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    plan_wide("national_return_upload", "GET", anonymous=SIGN_IN, lead=DENIED,
              executive=DENIED, administrator=DENIED, outsider=DENIED, refusal=COLLECT_REFUSED),
    plan_wide("national_return_upload", "POST", anonymous=SIGN_IN, lead=DENIED,
              executive=DENIED, administrator=DENIED, outsider=DENIED, refusal=COLLECT_REFUSED),
    # The public page: no sign-in, published plans only, never a sign-in page.
    plan_wide("public_plan:published", "GET", anonymous=OK, lead=OK, executive=OK,
              administrator=OK, outsider=OK),
    plan_wide("public_plan:unpublished", "GET", anonymous=MISSING, lead=MISSING,
              executive=MISSING, administrator=MISSING, outsider=MISSING),
    plan_wide("public_plan:published", "POST", anonymous=WRONG_METHOD, lead=WRONG_METHOD,
              executive=WRONG_METHOD, administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    # The published plan's return in the open format: the same rule as its page.
    plan_wide("public_return_json:published", "GET", anonymous=OK, lead=OK, executive=OK,
              administrator=OK, outsider=OK),
    plan_wide("public_return_json:unpublished", "GET", anonymous=MISSING, lead=MISSING,
              executive=MISSING, administrator=MISSING, outsider=MISSING),
    plan_wide("public_return_json:published", "POST", anonymous=WRONG_METHOD,
              lead=WRONG_METHOD, executive=WRONG_METHOD, administrator=WRONG_METHOD,
              outsider=WRONG_METHOD),
    plan_wide("public_return_csv:published", "GET", anonymous=OK, lead=OK, executive=OK,
              administrator=OK, outsider=OK),
    plan_wide("public_return_csv:unpublished", "GET", anonymous=MISSING, lead=MISSING,
              executive=MISSING, administrator=MISSING, outsider=MISSING),
    plan_wide("public_return_csv:published", "POST", anonymous=WRONG_METHOD,
              lead=WRONG_METHOD, executive=WRONG_METHOD, administrator=WRONG_METHOD,
              outsider=WRONG_METHOD),
    # The national progress report: the National role (and superusers) only; none of these.
    plan_wide("national_index", "GET", anonymous=SIGN_IN, lead=DENIED, executive=DENIED,
              administrator=DENIED, outsider=DENIED, refusal=NATIONAL_REFUSED),
    plan_wide("national_report", "GET", anonymous=SIGN_IN, lead=DENIED, executive=DENIED,
              administrator=DENIED, outsider=DENIED, refusal=NATIONAL_REFUSED),
    plan_wide("national_xlsx", "GET", anonymous=SIGN_IN, lead=DENIED, executive=DENIED,
              administrator=DENIED, outsider=DENIED, refusal=NATIONAL_REFUSED),
    plan_wide("national_pdf", "GET", anonymous=SIGN_IN, lead=DENIED, executive=DENIED,
              administrator=DENIED, outsider=DENIED, refusal=NATIONAL_REFUSED),
    plan_wide("national_pdf", "POST", anonymous=SIGN_IN, lead=WRONG_METHOD,
              executive=WRONG_METHOD, administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    # The public national page: only where the deployment publishes it, then for everyone.
    plan_wide("public_national", "GET", anonymous=MISSING, lead=MISSING, executive=MISSING,
              administrator=MISSING, outsider=MISSING),
    plan_wide("public_national:on", "GET", anonymous=OK, lead=OK, executive=OK,
              administrator=OK, outsider=OK),
    plan_wide("public_national:on", "POST", anonymous=WRONG_METHOD, lead=WRONG_METHOD,
              executive=WRONG_METHOD, administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    # The health check for load balancers: no sign-in, and nothing to post.
    plan_wide("healthz", "GET", anonymous=OK, lead=OK, executive=OK, administrator=OK,
              outsider=OK),
    plan_wide("healthz", "POST", anonymous=WRONG_METHOD, lead=WRONG_METHOD,
              executive=WRONG_METHOD, administrator=WRONG_METHOD, outsider=WRONG_METHOD),
    # The Django admin: administrators (made staff by their role); everyone else is sent to
    # its own sign-in page.
    plan_wide("admin:index", "GET", anonymous=ADMIN_SIGN_IN, lead=ADMIN_SIGN_IN,
              executive=ADMIN_SIGN_IN, administrator=OK, outsider=ADMIN_SIGN_IN),
]
# fmt: on


def cases() -> list:
    found = []
    for rule in RULES:
        for actor, outcome in rule.outcomes.items():
            marks = []
            if actor in rule.xfail:
                marks.append(pytest.mark.xfail(strict=True, reason=rule.xfail[actor]))
            case_id = f"{rule.view}-{rule.method}-{actor}-{outcome}"
            found.append(pytest.param(rule, actor, outcome, id=case_id, marks=marks))
    return found


# ---------------------------------------------------------------------------- the plans


EVIDENCE = b"Officers trained in March: 412\n"


@dataclass
class World:
    """A published plan with a recommendation owned by `lead` and one by `colleague`, each
    with an update awaiting sign-off (with evidence) and a draft; and an unpublished plan."""

    plan: Plan
    hidden: Plan
    own: Recommendation
    other: Recommendation
    submitted: ReportingPeriod
    draft: ReportingPeriod
    made_return: str = ""  # the task id of a return the background worker has made

    def update(self, rec: Recommendation, period: ReportingPeriod) -> StatusUpdate:
        return StatusUpdate.objects.get(recommendation=rec, period=period)

    def evidence(self, rec: Recommendation):
        return self.update(rec, self.submitted).evidence.get()


@pytest.fixture
def world(lead, colleague, administrator) -> World:
    plan = PlanFactory(slug="stalking", title="Stalking action plan", is_published=True)
    hidden = PlanFactory(slug="hidden", title="Unpublished plan", is_published=False)
    submitted = PeriodFactory(plan=plan, label="Initial response", position=0)
    draft = PeriodFactory(plan=plan, label="March 2026 update", position=1)
    recs = []
    for number, owner in (("7", lead.owner), ("10", colleague.owner)):
        rec = RecommendationFactory(plan=plan, number=number, owner=owner)
        SubRecommendationFactory(recommendation=rec, number=f"{number}.1")
        update = StatusUpdateFactory(
            recommendation=rec, period=submitted, sign_off=SignOff.SUBMITTED
        )
        StatusUpdateFactory(recommendation=rec, period=draft, sign_off=SignOff.DRAFT)
        services.attach_evidence(
            update=update,
            uploaded_file=SimpleUploadedFile("training.txt", EVIDENCE),
            by=administrator,
        )
        recs.append(rec)
    hidden_period = PeriodFactory(plan=hidden, label="Initial response")
    StatusUpdateFactory(
        recommendation=RecommendationFactory(plan=hidden, number="1"), period=hidden_period
    )
    return World(plan, hidden, recs[0], recs[1], submitted, draft)


def make_return_in_background(world: World, request) -> None:
    """An XLSX return of the plan made by the background worker, ready to download."""
    from tests.test_background_returns import run_worker

    settings = request.getfixturevalue("settings")
    settings.RETURN_WORKER_XLSX_SIZE = 0
    job = jobs.ReturnJob.ask(
        world.plan, extension="xlsx", query={}, period_id=None, as_of=None,
        include_pending=False, generated_by="Administrator",
    )  # fmt: skip
    world.made_return = jobs.request_return(job)
    run_worker()
    assert jobs.kept(job.key) is not None


def send_returns_to_the_worker(world: World, request) -> None:
    request.getfixturevalue("settings").RETURN_WORKER_PDF_SIZE = 0


# What must be in place before the request (and before the snapshot it is checked against).
def publish_national_page(world: World, request) -> None:
    request.getfixturevalue("settings").NATIONAL_PUBLIC_PAGE = True


PREPARE: dict[str, Callable] = {
    "public_national:on": publish_national_page,
    "return_pdf:background": send_returns_to_the_worker,
    "return_progress": make_return_in_background,
    "return_file": make_return_in_background,
}


def import_workbook() -> bytes:
    """A small plan as forces publish it: one recommendation and one update column."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Rec No.", "Recommendation", "Addressee", "Initial action plan response"])
    sheet.append(["3", "Review stalking training.", "Chief Constables", "Review under way."])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def collected_return(world: World) -> bytes:
    """A force's return to the world's report, in the open format, that a National account
    would take in (a new organisation and its plan)."""
    report = world.plan.report
    document = return_document(
        report={"slug": report.slug, "title": report.title, "publisher": "", "published": None,
                "url": ""},
        recommendations=[],
    )  # fmt: skip
    return json.dumps(document).encode()


def keep_pending_import(client: Client, media_root: Path) -> str:
    """Put a previewed import in the client's session, as the upload page leaves it."""
    data = import_workbook()
    token = secrets.token_urlsafe(32)
    folder = Path(media_root) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{token}.upload").write_bytes(data)
    session = client.session
    session[pending.SESSION_KEY] = {
        "token": token,
        "filename": "plan.xlsx",
        "title": "Imported plan",
        "slug": "imported-plan",
        "sha256": hashlib.sha256(data).hexdigest(),
        "into": False,
    }
    session.save()
    return token


# ---------------------------------------------------------------------------- the requests


def _slug(world: World) -> str:
    return world.plan.slug


URLS: dict[str, Callable[[World, Recommendation], str]] = {
    "home": lambda w, rec: reverse("home"),
    "dashboard": lambda w, rec: reverse("dashboard"),
    "plan_list": lambda w, rec: reverse("plan_list"),
    "my_work": lambda w, rec: reverse("my_work"),
    "sign_off_queue": lambda w, rec: reverse("sign_off_queue"),
    "queue_decide:approve": lambda w, rec: reverse(
        "queue_decide", args=[w.update(rec, w.submitted).pk]
    ),
    "queue_decide:return": lambda w, rec: reverse(
        "queue_decide", args=[w.update(rec, w.submitted).pk]
    ),
    "plan_table": lambda w, rec: reverse("plan_table", args=[_slug(w)]),
    "return_xlsx": lambda w, rec: (
        reverse("return_xlsx", args=[_slug(w)]) + f"?period={w.submitted.pk}"
    ),
    "return_pdf": lambda w, rec: (
        reverse("return_pdf", args=[_slug(w)]) + f"?period={w.submitted.pk}"
    ),
    "return_json": lambda w, rec: (
        reverse("return_json", args=[_slug(w)]) + f"?period={w.submitted.pk}"
    ),
    "return_csv": lambda w, rec: (
        reverse("return_csv", args=[_slug(w)]) + f"?period={w.submitted.pk}"
    ),
    "return_pdf:background": lambda w, rec: (
        reverse("return_pdf", args=[_slug(w)]) + f"?period={w.submitted.pk}"
    ),
    "return_progress": lambda w, rec: reverse("return_progress", args=[_slug(w), w.made_return]),
    "return_file": lambda w, rec: reverse("return_file", args=[_slug(w), w.made_return]),
    "healthz": lambda w, rec: reverse("healthz"),
    "import_upload": lambda w, rec: reverse("import_upload"),
    "import_confirm": lambda w, rec: reverse("import_confirm"),
    "recommendation_detail": lambda w, rec: reverse(
        "recommendation_detail", args=[_slug(w), rec.number]
    ),
    "update_edit": lambda w, rec: reverse(
        "update_edit", args=[_slug(w), rec.number, w.submitted.pk]
    ),
    "update_sign_off:approve": lambda w, rec: reverse(
        "update_sign_off", args=[_slug(w), rec.number, w.submitted.pk]
    ),
    "update_sign_off:return": lambda w, rec: reverse(
        "update_sign_off", args=[_slug(w), rec.number, w.submitted.pk]
    ),
    "update_sign_off:submit": lambda w, rec: reverse(
        "update_sign_off", args=[_slug(w), rec.number, w.draft.pk]
    ),
    "evidence_upload": lambda w, rec: reverse(
        "evidence_upload", args=[_slug(w), rec.number, w.submitted.pk]
    ),
    "evidence_download": lambda w, rec: reverse(
        "evidence_download", args=[_slug(w), w.evidence(rec).pk]
    ),
    "evidence_remove": lambda w, rec: reverse(
        "evidence_remove", args=[_slug(w), w.evidence(rec).pk]
    ),
    "due_date_edit": lambda w, rec: reverse("due_date_edit", args=[_slug(w), rec.number]),
    "national_returns": lambda w, rec: reverse("national_returns", args=[w.plan.report.slug]),
    "national_return_upload": lambda w, rec: reverse(
        "national_return_upload", args=[w.plan.report.slug]
    ),
    "public_plan:published": lambda w, rec: reverse("public_plan", args=[w.plan.slug]),
    "public_plan:unpublished": lambda w, rec: reverse("public_plan", args=[w.hidden.slug]),
    "public_return_json:published": lambda w, rec: reverse(
        "public_return_json", args=[w.plan.slug]
    ),
    "public_return_json:unpublished": lambda w, rec: reverse(
        "public_return_json", args=[w.hidden.slug]
    ),
    "public_return_csv:published": lambda w, rec: reverse("public_return_csv", args=[w.plan.slug]),
    "public_return_csv:unpublished": lambda w, rec: reverse(
        "public_return_csv", args=[w.hidden.slug]
    ),
    "national_index": lambda w, rec: reverse("national_index"),
    "national_report": lambda w, rec: reverse("national_report", args=[w.plan.report.slug]),
    "national_xlsx": lambda w, rec: reverse("national_xlsx", args=[w.plan.report.slug]),
    "national_pdf": lambda w, rec: reverse("national_pdf", args=[w.plan.report.slug]),
    "public_national": lambda w, rec: reverse("public_national", args=[w.plan.report.slug]),
    "public_national:on": lambda w, rec: reverse("public_national", args=[w.plan.report.slug]),
    "admin:index": lambda w, rec: reverse("admin:index"),
}

# What each POST sends: a valid request, so that where it is allowed it changes something.
PAYLOADS: dict[str, Callable[[World, Recommendation], dict]] = {
    "update_edit": lambda w, rec: {
        "status": Status.AT_RISK,
        "text": "Narrative rewritten by whoever sent this.",
        "no_evidence_reason": "",
        "evidence_description": "",
        "version": w.update(rec, w.submitted).version,
    },
    "update_sign_off:approve": lambda w, rec: {"action": "approve", "comment": "Agreed."},
    "update_sign_off:return": lambda w, rec: {"action": "return", "comment": "Add figures."},
    "update_sign_off:submit": lambda w, rec: {"action": "submit"},
    "queue_decide:approve": lambda w, rec: {"action": "approve", "comment": "Agreed."},
    "queue_decide:return": lambda w, rec: {"action": "return", "comment": "Add figures."},
    "evidence_upload": lambda w, rec: {
        "file": SimpleUploadedFile("more-figures.txt", EVIDENCE),
        "description": "April figures",
    },
    "evidence_remove": lambda w, rec: {"reason": "Attached to the wrong update."},
    "due_date_edit": lambda w, rec: {
        "new_date": "2031-01-31",
        "reason": "The supplier moved the release.",
        "version": rec.version,
    },
    "national_return_upload": lambda w, rec: {
        "file": SimpleUploadedFile("return.json", collected_return(w)),
        "report": w.plan.report.pk,
    },
    "import_upload": lambda w, rec: {
        "file": SimpleUploadedFile("plan.xlsx", import_workbook()),
        "title": "Imported plan",
        "slug": "imported-plan",
    },
}


def actor_user(actor: str, request):
    if actor == "anonymous":
        return None
    fixture = "lead" if actor.startswith("lead") else actor
    return request.getfixturevalue(fixture)


def send(client: Client, rule: Rule, world: World, actor: str, token: str):
    rec = world.other if actor == "lead_other" else world.own
    url = URLS[rule.view](world, rec)
    if rule.method == "GET":
        return client.get(url)
    data = PAYLOADS[rule.view](world, rec) if rule.view in PAYLOADS else {}
    if rule.view == "import_confirm":
        data = {"token": token}
    return client.post(url, data)


def check(response, outcome: str, rule: Rule, client: Client, user) -> None:
    status = response.status_code
    if outcome == SIGN_IN:
        assert status == 302, status
        assert response.url.startswith(reverse("login") + "?next="), response.url
    elif outcome == ADMIN_SIGN_IN:
        assert status == 302, status
        assert response.url.startswith(reverse("admin:login")), response.url
        if user is not None:
            page = html.unescape(client.get(response.url).content.decode())
            assert f"You are authenticated as {user.username}, but are not authorized" in page
    elif outcome == DENIED:
        assert status == 403, status
        page = html.unescape(response.content.decode())
        assert "You are not allowed to do that" in page
        assert rule.refusal, "a refusal must say what is not allowed"
        assert rule.refusal in page
    elif outcome == REDIRECT:
        assert status == 302, status
        assert not response.url.startswith(reverse("login")), response.url
    else:
        assert status == int(outcome), status


@pytest.mark.parametrize(("rule", "actor", "outcome"), cases())
def test_permission_matrix(client, request, world, media_root, rule, actor, outcome):
    user = actor_user(actor, request)
    if user is not None:
        client.force_login(user)
    token = ""
    if rule.view == "import_confirm":
        # A real preview waits in the session, so a refusal refuses something that would work.
        token = keep_pending_import(client, media_root)
    if rule.view in PREPARE:
        PREPARE[rule.view](world, request)
    before = snapshot()

    response = send(client, rule, world, actor, token)

    check(response, outcome, rule, client, user)
    if rule.method == "POST" and outcome in (OK, REDIRECT):
        assert changed_parts(before, snapshot()), "an allowed POST should change something"
    else:
        assert_unchanged(before)


def test_the_rules_cover_every_url_of_the_tracker():
    from recommendations import urls

    names = {pattern.name for pattern in urls.urlpatterns}
    covered = {rule.view.split(":")[0] for rule in RULES if not rule.view.startswith("admin")}
    assert covered == names
    assert {rule.view for rule in RULES} >= set(URLS) - {"admin:index"}


def test_a_staff_administrator_opens_the_admin(client, world):
    client.force_login(
        UserFactory(username="superuser", role="Administrator", is_staff=True, is_superuser=True)
    )
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Action plan tracker administration" in response.content.decode()

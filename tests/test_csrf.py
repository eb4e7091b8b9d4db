"""Every form that changes something refuses a request another site could forge.

Each endpoint is posted by someone who may use it, through a client that enforces CSRF checks:
without a token, with a forged token, and with a real token sent from another site's page, it
is refused with a 403 and nothing changes; with the real token from our own page it works,
which shows the refusals come from the CSRF check and nothing else.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from recommendations import services
from recommendations.choices import SignOff, Status
from recommendations.imports import pending
from recommendations.models import Plan, Recommendation, ReportingPeriod, StatusUpdate
from tests.factories import (
    PASSWORD,
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    UserFactory,
)
from tests.snapshots import assert_unchanged, changed_parts, snapshot

pytestmark = pytest.mark.django_db

CSRF_REFUSAL = "CSRF verification failed"
EVIDENCE = b"Officers trained in March: 412\n"


@dataclass
class Setup:
    """A plan with a recommendation `lead` owns: an update awaiting sign-off, with evidence,
    and a draft."""

    plan: Plan
    rec: Recommendation
    submitted: ReportingPeriod
    draft: ReportingPeriod
    media_root: Path

    def update(self, period: ReportingPeriod) -> StatusUpdate:
        return StatusUpdate.objects.get(recommendation=self.rec, period=period)


@pytest.fixture
def setup(lead, media_root) -> Setup:
    plan = PlanFactory(slug="stalking", title="Stalking action plan", is_published=True)
    submitted = PeriodFactory(plan=plan, label="Initial response", position=0)
    draft = PeriodFactory(plan=plan, label="March 2026 update", position=1)
    rec = RecommendationFactory(plan=plan, number="7", owner=lead.owner)
    update = StatusUpdateFactory(recommendation=rec, period=submitted, sign_off=SignOff.SUBMITTED)
    StatusUpdateFactory(recommendation=rec, period=draft, sign_off=SignOff.DRAFT)
    services.attach_evidence(
        update=update, uploaded_file=SimpleUploadedFile("training.txt", EVIDENCE), by=lead
    )
    return Setup(plan, rec, submitted, draft, media_root)


def import_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Rec No.", "Recommendation", "Addressee", "Initial action plan response"])
    sheet.append(["3", "Review stalking training.", "Chief Constables", "Review under way."])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pending_import(client: Client, s: Setup) -> dict:
    """A previewed import waiting in the session, as the upload page leaves it."""
    data = import_workbook()
    token = secrets.token_urlsafe(32)
    folder = Path(s.media_root) / "imports"
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
    return {"token": token}


def admin_plan_change(s: Setup) -> dict:
    """The admin's change form of the plan, with a new title."""
    plan, periods = s.plan, list(s.plan.periods.order_by("pk"))
    data = {
        "slug": plan.slug,
        "title": "Renamed by a forged request",
        "introduction": plan.introduction,
        "organisation": plan.organisation_id,
        "report": plan.report_id or "",
        "executive_lead": plan.executive_lead_id or "",
        "operational_lead": "",
        "response_deadline": "",
        "is_published": "on",
        "periods-TOTAL_FORMS": str(len(periods)),
        "periods-INITIAL_FORMS": str(len(periods)),
        "periods-MIN_NUM_FORMS": "0",
        "periods-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, period in enumerate(periods):
        prefix = f"periods-{index}-"
        data |= {
            prefix + "id": period.pk,
            prefix + "plan": plan.pk,
            prefix + "position": period.position,
            prefix + "label": period.label,
            prefix + "period_end": period.period_end.isoformat() if period.period_end else "",
            prefix + "return_due": "",
        }
    return data


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@dataclass(frozen=True)
class Endpoint:
    """A POST that changes something, who may send it, and what they send."""

    actor: str  # a user fixture, "staff" (a superuser with the admin) or "anonymous"
    url: Callable[[Setup], str]
    data: Callable[[Setup], dict]
    # Run before the snapshot; returns more to send (a previewed import's token).
    prepare: Callable[[Client, Setup], dict] | None = None
    # Whether the POST took effect; by default, whether anything in the database or the
    # evidence store changed.
    took_effect: Callable[[Client], bool] | None = None


ENDPOINTS = {
    "update_edit": Endpoint(
        "lead",
        lambda s: reverse("update_edit", args=[s.plan.slug, s.rec.number, s.submitted.pk]),
        lambda s: {
            "status": Status.AT_RISK,
            "text": "Narrative written by a forged request.",
            "no_evidence_reason": "",
            "evidence_description": "",
            "version": s.update(s.submitted).version,
        },
    ),
    "update_sign_off-approve": Endpoint(
        "executive",
        lambda s: reverse("update_sign_off", args=[s.plan.slug, s.rec.number, s.submitted.pk]),
        lambda s: {"action": "approve", "comment": ""},
    ),
    "update_sign_off-submit": Endpoint(
        "lead",
        lambda s: reverse("update_sign_off", args=[s.plan.slug, s.rec.number, s.draft.pk]),
        lambda s: {"action": "submit"},
    ),
    "evidence_upload": Endpoint(
        "lead",
        lambda s: reverse("evidence_upload", args=[s.plan.slug, s.rec.number, s.submitted.pk]),
        lambda s: {"file": SimpleUploadedFile("forged.txt", EVIDENCE), "description": ""},
    ),
    "evidence_remove": Endpoint(
        "lead",
        lambda s: reverse(
            "evidence_remove", args=[s.plan.slug, s.update(s.submitted).evidence.get().pk]
        ),
        lambda s: {"reason": "Removed by a forged request."},
    ),
    "due_date_edit": Endpoint(
        "administrator",
        lambda s: reverse("due_date_edit", args=[s.plan.slug, s.rec.number]),
        lambda s: {
            "new_date": "2031-01-31",
            "reason": "Moved by a forged request.",
            "version": s.rec.version,
        },
    ),
    "import_upload": Endpoint(
        "administrator",
        lambda s: reverse("import_upload"),
        lambda s: {
            "file": SimpleUploadedFile("plan.xlsx", import_workbook()),
            "title": "Imported plan",
            "slug": "imported-plan",
        },
    ),
    "import_confirm": Endpoint(
        "administrator",
        lambda s: reverse("import_confirm"),
        lambda s: {},
        prepare=pending_import,
    ),
    "logout": Endpoint(
        "lead",
        lambda s: reverse("logout"),
        lambda s: {},
        took_effect=lambda client: not signed_in(client),
    ),
    "login": Endpoint(
        "anonymous",
        lambda s: reverse("login"),
        lambda s: {"username": "lead-owner", "password": PASSWORD},
        took_effect=lambda client: signed_in(client),
    ),
    "admin-plan-change": Endpoint(
        "staff",
        lambda s: reverse("admin:recommendations_plan_change", args=[s.plan.pk]),
        lambda s: admin_plan_change(s),
    ),
}

# How the token arrives: not at all, made up, or real but posted from another site's page.
REFUSED = ["no-token", "forged-token", "other-origin"]


def csrf_client(actor: str, request) -> Client:
    client = Client(enforce_csrf_checks=True)
    if actor == "staff":
        client.force_login(
            UserFactory(username="staff", is_staff=True, is_superuser=True, role="Administrator")
        )
    elif actor != "anonymous":
        client.force_login(request.getfixturevalue(actor))
    return client


def real_token(client: Client) -> str:
    """The token our own pages give this client (the sign-out form, or the sign-in form)."""
    page = reverse("plan_list") if signed_in(client) else reverse("login")
    assert client.get(page).status_code == 200
    return client.cookies["csrftoken"].value


def forged_token(real: str) -> str:
    """A token of the right shape that is not this client's."""
    return "".join("b" if ch == "a" else "a" for ch in real)


def post(client: Client, endpoint: Endpoint, s: Setup, how: str, prepared: dict):
    data = endpoint.data(s) | prepared
    url = endpoint.url(s)
    if how == "no-token":
        return client.post(url, data)
    token = real_token(client)
    if how == "forged-token":
        return client.post(url, {**data, "csrfmiddlewaretoken": forged_token(token)})
    if how == "other-origin":
        return client.post(
            url, {**data, "csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://evil.example"
        )
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


@pytest.mark.parametrize("how", REFUSED)
@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    request, setup, lead, name, how
):
    endpoint = ENDPOINTS[name]
    client = csrf_client(endpoint.actor, request)
    was_signed_in = signed_in(client)
    prepared = endpoint.prepare(client, setup) if endpoint.prepare else {}
    if how != "no-token":
        real_token(client)  # our own page was visited first, as in a real forgery
    before = snapshot()

    response = post(client, endpoint, setup, how, prepared)

    assert response.status_code == 403
    assert CSRF_REFUSAL in response.content.decode()
    assert_unchanged(before)
    assert signed_in(client) == was_signed_in


@pytest.mark.parametrize("name", ENDPOINTS)
def test_the_same_post_with_our_own_token_goes_through(request, setup, lead, name):
    endpoint = ENDPOINTS[name]
    client = csrf_client(endpoint.actor, request)
    prepared = endpoint.prepare(client, setup) if endpoint.prepare else {}
    real_token(client)
    before = snapshot()

    response = post(client, endpoint, setup, "real-token", prepared)

    assert response.status_code in (200, 302), response.status_code
    if endpoint.took_effect is not None:
        assert endpoint.took_effect(client)
    else:
        assert changed_parts(before, snapshot()), "the allowed POST should change something"

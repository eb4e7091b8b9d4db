"""Hostile text in every field people type into, as far as the pages and the returns.

Each value (markup, spreadsheet formulas, leading tab and carriage return, control characters,
20,000 characters, right-to-left and emoji text) goes into every user-editable text: through the
web forms where there is one (narrative, "why no evidence", the executive's comment, the
due-date reason, the evidence file's name and description) and through the services for what
administrators set up (plan, leads, owner, period, recommendation, sub-recommendation). The
update is then signed off, since only approved words reach the returns and the public page.

Pages must show the text escaped and never as markup; the XLSX return must hold it as plain
text cells (never a formula, a formula-like start marked as text); the PDF return must show it
and still be a PDF. Null characters, which the database cannot hold, are refused by the forms
with a message, never a 500.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from recommendations import imports, services
from recommendations.choices import SignOff, Status
from recommendations.evidence import clean_file_name
from recommendations.exports import common, pdf
from recommendations.models import DueDateChange, Evidence, Plan, Recommendation, StatusUpdate
from tests.factories import (
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
)
from tests.snapshots import assert_unchanged, snapshot

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------- the values


def long_text() -> str:
    words = " ".join(f"step{n:05d}" for n in range(2_500))
    text = f"Long narrative start. {words}"
    return text[: 20_000 - len(" END")] + " END"


@dataclass(frozen=True)
class Hostile:
    value: str
    # Fragments the PDF must show (white space removed): what a reader sees of the value.
    visible: tuple[str, ...]


HOSTILE = [
    pytest.param(Hostile("<script>alert(1)</script>", ("<script>alert(1)</script>",)), id="script"),
    pytest.param(
        Hostile('"><img src=x onerror=alert(1)>', ('"><imgsrc=xonerror=alert(1)>',)), id="img"
    ),
    pytest.param(
        Hostile('=HYPERLINK("http://x","y")', ('=HYPERLINK("http://x","y")',)), id="hyperlink"
    ),
    pytest.param(Hostile("+SUM(1)", ("+SUM(1)",)), id="plus"),
    pytest.param(Hostile("-2+3", ("-2+3",)), id="minus"),
    pytest.param(Hostile("@cmd", ("@cmd",)), id="at"),
    pytest.param(Hostile("\t\r=1+1 after a tab and a return", ("=1+1afteratab",)), id="tab-cr"),
    pytest.param(
        Hostile(
            "Bell\x07 escape\x1b[31m red\x1b[0m, vertical tab\x0b form feed\x0c unit\x1f end",
            ("Bell", "escape[31mred[0m", "unitend"),
        ),
        id="control-characters",
    ),
    pytest.param(Hostile(long_text(), ("Longnarrativestart.step00000", "END")), id="20000-chars"),
    pytest.param(
        Hostile(
            "Progress: مرحبا بالعالم שלום \u202egnikcart\u202c ✅🚓👮🏽‍♀️ done",
            ("Progress:", "done"),
        ),
        id="rtl-emoji",
    ),
]

MARKUP = ("<script", "<img")
_UNSAFE_IN_XLSX = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def fit(value: str, limit: int) -> str:
    """As much of the value as the field holds."""
    return value[:limit]


def as_typed_in_a_form(value: str) -> str:
    """Form fields strip white space at either end, as Django's CharField does."""
    return value.strip()


def as_in_a_spreadsheet(text: str) -> str:
    """What a return cell must hold: characters XML cannot carry dropped, carriage returns
    read back as line feeds."""
    return _UNSAFE_IN_XLSX.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def looks_like_a_formula(text: str) -> bool:
    return text.startswith(("\t", "\r", "\n")) or text.lstrip().startswith(("=", "+", "-", "@"))


def browser_file_name(name: str) -> str:
    """A file name as a browser sends it in a form (HTML's multipart encoding)."""
    return name.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


# ---------------------------------------------------------------------------- the plan


@dataclass
class HostilePlan:
    hostile: Hostile
    plan: Plan
    rec: Recommendation
    update: StatusUpdate
    evidence: Evidence
    stored: dict[str, str]  # every field, as the tracker holds it
    returned_form_page: str  # the lead's update form while it was returned with the comment


def sign_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def followed(response, expected: int = 302):
    assert response.status_code == expected, response.content.decode()[:2000]
    return response


@pytest.fixture(params=HOSTILE)
def hostile_plan(request, lead, executive, administrator) -> HostilePlan:
    hostile: Hostile = request.param
    value = hostile.value

    # What administrators set up, through the services (the admin has no other rules).
    leads = [
        services.create_owner(
            name=fit(value, 200), rank=fit(value, 100), role=fit(value, 200), by=administrator
        )
        for _ in range(2)
    ]
    plan = services.create_plan(
        slug="hostile",
        title=fit(value, 300),
        introduction=value,
        report_title=fit(value, 300),
        complainant=fit(value, 300),
        executive_lead=leads[0],
        operational_lead=leads[1],
        is_published=True,
        by=administrator,
    )
    period = services.add_period(plan=plan, label=fit(value, 200), by=administrator)
    owner = lead.owner
    owner.name, owner.rank, owner.role = fit(value, 200), fit(value, 100), fit(value, 200)
    owner._history_user = administrator
    owner.save()
    # A "/" cannot be part of a recommendation's address (see the test of that below).
    number = fit(value, 20).replace("/", "")
    rec = services.add_recommendation(
        plan=plan,
        number=number,
        text=value,
        addressee=fit(value, 300),
        due_date=dt.date(2030, 3, 27),
        owner=owner,
        by=administrator,
    )
    # A sub-recommendation is numbered within the plan, under its recommendation.
    services.add_subrecommendation(
        recommendation=rec, number=number[:17] + ".1", text=value, by=administrator
    )

    # What leads and executives type, through the web forms.
    lead_client, executive_client = sign_in(lead), sign_in(executive)
    edit_url = reverse("update_edit", args=[plan.slug, rec.number, period.pk])
    sign_off_url = reverse("update_sign_off", args=[plan.slug, rec.number, period.pk])
    file_name = browser_file_name(fit(value, 200) + ".txt")
    followed(
        lead_client.post(
            edit_url,
            {
                "status": Status.ON_TRACK,
                "text": value,
                "no_evidence_reason": value,
                "evidence_file": SimpleUploadedFile(file_name, b"Officers trained: 412\n"),
                "evidence_description": fit(value, 300),
                "version": 0,
                "submit": "Submit for sign-off",
            },
        )
    )
    followed(executive_client.post(sign_off_url, {"action": "return", "comment": value}))
    returned_form_page = followed(lead_client.get(edit_url), 200).content.decode()
    followed(lead_client.post(sign_off_url, {"action": "submit"}))
    followed(executive_client.post(sign_off_url, {"action": "approve", "comment": value}))
    followed(
        sign_in(administrator).post(
            reverse("due_date_edit", args=[plan.slug, rec.number]),
            {"new_date": "2031-01-31", "reason": value, "version": rec.version},
        )
    )

    plan = Plan.objects.select_related("executive_lead", "operational_lead").get(pk=plan.pk)
    rec = Recommendation.objects.select_related("owner").get(pk=rec.pk)
    update = StatusUpdate.objects.get(recommendation=rec, period=period)
    evidence = update.evidence.get()
    sub = rec.subrecommendations.get()
    stored = {
        "plan title": plan.title,
        "introduction": plan.introduction,
        "report title": plan.report_title,
        "complainant": plan.complainant,
        "executive lead": str(plan.executive_lead),
        "operational lead": str(plan.operational_lead),
        "period label": period.label,
        "recommendation number": rec.number,
        "recommendation text": rec.text,
        "addressee": rec.addressee,
        "sub-recommendation number": sub.number,
        "sub-recommendation text": sub.text,
        "owner": str(rec.owner),
        "owner role": rec.owner.role,
        "narrative": update.text,
        "no-evidence reason": update.no_evidence_reason,
        "executive comment": update.reviewer_comment,
        "due-date reason": DueDateChange.objects.get(recommendation=rec).reason,
        "evidence name": evidence.original_name,
        "evidence description": evidence.description,
    }
    # The forms kept what was typed (less the white space at either end).
    assert update.sign_off == SignOff.APPROVED
    for name in ["narrative", "no-evidence reason", "executive comment", "due-date reason"]:
        assert stored[name] == as_typed_in_a_form(value), name
    assert stored["recommendation text"] == value
    assert stored["evidence name"] == clean_file_name(stored["evidence name"])
    return HostilePlan(hostile, plan, rec, update, evidence, stored, returned_form_page)


# ---------------------------------------------------------------------------- pages

TABLE_FIELDS = [
    "plan title",
    "introduction",
    "report title",
    "complainant",
    "executive lead",
    "operational lead",
    "period label",
    "recommendation number",
    "recommendation text",
    "addressee",
    "sub-recommendation number",
    "sub-recommendation text",
    "narrative",
]
PAGE_FIELDS = {
    "plan list": ["plan title", "report title"],
    "plan table": [*TABLE_FIELDS, "owner"],
    "recommendation page": [
        "plan title",
        "recommendation number",
        "recommendation text",
        "addressee",
        "owner",
        "owner role",
        "due-date reason",
        "sub-recommendation number",
        "sub-recommendation text",
        "period label",
        "narrative",
        "no-evidence reason",
        "executive comment",
        "evidence name",
        "evidence description",
    ],
    "dashboard": ["plan title", "executive lead", "due-date reason", "evidence name"],
    "public page": TABLE_FIELDS,
    "update form while returned": [
        "recommendation number",
        "period label",
        "narrative",
        "no-evidence reason",
        "executive comment",
        "evidence name",
        "evidence description",
    ],
    "evidence removal page": ["recommendation number", "period label", "evidence name"],
}


def pages(h: HostilePlan, lead, executive) -> dict[str, str]:
    slug, number = h.plan.slug, h.rec.number
    lead_client, executive_client = sign_in(lead), sign_in(executive)
    urls = {
        "plan list": (lead_client, reverse("plan_list")),
        "plan table": (lead_client, reverse("plan_table", args=[slug])),
        "recommendation page": (
            lead_client,
            reverse("recommendation_detail", args=[slug, number]),
        ),
        "dashboard": (executive_client, reverse("dashboard")),
        "public page": (Client(), reverse("public_plan", args=[slug])),
        "evidence removal page": (
            lead_client,
            reverse("evidence_remove", args=[slug, h.evidence.pk]),
        ),
    }
    found = {"update form while returned": h.returned_form_page}
    for name, (client, url) in urls.items():
        found[name] = followed(client.get(url), 200).content.decode()
    return found


def test_pages_show_every_field_escaped_and_never_as_markup(hostile_plan, lead, executive):
    for page_name, page in pages(hostile_plan, lead, executive).items():
        for markup in MARKUP:
            assert markup not in page, (page_name, markup)
        for field in PAGE_FIELDS[page_name]:
            text = hostile_plan.stored[field]
            assert escape(text) in page, (page_name, field)


# ---------------------------------------------------------------------------- the XLSX return


def download(h: HostilePlan, lead, name: str):
    response = sign_in(lead).get(reverse(name, args=[h.plan.slug]))
    assert response.status_code == 200, response.content.decode()[:2000]
    disposition = response["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    return response


def test_the_xlsx_return_holds_every_field_as_plain_text(hostile_plan, lead):
    h = hostile_plan
    data = download(h, lead, "return_xlsx").content
    book = load_workbook(io.BytesIO(data))
    returned, details = book["Return"], book["Plan"]
    header = [cell.value for cell in returned[1]]
    row = {title: cell for title, cell in zip(header, returned[2], strict=True)}
    plan_sheet = {key.value: value for key, value in details.iter_rows(min_row=2)}
    stored = h.stored
    cells = {
        "period label (header)": (returned.cell(1, 6), stored["period label"]),
        "recommendation number": (returned.cell(2, 1), stored["recommendation number"]),
        "recommendation text": (row["Recommendation"], stored["recommendation text"]),
        "sub-recommendation": (
            row["Sub recommendation"],
            f"{stored['sub-recommendation number']} {stored['sub-recommendation text']}".strip(),
        ),
        "addressee": (row["Addressee"], stored["addressee"]),
        "owner": (row["Owner"], stored["owner"]),
        "narrative": (returned.cell(2, 6), stored["narrative"]),
        "plan title": (plan_sheet["Plan title"], stored["plan title"]),
        "introduction": (plan_sheet["Introduction"], stored["introduction"]),
        "report title": (plan_sheet["Report"], stored["report title"]),
        "complainant": (plan_sheet["Complainant"], stored["complainant"]),
        "executive lead": (plan_sheet["Strategic / Executive Lead"], stored["executive lead"]),
        "operational lead": (plan_sheet["Operational Lead"], stored["operational lead"]),
        "period": (plan_sheet["Period"], stored["period label"]),
    }
    for name, (cell, text) in cells.items():
        expected = as_in_a_spreadsheet(text)
        assert cell.value == expected, name
        assert cell.data_type == "s", name
        if looks_like_a_formula(expected):
            assert cell.quotePrefix, name
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [part for part in archive.namelist() if part.startswith("xl/worksheets/")]
        assert sheets
        for part in sheets:
            assert b"<f>" not in archive.read(part), part


# ---------------------------------------------------------------------------- the PDF return


def squash(text: str) -> str:
    """Text without white space: a PDF breaks lines wherever its columns end."""
    return re.sub(r"\s+", "", text)


def pdf_text(data: bytes) -> str:
    """The text a reader of the PDF sees. pdftotext reads it as a viewer shows it; pypdf,
    without it, also reads the text layer (see the test of control characters below)."""
    if shutil.which("pdftotext"):
        result = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
        )
        return result.stdout.decode()
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_return_shows_the_text_and_stays_a_pdf(hostile_plan, lead):
    response = download(hostile_plan, lead, "return_pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(response.content)).pages) >= 1
    text = squash(pdf_text(response.content))
    assert "Recommendationsandprogress" in text
    for fragment in hostile_plan.hostile.visible:
        assert fragment in text, fragment


def test_control_characters_in_the_plan_details_are_dropped_from_the_pdf_as_from_the_rows():
    plan = PlanFactory(title="Stalking\x07 plan", introduction="In response\x1b[31m to it.")
    period = PeriodFactory(plan=plan, label="March\x0c 2026 update")
    StatusUpdateFactory(
        recommendation=RecommendationFactory(plan=plan, text="Review\x07 training."),
        period=period,
    )
    ret = common.build_return(Plan.objects.get(pk=plan.pk))

    assert not _UNSAFE_IN_XLSX.search(pdf.html(ret))
    text = squash(PdfReader(io.BytesIO(pdf.render(ret))).pages[0].extract_text())
    assert "Stalkingplan" in text and "March2026update" in text


# ---------------------------------------------------------------------------- refused values


@pytest.fixture
def owned(lead):
    rec = RecommendationFactory(owner=lead.owner, number="7")
    period = PeriodFactory(plan=rec.plan, label="March 2026 update")
    update = StatusUpdateFactory(
        recommendation=rec, period=period, status=Status.ON_TRACK, sign_off=SignOff.SUBMITTED
    )
    return update


NULL = "Before\x00after"
TOO_LONG = "x" * 20_001


def update_form(update, **changes):
    rec = update.recommendation
    data = {
        "status": Status.ON_TRACK,
        "text": "Training reviewed.",
        "no_evidence_reason": "",
        "evidence_description": "",
        "version": update.version,
    }
    url = reverse("update_edit", args=[rec.plan.slug, rec.number, update.period_id])
    return url, data | changes


def due_date_form(update, **changes):
    rec = update.recommendation
    data = {"new_date": "2031-01-31", "reason": "Supplier delay.", "version": rec.version}
    return reverse("due_date_edit", args=[rec.plan.slug, rec.number]), data | changes


def evidence_form(update, **changes):
    rec = update.recommendation
    url = reverse("evidence_upload", args=[rec.plan.slug, rec.number, update.period_id])
    data = {"file": SimpleUploadedFile("figures.txt", b"Trained: 412\n"), "description": ""}
    return url, data | changes


def import_form(update, **changes):
    book = Workbook()
    book.active.append(["Rec No.", "Recommendation"])
    book.active.append(["3", "Review training."])
    buffer = io.BytesIO()
    book.save(buffer)
    data = {"file": SimpleUploadedFile("plan.xlsx", buffer.getvalue()), "title": "Imported"}
    return reverse("import_upload"), data | changes


# (form, field, who sends it, the message beside the field)
REFUSED_VALUES = [
    pytest.param(update_form, "text", "lead", "Null characters are not allowed.", id="narrative"),
    pytest.param(
        update_form,
        "no_evidence_reason",
        "lead",
        "Null characters are not allowed.",
        id="no-evidence-reason",
    ),
    pytest.param(
        update_form,
        "evidence_description",
        "lead",
        "Null characters are not allowed.",
        id="evidence-description-in-update",
    ),
    pytest.param(
        evidence_form,
        "description",
        "lead",
        "Null characters are not allowed.",
        id="evidence-description",
    ),
    pytest.param(
        due_date_form, "reason", "administrator", "Null characters are not allowed.", id="reason"
    ),
    pytest.param(
        import_form, "title", "administrator", "Null characters are not allowed.", id="plan-title"
    ),
]


@pytest.mark.parametrize(("form", "field", "who", "message"), REFUSED_VALUES)
def test_a_null_character_is_refused_beside_its_field_and_nothing_changes(
    request, owned, form, field, who, message
):
    client = sign_in(request.getfixturevalue(who))
    url, data = form(owned, **{field: NULL})
    before = snapshot()

    response = client.post(url, data)

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f'id="id_{field}-error"' in page
    assert_unchanged(before)


@pytest.mark.parametrize(
    ("form", "field"),
    [
        pytest.param(update_form, "text", id="narrative"),
        pytest.param(update_form, "no_evidence_reason", id="no-evidence-reason"),
        pytest.param(due_date_form, "reason", id="reason"),
    ],
)
def test_text_over_twenty_thousand_characters_is_refused_beside_its_field(
    request, owned, administrator, form, field
):
    client = sign_in(administrator)
    url, data = form(owned, **{field: TOO_LONG})
    before = snapshot()

    response = client.post(url, data)

    assert response.status_code == 400
    assert "Ensure this value has at most 20000 characters" in response.content.decode()
    assert_unchanged(before)


@pytest.mark.parametrize("comment", [NULL, TOO_LONG], ids=["null-character", "too-long"])
def test_a_refused_sign_off_comment_leaves_the_update_awaiting_sign_off(owned, executive, comment):
    rec = owned.recommendation
    url = reverse("update_sign_off", args=[rec.plan.slug, rec.number, owned.period_id])
    before = snapshot()

    response = sign_in(executive).post(url, {"action": "approve", "comment": comment})

    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert 'aria-invalid="true"' in page
    owned.refresh_from_db()
    assert owned.sign_off == SignOff.SUBMITTED
    assert_unchanged(before)


def test_a_recommendation_number_with_a_slash_is_refused_where_it_is_typed(administrator):
    """The number is part of the recommendation's address, where a slash cannot stand."""
    book = Workbook()
    book.active.append(["Rec No.", "Recommendation", "Initial action plan response"])
    book.active.append(["7/1", "Review training.", "Under way."])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = imports.read_plan(buffer.getvalue(), filename="plan.xlsx", title="Imported")
    assert not preview.ok
    assert any("slash" in str(problem) and "row 2" in str(problem) for problem in preview.problems)

    plan = PlanFactory()
    client = sign_in(administrator)
    before = snapshot()
    response = client.post(
        reverse("admin:recommendations_recommendation_add"),
        {"plan": plan.pk, "number": "7/1", "text": "Review training.", "started_from_version": 0},
    )
    assert response.status_code == 200
    assert "cannot contain" in response.content.decode()
    assert_unchanged(before)

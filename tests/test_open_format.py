"""The open return format: a plan's return as JSON (and the same rows as CSV) that another
deployment can collate, drawn from the same return as the XLSX and PDF."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date, parse_http_date

from recommendations import services
from recommendations.choices import SignOff, Status
from recommendations.exports import common, open_format, open_return
from recommendations.models import (
    DueDateChange,
    Evidence,
    Organisation,
    Owner,
    Plan,
    Recommendation,
    Report,
    ReportingPeriod,
    ReportRecommendation,
    StatusUpdate,
)
from recommendations.queries import PlanFilters
from recommendations.views import public
from tests.factories import (
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    ReportFactory,
    StatusUpdateFactory,
    SubRecommendationFactory,
)

pytestmark = pytest.mark.django_db

REC_7 = (
    "By 27 March 2025, where required, seek changes to their crime recording systems to enable "
    "staff and officers to document and search for crimes not recorded as the principal crime, "
    "as included classifications on crime records."
)
REC_7_1 = (
    "Processes should be put in place to make sure this system capability is effectively used "
    "by officers and staff."
)
REC_10 = (
    "By 27 March 2025, review and update their learning and training provision relating to "
    "stalking."
)
APPROVED_TEXT = "Change request raised with the records system's supplier."
PENDING_TEXT = "Supplier delivered the change; testing in April (not yet signed off)."


def _approve(rec, period, *, status, text, by):
    return services.record_update(
        recommendation=rec,
        period=period,
        status=status,
        text=text,
        author=by,
        sign_off=SignOff.APPROVED,
        no_evidence_reason="Seen at the board." if status == Status.COMPLETE else None,
        reason="Signed off at the board",
    )


@pytest.fixture
def plan(administrator, lead):
    """A published plan answering the stalking report: 7 (approved, with evidence, moved
    later twice and earlier once, and a newer update awaiting sign-off) with its action 7.1,
    10 whose status comes from its action 10.1, and the force's own local action L1."""
    by = administrator
    plan = services.create_plan(
        slug="stalking",
        title="Stalking super-complaint action plan",
        report_title="Stalking super-complaint investigation report",
        report_publisher="HMICFRS, the College of Policing and the IOPC",
        report_date=dt.date(2024, 9, 27),
        is_published=True,
        by=by,
    )
    first = services.add_period(plan=plan, label="Initial action plan response", by=by)
    march = services.add_period(
        plan=plan,
        label="March 2026 update",
        period_end=dt.date(2026, 3, 31),
        return_due=dt.date(2026, 4, 14),
        by=by,
    )
    owner = services.create_owner(name="Abbie Leeson", rank="D/Supt", by=by)
    seven = services.add_recommendation(
        plan=plan,
        number="7",
        text=REC_7,
        addressee="Chief Constables",
        due_date=dt.date(2025, 3, 27),
        owner=owner,
        by=by,
    )
    seven_one = services.add_subrecommendation(
        recommendation=seven, number="7.1", text=REC_7_1, owner=lead.owner, by=by
    )
    ten = services.add_recommendation(
        plan=plan, number="10", text=REC_10, addressee="Chief Constables", by=by
    )
    ten_one = services.add_subrecommendation(
        recommendation=ten, number="10.1", text="Refresh the stalking e-learning.", by=by
    )
    services.add_recommendation(
        plan=plan, number="L1", text="Brief every sergeant on stalking.", local=True, by=by
    )
    for new_date in (dt.date(2025, 9, 30), dt.date(2026, 3, 31), dt.date(2026, 1, 31)):
        services.change_due_date(
            recommendation=seven, new_date=new_date, reason="Supplier delays", by=by
        )
    _approve(seven, first, status=Status.NOT_STARTED, text="Scoping the change.", by=by)
    update = _approve(seven, march, status=Status.AT_RISK, text=APPROVED_TEXT, by=by)
    for name in ("request.txt", "minutes.txt"):
        services.attach_evidence(
            update=update, uploaded_file=SimpleUploadedFile(name, b"Minutes\n"), by=by
        )
    # Attaching sent it back for sign-off: approved again, it stands on both files.
    _approve(seven, march, status=Status.AT_RISK, text=APPROVED_TEXT, by=by)
    services.record_update(
        recommendation=seven,
        period=march,
        status=Status.COMPLETE,
        text=PENDING_TEXT,
        author=lead,
        submit=True,
    )
    _approve(seven_one, march, status=Status.ON_TRACK, text="Guidance drafted.", by=by)
    _approve(ten_one, march, status=Status.COMPLETE, text="E-learning refreshed.", by=by)
    return plan


def document(plan, **choices) -> dict:
    return open_return.document_for(common.build_return(plan, **choices))


def by_number(doc: dict) -> dict[str, dict]:
    found = {}
    for rec in doc["recommendations"]:
        found[rec["number"]] = rec
        found.update({action["number"]: action for action in rec["actions"]})
    return found


# ---------------------------------------------------------------------------- the document


def test_the_demo_plans_document_is_valid_against_the_schema(demo_plan):
    doc = document(demo_plan)
    assert open_format.problems(doc) == []
    assert doc["format"] == "action-plan-return" and doc["version"] == 1
    assert doc["report"]["title"] == "Stalking super-complaint investigation report"
    assert doc["period"]["label"] == "March 2026 update"
    assert [rec["number"] for rec in doc["recommendations"]] == ["7", "10"]
    assert [action["number"] for action in doc["recommendations"][1]["actions"]] == [
        "10.2",
        "10.3",
    ]
    # A document that breaks the schema is caught by the same check.
    doc["recommendations"][0]["rag"] = "Purple"
    assert [p.where for p in open_format.problems(doc)] == ["recommendations[0].rag"]


def test_the_document_holds_the_returns_values(plan):
    doc = document(plan)
    assert doc["organisation"]["code"] == plan.organisation.code
    assert doc["report"] == {
        "slug": plan.report.slug,
        "title": "Stalking super-complaint investigation report",
        "publisher": "HMICFRS, the College of Policing and the IOPC",
        "published": "2024-09-27",
        "url": "",
    }
    assert doc["plan"] == {
        "slug": "stalking",
        "title": "Stalking super-complaint action plan",
        "url": "",
    }
    assert doc["period"] == {
        "label": "March 2026 update",
        "period_end": "2026-03-31",
        "return_due": "2026-04-14",
    }
    assert dt.datetime.fromisoformat(doc["as_at"]).utcoffset() is not None
    rows = by_number(doc)
    seven = rows["7"]
    assert seven["report_number"] == "7" and seven["local"] is False
    assert seven["text"] == REC_7
    assert seven["addressee"] == "Chief Constables"
    assert seven["owner"] == "D/Supt Abbie Leeson"
    assert (seven["status"], seven["status_label"], seven["rag"]) == ("at_risk", "At risk", "Amber")
    assert seven["status_from_actions"] is False
    assert seven["due_date"] == "2026-01-31"
    assert seven["original_due_date"] == "2025-03-27"
    assert seven["slips"] == 2  # moved later twice, then earlier once
    assert seven["update"] == APPROVED_TEXT  # approved only: never the text awaiting sign-off
    assert seven["evidence_count"] == 2
    assert seven["last_updated"] is not None
    assert [action["number"] for action in seven["actions"]] == ["7.1"]
    assert rows["7.1"]["status"] == "on_track" and rows["7.1"]["rag"] == "Green"
    assert rows["7.1"]["owner"] == str(plan.recommendations.get(number="7.1").owner)
    assert rows["7.1"]["actions"] == []
    assert rows["10"]["status_from_actions"] is True and rows["10"]["update"] is None
    assert rows["10"]["status"] is not None
    assert rows["10.1"]["status"] == "complete" and rows["10.1"]["rag"] == "Blue"
    local = rows["L1"]
    assert (local["local"], local["report_number"]) == (True, None)
    assert (local["status"], local["status_label"], local["rag"]) == (
        None,
        "No status given",
        "None",
    )
    assert (local["due_date"], local["slips"], local["evidence_count"]) == (None, 0, 0)
    assert PENDING_TEXT not in json.dumps(doc)


def test_the_document_follows_the_returns_period_and_filters(plan):
    first = plan.periods.get(label="Initial action plan response")
    doc = document(plan, period_id=first.pk)
    assert doc["period"] == {"label": first.label, "period_end": None, "return_due": None}
    seven = by_number(doc)["7"]
    assert (seven["status"], seven["update"], seven["evidence_count"]) == (
        "not_started",
        "Scoping the change.",
        0,
    )
    filtered = document(plan, filters=PlanFilters(q="sergeant"))
    assert [rec["number"] for rec in filtered["recommendations"]] == ["L1"]


def test_a_document_as_at_a_past_moment_holds_what_the_plan_held_then(plan, executive):
    before = timezone.now()
    seven = plan.recommendations.get(number="7")
    update = seven.updates.get(period__label="March 2026 update")
    services.change_sign_off(update=update, to=SignOff.APPROVED, by=executive)
    services.attach_evidence(
        update=update, uploaded_file=SimpleUploadedFile("note.txt", b"Note\n"), by=executive
    )
    services.change_due_date(
        recommendation=seven, new_date=dt.date(2026, 6, 30), reason="Testing", by=executive
    )
    now, then = by_number(document(plan))["7"], by_number(document(plan, as_of=before))["7"]
    # The note went on a draft after the approval: the approved version stands on two files.
    assert (now["status"], now["update"], now["slips"], now["evidence_count"]) == (
        "complete",
        PENDING_TEXT,
        3,
        2,
    )
    assert (then["status"], then["update"], then["slips"], then["evidence_count"]) == (
        "at_risk",
        APPROVED_TEXT,
        2,
        2,
    )
    assert (now["due_date"], then["due_date"]) == ("2026-06-30", "2026-01-31")
    assert document(plan, as_of=before)["as_at"] == open_return._moment(before)


def test_a_return_with_updates_awaiting_sign_off_is_not_made_in_the_open_format(plan):
    with pytest.raises(common.ExportError, match="signed-off updates only"):
        document(plan, include_pending=True)


def test_a_document_that_breaks_the_schema_is_a_fault_not_a_return(plan, monkeypatch):
    monkeypatch.setattr(open_return, "_date", lambda value: "31/03/2026" if value else None)
    with pytest.raises(open_format.InvalidReturn, match="is not a 'date'"):
        document(plan)


def _plan_of(size: int):
    """A plan of `size` recommendations, each linked to the report, with an action, an
    approved update with one evidence row, and a due date moved later."""
    plan = PlanFactory(report=ReportFactory(slug=f"report-of-{size}"))
    period = PeriodFactory(plan=plan)
    for n in range(1, size + 1):
        linked = ReportRecommendation.objects.create(report=plan.report, number=str(n))
        rec = RecommendationFactory(plan=plan, number=str(n), report_recommendation=linked)
        SubRecommendationFactory(recommendation=rec, number=f"{n}.1")
        update = StatusUpdateFactory(recommendation=rec, period=period)
        Evidence.objects.create(
            update=update,
            file="evidence/x",
            original_name="x.txt",
            content_type="text/plain",
            size=1,
        )
        DueDateChange.objects.create(
            recommendation=rec,
            old_date=dt.date(2025, 1, 1),
            new_date=dt.date(2025, 6, 1),
            reason="Moved",
            changed_at=plan.created_at,
        )
    # Uploaded before the updates were approved: the approved versions stand on them.
    Evidence.objects.filter(update__period=period).update(uploaded_at=plan.created_at)
    Evidence.history.filter(update__period=period).update(uploaded_at=plan.created_at)
    return plan


@pytest.mark.parametrize("as_of", [False, True], ids=["now", "as-at"])
def test_building_a_document_reads_as_much_for_5_recommendations_as_for_30(as_of):
    counts = []
    for size in (5, 30):
        plan = _plan_of(size)
        when = common.parse_as_of(dt.date.today().isoformat()) if as_of else None
        with CaptureQueriesContext(connection) as queries:
            doc = document(plan, as_of=when)
        assert len(doc["recommendations"]) == size
        assert {rec["slips"] for rec in doc["recommendations"]} == {1}
        assert {rec["evidence_count"] for rec in doc["recommendations"]} == {1}
        counts.append(len(queries))
    print(f"queries to build a document ({'as at' if as_of else 'now'}): {counts}")
    assert counts[0] == counts[1]


def test_the_public_return_reads_as_much_for_5_recommendations_as_for_30(client):
    counts = []
    for size in (5, 30):
        plan = _plan_of(size)
        services.change_plan(plan=plan, is_published=True, by=None)
        with CaptureQueriesContext(connection) as queries:
            assert _public(client, plan).status_code == 200
        counts.append(len(queries))
    print(f"queries to answer the public return: {counts}")
    assert counts[0] == counts[1]


# ---------------------------------------------------------------------------- CSV


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the byte order mark that makes Excel read UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_csv_has_a_row_per_recommendation_and_per_action_with_the_plan_on_each(plan):
    doc = document(plan)
    rows = read_csv(open_return.csv_bytes(doc))
    assert [(row["number"], row["part_of"]) for row in rows] == [
        ("7", ""),
        ("7.1", "7"),
        ("10", ""),
        ("10.1", "10"),
        ("L1", ""),
    ]
    assert {row["plan"] for row in rows} == {"Stalking super-complaint action plan"}
    assert {row["period"] for row in rows} == {"March 2026 update"}
    assert {row["organisation_code"] for row in rows} == {plan.organisation.code}
    seven = rows[0]
    assert (seven["status"], seven["rag"], seven["slips"], seven["evidence_count"]) == (
        "at_risk",
        "Amber",
        "2",
        "2",
    )
    assert (seven["local"], rows[-1]["local"], rows[-1]["report_number"]) == ("no", "yes", "")
    assert seven["update"] == APPROVED_TEXT


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", " =1"])
def test_csv_cells_that_look_like_formulas_are_shown_as_typed(plan, administrator, text):
    rec = plan.recommendations.get(number="L1")
    services.change_recommendation(recommendation=rec, text=text, by=administrator)
    owner = services.create_owner(name=text, by=administrator)
    services.change_recommendation(recommendation=rec, owner=owner, by=administrator)
    row = read_csv(open_return.csv_bytes(document(plan)))[-1]
    assert row["text"] == "'" + text
    assert row["owner"].startswith("'")
    assert common.looks_like_formula(text)
    assert open_return.rows_for_csv(document(plan))[-1][10] == "'" + text


# ---------------------------------------------------------------------------- downloads


@pytest.mark.parametrize("extension", ["json", "csv"])
def test_a_signed_in_lead_downloads_the_open_format_with_the_plan_pages_choices(
    client, lead, plan, extension
):
    client.force_login(lead)
    first = plan.periods.get(label="Initial action plan response")
    url = reverse(f"return_{extension}", args=[plan.slug])
    response = client.get(url, {"period": first.pk, "q": "crime recording"})
    assert response.status_code == 200
    assert response["Content-Type"] == open_return.CONTENT_TYPES[extension]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "stalking_initial-action-plan-response_" in disposition
    assert disposition.endswith(f'.{extension}"')
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives
    if extension == "json":
        doc = json.loads(response.content)
        assert open_format.problems(doc) == []
        assert doc["period"]["label"] == first.label
        assert [rec["number"] for rec in doc["recommendations"]] == ["7"]
        assert doc["plan"]["url"] == "http://testserver" + reverse("public_plan", args=["stalking"])
        assert by_number(doc)["7"]["update"] == "Scoping the change."
    else:
        rows = read_csv(response.content)
        assert [row["number"] for row in rows] == ["7", "7.1"]
        assert {row["period"] for row in rows} == {first.label}


def test_an_open_format_download_as_at_a_past_moment_shows_the_plan_as_it_stood(client, lead, plan):
    client.force_login(lead)
    when = timezone.localtime(plan.created_at) + dt.timedelta(minutes=1)
    response = client.get(
        reverse("return_json", args=[plan.slug]), {"as_of": when.date().isoformat()}
    )
    assert response.status_code == 200
    doc = json.loads(response.content)
    assert dt.datetime.fromisoformat(doc["as_at"]) <= timezone.now()
    assert "_as-at-" in response["Content-Disposition"]


@pytest.mark.parametrize("extension", ["json", "csv"])
def test_asking_the_open_format_for_updates_awaiting_sign_off_is_refused_with_a_reason(
    client, lead, plan, extension
):
    client.force_login(lead)
    response = client.get(reverse(f"return_{extension}", args=[plan.slug]), {"pending": "1"})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "signed-off updates only" in page
    assert PENDING_TEXT not in page


def test_a_bad_filter_or_as_at_is_refused_not_quietly_ignored(client, lead, plan):
    client.force_login(lead)
    url = reverse("return_json", args=[plan.slug])
    assert client.get(url, {"as_of": "yesterday"}).status_code == 400
    assert client.get(url, {"period": "999999"}).status_code == 400
    assert client.get(url, {"status": "bogus"}).status_code == 400


def test_the_plan_page_offers_the_open_format_downloads(client, lead, plan):
    client.force_login(lead)
    page = client.get(reverse("plan_table", args=[plan.slug])).content.decode()
    assert f'formaction="{reverse("return_json", args=[plan.slug])}"' in page
    assert f'formaction="{reverse("return_csv", args=[plan.slug])}"' in page


@pytest.mark.parametrize("extension", ["json", "csv"])
def test_export_return_writes_the_open_format(plan, tmp_path, extension, settings):
    settings.SITE_URL = "https://tracker.example.invalid"
    out = io.StringIO()
    call_command("export_return", plan.slug, "--format", extension, "-o", str(tmp_path), stdout=out)
    written = list(tmp_path.glob(f"*.{extension}"))
    assert len(written) == 1 and written[0].name.startswith("stalking_march-2026-update_")
    assert "Wrote" in out.getvalue()
    if extension == "json":
        doc = json.loads(written[0].read_bytes())
        open_format.check(doc)
        assert doc["plan"]["url"] == "https://tracker.example.invalid/public/stalking/"
        assert by_number(doc)["7"]["update"] == APPROVED_TEXT
    else:
        assert [row["number"] for row in read_csv(written[0].read_bytes())][:2] == ["7", "7.1"]


def test_export_return_refuses_the_open_format_with_updates_awaiting_sign_off(plan, tmp_path):
    tmp_path = tmp_path / "returns"
    tmp_path.mkdir()
    with pytest.raises(CommandError, match="signed-off updates only"):
        call_command(
            "export_return", plan.slug, "--format", "json", "--include-pending",
            "-o", str(tmp_path),
        )  # fmt: skip
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- public


def _public(client, plan, extension="json", **headers):
    return client.get(reverse(f"public_return_{extension}", args=[plan.slug]), **headers)


@pytest.mark.parametrize("extension", ["json", "csv"])
def test_a_published_plans_return_is_public_with_approved_content_only(client, plan, extension):
    response = _public(client, plan, extension)
    assert response.status_code == 200
    assert response["Content-Type"] == open_return.CONTENT_TYPES[extension]
    body = response.content.decode("utf-8-sig")
    assert APPROVED_TEXT in body
    assert PENDING_TEXT not in body
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert directives == {"public", f"max-age={public.PUBLIC_RETURN_MAX_AGE}"}
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 66  # strong: no W/
    assert response["Last-Modified"].endswith(" GMT")
    if extension == "json":
        doc = json.loads(body)
        open_format.check(doc)
        assert doc["period"]["label"] == "March 2026 update"  # the latest period
        assert doc["plan"]["url"] == "http://testserver/public/stalking/"
        assert doc["as_at"] == doc["generated_at"]
    else:
        assert response["Content-Disposition"].startswith("attachment; filename=")


def test_a_draft_never_reaches_the_public_return(client, plan, lead):
    seven = plan.recommendations.get(number="7")
    services.record_update(
        recommendation=seven,
        period=plan.periods.get(label="March 2026 update"),
        status=Status.ON_TRACK,
        text="A draft nobody has submitted yet.",
        author=lead,
    )
    body = _public(client, plan).content.decode()
    assert "A draft nobody has submitted yet." not in body
    assert by_number(json.loads(body))["7"]["update"] == APPROVED_TEXT


@pytest.mark.parametrize("extension", ["json", "csv"])
def test_an_unpublished_or_unknown_plans_return_is_not_found(
    client, plan, administrator, extension
):
    services.change_plan(plan=plan, is_published=False, by=administrator)
    assert _public(client, plan, extension).status_code == 404
    assert client.get(f"/public/no-such-plan/return.{extension}").status_code == 404


def test_the_public_return_is_the_same_bytes_until_what_it_holds_changes(client, plan, lead):
    first = _public(client, plan)
    assert _public(client, plan).content == first.content
    # A newer update awaiting sign-off changes nothing the public return holds.
    services.record_update(
        recommendation=plan.recommendations.get(number="7.1"),
        period=plan.periods.get(label="March 2026 update"),
        status=Status.AT_RISK,
        text="Guidance delayed.",
        author=lead,
        submit=True,
    )
    after = _public(client, plan)
    assert (after["ETag"], after["Last-Modified"]) == (first["ETag"], first["Last-Modified"])
    assert after.content == first.content


def test_a_matching_etag_is_answered_not_modified(client, plan):
    first = _public(client, plan)
    again = _public(client, plan, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert _public(client, plan, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_an_unchanged_plan_since_is_answered_not_modified(client, plan):
    first = _public(client, plan)
    since = first["Last-Modified"]
    assert _public(client, plan, HTTP_IF_MODIFIED_SINCE=since).status_code == 304
    earlier = http_date(parse_http_date(since) - 1)
    assert _public(client, plan, HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200


def age_history(by: dt.timedelta = dt.timedelta(hours=1)) -> None:
    """Everything recorded so far happened `by` earlier (Last-Modified counts whole seconds,
    so a change in the same second as the last one could not be told apart by the date)."""
    for model in (
        Plan, Organisation, Report, ReportRecommendation, ReportingPeriod, Recommendation,
        Owner, DueDateChange, StatusUpdate, Evidence,
    ):  # fmt: skip
        model.history.update(history_date=F("history_date") - by)


def test_an_approval_changes_the_etag_and_moves_last_modified_on(client, plan, executive):
    age_history()
    first = _public(client, plan)
    seven = plan.recommendations.get(number="7")
    update = seven.updates.get(period__label="March 2026 update")
    services.change_sign_off(update=update, to=SignOff.APPROVED, by=executive)
    after = _public(client, plan, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]
    assert parse_http_date(after["Last-Modified"]) > parse_http_date(first["Last-Modified"])
    assert PENDING_TEXT in after.content.decode()  # approved now, so public
    since = _public(client, plan, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 200


@pytest.mark.parametrize("extension", ["json", "csv"])
def test_the_public_return_names_no_owner_but_keeps_due_dates_and_slips(
    client, plan, lead, extension
):
    body = _public(client, plan, extension).content.decode("utf-8-sig")

    assert "Abbie Leeson" not in body
    assert str(lead.owner) not in body
    if extension == "json":
        rows = by_number(json.loads(body))
        assert {row["owner"] for row in rows.values()} == {""}
        assert (rows["7"]["due_date"], rows["7"]["slips"]) == ("2026-01-31", 2)
    else:
        rows = {row["number"]: row for row in read_csv(body.encode("utf-8-sig"))}
        assert {row["owner"] for row in rows.values()} == {""}
        assert (rows["7"]["due_date"], rows["7"]["slips"]) == ("2026-01-31", "2")


def test_the_signed_in_download_and_export_keep_owners(client, lead, plan):
    assert by_number(document(plan))["7"]["owner"] == "D/Supt Abbie Leeson"
    client.force_login(lead)
    response = client.get(reverse("return_json", args=[plan.slug]))
    assert by_number(json.loads(response.content))["7"]["owner"] == "D/Supt Abbie Leeson"


def test_renaming_an_owner_changes_nothing_the_public_return_holds(client, plan, administrator):
    age_history()
    first = _public(client, plan)
    owner = plan.recommendations.get(number="7").owner
    services.change_owner(owner=owner, name="Abbie Leeson-Smith", by=administrator)

    after = _public(client, plan)

    assert (after["ETag"], after["Last-Modified"]) == (first["ETag"], first["Last-Modified"])


def test_a_file_on_a_newer_version_of_an_approved_update_is_not_counted_until_approved(
    client, plan, executive, lead
):
    age_history()
    first = _public(client, plan)
    update = plan.recommendations.get(number="7.1").updates.get(period__label="March 2026 update")
    services.attach_evidence(
        update=update, uploaded_file=SimpleUploadedFile("draft.txt", b"Draft\n"), by=lead
    )
    after_attaching = timezone.now()

    after = _public(client, plan)

    assert (after["ETag"], after["Last-Modified"]) == (first["ETag"], first["Last-Modified"])
    assert by_number(json.loads(after.content))["7.1"]["evidence_count"] == 0
    assert by_number(document(plan))["7.1"]["evidence_count"] == 0
    assert by_number(document(plan, as_of=after_attaching))["7.1"]["evidence_count"] == 0
    services.change_sign_off(update=update, to=SignOff.APPROVED, by=executive)
    approved = _public(client, plan)
    assert by_number(json.loads(approved.content))["7.1"]["evidence_count"] == 1
    assert parse_http_date(approved["Last-Modified"]) > parse_http_date(first["Last-Modified"])

"""Taking forces' returns in (the open return format): what a return creates, that the same
return twice writes nothing, that a changed return changes only what changed, and that a bad
return is refused whole with messages naming the force and the row."""

from __future__ import annotations

import html
import io
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from recommendations.choices import SignOff, Status
from recommendations.exports import open_format
from recommendations.models import (
    CollectedSource,
    DueDateChange,
    Organisation,
    Plan,
    Recommendation,
    ReportingPeriod,
    StatusUpdate,
)
from recommendations.services import ReturnRefused, take_return
from tests.factories import OrganisationFactory, UserFactory
from tests.open_returns import REC_7, REC_10, return_document, stalking_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def national(db):
    return UserFactory(username="national-lead", role="National")


@pytest.fixture
def report(db):
    return stalking_report()


def row_counts() -> dict[str, int]:
    """How many rows every model of the tracker holds, history records included."""
    counts = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_app_config("recommendations").get_models()
    }
    assert "recommendations.HistoricalStatusUpdate" in counts
    return counts


def test_the_helper_makes_a_valid_return():
    open_format.check(return_document())


def test_a_valid_return_creates_the_organisation_plan_period_and_approved_updates(national, report):
    outcome = take_return(
        document=return_document(), report=report, by=national, source="example.json"
    )

    organisation = Organisation.objects.get(code="example")
    assert (organisation.name, organisation.short_name) == ("Example Constabulary", "EC")
    plan = Plan.objects.get(organisation=organisation, report=report)
    assert plan.slug == "example-stalking-super-complaint"
    assert plan.title == "Stalking action plan"
    period = ReportingPeriod.objects.get(plan=plan)
    assert (period.label, str(period.period_end)) == ("March 2026 update", "2026-03-31")
    recs = {rec.number: rec for rec in plan.recommendations.all()}
    assert set(recs) == {"7", "7.1", "10", "L1"}
    assert recs["7.1"].parent == recs["7"]
    assert recs["7"].report_recommendation == report.recommendations.get(number="7")
    assert recs["L1"].is_local
    assert str(recs["7"].owner) == "D/Supt Example Owner"
    assert recs["7.1"].owner is None
    updates = {u.recommendation.number: u for u in StatusUpdate.objects.filter(period=period)}
    assert set(updates) == {"7", "7.1", "10", "L1"}
    assert updates["10"].status == Status.AT_RISK
    assert updates["L1"].text == ""
    for update in updates.values():
        assert update.sign_off == SignOff.APPROVED
        assert update.approved_status == update.status
        assert update.approved_text == update.text
        assert update.author == national
        assert update.reviewed_by == national
        record = update.history.get()
        assert record.history_user == national
        assert record.history_change_reason == "Return taken in from example.json"
    assert (outcome.organisation, outcome.plan, outcome.period) == (organisation, plan, period)
    assert outcome.organisation_created and outcome.plan_created
    # A period, four recommendations and actions, four updates.
    assert (outcome.created, outcome.changed, outcome.unchanged) == (9, 0, 0)


def test_the_same_return_twice_writes_nothing(national, report):
    take_return(document=return_document(), report=report, by=national, source="a.json")
    before = row_counts()
    versions = list(Recommendation.objects.order_by("pk").values_list("pk", "version"))
    update_versions = list(StatusUpdate.objects.order_by("pk").values_list("pk", "version"))

    outcome = take_return(document=return_document(), report=report, by=national, source="a.json")

    assert row_counts() == before
    assert list(Recommendation.objects.order_by("pk").values_list("pk", "version")) == versions
    assert list(StatusUpdate.objects.order_by("pk").values_list("pk", "version")) == update_versions
    assert (outcome.created, outcome.changed, outcome.unchanged) == (0, 0, 9)
    assert not outcome.changed_anything
    assert "unchanged" in str(outcome)


def test_a_changed_status_changes_only_that_update(national, report):
    take_return(document=return_document(), report=report, by=national)
    document = return_document()
    document["recommendations"][1]["status"] = "complete"
    document["recommendations"][1]["evidence_count"] = 2
    before = row_counts()

    outcome = take_return(document=document, report=report, by=national, source="b.json")

    after = row_counts()
    changed = {label for label in after if after[label] != before[label]}
    history = "recommendations.HistoricalStatusUpdate"
    assert changed == {history}
    assert after[history] == before[history] + 1
    update = StatusUpdate.objects.get(recommendation__number="10")
    assert (update.status, update.approved_status, update.sign_off) == (
        Status.COMPLETE,
        Status.COMPLETE,
        SignOff.APPROVED,
    )
    assert "2 files" in update.no_evidence_reason
    assert (outcome.created, outcome.changed, outcome.unchanged) == (0, 1, 8)


def test_changed_text_owner_and_due_date_change_that_recommendation(national, report):
    take_return(document=return_document(), report=report, by=national)
    document = return_document()
    document["recommendations"][0]["owner"] = "T/DCI New Owner"
    document["recommendations"][0]["due_date"] = "2025-09-30"
    document["recommendations"][0]["slips"] = 1

    outcome = take_return(document=document, report=report, by=national, source="c.json")

    rec = Recommendation.objects.get(number="7")
    assert str(rec.owner) == "T/DCI New Owner"
    assert (str(rec.due_date), str(rec.original_due_date)) == ("2025-09-30", "2025-03-27")
    slip = DueDateChange.objects.get(recommendation=rec)
    assert "Example Constabulary" in slip.reason
    assert (outcome.created, outcome.changed) == (0, 1)
    assert Recommendation.objects.get(number="10").version == 1


def test_a_known_organisation_is_found_by_its_code(national, report):
    known = OrganisationFactory(name="Example Constabulary (known)", code="example")

    outcome = take_return(document=return_document(), report=report, by=national)

    assert outcome.organisation == known
    assert not outcome.organisation_created
    assert Organisation.objects.filter(code="example").count() == 1


def assert_refused(document, report, national, *expected: str) -> list[str]:
    before = row_counts()
    with pytest.raises(ReturnRefused) as refused:
        take_return(document=document, report=report, by=national, source="bad.json")
    assert row_counts() == before
    for text in expected:
        assert any(text in message for message in refused.value.messages), refused.value.messages
    return refused.value.messages


def test_a_missing_required_field_is_refused_naming_the_force_and_row(national, report):
    document = return_document()
    del document["recommendations"][1]["text"]

    assert_refused(
        document,
        report,
        national,
        "Example Constabulary, row 2 (recommendation 10): 'text' is a required property",
    )


def test_a_bad_status_of_an_action_is_refused_naming_the_action(national, report):
    document = return_document()
    document["recommendations"][0]["actions"][0]["status"] = "done"

    assert_refused(
        document,
        report,
        national,
        "Example Constabulary, row 1, action 1 (recommendation 7.1): status:",
    )


def test_an_unknown_recommendation_number_is_refused_and_nothing_is_saved(national, report):
    take_return(document=return_document(), report=report, by=national)
    document = return_document()
    document["recommendations"][1]["status"] = "complete"  # would change, if it were taken
    document["recommendations"][2].update(number="99", report_number="99", local=False)

    messages = assert_refused(
        document,
        report,
        national,
        "Example Constabulary, row 3 (recommendation 99): the report has no recommendation 99",
    )
    assert len(messages) == 1
    assert StatusUpdate.objects.get(recommendation__number="10").status == Status.AT_RISK


def test_a_return_to_another_report_is_refused(national, report):
    document = return_document()
    document["report"].update(slug="another-report", title="Another inspection")

    assert_refused(
        document,
        report,
        national,
        "Example Constabulary: This return answers Another inspection, not "
        "Stalking super-complaint report",
    )


def test_a_number_given_twice_is_refused(national, report):
    document = return_document()
    document["recommendations"][2].update(number="10", report_number="10", local=False)

    assert_refused(
        document, report, national, "row 3 (recommendation 10): the return gives recommendation 10"
    )


def test_a_return_that_is_not_a_return_names_what_it_lacks(national, report):
    messages = assert_refused({"format": "something else"}, report, national)

    assert all(message.startswith("A return that names no organisation") for message in messages)
    assert any("'organisation' is a required property" in message for message in messages)


# ---------------------------------------------------------------------------- collect_returns


class ReturnServer:
    """A force's web server on 127.0.0.1: serves bodies by path, with an ETag where given,
    answering 304 to an If-None-Match that matches; keeps the headers of every request."""

    def __init__(self):
        self.routes: dict[str, tuple[bytes, str]] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.redirects: dict[str, str] = {}
        self.slow: dict[str, bytes] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.seen.append((self.path, dict(self.headers.items())))
                if self.path in server.redirects:
                    self.send_response(302)
                    self.send_header("Location", server.redirects[self.path])
                    self.end_headers()
                    return
                if self.path in server.slow:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(server.slow[self.path])))
                    self.end_headers()
                    body = server.slow[self.path]
                    try:
                        for start in range(0, len(body), len(body) // 30 + 1):
                            self.wfile.write(body[start : start + len(body) // 30 + 1])
                            self.wfile.flush()
                            time.sleep(0.1)
                    except OSError:
                        pass  # the collector gave up
                    return
                if self.path not in server.routes:
                    self.send_error(404)
                    return
                body, etag = server.routes[self.path]
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve(self, path: str, document, etag: str = "") -> str:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.routes[path] = (body, etag)
        return self.url(path)


@pytest.fixture
def force_server():
    server = ReturnServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def collect(*urls: str, user="national-lead", **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "collect_returns",
        *urls,
        report="stalking-super-complaint",
        username=user,
        stdout=out,
        stderr=err,
        **options,
    )
    return out.getvalue(), err.getvalue()


def test_collecting_takes_a_return_then_asks_with_its_etag_and_gets_304(
    national, report, force_server
):
    url = force_server.serve("/returns/stalking.json", return_document(), etag='"v1"')

    out, _ = collect(url)

    assert f"{url}: Example Constabulary: organisation added, plan added" in out
    assert StatusUpdate.objects.filter(recommendation__plan__organisation__code="example").count()
    source = CollectedSource.objects.get(url=url)
    assert (source.etag, source.organisation.code) == ('"v1"', "example")
    assert "If-None-Match" not in force_server.seen[0][1]
    before = row_counts()

    out, _ = collect(url)

    assert out.strip() == f"{url}: Example Constabulary: unchanged (304)"
    assert force_server.seen[1][1]["If-None-Match"] == '"v1"'
    assert row_counts() == before


def test_a_body_identical_to_the_last_is_not_taken_again(national, report, force_server):
    url = force_server.serve("/plain.json", return_document())  # no ETag, no Last-Modified
    collect(url)
    before = row_counts()

    out, _ = collect(url)

    assert out.strip() == f"{url}: Example Constabulary: unchanged"
    assert row_counts() == before


def test_a_changed_return_at_the_same_address_is_taken_in(national, report, force_server):
    url = force_server.serve("/r.json", return_document(), etag='"v1"')
    collect(url)
    changed = return_document()
    changed["recommendations"][1]["update"] = "Training rewritten and delivered to 412 officers."
    force_server.serve("/r.json", changed, etag='"v2"')

    out, _ = collect(url)

    assert f"{url}: Example Constabulary: 0 added, 1 changed, 8 unchanged" in out
    assert CollectedSource.objects.get(url=url).etag == '"v2"'
    update = StatusUpdate.objects.get(recommendation__number="10")
    assert update.text == "Training rewritten and delivered to 412 officers."
    assert update.history.latest().history_change_reason == f"Return taken in from {url}"


def test_failing_addresses_are_reported_and_the_others_taken_in(national, report, force_server):
    other = return_document(organisation={"name": "Other Police", "short_name": "", "code": "op"})
    good = force_server.serve("/good.json", other, etag='"g"')
    broken = force_server.serve("/broken.json", b"<html>Not a return</html>")
    bad = return_document()
    bad["recommendations"][2].update(number="99", report_number="99", local=False)
    refused = force_server.serve("/refused.json", bad)
    missing = force_server.url("/missing.json")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    unreachable = f"http://127.0.0.1:{closed.getsockname()[1]}/return.json"
    closed.close()

    with pytest.raises(CommandError, match="4 of 5 returns failed"):
        collect(broken, refused, good, missing, unreachable)

    assert Plan.objects.filter(organisation__code="op").exists()
    assert not Organisation.objects.filter(code="example").exists()
    assert not CollectedSource.objects.filter(url__in=[broken, refused, missing]).exists()


def test_each_failure_is_one_line_naming_why(national, report, force_server, capsys):
    bad = return_document()
    bad["recommendations"][2].update(number="99", report_number="99", local=False)
    refused = force_server.serve("/refused.json", bad)
    broken = force_server.serve("/broken.json", b"<html>Not a return</html>")
    big = force_server.serve("/big.json", return_document())
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command(
            "collect_returns",
            refused,
            broken,
            report="stalking-super-complaint",
            username="national-lead",
            stderr=err,
        )
    with pytest.raises(CommandError):
        call_command(
            "collect_returns",
            big,
            report="stalking-super-complaint",
            username="national-lead",
            max_bytes=100,
            stderr=err,
        )

    lines = err.getvalue().splitlines()
    assert lines[0] == (
        f"{refused}: refused: Example Constabulary, row 3 (recommendation 99): the report has "
        "no recommendation 99."
    )
    assert lines[1].startswith(f"{broken}: failed: not a JSON return")
    assert lines[2].startswith(f"{big}: failed: is ")
    assert len(lines) == 3


def test_collecting_needs_a_national_account(report, force_server, lead):
    url = force_server.serve("/r.json", return_document())

    with pytest.raises(CommandError, match="does not have the National role"):
        collect(url, user="lead-owner")

    assert force_server.seen == []
    assert not Plan.objects.exists()


# ---------------------------------------------------------------------------- the upload page


def upload_url(report) -> str:
    return reverse("national_return_upload", args=[report.slug])


def workbook(*rows, title: str = "") -> bytes:
    """A plan as a force keeps it: a title line, then one row per recommendation."""
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.append([])
    sheet.append(["Rec No.", "Recommendation", "Addressee", "March 2026 update", "RAG"])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


SEVEN = ("7", REC_7, "Chief Constables", "Crime recording system changed in May.", "Green")
TEN = ("10", REC_10, "Chief Constables", "Training reviewed; rollout under way.", "Amber")


def upload(client, report, name: str, data: bytes, **fields):
    return client.post(
        upload_url(report),
        {"file": SimpleUploadedFile(name, data), "report": report.pk, **fields},
    )


@pytest.mark.parametrize("role", ["Lead", "Executive", "Administrator", None])
def test_force_accounts_may_not_open_the_collation_pages(client, report, role):
    client.force_login(UserFactory(username="force-user", role=role))

    for url in (upload_url(report), reverse("national_returns", args=[report.slug])):
        response = client.get(url)
        assert response.status_code == 403
        assert "Only accounts with the National role" in response.content.decode()
    response = upload(client, report, "r.json", json.dumps(return_document()).encode())
    assert response.status_code == 403
    assert not Plan.objects.exists()


def test_a_national_account_opens_the_upload_page(client, national, report):
    client.force_login(national)

    response = client.get(upload_url(report))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_file">Return file</label>' in page
    assert '<label for="id_report">Report the return answers</label>' in page
    assert f'<option value="{report.pk}" selected>' in page


def test_uploading_a_json_return_takes_it_in(client, national, report):
    client.force_login(national)

    response = upload(client, report, "example.json", json.dumps(return_document()).encode())

    assert response.status_code == 302
    assert response.url == reverse("national_returns", args=[report.slug])
    plan = Plan.objects.get(organisation__code="example")
    update = StatusUpdate.objects.get(recommendation__plan=plan, recommendation__number="10")
    assert update.history.get().history_change_reason == "Return taken in from example.json"
    page = client.get(response.url).content.decode()
    assert "Example Constabulary&#x27;s return was taken into Stalking action plan" in page
    assert '<th scope="row">Example Constabulary</th>' in page
    assert "March 2026 update" in page


def test_uploading_the_same_json_again_says_nothing_changed(client, national, report):
    client.force_login(national)
    data = json.dumps(return_document()).encode()
    upload(client, report, "example.json", data)
    before = row_counts()

    response = upload(client, report, "example.json", data)

    assert response.status_code == 302
    assert row_counts() == before
    assert "already held as it is: nothing changed" in client.get(response.url).content.decode()


def test_a_refused_return_is_shown_beside_the_file_field_and_nothing_saved(
    client, national, report
):
    client.force_login(national)
    document = return_document()
    document["recommendations"][2].update(number="99", report_number="99", local=False)
    before = row_counts()

    response = upload(client, report, "example.json", json.dumps(document).encode())

    assert response.status_code == 400
    assert row_counts() == before
    page = html.unescape(response.content.decode())
    field = page[page.index('<div class="field field-error">') :]
    field = field[: field.index('<input type="file"')]
    assert (
        "Example Constabulary, row 3 (recommendation 99): the report has no recommendation 99."
        in field
    )
    assert "There is a problem" in page


def test_a_file_that_is_not_json_is_refused_not_a_500(client, national, report):
    client.force_login(national)

    response = upload(client, report, "example.json", b"{not json at all")

    assert response.status_code == 400
    assert "The file is not a JSON return" in html.unescape(response.content.decode())
    assert not Plan.objects.exists()


def test_a_spreadsheet_is_taken_in_for_the_chosen_force(client, national, report):
    force = OrganisationFactory(name="Example Constabulary", code="example")
    client.force_login(national)

    response = upload(client, report, "plan.xlsx", workbook(SEVEN, TEN), organisation=force.pk)

    assert response.status_code == 302, html.unescape(response.content.decode())
    plan = Plan.objects.get(organisation=force, report=report)
    updates = {
        u.recommendation.number: u for u in StatusUpdate.objects.filter(recommendation__plan=plan)
    }
    assert updates["10"].status == Status.AT_RISK
    assert updates["10"].text == "Training reviewed; rollout under way."
    assert {u.sign_off for u in updates.values()} == {SignOff.APPROVED}
    assert plan.recommendations.get(number="7").report_recommendation.number == "7"
    before = row_counts()

    again = upload(client, report, "plan.xlsx", workbook(SEVEN, TEN), organisation=force.pk)

    assert again.status_code == 302
    assert row_counts() == before


def test_a_spreadsheet_naming_its_force_needs_no_choice(client, national, report):
    force = OrganisationFactory(name="Example Constabulary", code="example")
    client.force_login(national)

    response = upload(
        client,
        report,
        "plan.xlsx",
        workbook(SEVEN, title="Example Constabulary: stalking super-complaint action plan"),
    )

    assert response.status_code == 302, html.unescape(response.content.decode())
    assert Plan.objects.filter(organisation=force, report=report).exists()


def test_a_spreadsheet_naming_no_force_is_refused(client, national, report):
    OrganisationFactory(name="Example Constabulary", code="example")
    client.force_login(national)

    response = upload(client, report, "plan.xlsx", workbook(SEVEN))

    assert response.status_code == 400
    assert "does not say which force" in html.unescape(response.content.decode())
    assert not Plan.objects.exists()


def test_a_spreadsheet_with_a_number_the_report_lacks_names_the_force_and_row(
    client, national, report
):
    force = OrganisationFactory(name="Example Constabulary", code="example")
    client.force_login(national)
    before = row_counts()

    response = upload(
        client,
        report,
        "plan.xlsx",
        workbook(SEVEN, ("42", "Something else.", "", "", "")),
        organisation=force.pk,
    )

    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert (
        'Example Constabulary, sheet "Sheet", row 3 (recommendation 42): the report has no '
        "recommendation 42." in page
    )
    assert row_counts() == before


def test_the_returns_page_lists_every_force_in_a_fixed_number_of_queries(client, national, report):
    client.force_login(national)
    url = reverse("national_returns", args=[report.slug])

    def take(n: int) -> None:
        code = f"force-{n}"
        document = return_document(
            organisation={"name": f"Force {n}", "short_name": "", "code": code}
        )
        take_return(document=document, report=report, by=national)

    take(1)
    client.get(url)  # the session and the account's roles, read once
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for n in range(2, 6):
        take(n)
    with CaptureQueriesContext(connection) as five:
        page = client.get(url).content.decode()

    assert len(five) == len(one)
    assert all(f'<th scope="row">Force {n}</th>' in page for n in range(1, 6))


def test_a_renamed_plan_counts_as_a_change(national, report):
    take_return(document=return_document(), report=report, by=national)
    document = return_document(plan={"slug": "stalking", "title": "Stalking plan 2026", "url": ""})

    outcome = take_return(document=document, report=report, by=national)

    assert Plan.objects.get().title == "Stalking plan 2026"
    assert (outcome.created, outcome.changed) == (0, 1)
    assert outcome.changed_anything


def test_a_return_broken_everywhere_lists_its_first_fifty_problems(client, national, report):
    client.force_login(national)
    document = return_document()
    document["recommendations"] = [
        {**document["recommendations"][1], "number": str(n), "status": "done"} for n in range(80)
    ]

    response = upload(client, report, "example.json", json.dumps(document).encode())

    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "Example Constabulary, row 50 (recommendation 49): status:" in page
    assert "row 51 (recommendation 50)" not in page
    assert "... and 30 more problems." in page


# ---------------------------------------------------------------------------- whose plan


def test_a_plan_the_force_keeps_here_is_never_changed_by_a_return(national, report):
    from recommendations import services

    force = OrganisationFactory(name="Example Constabulary", code="example")
    own = services.create_plan(
        slug="example-own", title="Kept by the force", organisation=force, report=report
    )
    before = row_counts()
    with pytest.raises(ReturnRefused) as refused:
        take_return(document=return_document(), report=report, by=national)
    assert "plan for this report is kept by Example Constabulary here" in str(refused.value)
    assert row_counts() == before
    own.refresh_from_db()
    assert own.title == "Kept by the force"


def test_a_return_naming_another_organisation_than_expected_is_refused(national, report):
    expected = OrganisationFactory(name="Example Force 9", code="example-force-9")
    before = row_counts()
    with pytest.raises(ReturnRefused) as refused:
        take_return(document=return_document(), report=report, by=national, organisation=expected)
    assert 'coded "example", not of Example Force 9' in str(refused.value)
    assert row_counts() == before


def test_a_return_for_an_earlier_period_taken_in_late_goes_before_the_later_one(national, report):
    take_return(document=return_document(), report=report, by=national)
    earlier = return_document(
        period={"label": "September 2025 update", "period_end": "2025-09-30", "return_due": None}
    )
    take_return(document=earlier, report=report, by=national)
    plan = Plan.objects.get(organisation__code="example")
    assert list(plan.periods.order_by("position").values_list("label", flat=True)) == [
        "September 2025 update",
        "March 2026 update",
    ]


def test_a_json_return_of_another_force_than_the_one_chosen_is_refused(client, national, report):
    chosen = OrganisationFactory(name="Example Force 9", code="example-force-9")
    client.force_login(national)
    before = row_counts()

    response = upload(
        client, report, "r.json", json.dumps(return_document()).encode(), organisation=chosen.pk
    )

    assert response.status_code == 400
    assert 'coded "example", not of Example Force 9' in html.unescape(response.content.decode())
    assert row_counts() == before


# ---------------------------------------------------------------------------- bad input refused


@pytest.mark.parametrize("bad", ["\u0000", "\ud800"])
def test_a_character_the_database_cannot_store_is_refused_naming_where(national, report, bad):
    document = return_document()
    document["recommendations"][2]["text"] = f"Specialist{bad} services"

    assert_refused(
        document,
        report,
        national,
        "row 3 (recommendation L1): text: contains a character that cannot be stored",
    )


def test_a_character_that_cannot_be_stored_is_named_in_an_action_and_the_force(national, report):
    document = return_document()
    document["recommendations"][0]["actions"][0]["update"] = "\u0000"
    document["organisation"]["short_name"] = "\ud800"

    messages = assert_refused(
        document,
        report,
        national,
        "organisation.short_name: contains a character that cannot be stored",
        "row 1, action 1 (recommendation 7.1): update: contains a character",
    )
    assert messages[0].startswith("Example Constabulary, organisation.short_name")


def test_an_action_with_actions_of_its_own_is_refused_by_the_schema(national, report):
    document = return_document()
    action = document["recommendations"][0]["actions"][0]
    action["actions"] = [dict(action, number="7.1.1", actions=[])]

    assert [str(p) for p in open_format.problems(document)] == [
        "recommendations[0].actions[0].actions: an action cannot have actions of its own"
    ]
    assert_refused(
        document,
        report,
        national,
        "row 1, action 1 (recommendation 7.1): actions: an action cannot have actions",
    )


def test_the_schemas_action_is_its_recommendation_without_actions():
    definitions = open_format.schema()["$defs"]
    recommendation, action = definitions["recommendation"], definitions["action"]

    assert recommendation["properties"]["actions"]["items"] == {"$ref": "#/$defs/action"}
    assert action["properties"]["actions"]["maxItems"] == 0
    assert action["required"] == recommendation["required"]
    assert {k: v for k, v in action["properties"].items() if k != "actions"} == {
        k: v for k, v in recommendation["properties"].items() if k != "actions"
    }


def deeply_nested(levels: int = 5000) -> dict:
    document = return_document()
    nested: list = []
    for _ in range(levels):
        nested = [nested]
    document["recommendations"][0]["actions"][0]["actions"] = nested
    return document


def test_a_deeply_nested_return_is_one_problem_not_a_crash(national, report):
    assert [str(p) for p in open_format.problems(deeply_nested())] == ["nested too deeply"]
    assert assert_refused(deeply_nested(), report, national) == [
        "Example Constabulary: nested too deeply"
    ]


DEEP_JSON = b"[" * 200_000 + b"]" * 200_000


def test_uploading_json_nested_too_deeply_is_refused_not_a_500(client, national, report):
    client.force_login(national)

    response = upload(client, report, "example.json", DEEP_JSON)

    assert response.status_code == 400
    assert "The file is not a JSON return (nested too deeply)." in response.content.decode()
    assert not Plan.objects.exists()


def test_collecting_json_nested_too_deeply_is_a_failure_of_that_address(
    national, report, force_server
):
    url = force_server.serve("/deep.json", DEEP_JSON)
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 of 1 returns failed"):
        call_command(
            "collect_returns",
            url,
            report="stalking-super-complaint",
            username="national-lead",
            stderr=err,
        )

    assert err.getvalue().strip() == f"{url}: failed: not a JSON return (nested too deeply)"


def test_an_unexpected_error_at_one_address_does_not_stop_the_others(
    national, report, force_server, monkeypatch
):
    from recommendations.management.commands import collect_returns

    good = force_server.serve("/good.json", return_document())
    cursed = force_server.url("/cursed.json")
    real = collect_returns.collect

    def collect_or_break(url, **options):
        if url == cursed:
            raise KeyError("surprise")
        return real(url, **options)

    monkeypatch.setattr(collect_returns, "collect", collect_or_break)
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 of 2 returns failed"):
        call_command(
            "collect_returns",
            cursed,
            good,
            report="stalking-super-complaint",
            username="national-lead",
            stderr=err,
        )

    assert err.getvalue().strip() == f"{cursed}: failed: unexpected error: KeyError: 'surprise'"
    assert Plan.objects.filter(organisation__code="example").exists()


def test_a_redirect_is_not_followed_but_named_so_the_operator_collects_from_there(
    national, report, force_server
):
    target = force_server.serve("/new/return.json", return_document())
    old = force_server.url("/old/return.json")
    force_server.redirects["/old/return.json"] = target
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 of 1 returns failed"):
        call_command(
            "collect_returns",
            old,
            report="stalking-super-complaint",
            username="national-lead",
            stderr=err,
        )

    line = err.getvalue().strip()
    assert line.startswith(f"{old}: failed: answered HTTP 302 Found, redirecting to {target}")
    assert [path for path, _ in force_server.seen] == ["/old/return.json"]
    assert not Plan.objects.exists()


def test_a_body_sent_slowly_is_given_up_at_the_timeout_for_the_whole_download(
    national, report, force_server
):
    # Each piece arrives well within the timeout; the whole would take three seconds.
    force_server.slow["/slow.json"] = json.dumps(return_document()).encode()
    url = force_server.url("/slow.json")
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 of 1 returns failed"):
        call_command(
            "collect_returns",
            url,
            report="stalking-super-complaint",
            username="national-lead",
            timeout=0.5,
            stderr=err,
        )

    assert err.getvalue().strip() == f"{url}: failed: took longer than 0.5 seconds to download"
    assert not Plan.objects.exists()


def test_an_address_that_returned_one_force_cannot_bring_another_forces_return(
    national, report, force_server
):
    url = force_server.serve("/r.json", return_document(), etag='"v1"')
    collect(url)
    other = return_document(
        organisation={"name": "Other Constabulary", "short_name": "OC", "code": "other"}
    )
    force_server.serve("/r.json", other, etag='"v2"')
    before = row_counts()

    with pytest.raises(CommandError):
        collect(url)

    assert row_counts() == before
    assert not Organisation.objects.filter(code="other").exists()


def test_a_return_goes_into_the_plan_the_national_report_shows(national, report):
    from recommendations import national as national_report
    from recommendations import services

    force = OrganisationFactory(name="Example Constabulary", code="example")
    for slug in ("older", "newer"):
        plan = services.create_plan(
            slug=slug, title=slug, organisation=force, report=report, collected=True
        )
    outcome = take_return(document=return_document(), report=report, by=national)

    assert outcome.plan == plan  # the newer
    shown = national_report.national_report(report)
    assert {column.plan for column in shown.columns if column.plan} == {plan}

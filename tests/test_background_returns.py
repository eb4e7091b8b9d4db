"""Large returns are made by the background worker: the download answers with a progress page,
which offers the file once the worker has made it; a finished return is kept and served again
for the same choices until the plan changes; kept returns are swept.

The worker is the real one (`manage.py db_worker --batch`), run in the test's own process
when the test says so, so each test sees every state: waiting, ready, and so on.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import signal
from pathlib import Path
from unittest import mock

import openpyxl
import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from recommendations import services
from recommendations.exports import jobs
from tests.factories import (
    OwnerFactory,
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    UserFactory,
)
from tests.test_html_valid import checker  # noqa: F401 - the HTML checker, as a fixture

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def run_worker() -> None:
    """Run every waiting task with the real worker, then stop (as `db_worker --batch`).

    The worker closes stale connections between tasks, as a long-running process should. In a
    test the connection holds the test's transaction (PostgreSQL closes it for real), so that one
    step is left out here.
    """
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with mock.patch.object(db_worker, "close_old_connections", lambda: None):
            call_command(
                "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval=0",
                verbosity=0,
            )  # fmt: skip
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def waiting_tasks() -> int:
    return DBTaskResult.objects.filter(status="READY").count()


@pytest.fixture
def in_background(settings):
    """Every return, however small, goes to the worker."""
    settings.RETURN_WORKER_PDF_SIZE = 0
    settings.RETURN_WORKER_XLSX_SIZE = 0
    return settings


@pytest.fixture
def plan(db):
    plan = PlanFactory(slug="stalking", title="Stalking action plan")
    period = PeriodFactory(plan=plan, label="March 2026 update", position=0)
    for number, text in (("1", "Review the training"), ("2", "Publish the guidance")):
        rec = RecommendationFactory(plan=plan, number=number, text=text)
        StatusUpdateFactory(recommendation=rec, period=period, text=f"Progress on {text}.")
    return plan


@pytest.fixture
def executive(db):
    return UserFactory(username="executive", first_name="Sam", last_name="Harris", role="Executive")


def url(name: str, plan, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse(name, args=[plan.slug]) + (f"?{query}" if query else "")


def rename(recommendation, text: str, by) -> None:
    services.change_recommendation(recommendation=recommendation, text=text, by=by)


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def follow_to_progress(client, download_url: str):
    """Ask for a return that goes to the worker; return the progress page's address."""
    response = client.get(download_url)
    assert response.status_code == 302, response.status_code
    assert "/returns/" in response.url
    return response.url


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def sheet_values(data: bytes) -> list:
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Return"]
    return [cell.value for row in sheet.iter_rows() for cell in row]


def download_of(client, progress_url: str):
    page = client.get(progress_url)
    assert page.status_code == 200
    assert "Status: Ready." in page_text(page)
    file_url = progress_url + "download/"
    assert f'href="{file_url}"' in page.content.decode()
    return client.get(file_url)


# ---------------------------------------------------------------------------- the journey


def test_a_pdf_return_goes_to_the_worker_and_is_offered_when_ready(
    client, plan, executive, in_background
):
    client.force_login(executive)
    progress_url = follow_to_progress(client, url("return_pdf", plan))
    assert waiting_tasks() == 1

    waiting = client.get(progress_url)
    assert waiting.status_code == 200
    text = page_text(waiting)
    assert "<title>Waiting to be made: PDF return of Stalking action plan" in text
    assert "Status: Waiting to be made." in text
    assert f'<a class="button" href="{progress_url}">Check again</a>' in text
    assert 'http-equiv="refresh"' not in text
    assert "return_file" not in text and "download/" not in text
    assert waiting[
        "Cache-Control"
    ] == "max-age=0, no-cache, no-store, must-revalidate, private" or (
        "no-store" in waiting["Cache-Control"]
    )

    run_worker()

    response = download_of(client, progress_url)
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF-")
    assert "Review the training" in pdf_text(data)


def test_the_file_has_the_headers_of_the_direct_download(client, plan, executive, settings):
    client.force_login(executive)
    settings.RETURN_WORKER_PDF_SIZE = -1
    direct = client.get(url("return_pdf", plan))
    assert direct.status_code == 200 and direct.content.startswith(b"%PDF-")

    settings.RETURN_WORKER_PDF_SIZE = 0
    progress_url = follow_to_progress(client, url("return_pdf", plan))
    run_worker()
    kept = download_of(client, progress_url)

    for header in ("Content-Type", "Content-Disposition", "Cache-Control"):
        assert kept[header] == direct[header], header
    assert kept["Content-Disposition"].startswith('attachment; filename="stalking_march-2026')
    assert "no-store" in kept["Cache-Control"] and "private" in kept["Cache-Control"]


def test_an_xlsx_return_goes_to_the_worker_only_above_its_size(client, plan, executive, settings):
    client.force_login(executive)
    # Two recommendations and two updates: a size of 4.
    settings.RETURN_WORKER_XLSX_SIZE = 4
    made_now = client.get(url("return_xlsx", plan))
    assert made_now.status_code == 200
    assert "Publish the guidance" in sheet_values(made_now.content)
    assert waiting_tasks() == 0

    settings.RETURN_WORKER_XLSX_SIZE = 3
    progress_url = follow_to_progress(client, url("return_xlsx", plan))
    run_worker()
    response = download_of(client, progress_url)
    assert response["Content-Type"] == jobs.XLSX_TYPE
    assert "Publish the guidance" in sheet_values(b"".join(response.streaming_content))


def test_small_returns_are_still_made_in_the_request_by_default(client, plan, executive):
    client.force_login(executive)
    assert jobs.size_of(plan) == 4
    response = client.get(url("return_pdf", plan))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert DBTaskResult.objects.count() == 0


def test_a_plan_larger_than_the_pdf_limit_goes_to_the_worker_by_default(client, executive):
    plan = PlanFactory(slug="large")
    periods = [PeriodFactory(plan=plan, position=n) for n in range(4)]
    for number in range(1, 26):
        rec = RecommendationFactory(plan=plan, number=str(number))
        for period in periods:
            StatusUpdateFactory(recommendation=rec, period=period)
    assert jobs.size_of(plan) == 125
    client.force_login(executive)
    follow_to_progress(client, url("return_pdf", plan))
    assert client.get(url("return_xlsx", plan)).status_code == 200


# ---------------------------------------------------------------------------- kept returns


def test_the_same_return_is_served_again_from_the_kept_file_without_being_made(
    client, plan, executive, in_background, monkeypatch
):
    client.force_login(executive)
    progress_url = follow_to_progress(client, url("return_pdf", plan, pending=1))
    run_worker()
    first = b"".join(download_of(client, progress_url).streaming_content)

    def must_not_run(ret):
        raise AssertionError("the kept return should have been served")

    monkeypatch.setitem(
        jobs.FORMATS, "pdf", jobs.Format("pdf", jobs.PDF_TYPE, must_not_run, "PDF", False)
    )
    again = client.get(url("return_pdf", plan, pending=1))
    assert again.status_code == 200
    assert b"".join(again.streaming_content) == first
    assert again["Content-Type"] == "application/pdf"
    assert DBTaskResult.objects.count() == 1


def test_other_choices_are_a_different_return(client, plan, executive, in_background):
    client.force_login(executive)
    follow_to_progress(client, url("return_xlsx", plan))
    run_worker()
    for params in ({"pending": 1}, {"q": "guidance"}, {"status": "on_track"}):
        follow_to_progress(client, url("return_xlsx", plan, **params))
    follow_to_progress(client, url("return_pdf", plan))
    assert waiting_tasks() == 4


def test_asking_again_while_it_is_being_made_waits_for_the_same_task(
    client, plan, executive, in_background
):
    client.force_login(executive)
    first = follow_to_progress(client, url("return_pdf", plan))
    assert follow_to_progress(client, url("return_pdf", plan)) == first
    assert waiting_tasks() == 1


def test_a_change_to_the_plan_makes_the_return_anew(client, plan, executive, in_background):
    client.force_login(executive)
    first = follow_to_progress(client, url("return_xlsx", plan))
    run_worker()
    assert "Review the training" in sheet_values(
        b"".join(download_of(client, first).streaming_content)
    )
    rec = plan.recommendations.get(number="1")
    rename(rec, "Review the training again", executive)

    second = follow_to_progress(client, url("return_xlsx", plan))
    assert second != first
    run_worker()
    values = sheet_values(b"".join(download_of(client, second).streaming_content))
    assert "Review the training again" in values
    # Whoever asked for the first can still collect it for a while, then it is swept.
    assert "Status: Ready." in page_text(client.get(first))
    assert jobs.sweep(now=timezone.now() + jobs.OUT_OF_DATE_KEPT_FOR + HOUR) == 1
    assert "Status: No longer kept." in page_text(client.get(first))


def test_a_return_as_at_a_past_moment_is_kept_after_the_plan_changes(
    client, plan, executive, in_background
):
    client.force_login(executive)
    as_at = url("return_xlsx", plan, as_of=yesterday(plan))
    progress_url = follow_to_progress(client, as_at)
    run_worker()
    first = b"".join(download_of(client, progress_url).streaming_content)
    rec = plan.recommendations.get(number="1")
    rename(rec, "Renamed later", executive)

    again = client.get(as_at)
    assert again.status_code == 200
    assert b"".join(again.streaming_content) == first
    assert DBTaskResult.objects.count() == 1


def yesterday(plan) -> str:
    """Yesterday's date for an "as at" return, the plan being made to date from before it."""
    type(plan).objects.filter(pk=plan.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    return (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def test_each_person_gets_an_xlsx_return_that_names_them(client, plan, executive, in_background):
    colleague = UserFactory(username="colleague", first_name="Alex", last_name="Mills",
                            role="Executive")  # fmt: skip
    client.force_login(executive)
    mine = follow_to_progress(client, url("return_xlsx", plan))
    run_worker()
    client.force_login(colleague)
    theirs = follow_to_progress(client, url("return_xlsx", plan))
    assert theirs != mine
    run_worker()
    data = b"".join(download_of(client, theirs).streaming_content)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    details = [cell.value for row in workbook["Plan"].iter_rows() for cell in row]
    assert "Alex Mills" in details and "Sam Harris" not in details
    # A colleague's task page is theirs to open too: they may download the same return.
    assert download_of(client, mine).status_code == 200


def test_a_pdf_return_names_nobody_so_one_kept_pdf_serves_everyone(
    client, plan, executive, in_background
):
    colleague = UserFactory(username="colleague", first_name="Alex", last_name="Mills",
                            role="Lead")  # fmt: skip
    client.force_login(executive)
    progress_url = follow_to_progress(client, url("return_pdf", plan))
    run_worker()
    data = b"".join(download_of(client, progress_url).streaming_content)
    # Were the PDF to print who asked for it, it would have to be kept per person
    # (Format.names_maker).
    assert "Sam Harris" not in pdf_text(data) and b"Sam Harris" not in data
    client.force_login(colleague)
    again = client.get(url("return_pdf", plan))
    assert again.status_code == 200
    assert b"".join(again.streaming_content) == data


# ---------------------------------------------------------------------------- what can go wrong


def test_a_choice_that_cannot_make_a_return_is_explained_on_the_progress_page(
    client, plan, executive, in_background
):
    other = PeriodFactory(label="Another plan's period")
    client.force_login(executive)
    progress_url = follow_to_progress(client, url("return_pdf", plan, period=other.pk))
    run_worker()
    text = page_text(client.get(progress_url))
    assert "The return could not be made" in text
    assert "That reporting period is not one of this plan's periods" in text
    assert "download/" not in text
    assert client.get(progress_url + "download/").url == progress_url


def test_a_return_that_fails_says_so_without_the_details(
    client, plan, executive, in_background, monkeypatch
):
    def broken(ret):
        raise RuntimeError("secret internals")

    monkeypatch.setitem(
        jobs.FORMATS, "pdf", jobs.Format("pdf", jobs.PDF_TYPE, broken, "PDF", False)
    )
    client.force_login(executive)
    progress_url = follow_to_progress(client, url("return_pdf", plan))
    run_worker()
    assert DBTaskResult.objects.get().status == "FAILED"
    text = page_text(client.get(progress_url))
    assert "<title>Failed: PDF return" in text
    assert "Something went wrong while making it." in text
    assert "secret internals" not in text and "RuntimeError" not in text
    assert f'href="{url("return_pdf", plan)}">Try again' in text
    # Asking again makes it anew rather than waiting for the failed task.
    monkeypatch.undo()
    again = follow_to_progress(client, url("return_pdf", plan))
    assert again != progress_url


def test_a_task_whose_worker_stopped_is_reported_failed_and_made_anew(
    client, plan, executive, in_background
):
    client.force_login(executive)
    progress_url = follow_to_progress(client, url("return_pdf", plan))
    task = DBTaskResult.objects.get()
    task.status = "RUNNING"
    task.started_at = timezone.now() - dt.timedelta(minutes=5)
    task.save()
    assert "Status: Being made." in page_text(client.get(progress_url))
    assert follow_to_progress(client, url("return_pdf", plan)) == progress_url

    task.started_at = timezone.now() - jobs.STALLED_AFTER - dt.timedelta(minutes=1)
    task.save()
    assert jobs.STOPPED in page_text(client.get(progress_url))
    assert follow_to_progress(client, url("return_pdf", plan)) != progress_url


def test_the_progress_page_says_how_many_returns_are_ahead(client, plan, executive, in_background):
    client.force_login(executive)
    follow_to_progress(client, url("return_pdf", plan))
    follow_to_progress(client, url("return_xlsx", plan))
    last = follow_to_progress(client, url("return_pdf", plan, pending=1))
    assert "2 returns are waiting to be made before this one." in page_text(client.get(last))


def test_a_task_is_only_found_under_its_own_plan(client, plan, executive, in_background):
    other = PlanFactory(slug="other")
    client.force_login(executive)
    progress_url = follow_to_progress(client, url("return_pdf", plan))
    task_id = progress_url.rstrip("/").rsplit("/", 1)[1]
    elsewhere = reverse("return_progress", args=[other.slug, task_id])
    assert client.get(elsewhere).status_code == 404
    assert client.get(elsewhere + "download/").status_code == 404
    unknown = reverse("return_progress", args=[plan.slug, "00000000-0000-4000-8000-000000000000"])
    assert client.get(unknown).status_code == 404


def test_bad_filters_are_refused_at_once_as_before(client, plan, executive, in_background):
    client.force_login(executive)
    response = client.get(url("return_pdf", plan, as_of="yesterday"))
    assert response.status_code == 400
    assert DBTaskResult.objects.count() == 0


# ---------------------------------------------------------------------------- sweeping


def kept_folders(media_root) -> list[str]:
    folder = Path(media_root) / jobs.FOLDER
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def age_kept_returns(*, by: dt.timedelta) -> None:
    """Make every kept return look as if it had been made `by` earlier."""
    root = Path(jobs.default_storage.location) / jobs.FOLDER
    markers = list(root.glob(f"*/{jobs.MARKER}"))
    assert markers
    for path in markers:
        marker = json.loads(path.read_text())
        made_at = dt.datetime.fromisoformat(marker["made_at"]) - by
        path.write_text(json.dumps(marker | {"made_at": made_at.isoformat()}))


def test_returns_are_kept_outside_any_public_url(client, plan, executive, in_background):
    client.force_login(executive)
    follow_to_progress(client, url("return_pdf", plan))
    run_worker()
    made = jobs.kept(kept_folders(jobs.default_storage.location)[0])
    assert made is not None
    assert Path(made.name).parts[0] == jobs.FOLDER
    assert Path(jobs.default_storage.path(made.name)).is_relative_to(jobs.default_storage.location)


def test_the_sweep_removes_superseded_and_old_returns_and_keeps_the_rest(
    client, plan, executive, in_background, media_root
):
    client.force_login(executive)
    follow_to_progress(client, url("return_xlsx", plan))
    past = url("return_xlsx", plan, as_of=yesterday(plan))
    follow_to_progress(client, past)
    run_worker()
    assert len(kept_folders(media_root)) == 2
    assert jobs.sweep() == 0

    rename(plan.recommendations.get(number="2"), "Changed", executive)
    assert jobs.sweep() == 0
    assert jobs.sweep(now=timezone.now() + HOUR + HOUR) == 1
    remaining = kept_folders(media_root)
    assert len(remaining) == 1
    # The as-at return stays until it is older than RETURNS_KEEP_DAYS.
    assert client.get(past).status_code == 200
    assert jobs.sweep(now=timezone.now() + dt.timedelta(days=6)) == 0
    assert jobs.sweep(now=timezone.now() + dt.timedelta(days=8)) == 1
    assert kept_folders(media_root) == []


def test_the_sweep_removes_a_return_of_an_earlier_day(client, plan, executive, in_background):
    client.force_login(executive)
    follow_to_progress(client, url("return_xlsx", plan))
    run_worker()
    assert jobs.sweep(now=timezone.now() + dt.timedelta(days=1)) == 1


def test_the_sweep_leaves_an_unfinished_return_for_an_hour(media_root):
    folder = Path(media_root) / jobs.FOLDER / ("a" * 64)
    folder.mkdir(parents=True)
    (folder / "return.pdf").write_bytes(b"%PDF- half written")
    assert jobs.sweep() == 0
    assert jobs.sweep(now=timezone.now() + dt.timedelta(hours=2)) == 1
    assert not folder.exists()


def test_a_swept_return_can_be_made_again_from_its_page(client, plan, executive, in_background):
    client.force_login(executive)
    progress_url = follow_to_progress(client, url("return_xlsx", plan, q="guidance"))
    run_worker()
    jobs.sweep(now=timezone.now() + dt.timedelta(days=30))
    text = page_text(client.get(progress_url))
    assert "Status: No longer kept." in text
    assert f'href="{url("return_xlsx", plan, q="guidance")}">Make it again' in text
    assert client.get(progress_url + "download/").url == progress_url


def test_the_sweep_runs_as_a_task(client, plan, executive, in_background):
    client.force_login(executive)
    follow_to_progress(client, url("return_xlsx", plan))
    run_worker()
    rename(plan.recommendations.get(number="2"), "Changed", executive)
    age_kept_returns(by=2 * HOUR)
    result = jobs.sweep_kept_returns.enqueue()
    run_worker()
    assert jobs.sweep_kept_returns.get_result(result.id).return_value == 1


# ---------------------------------------------------------------------------- the rest


def test_reminders_can_be_sent_by_the_worker(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    lead = UserFactory(username="lead", email="lead@example.invalid", role="Lead")
    owner = OwnerFactory(user=lead, email="lead@example.invalid")
    plan = PlanFactory()
    period = PeriodFactory(plan=plan, return_due=timezone.localdate() + dt.timedelta(days=3))
    RecommendationFactory(plan=plan, owner=owner)
    assert period.plan == plan
    result = jobs.send_reminders.enqueue(days=14)
    run_worker()
    assert jobs.send_reminders.get_result(result.id).return_value["sent"] == 1
    assert [message.to for message in mail.outbox] == [["lead@example.invalid"]]


def test_the_export_command_still_makes_the_return_itself(plan, tmp_path, in_background):
    path = tmp_path / "return.pdf"
    call_command("export_return", plan.slug, "--format", "pdf", "-o", str(path), verbosity=0)
    assert path.read_bytes().startswith(b"%PDF-")
    assert DBTaskResult.objects.count() == 0


# ---------------------------------------------------------------------------- the page itself


def test_every_state_of_the_progress_page_is_valid_html(
    client,
    plan,
    executive,
    in_background,
    checker,  # noqa: F811 - the fixture imported above
    tmp_path,
    monkeypatch,
):
    from tests.test_html_valid import CANARY, CANARY_HTML, _check, _file_name

    client.force_login(executive)
    pages = {}
    waiting = follow_to_progress(client, url("return_xlsx", plan))
    pages["waiting"] = client.get(waiting).content.decode()
    task = DBTaskResult.objects.get()
    task.status, task.started_at = "RUNNING", timezone.now()
    task.save()
    pages["making"] = client.get(waiting).content.decode()
    task.status = "READY"
    task.save()
    run_worker()
    pages["ready"] = client.get(waiting).content.decode()
    jobs.sweep(now=timezone.now() + dt.timedelta(days=30))
    pages["gone"] = client.get(waiting).content.decode()
    other = PeriodFactory(label="Another plan's period")
    refused = follow_to_progress(client, url("return_xlsx", plan, period=other.pk))
    run_worker()
    pages["refused"] = client.get(refused).content.decode()

    def broken(ret):
        raise RuntimeError("broken")

    monkeypatch.setitem(
        jobs.FORMATS, "pdf", jobs.Format("pdf", jobs.PDF_TYPE, broken, "PDF", False)
    )
    pages["failed"] = follow_to_progress(client, url("return_pdf", plan))
    run_worker()
    pages["failed"] = client.get(pages["failed"]).content.decode()
    labels = {
        "waiting": "Waiting to be made", "making": "Being made", "ready": "Ready",
        "gone": "No longer kept", "refused": "Could not be made", "failed": "Failed",
    }  # fmt: skip
    for state, label in labels.items():
        assert f"<title>{label}:" in pages[state], state

    errors = _check(checker, tmp_path, {**pages, CANARY: CANARY_HTML})
    canary = [error for error in errors if error.startswith(_file_name(CANARY))]
    assert canary, "The checker found no fault in a page known to be invalid"
    errors = [error for error in errors if error not in canary]
    assert not errors, "\n".join(errors)

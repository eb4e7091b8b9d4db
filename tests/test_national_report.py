"""The national progress report: every organisation's approved standing on each of a report's
recommendations in one reporting period."""

from __future__ import annotations

import datetime as dt
import html
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from recommendations import national
from recommendations.choices import SignOff, Status
from recommendations.models import Organisation, ReportRecommendation
from tests.factories import (
    OrganisationFactory,
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    ReportFactory,
    StatusUpdateFactory,
    SubRecommendationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MARCH = dt.date(2025, 3, 31)
SEPTEMBER = dt.date(2025, 9, 30)
AFTER = dt.date(2026, 1, 15)  # "today" in these tests: both returns were due before it


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def reference(report, number: str, parent=None) -> ReportRecommendation:
    return ReportRecommendation.objects.create(
        report=report, number=number, text=f"Recommendation {number} of the report.", parent=parent
    )


def force(report, name: str, numbers=("7", "10"), *, published=True):
    """An organisation with a plan answering the report: the given recommendations, a March
    and a September period (returns due a fortnight after each)."""
    organisation = OrganisationFactory(name=name)
    plan = PlanFactory(organisation=organisation, report=report, is_published=published)
    periods = [
        PeriodFactory(plan=plan, label="6-month update", position=0, period_end=MARCH,
                      return_due=MARCH + dt.timedelta(days=14)),
        PeriodFactory(plan=plan, label="Annual update", position=1, period_end=SEPTEMBER,
                      return_due=SEPTEMBER + dt.timedelta(days=14)),
    ]  # fmt: skip
    recs = {
        number: RecommendationFactory(
            plan=plan,
            number=number,
            report_recommendation=ReportRecommendation.objects.get(report=report, number=number),
        )
        for number in numbers
    }
    return plan, periods, recs


def update(rec, period, status, *, on: dt.date, sign_off=SignOff.APPROVED):
    return StatusUpdateFactory(
        recommendation=rec, period=period, status=status, sign_off=sign_off, recorded_at=at(on)
    )


@pytest.fixture
def report():
    report = ReportFactory(slug="stalking", title="Stalking super-complaint report")
    reference(report, "7")
    reference(report, "10")
    return report


def cell_of(result: national.NationalReport, number: str, name: str) -> national.Cell:
    row = next(row for row in result.rows if row.number == number)
    return next(cell for cell in row.cells if cell.column.name == name)


# ---------------------------------------------------------------------------- the period rule


def test_the_reports_periods_are_the_distinct_end_dates_and_the_latest_is_the_default(report):
    plan, _periods, _ = force(report, "Example Force 1")
    other, _, _ = force(report, "Example Force 2")
    PeriodFactory(plan=other, label="Initial response", position=5, period_end=None)
    PeriodFactory(plan=plan, label="Initial response", position=5, period_end=None)

    result = national.national_report(report, on=AFTER)

    assert [p.key for p in result.periods] == [
        "Initial response",
        MARCH.isoformat(),
        SEPTEMBER.isoformat(),
    ]
    assert result.period.period_end == SEPTEMBER
    assert result.period.label == "Annual update"


def test_a_period_with_another_label_is_matched_by_its_end_date(report):
    _first, _, _recs = force(report, "Example Force 1")
    _second, periods, recs2 = force(report, "Example Force 2")
    periods[1].label = "September 2025 update"
    periods[1].save()
    update(recs2["7"], periods[1], Status.AT_RISK, on=SEPTEMBER)

    result = national.national_report(report, period_key=SEPTEMBER.isoformat(), on=AFTER)

    assert len(result.periods) == 2
    assert cell_of(result, "7", "Example Force 2").status == Status.AT_RISK


def test_an_undated_period_is_matched_by_its_label(report):
    plan, _, recs = force(report, "Example Force 1")
    undated = PeriodFactory(plan=plan, label="Initial response", position=5, period_end=None)
    update(recs["7"], undated, Status.NOT_STARTED, on=MARCH)

    result = national.national_report(report, period_key="Initial response", on=AFTER)

    assert cell_of(result, "7", "Example Force 1").status == Status.NOT_STARTED


def test_a_period_the_report_lacks_is_refused_by_name(report):
    force(report, "Example Force 1")
    with pytest.raises(national.PeriodNotFound, match='"2031-01-01" is not one of this report'):
        national.national_report(report, period_key="2031-01-01")


# ---------------------------------------------------------------------------- the cells


def test_cells_show_the_approved_status_never_a_draft(report):
    _, periods, recs = force(report, "Example Force 1")
    approved = update(recs["7"], periods[1], Status.ON_TRACK, on=SEPTEMBER)
    # Edited again and waiting for sign-off: the approved version stays in force.
    approved.status, approved.sign_off = Status.OFF_TRACK, SignOff.SUBMITTED
    approved.save()
    update(recs["10"], periods[1], Status.COMPLETE, on=SEPTEMBER, sign_off=SignOff.DRAFT)

    result = national.national_report(report, on=AFTER)

    seven = cell_of(result, "7", "Example Force 1")
    assert (seven.status, seven.label, seven.rag.word) == (Status.ON_TRACK, "On track", "Green")
    assert seven.updated == SEPTEMBER
    assert seven.url == f"/plans/{recs['7'].plan.slug}/recommendations/7/"
    assert cell_of(result, "10", "Example Force 1").category == national.NO_RETURN


def test_a_status_given_earlier_stands_and_a_recommendation_follows_its_actions(report):
    _, periods, recs = force(report, "Example Force 1")
    update(recs["7"], periods[0], Status.AT_RISK, on=MARCH)
    # Nothing new on 7 in September; the force returned on its other recommendation.
    action = SubRecommendationFactory(recommendation=recs["10"], number="10.1")
    update(action, periods[1], Status.OFF_TRACK, on=SEPTEMBER)

    result = national.national_report(report, on=AFTER)

    assert cell_of(result, "7", "Example Force 1").status == Status.AT_RISK
    assert cell_of(result, "10", "Example Force 1").status == Status.OFF_TRACK


def test_sub_recommendations_of_the_report_have_rows_of_their_own(report):
    seven = ReportRecommendation.objects.get(report=report, number="7")
    sub = reference(report, "7.1", parent=seven)
    _, periods, recs = force(report, "Example Force 1")
    action = SubRecommendationFactory(
        recommendation=recs["7"], number="7.1", report_recommendation=sub
    )
    update(action, periods[1], Status.COMPLETE, on=SEPTEMBER)

    result = national.national_report(report, on=AFTER)

    assert [(row.number, row.is_sub) for row in result.rows] == [
        ("7", False),
        ("7.1", True),
        ("10", False),
    ]
    assert cell_of(result, "7.1", "Example Force 1").status == Status.COMPLETE
    assert cell_of(result, "7", "Example Force 1").status == Status.COMPLETE  # from its action


# ---------------------------------------------------------------------------- counts


def test_counts_put_closed_with_complete_and_every_organisation_in_one_column(report):
    statuses = [Status.COMPLETE, Status.CLOSED, Status.ON_TRACK, Status.AT_RISK,
                Status.OFF_TRACK, Status.NOT_STARTED]  # fmt: skip
    for n, status in enumerate(statuses, start=1):
        _, periods, recs = force(report, f"Example Force {n}")
        update(recs["7"], periods[1], status, on=SEPTEMBER)
    OrganisationFactory(name="Example Force 7")  # no plan at all
    _, periods, recs = force(report, "Example Force 8")  # a plan, nothing approved

    result = national.national_report(report, on=AFTER)

    row = result.rows[0]
    assert row.counts == {
        national.COMPLETE: 2,
        Status.ON_TRACK: 1,
        Status.AT_RISK: 1,
        Status.OFF_TRACK: 1,
        Status.NOT_STARTED: 1,
        national.NO_RETURN: Organisation.objects.count() - 6,
    }
    assert sum(row.counts.values()) == len(result.columns) == Organisation.objects.count()


def test_a_national_body_that_collates_returns_is_no_column_of_its_own(report):
    force(report, "Example Force 1")
    OrganisationFactory(name="Example Force 2")  # expected to return, nothing yet
    OrganisationFactory(name="Example National Lead", answers_reports=False)

    result = national.national_report(report, on=AFTER)

    names = {column.name for column in result.columns}
    assert {"Example Force 1", "Example Force 2"} <= names
    assert "Example National Lead" not in names
    assert "Example National Lead" not in {column.name for column in result.not_returned}


# ---------------------------------------------------------------------------- returns


def test_not_returned_and_late_organisations(report):
    _, periods, recs = force(report, "Example Force 1")  # on time
    update(recs["7"], periods[1], Status.ON_TRACK, on=SEPTEMBER)
    _, periods, recs = force(report, "Example Force 2")  # approved after the due date
    update(recs["7"], periods[1], Status.ON_TRACK, on=SEPTEMBER + dt.timedelta(days=30))
    _, periods, recs = force(report, "Example Force 3")  # only a draft
    update(recs["7"], periods[1], Status.ON_TRACK, on=SEPTEMBER, sign_off=SignOff.DRAFT)
    OrganisationFactory(name="Example Force 4")  # no plan

    result = national.national_report(report, on=AFTER)
    names = {column.name for column in result.not_returned}
    late = {column.name for column in result.late}

    assert {"Example Force 3", "Example Force 4"} <= names
    assert not {"Example Force 1", "Example Force 2"} & names
    assert late == {"Example Force 2", "Example Force 3"}
    # Before the due date, nothing is late yet.
    early = national.national_report(report, on=SEPTEMBER + dt.timedelta(days=1))
    assert "Example Force 3" not in {column.name for column in early.late}


def test_the_first_approval_decides_lateness_even_after_a_later_approval(report):
    _, periods, recs = force(report, "Example Force 1")
    first = update(recs["7"], periods[1], Status.ON_TRACK, on=SEPTEMBER)
    first.approved_at = at(SEPTEMBER + dt.timedelta(days=60))  # approved again, much later
    first.save()

    result = national.national_report(report, on=AFTER)

    assert result.late == []


# ---------------------------------------------------------------------------- filters


def test_the_status_filter_keeps_rows_with_such_a_cell(report):
    _, periods, recs = force(report, "Example Force 1")
    update(recs["7"], periods[1], Status.OFF_TRACK, on=SEPTEMBER)
    update(recs["10"], periods[1], Status.ON_TRACK, on=SEPTEMBER)

    result = national.national_report(
        report, filters=national.Filters(status=Status.OFF_TRACK), on=AFTER
    )

    assert [row.number for row in result.rows] == ["7"]


def test_the_not_returned_filter_keeps_only_those_organisations(report):
    _, periods, recs = force(report, "Example Force 1")
    update(recs["7"], periods[1], Status.OFF_TRACK, on=SEPTEMBER)
    force(report, "Example Force 2")

    result = national.national_report(report, filters=national.Filters(not_returned=True))

    names = [column.name for column in result.columns]
    assert "Example Force 2" in names and "Example Force 1" not in names
    assert all(len(row.cells) == len(names) for row in result.rows)


# ---------------------------------------------------------------------------- public


def test_the_public_report_leaves_unpublished_plans_out(report):
    _, periods, recs = force(report, "Example Force 1", published=False)
    update(recs["7"], periods[1], Status.OFF_TRACK, on=SEPTEMBER)

    result = national.national_report(report, public=True, on=AFTER)

    assert cell_of(result, "7", "Example Force 1").category == national.NO_RETURN
    assert "Example Force 1" in {column.name for column in result.not_returned}


# ---------------------------------------------------------------------------- queries


def build_forces(report, count: int) -> None:
    for n in range(count):
        _, periods, recs = force(report, f"Example Force {n + 1}")
        action = SubRecommendationFactory(recommendation=recs["10"], number="10.1")
        for period in periods:
            update(recs["7"], period, Status.ON_TRACK, on=period.period_end)
            update(action, period, Status.AT_RISK, on=period.period_end)


def count_queries(report) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = national.national_report(report, on=AFTER)
    assert result.rows
    return len(queries)


def test_the_query_count_does_not_grow_with_organisations(report):
    build_forces(report, 5)
    few = count_queries(report)
    build_forces_from = Organisation.objects.count()
    for n in range(build_forces_from, 43):
        _, periods, recs = force(report, f"Example Force {n + 1}")
        update(recs["7"], periods[1], Status.ON_TRACK, on=SEPTEMBER)
    assert Organisation.objects.count() >= 43
    assert count_queries(report) == few
    assert few <= 8


# ---------------------------------------------------------------------------- the page


@pytest.fixture
def national_user():
    return UserFactory(username="national-lead", role="National")


@pytest.fixture
def national_client(client, national_user):
    client.force_login(national_user)
    return client


def test_the_national_role_opens_the_page_and_force_accounts_are_refused(
    client, report, national_user, lead, executive, administrator
):
    _, periods, recs = force(report, "Example Force 1")
    update(recs["7"], periods[1], Status.AT_RISK, on=SEPTEMBER)
    url = reverse("national_report", args=[report.slug])
    for user in (lead, executive, administrator):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 403
        assert "The national pages are for accounts with the National role." in (
            html.unescape(response.content.decode())
        )
    client.force_login(national_user)
    assert client.get(url).status_code == 200
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302


def test_the_page_is_a_labelled_table_with_statuses_in_words(national_client, report):
    _, periods, recs = force(report, "Example Force 1")
    update(recs["7"], periods[1], Status.AT_RISK, on=SEPTEMBER)
    OrganisationFactory(name="Example Force 2", short_name="EF2")

    page = national_client.get(reverse("national_report", args=[report.slug])).content.decode()

    assert 'role="region" aria-labelledby="national-caption" tabindex="0"' in page
    assert '<caption id="national-caption">' in page
    assert '<th scope="row">7</th>' in page
    assert page.count('<th scope="col" class="org">') == Organisation.objects.count()
    assert '<span class="badge badge-at_risk">At risk</span>' in page
    assert f'href="/plans/{recs["7"].plan.slug}/recommendations/7/"' in page
    assert "Example Force 2" in page and "No return" in page
    assert "Annual update" in page
    assert f"{reverse('national_xlsx', args=[report.slug])}?" in page


def test_the_page_changes_when_any_plan_of_the_report_changes(national_client, report):
    _, periods, recs = force(report, "Example Force 1")
    url = reverse("national_report", args=[report.slug])
    assert "badge-off_track" not in national_client.get(url).content.decode()

    update(recs["7"], periods[1], Status.OFF_TRACK, on=SEPTEMBER)
    assert "badge-off_track" in national_client.get(url).content.decode()

    OrganisationFactory(name="Example Force Newly Added")
    assert "Example Force Newly Added" in national_client.get(url).content.decode()


def test_filters_are_plain_links_that_narrow_the_matrix(national_client, report):
    _, periods, recs = force(report, "Example Force 1")
    update(recs["7"], periods[1], Status.OFF_TRACK, on=SEPTEMBER)
    update(recs["10"], periods[1], Status.ON_TRACK, on=SEPTEMBER)
    force(report, "Example Force 2")
    url = reverse("national_report", args=[report.slug])

    page = national_client.get(url).content.decode()
    assert f'href="{url}?period={SEPTEMBER.isoformat()}&amp;status=off_track"' in page

    page = national_client.get(url, {"status": "off_track"}).content.decode()
    assert '<th scope="row">7</th>' in page and '<th scope="row">10</th>' not in page

    page = national_client.get(url, {"not_returned": "1"}).content.decode()
    not_returned = Organisation.objects.exclude(name="Example Force 1").count()
    assert page.count('<th scope="col" class="org">') == not_returned
    assert (
        f'<a href="{url}?period=2025-09-30&amp;not_returned=1" aria-current="true">'
        "Not returned only</a>"
    ) in page


def test_a_period_the_report_lacks_gets_a_message_not_an_error(national_client, report):
    force(report, "Example Force 1")
    response = national_client.get(
        reverse("national_report", args=[report.slug]), {"period": "2031-02-30"}
    )
    assert response.status_code == 400
    assert "is not one of this report" in html.unescape(response.content.decode())


def test_the_pages_queries_do_not_grow_with_organisations(national_client, report, settings):
    settings.PAGE_CACHE = False
    url = reverse("national_report", args=[report.slug])
    build_forces(report, 5)
    national_client.get(url)  # the session's first request reads more than the page
    with CaptureQueriesContext(connection) as few:
        assert national_client.get(url).status_code == 200
    for n in range(Organisation.objects.count(), 43):
        _, periods, recs = force(report, f"Example Force {n + 1}")
        update(recs["7"], periods[1], Status.ON_TRACK, on=SEPTEMBER)
    with CaptureQueriesContext(connection) as many:
        assert national_client.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_index_lists_reports(national_client, report):
    page = national_client.get(reverse("national_index")).content.decode()
    assert report.title in page
    assert reverse("national_report", args=[report.slug]) in page
    assert reverse("national_returns", args=[report.slug]) in page


# ---------------------------------------------------------------------------- exports


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def many_forces(report):
    """Twelve forces (more than one band of the PDF), one with a name a spreadsheet would
    read as a formula."""
    for n in range(12):
        _, periods, recs = force(report, f"Example Force {n + 1}")
        update(recs["7"], periods[1], Status.ON_TRACK, on=SEPTEMBER)
    OrganisationFactory(name='=HYPERLINK("http://example.invalid","Example Force X")')
    OrganisationFactory(name="Example Force Without A Plan")
    return report


def test_the_xlsx_lists_every_organisation_and_recommendation(national_client, many_forces):
    response = national_client.get(reverse("national_xlsx", args=[many_forces.slug]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="national_stalking_')
    assert "no-store" in response["Cache-Control"]
    book = load_workbook(io.BytesIO(response.content))
    names = set(Organisation.objects.values_list("name", flat=True))
    summary = book["National progress"]
    assert summary["A1"].value == "Stalking super-complaint report"
    assert summary["A4"].value == "OFFICIAL"
    assert [cell.value for cell in summary[6]][:3] == [
        "Rec No.",
        "Recommendation",
        "Complete or closed",
    ]
    assert [summary.cell(row=r, column=1).value for r in (7, 8)] == ["7", "10"]
    assert [cell.value for cell in summary[7]][2:] == [0, 12, 0, 0, 0, len(names) - 12]
    assert summary.page_setup.fitToWidth == 1 and summary.sheet_properties.pageSetUpPr.fitToPage
    matrix = book["By organisation"]
    assert names == {cell.value for cell in matrix[6][1:]}
    assert "On track" in [cell.value for cell in matrix[7]]
    formula = next(cell for cell in matrix[6] if str(cell.value).startswith("=HYPERLINK"))
    assert formula.data_type == "s" and formula.quotePrefix
    for sheet in (summary, matrix):
        assert sheet.print_title_rows == "$6:$6"
        assert sheet.page_setup.orientation == "landscape"
        assert "OFFICIAL" in sheet.oddHeader.center.text
    assert matrix.print_title_cols == "$A:$A"
    listed = {cell.value for cell in book["Organisations"]["A"][1:]}
    assert listed == names


def test_the_pdf_lists_every_organisation_and_recommendation(national_client, many_forces):
    response = national_client.get(reverse("national_pdf", args=[many_forces.slug]))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)
    text = words(" ".join(page.extract_text() for page in reader.pages))
    assert text.count("OFFICIAL") >= 2 * len(reader.pages)
    assert "Stalking super-complaint report" in text
    assert "Annual update" in text
    for name in Organisation.objects.values_list("name", flat=True):
        assert words(name) in text
    assert "Recommendation 7 of the report." in text
    assert "Recommendation 10 of the report." in text
    # Twelve forces and two without a return: two bands of the matrix, with headers repeated.
    assert text.count("Status by organisation") == 2


def test_the_downloads_are_for_the_national_role_only(client, lead, report):
    client.force_login(lead)
    for name in ("national_xlsx", "national_pdf"):
        assert client.get(reverse(name, args=[report.slug])).status_code == 403


# ---------------------------------------------------------------------------- the public page


def test_the_public_page_is_missing_unless_the_deployment_publishes_it(client, report):
    url = reverse("public_national", args=[report.slug])
    assert client.get(url).status_code == 404


def test_the_public_page_shows_published_plans_approved_content_to_anyone(client, report, settings):
    settings.NATIONAL_PUBLIC_PAGE = True
    plan, periods, recs = force(report, "Example Force 1")
    update(recs["7"], periods[1], Status.AT_RISK, on=SEPTEMBER)
    draft = update(recs["10"], periods[1], Status.OFF_TRACK, on=SEPTEMBER)
    draft.sign_off, draft.approved_at, draft.approved_status = SignOff.DRAFT, None, ""
    draft.save()
    _, hidden_periods, hidden = force(report, "Example Force 2", published=False)
    update(hidden["7"], hidden_periods[1], Status.COMPLETE, on=SEPTEMBER)

    response = client.get(reverse("public_national", args=[report.slug]))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<span class="badge badge-at_risk">At risk</span>' in page
    assert "badge-off_track" not in page
    assert "badge-complete" not in page  # the unpublished plan's
    assert f'href="{reverse("public_plan", args=[plan.slug])}"' in page
    assert "/recommendations/" not in page
    assert "Download" not in page
    assert client.get(reverse("public_national", args=["no-such-report"])).status_code == 404


def test_the_national_pages_are_valid_html(national_client, many_forces, settings, tmp_path):
    from tests.test_html_valid import _check, _checker

    command, missing = _checker()
    if command is None:
        pytest.skip(f"HTML CHECK SKIPPED: {missing} is missing")
    settings.NATIONAL_PUBLIC_PAGE = True
    slug = many_forces.slug
    pages = {
        "national": national_client.get(reverse("national_report", args=[slug])),
        "national-filtered": national_client.get(
            reverse("national_report", args=[slug]), {"status": "on_track"}
        ),
        "national-refused-period": national_client.get(
            reverse("national_report", args=[slug]), {"period": "1999-01-01"}
        ),
        "national-index": national_client.get(reverse("national_index")),
        "public-national": Client().get(reverse("public_national", args=[slug])),
    }
    errors = _check(command, tmp_path, {name: r.content.decode() for name, r in pages.items()})
    assert not errors, "\n".join(errors)


def test_the_xlsx_prints_every_word_at_8_points_or_more(national_client, many_forces, tmp_path):
    """Printed by LibreOffice Calc, as the force return's print tests do: the summary fits the
    page's width at a readable size, and the matrix runs across pages without shrinking."""
    import os
    import subprocess
    import tempfile

    from tests import test_returns_print as printing

    if not (printing.SOFFICE and printing.PDFTOTEXT):
        pytest.skip("LibreOffice Calc or pdftotext is not installed")
    path = tmp_path / "national.xlsx"
    path.write_bytes(national_client.get(reverse("national_xlsx", args=[many_forces.slug])).content)
    with tempfile.TemporaryDirectory() as home:
        subprocess.run(
            [printing.SOFFICE, "--headless", "--norestore", "--convert-to", "pdf",
             "--outdir", str(tmp_path), str(path)],
            env={**os.environ, "HOME": home}, capture_output=True, check=True,
            timeout=printing.SOFFICE_TIMEOUT,
        )  # fmt: skip
    printed = printing.read_printed(tmp_path / "national.pdf")
    sizes = [printed.size(word) for word in printed.words]
    assert sizes and min(sizes) >= printing.MIN_POINTS - printing.SIZE_TOLERANCE, min(sizes)
    text = " ".join(word.text for word in printed.words)
    for n in range(1, 13):
        assert f"Force {n}" in text

"""The XLSX return: its cells, its layout, what it leaves out, its safety and its downloads."""

import datetime as dt
import io
import re
import zipfile
import zoneinfo

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recommendations import services
from recommendations.choices import RAG_BY_STATUS, SignOff, Status
from recommendations.exports import common, xlsx
from recommendations.models import (
    Owner,
    Plan,
    Recommendation,
    ReportingPeriod,
    StatusUpdate,
)
from recommendations.queries import PlanFilters
from tests.factories import (
    OwnerFactory,
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    SubRecommendationFactory,
    build_plan,
)

pytestmark = pytest.mark.django_db

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def render_bytes(plan, **options) -> bytes:
    plan = Plan.objects.select_related("executive_lead", "operational_lead").get(pk=plan.pk)
    return xlsx.render(common.build_return(plan, **options))


def export(plan, **options) -> openpyxl.Workbook:
    return workbook(render_bytes(plan, **options))


def sheet_rows(sheet) -> list[dict]:
    """Each data row of a sheet as {header: cell}."""
    rows = list(sheet.iter_rows())
    headers = [cell.value for cell in rows[0]]
    return [dict(zip(headers, row, strict=True)) for row in rows[1:]]


def by_number(book) -> dict[str, dict]:
    return {row["Rec No."].value: row for row in sheet_rows(book["Return"])}


def values(book, *sheets) -> list[tuple]:
    return [row for name in sheets for row in book[name].iter_rows(values_only=True)]


def url(name, plan, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse(name, args=[plan.slug]) + (f"?{query}" if query else "")


def after(moment: dt.datetime) -> None:
    """Wait (without sleeping) until the clock has passed `moment`, so the next write is
    recorded strictly after it."""
    while timezone.now() <= moment:
        pass


# ---------------------------------------------------------------------------- the seed plan


def test_the_demo_plan_has_the_seed_texts_in_the_right_cells(demo_plan):
    book = export(demo_plan)
    rows = by_number(book)
    assert list(rows) == ["7", "10"]
    seven = rows["7"]
    assert seven["Recommendation"].value.startswith("By 27/03/25, where required, seek changes")
    assert seven["Addressee"].value == "Chief Constables"
    assert seven["Sub recommendation"].value == (
        "7.1 Processes should be put in place to make sure this system capability is "
        "effectively used by officers and staff."
    )
    assert seven["Initial action plan response"].value == (
        "Long-term solution via RMS change through Minerva project owing to the fact that "
        "these are not simple fixes. Implementation March 26 earliest."
    )
    assert seven["March 2026 update"].value.endswith("As such, timeframe for delivery cannot be")
    ten = rows["10"]
    assert ten["Addressee"].value == "Cheif Constables"
    assert ten["Sub recommendation"].value == "10.2 Makes appropriate use\n10.3 Uses the skills and"
    assert ten["March 2026 update"].value.startswith("HIOWC has reviewed all training content")


def test_the_return_sheet_has_the_published_columns_then_status_rag_and_dates(demo_plan):
    sheet = export(demo_plan)["Return"]
    assert [cell.value for cell in sheet[1]] == [
        "Rec No.",
        "Recommendation",
        "Sub recommendation",
        "Addressee",
        "Owner",
        "Initial action plan response",
        "March 2026 update",
        "Status (March 2026 update)",
        "RAG",
        "Due date",
        "Last updated",
    ]


def test_owner_status_rag_and_dates_are_written_as_people_read_them(demo_plan):
    seven = by_number(export(demo_plan))["7"]
    assert seven["Owner"].value == "Demo Lead"
    # No status was given: the cells are blank, not "No status given" and "None".
    assert seven["Status (March 2026 update)"].value is None
    assert seven["RAG"].value is None
    due = seven["Due date"]
    assert due.value == dt.datetime(2025, 3, 27)
    assert due.is_date and due.number_format == "dd/mm/yyyy"
    assert seven["Last updated"].value == dt.datetime(2026, 3, 31)
    assert seven["Last updated"].is_date


def test_the_plan_sheet_names_the_plan_its_leads_the_force_and_the_moment(demo_plan, settings):
    settings.FORCE_NAME = "Test Constabulary"
    book = export(demo_plan, generated_by="Ada Lovelace")
    details = {key: value for key, value in book["Plan"].iter_rows(min_row=2, values_only=True)}
    assert details["Plan title"] == "Stalking super-complaint action plan"
    assert details["Plan slug"] == "stalking-super-complaint"
    assert details["Strategic / Executive Lead"] == "D/Supt Abbie Leeson"
    assert details["Report date"] == dt.datetime(2024, 9, 27)
    assert details["Response deadline"] == dt.datetime(2024, 11, 22)
    assert details["Force"] == "Test Constabulary"
    assert details["Period"] == "March 2026 update"
    assert details["Generated by"] == "Ada Lovelace"
    assert isinstance(details["As at"], dt.datetime)
    for key in ["Report", "Publishing body", "Complainant", "Operational Lead", "Generated at"]:
        assert key in details


def test_document_properties_carry_title_plan_period_as_at_and_author(demo_plan):
    plan = Plan.objects.get(pk=demo_plan.pk)
    moment = timezone.now()
    ret = common.build_return(plan, as_of=moment, generated_by="Ada Lovelace")
    props = workbook(xlsx.render(ret)).properties
    assert props.title == "Stalking super-complaint action plan: March 2026 update return"
    assert "March 2026 update" in props.subject
    assert f"As at {common.format_moment(moment)}" in props.description
    assert props.creator == "Ada Lovelace"


# ---------------------------------------------------------------------------- layout


def test_the_header_row_is_bold_frozen_filtered_and_printed_on_every_page(demo_plan):
    sheet = export(demo_plan)["Return"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == "A1:K3"
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet["B2"].alignment.wrap_text
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width


def test_the_return_prints_at_its_own_size_across_pages_with_the_numbers_repeated(demo_plan):
    """Not shrunk to one page width (which printed 5-point text): 9 pt at 100%, as many
    pages across as it takes, each with the Rec No. column and the header row."""
    book = export(demo_plan)
    sheet = book["Return"]
    assert not sheet.sheet_properties.pageSetUpPr.fitToPage
    assert int(sheet.page_setup.scale) == 100
    assert sheet.page_setup.pageOrder == "overThenDown"
    assert sheet.print_title_cols == "$A:$A"
    assert sheet.page_margins.left == sheet.page_margins.right == 0.4
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells
    for cell in cells:
        assert (cell.font.name, cell.font.sz) == ("Arial", xlsx.TEXT_SIZE)
    assert xlsx.TEXT_SIZE >= 8
    for name in ["Summary", "Plan"]:
        assert book[name].page_setup.orientation == "landscape"
        assert int(book[name].page_setup.scale) == 100
    # Column widths count the digit width of the Normal style's font.
    styles = zipfile.ZipFile(io.BytesIO(render_bytes(demo_plan))).read("xl/styles.xml").decode()
    assert re.search(r'<fonts count="\d+"><font><name val="Arial"/>', styles)
    assert '<sz val="10"/>' in styles.split("</font>")[0]


def test_every_row_is_as_tall_as_its_wrapped_text_and_short_rows_stay_short():
    plan = PlanFactory()
    period = PeriodFactory(plan=plan, label="Q1")
    short = {"addressee": "Chief Constables", "owner": None}
    RecommendationFactory(plan=plan, number="1", text="Short.", **short)
    long = RecommendationFactory(plan=plan, number="2", text="Word " * 200, **short)
    RecommendationFactory(plan=plan, number="3", text="One\nTwo\nThree\nFour\nFive", **short)
    StatusUpdateFactory(recommendation=long, period=period, text="Text. " * 20)
    sheet = export(plan)["Return"]
    heights = {
        sheet.cell(row, 1).value: sheet.row_dimensions[row].height
        for row in range(2, sheet.max_row + 1)
    }
    one_line = xlsx.LINE_PT + xlsx.CELL_PT
    assert heights["1"] == one_line
    # 1,000 characters in a 40-wide column: 25 or more lines of 12 pt.
    assert heights["2"] >= 25 * xlsx.LINE_PT
    assert heights["3"] == 5 * xlsx.LINE_PT + xlsx.CELL_PT  # one line for each line break
    assert sheet.row_dimensions[1].height >= one_line  # the header row too


def test_a_text_too_long_for_a_row_widens_its_column_so_it_still_prints_in_full():
    plan = PlanFactory()
    period = PeriodFactory(plan=plan, label="Q1")
    short = RecommendationFactory(plan=plan, number="1", text="Short.")
    StatusUpdateFactory(recommendation=short, period=period, text="Short update.")
    sheet = export(plan)["Return"]
    assert sheet.column_dimensions["F"].width == xlsx.PERIOD_WIDTH
    long = RecommendationFactory(plan=plan, number="2", text="Short.")
    StatusUpdateFactory(recommendation=long, period=period, text="A long update text. " * 150)
    sheet = export(plan)["Return"]
    width = sheet.column_dimensions["F"].width
    assert xlsx.PERIOD_WIDTH < width <= xlsx.MAX_WIDTH
    assert max(sheet.row_dimensions[row].height for row in (2, 3)) <= xlsx.MAX_ROW_PT


def test_every_column_holds_the_longest_word_of_its_header():
    plan = PlanFactory()
    PeriodFactory(plan=plan, label="Reassessment-after-the-inspection-revisit")
    RecommendationFactory(plan=plan, number="1")
    sheet = export(plan)["Return"]
    width = sheet.column_dimensions["F"].width
    assert width * xlsx.UNIT_PT >= len("Reassessment-after-the-inspection-revisit") * 5.6


def test_status_and_rag_cells_show_the_words_in_the_choice_colours():
    plan = PlanFactory()
    period = PeriodFactory(plan=plan, label="Q1")
    for number, status in [("1", Status.ON_TRACK), ("2", Status.OFF_TRACK)]:
        StatusUpdateFactory(
            recommendation=RecommendationFactory(plan=plan, number=number),
            period=period,
            status=status,
        )
    rows = by_number(export(plan))
    for number, status in [("1", Status.ON_TRACK), ("2", Status.OFF_TRACK)]:
        rag = RAG_BY_STATUS[status]
        cell = rows[number]["RAG"]
        assert cell.value == rag.word
        assert rows[number]["Status (Q1)"].value == status.label
        assert cell.fill.fgColor.rgb == "FF" + rag.background.lstrip("#").upper()
        assert cell.font.color.rgb == "FF" + rag.foreground.lstrip("#").upper()


def test_the_summary_counts_every_status_and_the_overdue_rows():
    plan = PlanFactory()
    period = PeriodFactory(plan=plan)
    late = dt.date(2020, 1, 1)
    for number, status, due in [
        ("1", Status.ON_TRACK, late),
        ("2", Status.ON_TRACK, None),
        ("3", Status.COMPLETE, late),
    ]:
        rec = RecommendationFactory(plan=plan, number=number, due_date=due)
        StatusUpdateFactory(recommendation=rec, period=period, status=status)
    RecommendationFactory(plan=plan, number="4", due_date=late)
    sheet = export(plan)["Summary"]
    counts = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
    assert counts["On track"] == 2
    assert counts["Complete"] == 1
    assert counts["No status given"] == 1
    assert counts["Not started"] == counts["Closed"] == 0
    assert counts["Total"] == 4
    assert counts["Overdue"] == 2  # 1 (late, on track) and 4 (late, nothing recorded)


# ---------------------------------------------------------------------------- safety


FORMULAS = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]


def test_text_that_looks_like_a_formula_is_written_as_text_never_as_a_formula():
    plan = PlanFactory(title="=cmd|' /C calc'!A0")
    period = PeriodFactory(plan=plan, label="-Q1")
    for number, text in enumerate(FORMULAS, start=1):
        rec = RecommendationFactory(
            plan=plan,
            number=str(number),
            text=text,
            addressee=text,
            owner=OwnerFactory(name=text, rank=""),
        )
        SubRecommendationFactory(recommendation=rec, number=f"{number}.1", text=text)
        StatusUpdateFactory(recommendation=rec, period=period, text=text)
    data = xlsx.render(common.build_return(Plan.objects.get(pk=plan.pk)))

    book = workbook(data)
    rows = by_number(book)
    for number, text in enumerate(FORMULAS, start=1):
        row = rows[str(number)]
        for header in ["Recommendation", "Addressee", "-Q1"]:
            cell = row[header]
            # XML keeps line breaks as line feeds, so a carriage return comes back as one.
            assert cell.value == text.replace("\r", "\n"), (header, text)
            assert cell.data_type == "s", (header, text)
            assert cell.quotePrefix, (header, text)
        owner = Recommendation.objects.get(plan=plan, number=str(number)).owner
        assert row["Owner"].value == str(owner)
        assert row["Owner"].data_type == "s"
        assert row["Sub recommendation"].value == f"{number}.1 {text}".replace("\r", "\n")
    assert book["Return"]["F1"].value == "-Q1"
    assert book["Plan"]["B2"].value == "=cmd|' /C calc'!A0"
    assert book["Plan"]["B2"].data_type == "s"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            assert b"<f>" not in archive.read(name), name


def test_control_characters_are_dropped_instead_of_breaking_the_file():
    plan = PlanFactory(title="Plan\x01 with\x1b escapes")
    period = PeriodFactory(plan=plan, label="Q\x071")
    rec = RecommendationFactory(plan=plan, number="1", text="Bell\x07 and\x0b tab\tline\nend")
    StatusUpdateFactory(recommendation=rec, period=period, text="unit\x1f separator\x08")
    book = export(plan)
    row = by_number(book)["1"]
    assert row["Recommendation"].value == "Bell and tab\tline\nend"
    assert row["Q1"].value == "unit separator"
    assert book["Plan"]["B2"].value == "Plan with escapes"


def test_clean_text_keeps_tabs_and_line_breaks_and_drops_what_xml_cannot_carry():
    assert common.clean_text("a\x00b\tc\nd\re\uffff|\ud800g\r\n") == "ab\tc\nd\ne|g\n"


def test_text_longer_than_a_cell_can_hold_is_cut_with_a_note():
    plan = PlanFactory()
    RecommendationFactory(plan=plan, number="1", text="x" * 40_000)
    text = by_number(export(plan))["1"]["Recommendation"].value
    assert len(text) == common.MAX_CELL_CHARS
    assert text.endswith(common.CUT_NOTE)


# ---------------------------------------------------------------------------- sign-off


def sign_off_plan():
    plan = PlanFactory()
    period = PeriodFactory(plan=plan, label="Q1")
    approved = RecommendationFactory(plan=plan, number="1")
    pending = RecommendationFactory(plan=plan, number="2")
    StatusUpdateFactory(recommendation=approved, period=period, text="Signed off text")
    StatusUpdateFactory(
        recommendation=pending,
        period=period,
        text="Draft text",
        status=Status.AT_RISK,
        sign_off=SignOff.SUBMITTED,
    )
    return plan


def test_only_approved_updates_appear_in_the_return():
    rows = by_number(export(sign_off_plan()))
    assert rows["1"]["Q1"].value == "Signed off text"
    assert rows["2"]["Q1"].value is None
    assert rows["2"]["Status (Q1)"].value is None  # blank: the approved content gives none


def test_an_approved_update_edited_again_keeps_its_approved_text_in_the_return():
    plan = sign_off_plan()
    update = StatusUpdate.objects.get(recommendation__number="1", recommendation__plan=plan)
    services.record_update(
        recommendation=update.recommendation,
        period=update.period,
        status=Status.OFF_TRACK,
        text="Unapproved rewrite",
        author=None,
    )
    assert by_number(export(plan))["1"]["Q1"].value == "Signed off text"


def test_pending_updates_are_included_only_when_asked_and_marked_awaiting_sign_off():
    rows = by_number(export(sign_off_plan(), include_pending=True))
    assert rows["1"]["Q1"].value == "Signed off text"
    assert rows["2"]["Q1"].value == "[Awaiting sign-off] Draft text"
    assert rows["2"]["Status (Q1)"].value == "At risk"
    assert rows["2"]["Status (Q1)"].comment.text.startswith("Awaiting sign-off")
    assert rows["1"]["Status (Q1)"].comment is None


# ---------------------------------------------------------------------------- period, as at


LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def london(settings):
    settings.TIME_ZONE = "Europe/London"


def test_an_as_of_date_alone_means_the_end_of_that_day_in_london(london):
    moment = common.parse_as_of("2026-03-31", now=NOW)
    assert moment.astimezone(LONDON).replace(tzinfo=None) == dt.datetime(
        2026, 3, 31, 23, 59, 59, 999999
    )


def test_an_as_of_time_is_london_time_summer_or_winter(london):
    summer = common.parse_as_of("2026-06-01T17:00", now=NOW)
    assert summer == dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)
    winter = common.parse_as_of("2026-01-05T09:30", now=NOW)
    assert winter == dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)


def test_an_as_of_of_today_means_now_and_the_future_is_refused(london):
    assert common.parse_as_of("2026-06-15", now=NOW) == NOW
    assert common.parse_as_of("", now=NOW) is None
    for future in ["2026-06-16", "2026-06-15T14:00"]:
        with pytest.raises(common.ExportError, match="in the future"):
            common.parse_as_of(future, now=NOW)


@pytest.mark.parametrize("text", ["15/06/2026", "2026-6-1", "2026-06-01T5pm", "２０２６-01-01"])
def test_an_as_of_in_another_shape_is_refused_with_the_shape_to_use(text):
    with pytest.raises(common.ExportError, match="YYYY-MM-DD or YYYY-MM-DDTHH:MM"):
        common.parse_as_of(text, now=NOW)


def test_another_period_can_be_chosen_for_the_status_column():
    plan = PlanFactory()
    first = PeriodFactory(plan=plan, label="First", position=0)
    second = PeriodFactory(plan=plan, label="Second", position=1)
    rec = RecommendationFactory(plan=plan, number="1")
    StatusUpdateFactory(recommendation=rec, period=first, status=Status.AT_RISK)
    StatusUpdateFactory(recommendation=rec, period=second, status=Status.COMPLETE)
    latest = by_number(export(plan))["1"]
    assert latest["Status (Second)"].value == "Complete"
    chosen = by_number(export(plan, period_id=first.pk))["1"]
    assert chosen["Status (First)"].value == "At risk"
    assert chosen["RAG"].value == "Amber"


def test_a_return_as_at_a_moment_is_the_same_after_the_plan_changes():
    plan = build_plan(recommendations=3, periods=2, subs=1)
    live = Plan.objects.select_related("executive_lead", "operational_lead").get(pk=plan.pk)
    moment = timezone.now()
    after(moment)
    before = workbook(xlsx.render(common.build_return(live, as_of=moment)))

    rec = Recommendation.objects.get(plan=plan, number="1")
    rec.text = "Renamed after the return was sent"
    rec.save()
    owner = rec.owner
    owner.name = "Someone Else"
    owner.save()
    update = StatusUpdate.objects.filter(recommendation=rec).first()
    update.text = "Rewritten after the return was sent"
    update.save()
    RecommendationFactory(plan=plan, number="99", text="Added after the return was sent")
    plan.executive_lead.name = "A New Lead"
    plan.executive_lead.save()

    again = workbook(xlsx.render(common.build_return(live, as_of=moment)))
    assert values(again, "Return", "Summary") == values(before, "Return", "Summary")
    now = workbook(xlsx.render(common.build_return(live)))
    assert "99" in by_number(now) and "99" not in by_number(again)
    details_before = dict(before["Plan"].iter_rows(min_row=2, values_only=True))
    details_again = dict(again["Plan"].iter_rows(min_row=2, values_only=True))
    for key in ["Plan title", "Strategic / Executive Lead", "Period", "As at"]:
        assert details_again[key] == details_before[key], key
    assert "A New Lead" not in details_again["Strategic / Executive Lead"]


def test_a_return_as_at_a_past_time_through_the_page_ignores_later_changes(client, lead):
    plan = build_plan(recommendations=2, periods=1, subs=0)
    past = timezone.now() - dt.timedelta(hours=2)
    Plan.objects.filter(pk=plan.pk).update(created_at=past)
    for model in [Plan, Owner, ReportingPeriod, Recommendation, StatusUpdate]:
        model.history.update(history_date=past)
    as_at = timezone.localtime(past + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    client.force_login(lead)
    first = client.get(url("return_xlsx", plan, as_of=as_at))
    rec = Recommendation.objects.get(plan=plan, number="1")
    rec.text = "Changed later"
    rec.save()
    second = client.get(url("return_xlsx", plan, as_of=as_at))
    assert second.status_code == 200
    assert values(workbook(second.content), "Return") == values(workbook(first.content), "Return")
    assert "as-at-" in second["Content-Disposition"]


# ---------------------------------------------------------------------------- the download


def test_the_download_is_an_attachment_named_after_plan_period_and_date(client, demo_plan, lead):
    client.force_login(lead)
    response = client.get(url("return_xlsx", demo_plan))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="stalking-super-complaint_march-2026-update_{today}.xlsx"'
    )
    assert "no-store" in response["Cache-Control"]
    assert by_number(workbook(response.content))["7"]["Addressee"].value == "Chief Constables"


def test_the_download_keeps_the_plan_page_filters(client, lead):
    plan = PlanFactory()
    period = PeriodFactory(plan=plan)
    for number, status in [("1", Status.AT_RISK), ("2", Status.COMPLETE), ("3", Status.AT_RISK)]:
        rec = RecommendationFactory(plan=plan, number=number)
        StatusUpdateFactory(recommendation=rec, period=period, status=status)
    client.force_login(lead)
    response = client.get(url("return_xlsx", plan, status="at_risk"))
    assert list(by_number(workbook(response.content))) == ["1", "3"]
    filtered = common.build_return(plan, filters=PlanFilters(status="at_risk"))
    assert [row.number for row in filtered.rows] == ["1", "3"]


def test_filters_pick_the_rows_the_plan_page_shows_even_by_unapproved_updates(client, lead):
    plan = sign_off_plan()  # 1 approved; 2 has only a submitted "At risk" update
    client.force_login(lead)
    page = client.get(reverse("plan_table", args=[plan.slug]) + "?awaiting=on").content.decode()
    assert "Draft text" in page and "Signed off text" not in page
    response = client.get(url("return_xlsx", plan, awaiting="on"))
    rows = by_number(workbook(response.content))
    assert list(rows) == ["2"]
    assert rows["2"]["Q1"].value is None  # shown, but its unapproved words are not
    # A status filter counts approved statuses, as the dashboard does: 2's "At risk" awaits.
    response = client.get(url("return_xlsx", plan, status="at_risk"))
    assert list(by_number(workbook(response.content))) == []


def test_the_download_can_include_pending_updates(client, lead):
    plan = sign_off_plan()
    client.force_login(lead)
    response = client.get(url("return_xlsx", plan, pending=1))
    rows = by_number(workbook(response.content))
    assert rows["2"]["Q1"].value == "[Awaiting sign-off] Draft text"
    assert response["Content-Disposition"].endswith('_incl-pending.xlsx"')


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"as_of": "yesterday"}, "is not a date"),
        ({"as_of": "2026-02-30"}, "is not a real date"),
        ({"as_of": "2999-01-01T10:00"}, "is in the future"),
        ({"as_of": "2000-01-01"}, "was only created on"),
        ({"period": "abc"}, "not one of this plan"),
        ({"period": "999999"}, "not one of this plan"),
        ({"pending": "maybe"}, "must be 1 (yes) or 0 (no)"),
        ({"status": "nonsense"}, "Select a valid choice"),
    ],
)
def test_a_bad_choice_is_a_400_page_saying_what_is_wrong(client, lead, params, message):
    plan = build_plan(recommendations=1)
    client.force_login(lead)
    for name in ["return_xlsx", "return_pdf"]:
        response = client.get(url(name, plan, **params))
        assert response.status_code == 400
        assert message in response.content.decode()


def test_a_period_of_another_plan_is_refused(client, lead):
    plan = build_plan(recommendations=1)
    other = PeriodFactory()
    client.force_login(lead)
    assert client.get(url("return_xlsx", plan, period=other.pk)).status_code == 400


def test_the_plan_page_offers_both_downloads_carrying_its_filters(client, demo_plan, lead):
    client.force_login(lead)
    page = client.get(reverse("plan_table", args=[demo_plan.slug]) + "?q=stalking&overdue=on")
    html = page.content.decode()
    assert f'formaction="{reverse("return_xlsx", args=[demo_plan.slug])}"' in html
    assert f'formaction="{reverse("return_pdf", args=[demo_plan.slug])}"' in html
    assert '<input type="hidden" name="q" value="stalking">' in html
    assert '<input type="hidden" name="overdue" value="on">' in html
    assert '<label for="export-period">' in html and '<label for="export-as-of">' in html
    assert '<label for="export-pending">' in html
    assert "selected>March 2026 update</option>" in html


# ---------------------------------------------------------------------------- who may


def test_anonymous_visitors_are_sent_to_sign_in(client, demo_plan):
    response = client.get(url("return_xlsx", demo_plan))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_signed_in_user_without_a_role_is_refused(client, demo_plan, outsider):
    client.force_login(outsider)
    response = client.get(url("return_xlsx", demo_plan))
    assert response.status_code == 403
    assert "cannot download its returns" in response.content.decode()


@pytest.mark.parametrize("who", ["lead", "colleague", "executive", "administrator"])
def test_everyone_with_a_role_may_download_the_return(client, demo_plan, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url("return_xlsx", demo_plan)).status_code == 200


def test_a_plan_that_does_not_exist_is_not_found(client, lead):
    client.force_login(lead)
    response = client.get(reverse("return_xlsx", args=["no-such-plan"]))
    assert response.status_code == 404


# ---------------------------------------------------------------------------- queries


def count_queries(action) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


@pytest.mark.parametrize("pending", [False, True])
def test_the_export_query_count_does_not_grow_with_the_plan(pending):
    small = build_plan(recommendations=2, periods=2, subs=1)
    large = build_plan(recommendations=25, periods=3, subs=3)
    moment = timezone.now()

    def run(plan, as_of=None):
        plan = Plan.objects.get(pk=plan.pk)
        return lambda: xlsx.render(common.build_return(plan, as_of=as_of, include_pending=pending))

    assert count_queries(run(small)) == count_queries(run(large))
    assert count_queries(run(small, moment)) == count_queries(run(large, moment))


def test_the_download_query_count_does_not_grow_with_the_plan(client, lead):
    small = build_plan(recommendations=2, periods=2, subs=1)
    large = build_plan(recommendations=25, periods=2, subs=3)
    client.force_login(lead)
    client.get(url("return_xlsx", small))  # warm the session
    assert count_queries(lambda: client.get(url("return_xlsx", small, q="a"))) == count_queries(
        lambda: client.get(url("return_xlsx", large, q="a"))
    )


def test_a_plan_with_no_periods_or_recommendations_still_exports(client, lead):
    plan = PlanFactory(slug="empty-plan")
    client.force_login(lead)
    response = client.get(url("return_xlsx", plan))
    assert response.status_code == 200
    sheet = workbook(response.content)["Return"]
    assert [cell.value for cell in sheet[1]][-4:] == ["Status", "RAG", "Due date", "Last updated"]
    assert sheet.max_row == 1
    assert "empty-plan_no-period_" in response["Content-Disposition"]
    pdf_response = client.get(url("return_pdf", plan))
    assert pdf_response.status_code == 200
    assert pdf_response.content.startswith(b"%PDF")

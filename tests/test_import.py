"""Importing plans from spreadsheets: reading the layouts forces use, refusing bad files whole,
and the administrators' upload, preview and confirm pages."""

import datetime as dt
import html
import io
import zipfile

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from recommendations import imports
from recommendations.choices import SignOff, Status
from recommendations.imports import save as saving
from recommendations.models import (
    Owner,
    Plan,
    Recommendation,
    ReportingPeriod,
    StatusUpdate,
)
from tests.factories import (
    OwnerFactory,
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    SubRecommendationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

INTRODUCTION = (
    "In response to the Super Complaint submitted by the Suzy Lamplugh Trust, on behalf of the "
    "National Stalking Consortium."
)
REC_7 = (
    "By 27/03/25, where required, seek changes to their crime recording systems to enable "
    "staff and officers to document and search for crimes not recorded as the principal crime, "
    "as included classifications on crime records."
)
SUB_7_1 = (
    "Processes should be put in place to make sure this system capability is effectively used "
    "by officers and staff."
)
INITIAL_7 = (
    "Long-term solution via RMS change through Minerva project owing to the fact that these "
    "are not simple fixes. Implementation March 26 earliest."
)
MARCH_7 = (
    "Long-term solution remains embedded with wider system changes required to our crime "
    "recording system. This is a shared system with multiple forces and subject to ongoing "
    "review and development. As such, timeframe for delivery cannot be"
)
REC_10 = (
    "By 27/03/25, review and update their learning and training provision relating to "
    "stalking. Chief constables should also make sure that their policies and practice are "
    "reviewed and updated in accordance with the findings in the super complaint "
    "investigation report."
)
INITIAL_10 = (
    "By March 25, HIOWC will review all training content delivered/provided to officers and "
    "staff to ensure it meets the learning outcomes on stalking within the public protection "
    "national policing curriculum."
)
MARCH_10 = (
    "HIOWC has reviewed all training content delivered/provided to officers and staff and is "
    "satisfied that it meets the learning outcomes on stalking within the public protection "
    "national policing curriculum."
)


# ---------------------------------------------------------------------------- workbooks


def to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_with(rows: list[list], title: str = "Sheet1") -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    return workbook


def seed_workbook() -> Workbook:
    """The published HIOWC table: two lines above it, the sub-recommendation header spanning
    a column of numbers and a column of texts."""
    workbook = sheet_with(
        [
            [INTRODUCTION],
            ["Strategic / Executive Lead: D/Supt Abbie Leeson"],
            [],
            [
                "Rec No.",
                "Recomendation",
                "Sub recommendation/",
                None,
                "Rec. Owner",
                "Initial action plan response",
                "March 2026 update",
            ],
            [7, REC_7, "7.1", SUB_7_1, "Chief Constables", INITIAL_7, MARCH_7],
            [
                10,
                REC_10,
                "10.2\n10.3",
                "Makes appropriate use\nUses the skills and",
                "Cheif Constables",
                INITIAL_10,
                MARCH_10,
            ],
        ]
    )
    workbook.active.merge_cells("C4:D4")
    return workbook


RETURN_HEADER = [
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


def return_workbook(rows: list[list] | None = None, plan_rows: list[list] | None = None):
    """Our own export's layout: a Plan sheet of details and a Return sheet."""
    workbook = Workbook()
    plan = workbook.active
    plan.title = "Plan"
    for row in plan_rows or [
        ["Plan title", "Stalking plan (imported)"],
        ["Plan slug", "stalking-imported"],
        ["Report", "Stalking super-complaint investigation report"],
        ["Publishing body", "HMICFRS, the College of Policing and the IOPC"],
        ["Report date", dt.date(2024, 9, 27)],
        ["Complainant", "Suzy Lamplugh Trust"],
        ["Strategic / Executive Lead", "D/Supt Abbie Leeson"],
        ["Operational Lead", "DCI Sam Carter"],
        ["Response deadline", "22/11/2024"],
        ["Period", "March 2026 update"],
        ["As at", "2026-04-01 10:00"],
    ]:
        plan.append(row)
    sheet = workbook.create_sheet("Return")
    sheet.append(["Stalking plan (imported)"])
    sheet.append([])
    sheet.append(RETURN_HEADER)
    for row in rows or [
        [
            "7",
            REC_7,
            f"7.1 {SUB_7_1}",
            "Chief Constables",
            "D/Supt Abbie Leeson",
            INITIAL_7,
            MARCH_7,
            "At risk",
            "Amber",
            dt.datetime(2025, 3, 27),
            dt.datetime(2026, 3, 31, 12, 0),
        ],
        [
            "10",
            REC_10,
            "10.2 Makes appropriate use\n10.3 Uses the skills and",
            "Chief Constables",
            "Insp Jo Bloggs",
            INITIAL_10,
            "",
            "",
            "",
            "27 March 2025",
            None,
        ],
    ]:
        sheet.append(row)
    return workbook


def read(workbook, **options) -> imports.ImportPreview:
    options.setdefault("filename", "plan.xlsx")
    return imports.read_plan(to_bytes(workbook), **options)


def problems(preview) -> list[str]:
    return [str(problem) for problem in preview.problems]


def table_counts() -> dict[str, int]:
    """Rows in every table, history tables included."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def plan_contents(plan: Plan) -> dict:
    """What a plan says, without database ids, owners or dates that the source lacks."""
    return {
        "introduction": plan.introduction,
        "executive_lead": str(plan.executive_lead),
        "periods": list(plan.periods.values_list("label", flat=True)),
        "recommendations": [
            {
                "number": rec.number,
                "text": rec.text,
                "addressee": rec.addressee,
                "due_date": rec.due_date,
                "subs": [(sub.number, sub.text) for sub in rec.subrecommendations.all()],
                "updates": [
                    (update.period.label, update.text, update.status, update.sign_off)
                    for update in rec.updates.select_related("period")
                ],
            }
            for rec in plan.recommendations.top_level()
        ],
    }


# ---------------------------------------------------------------------------- layouts


def test_the_published_seed_layout_imports_to_the_same_plan_as_the_demo_fixture(demo_plan):
    preview = read(
        seed_workbook(),
        filename="hiowc.xlsx",
        title="Stalking super-complaint action plan",
        slug="stalking-imported",
    )
    assert preview.ok, problems(preview)
    imported = saving.save_plan(preview)

    assert plan_contents(imported) == plan_contents(demo_plan)
    assert imported.title == demo_plan.title
    # The executive lead named above the table is the officer the demo already knows.
    assert imported.executive_lead == demo_plan.executive_lead
    assert plan_contents(imported)["recommendations"][1]["subs"] == [
        ("10.2", "Makes appropriate use"),
        ("10.3", "Uses the skills and"),
    ]


def test_the_no_and_constabulary_response_layout_gives_one_period_with_its_exact_label():
    workbook = sheet_with(
        [
            ["No.", "Recommendation", "Initial Constabulary Response 21st November 2024"],
            [
                "7",
                "By 27 March 2025, where required, seek changes to their crime recording systems.",
                "We accept this recommendation. Our initial assessment is that we partially "
                "comply.",
            ],
            ["10", "By 27 March 2025, review and update their learning.", ""],
        ]
    )
    preview = read(workbook, title="Stalking plan")
    assert preview.ok, problems(preview)
    plan = saving.save_plan(preview)

    assert list(plan.periods.values_list("label", flat=True)) == [
        "Initial Constabulary Response 21st November 2024"
    ]
    seven, ten = plan.recommendations.top_level()
    assert seven.due_date == ten.due_date == dt.date(2025, 3, 27)
    assert seven.updates.get().text.startswith("We accept this recommendation.")
    assert not ten.updates.exists()


def test_our_own_return_layout_brings_in_plan_details_owners_statuses_and_due_dates():
    leeson = OwnerFactory(rank="D/Supt", name="Abbie Leeson")
    preview = read(return_workbook(), filename="return.xlsx", title="")
    assert preview.ok, problems(preview)
    assert preview.warnings == []
    plan = saving.save_plan(preview)

    assert (plan.slug, plan.title) == ("stalking-imported", "Stalking plan (imported)")
    assert plan.report_date == dt.date(2024, 9, 27)
    assert plan.response_deadline == dt.date(2024, 11, 22)
    assert plan.report_publisher == "HMICFRS, the College of Policing and the IOPC"
    assert plan.executive_lead == leeson
    assert (plan.operational_lead.rank, plan.operational_lead.name) == ("DCI", "Sam Carter")

    seven, ten = plan.recommendations.top_level().order_by("sort_key")
    assert seven.owner == leeson
    assert (ten.owner.rank, ten.owner.name) == ("Insp", "Jo Bloggs")
    assert seven.due_date == ten.due_date == dt.date(2025, 3, 27)
    assert list(seven.subrecommendations.values_list("number", "text")) == [("7.1", SUB_7_1)]
    march = seven.updates.get(period__label="March 2026 update")
    assert (march.text, march.status, march.sign_off) == (MARCH_7, Status.AT_RISK, SignOff.APPROVED)
    assert seven.updates.get(period__label="Initial action plan response").status == ""
    assert list(ten.updates.values_list("period__label", flat=True)) == [
        "Initial action plan response"
    ]
    assert Owner.objects.filter(name="Abbie Leeson").count() == 1


def test_the_title_and_address_given_on_the_form_win_over_the_plan_sheet():
    preview = read(return_workbook(), title="Renamed plan", slug="renamed")
    assert (preview.title, preview.slug) == ("Renamed plan", "renamed")


def test_numbers_and_texts_that_do_not_pair_up_are_a_problem_on_their_row():
    workbook = seed_workbook()
    workbook.active["D6"] = "Makes appropriate use Uses the skills and"
    preview = read(workbook, title="Seed")
    assert problems(preview) == [
        'Sheet "Sheet1", row 6, column C (Sub recommendation/): 2 sub-recommendation numbers '
        "(10.2, 10.3) but 1 lines of text: put each text on its own line, in the order of the "
        "numbers."
    ]


def test_a_plain_status_column_speaks_of_the_last_period():
    workbook = sheet_with(
        [
            ["Ref", "Recommendation", "6-month update", "Progress update Q3", "Status"],
            ["1", "Do a thing.", "Started.", "Nearly there.", "on track"],
        ]
    )
    preview = read(workbook, title="Audit")
    assert preview.ok, problems(preview)
    cells = preview.recommendations[0].cells
    assert [(cell.period, cell.status) for cell in cells] == [
        ("6-month update", ""),
        ("Progress update Q3", Status.ON_TRACK),
    ]


def test_every_problem_is_reported_with_sheet_row_and_column():
    rows = [
        ["7", REC_7, "", "", "", "", "", "Excellent", "", "", ""],
        ["7", "The same number again.", "", "", "", "", "", "", "", "", ""],
        ["8", "A date nobody can read.", "", "", "", "", "", "", "", "soon-ish", ""],
        ["9/1", "A number that cannot be part of an address.", "", "", "", "", "", "", "", "", ""],
        ["12", "Fine.", "", "", "", "", "", "Complete", "", "", ""],
    ]
    preview = read(return_workbook(rows))
    found = problems(preview)
    assert found[0] == (
        'Sheet "Return", row 4, column H (Status (March 2026 update)): "Excellent" (once) is not '
        "a status the tracker knows: choose the status it stands for."
    )
    assert 'Sheet "Return", row 5, column A (Rec No.): the number 7 is already used on row 4.' in (
        found
    )
    assert any(
        p.startswith('Sheet "Return", row 6, column J (Due date): "soon-ish" is not a date')
        for p in found
    )
    assert any(p.startswith('Sheet "Return", row 7, column A (Rec No.)') for p in found)
    assert len(found) == 4
    # A row with a problem stays out; one with a word to place stays in, to be seen.
    assert [row.number for row in preview.recommendations] == ["7", "12"]


def test_formulas_and_statuses_below_the_table_do_not_make_rows():
    rows = [["7", REC_7, "", "", "", "", "", "", '=IF(H4="","","Green")', "", ""]]
    rows += [
        ["", "", "", "", "", "", "", "Not started", f'=IF(H{n}="","","Grey")', "", ""]
        for n in range(5, 9)
    ]
    preview = read(return_workbook(rows))
    assert preview.ok, problems(preview)
    assert [row.number for row in preview.recommendations] == ["7"]


def test_columns_the_import_has_no_place_for_are_kept_as_details_and_named():
    workbook = sheet_with(
        [
            ["Rec No.", "Recommendation", "Partner agencies", "March 2026 update"],
            ["7", "Seek changes.", "Ask Jo", "Done."],
        ]
    )
    preview = read(workbook, title="Plan")
    assert preview.ok
    column = next(c for c in preview.columns if c.header == "Partner agencies")
    assert column.meaning == imports.Meaning.DETAIL
    assert preview.recommendations[0].details == {"Partner agencies": "Ask Jo"}
    assert any("Partner agencies" in str(w) for w in preview.warnings)
    assert preview.period_labels == ["March 2026 update"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "plan.xlsx", "This file is empty"),
        (None, "plan.xlsx", "This file is a ZIP archive"),
        (b"%PDF-1.7 a report", "plan.pdf", 'Files ending in ".pdf" cannot be imported'),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_in_plain_words(data, name, message):
    if data is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("notes.txt", "hello")
        data = buffer.getvalue()
    preview = imports.read_plan(data, filename=name, title="Plan")
    assert len(preview.problems) == 1
    assert message in str(preview.problems[0])


def test_a_sheet_without_a_recognisable_header_row_is_refused():
    workbook = sheet_with([["Who", "When"], ["Jo", "Soon"]], title="Actions")
    assert problems(read(workbook, title="Plan")) == [
        'No table found: none of the first 30 rows of "Actions" is a header row naming the '
        'recommendations (such as "Recommendation", "Rec No.", "Summary" or "Action").'
    ]


def test_a_plan_with_the_same_address_is_refused_unless_filling_an_empty_plan_on_purpose():
    existing = PlanFactory(slug="stalking-imported", title="Already here")
    refused = read(return_workbook())
    assert problems(refused) == [
        'A plan with the address "stalking-imported" already exists (Already here). Choose '
        "another address, or import into that plan to add its updates."
    ]

    filled = saving.save_plan(read(return_workbook(), into_existing=True))
    assert filled == existing
    assert filled.title == "Already here"
    assert filled.recommendations.top_level().count() == 2

    # A plan that has its recommendations takes the file's updates instead, and nothing else.
    again = read(return_workbook(), into_existing=True)
    assert again.mode == "update"


# ---------------------------------------------------------------------------- all or nothing


def test_a_file_with_one_bad_row_is_refused_with_its_row_number_and_changes_nothing(demo_plan):
    rows = [
        ["7", REC_7, "", "", "", "Fine.", "", "", "", "", ""],
        ["10", REC_10, "", "", "", "Fine.", "", "", "", "next spring-ish", ""],
    ]
    before = table_counts()
    preview = read(return_workbook(rows))
    assert [(p.row, p.column) for p in preview.problems] == [(5, 10)]
    with pytest.raises(imports.ImportRefused, match="row 5"):
        saving.save_plan(preview)
    assert table_counts() == before


def test_a_failure_while_saving_rolls_back_everything_written_before_it(monkeypatch):
    preview = read(return_workbook())
    assert preview.ok
    before = table_counts()

    def fail(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(saving.services, "record_update", fail)
    with pytest.raises(RuntimeError):
        saving.save_plan(preview)
    assert table_counts() == before


def test_a_plan_saved_by_someone_else_after_the_preview_refuses_the_import():
    preview = read(return_workbook())
    PlanFactory(slug="stalking-imported")
    before = table_counts()
    with pytest.raises(imports.ImportRefused, match="stalking-imported"):
        saving.save_plan(preview)
    assert table_counts() == before


def test_a_clash_in_the_database_while_saving_is_refused_and_rolled_back(monkeypatch):
    preview = read(return_workbook())
    before = table_counts()

    def clash(**kwargs):
        raise IntegrityError("unique_number_in_plan")

    monkeypatch.setattr(saving.services, "add_recommendation", clash)
    with pytest.raises(imports.ImportRefused, match="at the same moment"):
        saving.save_plan(preview)
    assert table_counts() == before


def test_every_row_written_has_history_naming_the_file_and_the_importer():
    user = UserFactory(username="importer", role="Administrator")
    plan = saving.save_plan(read(return_workbook(), filename="return 2026.xlsx"), by=user)
    records = [
        *Plan.history.filter(id=plan.pk),
        *ReportingPeriod.history.filter(plan_id=plan.pk),
        *Recommendation.history.filter(plan_id=plan.pk),
        *StatusUpdate.history.filter(recommendation__plan=plan),
        *Owner.history.all(),
    ]
    assert len(records) == 1 + 2 + 2 + 3 + 3 + 3
    assert {record.history_change_reason for record in records} == {
        "Imported from return 2026.xlsx"
    }
    assert {record.history_user for record in records} == {user}


def test_an_owner_is_reused_when_name_and_rank_match_and_created_once_otherwise():
    existing = OwnerFactory(rank="Supt", name="Jane Doe")
    rows = [
        [str(n), f"Recommendation {n}.", "", "", owner, "", "", "", "", "", ""]
        for n, owner in [(1, "Supt Jane Doe"), (2, "DCI Jane Doe"), (3, "DCI Jane Doe")]
    ]
    plan = saving.save_plan(read(return_workbook(rows)))
    owners = [rec.owner for rec in plan.recommendations.top_level().order_by("sort_key")]
    assert owners[0] == existing
    assert owners[1] == owners[2] != existing
    assert (owners[1].rank, owners[1].name) == ("DCI", "Jane Doe")


# ---------------------------------------------------------------------------- round trip

PLAN_DETAILS = [
    "Plan title",
    "Plan slug",
    "Introduction",
    "Report",
    "Publishing body",
    "Report date",
    "Complainant",
    "Strategic / Executive Lead",
    "Operational Lead",
    "Response deadline",
]


def export(plan: Plan) -> bytes:
    from recommendations.exports import xlsx
    from recommendations.exports.common import build_return

    return xlsx.render(build_return(plan, generated_by="Round trip"))


def exported_cells(data: bytes) -> tuple[list[list], dict]:
    """The Return sheet's values without "Last updated" (the import records its own time),
    and the plan's details from the Plan sheet."""
    workbook = load_workbook(io.BytesIO(data))
    rows = [list(row) for row in workbook["Return"].iter_rows(values_only=True)]
    last = rows[0].index("Last updated")
    table = [row[:last] + row[last + 1 :] for row in rows]
    details = {
        key: value
        for key, value in workbook["Plan"].iter_rows(values_only=True)
        if key in PLAN_DETAILS
    }
    return table, details


def test_the_demo_plan_exported_imported_into_an_empty_plan_list_and_exported_again_is_unchanged(
    demo_plan,
):
    first = export(demo_plan)
    demo_plan.delete()
    assert not Plan.objects.exists()

    preview = imports.read_plan(first, filename="return.xlsx")
    assert preview.ok, problems(preview)
    assert preview.warnings == []
    imported = saving.save_plan(preview)

    assert imported.slug == "stalking-super-complaint"
    assert exported_cells(export(imported)) == exported_cells(first)


def test_statuses_ranks_formula_like_text_and_multi_line_subs_survive_the_round_trip():
    plan = PlanFactory(slug="tricky", title="Tricky & plan", introduction="Line one\nLine two")
    initial = PeriodFactory(plan=plan, label="Initial response", position=0)
    later = PeriodFactory(plan=plan, label="Q3 progress update", position=1)
    owner = OwnerFactory(rank="T/DCI", name="Sam Carter")
    rec = RecommendationFactory(
        plan=plan, number="2", text="=SUM(A1:A3) is not a formula", owner=owner
    )
    SubRecommendationFactory(recommendation=rec, number="2.1", text="First line\n- a bullet")
    SubRecommendationFactory(recommendation=rec, number="2.2", text="")
    StatusUpdateFactory(recommendation=rec, period=initial, status=Status.ON_TRACK, text="+1 done")
    StatusUpdateFactory(recommendation=rec, period=later, status=Status.AT_RISK, text="@risk")
    other = RecommendationFactory(plan=plan, number="10", owner=None, due_date=None)
    StatusUpdateFactory(recommendation=other, period=initial, status=Status.COMPLETE)
    first = export(plan)
    plan.delete()
    Owner.objects.all().delete()

    imported = saving.save_plan(imports.read_plan(first, filename="tricky.xlsx"))

    assert exported_cells(export(imported)) == exported_cells(first)
    rec = imported.recommendations.get(number="2")
    assert (rec.owner.rank, rec.owner.name) == ("T/DCI", "Sam Carter")
    assert list(rec.subrecommendations.values_list("number", "text")) == [
        ("2.1", "First line\n- a bullet"),
        ("2.2", ""),
    ]
    # The return carries the status of its own period only (the latest, by default).
    assert rec.updates.get(period__label="Q3 progress update").status == Status.AT_RISK
    assert rec.updates.get(period__label="Initial response").status == ""


def test_a_plan_with_no_periods_round_trips():
    plan = PlanFactory(slug="no-periods", title="Set up, nothing reported yet")
    rec = RecommendationFactory(plan=plan, number="7", text="Seek changes.", owner=None)
    SubRecommendationFactory(recommendation=rec, number="7.1", text="Processes in place.")
    RecommendationFactory(plan=plan, number="10", text="Review training.", owner=None)
    first = export(plan)
    plan.delete()

    preview = imports.read_plan(first, filename="no-periods.xlsx")
    assert preview.ok, problems(preview)
    imported = saving.save_plan(preview)

    assert imported.slug == "no-periods" and not imported.periods.exists()
    assert exported_cells(export(imported)) == exported_cells(first)
    assert list(imported.recommendations.values_list("number", "parent__number")) == [
        ("7", None),
        ("7.1", "7"),
        ("10", None),
    ]


def test_a_plan_reporting_per_action_round_trips_with_its_actions_own_progress():
    from recommendations import services

    plan = services.create_plan(slug="per-action", title="Per-action plan")
    q1 = services.add_period(plan=plan, label="Q1 2026")
    q2 = services.add_period(plan=plan, label="Q2 2026")
    one = services.add_recommendation(plan=plan, number="1", text="Review the training.")
    lead = services.create_owner(name="Jo Bloggs", rank="DI")
    first_action = services.add_subrecommendation(
        recommendation=one,
        number="1.1",
        text="Train call handlers.",
        owner=lead,
        due_date=dt.date(2026, 9, 30),
    )
    second_action = services.add_subrecommendation(
        recommendation=one, number="1.2", text="Update the policy."
    )
    services.add_subrecommendation(recommendation=one, number="1.3", text="Kept as text.")
    approved = {"author": None, "sign_off": SignOff.APPROVED}
    services.record_update(
        recommendation=first_action, period=q1, status="on_track", text="Booked.", **approved
    )
    services.record_update(
        recommendation=first_action, period=q2, status="at_risk", text="Slower.", **approved
    )
    services.record_update(
        recommendation=second_action, period=q2, status="off_track", text="Stalled.", **approved
    )
    first = export(plan)
    rows = exported_cells(first)[0]
    assert [row[0] for row in rows[1:]] == ["1", "1.1", "1.2"]
    assert rows[1][rows[0].index("Status (Q2 2026)")] == "Off track (from its actions)"
    plan.delete()
    Owner.objects.all().delete()

    preview = imports.read_plan(first, filename="per-action.xlsx")
    assert preview.ok, problems(preview)
    imported = saving.save_plan(preview)

    assert exported_cells(export(imported)) == exported_cells(first)
    one = imported.recommendations.get(number="1")
    assert not one.updates.exists()  # its status is its actions', as before
    action = imported.recommendations.get(number="1.1")
    assert (action.parent, str(action.owner), action.due_date) == (
        one,
        "DI Jo Bloggs",
        dt.date(2026, 9, 30),
    )
    assert action.updates.get(period__label="Q2 2026").status == Status.AT_RISK
    assert imported.recommendations.get(number="1.3").parent == one


def test_a_complete_status_is_imported_with_a_note_that_its_evidence_is_held_elsewhere():
    plan = PlanFactory(slug="done")
    period = PeriodFactory(plan=plan, label="March 2026 update", position=0)
    rec = RecommendationFactory(plan=plan, number="4")
    StatusUpdateFactory(recommendation=rec, period=period, status=Status.COMPLETE, text="Done.")
    first = export(plan)
    plan.delete()

    imported = saving.save_plan(imports.read_plan(first, filename="march.xlsx"))

    update = imported.recommendations.get().updates.get()
    assert (update.status, update.sign_off, update.text) == (
        Status.COMPLETE,
        SignOff.APPROVED,
        "Done.",
    )
    assert "march.xlsx" in update.no_evidence_reason


def test_updates_marked_awaiting_sign_off_in_the_file_come_back_awaiting_sign_off():
    plan = PlanFactory(slug="pending")
    period = PeriodFactory(plan=plan, label="March 2026 update", position=0)
    rec = RecommendationFactory(plan=plan, number="4")
    StatusUpdateFactory(
        recommendation=rec, period=period, text="Draft words.", sign_off=SignOff.SUBMITTED
    )
    from recommendations.exports import xlsx
    from recommendations.exports.common import PENDING_PREFIX, build_return

    first = xlsx.render(build_return(plan, include_pending=True, generated_by="Round trip"))
    assert PENDING_PREFIX + "Draft words." in str(exported_cells(first)[0])
    plan.delete()

    imported = saving.save_plan(imports.read_plan(first, filename="pending.xlsx"))

    update = imported.recommendations.get().updates.get()
    assert (update.text, update.sign_off) == ("Draft words.", SignOff.SUBMITTED)


# ---------------------------------------------------------------------------- the upload page


def upload(client, workbook_or_bytes, name="plan.xlsx", **fields):
    data = (
        workbook_or_bytes if isinstance(workbook_or_bytes, bytes) else to_bytes(workbook_or_bytes)
    )
    fields.setdefault("title", "Imported plan")
    return client.post(reverse("import_upload"), {"file": SimpleUploadedFile(name, data), **fields})


def confirm(client, shown):
    """Save the preview `shown` as it stands: its token and every choice as the page fills it."""
    form = shown.context["mapping_form"]
    fields = {"token": shown.context["token"], "confirm": "1"}
    for name, field in form.fields.items():
        fields[name] = form.initial.get(name, field.initial)
    return client.post(reverse("import_confirm"), fields)


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


@pytest.mark.parametrize("who", ["lead", "executive", "outsider"])
def test_only_administrators_may_import(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("import_upload")).status_code == 403
    response = upload(client, seed_workbook())
    assert response.status_code == 403
    assert "Only administrators may import plans." in response.content.decode()
    assert client.post(reverse("import_confirm"), {"token": "x"}).status_code == 403
    assert not Plan.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("import_upload"))
    assert response.status_code == 302
    assert reverse("login") in response.url


def test_the_upload_page_shows_a_labelled_form(admin_client):
    page = admin_client.get(reverse("import_upload")).content.decode()
    assert '<label for="id_file">Plan file</label>' in page
    assert 'enctype="multipart/form-data"' in page


def test_a_file_that_is_not_a_plan_is_refused_next_to_the_file_field(admin_client):
    response = upload(admin_client, b"\x89PNG\r\n\x1a\n" + bytes(64), name="plan.xlsx")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="field field-error"' in page
    assert '<p class="error-message" id="id_file-error">' in page
    assert "This file is a PNG image, not a spreadsheet" in page
    assert not Plan.objects.exists()


def test_a_file_over_five_megabytes_is_refused(admin_client):
    response = upload(admin_client, b"x" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 400
    assert "the limit is 5 MB" in response.content.decode()


def test_the_preview_lists_problems_and_saves_nothing(admin_client, media_root):
    before = table_counts()
    workbook = seed_workbook()
    workbook.active["A6"] = 7
    response = upload(admin_client, workbook, name="hiowc.xlsx")
    assert response.status_code == 400
    page = response.content.decode()
    assert "1 problem stops this import" in page
    assert "Sheet &quot;Sheet1&quot;, row 6, column A (Rec No.):" in page
    assert "the number 7 is already used on row 5." in page
    assert "Save this plan" not in page
    assert table_counts() == before


def test_a_good_file_is_previewed_then_saved_on_confirmation_with_its_history(
    admin_client, administrator, media_root
):
    response = upload(admin_client, seed_workbook(), name="hiowc plan.xlsx", slug="stalking")
    assert response.status_code == 200
    page = response.content.decode()
    for text in [
        "Stalking",
        "/plans/stalking/",
        "D/Supt Abbie Leeson",
        "Initial action plan response",
        "March 2026 update",
        "Makes appropriate use",
        "Uses the skills and",
        "Chief Constables",
        "timeframe for delivery cannot be",
        "27 Mar 2025",
    ]:
        assert text in page, text
    assert not Plan.objects.exists()
    pending = list((media_root / "imports").iterdir())
    assert len(pending) == 1

    response = confirm(admin_client, response)
    plan = Plan.objects.get(slug="stalking")
    assert response.status_code == 302
    assert response.url == plan.get_absolute_url()
    assert plan.title == "Imported plan"
    assert plan.recommendations.top_level().count() == 2
    reasons = set(
        StatusUpdate.history.filter(recommendation__plan=plan).values_list(
            "history_change_reason", flat=True
        )
    )
    reasons |= set(
        Recommendation.history.filter(plan_id=plan.pk).values_list(
            "history_change_reason", flat=True
        )
    )
    assert reasons == {"Imported from hiowc plan.xlsx"}
    assert set(Recommendation.history.values_list("history_user", flat=True)) == {administrator.pk}
    assert not pending[0].exists()
    page = admin_client.get(response.url).content.decode()
    assert "Imported 2 recommendations into Imported plan from hiowc plan.xlsx." in page


def test_confirming_with_another_token_saves_nothing(admin_client):
    upload(admin_client, seed_workbook())
    response = admin_client.post(reverse("import_confirm"), {"token": "x" * 43})
    assert response.status_code == 302
    assert response.url == reverse("import_upload")
    assert not Plan.objects.exists()


def test_cancelling_discards_the_kept_file(admin_client, media_root):
    upload(admin_client, seed_workbook())
    token = admin_client.session["plan_import"]["token"]
    admin_client.post(reverse("import_confirm"), {"token": token, "cancel": "1"})
    assert not any((media_root / "imports").iterdir())
    assert "plan_import" not in admin_client.session
    assert not Plan.objects.exists()


def test_a_plan_created_between_preview_and_confirmation_stops_the_import(admin_client):
    shown = upload(admin_client, seed_workbook(), slug="stalking")
    RecommendationFactory(plan=PlanFactory(slug="stalking"))
    before = table_counts()
    response = confirm(admin_client, shown)
    assert response.status_code == 409
    assert 'A plan with the address "stalking" already exists' in html.unescape(
        response.content.decode()
    )
    assert table_counts() == before

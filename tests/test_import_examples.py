"""The real published plans in tests/data/import-examples, read as published (no mapping file)
into exactly what their README says: every text as written, sub-recommendations under their
recommendation, dated columns as ordered periods, status words mapped."""

import datetime as dt
import json
from pathlib import Path

import pytest

from recommendations.choices import Status
from recommendations.imports import Meaning, read_plan

pytestmark = pytest.mark.django_db

# Kept in the repository as published, so the tests run wherever the project is checked out.
EXAMPLES = Path(__file__).resolve().parent / "data" / "import-examples"
DEMO_PLAN = Path(__file__).resolve().parents[1] / "fixtures" / "demo_plan.json"

CAMBRIDGESHIRE_INTRODUCTION = (
    "The following Stalking Action Plan is in response to the Super Complaint submitted by Suzy "
    "Lamplugh Trust on behalf of the National Stalking Consortium on the police response to "
    "stalking."
)
CAMBRIDGESHIRE = [
    (
        "7",
        "By 27 March 2025, where required, seek changes to their crime recording systems to "
        "enable staff and officers to document and search for crimes not recorded as the "
        "principal crime, as included classifications on crime records.",
        [
            (
                "7.1",
                "Processes should be put in place to make sure this system capability is "
                "effectively used by officers and staff.",
            ),
            (
                "7.2",
                "While any necessary system changes are pending, chief constables should put "
                "alternative measures in place to make sure stalking and related offences are "
                "fully searchable. This could, for example, be the submission of intelligence "
                "reports",
            ),
        ],
    ),
    (
        "10",
        "By 27 March 2025, review and update their learning and training provision relating to "
        "stalking.",
        [],
    ),
]


def read(name: str, **options):
    return read_plan((EXAMPLES / name).read_bytes(), filename=name, **options)


def problems(preview) -> list[str]:
    return [str(problem) for problem in preview.problems]


def tree(preview) -> list[tuple]:
    return [
        (item.number, item.text, [(child.number, child.text) for child in item.children])
        for item in preview.recommendations
    ]


def updates(item) -> dict[str, str]:
    return {cell.period: cell.text for cell in item.cells if not cell.is_empty}


def test_hampshire_published_page_is_the_demo_plan():
    demo = json.loads(DEMO_PLAN.read_text())
    preview = read("00_hampshire_published_page.html")
    assert preview.ok, problems(preview)

    assert preview.title == demo["plan"]["title"]
    assert preview.introduction == demo["plan"]["introduction"]
    lead = preview.executive_lead
    assert (lead.rank, lead.name) == ("D/Supt", "Abbie Leeson")
    assert preview.period_labels == [period["label"] for period in demo["periods"]]
    assert [
        (
            item.number,
            item.text,
            item.addressee,
            item.due_date,
            [(child.number, child.text) for child in item.children],
            updates(item),
        )
        for item in preview.recommendations
    ] == [
        (
            rec["number"],
            rec["text"],
            rec["addressee"],
            dt.date.fromisoformat(rec["due_date"]),
            [(sub["number"], sub["text"]) for sub in rec["subrecommendations"]],
            rec["updates"],
        )
        for rec in demo["recommendations"]
    ]
    # The cookie banner and the beta notice are not part of the plan.
    assert "cookies" not in preview.introduction and "beta" not in preview.introduction
    assert preview.warnings == []


def test_derbyshire_summary_takes_its_numbers_from_the_text_and_its_period_from_the_title():
    preview = read("02_derbyshire_frs_values_culture.xlsx")
    assert preview.ok, problems(preview)

    assert preview.title == (
        "HMICFRS Values and Culture Action Plan Summary Report as of 1 November 2023"
    )
    assert [(item.number, item.text) for item in preview.recommendations] == [
        (
            "AFI 1",
            "The service should develop a clear prevention strategy targeting people most at "
            "risk and make sure activity undertaken prioritises people most at risk",
        ),
        (
            "AFI 2",
            "The service should make sure it quality assures its prevention activity, so staff "
            "carry out safe & well visits to",
        ),
    ]
    afi_1, afi_2 = preview.recommendations
    assert (afi_1.due_date, afi_2.due_date) == (dt.date(2023, 9, 30), None)
    assert [(p.label, p.period_end) for p in preview.periods] == [
        ("1 November 2023", dt.date(2023, 11, 1))
    ]
    [cell] = afi_1.cells
    assert (cell.status, cell.status_word) == (
        Status.OFF_TRACK,
        "Open - Actions on going off track",
    )
    assert afi_2.cells[0].is_empty
    [word] = preview.status_words
    assert (word.word, word.status, word.count) == (
        "Open - Actions on going off track",
        Status.OFF_TRACK,
        1,
    )
    # The summary lines above the table are not recommendations.
    assert preview.introduction == (
        "Open - Actions on going on track: 15\nOpen - Actions on going off track: 2"
    )


def test_derbyshire_counts_and_percentages_are_shown_and_kept_or_left_out_as_chosen():
    preview = read("02_derbyshire_frs_values_culture.xlsx")
    shown = {column.header: (column.meaning, column.sample) for column in preview.columns}
    assert shown == {
        "Summary": (Meaning.TEXT, preview.columns[0].sample),
        "Sub actions": (Meaning.DETAIL, "4"),
        "Deadline date": (Meaning.DUE, "30 Sep 2023"),
        "Status": (Meaning.STATUS, "Open - Actions on going off track"),
        "Overall %": (Meaning.DETAIL, "68"),
    }
    assert preview.recommendations[0].details == {"Sub actions": "4", "Overall %": "68"}

    mapping = preview.mapping
    mapping.choose_column("Sub actions", Meaning.IGNORE)
    mapping.choose_column("Overall %", Meaning.IGNORE)
    again = read("02_derbyshire_frs_values_culture.xlsx", mapping=mapping)
    assert again.ok, problems(again)
    assert again.recommendations[0].details == {}
    assert [column.header for column in again.not_imported] == ["Sub actions", "Overall %"]


def test_spa_summary_keeps_the_report_heading_and_the_position_with_its_line_breaks():
    preview = read("04_spa_police_scotland_hmics.xlsx")
    assert preview.ok, problems(preview)

    assert preview.title == "Other Open Recommendations"
    assert preview.report_title == "Contact Assessment Model (CAM) 2022"
    [item] = preview.recommendations
    assert (item.number, item.section) == ("R3", "Contact Assessment Model (CAM) 2022")
    assert item.text == (
        "Police Scotland and the SPA should capture the failure demand rate through the C3 and "
        "force performance framework and outcomes, to ensure the quality of service delivered to "
        "the public through CAM is monitored"
    )
    assert preview.period_labels == ["Position"]
    assert updates(item) == {
        "Position": "This is the last remaining of 8 recommendations made in August 2022.\n"
        "C3 are working continuously to identify and reduce inefficiencies contributing to "
        "unnecessary demand.\nC3 has invested in training for staff,"
    }


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("05_cambridgeshire_titleblock.xlsx", ""),
        # A CSV file has no sheet name to title the plan: the user gives the title.
        ("05_cambridgeshire_titleblock.csv", "Stalking Action Plan"),
    ],
)
def test_cambridgeshire_title_block_gives_both_leads_and_each_sub_recommendation_its_row(
    name, title
):
    preview = read(name, title=title)
    assert preview.ok, problems(preview)

    assert preview.title == "Stalking Action Plan"
    assert tree(preview) == CAMBRIDGESHIRE
    assert preview.introduction == CAMBRIDGESHIRE_INTRODUCTION
    executive, operational = preview.executive_lead, preview.operational_lead
    assert (executive.rank, executive.name) == ("Assistant Chief Constable", "Vaughn Lukey")
    assert (operational.rank, operational.name) == ("Detective Superintendent", "Sherrie Nash")
    assert preview.periods == []
    assert [item.due_date for item in preview.recommendations] == [dt.date(2025, 3, 27)] * 2


def test_cambridgeshire_csv_without_a_title_is_titled_after_its_file_and_says_so():
    preview = read("05_cambridgeshire_titleblock.csv")
    assert problems(preview) == []
    assert preview.title == "05 cambridgeshire titleblock"
    assert any("titled" in str(warning) for warning in preview.warnings)
    assert tree(preview) == CAMBRIDGESHIRE

"""Reading plans laid out the many ways forces keep them: the vocabulary of headers, statuses,
dates, people and numbers; the mapping and its JSON; and layouts that are not among the
published examples (actions under heading rows, dated progress columns, several tables on a
sheet, title blocks, continuation rows, RAG columns, columns without a header)."""

import datetime as dt
import json

import pytest

from recommendations.choices import Status
from recommendations.imports import Mapping, MappingError, Meaning, preview_source
from recommendations.imports import vocabulary as words
from recommendations.imports.formats import Sheet, Source

REC_7 = (
    "By 27 March 2025, where required, seek changes to their crime recording systems to enable "
    "staff and officers to document and search for crimes not recorded as the principal crime, "
    "as included classifications on crime records."
)
SUB_7_1 = (
    "Processes should be put in place to make sure this system capability is effectively used "
    "by officers and staff."
)
REC_10 = (
    "By 27 March 2025, review and update their learning and training provision relating to "
    "stalking."
)
REC_15 = (
    "By 27 March 2025, review whether the right specialist services have been commissioned to "
    "support stalking victims in their area, including provision of trained independent "
    "stalking advocate caseworkers (ISACs)."
)


def sheet(rows: list[list], name: str = "Plan 2025") -> Sheet:
    """A sheet as formats gives it: numbered rows, blank ones left out."""
    kept = [(number, list(values)) for number, values in enumerate(rows, start=1)]
    return Sheet(name, [(n, v) for n, v in kept if any(x not in (None, "") for x in v)])


def read(*sheets: Sheet, mapping: Mapping | None = None, title: str = "Plan"):
    source = Source(filename="plan.xlsx", file_format="Excel workbook (.xlsx)", sheets=list(sheets))
    return preview_source(source, title=title, mapping=mapping)


def problems(preview) -> list[str]:
    return [str(problem) for problem in preview.problems]


def tree(preview) -> list[tuple]:
    return [
        (item.number, item.text, [(child.number, child.text) for child in item.children])
        for item in preview.recommendations
    ]


def column(preview, header: str):
    return next(column for column in preview.columns if column.header == header)


# ---------------------------------------------------------------------------- vocabulary


@pytest.mark.parametrize(
    ("header", "meaning"),
    [
        ("Rec No.", Meaning.NUMBER),
        ("REF", Meaning.NUMBER),
        ("Recommendation:", Meaning.TEXT),
        ("Recomendation", Meaning.TEXT),
        ("Summary", Meaning.TEXT),
        ("Sub recommendation/", Meaning.SUBS),
        ("Evidence requirements of progress:", Meaning.SUBS),
        ("Action:", Meaning.SUBS),
        ("Sub actions", Meaning.SUBS),
        ("Rec. Owner", Meaning.ADDRESSEE),
        ("Owner", Meaning.OWNER),
        ("Lead officer", Meaning.OWNER),
        ("Deadline date", Meaning.DUE),
        ("Status", Meaning.STATUS),
        ("RAG", Meaning.STATUS),
        ("Force update:", Meaning.PERIOD),
        ("Position", Meaning.PERIOD),
        ("Achievements:", Meaning.PERIOD),
        ("Comments", Meaning.PERIOD),
        ("Lead officer update", Meaning.PERIOD),
        ("Progess update", Meaning.PERIOD),
        ("Initial Constabulary Responce", Meaning.PERIOD),
        ("Date", Meaning.UPDATE_DATE),
        ("Date updated", Meaning.UPDATE_DATE),
        ("Overall %", Meaning.DETAIL),
        ("Supporting documents:", Meaning.DETAIL),
        ("Theme", None),
    ],
)
def test_headers_are_recognised_by_meaning_whatever_their_punctuation(header, meaning):
    assert words.classify_header(header).meaning == meaning


@pytest.mark.parametrize(
    ("header", "end"),
    [
        ("April 2023:", dt.date(2023, 4, 30)),
        ("October 2023", dt.date(2023, 10, 31)),
        ("Nov-24", dt.date(2024, 11, 30)),
        ("Q1 2025", dt.date(2025, 3, 31)),
        ("Q1 2025/26", dt.date(2025, 6, 30)),
        ("Q4 2024-25 update", dt.date(2025, 3, 31)),
        ("Initial Constabulary Response 21st November 2024", dt.date(2024, 11, 21)),
        ("6-month update", None),
    ],
)
def test_dated_headers_are_progress_columns_ending_on_the_date_they_name(header, end):
    guess = words.classify_header(header)
    assert (guess.meaning, guess.period_end) == (Meaning.PERIOD, end)


def test_a_status_header_may_name_its_own_period():
    guess = words.classify_header("Status (March 2026 update)")
    assert (guess.meaning, guess.period) == (Meaning.STATUS, "March 2026 update")


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Action complete", Status.COMPLETE),
        ("Completed", Status.COMPLETE),
        ("Achieved", Status.COMPLETE),
        ("Awaiting review", Status.COMPLETE),
        ("Pending sign off", Status.COMPLETE),
        ("Superseded", Status.CLOSED),
        ("Awaiting allocation", Status.NOT_STARTED),
        ("Being progressed", Status.ON_TRACK),
        ("Closed", Status.CLOSED),
        ("Open - Actions on going off track", Status.OFF_TRACK),
        ("Open - Actions on going on track", Status.ON_TRACK),
        ("In progress", Status.ON_TRACK),
        ("Ongoing", Status.ON_TRACK),
        ("on going", Status.ON_TRACK),
        ("Green", Status.ON_TRACK),
        ("Amber", Status.AT_RISK),
        ("At risk", Status.AT_RISK),
        ("Red", Status.OFF_TRACK),
        ("Delayed", Status.OFF_TRACK),
        ("Not started", Status.NOT_STARTED),
        ("Grey", Status.NOT_STARTED),
        ("On track to complete", Status.ON_TRACK),
        ("Partially complete", Status.ON_TRACK),
        ("N/A", ""),
        ("No status given", ""),
    ],
)
def test_status_words_map_to_the_trackers_statuses(word, status):
    assert words.status_for(word) == status


@pytest.mark.parametrize("word", ["Excellent", "Open", "On hold", "Not complete"])
def test_status_words_the_vocabulary_cannot_place_are_left_to_the_user(word):
    assert words.status_for(word) is None


@pytest.mark.parametrize(
    ("value", "date"),
    [
        ("27/03/2025", dt.date(2025, 3, 27)),
        ("27/03/25", dt.date(2025, 3, 27)),
        ("27 March 2025", dt.date(2025, 3, 27)),
        ("27th March 2025", dt.date(2025, 3, 27)),
        ("30 Sep 2023", dt.date(2023, 9, 30)),
        ("March 2025", dt.date(2025, 3, 31)),
        ("Nov-24", dt.date(2024, 11, 30)),
        ("Q1 2025", dt.date(2025, 3, 31)),
        ("By 27 March 2025", dt.date(2025, 3, 27)),
        ("2025-03-27", dt.date(2025, 3, 27)),
        ("31/03/2025 (revised)", dt.date(2025, 3, 31)),
        (45743, dt.date(2025, 3, 27)),
        (dt.datetime(2025, 3, 27, 9, 30), dt.date(2025, 3, 27)),
        ("TBC", None),
        (None, None),
    ],
)
def test_dates_are_read_the_british_way_from_cells_texts_and_excel_day_numbers(value, date):
    assert words.read_date(value) == date


def test_an_unreadable_date_says_how_to_write_one():
    with pytest.raises(words.Unreadable, match="27/03/2025"):
        words.read_date("soon-ish")


@pytest.mark.parametrize(
    ("text", "date"),
    [
        (REC_7, dt.date(2025, 3, 27)),
        ("By 27/03/25, where required, seek changes.", dt.date(2025, 3, 27)),
        ("By the end of March 2026 we will report.", dt.date(2026, 3, 31)),
        ("By March 25, HIOWC will review all training.", None),
        ("Review the policy by 27 March 2025.", None),
    ],
)
def test_a_deadline_at_the_start_of_a_text_is_read(text, date):
    assert words.due_date_in_text(text) == date


@pytest.mark.parametrize(
    ("text", "rank", "name", "role"),
    [
        ("D/Supt Abbie Leeson", "D/Supt", "Abbie Leeson", ""),
        ("Assistant Chief Constable Vaughn Lukey", "Assistant Chief Constable", "Vaughn Lukey", ""),
        (
            "Head of Crime - Detective Chief Superintendent Jo Bloggs",
            "Detective Chief Superintendent",
            "Jo Bloggs",
            "Head of Crime",
        ),
        (
            "DCI Sam Carter (Head of Public Protection)",
            "DCI",
            "Sam Carter",
            "Head of Public Protection",
        ),
        ("T/DCI Sam Carter", "T/DCI", "Sam Carter", ""),
        ("Ch Supt Alex Smith", "Ch Supt", "Alex Smith", ""),
        ("Jo Bloggs - Head of Crime", "", "Jo Bloggs", "Head of Crime"),
        ("Di Martin", "", "Di Martin", ""),
    ],
)
def test_ranks_names_and_roles_are_told_apart(text, rank, name, role):
    person = words.read_person(text)
    assert (person.rank, person.name, person.role) == (rank, name, role)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            "AFI 1 - The service should develop a strategy",
            ("AFI 1", "The service should develop a strategy"),
        ),
        (
            "R3 - Police Scotland and the SPA should capture",
            ("R3", "Police Scotland and the SPA should capture"),
        ),
        ("Recommendation 1:\n" + REC_7, ("1", REC_7)),
        ("Area for improvement 2: The service should", ("AFI 2", "The service should")),
        ("7.1 - Evidence requirements: Processes", ("7.1", "Evidence requirements: Processes")),
        ("10.2 Makes appropriate use", ("10.2", "Makes appropriate use")),
        ("3. Review the policy", ("3", "Review the policy")),
        (REC_7, None),
        ("2023 - a year of change", None),
        ("3-5 officers attended", None),
        ("C3 are working continuously", None),
    ],
)
def test_numbers_at_the_start_of_texts_are_taken_out(text, found):
    assert words.split_number(text) == found


@pytest.mark.parametrize(
    ("numbers", "texts", "expected"),
    [
        ("7.1 - Processes should be in place.", "", [("7.1", "Processes should be in place.")]),
        ("7.1: Processes should be in place.", "", [("7.1", "Processes should be in place.")]),
        (
            "7.1 - A report\nand a policy\n7.2 Training",
            "",
            [("7.1", "A report\nand a policy"), ("7.2", "Training")],
        ),
        ("10.2 10.3", "", [("10.2", ""), ("10.3", "")]),
        ("10.2\n10.3", "First\nSecond", [("10.2", "First"), ("10.3", "Second")]),
        ("7.1", "A text\nover two lines", [("7.1", "A text\nover two lines")]),
        ("1", "Review the policy", [("1", "Review the policy")]),
        ("", "Review the policy\nand train staff", [("", "Review the policy\nand train staff")]),
        ("", "", []),
    ],
)
def test_sub_recommendations_are_read_with_numbers_leading_or_in_their_own_column(
    numbers, texts, expected
):
    assert words.parse_subs(numbers, texts) == expected


def test_numbers_and_texts_that_do_not_pair_up_cannot_be_read():
    with pytest.raises(words.Unreadable, match=r"2 sub-recommendation numbers \(10.2, 10.3\)"):
        words.parse_subs("10.2\n10.3", "Makes appropriate use Uses the skills and")


# ---------------------------------------------------------------------------- the mapping


def test_a_mapping_survives_its_json():
    mapping = Mapping()
    mapping.choose_column("Rec No.", Meaning.NUMBER)
    mapping.choose_column("Position", Meaning.PERIOD, "March 2025 update")
    mapping.choose_column("Overall %", Meaning.IGNORE)
    mapping.choose_status("Open - Actions on going off track", Status.OFF_TRACK)
    text = mapping.to_json()

    assert json.loads(text)["version"] == 1
    assert Mapping.from_json(text) == mapping
    assert list(Mapping.from_json(text).columns) == ["rec no", "position", "overall percent"]


def test_a_hand_written_mapping_is_read_by_header_and_status_label():
    mapping = Mapping.from_json(
        '{"version": 1, "columns": {"Rec. No.": "number"}, "statuses": {"Amber": "At risk"}}'
    )
    assert mapping.columns["rec no"].meaning == Meaning.NUMBER
    assert mapping.statuses == {"amber": Status.AT_RISK}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "The mapping is not valid JSON: Expecting property name"),
        ("[]", "The mapping must be a JSON object"),
        ('{"version": 2}', "The mapping's version is 2; this tracker reads version 1."),
        ('{"version": 1, "colums": {}}', 'The mapping has an entry "colums"'),
        ('{"version": 1, "columns": {"ref": "numero"}}', 'Column "ref": "numero" is not a meaning'),
        (
            '{"version": 1, "columns": {"ref": {"meaning": "number", "period": "Q1"}}}',
            'Column "ref": only progress, status and update-date columns have a period.',
        ),
        ('{"version": 1, "statuses": {"amber": "orange"}}', 'Status word "amber": "orange" is not'),
    ],
)
def test_a_mapping_that_cannot_be_used_is_refused_saying_why(text, message):
    with pytest.raises(MappingError) as refused:
        Mapping.from_json(text)
    assert message in str(refused.value)


def test_every_wrong_entry_of_a_mapping_is_named_at_once():
    text = '{"version": 1, "columns": {"a": "x", "b": "y"}, "statuses": {"c": "z"}}'
    with pytest.raises(MappingError) as refused:
        Mapping.from_json(text)
    assert len(refused.value.messages) == 3


# ---------------------------------------------------------------------------- layouts

pytestmark_db = pytest.mark.django_db

PER_ACTION = [
    ["Stalking action plan"],
    ["Executive Lead: Assistant Chief Constable Vaughn Lukey"],
    ["Operational lead: Head of Crime - Detective Chief Superintendent Jo Bloggs"],
    [],
    ["Ref", "Action", "Owner", "Update", "Date", "Status", "Supporting documents"],
    ["Recommendation 7:\n" + REC_7],
    [
        "7.1",
        "Ask the supplier for included classifications.",
        "DI Sam Carter",
        "Change requested.",
        "12/10/2024",
        "Complete",
        "Request.pdf",
    ],
    [
        None,
        "Train crime recorders.",
        "Sgt Lee Brown",
        "Course booked.",
        dt.datetime(2024, 10, 14),
        "In progress",
        None,
    ],
    [None, None, None, "Half the team trained.", None, None, None],
    ["Recommendation 10:\n" + REC_10],
    ["1", "Review the stalking course.", "PC Ann Smith", "Not begun.", None, "Not started", None],
]


@pytestmark_db
def test_actions_under_a_heading_row_each_carry_their_owner_update_date_status_and_documents():
    preview = read(sheet(PER_ACTION))
    assert preview.ok, problems(preview)

    assert tree(preview) == [
        (
            "7",
            REC_7,
            [
                ("7.1", "Ask the supplier for included classifications."),
                ("7.2", "Train crime recorders."),
            ],
        ),
        ("10", REC_10, [("10.1", "Review the stalking course.")]),
    ]
    assert [period.label for period in preview.periods] == ["Update"]
    first, second = preview.recommendations[0].children
    assert (first.owner.rank, first.owner.name) == ("DI", "Sam Carter")
    assert first.details == {"Supporting documents": "Request.pdf"}
    [cell] = first.cells
    assert (cell.text, cell.status, cell.status_word, cell.recorded) == (
        "Change requested.",
        Status.COMPLETE,
        "Complete",
        dt.date(2024, 10, 12),
    )
    # The row with only an update continues the action above it.
    assert second.cells[0].text == "Course booked.\nHalf the team trained."
    assert second.cells[0].recorded == dt.date(2024, 10, 14)
    assert preview.recommendations[0].due_date == dt.date(2025, 3, 27)
    assert not preview.recommendations[0].has_progress


@pytestmark_db
def test_a_title_block_gives_the_title_both_leads_with_their_ranks_and_roles():
    preview = read(sheet(PER_ACTION), title="")
    assert preview.title == "Stalking action plan"
    executive, operational = preview.executive_lead, preview.operational_lead
    assert (executive.rank, executive.name) == ("Assistant Chief Constable", "Vaughn Lukey")
    assert (operational.role, operational.rank, operational.name) == (
        "Head of Crime",
        "Detective Chief Superintendent",
        "Jo Bloggs",
    )
    assert preview.introduction == ""


@pytestmark_db
def test_a_recommendation_heading_above_each_header_row_owns_the_actions_in_its_table():
    rows = [
        ["Recommendation 7: " + REC_7],
        ["Action", "Lead", "Progress", "RAG"],
        ["Ask the supplier for included classifications.", "DI Sam Carter", "Asked.", "Green"],
        ["Train crime recorders.", "Sgt Lee Brown", "Booked.", "Amber"],
        [],
        ["Recommendation 15: " + REC_15],
        ["Action", "Lead", "Progress", "RAG"],
        ["Map the services commissioned.", "Ms Lee Brown", "Mapped.", "Red"],
    ]
    preview = read(sheet(rows))
    assert preview.ok, problems(preview)
    assert tree(preview) == [
        (
            "7",
            REC_7,
            [
                ("7.1", "Ask the supplier for included classifications."),
                ("7.2", "Train crime recorders."),
            ],
        ),
        ("15", REC_15, [("15.1", "Map the services commissioned.")]),
    ]
    statuses = [
        child.cells[0].status for item in preview.recommendations for child in item.children
    ]
    assert statuses == [Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK]


@pytest.mark.parametrize(
    "headers",
    [
        ["April 2023:", "October 2023", "January 2024", "Nov-24", "Q1 2025"],
        ["Q1 2025", "January 2024", "Nov-24", "April 2023:", "October 2023"],
    ],
)
@pytestmark_db
def test_dated_columns_become_periods_in_date_order_wherever_they_stand(headers):
    rows = [
        ["Rec No.", "Recommendation", *headers],
        ["7", REC_7, *[f"Update for {header}" for header in headers]],
    ]
    preview = read(sheet(rows))
    assert preview.ok, problems(preview)

    assert [(p.label, p.period_end) for p in preview.periods] == [
        ("April 2023", dt.date(2023, 4, 30)),
        ("October 2023", dt.date(2023, 10, 31)),
        ("January 2024", dt.date(2024, 1, 31)),
        ("Nov-24", dt.date(2024, 11, 30)),
        ("Q1 2025", dt.date(2025, 3, 31)),
    ]
    cells = preview.recommendations[0].cells
    assert [(cell.period, cell.text) for cell in cells] == [
        ("April 2023", "Update for April 2023:"),
        ("October 2023", "Update for October 2023"),
        ("January 2024", "Update for January 2024"),
        ("Nov-24", "Update for Nov-24"),
        ("Q1 2025", "Update for Q1 2025"),
    ]


@pytestmark_db
def test_undated_progress_columns_keep_their_place_between_the_dated_ones():
    rows = [
        ["No.", "Recommendation", "Initial response", "March 2026 update", "Comments", "Nov-24"],
        ["7", REC_7, "a", "b", "c", "d"],
    ]
    preview = read(sheet(rows))
    assert preview.period_labels == ["Initial response", "Nov-24", "Comments", "March 2026 update"]


@pytestmark_db
def test_a_plain_status_column_speaks_of_the_latest_period():
    rows = [
        ["Ref", "Recommendation", "Initial response", "March 2026 update", "Status"],
        ["7", REC_7, "Started.", "Nearly there.", "On track"],
    ]
    preview = read(sheet(rows))
    assert preview.ok, problems(preview)
    assert preview.period_labels == ["Initial response", "March 2026 update"]
    initial, march = preview.recommendations[0].cells
    assert (initial.status, march.status) == ("", Status.ON_TRACK)
    assert column(preview, "Status").period == "March 2026 update"


@pytestmark_db
def test_a_date_column_says_when_the_update_beside_it_was_written():
    rows = [
        ["Ref", "Recommendation", "Initial response", "Date", "March 2026 update", "Status"],
        ["7", REC_7, "Started.", "22/11/2024", "Nearly there.", "On track"],
        ["10", REC_10, "Started.", None, "Done.", "Complete"],
    ]
    preview = read(sheet(rows))
    assert preview.ok, problems(preview)
    initial, march = preview.recommendations[0].cells
    assert (initial.recorded, march.recorded) == (dt.date(2024, 11, 22), None)
    assert column(preview, "Date").period == "Initial response"


@pytestmark_db
def test_status_columns_beside_each_progress_column_speak_of_that_period():
    rows = [
        ["Ref", "Recommendation", "April 2023", "Status", "October 2023", "Status"],
        ["7", REC_7, "Started.", "Amber", "Done.", "Complete"],
    ]
    preview = read(sheet(rows))
    assert preview.ok, problems(preview)
    april, october = preview.recommendations[0].cells
    assert (april.status, october.status) == (Status.AT_RISK, Status.COMPLETE)


@pytestmark_db
def test_two_tables_on_one_sheet_keep_their_headings_as_sections():
    rows = [
        ["Open recommendations"],
        ["Stalking super-complaint 2024"],
        ["Recommendation", "Position"],
        ["7 - " + REC_7, "Systems change requested."],
        [],
        ["Stalking training review"],
        ["Recommendation", "Position"],
        ["10 - " + REC_10, "Course rewritten."],
    ]
    preview = read(sheet(rows), title="")
    assert preview.ok, problems(preview)
    assert preview.title == "Open recommendations"
    assert [(i.number, i.text, i.section) for i in preview.recommendations] == [
        ("7", REC_7, "Stalking super-complaint 2024"),
        ("10", REC_10, "Stalking training review"),
    ]
    assert preview.report_title == ""
    assert preview.period_labels == ["Position"]


@pytestmark_db
def test_sheets_without_a_table_are_skipped_and_several_sheets_are_read():
    notes = sheet([["Notes for the working group"], ["Read before the meeting."]], "Notes")
    first = sheet([["Ref", "Recommendation"], ["7", REC_7]], "Crime recording")
    second = sheet([["Ref", "Recommendation"], ["10", REC_10]], "Training")
    preview = read(notes, first, second)
    assert preview.ok, problems(preview)
    assert [(i.number, i.section) for i in preview.recommendations] == [
        ("7", "Crime recording"),
        ("10", "Training"),
    ]
    assert [str(w) for w in preview.warnings] == [
        'Sheet "Notes" holds no table the import knows: skipped.'
    ]


@pytestmark_db
def test_continuation_rows_with_a_blank_number_join_the_item_above():
    rows = [
        ["Ref", "Recommendation", "Sub-recommendations", "Update"],
        [
            "7",
            "By 27 March 2025, where required, seek changes to their crime recording",
            None,
            "Requested.",
        ],
        [None, "systems.", "7.1 " + SUB_7_1, None],
        [None, None, None, "Supplier replied."],
        [None, None, "Alternative measures while changes are pending.", None],
    ]
    preview = read(sheet(rows))
    assert preview.ok, problems(preview)
    assert tree(preview) == [
        (
            "7",
            "By 27 March 2025, where required, seek changes to their crime recording\nsystems.",
            [("7.1", SUB_7_1), ("7.2", "Alternative measures while changes are pending.")],
        )
    ]
    assert preview.recommendations[0].cells[0].text == "Requested.\nSupplier replied."


@pytestmark_db
def test_a_rag_column_is_the_status_when_there_is_no_status_column():
    preview = read(
        sheet([["Ref", "Recommendation", "Update", "RAG"], ["7", REC_7, "Asked.", "Amber"]])
    )
    assert preview.recommendations[0].cells[0].status == Status.AT_RISK
    assert column(preview, "RAG").meaning == Meaning.STATUS


@pytestmark_db
def test_a_rag_column_beside_a_status_column_is_shown_as_not_imported():
    rows = [
        ["Ref", "Recommendation", "Update", "Status", "RAG"],
        ["7", REC_7, "Asked.", "At risk", "Amber"],
    ]
    preview = read(sheet(rows))
    rag = column(preview, "RAG")
    assert (rag.meaning, rag.note) == (
        Meaning.IGNORE,
        "repeats the status column as a colour: not imported",
    )
    assert preview.not_imported == [rag]
    assert [w.word for w in preview.status_words] == ["At risk"]


@pytestmark_db
def test_a_column_without_a_header_is_shown_and_kept_as_a_detail():
    rows = [["Ref", "Recommendation", None, "Update"], ["7", REC_7, "Ask Jo", "Asked."]]
    preview = read(sheet(rows))
    assert preview.ok, problems(preview)
    blank = next(c for c in preview.columns if c.header == "")
    assert (blank.letter, blank.key, blank.meaning, blank.sample) == (
        "C",
        "column c",
        Meaning.DETAIL,
        "Ask Jo",
    )
    assert preview.recommendations[0].details == {"Column C": "Ask Jo"}
    assert [str(w) for w in preview.warnings] == [
        'Sheet "Plan 2025", row 1, column C: has no header: kept as a detail; choose another '
        "meaning if it holds one."
    ]


@pytestmark_db
def test_columns_the_import_does_not_recognise_are_kept_as_details_and_named():
    rows = [["Ref", "Recommendation", "Theme"], ["7", REC_7, "Crime data"]]
    preview = read(sheet(rows))
    assert preview.recommendations[0].details == {"Theme": "Crime data"}
    assert column(preview, "Theme").meaning == Meaning.DETAIL
    assert "Theme" in str(preview.warnings[0])


@pytestmark_db
def test_status_words_unknown_to_the_vocabulary_are_shown_and_stop_the_import_until_chosen():
    rows = [
        ["Ref", "Recommendation", "Update", "Status"],
        ["7", REC_7, "Asked.", "Awaiting supplier"],
        ["10", REC_10, "Rewritten.", "Awaiting supplier"],
        ["15", REC_15, "Mapped.", "Green"],
    ]
    preview = read(sheet(rows))
    assert problems(preview) == [
        'Sheet "Plan 2025", row 2, column D (Status): "Awaiting supplier" (2 times) is not a '
        "status the tracker knows: choose the status it stands for."
    ]
    unknown, green = preview.status_words
    assert (unknown.word, unknown.status, unknown.count, unknown.status_label) == (
        "Awaiting supplier",
        None,
        2,
        "Not placed",
    )
    assert (green.status, green.guessed) == (Status.ON_TRACK, True)
    # Rows with a word not yet placed stay in the preview, to be seen.
    assert [item.number for item in preview.recommendations] == ["7", "10", "15"]

    mapping = preview.mapping
    mapping.choose_status("Awaiting supplier", Status.AT_RISK)
    again = read(sheet(rows), mapping=Mapping.from_json(mapping.to_json()))
    assert again.ok, problems(again)
    assert again.recommendations[0].cells[0].status == Status.AT_RISK
    assert (again.status_words[0].status, again.status_words[0].guessed) == (Status.AT_RISK, False)


@pytestmark_db
def test_a_given_mapping_overrides_the_guesses_and_names_columns_the_file_lacks():
    rows = [
        ["Summary", "Sub actions", "Overall %", "Position"],
        ["AFI 1 - " + REC_10, 4, 68, "Half done."],
    ]
    guessed = read(sheet(rows))
    assert guessed.recommendations[0].details == {"Sub actions": "4", "Overall %": "68"}

    mapping = guessed.mapping
    mapping.choose_column("Overall %", Meaning.IGNORE)
    mapping.choose_column("Position", Meaning.PERIOD, "March 2025 update")
    mapping.choose_column("Owner", Meaning.OWNER)
    preview = read(sheet(rows), mapping=mapping)

    assert preview.ok, problems(preview)
    assert preview.recommendations[0].details == {"Sub actions": "4"}
    assert [(p.label, p.period_end) for p in preview.periods] == [
        ("March 2025 update", dt.date(2025, 3, 31))
    ]
    assert column(preview, "Overall %").guessed is False
    assert [str(w) for w in preview.warnings] == [
        'The mapping names a column "owner" that this file does not have.'
    ]


@pytestmark_db
def test_two_columns_chosen_for_one_meaning_are_a_problem():
    mapping = Mapping()
    mapping.choose_column("Theme", Meaning.TEXT)
    preview = read(
        sheet([["Ref", "Recommendation", "Theme"], ["7", REC_7, "Data"]]), mapping=mapping
    )
    assert problems(preview) == [
        'Sheet "Plan 2025", row 1, column C (Theme): is chosen as "Recommendation text", as '
        "column B is: choose one of them."
    ]


@pytestmark_db
def test_a_cell_that_cannot_be_read_is_named_by_sheet_row_and_column_and_its_row_left_out():
    rows = [
        ["Ref", "Recommendation", "Owner", "Due date", "Update"],
        ["7", REC_7, "DI Sam Carter", "soon-ish", "Asked."],
        ["7/1", SUB_7_1, None, None, None],
        ["10", REC_10, None, "27/03/2025", None],
        ["10", REC_15, None, None, None],
        ["15", None, None, None, None],
    ]
    preview = read(sheet(rows))
    assert problems(preview) == [
        'Sheet "Plan 2025", row 2, column D (Due date): "soon-ish" is not a date this import can '
        "read: write it as 27/03/2025, 27 March 2025 or March 2025.",
        'Sheet "Plan 2025", row 3, column A (Ref): "7/1": a recommendation number cannot contain '
        'a slash ("/"): write 7.1 or 7-1.',
        'Sheet "Plan 2025", row 5, column A (Ref): the number 10 is already used on row 4.',
        'Sheet "Plan 2025", row 6, column A (Ref): the recommendation text is missing.',
    ]
    assert [item.number for item in preview.recommendations] == ["10"]


@pytestmark_db
def test_statuses_without_a_progress_column_make_one_period_dated_by_the_title():
    rows = [
        ["Culture action plan as at 1 November 2023"],
        ["Summary", "Status"],
        ["AFI 1 - " + REC_10, "Open - Actions on going on track"],
    ]
    preview = read(sheet(rows), title="")
    assert [(p.label, p.period_end) for p in preview.periods] == [
        ("1 November 2023", dt.date(2023, 11, 1))
    ]
    assert preview.recommendations[0].cells[0].status == Status.ON_TRACK


@pytestmark_db
def test_a_table_without_numbers_is_numbered_in_file_order_with_a_warning():
    rows = [["Recommendation", "Update"], [REC_7, "Asked."], [REC_10, "Rewritten."]]
    preview = read(sheet(rows))
    assert preview.ok, problems(preview)
    assert [(i.number, i.text) for i in preview.recommendations] == [("1", REC_7), ("2", REC_10)]
    assert [str(w) for w in preview.warnings] == [
        'Sheet "Plan 2025", row 2: 2 recommendations from here on have no number: numbered 1 '
        "to 2 in file order."
    ]


@pytestmark_db
def test_our_own_return_is_read_with_its_plan_sheet_and_updates_awaiting_sign_off():
    plan = sheet(
        [
            ["Field", "Value"],
            ["Plan title", "Stalking plan"],
            ["Plan slug", "stalking-imported"],
            ["Report date", dt.datetime(2024, 9, 27)],
            ["Strategic / Executive Lead", "D/Supt Abbie Leeson"],
            ["Period", "March 2026 update"],
            ["As at", dt.datetime(2026, 4, 1, 10, 0)],
        ],
        "Plan",
    )
    summary = sheet([["Status (March 2026 update)", "Recommendations"], ["At risk", 1]], "Summary")
    ret = sheet(
        [
            [
                "Rec No.",
                "Recommendation",
                "Sub recommendation",
                "Addressee",
                "Owner",
                "Initial response",
                "March 2026 update",
                "Status (March 2026 update)",
                "RAG",
                "Due date",
                "Last updated",
            ],
            [
                "7",
                REC_7,
                "7.1 " + SUB_7_1,
                "Chief Constables",
                "Insp Jo Bloggs",
                "Asked.",
                "[Awaiting sign-off] Supplier replied.",
                "At risk",
                "Amber",
                dt.datetime(2025, 3, 27),
                dt.datetime(2026, 3, 31, 12, 0),
            ],
        ],
        "Return",
    )
    preview = read(ret, summary, plan, title="")
    assert preview.ok, problems(preview)
    assert preview.warnings == []
    assert (preview.title, preview.slug, preview.report_date) == (
        "Stalking plan",
        "stalking-imported",
        dt.date(2024, 9, 27),
    )
    [item] = preview.recommendations
    assert (item.owner.rank, item.owner.name, item.due_date) == (
        "Insp",
        "Jo Bloggs",
        dt.date(2025, 3, 27),
    )
    initial, march = item.cells
    assert (initial.text, initial.pending, initial.status) == ("Asked.", False, "")
    assert (march.text, march.pending, march.status) == ("Supplier replied.", True, Status.AT_RISK)
    assert march.recorded == dt.date(2026, 3, 31)
    assert column(preview, "RAG").meaning == Meaning.IGNORE


@pytestmark_db
def test_a_header_of_two_rows_names_the_columns_its_group_spans():
    rows = [
        ["Ref", "Recommendation", "Progress updates", None, None, "Status"],
        [None, None, "April 2023", "October 2023", dt.datetime(2024, 1, 1), None],
        ["7", REC_7, "Asked.", "Chased.", "Delivered.", "Complete"],
    ]
    preview = read(sheet(rows))
    assert preview.ok, problems(preview)
    assert [(p.label, p.period_end) for p in preview.periods] == [
        ("April 2023", dt.date(2023, 4, 30)),
        ("October 2023", dt.date(2023, 10, 31)),
        ("January 2024", dt.date(2024, 1, 31)),
    ]
    cells = preview.recommendations[0].cells
    assert [(c.text, c.status) for c in cells] == [
        ("Asked.", ""),
        ("Chased.", ""),
        ("Delivered.", Status.COMPLETE),
    ]


@pytestmark_db
def test_status_columns_follow_the_progress_column_of_the_same_name_wherever_they_stand():
    rows = [
        ["Ref", "Recommendation", "Update Q1", "Update Q2", "Status Q1", "Status Q2"],
        ["7", REC_7, "Asked.", "Chased.", "Amber", "Green"],
    ]
    preview = read(sheet(rows))
    q1, q2 = preview.recommendations[0].cells
    assert (q1.period, q1.status, q2.period, q2.status) == (
        "Update Q1",
        Status.AT_RISK,
        "Update Q2",
        Status.ON_TRACK,
    )


@pytestmark_db
def test_a_recommendation_written_again_on_each_row_of_its_actions_is_read_once():
    rows = [
        ["Recommendation", "Action", "Owner", "Update", "RAG"],
        [REC_7, "Ask the supplier.", "DI Sam Carter", "Asked.", "Green"],
        [REC_7, "Train recorders.", "Sgt Lee Brown", "Booked.", "Red"],
        [REC_10, "Rewrite the course.", "PC Ann Smith", "Drafted.", "Amber"],
    ]
    preview = read(sheet(rows))
    assert preview.ok, problems(preview)
    assert tree(preview) == [
        ("1", REC_7, [("1.1", "Ask the supplier."), ("1.2", "Train recorders.")]),
        ("2", REC_10, [("2.1", "Rewrite the course.")]),
    ]
    second = preview.recommendations[0].children[1]
    assert (second.owner.name, second.cells[0].status) == ("Lee Brown", Status.OFF_TRACK)


@pytestmark_db
def test_actions_of_a_merged_recommendation_cell_each_keep_their_own_progress():
    rows = [
        ["No.", "Area for improvement", "Action", "Owner", "Target date", "RAG", "Update"],
        ["1", REC_10, "Rewrite the course.", "PC Ann Smith", "31/03/2025", "Green", "Drafted."],
        [None, None, "Train the trainers.", "Sgt Lee Brown", "Q1 2025", "Amber", "Booked."],
    ]
    preview = read(sheet(rows))
    assert preview.ok, problems(preview)
    [item] = preview.recommendations
    assert not item.has_progress
    assert [(c.number, c.due_date, c.cells[0].text) for c in item.children] == [
        ("1.1", dt.date(2025, 3, 31), "Drafted."),
        ("1.2", dt.date(2025, 3, 31), "Booked."),
    ]


@pytestmark_db
def test_a_plan_written_as_paragraphs_is_read_as_the_table_it_would_be():
    lines = [
        ["Stalking super-complaint action plan"],
        ["Executive Lead: ACC Pat Jones"],
        ["Recommendation 7: " + REC_7],
        ["7.1 - Evidence requirements of progress/completion: " + SUB_7_1],
        ["Owner: DCI Sam Carter"],
        ["Initial response"],
        ["We have asked the supplier."],
        ["A change is scheduled."],
        ["March 2026 update: The change is live."],
        ["Status: Complete"],
        ["Recommendation 10: " + REC_10],
        ["Initial response: Course under review."],
    ]
    preview = read(sheet(lines, "Web page"), title="")
    assert preview.ok, problems(preview)
    assert preview.title == "Stalking super-complaint action plan"
    assert tree(preview) == [("7", REC_7, [("7.1", SUB_7_1)]), ("10", REC_10, [])]
    seven = preview.recommendations[0]
    assert seven.owner.name == "Sam Carter"
    assert [(c.period, c.text, c.status) for c in seven.cells] == [
        ("Initial response", "We have asked the supplier.\nA change is scheduled.", ""),
        ("March 2026 update", "The change is live.", Status.COMPLETE),
    ]
    assert [c.header for c in preview.columns][3:] == [
        "Owner",
        "Initial response",
        "March 2026 update",
        "Status",
    ]


def test_our_own_xlsx_return_reads_back_as_the_plan_it_was_made_from(demo_plan):
    from recommendations.exports import xlsx
    from recommendations.exports.common import build_return
    from recommendations.imports import read_plan

    data = xlsx.render(build_return(demo_plan, generated_by="Round trip"))
    preview = read_plan(data, filename="return.xlsx", slug="stalking-copy")
    assert preview.ok, problems(preview)
    assert preview.warnings == []

    assert (preview.title, preview.introduction) == (demo_plan.title, demo_plan.introduction)
    assert (preview.report_title, preview.report_date) == (
        demo_plan.report_title,
        demo_plan.report_date,
    )
    lead = preview.executive_lead
    assert (lead.rank, lead.name, lead.existing) == (
        "D/Supt",
        "Abbie Leeson",
        demo_plan.executive_lead,
    )
    assert preview.period_labels == list(demo_plan.periods.values_list("label", flat=True))
    expected = [
        (
            rec.number,
            rec.text,
            rec.addressee,
            rec.due_date,
            [(sub.number, sub.text) for sub in rec.subrecommendations.all()],
            {u.period.label: u.text for u in rec.updates.select_related("period")},
        )
        for rec in demo_plan.recommendations.top_level().order_by("sort_key")
    ]
    assert [
        (
            item.number,
            item.text,
            item.addressee,
            item.due_date,
            [(child.number, child.text) for child in item.children],
            {cell.period: cell.text for cell in item.cells if cell.text},
        )
        for item in preview.recommendations
    ] == expected
    assert {c.header: c.meaning for c in preview.columns} == {
        "Rec No.": Meaning.NUMBER,
        "Recommendation": Meaning.TEXT,
        "Sub recommendation": Meaning.SUBS,
        "Addressee": Meaning.ADDRESSEE,
        "Owner": Meaning.OWNER,
        "Initial action plan response": Meaning.PERIOD,
        "March 2026 update": Meaning.PERIOD,
        "Status (March 2026 update)": Meaning.STATUS,
        "RAG": Meaning.IGNORE,
        "Due date": Meaning.DUE,
        "Last updated": Meaning.UPDATE_DATE,
    }


@pytestmark_db
def test_next_quarters_file_from_the_same_source_imports_with_the_saved_mapping():
    march = [
        ["Ref", "Recommendation", "Notes", "March 2025 update", "RAG"],
        ["7", REC_7, "Ask Jo", "Asked.", "Awaiting supplier"],
    ]
    first = read(sheet(march))
    mapping = first.mapping
    mapping.choose_status("Awaiting supplier", Status.AT_RISK)
    mapping.choose_column("Notes", Meaning.IGNORE)
    saved = mapping.to_json()

    june = [
        ["Ref", "Recommendation", "Notes", "March 2025 update", "June 2025 update", "RAG"],
        ["7", REC_7, "Ask Jo", "Asked.", "Chased.", "Awaiting supplier"],
        ["10", REC_10, None, "Drafted.", "Done.", "Closed"],
    ]
    preview = read(sheet(june), mapping=Mapping.from_json(saved))
    assert preview.ok, problems(preview)
    assert preview.warnings == []
    assert preview.period_labels == ["March 2025 update", "June 2025 update"]
    seven, ten = preview.recommendations
    assert seven.details == {}
    assert [(c.status, c.status_word) for c in seven.cells] == [
        ("", ""),
        (Status.AT_RISK, "Awaiting supplier"),
    ]
    assert ten.cells[1].status == Status.CLOSED
    assert {c.header: c.guessed for c in preview.columns} == {
        "Ref": False,
        "Recommendation": False,
        "Notes": False,
        "March 2025 update": False,
        "June 2025 update": True,
        "RAG": False,
    }
    # The RAG column had no period of its own: it follows the latest period, now June.
    assert column(preview, "RAG").period == "June 2025 update"
    assert preview.mapping.statuses["awaiting supplier"] == Status.AT_RISK


@pytestmark_db
def test_a_column_of_numbers_without_a_header_numbers_the_recommendations():
    rows = [[None, "Recommendation", "Update"], [7, REC_7, "Asked."], ["10", REC_10, "Drafted."]]
    preview = read(sheet(rows))
    assert preview.ok, problems(preview)
    assert [(i.number, i.text) for i in preview.recommendations] == [("7", REC_7), ("10", REC_10)]
    assert preview.columns[0].meaning == Meaning.NUMBER
    assert preview.warnings == []


@pytestmark_db
def test_a_totals_row_under_the_table_is_left_out_with_a_warning():
    rows = [
        ["Ref", "Recommendation", "Sub actions"],
        ["7", REC_7, 3],
        ["10", REC_10, 2],
        ["Total", None, 5],
    ]
    preview = read(sheet(rows))
    assert preview.ok, problems(preview)
    assert [item.number for item in preview.recommendations] == ["7", "10"]
    assert [str(w) for w in preview.warnings] == [
        'Sheet "Plan 2025", row 4: "Total" is not a recommendation number and its row has no '
        "recommendation text: left out."
    ]


@pytestmark_db
def test_a_heading_merged_across_the_table_holds_the_actions_under_it():
    rows = [
        ["Summary", "Owner", "Status"],
        ["AFI 1 - " + REC_10],
        ["Rewrite the course.", "PC Ann Smith", "Complete"],
        ["Train the trainers.", "Sgt Lee Brown", "In progress"],
        ["AFI 2 - " + REC_15, "Ms Lee Brown", "Not started"],
    ]
    merged = sheet(rows)
    merged.merged = [(2, 0, 2, 2)]
    preview = read(merged)
    assert preview.ok, problems(preview)
    assert tree(preview) == [
        ("AFI 1", REC_10, [("AFI 1.1", "Rewrite the course."), ("AFI 1.2", "Train the trainers.")]),
        ("AFI 2", REC_15, []),
    ]
    assert preview.recommendations[1].owner.name == "Lee Brown"


@pytestmark_db
def test_a_file_that_cannot_be_read_is_a_problem_not_an_error():
    from recommendations.imports import read_plan

    preview = read_plan(b"not a workbook", filename="plan.xlsx")
    assert len(preview.problems) == 1
    assert "plan.xlsx" in str(preview.problems[0])
    assert preview.recommendations == []


@pytestmark_db
def test_a_layout_that_confuses_the_reader_is_a_problem_not_an_error(monkeypatch):
    from recommendations.imports import layout

    def confused(source):
        raise IndexError("nobody foresaw this")

    monkeypatch.setattr(layout, "find_layout", confused)
    preview = read(sheet([["Ref", "Recommendation"], ["7", REC_7]]))
    assert problems(preview) == [
        "The file could not be read: its layout confused the import. Save it again as a simple "
        "table (one header row, one row per recommendation) and retry."
    ]

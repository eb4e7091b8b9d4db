"""Reading an uploaded file into sheets of cell values: every format, as the file holds it."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import NamedStyle

from recommendations.imports.formats import (
    ACCEPTED,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    NotReadable,
    read_source,
)
from tests.hostile_files import (
    compound_file,
    ods_cell,
    ods_from_tables,
    ods_rows,
    png_image,
    read_zip,
    sheet_xml,
    write_zip,
    xls_from_sheets,
    xlsx_from_rows,
    xlsx_with_sheets,
)

EXAMPLES = Path(__file__).resolve().parent / "data" / "import-examples"


def only_sheet(data: bytes, filename: str):
    source = read_source(data, filename=filename)
    assert len(source.sheets) == 1
    return source.sheets[0]


def refusal(data: bytes, filename: str) -> str:
    with pytest.raises(NotReadable) as caught:
        read_source(data, filename=filename)
    return str(caught.value)


# --- The public constants ----------------------------------------------------------------------


def test_limits_are_those_the_help_texts_promise():
    assert ACCEPTED == ".xlsx, .xlsm, .ods, .xls, .csv, .htm and .html"
    assert MAX_FILE_BYTES == 5 * 1024 * 1024
    assert MAX_ROWS >= 20_000
    assert MAX_COLUMNS == 200


# --- Excel workbooks -----------------------------------------------------------------------------


def test_xlsx_values_come_typed_as_the_workbook_stores_them():
    sheet = only_sheet(
        xlsx_from_rows(
            [
                ["Rec No.", "Recommendation", "Due", "Done", "Share"],
                [7, "  Review training\r\nprovision ", dt.date(2025, 3, 27), True, 0.5],
                [7.0, "   ", dt.datetime(2025, 3, 27, 9, 30), False, None],
                [None, None, None, None, None],
                [None, "After a gap", dt.time(9, 30)],
            ]
        ),
        "plan.xlsx",
    )
    assert sheet.name == "Plan"
    assert sheet.rows == [
        (1, ["Rec No.", "Recommendation", "Due", "Done", "Share"]),
        (2, [7, "  Review training\nprovision ", dt.date(2025, 3, 27), True, 0.5]),
        (3, [7, None, dt.datetime(2025, 3, 27, 9, 30), False]),
        (5, [None, "After a gap", "09:30:00"]),
    ]


def test_xlsx_source_names_the_file_and_its_format():
    source = read_source(xlsx_from_rows([["x"]]), filename="C:\\Users\\me\\plan.xlsx")
    assert source.filename == "plan.xlsx"
    assert source.file_format == "Excel workbook (.xlsx)"


def test_xlsm_is_read_and_called_macro_enabled():
    source = read_source(xlsx_from_rows([["Rec", 7]], macro=True), filename="plan.xlsm")
    assert source.file_format == "Excel macro-enabled workbook (.xlsm)"
    assert source.sheets[0].rows == [(1, ["Rec", 7])]


def test_every_worksheet_is_read_in_order_with_hidden_ones_marked():
    workbook = openpyxl.Workbook()
    workbook.active.title = "Summary"
    workbook.active["A1"] = "Overview"
    hidden = workbook.create_sheet("Old plan")
    hidden["B2"] = "kept"
    hidden.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheets = read_source(buffer.getvalue(), filename="plan.xlsx").sheets
    assert [(sheet.name, sheet.hidden, sheet.rows) for sheet in sheets] == [
        ("Summary", False, [(1, ["Overview"])]),
        ("Old plan", True, [(2, [None, "kept"])]),
    ]


def test_merged_cells_keep_their_value_top_left_and_are_listed():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = "Title across three columns"
    sheet.merge_cells("A1:C1")
    sheet["B3"] = "Two rows"
    sheet.merge_cells("B3:B4")
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = only_sheet(buffer.getvalue(), "plan.xlsx")
    assert read.rows == [(1, ["Title across three columns"]), (3, [None, "Two rows"])]
    assert sorted(read.merged) == [(1, 0, 1, 2), (3, 1, 4, 1)]


def test_formulas_give_their_cached_value_and_blank_when_none_was_cached():
    body = (
        '<sheetData><row r="1"><c r="A1"><f>1+1</f><v>2</v></c>'
        '<c r="B1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c><c r="C1"><f>SUM(A1:A9)</f></c>'
        '<c r="D1" t="e"><f>1/0</f><v>#DIV/0!</v></c></row></sheetData>'
    )
    sheet = only_sheet(xlsx_with_sheets({"Plan": body}), "plan.xlsx")
    assert sheet.rows == [(1, [2, "ab", None, "#DIV/0!"])]


def test_shared_strings_read_rich_text_escapes_and_line_breaks():
    strings = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main"><si><t xml:space="preserve">first_x000D_\nsecond </t></si>'
        '<si><r><t>Bold</t></r><r><t xml:space="preserve"> and plain</t></r>'
        '<rPh sb="0" eb="1"><t>phonetic</t></rPh></si><si><t>_x005F_x000D_ kept</t></si>'
        "</sst>"
    )
    body = (
        '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c></row></sheetData>'
    )
    sheet = only_sheet(xlsx_with_sheets({"Plan": body}, shared_strings=strings), "plan.xlsx")
    assert sheet.rows == [(1, ["first\nsecond ", "Bold and plain", "_x000D_ kept"])]


def test_dates_follow_the_cell_format_and_general_numbers_stay_numbers():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = 45743  # a serial in a general cell: the layout step reads it
    sheet["B1"] = 45743
    sheet["B1"].number_format = "dd/mm/yyyy"
    sheet["C1"] = 45743.75
    sheet["C1"].number_format = "dd/mm/yyyy hh:mm"
    style = NamedStyle(name="percent", number_format="0%")
    sheet["D1"] = 0.68
    sheet["D1"].style = style
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = only_sheet(buffer.getvalue(), "plan.xlsx")
    assert read.rows == [
        (1, [45743, dt.date(2025, 3, 27), dt.datetime(2025, 3, 27, 18, 0), 0.68]),
    ]


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date")
def test_a_date_format_on_a_number_no_date_can_be_gives_the_number():
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = 10_000_000
    workbook.active["A1"].number_format = "dd/mm/yyyy"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert only_sheet(buffer.getvalue(), "plan.xlsx").rows == [(1, [10_000_000])]


def test_rows_far_apart_keep_their_numbers():
    body = sheet_xml({1: {"A": "Top"}, 500_000: {"B": "Middle"}, 1_048_576: {"C": "Last"}})
    sheet = only_sheet(xlsx_with_sheets({"Plan": body}), "plan.xlsx")
    assert sheet.rows == [
        (1, ["Top"]),
        (500_000, [None, "Middle"]),
        (1_048_576, [None, None, "Last"]),
    ]


def test_cells_without_references_are_placed_one_after_another():
    body = (
        '<sheetData><row><c t="inlineStr"><is><t>a</t></is></c><c/><c t="inlineStr">'
        '<is><t>c</t></is></c></row><row><c r="D2" t="inlineStr"><is><t>d</t></is></c>'
        '<c t="inlineStr"><is><t>e</t></is></c></row></sheetData>'
    )
    sheet = only_sheet(xlsx_with_sheets({"Plan": body}), "plan.xlsx")
    assert sheet.rows == [(1, ["a", None, "c"]), (2, [None, None, None, "d", "e"])]


def test_a_value_in_the_last_allowed_column_is_read_and_one_beyond_is_refused():
    last = openpyxl.utils.get_column_letter(MAX_COLUMNS)
    beyond = openpyxl.utils.get_column_letter(MAX_COLUMNS + 1)
    sheet = only_sheet(xlsx_with_sheets({"Plan": sheet_xml({1: {last: "edge"}})}), "p.xlsx")
    assert sheet.rows[0][1][MAX_COLUMNS - 1] == "edge"
    message = refusal(xlsx_with_sheets({"Plan": sheet_xml({3: {beyond: "x"}})}), "p.xlsx")
    assert f'Sheet "Plan" has a value in cell {beyond}3, beyond column {last}' in message


def test_blank_formatted_cells_beyond_the_columns_read_are_no_problem():
    body = '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c>'
    body += '<c r="XFD1" s="1"/></row></sheetData>'
    assert only_sheet(xlsx_with_sheets({"Plan": body}), "p.xlsx").rows == [(1, ["x"])]


def test_more_rows_than_the_limit_are_refused_with_advice():
    rows = [["Rec", n] for n in range(MAX_ROWS + 1)]
    message = refusal(xlsx_from_rows(rows), "plan.xlsx")
    assert message.startswith(f"This file has more than {MAX_ROWS:,} rows")
    assert "split the plan" in message


# --- OpenDocument spreadsheets -------------------------------------------------------------------


def test_ods_values_line_breaks_and_row_numbers():
    rows = (
        ods_rows([["Rec No.", "Recommendation", "Due", "Done"]])
        + '<table:table-row table:number-rows-repeated="3"><table:table-cell/></table:table-row>'
        + ods_rows([[7.0, "Review training\nand policy", dt.date(2025, 3, 27), True]])
        + "<table:table-row>"
        + ods_cell(None, repeated=2)
        + ods_cell(2.5)
        + "</table:table-row>"
    )
    source = read_source(ods_from_tables({"Plan": rows}), filename="plan.ods")
    assert source.file_format == "OpenDocument spreadsheet (.ods)"
    assert source.sheets[0].name == "Plan"
    assert source.sheets[0].rows == [
        (1, ["Rec No.", "Recommendation", "Due", "Done"]),
        (5, [7, "Review training\nand policy", dt.date(2025, 3, 27), True]),
        (6, [None, None, 2.5]),
    ]


def test_ods_tables_are_sheets_and_spanned_cells_are_listed_as_merged():
    spanned = (
        "<table:table-row>"
        + ods_cell("Title", columns_spanned=2)
        + "<table:covered-table-cell/></table:table-row>"
        + ods_rows([["a", "b"]])
    )
    sheets = read_source(
        ods_from_tables({"Summary": spanned, "Detail": ods_rows([[None, "x"]])}),
        filename="plan.ods",
    ).sheets
    assert [(sheet.name, sheet.rows, sheet.merged) for sheet in sheets] == [
        ("Summary", [(1, ["Title"]), (2, ["a", "b"])], [(1, 0, 1, 1)]),
        ("Detail", [(1, [None, "x"])], []),
    ]


def test_ods_without_its_mimetype_member_is_told_to_be_saved_again():
    parts = read_zip(ods_from_tables({"Plan": ods_rows([["x"]])}))
    del parts["mimetype"]
    message = refusal(write_zip(parts), "plan.ods")
    assert message.startswith("This file is damaged and cannot be read")
    assert "save it again" in message


def test_password_protected_ods_is_told_how_to_remove_the_password():
    parts = read_zip(ods_from_tables({"Plan": ods_rows([["x"]])}))
    parts["content.xml"] = bytes(range(256)) * 8
    parts["META-INF/manifest.xml"] = parts["META-INF/manifest.xml"].replace(
        b"</manifest:manifest>", b"<manifest:encryption-data/></manifest:manifest>"
    )
    data = write_zip(parts, stored_first="mimetype")
    assert refusal(data, "plan.ods").startswith("This workbook is protected with a password")


# --- Excel 97-2003 workbooks ---------------------------------------------------------------------


def test_xls_values_sheets_and_merged_cells():
    data = xls_from_sheets(
        {
            "Plan": {
                (0, 0): "Rec No.",
                (0, 1): "Recommendation",
                (2, 0): 7,
                (2, 1): "Review training provision",
                (2, 2): 2.5,
                (2, 3): True,
                (3, 2): dt.date(2025, 3, 27),
            },
            "Old": {(4, 3): "hidden value"},
        },
        merged={"Plan": [(0, 0, 1, 3)]},
        hidden=["Old"],
    )
    source = read_source(data, filename="plan.xls")
    assert source.file_format == "Excel 97-2003 workbook (.xls)"
    plan, old = source.sheets
    assert plan.rows == [
        (1, ["Rec No.", "Recommendation"]),
        (3, [7, "Review training provision", 2.5, True]),
        (4, [None, None, dt.date(2025, 3, 27)]),
    ]
    assert plan.merged == [(1, 1, 1, 3)]
    assert (old.name, old.hidden, old.rows) == (
        "Old",
        True,
        [(5, [None, None, None, "hidden value"])],
    )


def test_small_xls_whose_workbook_lies_in_the_mini_stream():
    data = xls_from_sheets({"Plan": {(0, 0): "Rec", (1, 0): 7}}, pad=False)
    assert len(data) < 4096 + 2048
    assert only_sheet(data, "plan.xls").rows == [(1, ["Rec"]), (2, [7])]


# --- CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Rec,Text\r\n7,Review\r\n", [(1, ["Rec", "Text"]), (2, ["7", "Review"])]),
        (b"\xef\xbb\xbfRec;Text\n7;Review\n", [(1, ["Rec", "Text"]), (2, ["7", "Review"])]),
        (b"Rec\tText\n7\tReview\n", [(1, ["Rec", "Text"]), (2, ["7", "Review"])]),
        (
            b"Rec,Cost\n7,\xa35 \x96 \x93paid\x94\n",
            [(1, ["Rec", "Cost"]), (2, ["7", "£5 – “paid”"])],
        ),
        ("Rec,Text\n7,Révisé\n".encode("utf-16"), [(1, ["Rec", "Text"]), (2, ["7", "Révisé"])]),
        (b"sep=;\nRec;Text\n7;a,b\n", [(1, ["Rec", "Text"]), (2, ["7", "a,b"])]),
    ],
    ids=["comma", "utf8-bom-semicolon", "tab", "windows-1252", "utf16", "excel-sep-hint"],
)
def test_csv_encodings_and_delimiters(data, expected):
    source = read_source(data, filename="plan.csv")
    assert source.file_format == "CSV file"
    assert source.sheets[0].rows == expected


def test_csv_values_stay_text_with_quoted_line_breaks_and_blank_rows_counted():
    data = (
        b'Ref,Recommendation,Due\r\n7,"By 27 March 2025,\r\nreview ""training""",27/03/2025\r\n'
        b"\r\n,,  \r\n10,  kept as is  ,\r\n"
    )
    sheet = only_sheet(data, "plan.csv")
    assert sheet.name == "plan.csv"
    assert sheet.rows == [
        (1, ["Ref", "Recommendation", "Due"]),
        (2, ["7", 'By 27 March 2025,\nreview "training"', "27/03/2025"]),
        (5, ["10", "  kept as is  "]),
    ]


def test_csv_value_beyond_the_columns_read_is_refused():
    data = ("," * MAX_COLUMNS + "x\n").encode()
    assert "has a value in cell GS1" in refusal(data, "plan.csv")


# --- Web pages -----------------------------------------------------------------------------------


def page(body: str, head: str = "<title>Stalking plan</title>") -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


def test_web_page_text_blocks_and_table_rows_in_document_order():
    body = (
        "<main><h1>Stalking   action\n plan</h1><p>Lead: <b>D/Supt</b> Abbie Leeson</p>"
        "<ul><li>First</li><li>Second<br>line</li></ul>"
        "<table><caption>Progress</caption><thead><tr><th>Rec</th><th colspan='2'>Sub</th>"
        "<th>Owner</th></tr></thead><tbody>"
        "<tr><td rowspan='2'>10</td><td><p>10.2</p><p>10.3</p></td>"
        "<td><p>Makes appropriate use</p><p>Uses the skills and</p></td><td>Chief</td></tr>"
        "<tr><td>10.4</td><td>Text<br>two</td><td><ul><li>a</li><li>b</li></ul></td></tr>"
        "<tr><td></td><td>  </td></tr>"
        "<tr><td>11</td></tr></tbody></table><p>After the table</p></main>"
    )
    source = read_source(page(body), filename="plan.html")
    assert source.file_format == "Web page (.html)"
    sheet = source.sheets[0]
    assert sheet.name == "Stalking plan"
    assert sheet.rows == [
        (1, ["Stalking action plan"]),
        (2, ["Lead: D/Supt Abbie Leeson"]),
        (3, ["First"]),
        (4, ["Second\nline"]),
        (5, ["Progress"]),
        (6, ["Rec", "Sub", None, "Owner"]),
        (7, ["10", "10.2\n10.3", "Makes appropriate use\nUses the skills and", "Chief"]),
        (8, [None, "10.4", "Text\ntwo", "a\nb"]),
        (10, ["11"]),
        (11, ["After the table"]),
    ]
    assert sheet.merged == [(6, 1, 6, 2), (7, 0, 8, 0)]


def test_web_page_rowspan_past_the_last_row_ends_with_the_table():
    body = "<table><tr><td rowspan='5'>7</td><td>a</td></tr><tr><td>b</td></tr></table>"
    sheet = only_sheet(page(body), "plan.html")
    assert sheet.rows == [(1, ["7", "a"]), (2, [None, "b"])]
    assert sheet.merged == [(1, 0, 2, 0)]


def test_web_page_with_main_reads_only_inside_it():
    body = (
        "<div class='cookies'><p>We use cookies</p></div><header><p>Site name</p></header>"
        "<main><p>The plan</p><script>var x = 1;</script><p hidden>Hidden</p>"
        "<p style='display: none'>Also hidden</p><nav><p>Contents</p></nav></main>"
        "<footer><p>Contact us</p></footer>"
    )
    assert only_sheet(page(body), "plan.html").rows == [(1, ["The plan"])]


def test_web_page_without_main_skips_the_site_around_the_content():
    body = (
        "<header><p>Site name</p></header><nav><a href='/'>Home</a></nav>"
        "<div><p>The plan</p><aside>Related pages</aside>Loose text</div>"
        "<form><label>Search</label><input></form><noscript>Enable scripts</noscript>"
        "<template><p>Template</p></template><div aria-hidden='true'>Icon</div>"
        "<footer><p>Contact us</p></footer>"
    )
    sheet = only_sheet(page(body, head="<style>p {}</style>"), "plan.htm")
    assert sheet.name == "Web page"
    assert sheet.rows == [(1, ["The plan"]), (2, ["Loose text"])]


def test_xhtml_page_with_an_xml_declaration_is_read():
    data = (
        '<?xml version="1.0" encoding="iso-8859-1"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML '
        '1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html xmlns="http:'
        '//www.w3.org/1999/xhtml"><head><meta http-equiv="Content-Type" content="text/html; '
        'charset=iso-8859-1"/><title>Plan</title></head><body><p>caf\xe9</p><table><tr><td>7'
        "</td></tr></table></body></html>"
    ).encode("latin-1")
    sheet = only_sheet(data, "plan.htm")
    assert (sheet.name, sheet.rows) == ("Plan", [(1, ["café"]), (2, ["7"])])


def test_web_page_role_main_counts_as_main():
    body = "<p>Outside</p><div role='main'><p>Inside</p></div>"
    assert only_sheet(page(body), "plan.html").rows == [(1, ["Inside"])]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (page("<p>café – ok</p>", head=""), "café – ok"),
        (
            page("<p>caf\xe9 \x96 ok</p>", head="<meta charset='windows-1252'>")
            .replace(b"\xc3\xa9", b"\xe9")
            .replace(b"\xc2\x96", b"\x96"),
            "café – ok",
        ),
        (b"\xef\xbb\xbf" + page("<p>café</p>", head=""), "café"),
        (page("<p>café</p>", head="").decode().encode("utf-16"), "café"),
        (page("<p>caf\xe9</p>", head="").replace(b"\xc3\xa9", b"\xe9"), "café"),
    ],
    ids=["utf8-default", "meta-charset", "utf8-bom", "utf16-bom", "not-utf8-falls-back"],
)
def test_web_page_is_decoded_by_its_byte_order_mark_or_meta_charset(data, expected):
    assert only_sheet(data, "plan.html").rows == [(1, [expected])]


# --- What the file is, whatever its name ---------------------------------------------------------


def test_unsupported_extension_lists_what_is_accepted():
    message = refusal(b"Rec,Text\n7,Review\n", "plan.txt")
    assert message.startswith('Files ending in ".txt" cannot be imported.')
    assert ACCEPTED in message
    assert "rename it to end in .csv" in message


def test_xlsx_named_csv_is_told_to_be_renamed():
    message = refusal(xlsx_from_rows([["x"]]), "plan.csv")
    assert message.startswith('This file is named "plan.csv" but it is an Excel workbook')
    assert "Rename it to end in .xlsx" in message


def test_web_page_named_xls_is_told_to_be_renamed():
    message = refusal(page("<table><tr><td>7</td></tr></table>"), "plan.xls")
    assert 'named "plan.xls" but it is a web page (HTML)' in message


def test_csv_text_named_xlsx_is_told_to_be_renamed():
    message = refusal(b"Rec,Text\n7,Review\n", "plan.xlsx")
    assert 'named "plan.xlsx" but it is a text file (CSV)' in message


def test_other_kinds_of_file_are_named():
    assert refusal(png_image(), "plan.xlsx").startswith(
        "This file is a PNG image, not a spreadsheet"
    )
    assert refusal(b"%PDF-1.7\n...", "plan.xls").startswith("This file is a PDF document")
    word = compound_file({"WordDocument": b"\0" * 100})
    assert refusal(word, "plan.xls").startswith("This file is a Word document")


def test_damaged_and_empty_files_get_a_message():
    cut = xlsx_from_rows([["x"]])[:300]
    assert refusal(cut, "plan.xlsx").startswith("This file is damaged and cannot be read")
    assert refusal(b"", "plan.csv") == "This file is empty: import the file that holds the plan."
    assert refusal(b"PK\x03\x04garbage", "plan.ods").startswith("This file is damaged")


# --- The published examples ----------------------------------------------------------------------

HAMPSHIRE_7_RESPONSE = (
    "Long-term solution via RMS change through Minerva project owing to the fact that these are "
    "not simple fixes. Implementation March 26 earliest."
)


@pytest.fixture
def examples():
    return lambda name: read_source((EXAMPLES / name).read_bytes(), filename=name)


def test_hampshire_published_page(examples):
    source = examples("00_hampshire_published_page.html")
    (sheet,) = source.sheets
    assert sheet.name == (
        "Stalking super-complaint action plan | Hampshire and Isle of Wight Constabulary"
    )
    assert [number for number, _ in sheet.rows] == [1, 2, 3, 4, 5, 6]
    assert sheet.rows[:4] == [
        (1, ["Stalking super-complaint action plan"]),
        (
            2,
            [
                "In response to the Super Complaint submitted by the Suzy Lamplugh Trust, on "
                "behalf of the National Stalking Consortium."
            ],
        ),
        (3, ["Strategic / Executive Lead: D/Supt Abbie Leeson"]),
        (
            4,
            [
                "Rec No.",
                "Recomendation",
                "Sub recommendation/",
                None,
                "Rec. Owner",
                "Initial action plan response",
                "March 2026 update",
            ],
        ),
    ]
    number, seven = sheet.rows[4]
    assert (number, seven[0], seven[2], seven[4], seven[5]) == (
        5,
        "7",
        "7.1",
        "Chief Constables",
        HAMPSHIRE_7_RESPONSE,
    )
    assert seven[1].startswith("By 27/03/25, where required, seek changes")
    assert seven[6].endswith("As such, timeframe for delivery cannot be")
    number, ten = sheet.rows[5]
    assert (number, ten[0], ten[2], ten[3], ten[4]) == (
        6,
        "10",
        "10.2\n10.3",
        "Makes appropriate use\nUses the skills and",
        "Cheif Constables",
    )
    assert len(ten) == 7
    assert sheet.merged == [(4, 2, 4, 3)]


def test_derbyshire_workbook(examples):
    source = examples("02_derbyshire_frs_values_culture.xlsx")
    (sheet,) = source.sheets
    assert sheet.name == "Appendix 1"
    assert sheet.rows[:4] == [
        (1, ["HMICFRS Values and Culture Action Plan Summary Report as of 1 November 2023"]),
        (2, ["Open - Actions on going on track: 15"]),
        (3, ["Open - Actions on going off track: 2"]),
        (4, ["Summary", "Sub actions", "Deadline date", "Status", "Overall %"]),
    ]
    number, afi1 = sheet.rows[4]
    assert number == 5
    assert afi1[0].startswith("AFI 1 - The service should develop a clear prevention strategy")
    assert afi1[1:] == [4, "30 Sep 2023", "Open - Actions on going off track", 68]
    assert sheet.rows[5][0] == 6
    assert sheet.rows[5][1][0].startswith("AFI 2 - The service should make sure")
    assert len(sheet.rows) == 6


def test_police_scotland_workbook(examples):
    (sheet,) = examples("04_spa_police_scotland_hmics.xlsx").sheets
    assert sheet.name == "Other open recommendations"
    assert sheet.rows[:3] == [
        (1, ["Other Open Recommendations"]),
        (2, ["Contact Assessment Model (CAM) 2022"]),
        (3, ["Recommendation", "Position"]),
    ]
    number, (recommendation, position) = sheet.rows[3]
    assert number == 4
    assert recommendation.startswith("R3 - Police Scotland and the SPA should capture")
    assert position == (
        "This is the last remaining of 8 recommendations made in August 2022.\n"
        "C3 are working continuously to identify and reduce inefficiencies contributing to "
        "unnecessary demand.\nC3 has invested in training for staff,"
    )
    assert len(sheet.rows) == 4


CAMBRIDGESHIRE_TOP = [
    (
        1,
        [
            "The following Stalking Action Plan is in response to the Super Complaint submitted "
            "by Suzy Lamplugh Trust on behalf of the National Stalking Consortium on the police "
            "response to stalking."
        ],
    ),
    (2, ["Executive Lead: Assistant Chief Constable Vaughn Lukey"]),
    (3, ["Operational Lead: Detective Superintendent Sherrie Nash"]),
    (4, ["Ref", "Recommendation", "Evidence requirements of progress/completion"]),
]


@pytest.mark.parametrize(
    ("name", "file_format", "seven", "ten"),
    [
        ("05_cambridgeshire_titleblock.xlsx", "Excel workbook (.xlsx)", 7, 10),
        ("05_cambridgeshire_titleblock.csv", "CSV file", "7", "10"),
    ],
)
def test_cambridgeshire_workbook_and_its_csv(examples, name, file_format, seven, ten):
    source = examples(name)
    assert source.file_format == file_format
    (sheet,) = source.sheets
    assert sheet.rows[:4] == CAMBRIDGESHIRE_TOP
    assert [number for number, _ in sheet.rows] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert sheet.rows[4][1][0] == seven
    assert sheet.rows[4][1][1].startswith("By 27 March 2025, where required, seek changes")
    assert sheet.rows[5][1][:2] == [None, None]
    assert sheet.rows[5][1][2].startswith("7.1 - Evidence requirements of progress/completion:")
    assert sheet.rows[6][1][2].startswith("7.2 - Evidence requirements of progress/completion:")
    assert sheet.rows[7][1] == [
        ten,
        "By 27 March 2025, review and update their learning and training provision relating "
        "to stalking.",
    ]
    if name.endswith(".xlsx"):
        assert sheet.name == "Stalking Action Plan"
        assert sheet.merged == [(1, 0, 1, 2)]
    else:
        assert sheet.name == name

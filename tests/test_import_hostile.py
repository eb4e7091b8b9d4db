"""Files built to exhaust a server are refused with a message, never read at length.

One test per file of `tests/hostile_files.HOSTILE`; how long each takes and how much memory
it needs is measured by `tests/bench/bench_import_hostile.py`, not asserted here.
"""

from __future__ import annotations

import io

import olefile
import openpyxl.xml.functions
import pytest
from defusedxml.common import EntitiesForbidden
from lxml import etree

from recommendations.imports.formats import NotReadable, read_source
from recommendations.imports.formats.xmlstream import stream_elements
from tests import hostile_files as hostile
from tests.hostile_files import HOSTILE

SMALL_ENTITY = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY e "expanded">]><w>&e; &e;</w>'
DOCTYPE = "This file holds XML with a document type declaration (DOCTYPE)"
PASSWORD = (
    "This workbook is protected with a password: open it in Excel, remove the password "
    "(File > Info > Protect Workbook"
)


def refusal(name: str) -> str:
    build, filename = HOSTILE[name]
    with pytest.raises(NotReadable) as caught:
        read_source(build(), filename=filename)
    return str(caught.value)


# 1. Entity expansion


def test_billion_laughs_in_a_sheet_is_refused():
    assert refusal("billion laughs (xlsx sheet)").startswith(DOCTYPE)


def test_billion_laughs_in_the_shared_strings_is_refused():
    assert refusal("billion laughs (xlsx shared strings)").startswith(DOCTYPE)


def test_quadratic_blowup_in_a_sheet_is_refused():
    assert refusal("quadratic blowup (xlsx sheet)").startswith(DOCTYPE)


def test_quadratic_blowup_in_the_styles_is_refused():
    assert refusal("quadratic blowup (xlsx styles)").startswith(DOCTYPE)


def test_doctype_written_in_utf16_is_found_all_the_same():
    assert refusal("DOCTYPE in UTF-16 (xlsx workbook)").startswith(DOCTYPE)


def test_doctype_in_utf16_without_byte_order_mark_is_found():
    text = hostile.billion_laughs().replace(
        '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>'
    )
    data = hostile.zip_from_members(
        hostile._xlsx_parts_with("xl/workbook.xml", lambda: [text.encode("utf-16-le")])
    )
    with pytest.raises(NotReadable, match="document type declaration"):
        read_source(data, filename="plan.xlsx")


def test_billion_laughs_in_an_ods_is_refused():
    assert refusal("billion laughs (ods)").startswith(DOCTYPE)


def test_quadratic_blowup_in_an_ods_is_refused():
    assert refusal("quadratic blowup (ods)").startswith(DOCTYPE)


def test_openpyxl_parses_with_defusedxml_or_with_entities_left_unresolved():
    """What openpyxl itself parses (content types, workbook, relationships) goes through lxml
    with entities unresolved; what it streams (sheets, shared strings), through defusedxml."""
    assert openpyxl.xml.functions.iterparse.__module__.startswith("defusedxml")
    with pytest.raises(EntitiesForbidden):
        for _ in openpyxl.xml.functions.iterparse(io.BytesIO(hostile.billion_laughs().encode())):
            pass
    root = openpyxl.xml.functions.fromstring(SMALL_ENTITY)
    assert "expanded" not in "".join(root.itertext())


def test_streamed_parts_resolve_no_entity_even_past_the_zip_check():
    data = b"".join(hostile.quadratic_blowup(references=2_000)())
    with pytest.raises(NotReadable, match="not what its name says"):
        for _ in stream_elements(
            io.BytesIO(data), root=f"{{{hostile.SHEET_NS}}}worksheet", tags=(), part="sheet"
        ):
            pass
    # The parser stream_elements sets up leaves entities unresolved.
    parser = etree.XMLPullParser(resolve_entities=False, load_dtd=False, no_network=True)
    parser.feed(SMALL_ENTITY)
    assert "expanded" not in "".join(parser.close().itertext())


# 2. Zip bombs


def test_zip_bomb_is_refused_before_unpacking():
    message = refusal("zip bomb 2 GB (xlsx)")
    assert message.startswith("This file unpacks to more than 60 MB")


def test_zip_whose_sizes_lie_is_refused_as_damaged():
    message = refusal("zip with lying sizes (xlsx)")
    assert message.startswith("This file is damaged and cannot be read")
    assert "xl/worksheets/sheet1.xml" in message


def test_zip_of_thousands_of_parts_is_refused():
    assert refusal("30,000 zip members (xlsx)").startswith(
        "This file is made of more than 2,000 parts"
    )


# 3. Rows spread over a million row numbers, and references beyond a sheet


def test_sparse_rows_over_eight_sheets_are_read_listing_only_the_filled_rows():
    build, filename = HOSTILE["8 sheets of sparse rows (xlsx)"]
    source = read_source(build(), filename=filename)
    assert len(source.sheets) == 8
    for sheet in source.sheets:
        assert [number for number, _ in sheet.rows] == [
            1,
            2,
            *range(100_000, 1_048_577, 100_000),
            1_048_576,
        ]
        assert sheet.rows[-1] == (1_048_576, [None, None, "last row"])


def test_a_million_empty_rows_are_read_as_the_one_with_a_value():
    build, filename = HOSTILE["a million empty rows (xlsx)"]
    (sheet,) = read_source(build(), filename=filename).sheets
    assert sheet.rows == [(1_048_576, ["last"])]


def test_millions_of_blank_cells_are_read_as_the_one_with_a_value():
    build, filename = HOSTILE["3 million blank cells (xlsx)"]
    (sheet,) = read_source(build(), filename=filename).sheets
    assert sheet.rows == [(1, ["Recommendation"])]


def test_a_sheet_listed_again_under_other_names_is_refused():
    assert refusal("one sheet listed 1,000 times (xlsx)").startswith(
        'This file is damaged and cannot be read (its sheets "Plan" and "Copy 0" are one and'
    )


def test_a_workbook_part_far_larger_than_any_workbook_is_refused_unparsed():
    assert refusal("workbook part of 200,000 sheets (xlsx)").startswith(
        "This file is damaged and cannot be read (the part xl/workbook.xml is far larger"
    )


def test_row_beyond_the_last_row_is_refused_naming_the_sheet():
    assert refusal("row beyond 1,048,576 (xlsx)").startswith(
        'Sheet "Plan" is damaged: it uses row 1,048,577, beyond the last a spreadsheet can have'
    )


def test_column_beyond_xfd_is_refused_naming_the_sheet():
    assert refusal("column beyond XFD (xlsx)").startswith(
        'Sheet "Plan" is damaged: it uses column XFE'
    )


def test_row_of_more_cells_than_a_row_has_is_refused():
    assert "holds a row (or text) larger than a spreadsheet allows" in refusal(
        "a row of 100,000 cells (xlsx)"
    )


def test_more_shared_strings_than_cells_allowed_are_refused():
    assert refusal("600,000 shared strings (xlsx)").startswith(
        "This file has more than 500,000 cells holding values"
    )


def test_300000_filled_rows_stop_at_the_row_limit():
    assert refusal("300,000 filled rows (xlsx)").startswith(
        "This file has more than 20,000 rows holding values: split the plan"
    )


def test_an_ods_repeating_a_value_up_to_the_cell_limit_is_read():
    build, filename = HOSTILE["500,000 values repeated (ods)"]
    (sheet,) = read_source(build(), filename=filename).sheets
    assert len(sheet.rows) == 20_000
    assert sheet.rows[-1] == (20_000, ["text of a plan"] * 25)


def test_more_merged_areas_than_allowed_are_refused():
    assert refusal("60,000 merged areas (xlsx)").startswith(
        "This file is damaged and cannot be read (it has more than 50,000 merged areas)"
    )


def test_elements_nested_too_deep_are_refused():
    message = refusal("elements nested 100,000 deep (xlsx)")
    assert message.startswith("This file is damaged and cannot be read")
    assert "Excessive depth" in message


# 4. Malformed references


def test_row_numbered_x1_gets_a_message():
    assert refusal('row r="x1" (xlsx)') == (
        'Sheet "Plan" is damaged: a row is numbered "x1", which is not a row number. Open it '
        "in Excel or LibreOffice, save it again and import the new copy."
    )


def test_cell_called_1a_gets_a_message():
    assert refusal('cell r="1A" (xlsx)').startswith(
        'Sheet "Plan" is damaged: a cell is called "1A", which is not a cell reference.'
    )


# 5. Password-protected workbooks and files that are not what their name says


def test_password_protected_workbook_is_told_how_to_remove_the_password():
    assert refusal("password-protected workbook").startswith(PASSWORD)


def test_password_protected_xls_is_told_how_to_remove_the_password():
    plain = hostile.xls_from_sheets({"Plan": {(0, 0): "x"}})
    with olefile.OleFileIO(io.BytesIO(plain)) as compound:
        stream = compound.openstream("Workbook").read()
    # FILEPASS right after the globals' BOF, as Excel writes it for a password to open.
    bof_end = 4 + int.from_bytes(stream[2:4], "little")
    locked = stream[:bof_end] + b"\x2f\x00\x06\x00\x00\x00" + b"\0" * 4 + stream[bof_end:]
    data = hostile.compound_file({"Workbook": locked})
    with pytest.raises(NotReadable) as caught:
        read_source(data, filename="plan.xls")
    assert str(caught.value).startswith(PASSWORD)


def test_png_named_xlsx_is_called_a_png_image():
    assert refusal("PNG named .xlsx").startswith(
        "This file is a PNG image, not a spreadsheet or web page of a plan."
    )


# 6. What calamine would allocate


def test_ods_cell_repeated_over_the_whole_grid_is_refused():
    assert refusal("cell repeated over the grid (ods)").startswith(
        'Sheet "Plan" has a value in cell GS1, beyond column GR (the 200th)'
    )


def test_ods_values_far_apart_are_refused_before_calamine_fills_the_gap():
    assert refusal("values 400,000 rows apart (ods)").startswith(
        'Sheet "Plan" has values spread from row 1 to row 400,002, more than can be read'
    )


def test_xls_cells_at_far_corners_are_refused_before_calamine_fills_the_gap():
    assert refusal("cells at far corners (xls)").startswith(
        'Sheet "Plan" has values spread from row 1 to row 65,536'
    )


def test_xls_listing_one_sheet_thousands_of_times_is_refused():
    assert refusal("one sheet listed 5,000 times (xls)").startswith(
        "This file is damaged and cannot be read (its sheets overlap one another)"
    )


def test_ods_with_repeats_too_many_rows_is_refused():
    rows = (
        '<table:table-row table:number-rows-repeated="30000">'
        + hostile.ods_cell("x")
        + "</table:table-row>"
    )
    with pytest.raises(NotReadable, match="more than 20,000 rows"):
        read_source(hostile.ods_from_tables({"Plan": rows}), filename="plan.ods")


def test_ods_with_a_broken_repeat_count_is_damaged():
    rows = '<table:table-row table:number-rows-repeated="-5"><table:table-cell/></table:table-row>'
    with pytest.raises(NotReadable, match="damaged"):
        read_source(hostile.ods_from_tables({"Plan": rows}), filename="plan.ods")


def test_xls_of_thousands_of_streams_is_refused_before_its_directory_is_read_whole():
    assert refusal("20,000 streams (xls)").startswith("This file is made of more than 2,000 parts")


@pytest.mark.parametrize("damage", list(hostile.damaged_compound_files()))
def test_xls_damaged_in_its_compound_file_structure_gets_a_plain_message(damage):
    data = hostile.damaged_compound_files()[damage]
    with pytest.raises(NotReadable) as caught:
        read_source(data, filename="plan.xls")
    assert str(caught.value).startswith("This file is damaged and cannot be read (its ")


def test_xls_whose_sheet_lies_beyond_its_stream_gets_a_plain_message_though_calamine_panics():
    with pytest.raises(NotReadable) as caught:
        read_source(hostile.xls_sheet_beyond_its_stream(), filename="plan.xls")
    assert str(caught.value).startswith(
        "This file is damaged and cannot be read (its sheets cannot be read)."
    )


# 7. Size


def test_file_over_five_megabytes_is_refused_before_parsing():
    assert refusal("file over 5 MB (csv)").startswith(
        "This file is 5.0 MB; the largest file that can be imported is 5 MB."
    )


# Web pages and CSV files


def test_web_page_under_the_tag_limit_is_read():
    build, filename = HOSTILE["web page of 435,000 tags"]
    (sheet,) = read_source(build(), filename=filename).sheets
    assert len(sheet.rows) == 15_000


def test_web_page_of_too_many_tags_is_refused():
    assert refusal("web page of 1.5 million tags").startswith(
        "This web page has more than 500,000 tags"
    )


def test_csv_quotation_mark_never_closed_gets_a_message():
    assert "a quotation mark that is never closed" in refusal("quotation mark never closed (csv)")


def test_csv_that_slows_the_delimiter_sniffer_is_sniffed_on_its_start_only():
    assert refusal("apostrophes that slow the delimiter sniffer (csv)").startswith(
        'Sheet "plan.csv" has a value in cell GS1'
    )


def test_csv_starting_with_thousands_of_comments_is_read_as_text():
    build, filename = HOSTILE["HTML comments before the text (csv)"]
    (sheet,) = read_source(build(), filename=filename).sheets
    assert sheet.rows[-2:] == [(2, ["Rec", "Text"]), (3, ["7", "Review"])]


def test_every_hostile_file_has_a_test():
    tested = {
        "billion laughs (xlsx sheet)",
        "billion laughs (xlsx shared strings)",
        "quadratic blowup (xlsx sheet)",
        "quadratic blowup (xlsx styles)",
        "DOCTYPE in UTF-16 (xlsx workbook)",
        "billion laughs (ods)",
        "quadratic blowup (ods)",
        "zip bomb 2 GB (xlsx)",
        "zip with lying sizes (xlsx)",
        "30,000 zip members (xlsx)",
        "8 sheets of sparse rows (xlsx)",
        "one sheet listed 1,000 times (xlsx)",
        "workbook part of 200,000 sheets (xlsx)",
        "row beyond 1,048,576 (xlsx)",
        "column beyond XFD (xlsx)",
        'row r="x1" (xlsx)',
        'cell r="1A" (xlsx)',
        "password-protected workbook",
        "PNG named .xlsx",
        "cell repeated over the grid (ods)",
        "values 400,000 rows apart (ods)",
        "cells at far corners (xls)",
        "one sheet listed 5,000 times (xls)",
        "20,000 streams (xls)",
        "file over 5 MB (csv)",
        "a million empty rows (xlsx)",
        "3 million blank cells (xlsx)",
        "a row of 100,000 cells (xlsx)",
        "600,000 shared strings (xlsx)",
        "elements nested 100,000 deep (xlsx)",
        "web page of 435,000 tags",
        "web page of 1.5 million tags",
        "quotation mark never closed (csv)",
        "apostrophes that slow the delimiter sniffer (csv)",
        "60,000 merged areas (xlsx)",
        "300,000 filled rows (xlsx)",
        "500,000 values repeated (ods)",
        "HTML comments before the text (csv)",
    }
    assert tested == set(HOSTILE)

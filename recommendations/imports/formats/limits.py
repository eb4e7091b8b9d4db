"""The limits an uploaded file must keep within, and the messages that refuse one.

An action plan is a few hundred rows, yet a 20 KB file can be built to make a naive reader
unpack gigabytes, expand XML entities without end, or allocate a grid of a million rows. The
guards (`zipguard`, `xmlstream`, `compound`, `extent`) and the readers hold every file to the
limits here, and refuse with a `NotReadable` whose message tells the user what to do.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000  # rows holding a value, in the whole file
MAX_COLUMNS = 200  # no value may lie to the right of this column
MAX_CELLS = 500_000  # cells holding a value, in the whole file
MAX_UNPACKED_BYTES = 60 * 1024 * 1024  # all members of a zip package, unpacked
MAX_PARTS = 2_000  # members of a zip package; entries of an OLE2 file's directory
MAX_PACKAGE_PART_BYTES = 2 * 1024 * 1024  # a part openpyxl parses whole into objects
MAX_MERGED = 50_000  # merged ranges in the whole file
MAX_GRID_CELLS = 1_500_000  # cells calamine may allocate for all sheets of a file together
MAX_ELEMENT_BYTES = 2 * 1024 * 1024  # markup of one row (or shared string) of an XML part
MAX_ELEMENT_CHILDREN = 16_384  # cells in one row
MAX_HTML_TAGS = 500_000
EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
CHUNK = 64 * 1024

AGAIN = "Open it in Excel or LibreOffice, save it again and import the new copy."


class NotReadable(Exception):
    """The file cannot be read; str(error) is a plain-words message for the user saying what
    is wrong and what to do."""


class Damaged(NotReadable):
    """A file whose structure is broken; `detail` says how, in words a user can follow."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"This file is damaged and cannot be read ({detail}). {AGAIN}")
        self.detail = detail


def too_many_rows() -> NotReadable:
    return NotReadable(
        f"This file has more than {MAX_ROWS:,} rows holding values: split the plan into "
        "several files of fewer rows and import them one at a time."
    )


def too_many_cells() -> NotReadable:
    return NotReadable(
        f"This file has more than {MAX_CELLS:,} cells holding values, far more than an action "
        "plan needs: save only the plan's sheet in a new file, or split the plan into several "
        "files."
    )


def too_many_parts() -> NotReadable:
    return NotReadable(
        f"This file is made of more than {MAX_PARTS:,} parts, far more than a spreadsheet of a "
        "plan holds: it cannot be imported. Save the plan's sheet in a new workbook and import "
        "that."
    )


def value_beyond_columns(sheet: str, row: int, column: int) -> NotReadable:
    """column is 0-based."""
    return NotReadable(
        f'Sheet "{sheet}" has a value in cell {get_column_letter(column + 1)}{row}, beyond '
        f"column {get_column_letter(MAX_COLUMNS)} (the {MAX_COLUMNS}th): only the first "
        f"{MAX_COLUMNS} columns are read. Move the plan into those columns or delete what lies "
        "to their right, then import it again."
    )


def beyond_excel(sheet: str, what: str) -> NotReadable:
    return NotReadable(
        f'Sheet "{sheet}" is damaged: it uses {what}, beyond the last a spreadsheet can have '
        f"(row 1,048,576, column XFD). {AGAIN}"
    )


def password_protected() -> NotReadable:
    return NotReadable(
        "This workbook is protected with a password: open it in Excel, remove the password "
        "(File > Info > Protect Workbook > Encrypt with Password, and clear it) and save it "
        "again, then import the new copy."
    )

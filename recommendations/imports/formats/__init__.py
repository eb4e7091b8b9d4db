"""Turning an uploaded file's bytes into sheets of cell values, safely.

`read_source(data, filename=...)` tells what the file is by its content (whatever its name
says), checks that its extension agrees, and hands it to its reader: `xlsx` for an .xlsx or
.xlsm workbook (openpyxl), `calamine` for an .ods or .xls workbook (python-calamine),
`delimited` for a .csv file (the csv module), `webpage` for a saved web page (lxml.html). It
returns a `Source`: its sheets, each a list of (row number, values) for the rows that hold a
value. It only delivers what the file holds: finding headers, title blocks and numbered rows
is the layout step's work. Anything it cannot read safely raises `NotReadable`, whose message
says in plain words what is wrong and what to do. The limits are in `limits`; the guards that
stop hostile files before a library reads them are `zipguard` (zip packages), `xmlstream`
(XML parts), `compound` (OLE2 files) and `extent` (the grids calamine would allocate).

Cell values are str, int, float, bool, datetime.date, datetime.datetime or None (blank):

- Text keeps its spaces; line breaks come as "\\n". A cell of only white space is blank.
- A whole number comes as int whatever the format stores (an .xls keeps every number as a
  float); a number in a general-format cell stays a number (the layout step reads Excel
  serials itself).
- A cell with a date format comes as a date, or a datetime when it has a time of day; a
  time alone comes as text ("09:30:00") and a duration as text in hours ("36:00:00").
- Formulas are never evaluated: a formula cell gives the value the file cached when it was
  last saved, and is blank when none was cached (a file written by a program that does not
  calculate). An error value comes as its text ("#DIV/0!").
- A merged area's value sits in its top-left cell, as spreadsheets store it; `Sheet.merged`
  lists the areas.
- CSV values are all text, never converted (the layout step reads "7" and "27/03/2025").
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from pathlib import PurePath

from . import calamine, delimited, webpage, xlsx
from .compound import BROKEN, OLE_SIGNATURE, CompoundFile
from .limits import (
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    Damaged,
    NotReadable,
    password_protected,
)
from .sheets import Sheet, Source

__all__ = [
    "ACCEPTED",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "NotReadable",
    "Sheet",
    "Source",
    "read_source",
]

ACCEPTED = ".xlsx, .xlsm, .ods, .xls, .csv, .htm and .html"

FORMAT_LABELS = {
    "xlsx": "Excel workbook (.xlsx)",
    "xlsm": "Excel macro-enabled workbook (.xlsm)",
    "ods": "OpenDocument spreadsheet (.ods)",
    "xls": "Excel 97-2003 workbook (.xls)",
    "csv": "CSV file",
    "html": "Web page (.html)",
}
# What each extension must hold, and what each kind of content is called in a message.
_EXPECTED = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".ods": "ods",
    ".xls": "xls",
    ".csv": "text",
    ".htm": "html",
    ".html": "html",
}
_PLAN_KINDS = {
    "xlsx": ("an Excel workbook", ".xlsx"),
    "ods": ("an OpenDocument spreadsheet", ".ods"),
    "xls": ("an Excel 97-2003 workbook", ".xls"),
    "html": ("a web page (HTML)", ".html"),
    "text": ("a text file (CSV)", ".csv"),
}


def read_source(data: bytes, *, filename: str) -> Source:
    """Read an uploaded file into sheets of cell values; raise NotReadable, with a message
    for the user, for a file that cannot be read (or not safely)."""
    name = PurePath(filename.replace("\\", "/")).name or "file"
    if len(data) > MAX_FILE_BYTES:
        raise NotReadable(
            f"This file is {len(data) / (1024 * 1024):.1f} MB; the largest file that can be "
            f"imported is {MAX_FILE_BYTES // (1024 * 1024)} MB. Remove pictures and other "
            "sheets from it, or split the plan into smaller files."
        )
    if not data.strip():
        raise NotReadable("This file is empty: import the file that holds the plan.")
    extension = PurePath(name).suffix.lower()
    kind, description = _sniff(data)
    if kind == "encrypted":
        raise password_protected()
    expected = _EXPECTED.get(extension)
    if expected is None:
        what = f'Files ending in "{extension}"' if extension else "Files with no extension"
        hint = ""
        if kind in _PLAN_KINDS:
            label, right = _PLAN_KINDS[kind]
            hint = f" This one is {label}: rename it to end in {right}."
        raise NotReadable(
            f"{what} cannot be imported. Save the plan as one of these: {ACCEPTED}.{hint}"
        )
    if kind == "damaged":
        raise Damaged(description)
    if kind != expected and not (expected == "html" and kind == "text"):
        raise _mismatch(name, extension, kind, description)
    if expected == "xlsx":
        sheets, file_format = xlsx.read(data, extension)
    elif expected in ("ods", "xls"):
        sheets, file_format = calamine.read(data, expected), expected
    elif expected == "text":
        sheets, file_format = [delimited.read(data, name)], "csv"
    else:
        sheets, file_format = [webpage.read(data)], "html"
    return Source(filename=name, file_format=FORMAT_LABELS[file_format], sheets=sheets)


def _mismatch(name: str, extension: str, kind: str, description: str) -> NotReadable:
    if kind in _PLAN_KINDS:
        label, right = _PLAN_KINDS[kind]
        return NotReadable(
            f'This file is named "{name}" but it is {label}, not what "{extension}" means. '
            f"Rename it to end in {right} and import it again, or open it and save it as an "
            "Excel workbook (.xlsx)."
        )
    return NotReadable(
        f"This file is {description}, not a spreadsheet or web page of a plan. Import the plan "
        f"itself, saved as one of these: {ACCEPTED}."
    )


# --- Telling what a file is -------------------------------------------------------------------

_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "a Rich Text document"),
    (b"\x1f\x8b", "a compressed (gzip) file"),
    (b"7z\xbc\xaf\x27\x1c", "a compressed (7-Zip) file"),
    (b"Rar!\x1a\x07", "a compressed (RAR) file"),
]
_HTML_TAG = re.compile(rb"<(!doctype\s+html|html|head|body|table)\b", re.I)


def _looks_like_html(head: bytes) -> bool:
    """Starts, after white space and comments, with a tag only a web page starts with."""
    text = head.lstrip()
    while text.startswith(b"<!--"):
        end = text.find(b"-->")
        if end < 0:
            return False
        text = text[end + 3 :].lstrip()
    return bool(_HTML_TAG.match(text))


def _sniff(data: bytes) -> tuple[str, str]:
    """What the content is, whatever the name says: (kind, description). Kinds: "xlsx",
    "ods", "xls", "html", "text", "encrypted", "damaged" and "other"."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data)
    if data.startswith(OLE_SIGNATURE):
        try:
            compound = CompoundFile(data)
        except Damaged as error:
            return "damaged", error.detail
        if compound.has("EncryptedPackage") or compound.has("EncryptionInfo"):
            return "encrypted", "a workbook protected with a password"
        if compound.has("Workbook") or compound.has("Book"):
            return "xls", "an Excel 97-2003 workbook"
        if compound.has("WordDocument"):
            return "other", "a Word document"
        if compound.has("PowerPoint Document"):
            return "other", "a PowerPoint presentation"
        if compound.flawed:
            return "damaged", BROKEN
        return "other", "an Office file of a kind that holds no spreadsheet"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "other", "a WebP image"
    for signature, description in _SIGNATURES:
        if data.startswith(signature):
            return "other", description
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    elif b"\0" in data[:65536]:
        return "other", "a binary file of an unknown kind"
    head = head.removeprefix(codecs.BOM_UTF8)
    if head.lstrip().startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in data[:65536]:
            return "other", "an Excel 2003 XML spreadsheet"
        if b"<html" not in head.lower():
            return "other", "an XML file"
        return "html", "a web page (HTML)"
    if _looks_like_html(head):
        return "html", "a web page (HTML)"
    return "text", "a text file"


_ODS_TYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def _sniff_zip(data: bytes) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = b""
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                mimetype = archive.read("mimetype").strip()
            manifest = "META-INF/manifest.xml"
            small = manifest in names and archive.getinfo(manifest).file_size < 1_000_000
            if not mimetype and small and _ODS_TYPE in archive.read(manifest):
                mimetype = _ODS_TYPE  # written without its mimetype member
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        return "damaged", f"its zip structure is broken: {error}"
    except (RuntimeError, NotImplementedError):
        return "damaged", "it is packed in a way that cannot be unpacked"
    if mimetype == _ODS_TYPE:
        return "ods", "an OpenDocument spreadsheet"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
        return "other", "an OpenDocument text document"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.presentation"):
        return "other", "an OpenDocument presentation"
    if "xl/workbook.bin" in names:
        return "other", "an Excel binary workbook (.xlsb)"
    if "[Content_Types].xml" in names:
        if any(name.startswith("xl/") for name in names):
            return "xlsx", "an Excel workbook"
        if any(name.startswith("word/") for name in names):
            return "other", "a Word document"
        if any(name.startswith("ppt/") for name in names):
            return "other", "a PowerPoint presentation"
    return "other", "a ZIP archive (unzip it and import the plan inside)"

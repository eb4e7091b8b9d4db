"""Limits and checks that stand between an uploaded file and the libraries that read it.

An action plan is a few hundred rows, yet a 20 KB file can be built to make a naive reader
unpack gigabytes, expand XML entities without end, or allocate a grid of a million rows.
Everything here runs before (or instead of) the part of a library that would do that, and
refuses with a `NotReadable` whose message tells the user what to do:

- `CheckedZip` opens a zip package (.xlsx, .xlsm, .ods) only if its members are few, unpack
  to at most `MAX_UNPACKED_BYTES` in all (counting what they really unpack to, not what they
  claim) and pass their CRC checks, and no member is XML with a document type declaration
  (the only way to declare entities; no spreadsheet part has one). The declaration is looked
  for with expat, which decodes UTF-16 as the parsers do; a member expat cannot read as XML
  is marked, and the readers refuse to parse it as XML.
- `stream_elements` parses one XML part with lxml (no entities resolved, no DTD, no network,
  libxml2's own size limits), yields the elements asked for as they end and drops everything
  else as it goes, so a part of millions of rows or stray elements is read in bounded memory.
- `CompoundFile` reads the directory and streams of an OLE2 file: an .xls holds a Workbook
  stream, a password-protected Office file holds EncryptionInfo and EncryptedPackage.
- `scan_xls_extent` and `scan_ods_extent` measure what calamine would allocate (it fills a
  dense grid from the first to the last value of each sheet, for every sheet at once) and
  refuse files whose grids would not fit in `MAX_GRID_CELLS`.
"""

from __future__ import annotations

import io
import re
import struct
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree
from openpyxl.utils import get_column_letter

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000  # rows holding a value, in the whole file
MAX_COLUMNS = 200  # no value may lie to the right of this column
MAX_CELLS = 500_000  # cells holding a value, in the whole file
MAX_UNPACKED_BYTES = 60 * 1024 * 1024  # all members of a zip package, unpacked
MAX_ZIP_MEMBERS = 2_000
MAX_PACKAGE_PART_BYTES = 2 * 1024 * 1024  # a part openpyxl parses whole into objects
MAX_MERGED = 50_000  # merged ranges in the whole file
MAX_GRID_CELLS = 1_500_000  # cells calamine may allocate for all sheets of a file together
MAX_ELEMENT_BYTES = 2 * 1024 * 1024  # markup of one row (or shared string) of an XML part
MAX_ELEMENT_CHILDREN = 16_384  # cells in one row
EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
CHUNK = 64 * 1024

AGAIN = "Open it in Excel or LibreOffice, save it again and import the new copy."


class NotReadable(Exception):
    """The file cannot be read; str(error) is a plain-words message for the user saying what
    is wrong and what to do."""


def damaged(detail: str) -> NotReadable:
    return NotReadable(f"This file is damaged and cannot be read ({detail}). {AGAIN}")


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


DOCTYPE_MESSAGE = (
    "This file holds XML with a document type declaration (DOCTYPE), which spreadsheets never "
    "contain: it cannot be read safely. Open it in Excel or LibreOffice, save it as a new "
    "file and import that."
)


# --- Zip packages --------------------------------------------------------------------------


class _PrologDone(Exception):
    pass


class _Doctype(Exception):
    pass


def _stop_at_element(*_args: object) -> None:
    raise _PrologDone


def _stop_at_doctype(*_args: object) -> None:
    raise _Doctype


class CheckedZip:
    """A zip package whose every member was unpacked once, within the limits, before any
    library reads it.

    `xml_members` holds the members that are XML without a DOCTYPE; `open` refuses any other
    member, so that no parser is handed a part whose encoding expat could not read (a DOCTYPE
    could hide there)."""

    def __init__(self, data: bytes) -> None:
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            members = self.archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
            raise damaged("its zip structure is broken") from error
        if len(members) > MAX_ZIP_MEMBERS:
            raise NotReadable(
                f"This file is made of more than {MAX_ZIP_MEMBERS:,} parts, far more than a "
                "spreadsheet of a plan holds: it cannot be imported. Save the plan's sheet in a "
                "new workbook and import that."
            )
        if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
            raise self._too_big()
        self.names = {member.filename for member in members}
        self.sizes = {member.filename: member.file_size for member in members}
        self.xml_members: set[str] = set()
        unpacked = 0
        for member in members:
            if member.is_dir():
                continue
            unpacked, is_xml = self._check_member(member, unpacked)
            if is_xml:
                self.xml_members.add(member.filename)

    @staticmethod
    def _too_big() -> NotReadable:
        return NotReadable(
            f"This file unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB, far more "
            "than a plan needs: it cannot be imported. Remove pictures and other sheets, or "
            "save only the plan's sheet in a new workbook, and import that."
        )

    def _check_member(self, member: zipfile.ZipInfo, unpacked: int) -> tuple[int, bool]:
        """Unpack one member in chunks, counting what it really unpacks to; look at the
        start of its XML (up to the first element) for a DOCTYPE."""
        parser = xml.parsers.expat.ParserCreate()
        parser.StartElementHandler = _stop_at_element
        parser.StartDoctypeDeclHandler = _stop_at_doctype
        prolog: bool | None = None  # True: XML, False: not XML, None: still reading
        try:
            with self.archive.open(member) as stream:
                while chunk := stream.read(CHUNK):
                    unpacked += len(chunk)
                    if unpacked > MAX_UNPACKED_BYTES:
                        raise self._too_big()
                    if prolog is None:
                        prolog = _feed_prolog(parser, chunk, final=False)
                if prolog is None:
                    prolog = _feed_prolog(parser, b"", final=True)
        except RuntimeError as error:  # a member encrypted with a zip password
            raise password_protected() from error
        except NotImplementedError as error:
            raise damaged("it is packed in a way that cannot be unpacked") from error
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
            raise damaged(f"the part {member.filename} is broken") from error
        return unpacked, bool(prolog)

    def open(self, name: str, *, largest: int | None = None) -> io.BufferedIOBase:
        """A member to parse as XML, if the check found it to be XML (and, for a part that
        will be parsed whole, no larger than `largest`)."""
        if name not in self.names:
            raise damaged(f"the part {name} is missing")
        if name not in self.xml_members:
            raise damaged(f"the part {name} is not XML")
        if largest is not None and self.sizes[name] > largest:
            raise damaged(f"the part {name} is far larger than any workbook's")
        return self.archive.open(name)


def _feed_prolog(parser: xml.parsers.expat.XMLParserType, chunk: bytes, *, final: bool):
    try:
        parser.Parse(chunk, final)
    except _PrologDone:
        return True
    except _Doctype as error:
        raise NotReadable(DOCTYPE_MESSAGE) from error
    except xml.parsers.expat.ExpatError:
        return False
    return False if final else None


# --- Streaming XML -----------------------------------------------------------------------------


def stream_elements(
    stream: io.BufferedIOBase, *, root: str, tags: tuple[str, ...], part: str
) -> Iterator[etree._Element]:
    """Yield each element named in `tags` when it ends, in document order, then clear it.

    Only the elements on the path being parsed and the last 64 KB of markup are held: after
    each chunk every finished element outside the open element of `tags` is dropped. An
    element of `tags` may not span more than MAX_ELEMENT_BYTES of markup or hold more than
    MAX_ELEMENT_CHILDREN children. The root must be `root`."""
    parser = etree.XMLPullParser(
        events=("start", "end"),
        tag=(root, *tags),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    top = held = None
    held_from = fed = 0
    finished = False
    while not finished:
        chunk = stream.read(CHUNK)
        fed += len(chunk)
        try:
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
                finished = True
            events = list(parser.read_events())
        except etree.XMLSyntaxError as error:
            raise damaged(f"the part {part} is not well-formed XML: {error.msg}") from error
        for event, element in events:
            if event == "start":
                if top is None:
                    if element.tag != root or element.getroottree().docinfo.doctype:
                        raise damaged(f"the part {part} is not what its name says")
                    top = element
                elif held is None:
                    held, held_from = element, fed
                continue
            if element is top:
                continue
            if element is held:
                held = None
            yield element
            element.clear()
        if top is None and fed > CHUNK * 16:
            raise damaged(f"the part {part} is not what its name says")
        if held is not None and (
            fed - held_from > MAX_ELEMENT_BYTES or len(held) > MAX_ELEMENT_CHILDREN
        ):
            raise NotReadable(
                f"The part {part} of this file holds a row (or text) larger than a spreadsheet "
                f"allows: it cannot be read. {AGAIN}"
            )
        _prune(top, held)


def _prune(node: etree._Element | None, held: etree._Element | None) -> None:
    """Drop every finished element outside `held`: all but the last child at every level of
    the path being parsed (the last child may still be open)."""
    while node is not None and node is not held:
        if len(node) > 1:
            del node[:-1]
        node = node[-1] if len(node) else None


# --- OLE2 compound files (.xls, password-protected Office files) ---------------------------

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFFFFFE
_NO_SECTOR = {0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC}


class CompoundFile:
    """The directory of an OLE2 compound file and a way to read one stream, every chain
    bounded by the file's own size (a loop in a chain is damage, not a hang)."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or not data.startswith(OLE_SIGNATURE):
            raise damaged("its Office file structure is broken")
        self.data = data
        shift, mini_shift = struct.unpack_from("<HH", data, 30)
        if shift not in (9, 12) or mini_shift != 6:
            raise damaged("its Office file structure is broken")
        self.size = 1 << shift
        self.sectors = len(data) // self.size
        (fat_count, first_directory, _, self.cutoff, first_minifat, _, first_difat, _) = (
            struct.unpack_from("<8I", data, 44)
        )
        fat_sectors = list(struct.unpack_from("<109I", data, 76))
        for sector in self._walk(first_difat, lambda sector: self._ints(sector)[-1]):
            fat_sectors += self._ints(sector)[:-1]
        fat: list[int] = []
        for sector in fat_sectors[:fat_count]:
            if sector not in _NO_SECTOR:
                fat += self._ints(sector)
        self.fat = fat
        directory = self._chain_bytes(first_directory, fat, self._sector)
        self.entries: dict[str, tuple[int, int, int]] = {}
        root = None
        for offset in range(0, len(directory) - 127, 128):
            name_size, kind = struct.unpack_from("<HB", directory, offset + 64)
            start, size = struct.unpack_from("<II", directory, offset + 116)
            if kind == 0 or not 2 <= name_size <= 64:
                continue
            name = directory[offset : offset + name_size - 2].decode("utf-16-le", "replace")
            if kind == 5 and root is None:
                root = (start, size)
            else:
                self.entries.setdefault(name, (kind, start, size))
        if root is None:
            raise damaged("its Office file structure is broken")
        self.minifat = [
            value
            for sector in self._walk(first_minifat, self._next)
            for value in self._ints(sector)
        ]
        self.root = root

    def _sector(self, index: int) -> bytes:
        start = (index + 1) * self.size
        if index in _NO_SECTOR or start >= len(self.data):
            raise damaged("its Office file structure is broken")
        return self.data[start : start + self.size]

    def _ints(self, index: int) -> list[int]:
        block = self._sector(index)
        return list(struct.unpack(f"<{len(block) // 4}I", block[: len(block) // 4 * 4]))

    def _next(self, index: int) -> int:
        if index >= len(self.fat):
            raise damaged("its Office file structure is broken")
        return self.fat[index]

    def _walk(self, start: int, following) -> Iterator[int]:
        steps = 0
        while start not in _NO_SECTOR:
            steps += 1
            if steps > self.sectors:
                raise damaged("its Office file structure is broken")
            yield start
            start = following(start)

    def _chain_bytes(self, start: int, table: list[int], read) -> bytes:
        steps, parts = 0, []
        while start != _END_OF_CHAIN:
            steps += 1
            if start >= len(table) or steps > len(table):
                raise damaged("its Office file structure is broken")
            parts.append(read(start))
            start = table[start]
        return b"".join(parts)

    def has(self, name: str) -> bool:
        return any(entry.lower() == name.lower() for entry in self.entries)

    def read(self, name: str) -> bytes:
        found = [entry for entry in self.entries if entry.lower() == name.lower()]
        if not found:
            raise damaged(f"its {name} stream is missing")
        _kind, start, size = self.entries[found[0]]
        if size < self.cutoff:
            mini = self._chain_bytes(self.root[0], self.fat, self._sector)

            def mini_sector(index: int) -> bytes:
                return mini[index * 64 : index * 64 + 64]

            data = self._chain_bytes(start, self.minifat, mini_sector)
        else:
            data = self._chain_bytes(start, self.fat, self._sector)
        if len(data) < size:
            raise damaged(f"its {name} stream is cut short")
        return data[:size]


# --- What calamine would allocate -----------------------------------------------------------


@dataclass
class SheetExtent:
    """Where the cells holding values of one sheet lie (0-based, as calamine counts), and its
    merged ranges (first row, first column, last row, last column)."""

    name: str
    first_row: int | None = None
    last_row: int = 0
    first_column: int | None = None
    last_column: int = 0
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)

    def add(self, row: int, column: int, rows: int, columns: int) -> None:
        if self.first_row is None or row < self.first_row:
            self.first_row = row
        if self.first_column is None or column < self.first_column:
            self.first_column = column
        self.last_row = max(self.last_row, row + rows - 1)
        self.last_column = max(self.last_column, column + columns - 1)

    @property
    def grid(self) -> int:
        """The cells of the rectangle from the first value to the last."""
        if self.first_row is None or self.first_column is None:
            return 0
        return (self.last_row - self.first_row + 1) * (self.last_column - self.first_column + 1)


@dataclass
class Extent:
    """The sheets of a file, scanned one after the other, and the totals the limits apply
    to."""

    sheets: list[SheetExtent] = field(default_factory=list)
    cells: int = 0
    merged: int = 0
    earlier_grids: int = 0

    def start_sheet(self, name: str) -> SheetExtent:
        if self.sheets:
            self.earlier_grids += self.sheets[-1].grid
        sheet = SheetExtent(name)
        self.sheets.append(sheet)
        return sheet

    def add(self, sheet: SheetExtent, row: int, column: int, rows: int = 1, columns: int = 1):
        """Cells holding values over rows x columns from (row, column), 0-based, in the sheet
        last started."""
        if row + rows > EXCEL_ROWS:
            raise beyond_excel(sheet.name, f"row {row + rows:,}")
        if column + columns > EXCEL_COLUMNS:
            raise beyond_excel(sheet.name, f"column {column + columns:,}")
        if column + columns > MAX_COLUMNS:
            raise value_beyond_columns(sheet.name, row + 1, max(column, MAX_COLUMNS))
        self.cells += rows * columns
        if self.cells > MAX_CELLS:
            raise too_many_cells()
        sheet.add(row, column, rows, columns)
        if self.earlier_grids + sheet.grid > MAX_GRID_CELLS:
            raise NotReadable(
                f'Sheet "{sheet.name}" has values spread from row {sheet.first_row + 1:,} to '
                f"row {sheet.last_row + 1:,}, more than can be read from this kind of file. "
                "Delete the stray values far from the plan, or save the workbook as an Excel "
                "workbook (.xlsx) and import that."
            )

    def add_merge(self, sheet: SheetExtent, area: tuple[int, int, int, int]) -> None:
        self.merged += 1
        if self.merged > MAX_MERGED:
            raise damaged(f"it has more than {MAX_MERGED:,} merged cells")
        sheet.merged.append(area)


# BIFF records that place one cell (row and column first; calamine keeps their values), and
# MULRK, which places a run of cells: row, first column, values, last column.
_CELL_RECORDS = {0x0006, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6, 0x00FD}
_FORMULA, _MULRK = 0x0006, 0x00BD
_BOF, _EOF, _BOUNDSHEET, _FILEPASS = 0x0809, 0x000A, 0x0085, 0x002F


def _records(stream: bytes, position: int) -> Iterator[tuple[int, bytes]]:
    while position + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, position)
        data = stream[position + 4 : position + 4 + size]
        if len(data) < size:
            raise damaged("a record of its Workbook stream is cut short")
        yield kind, data
        position += 4 + size


def _boundsheets(stream: bytes) -> list[tuple[str, int]]:
    """(name, offset) of each worksheet and macro sheet named in the workbook globals."""
    sheets, biff8 = [], True
    for kind, data in _records(stream, 0):
        if kind == _BOF and len(data) >= 2:
            biff8 = struct.unpack_from("<H", data)[0] >= 0x0600
        elif kind == _FILEPASS:
            raise password_protected()
        elif kind == _BOUNDSHEET and len(data) >= 7:
            offset, _state, sheet_type, length = struct.unpack_from("<IBBB", data)
            if biff8 and len(data) >= 8 and data[7] & 1:
                name = data[8 : 8 + 2 * length].decode("utf-16-le", "replace")
            else:
                name = data[8 if biff8 else 7 :][:length].decode("latin-1")
            if sheet_type in (0, 1):
                sheets.append((name, offset))
        elif kind == _EOF:
            break
    return sheets


def scan_xls_extent(stream: bytes) -> Extent:
    """Where the values of each sheet of a BIFF (Excel 97-2003) Workbook stream lie. Calamine
    keeps the formulas of a sheet in a grid of their own, counted as a sheet here."""
    extent = Extent()
    scanned = 0  # sheets never overlap: each byte of the stream is scanned once at most
    for name, offset in _boundsheets(stream):
        sheet = extent.start_sheet(name)
        formulas: list[tuple[int, int]] = []
        depth = 0
        for kind, data in _records(stream, offset):
            scanned += 4 + len(data)
            if scanned > len(stream):
                raise damaged("its sheets overlap one another")
            if kind == _BOF:
                depth += 1
            elif kind == _EOF:
                depth -= 1
                if depth <= 0:
                    break
            elif depth == 1 and kind in _CELL_RECORDS and len(data) >= 4:
                row, column = struct.unpack_from("<HH", data)
                extent.add(sheet, row, column)
                if kind == _FORMULA:
                    formulas.append((row, column))
            elif depth == 1 and kind == _MULRK and len(data) >= 6:
                row, first = struct.unpack_from("<HH", data)
                (last,) = struct.unpack_from("<H", data, len(data) - 2)
                if last >= first:
                    extent.add(sheet, row, first, 1, last - first + 1)
        if formulas:
            grid = extent.start_sheet(name)
            for row, column in formulas:
                extent.add(grid, row, column)
    return extent


_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE = f"{{{_TABLE_NS}}}table"
_ROW = f"{{{_TABLE_NS}}}table-row"
_CELLS = {f"{{{_TABLE_NS}}}table-cell", f"{{{_TABLE_NS}}}covered-table-cell"}
_VALUE_TYPE = f"{{{_OFFICE_NS}}}value-type"
_COUNT = re.compile(r"[1-9][0-9]{0,9}\Z")


def _count(element: etree._Element, attribute: str, sheet: str) -> int:
    value = element.get(f"{{{_TABLE_NS}}}{attribute}")
    if value is None:
        return 1
    if not _COUNT.match(value):
        raise damaged(f'sheet "{sheet}" repeats or spans a cell "{value}" times')
    return int(value)


def scan_ods_extent(archive: CheckedZip) -> Extent:
    """Where the values of each table of an OpenDocument spreadsheet lie, with repeated rows
    and cells counted as calamine expands them, and its merged cells."""
    extent = Extent()
    table = sheet = None
    row = rows_with_values = 0
    with archive.open("content.xml") as stream:
        for element in stream_elements(
            stream,
            root=f"{{{_OFFICE_NS}}}document-content",
            tags=(_ROW,),
            part="content.xml",
        ):
            owner = element.getparent()
            while owner is not None and owner.tag != _TABLE:
                owner = owner.getparent()
            if owner is None:
                continue
            if owner is not table:
                table, row = owner, 0
                sheet = extent.start_sheet(owner.get(f"{{{_TABLE_NS}}}name", ""))
            repeat = _count(element, "number-rows-repeated", sheet.name)
            column, filled = 0, False
            for cell in element:
                if cell.tag not in _CELLS:
                    continue
                columns = _count(cell, "number-columns-repeated", sheet.name)
                if cell.get(_VALUE_TYPE) is not None or len(cell):
                    extent.add(sheet, row, column, repeat, columns)
                    filled = True
                rows_spanned = _count(cell, "number-rows-spanned", sheet.name)
                columns_spanned = _count(cell, "number-columns-spanned", sheet.name)
                if (rows_spanned, columns_spanned) != (1, 1):
                    extent.add_merge(
                        sheet, (row, column, row + rows_spanned - 1, column + columns_spanned - 1)
                    )
                column += columns
                if column > EXCEL_COLUMNS:
                    raise beyond_excel(sheet.name, f"column {column:,}")
            row += repeat
            if row > EXCEL_ROWS:
                raise beyond_excel(sheet.name, f"row {row:,}")
            if filled:
                rows_with_values += repeat
                if rows_with_values > MAX_ROWS:
                    raise too_many_rows()
    return extent

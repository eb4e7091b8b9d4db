"""Files for the import tests and the import benchmark, built in memory.

Normal files (an .xlsx written by openpyxl, a minimal .ods and a minimal .xls) and hostile
ones: each hostile builder returns the bytes of a small file made to exhaust a server that
reads it naively. `HOSTILE` lists them with the file name each is uploaded under; the tests
and `tests/bench/bench_import_hostile.py` both use it.

The .ods and .xls writers are test data only: they write the few records a reader needs
(OpenDocument's content.xml in a zip; Excel 97's BIFF8 records in an OLE2 compound file), not
a general writer.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from xml.sax.saxutils import escape, quoteattr

import olefile
import openpyxl

SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# --- OOXML -----------------------------------------------------------------------------------


def xlsx_from_rows(
    rows: Iterable[Iterable[object]], *, title: str = "Plan", macro: bool = False
) -> bytes:
    """A workbook of one sheet written by openpyxl."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    return xlsm_from_xlsx(data) if macro else data


def xlsm_from_xlsx(data: bytes) -> bytes:
    """The same workbook declared macro-enabled, as Excel saves an .xlsm."""
    parts = read_zip(data)
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    return write_zip(parts)


def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(parts: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(stored_first, parts[stored_first], zipfile.ZIP_STORED)
        for name, content in parts.items():
            if name != stored_first:
                archive.writestr(name, content)
    return buffer.getvalue()


def xlsx_with_sheets(sheets: dict[str, str], *, shared_strings: str | None = None) -> bytes:
    """A workbook whose worksheets' XML (the body inside <worksheet>) is given as text."""
    names = list(sheets)
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(names) + 1)
        )
        + (
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            if shared_strings is not None
            else ""
        )
        + "</Types>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{SHEET_NS}" '
        f'xmlns:r="{REL_NS}"><sheets>'
        + "".join(
            f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>'
            for i, name in enumerate(names, start=1)
        )
        + "</sheets></workbook>"
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(names) + 1)
        )
        + (
            f'<Relationship Id="rId{len(names) + 1}" Type="{REL_NS}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
            if shared_strings is not None
            else ""
        )
        + "</Relationships>"
    )
    parts = {
        "[Content_Types].xml": content_types.encode(),
        "_rels/.rels": root_rels.encode(),
        "xl/workbook.xml": workbook.encode(),
        "xl/_rels/workbook.xml.rels": workbook_rels.encode(),
    }
    for i, body in enumerate(sheets.values(), start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{SHEET_NS}">{body}'
            "</worksheet>"
        ).encode()
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings.encode()
    return write_zip(parts)


def sheet_xml(rows: dict[int, dict[str, str]], *, dimension: str = "") -> str:
    """<sheetData> of inline-string cells: {row number: {column letters: text}}."""
    body = f'<dimension ref="{dimension}"/>' if dimension else ""
    body += "<sheetData>"
    for number, cells in rows.items():
        body += f'<row r="{number}">'
        for letters, text in cells.items():
            body += f'<c r="{letters}{number}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'
        body += "</row>"
    return body + "</sheetData>"


# --- OpenDocument spreadsheet -------------------------------------------------------------

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def ods_cell(value: object, *, columns_spanned: int = 0, repeated: int = 0) -> str:
    """One <table:table-cell> for a value (None: an empty cell)."""
    attributes = ""
    if columns_spanned:
        attributes += f' table:number-columns-spanned="{columns_spanned}"'
    if repeated:
        attributes += f' table:number-columns-repeated="{repeated}"'
    if value is None:
        return f"<table:table-cell{attributes}/>"
    if isinstance(value, bool):
        kind = f'office:value-type="boolean" office:boolean-value="{str(value).lower()}"'
    elif isinstance(value, int | float):
        kind = f'office:value-type="float" office:value="{value}"'
    elif isinstance(value, dt.date):
        kind = f'office:value-type="date" office:date-value="{value.isoformat()}"'
    else:
        kind = 'office:value-type="string"'
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in str(value).split("\n"))
    return f"<table:table-cell {kind}{attributes}>{paragraphs}</table:table-cell>"


def ods_from_tables(tables: dict[str, str], *, doctype: str = "") -> bytes:
    """An .ods whose tables' rows (the XML inside each <table:table>) are given as text."""
    body = "".join(
        f"<table:table table:name={quoteattr(name)}>{rows}</table:table>"
        for name, rows in tables.items()
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<office:document-content '
        f'{ODS_NAMESPACES} office:version="1.2"><office:body><office:spreadsheet>{body}'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
        'names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.'
        'oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml"'
        ' manifest:media-type="text/xml"/></manifest:manifest>'
    )
    parts = {
        "mimetype": ODS_MIMETYPE,
        "META-INF/manifest.xml": manifest.encode(),
        "content.xml": content.encode(),
    }
    return write_zip(parts, stored_first="mimetype")


def ods_rows(rows: Iterable[Iterable[object]]) -> str:
    return "".join(
        "<table:table-row>" + "".join(ods_cell(value) for value in row) + "</table:table-row>"
        for row in rows
    )


# --- OLE2 compound file and Excel 97-2003 (BIFF8) -----------------------------------------

_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_SECTOR = 512


def _chain(start: int, count: int) -> list[int]:
    return [*range(start + 1, start + count), _END] if count else []


def compound_file(streams: dict[str, bytes], *, pad: bool = True) -> bytes:
    """An OLE2 compound file (version 3) holding the given streams in its root storage.

    With `pad`, every stream is padded to 4,096 bytes and so kept in sectors of its own;
    without, streams under 4,096 bytes go to the mini stream, as small streams must."""
    if pad:
        streams = {name: data.ljust(4096, b"\0") for name, data in streams.items()}
    # Siblings are kept in the compound file's order: shorter names first, then by capitals.
    names = sorted(streams, key=lambda name: (len(name), name.upper()))
    small = [name for name in names if len(streams[name]) < 4096]
    minifat: list[int] = []
    mini = bytearray()
    mini_start: dict[str, int] = {}
    for name in small:
        count = -(-len(streams[name]) // 64)
        mini_start[name] = len(minifat) if count else _END
        minifat += _chain(len(minifat), count)
        mini += streams[name].ljust(count * 64, b"\0")
    minifat_sectors = -(-len(minifat) * 4 // _SECTOR)
    mini_sectors = -(-len(mini) // _SECTOR)
    directory_sectors = -(-(len(names) + 1) // 4)
    big = [name for name in names if len(streams[name]) >= 4096]
    big_sectors = [-(-len(streams[name]) // _SECTOR) for name in big]
    used = directory_sectors + minifat_sectors + mini_sectors + sum(big_sectors)
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + used:
        fat_sectors += 1
    fat = [_FAT] * fat_sectors
    first_directory = len(fat)
    fat += _chain(len(fat), directory_sectors)
    first_minifat = len(fat) if minifat_sectors else _END
    fat += _chain(len(fat), minifat_sectors)
    first_mini = len(fat) if mini_sectors else _END
    fat += _chain(len(fat), mini_sectors)
    entries = [("Root Entry", 5, first_mini, len(mini))]
    starts = {}
    for name, count in zip(big, big_sectors, strict=True):
        starts[name] = len(fat)
        fat += _chain(len(fat), count)
    entries += [
        (name, 2, mini_start[name] if name in mini_start else starts[name], len(streams[name]))
        for name in names
    ]
    fat += [_FREE] * (fat_sectors * 128 - len(fat))

    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack(
        "<IIIIIIII", 0, fat_sectors, first_directory, 0, 4096, first_minifat, minifat_sectors, _END
    )
    header += struct.pack("<I", 0)  # DIFAT sector count
    difat = list(range(fat_sectors)) + [_FREE] * (109 - fat_sectors)
    header = header[:76] + struct.pack("<109I", *difat)

    # The streams as a balanced tree in the compound file's order: the root's child is the
    # middle one, each entry's left and right siblings the middles of the halves beside it.
    siblings: dict[int, tuple[int, int]] = {}

    def subtree(first: int, last: int) -> int:
        if first > last:
            return _FREE
        middle = (first + last) // 2
        siblings[middle] = (subtree(first, middle - 1), subtree(middle + 1, last))
        return middle

    top = subtree(1, len(entries) - 1)
    directory = bytearray()
    for index, (name, kind, start, size) in enumerate(entries):
        encoded = name.encode("utf-16-le") + b"\0\0"
        left, right = siblings.get(index, (_FREE, _FREE))
        child = top if index == 0 else _FREE
        directory += encoded.ljust(64, b"\0") + struct.pack(
            "<HBBIII", len(encoded), kind, 1, left, right, child
        )
        directory += b"\0" * 16 + b"\0" * 4 + b"\0" * 16
        directory += struct.pack("<II", start, size) + b"\0" * 4
    unused = b"\0" * 68 + struct.pack("<III", _FREE, _FREE, _FREE) + b"\0" * 48
    directory += unused * (directory_sectors * 4 - len(entries))

    def sectors(data: bytes) -> bytes:
        return data.ljust(-(-len(data) // _SECTOR) * _SECTOR, b"\0")

    body = struct.pack(f"<{len(fat)}I", *fat) + directory
    body += sectors(struct.pack(f"<{len(minifat)}I", *minifat)) + sectors(mini)
    for name in big:
        body += sectors(streams[name])
    return header + body


def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))


def xls_from_sheets(
    sheets: dict[str, dict[tuple[int, int], object]],
    *,
    merged: dict[str, list[tuple[int, int, int, int]]] | None = None,
    hidden: Iterable[str] = (),
    pad: bool = True,
    copies: int = 1,
    streams: dict[str, bytes] | None = None,
) -> bytes:
    """An Excel 97-2003 workbook: {sheet name: {(row, column) 0-based: value}}.

    Strings go to the shared string table, numbers to NUMBER records, booleans to BOOLERR,
    dates to NUMBER records with a date format; merged: {sheet: [(first row, last row,
    first column, last column)]}. With `copies`, each sheet is listed that many times in the
    workbook, every copy pointing at the same records; `streams` are held beside the
    Workbook stream."""
    merged = merged or {}
    hidden = set(hidden)
    strings: list[str] = []
    for cells in sheets.values():
        for value in cells.values():
            if isinstance(value, str) and value not in strings:
                strings.append(value)
    sst = struct.pack("<II", len(strings), len(strings))
    for text in strings:
        sst += struct.pack("<HB", len(text), 1) + text.encode("utf-16-le")
    assert len(sst) <= 8224, "the test writer keeps the string table in one record"

    font = struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0) + bytes([5, 1])
    font += "Arial".encode("utf-16-le")

    def xf(number_format: int, style: bool) -> bytes:
        flags = 0xFFF5 if style else 0x0001
        return _record(0x00E0, struct.pack("<HHH", 0, number_format, flags) + b"\0" * 14)

    # Fifteen style formats and the normal cell format, then a date cell format (index 16).
    formats = b"".join(xf(0, True) for _ in range(15)) + xf(0, False) + xf(14, False)
    globals_head = (
        _bof(0x0005) + _record(0x0042, struct.pack("<H", 1200)) + _record(0x0031, font) * 5
    )
    globals_head += formats
    suffix = 4 if copies > 1 else 0  # each copy's name ends in its number
    boundsheet_sizes = [(4 + 8 + 2 * (len(name) + suffix)) * copies for name in sheets]
    globals_tail = _record(0x00FC, sst) + _record(0x000A)
    offset = len(globals_head) + sum(boundsheet_sizes) + len(globals_tail)

    sheet_streams = []
    for name, cells in sheets.items():
        body = _bof(0x0010)
        rows = [row for row, _ in cells] or [0]
        columns = [column for _, column in cells] or [0]
        body += _record(
            0x0200,
            struct.pack("<IIHHH", min(rows), max(rows) + 1, min(columns), max(columns) + 1, 0),
        )
        for (row, column), value in sorted(cells.items()):
            if isinstance(value, bool):
                body += _record(0x0205, struct.pack("<HHHBB", row, column, 15, int(value), 0))
            elif isinstance(value, int | float):
                body += _record(0x0203, struct.pack("<HHHd", row, column, 15, float(value)))
            elif isinstance(value, dt.date):
                serial = (value - dt.date(1899, 12, 30)).days
                body += _record(0x0203, struct.pack("<HHHd", row, column, 16, float(serial)))
            else:
                body += _record(0x00FD, struct.pack("<HHHI", row, column, 15, strings.index(value)))
        ranges = merged.get(name, [])
        if ranges:
            body += _record(
                0x00E5,
                struct.pack("<H", len(ranges))
                + b"".join(struct.pack("<HHHH", *area) for area in ranges),
            )
        body += _record(0x000A)
        sheet_streams.append(body)

    boundsheets = b""
    for name, body in zip(sheets, sheet_streams, strict=True):
        state = 1 if name in hidden else 0
        for copy in range(copies):
            label = f"{name}{copy:04d}" if copies > 1 else name
            boundsheets += _record(
                0x0085,
                struct.pack("<IBBBB", offset, state, 0, len(label), 1) + label.encode("utf-16-le"),
            )
        offset += len(body)
    stream = globals_head + boundsheets + globals_tail + b"".join(sheet_streams)
    return compound_file({"Workbook": stream, **(streams or {})}, pad=pad)


# --- Hostile files ----------------------------------------------------------------------------


def _deflated_member(chunks: Callable[[], Iterable[bytes]]) -> tuple[bytes, int, int]:
    """A deflated member written chunk by chunk: (data, CRC, unpacked size), without ever
    holding the unpacked bytes. Each chunk ends with a full flush, so a chunk that comes
    again packs to the same bytes and is packed only once: a gigabyte takes a second."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed: dict[bytes, bytes] = {}
    crc, size, data = 0, 0, bytearray()
    for chunk in chunks():
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
        if chunk not in packed:
            packed[chunk] = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
        data += packed[chunk]
    data += compressor.flush()
    return bytes(data), crc, size


def zip_from_members(
    members: list[tuple[str, Callable[[], Iterable[bytes]]]],
    *,
    declared_sizes: dict[str, int] | None = None,
) -> bytes:
    """A zip archive of deflated members given as chunk generators (so a member can unpack to
    gigabytes without being held in memory); declared_sizes, {member: size}, are written as
    those members' unpacked sizes instead of the true ones."""
    declared_sizes = declared_sizes or {}
    local, central = bytearray(), bytearray()
    for name, chunks in members:
        data, crc, size = _deflated_member(chunks)
        encoded = name.encode()
        size = declared_sizes.get(name, size)
        size32 = min(size, 0xFFFFFFFF)
        offset = len(local)
        local += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size32, len(encoded), 0
        )
        local += encoded + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(data),
            size32,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += encoded
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(local), 0
    )
    return bytes(local + central + end)


def _fixed(text: str) -> Callable[[], Iterable[bytes]]:
    return lambda: [text.encode()]


def _xlsx_parts_with(part: str, content: Callable[[], Iterable[bytes]]) -> list:
    """The parts of a small valid workbook, one of them replaced."""
    normal = read_zip(xlsx_from_rows([["Recommendation", "Status"], ["7", "Open"]]))
    members = [(name, (lambda data=data: [data])) for name, data in normal.items()]
    names = [name for name, _ in members]
    if part in names:
        members[names.index(part)] = (part, content)
    else:
        members.append((part, content))
    return members


def billion_laughs(root: str = "worksheet", namespace: str = SHEET_NS) -> str:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE {root} [{entities}]>'
        f'<{root} xmlns="{namespace}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        f"&lol9;</t></is></c></row></sheetData></{root}>"
    )


def quadratic_blowup(
    root: str = "worksheet", namespace: str = SHEET_NS, *, references: int = 20_000
) -> Callable[[], Iterable[bytes]]:
    """One 50 KB entity referenced thousands of times, after enough padding that the
    expansion stays within the parsers' amplification limits."""

    def chunks() -> Iterable[bytes]:
        yield (
            f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY big "{"x" * 50_000}">]>'
            f'<{root} xmlns="{namespace}"><sheetData>'
        ).encode()
        # 20 MB of padding: 1 GB of expansion stays within expat's factor of 100.
        padding = ("<row/>" + " " * 10_000).encode()
        for _ in range(2_000):
            yield padding
        yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>'
        yield b"&big;" * references
        yield f"</t></is></c></row></sheetData></{root}>".encode()

    return chunks


def hostile_billion_laughs_xlsx(part: str = "xl/worksheets/sheet1.xml") -> bytes:
    return zip_from_members(_xlsx_parts_with(part, _fixed(billion_laughs())))


def hostile_quadratic_xlsx(part: str = "xl/worksheets/sheet1.xml") -> bytes:
    return zip_from_members(_xlsx_parts_with(part, quadratic_blowup()))


def hostile_utf16_doctype_xlsx() -> bytes:
    """The billion laughs in UTF-16, where a search for b"<!DOCTYPE" finds nothing."""
    text = billion_laughs().replace(
        '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>'
    )
    data = b"\xff\xfe" + text.encode("utf-16-le")
    return zip_from_members(_xlsx_parts_with("xl/workbook.xml", lambda: [data]))


def hostile_billion_laughs_ods() -> bytes:
    entities = billion_laughs().split("[", 1)[1].split("]", 1)[0]
    return ods_from_tables(
        {"Plan": "<table:table-row>" + ods_cell("&lol9;") + "</table:table-row>"},
        doctype=f"<!DOCTYPE office:document-content [{entities}]>",
    ).replace(b"&amp;lol9;", b"&lol9;")


def hostile_quadratic_ods() -> bytes:
    content = quadratic_blowup(
        "office:document-content", "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    )
    return zip_from_members(
        [
            ("mimetype", lambda: [ODS_MIMETYPE]),
            (
                "META-INF/manifest.xml",
                _fixed(
                    '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:'
                    'names:tc:opendocument:xmlns:manifest:1.0"/>'
                ),
            ),
            ("content.xml", content),
        ]
    )


def hostile_zip_bomb_xlsx(gigabytes: float = 2) -> bytes:
    """A sheet part that unpacks to gigabytes of blank space (a few MB packed)."""
    block = b" " * (1 << 20)

    def chunks() -> Iterable[bytes]:
        yield f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData>'.encode()
        for _ in range(int(gigabytes * 1024)):
            yield block
        yield b"</sheetData></worksheet>"

    return zip_from_members(_xlsx_parts_with("xl/worksheets/sheet1.xml", chunks))


def hostile_lying_sizes_xlsx() -> bytes:
    """The sheet claims to unpack to 1 KB; it really unpacks to 1 GB."""
    block = b" " * (1 << 20)

    def chunks() -> Iterable[bytes]:
        yield f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData>'.encode()
        for _ in range(1024):
            yield block
        yield b"</sheetData></worksheet>"

    sheet = "xl/worksheets/sheet1.xml"
    return zip_from_members(_xlsx_parts_with(sheet, chunks), declared_sizes={sheet: 1024})


def hostile_many_members_xlsx(count: int = 30_000) -> bytes:
    members = _xlsx_parts_with("xl/worksheets/sheet1.xml", _fixed(sheet_xml({1: {"A": "x"}})))
    members += [(f"xl/media/{index}.bin", lambda: [b""]) for index in range(count)]
    return zip_from_members(members)


def hostile_sparse_rows_xlsx(sheets: int = 8) -> bytes:
    """Sheets whose few rows are spread over a million row numbers, each declaring the whole
    grid as its used range."""
    rows = {1: {"A": "Recommendation", "B": "Status"}, 2: {"A": "7", "B": "Open"}}
    rows.update({n: {"C": f"row {n}"} for n in range(100_000, 1_048_577, 100_000)})
    rows[1_048_576] = {"C": "last row"}
    body = sheet_xml(rows, dimension="A1:XFD1048576")
    return xlsx_with_sheets({f"Sheet {i}": body for i in range(1, sheets + 1)})


def hostile_sheet_listed_again_xlsx(copies: int = 1_000) -> bytes:
    """A workbook listing one 4 MB sheet a thousand times under different names."""
    body = sheet_xml({n: {"A": "x" * 200} for n in range(1, 20_001)})
    data = xlsx_with_sheets({"Plan": body})
    parts = read_zip(data)
    sheets = "".join(
        f'<sheet name="Copy {n}" sheetId="{n + 1}" r:id="rId1"/>' for n in range(copies)
    )
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"</sheets>", sheets.encode() + b"</sheets>"
    )
    return write_zip(parts)


def hostile_huge_workbook_part_xlsx() -> bytes:
    """A workbook part of 200,000 sheet entries (10 MB) for openpyxl to make objects of."""
    parts = read_zip(xlsx_with_sheets({"Plan": sheet_xml({1: {"A": "x"}})}))
    sheets = "".join(f'<sheet name="S{n}" sheetId="{n + 2}" r:id="rId1"/>' for n in range(200_000))
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"</sheets>", sheets.encode() + b"</sheets>"
    )
    return write_zip(parts)


def hostile_row_beyond_limit_xlsx() -> bytes:
    return xlsx_with_sheets({"Plan": sheet_xml({1: {"A": "x"}, 1_048_577: {"A": "too far"}})})


def hostile_column_beyond_limit_xlsx() -> bytes:
    return xlsx_with_sheets({"Plan": sheet_xml({1: {"A": "x", "XFE": "too far"}})})


def hostile_bad_row_reference_xlsx() -> bytes:
    body = sheet_xml({1: {"A": "x"}}).replace('<row r="1">', '<row r="x1">')
    return xlsx_with_sheets({"Plan": body})


def hostile_bad_cell_reference_xlsx() -> bytes:
    return xlsx_with_sheets({"Plan": sheet_xml({1: {"A": "x"}}).replace('r="A1"', 'r="1A"')})


def workbook_stream(data: bytes) -> bytes:
    """The Workbook stream of an .xls."""
    with olefile.OleFileIO(io.BytesIO(data)) as compound:
        return compound.openstream("Workbook").read()


def _patched(data: bytes, offset: int, layout: str, *values: object) -> bytes:
    patched = bytearray(data)
    struct.pack_into(layout, patched, offset, *values)
    return bytes(patched)


def _entry(data: bytes, index: int) -> int:
    """Where a directory entry of a file from `compound_file` starts (its directory's
    sectors follow one another)."""
    (first_directory,) = struct.unpack_from("<I", data, 48)
    return _SECTOR * (first_directory + 1) + 128 * index


def _fat_entry(sector: int) -> int:
    """Where the FAT of a file from `compound_file` (FAT first) holds a sector's next."""
    return _SECTOR + 4 * sector


def damaged_compound_files() -> dict[str, bytes]:
    """Excel 97-2003 workbooks damaged in their OLE2 structure, each where one of the
    readers would go astray: {what is wrong: the file}."""
    plain = xls_from_sheets({"Plan": {(0, 0): "Rec", (1, 0): 7}})
    small = xls_from_sheets({"Plan": {(0, 0): "Rec", (1, 0): 7}}, pad=False)
    both = compound_file({"Workbook": workbook_stream(plain), "Note": b"x"}, pad=False)
    (workbook_start,) = struct.unpack_from("<I", plain, _entry(plain, 1) + 116)
    (first_directory,) = struct.unpack_from("<I", plain, 48)
    (first_minifat,) = struct.unpack_from("<I", both, 60)
    nested = compound_file({f"Note{number:04d}": b"x" for number in range(1_500)}, pad=False)
    for index in range(1, 1_501):  # each entry the right sibling of the one before
        right = index + 1 if index < 1_500 else _FREE
        nested = _patched(nested, _entry(nested, index) + 68, "<II", _FREE, right)
    nested = _patched(nested, _entry(nested, 0) + 76, "<I", 1)
    # A clean Book in the tree, and an entry outside it named Workbook whose cells lie at
    # far corners: calamine reads the Workbook.
    far = workbook_stream(hostile_far_corners_xls())
    hidden = compound_file({"Book": workbook_stream(plain), "Wxrkbook": far})
    hidden = _patched(hidden, _entry(hidden, 1) + 72, "<I", _FREE)
    hidden = _patched(hidden, _entry(hidden, 2), "16s", "Workbook".encode("utf-16-le"))
    return {
        "cut short": plain[:-600],
        "a header claiming a DIFAT": _patched(plain, 72, "<I", 1),
        "a Workbook chain going round a loop": _patched(
            plain, _fat_entry(workbook_start), "<I", workbook_start
        ),
        "a directory chain going round a loop": _patched(
            plain, _fat_entry(first_directory), "<I", first_directory
        ),
        "a mini FAT chain going round a loop, 4 billion sectors long": _patched(
            _patched(both, _fat_entry(first_minifat), "<I", first_minifat),
            64,
            "<I",
            0xFFFFFFF0,
        ),
        "a Workbook in the mini stream, and no mini FAT": _patched(small, 64, "<I", 0),
        "a directory tree nested 1,500 deep": nested,
        "a Workbook entry outside the directory tree": hidden,
    }


def xls_sheet_beyond_its_stream() -> bytes:
    """An .xls whose sheet is placed beyond the end of its Workbook stream."""
    stream = bytearray(workbook_stream(xls_from_sheets({"Plan": {(0, 0): "x"}})))
    boundsheet = stream.index(struct.pack("<H", 0x0085))
    struct.pack_into("<I", stream, boundsheet + 4, 1_704_565)
    return compound_file({"Workbook": bytes(stream)})


def encrypted_office_file() -> bytes:
    """What Excel saves for a workbook with a password: an OLE2 compound file holding the
    encrypted package, not a zip."""
    return compound_file(
        {
            "EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"\0" * 200,
            "EncryptedPackage": struct.pack("<Q", 9000) + bytes(range(256)) * 40,
        }
    )


def png_image() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0"))
        + chunk(b"IEND", b"")
    )


def hostile_huge_repeat_ods() -> bytes:
    """One non-empty cell repeated over the whole grid (16,384 x 1,048,576)."""
    row = (
        '<table:table-row table:number-rows-repeated="1048576">'
        + ods_cell("x", repeated=16384)
        + "</table:table-row>"
    )
    return ods_from_tables({"Plan": row})


def hostile_spread_ods() -> bytes:
    """Two values 400,000 rows and 150 columns apart, empty rows repeated between them:
    calamine would fill the 60 million cells of the rectangle between them (about 4 GB)."""
    gap = (
        '<table:table-row table:number-rows-repeated="400000"><table:table-cell/></table:table-row>'
    )
    rows = (
        f"<table:table-row>{ods_cell('top')}</table:table-row>{gap}<table:table-row>"
        f"{ods_cell(None, repeated=150)}{ods_cell('far')}</table:table-row>"
    )
    return ods_from_tables({"Plan": rows})


def hostile_overlapping_sheets_xls() -> bytes:
    """One sheet of 40,000 numbers listed as 5,000 sheets: each would be read again."""
    cells = {(row, column): row for row in range(20_000) for column in range(2)}
    return xls_from_sheets({"Plan": cells}, copies=5_000)


def hostile_far_corners_xls() -> bytes:
    """Two cells far apart in an Excel 97 sheet: the first and last rows, 150 columns apart
    (calamine would fill a grid of ten million cells between them)."""
    return xls_from_sheets({"Plan": {(0, 0): "top left", (65535, 150): "bottom right"}})


def hostile_many_streams_xls(count: int = 20_000) -> bytes:
    """A workbook holding 20,000 small streams beside its Workbook stream (4 MB): reading its
    directory, olefile checks each stream against every one before it."""
    streams = {f"Note{number:05d}": b"x" for number in range(count)}
    return xls_from_sheets({"Plan": {(0, 0): "x"}}, pad=False, streams=streams)


def oversized_csv(size: int = 5 * 1024 * 1024 + 1) -> bytes:
    line = b"7,Open,Some text of an action plan\n"
    return (line * (size // len(line) + 1))[:size]


def hostile_dense_values_ods() -> bytes:
    """A value repeated over 20,000 rows and 25 columns: 500,000 cells, the most a file may
    hold, in 1 KB."""
    row = '<table:table-row table:number-rows-repeated="20000">'
    return ods_from_tables(
        {"Plan": row + ods_cell("text of a plan", repeated=25) + "</table:table-row>"}
    )


def normal_workbook(rows: int = 10_000) -> bytes:
    """A plan of `rows` recommendations as a force would keep it: numbers, long texts, an
    owner, a due date and a status."""
    words = ["review", "training", "provision", "stalking", "victims", "officers", "staff"]
    header = ["Rec No.", "Recommendation", "Owner", "Due", "Status", "Update"]
    return xlsx_from_rows(
        [header]
        + [
            [
                n,
                " ".join(words[(n + i) % len(words)] for i in range(40)),
                f"D/Supt Owner {n % 37}",
                dt.date(2026, 1 + n % 12, 1 + n % 28),
                ["Open", "Complete", "Off track"][n % 3],
                " ".join(words[(n * 3 + i) % len(words)] for i in range(60)),
            ]
            for n in range(1, rows + 1)
        ]
    )


def hostile_million_empty_rows_xlsx() -> bytes:
    """Every row of the sheet written out, empty, and one value at the end."""

    def chunks() -> Iterable[bytes]:
        yield f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData>'.encode()
        for start in range(1, 1_048_576, 4096):
            stop = min(start + 4096, 1_048_576)
            yield "".join(f'<row r="{n}"/>' for n in range(start, stop)).encode()
        yield b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>last</t></is></c></row>'
        yield b"</sheetData></worksheet>"

    return zip_from_members(_xlsx_parts_with("xl/worksheets/sheet1.xml", chunks))


def hostile_blank_cells_xlsx(rows: int = 3_000, cells: int = 1_000) -> bytes:
    """Three million formatted blank cells (30 MB of XML) around one value."""
    blank_row = "<c s='1'/>" * cells

    def chunks() -> Iterable[bytes]:
        yield f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData>'.encode()
        yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>Recommendation</t></is></c></row>'
        for n in range(2, rows + 2):
            yield f'<row r="{n}">{blank_row}</row>'.encode()
        yield b"</sheetData></worksheet>"

    return zip_from_members(_xlsx_parts_with("xl/worksheets/sheet1.xml", chunks))


def hostile_wide_row_xlsx() -> bytes:
    """One row of 100,000 cells, more than a row can have."""
    cells = "<c/>" * 100_000
    body = f'<sheetData><row r="1">{cells}</row></sheetData>'
    return xlsx_with_sheets({"Plan": body})


def hostile_many_strings_xlsx(count: int = 600_000) -> bytes:
    """More shared strings than cells a file may hold."""

    def chunks() -> Iterable[bytes]:
        yield f'<?xml version="1.0"?><sst xmlns="{SHEET_NS}">'.encode()
        for start in range(0, count, 10_000):
            yield "".join(f"<si><t>{n}</t></si>" for n in range(start, start + 10_000)).encode()
        yield b"</sst>"

    members = _xlsx_parts_with("xl/sharedStrings.xml", chunks)
    names = [name for name, _ in members]
    if "xl/sharedStrings.xml" not in read_zip(xlsx_from_rows([["x"]])):
        members[names.index("[Content_Types].xml")] = (
            "[Content_Types].xml",
            _fixed(
                read_zip(xlsx_from_rows([["x"]]))["[Content_Types].xml"]
                .decode()
                .replace(
                    "</Types>",
                    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                    'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            ),
        )
    return zip_from_members(members)


def hostile_deep_nesting_xlsx() -> bytes:
    """Elements nested 100,000 deep inside a cell."""
    body = (
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is>'
        + "<r>" * 100_000
        + "</r>" * 100_000
        + "</is></c></row></sheetData>"
    )
    return xlsx_with_sheets({"Plan": body})


def hostile_page_of_tags() -> bytes:
    """A web page just under the tag limit: a table of 15,000 rows of 14 cells."""
    row = "<tr>" + "<td>7</td>" * 14 + "</tr>"
    return (
        "<!DOCTYPE html><html><head><title>Plan</title></head><body><table>"
        + row * 15_000
        + "</table></body></html>"
    ).encode()


def hostile_page_too_many_tags() -> bytes:
    return ("<!DOCTYPE html><html><body>" + "<i>" * 1_500_000 + "</body></html>").encode()


def hostile_unclosed_quote_csv() -> bytes:
    return b'Rec,Text\n7,"An opening quote that never closes' + b" and on" * 600_000


def hostile_million_filled_rows_xlsx() -> bytes:
    """300,000 rows each holding a value (12 MB of XML): refused at the row limit, not
    after all of them are held."""

    def chunks() -> Iterable[bytes]:
        yield f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData>'.encode()
        for start in range(1, 300_000, 5000):
            yield "".join(
                f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(start, start + 5000)
            ).encode()
        yield b"</sheetData></worksheet>"

    return zip_from_members(_xlsx_parts_with("xl/worksheets/sheet1.xml", chunks))


def hostile_many_merges_xlsx(count: int = 60_000) -> bytes:
    """More merged areas than a plan could have."""
    merges = "".join(f'<mergeCell ref="A{n}:B{n}"/>' for n in range(1, count + 1))
    body = sheet_xml({1: {"A": "x"}}) + f'<mergeCells count="{count}">{merges}</mergeCells>'
    return xlsx_with_sheets({"Plan": body})


def hostile_comments_csv() -> bytes:
    """Thousands of HTML comments at the start of a text file, where a pattern with nested
    repeats would backtrack for ever."""
    return b"<!--a-->" * 5_000 + b"\nRec,Text\n7,Review\n"


def hostile_sniffer_backtracking_csv() -> bytes:
    """Apostrophes and commas that make csv.Sniffer's patterns backtrack: seconds for each
    32 KB it is given."""
    return b"'a, " * 1_000_000


# name: (builder, file name it is uploaded under)
HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "billion laughs (xlsx sheet)": (hostile_billion_laughs_xlsx, "plan.xlsx"),
    "billion laughs (xlsx shared strings)": (
        lambda: hostile_billion_laughs_xlsx("xl/sharedStrings.xml"),
        "plan.xlsx",
    ),
    "quadratic blowup (xlsx sheet)": (hostile_quadratic_xlsx, "plan.xlsx"),
    "quadratic blowup (xlsx styles)": (
        lambda: hostile_quadratic_xlsx("xl/styles.xml"),
        "plan.xlsx",
    ),
    "DOCTYPE in UTF-16 (xlsx workbook)": (hostile_utf16_doctype_xlsx, "plan.xlsx"),
    "billion laughs (ods)": (hostile_billion_laughs_ods, "plan.ods"),
    "quadratic blowup (ods)": (hostile_quadratic_ods, "plan.ods"),
    "zip bomb 2 GB (xlsx)": (hostile_zip_bomb_xlsx, "plan.xlsx"),
    "zip with lying sizes (xlsx)": (hostile_lying_sizes_xlsx, "plan.xlsx"),
    "30,000 zip members (xlsx)": (hostile_many_members_xlsx, "plan.xlsx"),
    "8 sheets of sparse rows (xlsx)": (hostile_sparse_rows_xlsx, "plan.xlsx"),
    "one sheet listed 1,000 times (xlsx)": (hostile_sheet_listed_again_xlsx, "plan.xlsx"),
    "workbook part of 200,000 sheets (xlsx)": (hostile_huge_workbook_part_xlsx, "plan.xlsx"),
    "row beyond 1,048,576 (xlsx)": (hostile_row_beyond_limit_xlsx, "plan.xlsx"),
    "column beyond XFD (xlsx)": (hostile_column_beyond_limit_xlsx, "plan.xlsx"),
    'row r="x1" (xlsx)': (hostile_bad_row_reference_xlsx, "plan.xlsx"),
    'cell r="1A" (xlsx)': (hostile_bad_cell_reference_xlsx, "plan.xlsx"),
    "password-protected workbook": (encrypted_office_file, "plan.xlsx"),
    "PNG named .xlsx": (png_image, "plan.xlsx"),
    "cell repeated over the grid (ods)": (hostile_huge_repeat_ods, "plan.ods"),
    "values 400,000 rows apart (ods)": (hostile_spread_ods, "plan.ods"),
    "cells at far corners (xls)": (hostile_far_corners_xls, "plan.xls"),
    "one sheet listed 5,000 times (xls)": (hostile_overlapping_sheets_xls, "plan.xls"),
    "20,000 streams (xls)": (hostile_many_streams_xls, "plan.xls"),
    "file over 5 MB (csv)": (oversized_csv, "plan.csv"),
    "a million empty rows (xlsx)": (hostile_million_empty_rows_xlsx, "plan.xlsx"),
    "3 million blank cells (xlsx)": (hostile_blank_cells_xlsx, "plan.xlsx"),
    "a row of 100,000 cells (xlsx)": (hostile_wide_row_xlsx, "plan.xlsx"),
    "600,000 shared strings (xlsx)": (hostile_many_strings_xlsx, "plan.xlsx"),
    "elements nested 100,000 deep (xlsx)": (hostile_deep_nesting_xlsx, "plan.xlsx"),
    "web page of 435,000 tags": (hostile_page_of_tags, "plan.html"),
    "web page of 1.5 million tags": (hostile_page_too_many_tags, "plan.html"),
    "quotation mark never closed (csv)": (hostile_unclosed_quote_csv, "plan.csv"),
    "60,000 merged areas (xlsx)": (hostile_many_merges_xlsx, "plan.xlsx"),
    "500,000 values repeated (ods)": (hostile_dense_values_ods, "plan.ods"),
    "300,000 filled rows (xlsx)": (hostile_million_filled_rows_xlsx, "plan.xlsx"),
    "HTML comments before the text (csv)": (hostile_comments_csv, "plan.csv"),
    "apostrophes that slow the delimiter sniffer (csv)": (
        hostile_sniffer_backtracking_csv,
        "plan.csv",
    ),
}

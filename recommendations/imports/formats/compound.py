"""OLE2 compound files (.xls, and Office files of any kind protected with a password), read
with olefile.

An Excel 97-2003 workbook keeps its cells in a Workbook stream (Book, before Excel 97); a
password-protected Office file is an OLE2 file holding EncryptionInfo and EncryptedPackage
streams. olefile reads the header, the FAT, the directory and the streams; `CompoundFile`
lists the streams of the root storage, and `workbook_stream` reads the stream calamine will
read the cells from, for `extent.scan_xls_extent` to measure first. Two readers thus meet
an .xls, and neither may be led astray by what the file claims:

- olefile reads as many sectors as a stream's size says, going round a chain that loops,
  and checks each stream it loads against every one loaded before it. So the header may
  claim no DIFAT (olefile loops once per DIFAT sector it claims; a file that may be imported
  needs none), the directory may hold at most `MAX_PARTS` entries (38,000 entries in 5 MB
  took olefile 7 s), and a chain must end within the file before olefile reads it.
- calamine follows the directory's chain until it says it ends, and the mini FAT's as far
  as the header's count of its sectors (a loop takes either to a 4 GB allocation that ends
  the process), and finds the Workbook stream by name among every entry of the directory,
  not through the tree olefile builds. So those chains must end, and the entry calamine
  would read must be the one olefile reads.

Whatever olefile raises for a broken file (its own OleFileError, struct and index errors, a
RecursionError for a directory tree nested without end) becomes `Damaged`.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import olefile

from .limits import MAX_PARTS, Damaged, NotReadable, too_many_parts

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BROKEN = "its Office file structure is broken"
_HEADER_BYTES = 512
_MARKERS = 0xFFFFFFFC  # from here up, a sector number marks no sector
_END_OF_CHAIN = 0xFFFFFFFE
_MINI_CUTOFF = 4096  # streams shorter than this lie in the mini stream
_ENTRY_BYTES = 128
# The names calamine looks for, in this order, each in the first directory entry that has it.
_WORKBOOK_NAMES = ("Workbook", "Book", "WORKBOOK", "BOOK")


@dataclass(frozen=True)
class _Header:
    sector: int  # bytes in a sector
    first_directory: int
    directory_sectors: int  # 0 in files of 512-byte sectors: their chain alone says
    first_minifat: int


def _header(data: bytes) -> _Header:
    """The header, refused if its sector sizes are not the format's or it claims a DIFAT
    (the header itself lists the FAT sectors of 6.8 MB, more than MAX_FILE_BYTES)."""
    if len(data) < _HEADER_BYTES or not data.startswith(OLE_SIGNATURE):
        raise Damaged(BROKEN)
    shift, mini_shift = struct.unpack_from("<HH", data, 30)
    directory_sectors, _, first_directory = struct.unpack_from("<III", data, 40)
    (first_minifat,) = struct.unpack_from("<I", data, 60)
    (difat_sectors,) = struct.unpack_from("<I", data, 72)
    if shift not in (9, 12) or mini_shift != 6 or difat_sectors:
        raise Damaged(BROKEN)
    return _Header(1 << shift, first_directory, directory_sectors, first_minifat)


class _BoundedOleFile(olefile.OleFileIO):
    """olefile's reader, stopped once it has loaded more than MAX_PARTS directory entries."""

    def __init__(self, data: bytes) -> None:
        self.entries_loaded = 0
        # Always a file object: olefile takes bytes shorter than 1,536 for a path to open.
        super().__init__(io.BytesIO(data))

    def _load_direntry(self, sid: int):
        self.entries_loaded += 1
        if self.entries_loaded > MAX_PARTS:
            raise too_many_parts()
        return super()._load_direntry(sid)


class CompoundFile:
    """An OLE2 file: the streams of its root storage, by lower-case name (the format
    compares names regardless of case), and its Workbook stream."""

    def __init__(self, data: bytes) -> None:
        self._header = _header(data)
        self._size = len(data)
        try:
            self._ole = _BoundedOleFile(data)
            self.streams = {path[0].lower() for path in self._ole.listdir() if len(path) == 1}
        except NotReadable:
            raise
        except Exception as error:  # olefile raises anything from OSError to RecursionError
            raise Damaged(BROKEN) from error
        # Defects olefile read past (an entry listed twice, an index out of range): a file
        # whose root lists no stream of a known kind is then damaged, not of another kind.
        self.flawed = bool(self._ole.parsing_issues)

    def has(self, name: str) -> bool:
        return name.lower() in self.streams

    def workbook_stream(self) -> bytes:
        """The stream calamine reads the cells from: the first directory entry named
        Workbook (else Book), found as calamine finds it, once the chains calamine and
        olefile follow are known to end within the file."""
        try:
            return self._workbook_stream()
        except NotReadable:
            raise
        except Exception as error:
            raise Damaged(BROKEN) from error

    def _workbook_stream(self) -> bytes:
        ole, header = self._ole, self._header
        _chain_length(header.first_directory, ole.fat)
        if header.first_minifat < _MARKERS:
            _chain_length(header.first_minifat, ole.fat)
        directory = ole.directory_fp.getvalue()
        if header.directory_sectors:  # calamine reads no further
            directory = directory[: header.directory_sectors * header.sector]
        names = [
            _entry_name(directory[at : at + 64]) for at in range(0, len(directory), _ENTRY_BYTES)
        ]
        name = next((name for name in _WORKBOOK_NAMES if name in names), None)
        if name is None:
            raise Damaged("its Workbook stream is missing")
        entry = ole.direntries[names.index(name)]
        same_name = [kid for kid in ole.root.kids if kid.name.lower() == name.lower()]
        if entry is None or same_name != [entry] or entry.entry_type != olefile.STGTY_STREAM:
            raise Damaged(BROKEN)  # calamine would read another entry than olefile
        if entry.size > self._size:
            raise Damaged(f"its {name} stream is cut short")
        if entry.size < _MINI_CUTOFF:
            _chain_length(ole.root.isectStart, ole.fat)  # the mini stream
            ole.loadminifat()
            _chain_length(entry.isectStart, ole.minifat)
        else:
            _chain_length(entry.isectStart, ole.fat)
        with ole.openstream(entry.name) as stream:
            data = stream.read()
        if len(data) < entry.size:  # olefile hands over what the chain holds, short or not
            raise Damaged(f"its {name} stream is cut short")
        return data


def _entry_name(raw: bytes) -> str:
    """A directory entry's name as calamine reads it: up to the first NUL character."""
    return raw.decode("utf-16-le", "replace").split("\0", 1)[0]


def _chain_length(start: int, table) -> int:
    """Sectors in the chain from `start`, refused unless it ends within `table` (olefile's
    FAT or mini FAT, which hold no sector beyond the file) without going round a loop."""
    length, sector = 0, start
    while sector != _END_OF_CHAIN:
        if sector >= len(table) or length >= len(table):
            raise Damaged(BROKEN)
        length += 1
        sector = table[sector]
    return length

"""Zip packages (.xlsx, .xlsm, .ods), unpacked once within the limits before a library opens
them.

`CheckedZip` opens a package only if its members are few (`MAX_PARTS`), unpack to at most
`MAX_UNPACKED_BYTES` in all (counting what they really unpack to, not what they claim) and
pass their CRC checks, and no member is XML with a document type declaration (the only way
to declare entities; no spreadsheet part has one). The declaration is looked for with expat,
which decodes UTF-16 as the parsers do; a member expat cannot read as XML is marked, and the
readers refuse to parse it as XML.
"""

from __future__ import annotations

import io
import xml.parsers.expat
import zipfile
import zlib

from .limits import (
    CHUNK,
    MAX_PARTS,
    MAX_UNPACKED_BYTES,
    Damaged,
    NotReadable,
    password_protected,
    too_many_parts,
)

DOCTYPE_MESSAGE = (
    "This file holds XML with a document type declaration (DOCTYPE), which spreadsheets never "
    "contain: it cannot be read safely. Open it in Excel or LibreOffice, save it as a new "
    "file and import that."
)


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
            raise Damaged("its zip structure is broken") from error
        if len(members) > MAX_PARTS:
            raise too_many_parts()
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
            raise Damaged("it is packed in a way that cannot be unpacked") from error
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
            raise Damaged(f"the part {member.filename} is broken") from error
        return unpacked, bool(prolog)

    def open(self, name: str, *, largest: int | None = None) -> io.BufferedIOBase:
        """A member to parse as XML, if the check found it to be XML (and, for a part that
        will be parsed whole, no larger than `largest`)."""
        if name not in self.names:
            raise Damaged(f"the part {name} is missing")
        if name not in self.xml_members:
            raise Damaged(f"the part {name} is not XML")
        if largest is not None and self.sizes[name] > largest:
            raise Damaged(f"the part {name} is far larger than any workbook's")
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

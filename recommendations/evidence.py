"""Evidence files: which kinds may be attached, checked by their content as well as their
name, the limits, and the one cleaner of uploaded file names. Reads only: attaching and
removing evidence are services (services.attach_evidence, services.remove_evidence).
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage, default_storage

from .choices import Status

NO_EVIDENCE_MESSAGE = "Attach evidence of completion, or say here why none is needed."
LAST_EVIDENCE_MESSAGE = (
    "This is the only evidence for an update marked complete. Attach other evidence, or "
    "record on the update why none is needed, before removing it."
)
MAX_NAME_LENGTH = 150
# Where evidence is kept in its storage (models.evidence_path): evidence/<plan>/<random name>.
EVIDENCE_FOLDER = "evidence"


@dataclass(frozen=True)
class EvidenceType:
    """A kind of file we accept as evidence, as people call it and as browsers are told."""

    label: str
    content_type: str


# Keyed by extension; the content must be of the same kind (see _sniff).
EVIDENCE_TYPES: dict[str, EvidenceType] = {
    "pdf": EvidenceType("PDF", "application/pdf"),
    "docx": EvidenceType(
        "Word document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": EvidenceType(
        "Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "pptx": EvidenceType(
        "PowerPoint presentation",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "doc": EvidenceType("Word 97-2003 document", "application/msword"),
    "xls": EvidenceType("Excel 97-2003 workbook", "application/vnd.ms-excel"),
    "ppt": EvidenceType("PowerPoint 97-2003 presentation", "application/vnd.ms-powerpoint"),
    "png": EvidenceType("PNG image", "image/png"),
    "jpg": EvidenceType("JPEG image", "image/jpeg"),
    "jpeg": EvidenceType("JPEG image", "image/jpeg"),
    "gif": EvidenceType("GIF image", "image/gif"),
    "txt": EvidenceType("plain text file", "text/plain"),
    "csv": EvidenceType("CSV file", "text/csv"),
}
ALLOWED_EVIDENCE = "PDF, Word, Excel, PowerPoint, PNG, JPEG, GIF, plain text or CSV"

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Names of the streams that legacy Office files keep in their OLE2 directory (UTF-16).
_OLE2_STREAMS = {
    "doc": ("WordDocument",),
    "xls": ("Workbook", "Book"),
    "ppt": ("PowerPoint Document",),
}
_OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
_TEXT_CONTROLS_ALLOWED = {9, 10, 12, 13}


@dataclass(frozen=True)
class CheckedEvidence:
    """An uploaded file that passed the checks: its safe name, its type and its bytes."""

    name: str
    content_type: str
    size: int
    content: bytes


def evidence_max_bytes() -> int:
    return getattr(settings, "EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)


def _megabytes(size: int) -> str:
    """A size as people read it: "512 bytes", "20 KB", "10 MB", "10.5 MB"."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    figure = size / (1024 * 1024)
    return f"{figure:.0f} MB" if figure == int(figure) else f"{figure:.1f} MB"


def evidence_hint() -> str:
    """What may be attached, in words for the hint beside a file field."""
    return f"{ALLOWED_EVIDENCE}; up to {_megabytes(evidence_max_bytes())}."


def clean_file_name(name: str) -> str:
    """An uploaded file's name made safe to show and to offer as a download name.

    Only the last path component is kept; control and direction-changing characters, quotes
    and characters Windows forbids in names are dropped; the length is limited, keeping the
    extension.
    """
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if (ch.isprintable() or ch == " ") and ch not in '<>:"|?*')
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_NAME_LENGTH:
        suffix = PurePosixPath(name).suffix
        suffix = suffix if len(suffix) <= 10 else ""
        name = name[: MAX_NAME_LENGTH - len(suffix)].rstrip(". ") + suffix
    return name or "evidence"


def _ole2_kinds(content: bytes) -> set[str]:
    return {
        kind
        for kind, streams in _OLE2_STREAMS.items()
        if any(stream.encode("utf-16-le") in content for stream in streams)
    }


def _ooxml_kinds(content: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return set()
    if "[Content_Types].xml" not in names:
        return set()
    return {
        kind
        for kind, prefix in _OOXML_PARTS.items()
        if any(name.startswith(prefix) for name in names)
    }


def _is_text(content: bytes) -> bool:
    if not content or b"\x00" in content:
        return False
    return not any(byte < 32 and byte not in _TEXT_CONTROLS_ALLOWED for byte in content)


def _sniff(content: bytes) -> set[str]:
    """The extensions the file's content fits, judged by its bytes, never by its name."""
    if content.startswith(b"%PDF-"):
        return {"pdf"}
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return {"png"}
    if content.startswith(b"\xff\xd8\xff"):
        return {"jpg", "jpeg"}
    if content.startswith((b"GIF87a", b"GIF89a")):
        return {"gif"}
    if content.startswith(b"PK\x03\x04"):
        return _ooxml_kinds(content)
    if content.startswith(_OLE2):
        return _ole2_kinds(content)
    if _is_text(content):
        return {"txt", "csv"}
    return set()


def _read(upload: File) -> bytes:
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    return content


def inspect_evidence(upload: File) -> CheckedEvidence:
    """Check an uploaded file by its size, its extension and its content.

    Raises ValidationError saying what is wrong; a file over the limit is not read at all.
    """
    name = clean_file_name(getattr(upload, "name", "") or "")
    limit = evidence_max_bytes()
    size = upload.size or 0

    def refuse(message: str):
        return ValidationError(message, code="evidence")

    if size > limit:
        raise refuse(
            f"{name} is {_megabytes(size)}; evidence files can be up to {_megabytes(limit)}. "
            "Attach a smaller file, or split it."
        )
    if size == 0:
        raise refuse(f"{name} is empty. Choose the file again.")
    extension = PurePosixPath(name).suffix.lower().lstrip(".")
    expected = EVIDENCE_TYPES.get(extension)
    if expected is None:
        shown = f".{extension} files" if extension else "Files without an extension"
        raise refuse(f"{shown} cannot be attached. Attach a {ALLOWED_EVIDENCE} file.")
    content = _read(upload)
    if len(content) > limit:
        raise refuse(f"{name} is larger than {_megabytes(limit)}.")
    found = _sniff(content)
    if extension not in found:
        actual = sorted({EVIDENCE_TYPES[kind].label for kind in found})
        what = f"a {actual[0]}" if len(actual) == 1 else "not a kind of file we accept"
        raise refuse(
            f"{name} is named as a {expected.label} but its content is {what}. Attach the "
            f"file as saved by the program that made it ({ALLOWED_EVIDENCE})."
        )
    return CheckedEvidence(name, expected.content_type, len(content), content)


def require_evidence_for_completion(status: str, evidence_count: int, note: str) -> None:
    if status == Status.COMPLETE and not evidence_count and not (note or "").strip():
        raise ValidationError({"no_evidence_reason": NO_EVIDENCE_MESSAGE})


def stored_evidence(storage: Storage | None = None, folder: str = EVIDENCE_FOLDER) -> Iterator[str]:
    """The names of every file kept under the evidence folder, through the storage's own API,
    so the file system and object storage are read alike."""
    storage = storage or default_storage
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}"
    for sub in sorted(folders):
        yield from stored_evidence(storage, f"{folder}/{sub}")

"""Back up and restore the database and the uploaded evidence.

A backup is a folder, readable by its owner only, holding the database (an online SQLite copy,
or a JSON dump that any database can load, its times to the microsecond), the evidence files as
a tar archive read through the storage API, a manifest with checksums, and the manifest's
signature: HMAC-SHA256 keyed by BACKUP_KEY, or by a key derived from SECRET_KEY when that is
unset. A backup edited after it was made is refused, even with its checksums recomputed.

Restore checks everything first, in temporary places: the signature, the checksums, that the
archive holds only evidence files and unpacks, that the database copy opens (SQLite) or loads
(JSON, inside the transaction that replaces the old contents). Only then are the evidence folder
and the database swapped; on any failure both are as they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import uuid
import zlib
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core import serializers
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.management import call_command
from django.core.serializers import json as json_serializer
from django.db import connection, transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from . import page_cache
from .evidence import EVIDENCE_FOLDER, stored_evidence

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
ARCHIVE = "evidence.tar.gz"
SIGNING_SALT = "recommendations.backup.manifest"
JSON_FORMAT = "backup-json"
EXCLUDED_FROM_JSON = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "admin.logentry",
    # Cache keys, not content: a restore makes new ones.
    "recommendations.planrevision",
    "recommendations.siterevision",
]


class Serializer(json_serializer.Serializer):
    """Django's JSON serializer, but keeping times to the microsecond (Django's JSON encoder
    cuts them to the millisecond, so a restored history would not match the original)."""

    def handle_field(self, obj, field):
        value = field.value_from_object(obj)
        if isinstance(value, dt.datetime | dt.time):
            self._current[field.name] = value.isoformat()
        else:
            super().handle_field(obj, field)


Deserializer = json_serializer.Deserializer


# ---------------------------------------------------------------------------- signing


def _key() -> tuple[str, str]:
    """The signing key and which setting it comes from."""
    if getattr(settings, "BACKUP_KEY", ""):
        return settings.BACKUP_KEY, "BACKUP_KEY"
    return settings.SECRET_KEY, "SECRET_KEY"


def sign_manifest(manifest: bytes) -> str:
    """HMAC-SHA256 of the manifest's bytes, keyed (through Django's salted HMAC) by the key."""
    key, _ = _key()
    return salted_hmac(SIGNING_SALT, manifest, secret=key, algorithm="sha256").hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------- backup


def _private(path: Path, mode: str = "wb"):
    """A new file only its owner can read or write, whatever the umask."""
    return open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), mode)


def _archive_evidence(archive: Path, storage: Storage) -> int:
    """Every evidence file, read through the storage API, into a tar archive."""
    count = 0
    with _private(archive) as handle, tarfile.open(fileobj=handle, mode="w:gz") as tar:
        for name in stored_evidence(storage):
            info = tarfile.TarInfo(name)
            info.size = storage.size(name)
            info.mtime = int(storage.get_modified_time(name).timestamp())
            info.mode = 0o600
            with storage.open(name, "rb") as content:
                tar.addfile(info, content)
            count += 1
    return count


def create_backup(destination: Path, *, fmt: str | None = None) -> Path:
    """Write a backup folder under `destination` and return its path.

    `fmt` is "sqlite" (SQLite's online backup: a consistent copy while the site runs) or
    "json" (Django's dumpdata, for any database); by default sqlite on SQLite, else json.
    """
    fmt = fmt or ("sqlite" if connection.vendor == "sqlite" else "json")
    if fmt == "sqlite" and connection.vendor != "sqlite":
        raise ValueError("The sqlite format needs an SQLite database; use --format json.")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    Path(destination).mkdir(parents=True, exist_ok=True)
    folder = Path(destination) / f"actionplan-backup-{stamp}"
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    if fmt == "sqlite":
        database = folder / "db.sqlite3"
        _private(database).close()
        connection.ensure_connection()
        target = sqlite3.connect(database)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    else:
        database = folder / "db.json"
        serializers.register_serializer(JSON_FORMAT, __name__)
        with _private(database, "w") as out:
            call_command(
                "dumpdata",
                format=JSON_FORMAT,
                natural_foreign=True,
                exclude=EXCLUDED_FROM_JSON,
                indent=None,
                stdout=out,
            )
    archive = folder / ARCHIVE
    evidence_files = _archive_evidence(archive, storages["default"])
    _, key_name = _key()
    manifest = json.dumps(
        {
            "created": dt.datetime.now(dt.UTC).isoformat(),
            "format": fmt,
            "database": database.name,
            "evidence_files": evidence_files,
            "signed_with": key_name,
            "files": {p.name: _sha256(p) for p in (database, archive)},
        },
        indent=2,
    ).encode()
    with _private(folder / MANIFEST) as out:
        out.write(manifest)
    with _private(folder / SIGNATURE, "w") as out:
        out.write(sign_manifest(manifest) + "\n")
    return folder


# ---------------------------------------------------------------------------- checks


def verify_backup(folder: Path) -> dict:
    """Check a backup's signature and its files' checksums; returns the manifest."""
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.exists():
        raise ValueError(f"{folder} is not a backup: it has no {MANIFEST}.")
    manifest_bytes = manifest_path.read_bytes()
    signature_path = folder / SIGNATURE
    signature = signature_path.read_text().strip() if signature_path.exists() else ""
    if not constant_time_compare(signature, sign_manifest(manifest_bytes)):
        _, key_name = _key()
        raise ValueError(
            f"{folder} is not signed with this deployment's backup key ({key_name}): it was "
            "changed after it was made, or made elsewhere. Restoring a backup made on another "
            "deployment needs the same BACKUP_KEY (or SECRET_KEY) as that deployment."
        )
    try:
        manifest = json.loads(manifest_bytes)
        files = manifest["files"]
        names = {manifest["database"], ARCHIVE}
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{manifest_path} cannot be read: {error}") from error
    if set(files) != names:
        raise ValueError(f"{manifest_path} does not list the database and the evidence archive.")
    for name, checksum in files.items():
        path = folder / name
        if PurePosixPath(name).name != name or not path.is_file() or _sha256(path) != checksum:
            raise ValueError(f"{path} is missing or damaged (checksum does not match).")
    return manifest


def _unpack_evidence(archive: Path, into: Path) -> Path:
    """Unpack the archive into `into` and return the unpacked evidence folder; refuses an
    archive holding anything but plain files and folders under the evidence folder."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                parts = PurePosixPath(member.name).parts
                if (
                    not parts
                    or parts[0] != EVIDENCE_FOLDER
                    or ".." in parts
                    or not (member.isfile() or member.isdir())
                ):
                    raise ValueError(f"The evidence archive holds {member.name!r}, not evidence.")
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise ValueError(f"The evidence archive cannot be unpacked: {error}") from error
    unpacked = into / EVIDENCE_FOLDER
    unpacked.mkdir(exist_ok=True)
    return unpacked


def _check_sqlite_copy(path: Path) -> None:
    try:
        copy = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = copy.execute("PRAGMA integrity_check").fetchone()
            copy.execute("SELECT COUNT(*) FROM django_migrations").fetchone()
        finally:
            copy.close()
    except sqlite3.Error as error:
        raise ValueError(f"The database in the backup cannot be used: {error}") from error
    if result != ("ok",):
        raise ValueError(f"The database in the backup is damaged: {result[0]}")


# ---------------------------------------------------------------------------- restore


class _EvidenceSwap:
    """Puts unpacked evidence in place of the evidence folder (file system storage), keeping
    the old folder aside until the restore is done, so it can be put back."""

    def __init__(self, storage: FileSystemStorage, unpacked: Path):
        self.target = Path(storage.path(EVIDENCE_FOLDER))
        self.aside = self.target.with_name(f".evidence-before-restore-{uuid.uuid4().hex}")
        self.unpacked = unpacked
        self.done = False

    def swap(self) -> None:
        had_evidence = self.target.exists()
        if had_evidence:
            self.target.rename(self.aside)
        try:
            self.unpacked.rename(self.target)
        except BaseException:
            if had_evidence:
                self.aside.rename(self.target)
            raise
        self.done = True

    def undo(self) -> None:
        if self.done:
            shutil.rmtree(self.target)
            if self.aside.exists():
                self.aside.rename(self.target)
            self.done = False

    def finish(self) -> None:
        shutil.rmtree(self.aside, ignore_errors=True)


def _add_missing_files(storage: Storage, unpacked: Path) -> None:
    """On object storage, put back the backup's evidence files that the storage lacks; nothing
    there is deleted or overwritten (use the bucket's own versioning to go further back)."""
    for path in sorted(p for p in unpacked.rglob("*") if p.is_file()):
        name = f"{EVIDENCE_FOLDER}/{path.relative_to(unpacked).as_posix()}"
        if not storage.exists(name):
            with path.open("rb") as content:
                storage.save(name, File(content, name=name))


def _load_json(path: Path) -> None:
    call_command("flush", interactive=False, verbosity=0)
    try:
        call_command("loaddata", str(path), verbosity=0)
    except Exception as error:
        raise ValueError(f"The database in the backup could not be loaded: {error}") from error


def restore_backup(folder: Path) -> dict:
    """Replace the database's contents and the evidence with those of a backup.

    Nothing changes unless every check passes and the database loads. JSON backups load into
    the configured database (after `migrate`) in one transaction; SQLite backups replace the
    database's contents: stop the site first. On the file system the evidence folder is
    replaced whole; on object storage the backup's files that are missing are added back and
    nothing is deleted.
    """
    folder = Path(folder)
    manifest = verify_backup(folder)
    database = folder / manifest["database"]
    if manifest["format"] == "sqlite" and connection.vendor != "sqlite":
        raise ValueError("This is an SQLite backup; the configured database is not SQLite.")
    storage = storages["default"]
    on_disk = isinstance(storage, FileSystemStorage)
    if on_disk:
        # Unpacked beside the evidence folder, so putting it in place is a rename.
        workspace = Path(storage.location)
        workspace.mkdir(parents=True, exist_ok=True)
    else:
        workspace = None
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=workspace) as staging:
        unpacked = _unpack_evidence(folder / ARCHIVE, Path(staging))
        if manifest["format"] == "sqlite":
            _check_sqlite_copy(database)
        if not on_disk:
            _add_missing_files(storage, unpacked)
        swap = _EvidenceSwap(storage, unpacked) if on_disk else None
        try:
            if manifest["format"] == "json":
                with transaction.atomic():
                    _load_json(database)
                    if swap:
                        swap.swap()
            else:
                if swap:
                    swap.swap()
                source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
                connection.ensure_connection()
                try:
                    source.backup(connection.connection)
                finally:
                    source.close()
        except BaseException:
            if swap:
                swap.undo()
            raise
        if swap:
            swap.finish()
    # Pages cached before the restore must not be served for the restored content.
    page_cache.bump_everything()
    return manifest

"""Back up and restore the database and the uploaded evidence.

A backup is a folder holding the database (an online SQLite copy, or a JSON dump that any
database can load), the evidence files as a tar archive, and a manifest with checksums.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from . import page_cache

EVIDENCE_DIR = "evidence"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def create_backup(destination: Path, *, fmt: str | None = None) -> Path:
    """Write a backup folder under `destination` and return its path.

    `fmt` is "sqlite" (SQLite's online backup: a consistent copy while the site runs) or
    "json" (Django's dumpdata, for any database); by default sqlite on SQLite, else json.
    """
    fmt = fmt or ("sqlite" if connection.vendor == "sqlite" else "json")
    if fmt == "sqlite" and connection.vendor != "sqlite":
        raise ValueError("The sqlite format needs an SQLite database; use --format json.")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    folder = Path(destination) / f"actionplan-backup-{stamp}"
    folder.mkdir(parents=True)
    if fmt == "sqlite":
        database = folder / "db.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(database)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    else:
        database = folder / "db.json"
        with database.open("w") as out:
            call_command(
                "dumpdata",
                natural_foreign=True,
                exclude=[
                    "contenttypes",
                    "auth.permission",
                    "sessions",
                    "admin.logentry",
                    # Cache keys, not content: a restore makes new ones.
                    "recommendations.planrevision",
                    "recommendations.siterevision",
                ],
                indent=None,
                stdout=out,
            )
    evidence = Path(settings.MEDIA_ROOT) / EVIDENCE_DIR
    archive = folder / "evidence.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        if evidence.exists():
            tar.add(evidence, arcname=EVIDENCE_DIR)
    manifest = {
        "created": dt.datetime.now(dt.UTC).isoformat(),
        "format": fmt,
        "database": database.name,
        "files": {p.name: _sha256(p) for p in (database, archive)},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return folder


def verify_backup(folder: Path) -> dict:
    """Check a backup's files against its manifest; returns the manifest."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise ValueError(f"{folder} is not a backup: it has no manifest.json.")
    manifest = json.loads(manifest_path.read_text())
    for name, checksum in manifest["files"].items():
        path = folder / name
        if not path.exists() or _sha256(path) != checksum:
            raise ValueError(f"{path} is missing or damaged (checksum does not match).")
    return manifest


def _restore_evidence(folder: Path) -> None:
    media = Path(settings.MEDIA_ROOT)
    target = media / EVIDENCE_DIR
    if target.exists():
        shutil.rmtree(target)
    media.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / "evidence.tar.gz", "r:gz") as tar:
        tar.extractall(media, filter="data")


def restore_backup(folder: Path) -> dict:
    """Replace the database's contents and the evidence with those of a backup.

    JSON backups load into the configured database (after `migrate`) in one transaction.
    SQLite backups replace the database file: stop the site first.
    """
    folder = Path(folder)
    manifest = verify_backup(folder)
    if manifest["format"] == "json":
        with transaction.atomic():
            call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", str(folder / manifest["database"]), verbosity=0)
    else:
        if connection.vendor != "sqlite":
            raise ValueError("This is an SQLite backup; the configured database is not SQLite.")
        source = sqlite3.connect(folder / manifest["database"])
        connection.ensure_connection()
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    _restore_evidence(folder)
    # Pages cached before the restore must not be served for the restored content.
    page_cache.bump_everything()
    return manifest

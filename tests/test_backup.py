import datetime as dt
import hashlib
import json
import sqlite3
import stat
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from recommendations.backup import create_backup, restore_backup, sign_manifest
from recommendations.evidence import stored_evidence
from recommendations.models import Evidence, Plan, StatusUpdate
from tests.factories import StatusUpdateFactory, UserFactory
from tests.snapshots import snapshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def roles(db):
    """Transactional tests empty the tables between tests, the roles' groups with them."""
    for name in ("Lead", "Executive", "Administrator"):
        Group.objects.get_or_create(name=name)


def make_evidence(update, content: bytes = b"%PDF-1.4\n") -> Evidence:
    evidence = Evidence(
        update=update,
        original_name="training-review.pdf",
        content_type="application/pdf",
        size=len(content),
        uploaded_by=UserFactory(),
        uploaded_at=timezone.now(),
    )
    evidence.file.save("ignored.pdf", ContentFile(content), save=False)
    evidence.save()
    return evidence


def evidence_contents() -> dict[str, bytes]:
    return {name: default_storage.open(name).read() for name in stored_evidence()}


def state() -> tuple:
    """The database and the evidence, to compare before and after a refused restore."""
    return snapshot(), evidence_contents()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reseal(folder: Path, *, sign: bool) -> None:
    """Recompute the manifest's checksums after an edit, as someone editing a backup would;
    with `sign`, also sign it with this deployment's key (a backup made damaged)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"] = {name: sha256(folder / name) for name in manifest["files"]}
    data = json.dumps(manifest, indent=2).encode()
    (folder / "manifest.json").write_bytes(data)
    if sign:
        (folder / "manifest.sig").write_text(sign_manifest(data) + "\n")


def restore_refused(folder: Path, match: str) -> None:
    with pytest.raises(CommandError, match=match):
        call_command("restore", str(folder), "--yes")


@pytest.fixture
def backed_up(tmp_path):
    """A plan with evidence, backed up (as JSON, which every database loads), then changed:
    a refused restore must leave the changed state exactly as it is."""
    update = StatusUpdateFactory(text="Before the backup.")
    make_evidence(update)
    folder = create_backup(tmp_path / "backups", fmt="json")
    update.text = "After the backup."
    update.save()
    make_evidence(update, b"%PDF-1.4\nadded after the backup\n")
    return folder


def test_a_json_backup_restores_the_plan_its_history_and_its_evidence(tmp_path):
    update = StatusUpdateFactory(text="Before the backup.")
    evidence = make_evidence(update)
    plan_slug = update.recommendation.plan.slug
    history_rows = StatusUpdate.history.count()

    folder = create_backup(tmp_path / "backups", fmt="json")

    Plan.objects.all().delete()
    evidence.file.delete(save=False)
    assert not Plan.objects.exists()

    restore_backup(folder)

    restored = StatusUpdate.objects.get(recommendation__plan__slug=plan_slug)
    assert restored.text == "Before the backup."
    assert StatusUpdate.history.count() == history_rows
    restored_evidence = Evidence.objects.get()
    assert restored_evidence.file.read() == b"%PDF-1.4\n"


def test_a_json_backup_keeps_times_to_the_microsecond(tmp_path):
    moment = dt.datetime(2026, 3, 31, 16, 59, 58, 123456, tzinfo=dt.UTC)
    update = StatusUpdateFactory(recorded_at=moment)
    history_moments = sorted(update.history.values_list("history_date", flat=True))
    assert any(value.microsecond % 1000 for value in [*history_moments, moment])

    folder = create_backup(tmp_path, fmt="json")
    Plan.objects.all().delete()
    restore_backup(folder)

    restored = StatusUpdate.objects.get()
    assert restored.recorded_at == moment
    assert sorted(restored.history.values_list("history_date", flat=True)) == history_moments


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite online backup")
def test_an_sqlite_backup_is_a_consistent_copy_of_the_database(tmp_path):
    StatusUpdateFactory(text="Copied online.")
    folder = create_backup(tmp_path, fmt="sqlite")
    copy = sqlite3.connect(folder / "db.sqlite3")
    try:
        texts = [row[0] for row in copy.execute("SELECT text FROM recommendations_statusupdate")]
    finally:
        copy.close()
    assert texts == ["Copied online."]


@pytest.mark.parametrize(
    "fmt",
    [
        "json",
        pytest.param(
            "sqlite", marks=pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
        ),
    ],
)
def test_backup_folders_and_files_are_readable_by_their_owner_only(tmp_path, fmt):
    make_evidence(StatusUpdateFactory())
    folder = create_backup(tmp_path, fmt=fmt)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted(folder.iterdir())
    assert [path.name for path in files] == sorted(
        [
            "db.json" if fmt == "json" else "db.sqlite3",
            "evidence.tar.gz",
            "manifest.json",
            "manifest.sig",
        ]
    )
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_damaged_backup_is_refused_and_nothing_changes(backed_up):
    before = state()
    (backed_up / "db.json").write_text("[]")
    restore_refused(backed_up, "damaged")
    assert state() == before


def test_an_evidence_archive_that_does_not_unpack_is_refused_and_nothing_changes(backed_up):
    before = state()
    archive = backed_up / "evidence.tar.gz"
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    reseal(backed_up, sign=True)
    restore_refused(backed_up, "cannot be unpacked")
    assert StatusUpdate.objects.get().text == "After the backup."
    assert state() == before
    assert len(before[1]) == 2


def test_an_archive_holding_anything_but_evidence_is_refused(backed_up, tmp_path):
    import tarfile

    before = state()
    with tarfile.open(backed_up / "evidence.tar.gz", "w:gz") as tar:
        tar.add(Path(__file__), arcname="../outside.py")
    reseal(backed_up, sign=True)
    restore_refused(backed_up, "not evidence")
    assert state() == before


def test_a_backup_edited_to_make_an_account_superuser_is_refused(backed_up):
    account = get_user_model().objects.get(username=UserFactory(username="target").username)
    assert not account.is_superuser
    before = state()
    dump = backed_up / "db.json"
    rows = json.loads(dump.read_text())
    users = [row for row in rows if row["model"] == "auth.user"]
    assert users
    for row in users:
        row["fields"]["is_superuser"] = True
        row["fields"]["is_staff"] = True
    dump.write_text(json.dumps(rows))
    reseal(backed_up, sign=False)

    restore_refused(backed_up, "not signed with this deployment's backup key")
    assert state() == before
    assert not get_user_model().objects.filter(is_superuser=True).exists()


def test_a_backup_without_its_signature_is_refused(backed_up):
    before = state()
    (backed_up / "manifest.sig").unlink()
    restore_refused(backed_up, "not signed")
    assert state() == before


def test_a_backup_signed_with_another_key_is_refused_and_the_key_restores_it(backed_up, settings):
    settings.BACKUP_KEY = "another deployment's key"
    before = state()
    restore_refused(backed_up, r"\(BACKUP_KEY\)")
    assert state() == before
    settings.BACKUP_KEY = ""
    restore_backup(backed_up)
    assert StatusUpdate.objects.get().text == "Before the backup."


def test_a_database_that_does_not_load_is_refused_and_nothing_changes(backed_up):
    before = state()
    dump = backed_up / "db.json"
    rows = json.loads(dump.read_text())
    rows.append({"model": "recommendations.statusupdate", "pk": 999, "fields": {"period": 424242}})
    dump.write_text(json.dumps(rows))
    reseal(backed_up, sign=True)

    restore_refused(backed_up, "could not be loaded")
    assert state() == before
    assert StatusUpdate.objects.get().text == "After the backup."


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite backups")
def test_an_sqlite_copy_that_does_not_open_is_refused_and_nothing_changes(tmp_path):
    make_evidence(StatusUpdateFactory(text="Before the backup."))
    folder = create_backup(tmp_path, fmt="sqlite")
    update = StatusUpdate.objects.get()
    update.text = "After the backup."
    update.save()
    before = state()
    (folder / "db.sqlite3").write_bytes(b"not a database " * 100)
    reseal(folder, sign=True)

    restore_refused(folder, "cannot be used")
    assert state() == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite backups")
def test_an_sqlite_backup_restores_the_database_and_the_evidence(tmp_path):
    make_evidence(StatusUpdateFactory(text="Before the backup."))
    folder = create_backup(tmp_path, fmt="sqlite")
    before = state()
    update = StatusUpdate.objects.get()
    update.text = "After the backup."
    update.save()
    make_evidence(update, b"%PDF-1.4\nadded after the backup\n")

    call_command("restore", str(folder), "--yes")
    assert state() == before


def test_evidence_in_object_storage_is_backed_up_and_put_back(tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    evidence = make_evidence(StatusUpdateFactory(), b"%PDF-1.4\nin the bucket\n")
    folder = create_backup(tmp_path, fmt="json")
    default_storage.delete(evidence.file.name)
    assert list(stored_evidence()) == []

    restore_backup(folder)
    assert evidence_contents() == {evidence.file.name: b"%PDF-1.4\nin the bucket\n"}
    assert not any(path.is_file() for path in Path(django_settings.MEDIA_ROOT).rglob("*"))


def test_the_backup_command_writes_a_folder(tmp_path, capsys):
    StatusUpdateFactory()
    call_command("backup", str(tmp_path), "--format", "json")
    assert "Backup written to" in capsys.readouterr().out
    assert len(list(tmp_path.glob("actionplan-backup-*/manifest.json"))) == 1

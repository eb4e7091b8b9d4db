import sqlite3

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from recommendations.backup import create_backup, restore_backup
from recommendations.models import Evidence, Plan, StatusUpdate
from tests.factories import StatusUpdateFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def make_evidence(update) -> Evidence:
    evidence = Evidence(
        update=update,
        original_name="training-review.pdf",
        content_type="application/pdf",
        size=9,
        uploaded_by=UserFactory(),
        uploaded_at=timezone.now(),
    )
    evidence.file.save("ignored.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    evidence.save()
    return evidence


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


def test_a_damaged_backup_is_refused_and_nothing_changes(tmp_path):
    StatusUpdateFactory(text="Still here.")
    folder = create_backup(tmp_path, fmt="json")
    (folder / "db.json").write_text("[]")
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(folder), "--yes")
    assert StatusUpdate.objects.get().text == "Still here."


def test_the_backup_command_writes_a_folder(tmp_path, capsys):
    StatusUpdateFactory()
    call_command("backup", str(tmp_path), "--format", "json")
    assert "Backup written to" in capsys.readouterr().out
    assert len(list(tmp_path.glob("actionplan-backup-*/manifest.json"))) == 1

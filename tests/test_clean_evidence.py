"""An evidence file is kept only if its row commits: a request interrupted after writing its
file removes it again, and `clean_evidence` sweeps up after a worker killed outright."""

import datetime as dt
import os
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.urls import reverse

from recommendations import services
from recommendations.choices import SignOff, Status
from recommendations.evidence import stored_evidence
from recommendations.models import Evidence
from tests.factories import PeriodFactory, RecommendationFactory, StatusUpdateFactory

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


class Interrupted(Exception):
    """The request stops here, as a worker told to stop would."""


@pytest.fixture(autouse=True)
def roles(db):
    """Transactional tests empty the tables between tests, the roles' groups with them."""
    for name in ("Lead", "Executive", "Administrator"):
        Group.objects.get_or_create(name=name)


@pytest.fixture
def owned(roles, lead):
    rec = RecommendationFactory(owner=lead.owner, number="10", text="Review training.")
    period = PeriodFactory(plan=rec.plan, label="March 2026 update")
    return StatusUpdateFactory(
        recommendation=rec, period=period, status=Status.ON_TRACK, sign_off=SignOff.DRAFT
    )


def attach(update, by):
    return services.attach_evidence(
        update=update, uploaded_file=SimpleUploadedFile("review.pdf", PDF), by=by
    )


@pytest.fixture
def commits_fail(monkeypatch):
    """From the moment it is called, the database refuses every commit (after the file and the
    row are written)."""

    def refuse():
        raise OperationalError("server closed the connection unexpectedly")

    return lambda: monkeypatch.setattr(connection, "commit", refuse)


def age(name: str, minutes: int) -> None:
    path = Path(default_storage.path(name))
    then = (dt.datetime.now() - dt.timedelta(minutes=minutes)).timestamp()
    os.utime(path, (then, then))


def clean(*args: str) -> str:
    out = StringIO()
    call_command("clean_evidence", *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_file_whose_commit_fails_is_deleted_again(owned, lead, commits_fail):
    commits_fail()
    with pytest.raises(OperationalError):
        attach(owned, lead)
    assert not Evidence.objects.exists()
    assert list(stored_evidence()) == []


@pytest.mark.django_db(transaction=True)
def test_an_upload_interrupted_before_its_commit_leaves_neither_file_nor_row(
    client, lead, owned, commits_fail
):
    client.force_login(lead)
    commits_fail()
    rec = owned.recommendation
    url = reverse("evidence_upload", args=[rec.plan.slug, rec.number, owned.period_id])
    client.raise_request_exception = False
    response = client.post(url, {"file": SimpleUploadedFile("review.pdf", PDF)})
    assert response.status_code == 500
    assert not Evidence.objects.exists()
    assert list(stored_evidence()) == []


@pytest.mark.django_db(transaction=True)
def test_a_worker_stopped_after_writing_the_file_deletes_it(owned, lead, monkeypatch):
    real_save = services.updates._save

    def stop_after_the_row(instance, **kwargs):
        real_save(instance, **kwargs)
        if isinstance(instance, Evidence):
            raise SystemExit(1)

    monkeypatch.setattr(services.updates, "_save", stop_after_the_row)
    with pytest.raises(SystemExit):
        attach(owned, lead)
    assert not Evidence.objects.exists()
    assert list(stored_evidence()) == []


@pytest.mark.django_db(transaction=True)
def test_clean_evidence_removes_a_file_left_by_a_request_that_never_committed(owned, lead):
    kept = attach(owned, lead)
    # A caller's transaction rolled back after the service wrote the file (as a worker killed
    # before the commit leaves it): the row is gone, the file is not.
    with pytest.raises(Interrupted), transaction.atomic():
        lost = attach(owned, lead)
        raise Interrupted
    assert list(Evidence.objects.all()) == [kept]
    assert sorted(stored_evidence()) == sorted([kept.file.name, lost.file.name])
    age(lost.file.name, minutes=120)
    age(kept.file.name, minutes=120)

    listed = clean("--dry-run")
    assert f"Would remove {lost.file.name}" in listed
    assert kept.file.name not in listed
    assert sorted(stored_evidence()) == sorted([kept.file.name, lost.file.name])

    assert f"Removed {lost.file.name}" in clean()
    assert list(stored_evidence()) == [kept.file.name]
    assert default_storage.open(kept.file.name).read() == PDF


@pytest.mark.django_db
def test_clean_evidence_leaves_young_files_alone(owned, lead):
    name = default_storage.save("evidence/1/in-flight", SimpleUploadedFile("x", PDF))
    output = clean()
    assert "1 younger than 60 minutes left alone" in output
    assert list(stored_evidence()) == [name]
    clean("--grace-minutes", "0")
    assert list(stored_evidence()) == []


@pytest.mark.django_db
def test_clean_evidence_names_rows_whose_file_is_missing(owned, lead):
    evidence = attach(owned, lead)
    default_storage.delete(evidence.file.name)
    assert f"1 evidence row(s) have no file in storage: {evidence.file.name}" in clean()
    assert Evidence.objects.get() == evidence

"""Evidence goes through Django's storage API only, so it works on object storage as on the
file system; S3-compatible storage is configured from the environment, private."""

from pathlib import Path

import pytest
from django.core.files.storage import InMemoryStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recommendations.choices import SignOff, Status
from recommendations.evidence import stored_evidence
from recommendations.models import Evidence
from tests.factories import PeriodFactory, RecommendationFactory, StatusUpdateFactory
from tests.test_security import run_django

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def in_memory(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


@pytest.fixture
def owned(lead):
    rec = RecommendationFactory(owner=lead.owner, number="10", text="Review training.")
    period = PeriodFactory(plan=rec.plan, label="March 2026 update")
    return StatusUpdateFactory(
        recommendation=rec, period=period, status=Status.ON_TRACK, sign_off=SignOff.DRAFT
    )


@pytest.mark.django_db
def test_evidence_is_uploaded_downloaded_and_removed_through_a_storage_with_no_files(
    in_memory, lead_client, owned, media_root, django_capture_on_commit_callbacks
):
    rec = owned.recommendation
    url = reverse("evidence_upload", args=[rec.plan.slug, rec.number, owned.period_id])
    response = lead_client.post(
        url, {"file": SimpleUploadedFile("review.pdf", PDF), "description": "Review"}
    )
    assert response.status_code == 302

    evidence = Evidence.objects.get()
    assert isinstance(evidence.file.storage._wrapped, InMemoryStorage)
    assert list(stored_evidence()) == [evidence.file.name]
    assert not any(path.is_file() for path in Path(media_root).rglob("*"))

    download = lead_client.get(reverse("evidence_download", args=[rec.plan.slug, evidence.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF

    remove = reverse("evidence_remove", args=[rec.plan.slug, evidence.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert lead_client.post(remove, {"reason": "Wrong file"}).status_code == 302
    assert not Evidence.objects.exists()
    assert list(stored_evidence()) == []


def test_s3_storage_is_configured_from_the_environment_private_and_never_linked():
    code = (
        "import django; django.setup(); "
        "from django.core.files.storage import default_storage as s; "
        "s._setup(); print(type(s._wrapped).__name__, s.bucket_name, "
        "s.endpoint_url, s.region_name, s.access_key, s.default_acl, s.querystring_auth, "
        "s.custom_domain, s.file_overwrite, s.location)"
    )
    result = run_django(
        ["-c", code],
        EVIDENCE_S3_BUCKET="force-evidence",
        EVIDENCE_S3_ENDPOINT_URL="https://objects.example.police.uk",
        EVIDENCE_S3_REGION="eu-west-2",
        EVIDENCE_S3_ACCESS_KEY_ID="tracker",
        EVIDENCE_S3_SECRET_ACCESS_KEY="not-a-real-secret",
        EVIDENCE_S3_PREFIX="actionplan/",
    )
    assert result.stdout.split() == [
        "S3Storage",
        "force-evidence",
        "https://objects.example.police.uk",
        "eu-west-2",
        "tracker",
        "private",
        "True",
        "None",
        "False",
        "actionplan",
    ], result.stderr


def test_without_a_bucket_evidence_stays_on_the_file_system():
    code = (
        "import django; django.setup(); "
        "from django.core.files.storage import default_storage as s; s._setup(); "
        "print(type(s._wrapped).__name__)"
    )
    assert run_django(["-c", code]).stdout.strip() == "FileSystemStorage"

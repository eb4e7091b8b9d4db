"""Request bodies over MAX_REQUEST_BYTES are refused before a byte of them is read."""

import re
from pathlib import Path

import pytest
from django.conf import settings as project_settings
from django.urls import reverse

from tests.factories import build_plan

ROOT = Path(__file__).resolve().parent.parent
SIXTY_MB = 60 * 1024 * 1024


class UnreadableStream:
    """A request body that fails the test if anything reads it."""

    def __init__(self):
        self.reads = 0

    def read(self, *args):
        self.reads += 1
        raise AssertionError("The request body was read.")

    readline = read

    def __iter__(self):
        return self

    def __next__(self):
        self.read()


@pytest.fixture
def upload_url(lead):
    plan = build_plan(recommendations=1, periods=1, subs=0)
    rec = plan.recommendations.top_level().get()
    rec.owner = lead.owner
    rec.save()
    return reverse("evidence_upload", args=[plan.slug, rec.number, plan.periods.get().pk])


@pytest.mark.django_db
def test_a_60_mb_upload_is_refused_with_413_without_reading_it(lead_client, upload_url):
    body = UnreadableStream()
    response = lead_client.generic(
        "POST",
        upload_url,
        CONTENT_TYPE="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(SIXTY_MB),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert body.reads == 0
    assert "too large" in response.content.decode()


@pytest.mark.django_db
def test_a_large_body_is_refused_before_sign_in_is_even_checked(client):
    body = UnreadableStream()
    response = client.generic(
        "POST",
        reverse("login"),
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(project_settings.MAX_REQUEST_BYTES + 1),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert body.reads == 0


@pytest.mark.django_db
def test_a_body_of_unstated_length_is_refused_unread(client):
    body = UnreadableStream()
    response = client.generic(
        "POST",
        reverse("login"),
        CONTENT_TYPE="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": body},
    )
    assert response.status_code == 411
    assert body.reads == 0


@pytest.mark.django_db
def test_the_largest_evidence_file_still_fits(lead_client, upload_url, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    settings.MAX_REQUEST_BYTES = settings.EVIDENCE_MAX_BYTES + 64 * 1024
    content = b"%PDF-1.4\n" + b"x" * (settings.EVIDENCE_MAX_BYTES - 9)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("review.pdf", content, content_type="application/pdf")
    response = lead_client.post(upload_url, {"file": upload, "description": "Review"})
    assert response.status_code == 302


def test_the_default_limit_is_a_little_over_the_evidence_limit():
    evidence = project_settings.EVIDENCE_MAX_BYTES
    assert evidence < project_settings.MAX_REQUEST_BYTES <= evidence + 2 * 1024 * 1024
    assert project_settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= project_settings.MAX_REQUEST_BYTES


def test_the_readmes_proxy_example_carries_the_same_limit():
    readme = (ROOT / "README.md").read_text()
    found = re.findall(r"client_max_body_size\s+(\d+)([km]?);", readme)
    assert found, "the README's proxy example sets no body size limit"
    units = {"": 1, "k": 1024, "m": 1024 * 1024}
    for figure, unit in found:
        assert int(figure) * units[unit] == project_settings.MAX_REQUEST_BYTES

"""Evidence on updates: what may be attached, who may attach, download and remove it, and the
rule that nothing is marked complete without evidence or a reason why none is needed."""

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recommendations import services
from recommendations.choices import SignOff, Status
from recommendations.evidence import (
    MAX_NAME_LENGTH,
    NO_EVIDENCE_MESSAGE,
    clean_file_name,
    evidence_hint,
    evidence_max_bytes,
)
from recommendations.models import Evidence, StatusUpdate
from tests.factories import PeriodFactory, RecommendationFactory, StatusUpdateFactory

pytestmark = pytest.mark.django_db

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def ooxml(part: str) -> bytes:
    """A minimal Office Open XML package holding one part, as Word/PowerPoint would name it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


def xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Officers trained"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ole2(stream: str) -> bytes:
    return OLE2 + b"\x00" * 504 + stream.encode("utf-16-le") + b"\x00" * 64


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 20

ACCEPTED = [
    ("report.pdf", PDF, "application/pdf"),
    ("photo.png", PNG, "image/png"),
    ("photo.JPG", JPEG, "image/jpeg"),
    ("photo.jpeg", JPEG, "image/jpeg"),
    ("chart.gif", GIF, "image/gif"),
    (
        "minutes.docx",
        ooxml("word/document.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("figures.xlsx", xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (
        "briefing.pptx",
        ooxml("ppt/presentation.xml"),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("old-minutes.doc", ole2("WordDocument"), "application/msword"),
    ("old-figures.xls", ole2("Workbook"), "application/vnd.ms-excel"),
    ("old-briefing.ppt", ole2("PowerPoint Document"), "application/vnd.ms-powerpoint"),
    ("notes.txt", "Trained 412 officers – “all”.\n".encode(), "text/plain"),
    ("figures.csv", b"team,trained\nA,12\nB,30\n", "text/csv"),
]

REFUSED = [
    ("programme.pdf", b"MZ\x90\x00\x03" + b"\x00" * 40, "content is not a kind of file we accept"),
    ("report.pdf", PNG, "content is a PNG image"),
    ("figures.xlsx", ooxml("word/document.xml"), "content is a Word document"),
    ("minutes.docx", ooxml("other/thing.xml"), "not a kind of file we accept"),
    ("minutes.doc", ole2("Workbook"), "content is a Excel 97-2003 workbook"),
    ("page.html", b"<html><script>alert(1)</script></html>", ".html files cannot be attached"),
    ("setup.exe", b"MZ\x90\x00", ".exe files cannot be attached"),
    ("README", b"plain words", "Files without an extension cannot be attached"),
    ("notes.txt", b"\x00\x01\x02binary", "not a kind of file we accept"),
]


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    # The browser's claimed type is deliberately wrong: it must never be trusted.
    return SimpleUploadedFile(name, content, content_type="text/html")


def stored_files(media_root: Path) -> list[Path]:
    return [path for path in Path(media_root).rglob("*") if path.is_file()]


@pytest.fixture(autouse=True)
def ten_megabytes(settings):
    """The documented default, whatever the environment running the tests configures."""
    settings.EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


@pytest.fixture
def owned(lead):
    """An update on a recommendation the `lead` fixture owns."""
    rec = RecommendationFactory(owner=lead.owner, number="10", text="Review training.")
    period = PeriodFactory(plan=rec.plan, label="March 2026 update")
    update = StatusUpdateFactory(
        recommendation=rec, period=period, status=Status.ON_TRACK, sign_off=SignOff.DRAFT
    )
    return update


def upload_url(update):
    rec = update.recommendation
    return reverse("evidence_upload", args=[rec.plan.slug, rec.number, update.period_id])


def download_url(evidence):
    return reverse(
        "evidence_download", args=[evidence.update.recommendation.plan.slug, evidence.pk]
    )


def remove_url(evidence):
    return reverse("evidence_remove", args=[evidence.update.recommendation.plan.slug, evidence.pk])


def edit_url(update):
    rec = update.recommendation
    return reverse("update_edit", args=[rec.plan.slug, rec.number, update.period_id])


def attach(update, by, name="training-figures.pdf", content=PDF):
    return services.attach_evidence(
        update=update, uploaded_file=upload(name, content), description="Figures", by=by
    )


# ---------------------------------------------------------------------------- file checks


@pytest.mark.parametrize(("name", "content", "content_type"), ACCEPTED)
def test_each_accepted_kind_of_file_is_stored_under_a_random_name_with_its_checked_type(
    owned, lead, media_root, name, content, content_type
):
    evidence = attach(owned, lead, name=name, content=content)

    evidence.refresh_from_db()
    assert (evidence.original_name, evidence.content_type) == (name, content_type)
    assert evidence.size == len(content)
    assert evidence.uploaded_by == lead
    plan_id = owned.recommendation.plan_id
    folder, stored = evidence.file.name.rsplit("/", 1)
    assert folder == f"evidence/{plan_id}"
    assert len(stored) == 32 and "." not in stored  # our name, never the uploader's
    assert (Path(media_root) / evidence.file.name).read_bytes() == content


@pytest.mark.parametrize(("name", "content", "message"), REFUSED)
def test_a_file_whose_content_or_name_is_not_allowed_is_refused_and_nothing_is_stored(
    owned, lead, media_root, name, content, message
):
    with pytest.raises(ValidationError) as refused:
        attach(owned, lead, name=name, content=content)
    assert message in refused.value.messages[0]
    assert not Evidence.objects.exists()
    assert not Evidence.history.exists()
    assert stored_files(media_root) == []


def test_a_file_over_the_configured_limit_is_refused_with_the_limit_in_the_message(
    owned, lead, settings, media_root
):
    settings.EVIDENCE_MAX_BYTES = 2 * 1024 * 1024
    big = PDF + b"0" * (2 * 1024 * 1024)
    with pytest.raises(ValidationError) as refused:
        attach(owned, lead, name="scan.pdf", content=big)
    assert "up to 2 MB" in refused.value.messages[0]
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_the_limit_is_ten_megabytes_unless_configured(settings):
    del settings.EVIDENCE_MAX_BYTES
    assert evidence_max_bytes() == 10 * 1024 * 1024
    assert "up to 10 MB" in evidence_hint()


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\officer\\Desktop\\report.pdf", "report.pdf"),
        ("bad\x00name\x1f.pdf", "badname.pdf"),
        ('say "hello" <now>.pdf', "say hello now.pdf"),
        ("line\r\nbreak.pdf", "linebreak.pdf"),
        ("invoice\u202efdp.pdf", "invoicefdp.pdf"),  # a right-to-left override hides the type
        ("..", "evidence"),
        ("   ", "evidence"),
        ("Café minutes.pdf", "Café minutes.pdf"),
    ],
)
def test_uploaded_names_are_reduced_to_a_safe_base_name(given, cleaned):
    assert clean_file_name(given) == cleaned


def test_a_very_long_name_is_shortened_keeping_its_extension():
    cleaned = clean_file_name("a" * 400 + ".pdf")
    assert len(cleaned) == MAX_NAME_LENGTH
    assert cleaned.endswith("a.pdf")


def test_a_name_that_hides_another_extension_is_judged_by_its_real_one(owned, lead):
    with pytest.raises(ValidationError) as refused:
        attach(owned, lead, name="invoice\u202efdp.exe", content=PDF)
    assert ".exe files cannot be attached" in refused.value.messages[0]


# ---------------------------------------------------------------------------- the web pages


def test_the_owner_attaches_evidence_from_the_recommendation_page(lead_client, lead, owned):
    rec = owned.recommendation
    page = lead_client.get(rec.get_absolute_url()).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert f'action="{upload_url(owned)}"' in page
    assert "PDF, Word, Excel, PowerPoint, PNG, JPEG, GIF, plain text or CSV; up to 10 MB." in page

    response = lead_client.post(
        upload_url(owned),
        {"file": upload("../training figures.pdf", PDF), "description": "Completion figures"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{rec.get_absolute_url()}#period-{owned.period_id}"
    evidence = Evidence.objects.get()
    assert (evidence.update, evidence.original_name) == (owned, "training figures.pdf")
    assert evidence.description == "Completion figures"
    record = evidence.history.get()
    assert (record.history_type, record.history_user) == ("+", lead)
    page = lead_client.get(rec.get_absolute_url()).content.decode()
    assert "training figures.pdf attached to the update for March 2026 update." in page
    assert "Completion figures" in page
    assert download_url(evidence) in page


def test_a_refused_upload_comes_back_with_a_message_next_to_the_file_field(
    lead_client, owned, media_root
):
    response = lead_client.post(upload_url(owned), {"file": upload("report.pdf", PNG)})

    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert 'id="id_file-error"' in page
    assert "report.pdf is named as a PDF but its content is a PNG image." in page
    assert 'href="#id_file"' in page
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_an_upload_over_the_limit_is_refused_on_the_page(lead_client, owned, settings, media_root):
    settings.EVIDENCE_MAX_BYTES = 1024
    response = lead_client.post(upload_url(owned), {"file": upload("scan.pdf", PDF + b"0" * 2000)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "scan.pdf is 2 KB; evidence files can be up to 1 KB." in page
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_an_upload_without_a_file_asks_for_one(lead_client, owned):
    response = lead_client.post(upload_url(owned), {"description": "Forgot the file"})
    assert response.status_code == 400
    assert "Choose a file to attach." in response.content.decode()


def test_the_upload_page_states_the_allowed_types_and_size(lead_client, owned):
    response = lead_client.get(upload_url(owned))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<label for="id_file">Evidence file</label>' in page
    assert "plain text or CSV; up to 10 MB." in page
    assert 'enctype="multipart/form-data"' in page


def test_evidence_cannot_be_attached_to_an_update_that_does_not_exist(lead_client, lead):
    rec = RecommendationFactory(owner=lead.owner)
    period = PeriodFactory(plan=rec.plan)
    url = reverse("evidence_upload", args=[rec.plan.slug, rec.number, period.pk])
    assert lead_client.post(url, {"file": upload("a.pdf", PDF)}).status_code == 404


@pytest.mark.parametrize("who", ["colleague", "executive", "outsider"])
def test_only_the_owner_or_an_administrator_may_attach_evidence(client, owned, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(upload_url(owned)).status_code == 403
    response = client.post(upload_url(owned), {"file": upload("a.pdf", PDF)})
    assert response.status_code == 403
    assert "may change its evidence" in response.content.decode()
    assert not Evidence.objects.exists()


def test_an_administrator_may_attach_evidence_to_any_update(client, owned, administrator):
    client.force_login(administrator)
    response = client.post(upload_url(owned), {"file": upload("a.pdf", PDF)})
    assert response.status_code == 302
    assert Evidence.objects.get().uploaded_by == administrator


def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_is_stored(client, owned):
    response = client.post(upload_url(owned), {"file": upload("a.pdf", PDF)})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Evidence.objects.exists()


def test_the_recommendation_page_offers_upload_and_removal_only_to_those_allowed(
    client, owned, lead, colleague, executive
):
    evidence = attach(owned, lead)
    rec = owned.recommendation
    client.force_login(lead)
    page = client.get(rec.get_absolute_url()).content.decode()
    assert upload_url(owned) in page and remove_url(evidence) in page
    for other in (colleague, executive):
        client.force_login(other)
        page = client.get(rec.get_absolute_url()).content.decode()
        assert download_url(evidence) in page
        assert upload_url(owned) not in page and remove_url(evidence) not in page


# ---------------------------------------------------------------------------- download


def test_download_is_an_attachment_with_the_clean_name_checked_type_and_nosniff(
    client, owned, lead, colleague
):
    evidence = attach(owned, lead, name='Café "summary".pdf')
    client.force_login(colleague)  # anyone who may see plans may download

    response = client.get(download_url(evidence))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Caf%C3%A9%20summary.pdf"
    )
    assert b"".join(response.streaming_content) == PDF


def test_an_image_is_downloaded_too_never_shown_inline(client, owned, lead, executive):
    evidence = attach(owned, lead, name="photo.png", content=PNG)
    client.force_login(executive)
    response = client.get(download_url(evidence))
    assert response["Content-Disposition"] == 'attachment; filename="photo.png"'
    assert response["Content-Type"] == "image/png"


def test_download_needs_a_role_and_a_sign_in(client, owned, lead, outsider):
    evidence = attach(owned, lead)
    anonymous = client.get(download_url(evidence))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    client.force_login(outsider)
    assert client.get(download_url(evidence)).status_code == 403


def test_evidence_is_only_found_under_its_own_plan(client, owned, lead):
    evidence = attach(owned, lead)
    other = RecommendationFactory()
    client.force_login(lead)
    url = reverse("evidence_download", args=[other.plan.slug, evidence.pk])
    assert client.get(url).status_code == 404


def test_a_file_missing_from_storage_is_a_404_not_an_error(client, owned, lead, media_root):
    evidence = attach(owned, lead)
    (Path(media_root) / evidence.file.name).unlink()
    client.force_login(lead)
    assert client.get(download_url(evidence)).status_code == 404


# ---------------------------------------------------------------------------- removal


def test_the_owner_removes_evidence_and_its_history_says_who_and_why(
    lead_client, owned, lead, media_root, django_capture_on_commit_callbacks
):
    evidence = attach(owned, lead)
    path = Path(media_root) / evidence.file.name
    assert "Remove evidence" in lead_client.get(remove_url(evidence)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(remove_url(evidence), {"reason": "Wrong file attached"})

    assert response.status_code == 302
    assert not Evidence.objects.exists()
    assert not path.exists()
    removed = Evidence.history.filter(history_type="-").get()
    assert removed.history_user == lead
    assert removed.history_change_reason == "Wrong file attached"
    assert removed.original_name == "training-figures.pdf"


@pytest.mark.parametrize("who", ["colleague", "executive", "outsider"])
def test_only_the_owner_or_an_administrator_may_remove_evidence(
    client, owned, lead, who, request, media_root
):
    evidence = attach(owned, lead)
    client.force_login(request.getfixturevalue(who))
    assert client.get(remove_url(evidence)).status_code == 403
    assert client.post(remove_url(evidence), {"reason": "x"}).status_code == 403
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert (Path(media_root) / evidence.file.name).exists()


def test_anonymous_visitors_cannot_remove_evidence(client, owned, lead):
    evidence = attach(owned, lead)
    response = client.post(remove_url(evidence))
    assert response.status_code == 302
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_the_only_evidence_of_a_completed_update_cannot_be_removed(lead_client, owned, lead):
    evidence = attach(owned, lead)
    services.record_update(
        recommendation=owned.recommendation,
        period=owned.period,
        status=Status.COMPLETE,
        text="Done.",
        author=lead,
    )
    response = lead_client.post(remove_url(evidence), {"reason": "Tidying"})
    assert response.status_code == 400
    assert "This is the only evidence for an update marked complete." in response.content.decode()
    assert Evidence.objects.filter(pk=evidence.pk).exists()


# ---------------------------------------------------------------------------- completion rule


def test_the_service_refuses_to_mark_complete_without_evidence_or_a_reason(owned, lead):
    before = owned.history.count()
    with pytest.raises(ValidationError) as refused:
        services.record_update(
            recommendation=owned.recommendation,
            period=owned.period,
            status=Status.COMPLETE,
            text="All done.",
            author=lead,
        )
    assert refused.value.message_dict == {"no_evidence_reason": [NO_EVIDENCE_MESSAGE]}
    owned.refresh_from_db()
    assert (owned.status, owned.history.count()) == (Status.ON_TRACK, before)


def test_a_new_update_marked_complete_without_evidence_is_not_written(lead):
    rec = RecommendationFactory(owner=lead.owner)
    period = PeriodFactory(plan=rec.plan)
    with pytest.raises(ValidationError):
        services.record_update(
            recommendation=rec, period=period, status=Status.COMPLETE, text="Done.", author=lead
        )
    assert not StatusUpdate.objects.exists()


def test_the_service_marks_complete_with_a_reason_or_with_evidence(owned, lead):
    rec, period = owned.recommendation, owned.period
    with_reason = services.record_update(
        recommendation=rec,
        period=period,
        status=Status.COMPLETE,
        text="Policy change only.",
        no_evidence_reason="The published policy is the evidence.",
        author=lead,
    )
    assert with_reason.status == Status.COMPLETE
    services.record_update(
        recommendation=rec,
        period=period,
        status=Status.ON_TRACK,
        text="Reopened.",
        no_evidence_reason="",
        author=lead,
    )
    attach(owned, lead)
    with_evidence = services.record_update(
        recommendation=rec, period=period, status=Status.COMPLETE, text="Done.", author=lead
    )
    assert with_evidence.status == Status.COMPLETE


def test_marking_complete_on_the_form_without_evidence_shows_the_message_beside_the_field(
    lead_client, owned
):
    response = lead_client.post(
        edit_url(owned), {"status": "complete", "text": "Done.", "version": owned.version}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_no_evidence_reason-error"' in page
    assert NO_EVIDENCE_MESSAGE in page
    owned.refresh_from_db()
    assert owned.status == Status.ON_TRACK


def test_the_form_counts_the_evidence_already_attached_to_the_update(lead_client, owned, lead):
    attach(owned, lead)
    owned.refresh_from_db()  # attaching evidence is a change: it counts in the version
    page = lead_client.get(edit_url(owned)).content.decode()
    assert "training-figures.pdf" in page
    response = lead_client.post(
        edit_url(owned), {"status": "complete", "text": "Done.", "version": owned.version}
    )
    assert response.status_code == 302
    owned.refresh_from_db()
    assert owned.status == Status.COMPLETE


def test_evidence_attached_with_the_update_itself_allows_completion(lead_client, owned, lead):
    response = lead_client.post(
        edit_url(owned),
        {
            "status": "complete",
            "text": "Training reviewed.",
            "version": owned.version,
            "evidence_file": upload("review.docx", ooxml("word/document.xml")),
            "evidence_description": "Review report",
        },
    )
    assert response.status_code == 302
    owned.refresh_from_db()
    assert owned.status == Status.COMPLETE
    evidence = Evidence.objects.get()
    assert (evidence.update, evidence.original_name, evidence.uploaded_by) == (
        owned,
        "review.docx",
        lead,
    )
    assert evidence.description == "Review report"


def test_a_bad_file_on_the_update_form_saves_neither_the_update_nor_the_file(
    lead_client, owned, media_root
):
    response = lead_client.post(
        edit_url(owned),
        {
            "status": "complete",
            "text": "Changed words.",
            "version": owned.version,
            "evidence_file": upload("review.docx", PDF),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_evidence_file-error"' in page
    assert "review.docx is named as a Word document but its content is a PDF." in page
    owned.refresh_from_db()
    assert owned.text != "Changed words."
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_the_update_form_is_multipart_and_states_the_limit(lead_client, owned):
    page = lead_client.get(edit_url(owned)).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert '<label for="id_evidence_file">Attach evidence (optional)</label>' in page
    assert "up to 10 MB." in page


def test_the_recommendation_page_query_count_does_not_grow_with_evidence(client, lead):
    def page_queries(rec):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(rec.get_absolute_url())
        assert response.status_code == 200
        return len(queries)

    def recommendation_with(evidence_per_update):
        rec = RecommendationFactory(owner=lead.owner)
        for position in range(3):
            update = StatusUpdateFactory(
                recommendation=rec, period=PeriodFactory(plan=rec.plan, position=position)
            )
            for n in range(evidence_per_update):
                attach(update, lead, name=f"file-{n}.pdf")
        services.change_due_date(
            recommendation=rec, new_date=rec.due_date.replace(year=2031), reason="Later.", by=lead
        )
        return rec

    few, many = recommendation_with(1), recommendation_with(4)
    client.force_login(lead)
    page_queries(few)  # warm the session
    assert page_queries(few) == page_queries(many)


def test_a_file_sent_with_an_otherwise_invalid_update_must_be_chosen_again(lead_client, owned):
    response = lead_client.post(
        edit_url(owned),
        {
            "status": "on_track",
            "text": "",
            "version": owned.version,
            "evidence_file": upload("review.pdf", PDF),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Write what has happened in this period." in page
    assert "Nothing was attached: choose the file again." in page
    assert not Evidence.objects.exists()

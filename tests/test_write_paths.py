"""Every way an update can be written, and the one rule that holds on each: an approved update's
words, status or evidence cannot change without going back for sign-off, and its approved
version stays in force (on the public page and in the returns) until the change is approved.
Nobody approves an update they wrote or last changed, whatever roles they hold."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from recommendations import services
from recommendations.choices import SignOff, Status
from recommendations.exports import common, xlsx
from recommendations.models import Evidence, StatusUpdate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

APPROVED = (
    "Long-term solution remains embedded with wider system changes required to our crime "
    "recording system."
)
CHANGED = "Supplier now promises the change in the August release."
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def approved(demo_plan):
    """Recommendation 7's "March 2026 update", approved by the executive, as published."""
    demo_plan.is_published = True
    demo_plan.save()
    update = StatusUpdate.objects.get(
        recommendation__plan=demo_plan,
        recommendation__number="7",
        period__label="March 2026 update",
    )
    assert update.sign_off == SignOff.APPROVED
    update.text = update.approved_text = APPROVED
    update.save()
    return update


def accounts(demo_plan):
    from django.contrib.auth import get_user_model

    return {user.username: user for user in get_user_model().objects.all()}


def signed_in(client, username):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))
    return client


def stored(update) -> StatusUpdate:
    return StatusUpdate.objects.get(pk=update.pk)


def in_force_everywhere(client, update, words: str) -> None:
    """The public page and the return show `words`, and nothing of the change."""
    client.logout()
    public = client.get(reverse("public_plan", args=[update.recommendation.plan.slug]))
    assert words in public.content.decode()
    assert CHANGED not in public.content.decode()
    ret = common.build_return(update.recommendation.plan)
    sheet = load_workbook(io.BytesIO(xlsx.render(ret)))["Return"]
    cells = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value]
    assert any(words in cell for cell in cells)
    assert not any(CHANGED in cell for cell in cells)


def back_for_sign_off(update, *, state=SignOff.SUBMITTED) -> StatusUpdate:
    update = stored(update)
    assert update.sign_off == state
    assert update.approved_text == APPROVED
    return update


# ---------------------------------------------------------------------------- the pages


def edit(client, update, **extra):
    url = reverse(
        "update_edit",
        args=[update.recommendation.plan.slug, update.recommendation.number, update.period_id],
    )
    data = {"status": Status.AT_RISK, "text": CHANGED, "version": stored(update).version, **extra}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_the_update_form_saving_a_draft(client, approved):
    edit(signed_in(client, "lead"), approved)
    update = back_for_sign_off(approved, state=SignOff.DRAFT)
    assert update.text == CHANGED
    in_force_everywhere(client, approved, APPROVED)


def test_the_update_form_submitting(client, approved):
    edit(signed_in(client, "lead"), approved, submit="1")
    back_for_sign_off(approved)
    in_force_everywhere(client, approved, APPROVED)


def test_the_evidence_form_attaching_a_file(client, approved):
    signed_in(client, "lead").post(
        reverse(
            "evidence_upload",
            args=[approved.recommendation.plan.slug, "7", approved.period_id],
        ),
        {"file": SimpleUploadedFile("minutes.pdf", PDF, "application/pdf")},
    )
    assert approved.evidence.count() == 1
    back_for_sign_off(approved)
    in_force_everywhere(client, approved, APPROVED)


def test_the_evidence_form_removing_a_file(client, approved):
    lead = accounts(approved)["lead"]
    update = stored(approved)
    services.attach_evidence(update=update, uploaded_file=SimpleUploadedFile("a.pdf", PDF), by=lead)
    executive = accounts(approved)["executive"]
    services.change_sign_off(update=stored(approved), to=SignOff.APPROVED, by=executive)
    evidence = Evidence.objects.get()
    signed_in(client, "lead").post(
        reverse("evidence_remove", args=[approved.recommendation.plan.slug, evidence.pk]),
        {"reason": "Wrong file."},
    )
    assert not Evidence.objects.exists()
    back_for_sign_off(approved)


# ---------------------------------------------------------------------------- the admin


def admin_change(client, update, **fields):
    data = {
        "status": Status.AT_RISK,
        "text": CHANGED,
        "no_evidence_reason": "",
        "started_from_version": stored(update).version,
        **fields,
    }
    url = reverse("admin:recommendations_statusupdate_change", args=[update.pk])
    return client.post(url, data)


def test_the_admin_change_form(client, approved):
    response = admin_change(signed_in(client, "admin"), approved)
    assert response.status_code == 302, response.content.decode()[:3000]
    update = back_for_sign_off(approved)
    assert update.text == CHANGED and update.changed_by.username == "admin"
    in_force_everywhere(client, approved, APPROVED)


def test_the_admin_cannot_set_the_sign_off_or_the_reviewer(client, approved):
    executive = accounts(approved)["executive"]
    response = admin_change(
        signed_in(client, "admin"),
        approved,
        sign_off=SignOff.APPROVED,
        reviewed_by=executive.pk,
        reviewer_comment="Never seen by the executive.",
    )
    assert response.status_code == 302
    update = back_for_sign_off(approved)
    assert update.reviewer_comment != "Never seen by the executive."
    page = client.get(
        reverse("admin:recommendations_statusupdate_change", args=[approved.pk])
    ).content.decode()
    assert 'name="sign_off"' not in page and 'name="reviewed_by"' not in page


def test_the_admin_delete_action_goes_through_the_services(client, approved):
    signed_in(client, "admin").post(
        reverse("admin:recommendations_statusupdate_changelist"),
        {"action": "delete_selected", "_selected_action": [approved.pk], "post": "yes"},
    )
    assert not StatusUpdate.objects.filter(pk=approved.pk).exists()
    removed = StatusUpdate.history.filter(id=approved.pk, history_type="-").get()
    assert removed.history_user.username == "admin"


# ---------------------------------------------------------------------------- imports and commands


def next_quarter_file(tmp_path):
    book = Workbook()
    book.active.append(["Rec No.", "Recommendation", "March 2026 update"])
    book.active.append(["7", "Seek changes.", CHANGED])
    path = tmp_path / "march.xlsx"
    book.save(path)
    return path


def test_the_import_command_into_the_plan(client, approved, tmp_path):
    call_command(
        "import_plan",
        str(next_quarter_file(tmp_path)),
        "--plan",
        approved.recommendation.plan.slug,
        "--user",
        "admin",
        stdout=io.StringIO(),
    )
    update = back_for_sign_off(approved)
    assert update.text == CHANGED
    in_force_everywhere(client, approved, APPROVED)


def test_the_import_page_into_the_plan(client, approved, tmp_path):
    signed_in(client, "admin")
    path = next_quarter_file(tmp_path)
    response = client.post(
        reverse("import_upload"),
        {
            "file": SimpleUploadedFile("march.xlsx", path.read_bytes()),
            "plan": approved.recommendation.plan.pk,
        },
    )
    assert response.context["preview"].mode == "update"
    confirm = client.post(
        reverse("import_confirm"), {"token": response.context["token"], "confirm": "1"}
    )
    assert confirm.status_code == 302
    back_for_sign_off(approved)
    in_force_everywhere(client, approved, APPROVED)


# ---------------------------------------------------------------------------- four eyes


def sign_off(client, update, action, comment=""):
    url = reverse(
        "update_sign_off",
        args=[update.recommendation.plan.slug, update.recommendation.number, update.period_id],
    )
    return client.post(url, {"action": action, "comment": comment})


def test_a_lead_who_is_also_an_executive_cannot_approve_their_own_update(client, approved):
    lead = accounts(approved)["lead"]
    from django.contrib.auth.models import Group

    lead.groups.add(Group.objects.get(name="Executive"))
    edit(signed_in(client, "lead"), approved, submit="1")
    response = sign_off(client, approved, "approve")
    assert response.status_code == 400
    assert "someone else must sign it off" in response.content.decode()
    back_for_sign_off(approved)
    # Another executive may.
    assert sign_off(signed_in(client, "executive"), approved, "approve").status_code == 302
    assert stored(approved).approved_text == CHANGED


def test_an_administrator_who_changed_it_in_the_admin_cannot_approve_it(client, approved):
    admin = accounts(approved)["admin"]
    from django.contrib.auth.models import Group

    admin.groups.add(Group.objects.get(name="Executive"))
    admin_change(signed_in(client, "admin"), approved)
    assert sign_off(client, approved, "approve").status_code == 400
    with pytest.raises(services.WorkflowError):
        services.change_sign_off(update=stored(approved), to=SignOff.APPROVED, by=admin)
    back_for_sign_off(approved)


def test_whoever_attached_evidence_cannot_approve_the_update(approved):
    someone = UserFactory(username="attacher", role="Executive")
    services.attach_evidence(
        update=stored(approved), uploaded_file=SimpleUploadedFile("b.pdf", PDF), by=someone
    )
    with pytest.raises(services.WorkflowError, match="someone else must sign it off"):
        services.change_sign_off(update=stored(approved), to=SignOff.APPROVED, by=someone)


def test_returning_without_a_comment_is_refused_beside_the_comment(client, approved):
    edit(signed_in(client, "lead"), approved, submit="1")
    response = sign_off(signed_in(client, "executive"), approved, "return")
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Say what needs to change when returning an update." in page
    back_for_sign_off(approved)

"""The mapping step and next quarter's file: every column and status word shown with its
meaning and changeable before anything is saved, the choice kept with the plan, and a second
file adding its updates to the plan awaiting sign-off, shown first as old text -> new text."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from recommendations import imports
from recommendations.choices import SignOff, Status
from recommendations.imports import save as saving
from recommendations.imports.mapping import Mapping, Meaning
from recommendations.models import Plan, Recommendation, StatusUpdate
from tests.snapshots import assert_unchanged, snapshot

pytestmark = pytest.mark.django_db

FIRST = (
    "Force action plan: audit of stalking\n"
    "Executive Lead: Assistant Chief Constable Vaughn Lukey\n"
    "Ref,Action,Owner,Deadline date,Q1 2025,RAG,Overall %\n"
    "1,Train every call handler.,DI Jo Bloggs,31/03/2025,Course booked.,Green,40\n"
    "2,Review the policy.,,30/06/2025,Not begun.,Purple,0\n"
)
SECOND = (
    "Force action plan: audit of stalking\n"
    "Ref,Action,Owner,Deadline date,Q1 2025,Q2 2025,RAG,Overall %\n"
    "1,Train every call handler.,DI Jo Bloggs,31/03/2025,Course booked.,All trained.,Blue,100\n"
    "2,Review the policy.,,30/06/2025,Not begun.,Drafted.,Amber,50\n"
)


def read(text: str, **options) -> imports.ImportPreview:
    return imports.read_plan(text.encode(), filename="audit.csv", **options)


def column(preview, header):
    return next(c for c in preview.columns if c.header == header)


def test_every_column_and_status_word_is_shown_with_the_meaning_given_to_it():
    preview = read(FIRST)
    meanings = {c.header: c.meaning for c in preview.columns}
    assert meanings == {
        "Ref": Meaning.NUMBER,
        "Action": Meaning.SUBS,  # actions: here the only text each row has
        "Owner": Meaning.OWNER,
        "Deadline date": Meaning.DUE,
        "Q1 2025": Meaning.PERIOD,
        "RAG": Meaning.STATUS,
        "Overall %": Meaning.DETAIL,
    }
    words = {w.word: w.status for w in preview.status_words}
    assert words == {"Green": Status.ON_TRACK, "Purple": None}
    # A word the tracker cannot place stops the import until someone chooses.
    assert any("Purple" in str(problem) for problem in preview.problems)


def test_a_chosen_mapping_changes_what_is_read_and_is_kept_with_the_plan(administrator):
    mapping = Mapping()
    mapping.choose_status("Purple", Status.NOT_STARTED)
    mapping.choose_column("Overall %", Meaning.IGNORE)
    preview = read(FIRST, mapping=mapping)
    assert preview.ok, preview.problems
    assert [c.header for c in preview.not_imported] == ["Overall %"]
    plan = saving.save_plan(preview, by=administrator)

    two = plan.recommendations.get(number="2")
    assert two.updates.get().status == Status.NOT_STARTED
    assert two.details == {}
    assert plan.import_mapping["statuses"]["purple"] == Status.NOT_STARTED
    assert plan.import_mapping["columns"]["overall percent"] == {"meaning": "ignore"}


def test_next_quarters_file_adds_its_updates_awaiting_sign_off_and_touches_nothing_else(
    administrator,
):
    mapping = Mapping()
    mapping.choose_status("Purple", Status.NOT_STARTED)
    plan = saving.save_plan(read(FIRST, mapping=mapping, slug="audit"), by=administrator)
    one = plan.recommendations.get(number="1")
    before_text = one.text

    saved = Mapping.from_dict(plan.import_mapping)
    preview = read(SECOND, slug="audit", into_existing=True, mapping=saved)
    assert preview.ok, preview.problems
    assert preview.mode == "update"
    changes = [(c.number, c.period, c.old_text, c.new_text, c.new_status) for c in preview.changes]
    assert changes == [
        ("1", "Q2 2025", "", "All trained.", Status.COMPLETE),
        ("2", "Q2 2025", "", "Drafted.", Status.AT_RISK),
    ]
    saving.save_plan(preview, by=administrator, expected_changes=saving.changes_digest(preview))

    q2 = StatusUpdate.objects.filter(period__plan=plan, period__label="Q2 2025")
    assert {(u.recommendation.number, u.text, u.sign_off) for u in q2} == {
        ("1", "All trained.", SignOff.SUBMITTED),
        ("2", "Drafted.", SignOff.SUBMITTED),
    }
    q1 = StatusUpdate.objects.get(recommendation__number="1", period__label="Q1 2025")
    assert (q1.text, q1.sign_off, q1.version) == ("Course booked.", SignOff.APPROVED, 1)
    one.refresh_from_db()
    assert one.text == before_text and one.details == {"Overall %": "40"}
    assert list(plan.periods.values_list("label", flat=True)) == ["Q1 2025", "Q2 2025"]


def test_a_changed_update_is_shown_old_against_new_and_can_be_recorded_approved(administrator):
    mapping = Mapping()
    mapping.choose_status("Purple", Status.NOT_STARTED)
    plan = saving.save_plan(read(FIRST, mapping=mapping, slug="audit"), by=administrator)
    edited = FIRST.replace("Course booked.", "Course booked for May.")
    preview = read(edited, slug="audit", into_existing=True, mapping=mapping)
    assert [(c.old_text, c.new_text) for c in preview.changes] == [
        ("Course booked.", "Course booked for May.")
    ]
    saving.save_plan(preview, by=administrator, approve=True)
    update = StatusUpdate.objects.get(recommendation__plan=plan, recommendation__number="1")
    assert (update.text, update.sign_off, update.version) == (
        "Course booked for May.",
        SignOff.APPROVED,
        2,
    )
    assert update.history.first().history_change_reason == "Imported from audit.csv"


def test_an_update_changed_after_the_preview_refuses_the_save(administrator):
    mapping = Mapping()
    mapping.choose_status("Purple", Status.NOT_STARTED)
    plan = saving.save_plan(read(FIRST, mapping=mapping, slug="audit"), by=administrator)
    preview = read(SECOND, slug="audit", into_existing=True, mapping=mapping)
    digest = saving.changes_digest(preview)
    from recommendations import services

    rec = Recommendation.objects.get(plan=plan, number="1")
    q2 = services.add_period(plan=plan, label="Q2 2025")
    services.record_update(
        recommendation=rec, period=q2, status="", text="Someone else's words.", author=None
    )
    before = snapshot()
    with pytest.raises(imports.ImportRefused, match="changed after the preview"):
        saving.save_plan(preview, by=administrator, expected_changes=digest)
    assert_unchanged(before)


def test_an_action_number_not_in_the_plan_is_named_and_left_out(administrator):
    mapping = Mapping()
    mapping.choose_status("Purple", Status.NOT_STARTED)
    saving.save_plan(read(FIRST, mapping=mapping, slug="audit"), by=administrator)
    extra = SECOND + "3,A new action.,,,,Started.,Green,10\n"
    preview = read(extra, slug="audit", into_existing=True, mapping=mapping)
    assert any("3 is not in this plan" in str(w) for w in preview.warnings)
    assert {c.number for c in preview.changes} == {"1", "2"}


# ---------------------------------------------------------------------------- the command line


def test_show_mapping_prints_the_guess_as_json_that_import_plan_reads_back(tmp_path):
    source = tmp_path / "audit.csv"
    source.write_text(FIRST)
    out = io.StringIO()
    call_command("import_plan", str(source), "--show-mapping", stdout=out, stderr=io.StringIO())
    guessed = json.loads(out.getvalue())
    assert guessed["columns"]["overall percent"] == {"meaning": "detail"}
    assert "purple" not in guessed["statuses"]

    guessed["statuses"]["purple"] = "not_started"
    guessed["columns"]["overall percent"] = {"meaning": "ignore"}
    edited = tmp_path / "mapping.json"
    edited.write_text(json.dumps(guessed))
    out = io.StringIO()
    call_command("import_plan", str(source), "--mapping", str(edited), stdout=out)
    plan = Plan.objects.get()
    assert plan.recommendations.get(number="2").updates.get().status == Status.NOT_STARTED
    assert "Imported 2 recommendations" in out.getvalue()


def test_a_dry_run_that_would_leave_a_column_out_says_so(tmp_path):
    source = tmp_path / "audit.csv"
    source.write_text(FIRST.replace("Purple", "Red"))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"version": 1, "columns": {"overall %": "ignore"}}))
    out = io.StringIO()
    call_command("import_plan", str(source), "--dry-run", "--mapping", str(mapping), stdout=out)
    text = out.getvalue()
    assert 'Not imported:\n  column G "Overall %": 2 cells left out' in text
    assert "1 column would not be imported" in text
    assert not Plan.objects.exists()


def test_a_bad_mapping_file_is_refused_entry_by_entry(tmp_path):
    source = tmp_path / "audit.csv"
    source.write_text(FIRST)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"version": 1, "columns": {"ref": "serial number"}}))
    with pytest.raises(CommandError, match='Column "ref": "serial number" is not a meaning'):
        call_command("import_plan", str(source), "--mapping", str(mapping))
    assert not Plan.objects.exists()


def test_the_command_adds_next_quarters_updates_to_an_existing_plan(tmp_path, administrator):
    first, second = tmp_path / "q1.csv", tmp_path / "q2.csv"
    first.write_text(FIRST.replace("Purple", "Red"))
    second.write_text(SECOND)
    call_command("import_plan", str(first), "--plan", "audit", stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_plan", str(second), "--plan", "audit", stdout=out)
    assert '1, Q2 2025: nothing -> "All trained."' in out.getvalue()
    assert "Added or changed 2 updates" in out.getvalue()
    assert set(
        StatusUpdate.objects.filter(period__label="Q2 2025").values_list("sign_off", flat=True)
    ) == {SignOff.SUBMITTED}


# ---------------------------------------------------------------------------- the pages


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def upload(client, text: str, name: str = "audit.csv", **fields):
    data = {"file": SimpleUploadedFile(name, text.encode()), **fields}
    return client.post(reverse("import_upload"), data)


def mapping_fields(page_context) -> dict:
    """The mapping form as the page fills it in: every choice as shown."""
    form = page_context["mapping_form"]
    fields = {"token": page_context["token"]}
    for name, field in form.fields.items():
        fields[name] = form.initial.get(name, field.initial)
    return fields


def test_the_preview_page_shows_every_column_and_word_with_its_choices(admin_client):
    response = upload(admin_client, FIRST)
    page = response.content.decode()
    assert response.status_code == 400  # "Purple" cannot be placed yet
    for header in ["Ref", "Action", "Owner", "Deadline date", "Q1 2025", "RAG", "Overall %"]:
        assert f"“{header}”" in page
    assert "Kept as a detail of the recommendation" in page
    assert "“Purple”" in page and "Not placed" in page
    assert not Plan.objects.exists()


def test_changing_choices_in_the_preview_shows_them_again_before_saving(admin_client):
    first = upload(admin_client, FIRST)
    fields = mapping_fields(first.context)
    words = first.context["mapping_form"].words
    fields[f"status_{[w.word for w in words].index('Purple')}"] = Status.NOT_STARTED
    columns = [c.header for c in first.context["mapping_form"].columns]
    fields[f"column_{columns.index('Overall %')}"] = Meaning.IGNORE
    # "Save" with unseen choices shows them first: nothing is saved yet.
    shown = admin_client.post(reverse("import_confirm"), {**fields, "confirm": "1"})
    assert shown.status_code == 200
    assert not Plan.objects.exists()
    assert "Column G “Overall %”" in shown.content.decode().replace("\n", " ") or (
        "Overall %" in shown.content.decode()
    )
    assert [c.header for c in shown.context["preview"].not_imported] == ["Overall %"]

    saved = admin_client.post(
        reverse("import_confirm"), {**mapping_fields(shown.context), "confirm": "1"}
    )
    assert saved.status_code == 302
    plan = Plan.objects.get()
    assert plan.recommendations.get(number="2").updates.get().status == Status.NOT_STARTED
    assert plan.recommendations.get(number="1").details == {}


def test_next_quarters_file_uploaded_into_a_plan_uses_its_saved_mapping(admin_client):
    mapping = Mapping()
    mapping.choose_status("Purple", Status.NOT_STARTED)
    plan = saving.save_plan(read(FIRST, mapping=mapping, slug="audit"))
    response = upload(admin_client, SECOND.replace("Amber", "Purple"), plan=plan.pk)
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.mode == "update" and len(preview.changes) == 2
    assert "Changes to" in response.content.decode()
    saved = admin_client.post(
        reverse("import_confirm"), {**mapping_fields(response.context), "confirm": "1"}
    )
    assert saved.status_code == 302
    q2 = StatusUpdate.objects.get(recommendation__number="2", period__label="Q2 2025")
    assert (q2.status, q2.sign_off) == (Status.NOT_STARTED, SignOff.SUBMITTED)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("plan.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG image"),
        ("plan.docx", b"Just words", "cannot be imported"),
        ("plan.xlsx", b"", "empty"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_beside_the_file_field(
    admin_client, name, data, message
):
    before = snapshot()
    response = admin_client.post(reverse("import_upload"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert any(message in error for error in errors), errors
    assert_unchanged(before)

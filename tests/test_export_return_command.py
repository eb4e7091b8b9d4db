"""`manage.py export_return`: the file it writes and the choices it refuses."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from pypdf import PdfReader

from recommendations.choices import SignOff, Status
from tests.factories import PeriodFactory, PlanFactory, RecommendationFactory, StatusUpdateFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("export_return", *[str(arg) for arg in args], stdout=out)
    return out.getvalue()


def return_rows(path) -> dict[str, dict]:
    sheet = openpyxl.load_workbook(path)["Return"]
    rows = list(sheet.iter_rows(values_only=True))
    return {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


@pytest.fixture
def two_period_plan():
    plan = PlanFactory(slug="two-periods")
    first = PeriodFactory(plan=plan, label="Initial response", position=0)
    second = PeriodFactory(plan=plan, label="March 2026 update", position=1)
    rec = RecommendationFactory(plan=plan, number="7", addressee="Chief Constables")
    StatusUpdateFactory(recommendation=rec, period=first, status=Status.AT_RISK, text="Begun")
    StatusUpdateFactory(
        recommendation=rec,
        period=second,
        status=Status.COMPLETE,
        text="Finished, awaiting approval",
        sign_off=SignOff.SUBMITTED,
    )
    return plan


def test_the_command_writes_the_demo_plan_as_xlsx(demo_plan, tmp_path):
    path = tmp_path / "return.xlsx"
    out = run(demo_plan.slug, "--format", "xlsx", "-o", path)
    rows = return_rows(path)
    assert rows["7"]["Addressee"] == "Chief Constables"
    assert rows["7"]["Initial action plan response"].startswith("Long-term solution via RMS")
    assert f"Wrote {path}: 2 recommendations" in out
    assert '"March 2026 update"' in out


def test_the_command_writes_a_landscape_pdf(demo_plan, tmp_path):
    path = tmp_path / "return.pdf"
    run(demo_plan.slug, "--format", "pdf", "-o", path)
    reader = PdfReader(path)
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)
    assert "Chief" in reader.pages[0].extract_text()


def test_a_period_is_chosen_by_its_label(two_period_plan, tmp_path):
    path = tmp_path / "first.xlsx"
    run("two-periods", "--format", "xlsx", "--period", "Initial response", "-o", path)
    row = return_rows(path)["7"]
    assert row["Status (Initial response)"] == "At risk"


def test_pending_updates_are_left_out_unless_asked_for(two_period_plan, tmp_path):
    path = tmp_path / "return.xlsx"
    run("two-periods", "--format", "xlsx", "-o", path)
    assert return_rows(path)["7"]["March 2026 update"] is None
    run("two-periods", "--format", "xlsx", "--include-pending", "-o", path)
    row = return_rows(path)["7"]
    assert row["March 2026 update"] == "[Awaiting sign-off] Finished, awaiting approval"
    assert row["Status (March 2026 update)"] == "Complete"


def test_without_an_output_the_file_gets_a_descriptive_name_here(
    two_period_plan, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    run("two-periods", "--format", "xlsx")
    today = timezone.localdate().isoformat()
    assert (tmp_path / f"two-periods_march-2026-update_{today}.xlsx").is_file()


def test_an_as_of_date_today_is_accepted_and_named_in_the_file(two_period_plan, tmp_path):
    today = timezone.localdate().isoformat()
    out = run("two-periods", "--format", "xlsx", "--as-of", today, "-o", tmp_path)
    # Today's date alone means now, so the name carries the time as well.
    written = list(tmp_path.glob(f"two-periods_march-2026-update_{today}_as-at-{today}-*.xlsx"))
    assert len(written) == 1
    assert return_rows(written[0])["7"]["Initial response"] == "Begun"
    assert "as at" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-plan", "--format", "xlsx"], 'There is no plan at "no-such-plan"'),
        (["two-periods", "--format", "xlsx", "--period", "Q9"], 'no reporting period called "Q9"'),
        (["two-periods", "--format", "xlsx", "--as-of", "31/03/2026"], "YYYY-MM-DD"),
        (["two-periods", "--format", "xlsx", "--as-of", "2999-01-01"], "in the future"),
        (["two-periods", "--format", "pdf", "--as-of", "2001-01-01T09:00"], "only created on"),
    ],
)
def test_a_bad_choice_stops_with_a_clear_message_and_no_file(
    two_period_plan, tmp_path, args, message
):
    path = tmp_path / "out.xlsx"
    with pytest.raises(CommandError, match=message):
        run(*args, "-o", path)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_refused(two_period_plan, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run("two-periods", "--format", "xlsx", "-o", tmp_path / "nowhere" / "x.xlsx")


def test_an_existing_return_is_replaced_whole(two_period_plan, tmp_path):
    path = tmp_path / "return.xlsx"
    path.write_bytes(b"an older return")
    run("two-periods", "--format", "xlsx", "-o", path)
    assert return_rows(path)["7"]["Initial response"] == "Begun"
    assert [p.name for p in tmp_path.iterdir()] == ["return.xlsx"]

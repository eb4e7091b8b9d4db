"""`manage.py import_plan`: preview, dry run, refusal and the plan it writes."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from recommendations.management.commands.import_plan import Command
from recommendations.models import Plan, Recommendation
from tests.factories import PlanFactory, RecommendationFactory, UserFactory
from tests.test_import import return_workbook, seed_workbook, table_counts

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_plan", *[str(arg) for arg in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def seed_file(tmp_path):
    path = tmp_path / "hiowc.xlsx"
    seed_workbook().save(path)
    return path


def test_the_command_imports_the_published_plan_under_the_address_given(seed_file):
    out, _ = run(seed_file, "--plan", "stalking", "--title", "Stalking action plan")
    plan = Plan.objects.get(slug="stalking")
    assert plan.title == "Stalking action plan"
    assert str(plan.executive_lead) == "D/Supt Abbie Leeson"
    assert list(plan.recommendations.top_level().values_list("number", flat=True)) == ["7", "10"]
    assert 'Imported 2 recommendations into "Stalking action plan" (stalking)' in out
    reasons = set(Recommendation.history.values_list("history_change_reason", flat=True))
    assert reasons == {"Imported from hiowc.xlsx"}


def test_a_dry_run_prints_the_preview_and_writes_nothing(seed_file):
    before = table_counts()
    out, _ = run(seed_file, "--plan", "stalking", "--dry-run")
    assert table_counts() == before
    for text in [
        "Plan: Stalking [stalking]",
        "Strategic / Executive Lead: D/Supt Abbie Leeson (new owner)",
        "Periods: Initial action plan response | March 2026 update",
        "Recommendations: 2",
        "7 (row 5, due 27/03/2025)",
        "    10.2 (row 6)\n        Makes appropriate use",
        "    10.3 (row 6)\n        Uses the skills and",
        "Addressee: Cheif Constables",
        "March 2026 update: HIOWC has reviewed all training content",
        'column E "Rec. Owner": Addressee (who the report addressed)',
        "Not imported: nothing (every column is read).",
        "Dry run: the file can be imported; nothing was written.",
    ]:
        assert text in out, text


def test_a_bad_file_is_refused_with_its_problems_and_writes_nothing(tmp_path):
    workbook = seed_workbook()
    workbook.active["B6"] = None
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    before = table_counts()
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"bad\.xlsx was refused with 1 problem\. Nothing"):
        call_command("import_plan", str(path), "--title", "Plan", stdout=io.StringIO(), stderr=err)
    assert (
        'Problem: Sheet "Sheet1", row 6, column A (Rec No.): the recommendation text is '
        "missing." in err.getvalue()
    )
    assert table_counts() == before


def test_into_an_existing_plan_only_the_updates_of_its_own_numbers_go_in(seed_file):
    plan = PlanFactory(slug="stalking")
    RecommendationFactory(plan=plan, number="99")
    before = table_counts()
    out, _ = run(seed_file, "--plan", "stalking")
    assert "Updates added or changed: 0" in out
    assert table_counts() == before


def test_an_existing_empty_plan_is_filled_and_keeps_its_title(seed_file):
    plan = PlanFactory(slug="stalking", title="Set up by hand")
    out, _ = run(seed_file, "--plan", "stalking")
    plan.refresh_from_db()
    assert plan.title == "Set up by hand"
    assert plan.recommendations.top_level().count() == 2
    assert plan.periods.count() == 2
    assert "the existing, empty plan" in out


def test_our_own_return_needs_no_title_and_records_the_user_given(tmp_path):
    user = UserFactory(username="admin-user")
    path = tmp_path / "return.xlsx"
    return_workbook().save(path)
    run(path, "--user", "admin-user")
    plan = Plan.objects.get(slug="stalking-imported")
    assert {r.history_user for r in Recommendation.history.filter(plan_id=plan.pk)} == {user}


def test_a_missing_file_or_user_is_a_clear_error(seed_file, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "nowhere.xlsx")
    with pytest.raises(CommandError, match="No user with the username 'nobody'"):
        run(seed_file, "--user", "nobody")


def test_the_help_says_what_happens_to_an_existing_plan():
    parser = Command().create_parser("manage.py", "import_plan")
    text = " ".join(parser.format_help().split())
    assert "an empty plan is filled, and a plan with recommendations gets the file's new" in text
    assert "--show-mapping" in text and "--mapping" in text
    assert "--dry-run" in text

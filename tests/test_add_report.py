"""`manage.py add_report --from-return`: a national deployment sets a report up from a force's
return (the report's own recommendations, not the force's local actions)."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from recommendations.models import Report, ReportRecommendation
from tests.open_returns import return_document

pytestmark = pytest.mark.django_db


def test_the_report_and_its_recommendations_are_set_up_from_a_return(tmp_path):
    path = tmp_path / "return.json"
    path.write_text(json.dumps(return_document()))
    call_command("add_report", "--from-return", str(path), verbosity=0)
    report = Report.objects.get(slug="stalking-super-complaint")
    assert report.title == "Stalking super-complaint report"
    assert str(report.published) == "2024-09-27"
    numbers = sorted(report.recommendations.values_list("number", "parent__number"))
    assert numbers == [("10", None), ("7", None), ("7.1", "7")]  # not the local L1
    assert report.history.first().history_change_reason == (
        "Set up from Example Constabulary's return"
    )
    # A second time changes nothing.
    call_command("add_report", "--from-return", str(path), verbosity=0)
    assert ReportRecommendation.objects.count() == 3


def test_a_file_that_is_not_a_return_is_refused_and_nothing_is_made(tmp_path):
    broken = return_document()
    del broken["report"]["title"]
    path = tmp_path / "return.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(CommandError, match="report: 'title' is a required property"):
        call_command("add_report", "--from-return", str(path), verbosity=0)
    (tmp_path / "not.json").write_text("<html>")
    with pytest.raises(CommandError, match="could not be read as JSON"):
        call_command("add_report", "--from-return", str(tmp_path / "not.json"), verbosity=0)
    assert not Report.objects.exists()


def test_a_file_nested_too_deeply_is_refused_and_nothing_is_made(tmp_path):
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" * 200_000 + b"]" * 200_000)

    with pytest.raises(CommandError, match=r"not a JSON return \(nested too deeply\)"):
        call_command("add_report", "--from-return", str(path), verbosity=0)

    assert not Report.objects.exists()


def _refused(tmp_path, document, *expected: str) -> None:
    path = tmp_path / "return.json"
    path.write_text(json.dumps(document))
    with pytest.raises(CommandError) as error:
        call_command("add_report", "--from-return", str(path), verbosity=0)
    for text in ("nothing was saved", *expected):
        assert text in str(error.value)
    assert not Report.objects.exists()
    assert not ReportRecommendation.objects.exists()


def test_a_report_number_given_twice_is_refused_and_nothing_is_made(tmp_path):
    document = return_document()
    document["recommendations"][1]["report_number"] = "7"

    _refused(
        tmp_path,
        document,
        "row 2 (report recommendation 7): the return gives this report recommendation twice.",
    )


def test_a_report_with_an_invalid_address_is_refused_and_nothing_is_made(tmp_path):
    document = return_document()
    document["report"]["url"] = "not an address"

    _refused(tmp_path, document, "the report: Enter a valid URL.")


def test_a_number_the_tracker_refuses_is_refused_and_nothing_is_made(tmp_path):
    document = return_document()
    document["recommendations"][1]["report_number"] = "10/2"

    _refused(tmp_path, document, "row 2 (report recommendation 10/2): ")


def test_a_character_that_cannot_be_stored_is_refused_and_nothing_is_made(tmp_path):
    document = return_document()
    document["recommendations"][1]["text"] = "Training\u0000"

    _refused(tmp_path, document, "recommendations[1].text: contains a character that cannot")

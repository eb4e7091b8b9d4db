"""Progress reported per sub-recommendation or action: each carries its own owner, due date,
updates, sign-off and evidence, and a recommendation with no status of its own stands where
its actions do, on every page, digest and return."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from recommendations import dashboard, figures, progress, queries, reminders, services
from recommendations.choices import SignOff, Status
from recommendations.exports import common, pdf, xlsx
from recommendations.models import Recommendation, StatusUpdate
from tests.factories import OwnerFactory, PeriodFactory, PlanFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Status
TODAY = dt.date(2026, 6, 1)


# ---------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        ([], ""),
        (["", ""], ""),
        ([S.COMPLETE, S.COMPLETE], S.COMPLETE),
        ([S.CLOSED, S.CLOSED], S.CLOSED),
        ([S.CLOSED, S.COMPLETE], S.COMPLETE),
        ([S.ON_TRACK, S.AT_RISK, S.COMPLETE], S.AT_RISK),
        ([S.OFF_TRACK, S.AT_RISK, S.ON_TRACK], S.OFF_TRACK),
        ([S.NOT_STARTED, S.NOT_STARTED], S.NOT_STARTED),
        ([S.COMPLETE, S.NOT_STARTED], S.ON_TRACK),
        ([S.COMPLETE, ""], S.ON_TRACK),
        ([S.ON_TRACK, ""], S.ON_TRACK),
        ([S.NOT_STARTED, ""], S.NOT_STARTED),
    ],
)
def test_a_recommendation_without_a_status_stands_where_its_actions_do(actions, expected):
    assert progress.rollup(actions) == expected
    assert progress.status_of("", actions) == expected


def test_a_recommendations_own_status_wins_over_its_actions():
    assert progress.status_of(S.ON_TRACK, [S.OFF_TRACK]) == S.ON_TRACK


def test_an_actions_status_carries_forward_into_periods_without_an_update():
    assert progress.carried_forward([S.AT_RISK, None, S.COMPLETE, None]) == [
        S.AT_RISK,
        S.AT_RISK,
        S.COMPLETE,
        S.COMPLETE,
    ]


# ------------------------------------------------------------ a plan reporting per action


@pytest.fixture
def action_plan(lead, colleague, administrator):
    """Recommendation 1 reports only through its actions 1.1 (the lead's) and 1.2 (the
    colleague's); recommendation 2 reports itself and keeps 2.1 as text."""
    plan = services.create_plan(slug="per-action", title="Per-action plan", by=administrator)
    q1 = services.add_period(plan=plan, label="Q1 2026", period_end=dt.date(2026, 3, 31))
    q2 = services.add_period(plan=plan, label="Q2 2026", period_end=dt.date(2026, 6, 30))
    one = services.add_recommendation(
        plan=plan, number="1", text="Review the training.", addressee="Chief Constables"
    )
    first = services.add_subrecommendation(
        recommendation=one,
        number="1.1",
        text="Train call handlers.",
        owner=lead.owner,
        due_date=dt.date(2026, 5, 1),
    )
    second = services.add_subrecommendation(
        recommendation=one, number="1.2", text="Update the policy.", owner=colleague.owner
    )
    two = services.add_recommendation(
        plan=plan, number="2", text="Commission services.", owner=lead.owner
    )
    services.add_subrecommendation(recommendation=two, number="2.1", text="Kept as text.")
    approve = {"author": administrator, "sign_off": SignOff.APPROVED}
    services.record_update(
        recommendation=first, period=q1, status=S.ON_TRACK, text="Half trained.", **approve
    )
    services.record_update(
        recommendation=second, period=q1, status=S.AT_RISK, text="Drafting late.", **approve
    )
    services.record_update(
        recommendation=second, period=q2, status=S.OFF_TRACK, text="Stalled.", **approve
    )
    services.record_update(
        recommendation=two,
        period=q2,
        status=S.COMPLETE,
        text="Done.",
        no_evidence_reason="x",
        **approve,
    )
    return plan


def row_for(table, number):
    return next(row for row in table.rows if row.recommendation.number == number)


def test_the_plan_table_gives_each_action_its_own_row_and_rolls_its_status_up(action_plan):
    table = queries.plan_table(action_plan)
    assert [row.recommendation.number for row in table.rows] == ["1", "2"]
    one = row_for(table, "1")
    assert [a.recommendation.number for a in one.reporting_actions] == ["1.1", "1.2"]
    assert one.current is None
    # Q1: on track and at risk; Q2: 1.1 still on track (carried), 1.2 off track.
    assert one.statuses == [S.AT_RISK, S.OFF_TRACK]
    assert one.status == S.OFF_TRACK and one.status_is_rolled_up
    two = row_for(table, "2")
    assert [sub.number for sub in two.text_subrecommendations] == ["2.1"]
    assert two.reporting_actions == [] and two.status == S.COMPLETE


def test_the_plan_page_shows_action_rows_and_where_the_status_comes_from(client, action_plan, lead):
    client.force_login(lead)
    page = client.get(reverse("plan_table", args=[action_plan.slug])).content.decode()
    assert 'class="action-row"' in page
    assert "Train call handlers." in page and "Stalled." in page
    assert "from its actions" in page
    assert reverse("recommendation_detail", args=[action_plan.slug, "1.2"]) in page


def test_an_action_is_overdue_by_its_own_due_date_and_makes_its_recommendation_overdue(
    action_plan, monkeypatch
):
    monkeypatch.setattr(queries, "today", lambda: TODAY)
    one = row_for(queries.plan_table(action_plan), "1")
    first = one.actions[0]
    assert first.overdue and one.overdue
    overdue = queries.plan_table(action_plan, filters=queries.PlanFilters(overdue=True))
    assert [row.recommendation.number for row in overdue.rows] == ["1"]


def test_the_dashboard_counts_the_rolled_up_status_as_the_plan_table_filters_do(
    action_plan, monkeypatch
):
    monkeypatch.setattr(queries, "today", lambda: TODAY)
    summary = dashboard.dashboard(on=TODAY).plans[0]
    assert summary.total == 2
    assert summary.statuses == {S.OFF_TRACK: 1, S.COMPLETE: 1}
    assert summary.overdue == 1
    for value, count in summary.statuses.items():
        table = queries.plan_table(action_plan, filters=queries.PlanFilters(status=value))
        assert len(table.rows) == count
    plans = figures.plans_with_summary()
    assert (plans[0].total, plans[0].finished, plans[0].overdue) == (2, 1, 1)
    # The actions' own figures: 1.1 and 1.2 report for themselves, 2.1 is text only.
    assert (summary.actions, summary.actions_finished, summary.actions_overdue) == (2, 0, 1)


def test_the_dashboard_page_shows_the_actions_figures(client, action_plan, executive):
    client.force_login(executive)
    page = client.get(reverse("dashboard")).content.decode()
    assert "actions reporting for themselves" in page


def test_the_lead_owning_an_action_records_its_progress_and_others_cannot(
    client, action_plan, lead, colleague
):
    period = action_plan.periods.get(label="Q2 2026")
    url = reverse("update_edit", args=[action_plan.slug, "1.1", period.pk])
    client.force_login(colleague)
    assert client.get(url).status_code == 403
    client.force_login(lead)
    response = client.post(
        url,
        {
            "status": S.COMPLETE,
            "text": "All trained.",
            "no_evidence_reason": "Register.",
            "version": 0,
            "submit": "Submit",
        },
    )
    assert response.status_code == 302
    update = StatusUpdate.objects.get(recommendation__number="1.1", period=period)
    assert (update.text, update.sign_off, update.author) == (
        "All trained.",
        SignOff.SUBMITTED,
        lead,
    )
    assert update.history.first().history_user == lead


def test_the_owner_of_a_recommendation_may_record_progress_on_its_actions(
    client, action_plan, lead, administrator
):
    two = Recommendation.objects.get(plan=action_plan, number="2")
    sub = Recommendation.objects.get(plan=action_plan, number="2.1")
    period = action_plan.periods.get(label="Q2 2026")
    client.force_login(lead)
    url = reverse("update_edit", args=[action_plan.slug, sub.number, period.pk])
    assert client.get(url).status_code == 200
    assert two.owner == lead.owner and sub.owner is None


def test_an_executive_signs_an_actions_update_off(client, action_plan, lead, executive):
    period = action_plan.periods.get(label="Q2 2026")
    first = Recommendation.objects.get(plan=action_plan, number="1.1")
    services.record_update(
        recommendation=first,
        period=period,
        status=S.AT_RISK,
        text="Slower.",
        author=lead,
        sign_off=SignOff.SUBMITTED,
    )
    client.force_login(executive)
    url = reverse("update_sign_off", args=[action_plan.slug, "1.1", period.pk])
    assert client.post(url, {"action": "approve", "comment": ""}).status_code == 302
    assert (
        StatusUpdate.objects.get(recommendation=first, period=period).sign_off == SignOff.APPROVED
    )


def test_the_recommendation_page_lists_its_actions_with_their_status_and_history(
    client, action_plan, executive
):
    client.force_login(executive)
    page = client.get(reverse("recommendation_detail", args=[action_plan.slug, "1"]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Sub-recommendations and actions" in text
    assert "Off track" in text and "from its sub-recommendations and actions" in text
    # The actions' updates in its history, each linking to its action.
    action_link = '<a href="/plans/per-action/recommendations/1.2/">Sub-recommendation 1.2</a>'
    assert f"the update of {action_link} (Q2 2026)" in text
    action_page = client.get(reverse("recommendation_detail", args=[action_plan.slug, "1.2"]))
    assert "Part of" in action_page.content.decode()


def test_action_owners_are_reminded_of_their_own_updates_and_deadlines(
    action_plan, lead, colleague
):
    action_plan.periods.filter(label="Q2 2026").update(return_due=dt.date(2026, 6, 10))
    digests = {d.email: d for d in reminders.owner_digests(today=TODAY, days=14)}
    mine = digests[lead.owner.email or lead.email]
    assert [item.recommendation.number for item in mine.due] == ["1.1"]
    assert [item.recommendation.number for item in mine.overdue] == ["1.1"]
    # The recommendation reporting through its actions is not chased for its own update.
    assert all(item.recommendation.number != "1" for d in digests.values() for item in d.due)


def test_both_returns_list_each_action_under_its_recommendation(action_plan):
    ret = common.build_return(action_plan)
    assert [row.number for row in ret.printed_rows] == ["1", "1.1", "1.2", "2"]
    one = ret.rows[0]
    assert one.status == S.OFF_TRACK and one.status_text == "Off track (from its actions)"
    assert ret.rows[1].subrecommendations_text == "2.1 Kept as text."
    sheet = load_workbook(io.BytesIO(xlsx.render(ret)))["Return"]
    numbers = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert numbers == ["1", "1.1", "1.2", "2"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.render(ret))).pages)
    assert "Stalled." in text and "Update the policy." in text
    # The summary counts recommendations, not their actions.
    assert sum(count for _, _, count in ret.status_counts()) == 2


def test_the_public_page_shows_approved_action_progress(client, action_plan):
    action_plan.is_published = True
    action_plan.save()
    page = client.get(reverse("public_plan", args=[action_plan.slug])).content.decode()
    assert "Train call handlers." in page and "Half trained." in page


def test_a_sub_recommendation_belongs_to_a_recommendation_of_its_own_plan(action_plan):
    other = PlanFactory()
    rec = Recommendation.objects.get(plan=action_plan, number="1")
    with pytest.raises(Exception, match="same plan"):
        services.add_recommendation(plan=other, number="9", text="x", parent=rec)
    action = Recommendation.objects.get(plan=action_plan, number="1.1")
    with pytest.raises(Exception, match="same plan"):
        services.add_subrecommendation(recommendation=action, number="1.1.1", text="x")


def test_numbers_stay_unique_across_a_plans_recommendations_and_actions(action_plan):
    rec = Recommendation.objects.get(plan=action_plan, number="2")
    with pytest.raises(Exception, match="already exists"):
        services.add_subrecommendation(recommendation=rec, number="1.1", text="Clash.")


def test_query_counts_of_the_plan_table_do_not_grow_with_actions(client, executive):
    counts = []
    for size in (1, 5):
        plan = PlanFactory(slug=f"actions-{size}")
        period = PeriodFactory(plan=plan)
        for n in range(1, size + 1):
            rec = services.add_recommendation(plan=plan, number=str(n), text="Rec.")
            for s in (1, 2):
                action = services.add_subrecommendation(
                    recommendation=rec, number=f"{n}.{s}", text="Act.", owner=OwnerFactory()
                )
                services.record_update(
                    recommendation=action,
                    period=period,
                    status=S.ON_TRACK,
                    text="Going.",
                    author=UserFactory(),
                    sign_off=SignOff.APPROVED,
                )
        client.force_login(executive)
        client.get(reverse("plan_list"))  # the session is saved on the first request only
        with CaptureQueriesContext(connection) as queries_made:
            client.get(reverse("plan_table", args=[plan.slug]) + "?q=Going")
        counts.append(len(queries_made))
    assert counts[0] == counts[1]

"""Progress over time: each plan's approved statuses per reporting period, as a stacked bar per
period drawn on the server, with the same figures in a table for screen readers."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from recommendations.choices import NO_STATUS_RAG, RAG_BY_STATUS, SignOff, Status
from recommendations.figures import statuses_by_period
from recommendations.templatetags.charts import WIDTH, progress_chart
from tests.factories import PeriodFactory, PlanFactory, RecommendationFactory, StatusUpdateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan():
    """Three recommendations over two periods. 1: on track, then complete; 2: at risk, then
    off track awaiting sign-off (so still at risk); 3: nothing."""
    plan = PlanFactory(title="Charted plan")
    first = PeriodFactory(plan=plan, label="Initial response", position=0)
    second = PeriodFactory(plan=plan, label="March update", position=1)
    one, two, _ = (RecommendationFactory(plan=plan, number=str(n)) for n in (1, 2, 3))
    StatusUpdateFactory(recommendation=one, period=first, status=Status.ON_TRACK)
    StatusUpdateFactory(recommendation=one, period=second, status=Status.COMPLETE)
    StatusUpdateFactory(recommendation=two, period=first, status=Status.AT_RISK)
    StatusUpdateFactory(
        recommendation=two, period=second, status=Status.OFF_TRACK, sign_off=SignOff.SUBMITTED
    )
    return plan


def chart_of(plan) -> str:
    return str(progress_chart(statuses_by_period([plan.pk])[plan.pk], plan.pk, plan.title))


def test_the_chart_is_a_named_image_with_its_figures_in_a_table(plan):
    chart = chart_of(plan)
    svg = re.search(r"<svg [^>]*>", chart).group(0)
    assert 'role="img"' in svg and f'aria-labelledby="progress-{plan.pk}-name"' in svg
    name = re.search(rf'<title id="progress-{plan.pk}-name">(.*?)</title>', chart).group(1)
    assert name == "Chart of progress over time in Charted plan"
    assert f'aria-describedby="progress-{plan.pk}-description"' in svg
    assert f'<desc id="progress-{plan.pk}-description">The approved status of each' in chart
    table = chart[chart.index("<table>") : chart.index("</table>")]
    assert "<caption>" in table
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', table)
    headers = re.findall(r'<th scope="col">(.*?)</th>', table)
    assert headers == [
        "Reporting period",
        "On track",
        "At risk",
        "Complete",
        "No status given",
        "Recommendations",
    ]
    figures = {label: re.findall(r"<td>(\d+)</td>", cells) for label, cells in rows}
    assert figures == {
        "Initial response": ["1", "1", "0", "1", "3"],
        "March update": ["0", "1", "1", "1", "3"],
    }


def test_the_segments_take_the_status_colours_as_attributes_never_styles(plan):
    chart = chart_of(plan)
    assert "style=" not in chart
    fills = re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"', chart)
    assert fills == [
        RAG_BY_STATUS[Status.ON_TRACK].background,
        RAG_BY_STATUS[Status.AT_RISK].background,
        NO_STATUS_RAG.background,
        RAG_BY_STATUS[Status.AT_RISK].background,
        RAG_BY_STATUS[Status.COMPLETE].background,
        NO_STATUS_RAG.background,
    ]
    # Each bar spans the whole width: its segments add up to it.
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', chart)]
    assert round(sum(widths[:3]), 1) == WIDTH and round(sum(widths[3:]), 1) == WIDTH
    # The legend says in words which colour is which status.
    legend = chart[chart.index('<ul class="chart-legend"') : chart.index("</ul>")]
    assert '<span class="badge badge-at_risk">At risk</span>' in legend


def test_a_plan_without_periods_has_no_chart():
    plan = PlanFactory()
    RecommendationFactory(plan=plan)
    assert chart_of(plan) == ""


def test_the_dashboard_charts_each_plan_on_its_page(client, executive, plan):
    other = PlanFactory(title="Another plan")
    PeriodFactory(plan=other, label="Only period")
    RecommendationFactory(plan=other)
    client.force_login(executive)
    page = client.get(reverse("dashboard")).content.decode()
    for each in (plan, other):
        assert f'<h3 id="plan-{each.pk}-progress">Progress over time' in page
        assert f'aria-labelledby="progress-{each.pk}-name"' in page
    assert page.count('class="progress-svg"') == 2


def test_the_plan_page_charts_its_plan(client, lead, plan):
    client.force_login(lead)
    page = client.get(reverse("plan_table", args=[plan.slug])).content.decode()
    assert page.count('class="progress-svg"') == 1
    assert "Recommendations by approved status in each reporting period" in page


def test_the_chart_prints():
    with open(finders.find("css/print.css")) as css:
        rules = css.read()
    assert ".progress-chart" in rules
    hidden = re.search(r"^(.*)\{ display: none !important; \}", rules, re.M).group(1)
    assert "progress" not in hidden and "svg" not in hidden

"""The public plan page: the approved plan as published, for anyone, with nothing internal."""

import datetime as dt
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recommendations import services
from recommendations.choices import SignOff, Status
from tests.factories import (
    OwnerFactory,
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    SubRecommendationFactory,
    build_plan,
)

pytestmark = pytest.mark.django_db


def public_url(plan):
    return reverse("public_plan", args=[plan.slug])


def publish(plan):
    plan.is_published = True
    plan.save()
    return plan


def test_the_published_demo_plan_reads_as_the_seed_without_signing_in(client, demo_plan):
    response = client.get(public_url(demo_plan))

    assert response.status_code == 200
    page = response.content.decode()
    for text in [
        "Stalking super-complaint action plan",
        "In response to the Super Complaint submitted by the Suzy Lamplugh Trust, on behalf of "
        "the National Stalking Consortium.",
        "Strategic / Executive Lead",
        "D/Supt Abbie Leeson",
        '<th scope="col">Rec No.</th>',
        '<th scope="col">Recommendation</th>',
        '<th scope="col">Sub recommendation</th>',
        # The published header "Rec. Owner" named the addressee, not an owner: said plainly.
        '<th scope="col">Addressed to</th>',
        '<th scope="col">Initial action plan response</th>',
        '<th scope="col">March 2026 update</th>',
        '<th scope="col">Status</th>',
        '<th scope="col">Last updated</th>',
        "By 27/03/25, where required, seek changes to their crime recording systems",
        "Processes should be put in place to make sure this system capability",
        "Chief Constables",
        "Cheif Constables",  # as published, spelling included
        "Long-term solution via RMS change through Minerva project",
        "As such, timeframe for delivery cannot be",
        "HIOWC has reviewed all training content",
    ]:
        assert text in page, text
    assert page.index('<th scope="row">7</th>') < page.index('<th scope="row">10</th>')


def test_the_public_page_shows_nothing_internal(client, demo_plan, lead):
    rec = demo_plan.recommendations.get(number="7")
    update = rec.updates.get(period__label="March 2026 update")
    services.attach_evidence(
        update=update,
        uploaded_file=SimpleUploadedFile("internal-minutes.pdf", b"%PDF-1.7\n%%EOF\n"),
        description="Minutes of the gold group",
        by=lead,
    )
    update.reviewer_comment = "Say more about the supplier."
    update.no_evidence_reason = "Held by the records team."
    update.save()

    page = client.get(public_url(demo_plan)).content.decode()

    for hidden in [
        "Demo Lead",  # the internal owner of every recommendation
        "lead@example.invalid",
        "internal-minutes.pdf",
        "Minutes of the gold group",
        "Say more about the supplier.",
        "Held by the records team.",
        "Approved",
        "Awaiting sign-off",
        "Draft",
        "/plans/",  # no links into the signed-in site
        "Sign out",
        "Signed in as",
        "Edit update",
        "Due 27",
        "Overdue",
    ]:
        assert hidden not in page, hidden


def test_only_approved_text_is_published(client):
    plan = publish(PlanFactory(title="Audit plan"))
    period = PeriodFactory(plan=plan, label="Initial response")
    approved = RecommendationFactory(plan=plan, number="1")
    draft = RecommendationFactory(plan=plan, number="2")
    submitted = RecommendationFactory(plan=plan, number="3")
    returned = RecommendationFactory(plan=plan, number="4")
    StatusUpdateFactory(recommendation=approved, period=period, text="Signed off words.")
    for rec, state in [
        (draft, SignOff.DRAFT),
        (submitted, SignOff.SUBMITTED),
        (returned, SignOff.RETURNED),
    ]:
        StatusUpdateFactory(
            recommendation=rec, period=period, text=f"{state} words.", sign_off=state
        )

    page = client.get(public_url(plan)).content.decode()

    assert "Signed off words." in page
    for state in ("draft", "submitted", "returned"):
        assert f"{state} words." not in page
    # Under the latest (here the only) period, a row without approved words says so.
    assert page.count('<span class="hint">No update</span>') == 3


def test_an_unpublished_plan_is_not_found_even_when_signed_in(client, lead):
    plan = PlanFactory(is_published=False)
    RecommendationFactory(plan=plan, text="Not for the public yet.")
    assert client.get(public_url(plan)).status_code == 404
    client.force_login(lead)
    response = client.get(public_url(plan))
    assert response.status_code == 404
    assert "Not for the public yet." not in response.content.decode()


def test_an_unknown_plan_is_not_found_and_never_a_sign_in_page(client):
    response = client.get("/public/no-such-plan/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_unpublishing_a_plan_takes_its_page_down(client):
    plan = publish(PlanFactory())
    assert client.get(public_url(plan)).status_code == 200
    plan.is_published = False
    plan.save()
    assert client.get(public_url(plan)).status_code == 404


def test_the_public_page_has_its_own_layout_and_a_print_stylesheet(client, lead):
    plan = publish(PlanFactory(title="Published plan"))
    client.force_login(lead)  # a signed-in visitor sees the public layout too
    page = client.get(public_url(plan)).content.decode()
    assert '<nav aria-label="Main">' not in page
    assert "Sign out" not in page
    assert '<link rel="stylesheet" href="/static/css/public-print.css" media="print">' in page
    assert '<a class="skip-link" href="#main">' in page
    stylesheet = finders.find("css/public-print.css")
    assert stylesheet is not None
    with open(stylesheet) as css:
        rules = css.read()
    assert "@page" in rules and "table-header-group" in rules


def test_the_public_page_only_answers_reads(client):
    plan = publish(PlanFactory())
    assert client.post(public_url(plan)).status_code == 405


def test_the_executive_lead_is_named_but_owners_are_not(client):
    lead = OwnerFactory(rank="ACC", name="Pat Example", email="pat@example.invalid")
    plan = publish(PlanFactory(executive_lead=lead))
    owner = OwnerFactory(name="Sam Owner", email="sam@example.invalid")
    rec = RecommendationFactory(plan=plan, owner=owner)
    SubRecommendationFactory(recommendation=rec, number="1.1", text="Follow-on.", owner=owner)
    page = client.get(public_url(plan)).content.decode()
    assert "ACC Pat Example" in page
    assert "1.1" in page and "Follow-on." in page
    for hidden in ("pat@example.invalid", "Sam Owner", "sam@example.invalid"):
        assert hidden not in page


def test_the_public_page_query_count_does_not_grow_with_recommendations(client):
    small = publish(build_plan(recommendations=2, periods=3, subs=2))
    large = publish(build_plan(recommendations=40, periods=3, subs=2))

    def count(plan):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(public_url(plan))
        assert response.status_code == 200
        return len(queries)

    count(small)  # warm up
    assert count(small) == count(large)


def test_a_completed_recommendation_shows_its_approved_text(client, lead):
    plan = publish(PlanFactory())
    period = PeriodFactory(plan=plan)
    rec = RecommendationFactory(plan=plan, owner=lead.owner, due_date=dt.date(2020, 1, 1))
    StatusUpdateFactory(
        recommendation=rec,
        period=period,
        status=Status.COMPLETE,
        text="Completed and evidenced.",
        no_evidence_reason="Policy published.",
    )
    page = client.get(public_url(plan)).content.decode()
    assert "Completed and evidenced." in page
    assert "Policy published." not in page


def cells_of(page: str, number: str) -> str:
    """The HTML of the row whose header cell is `number`."""
    start = page.index(f'<th scope="row">{number}</th>')
    return page[start : page.index("</tr>", start)]


def test_each_row_shows_its_approved_status_in_words_and_when_it_was_last_updated(client):
    plan = publish(PlanFactory())
    first = PeriodFactory(plan=plan, label="Initial response", position=0)
    latest = PeriodFactory(plan=plan, label="March update", position=1)
    rec = RecommendationFactory(plan=plan, number="1")
    StatusUpdateFactory(
        recommendation=rec,
        period=first,
        status=Status.ON_TRACK,
        recorded_at=dt.datetime(2025, 3, 20, 12, tzinfo=dt.UTC),
    )
    # Awaiting sign-off: neither its status nor its date is published.
    StatusUpdateFactory(
        recommendation=rec, period=latest, status=Status.OFF_TRACK, sign_off=SignOff.SUBMITTED
    )
    RecommendationFactory(plan=plan, number="2")

    page = client.get(public_url(plan)).content.decode()

    one = cells_of(page, "1")
    assert '<span class="badge badge-on_track">On track</span>' in one
    assert "Off track" not in one
    assert '<time datetime="2025-03-20">20 Mar 2025</time>' in one
    two = cells_of(page, "2")
    assert '<span class="badge badge-none">No status given</span>' in two
    assert "No update published" in two  # for screen readers; the cell shows nothing
    assert "Position as at" in page
    assert f'<time datetime="{timezone.localdate():%Y-%m-%d}">' in page
    assert '(last updated <time datetime="2025-03-20">20 March 2025</time>)' in page


def test_past_periods_without_an_update_say_nothing_and_only_the_latest_says_no_update(client):
    plan = publish(PlanFactory())
    periods = [PeriodFactory(plan=plan, label=f"Period {n}", position=n) for n in range(3)]
    rec = RecommendationFactory(plan=plan, number="1")
    StatusUpdateFactory(recommendation=rec, period=periods[1], text="Middle words.")

    row = cells_of(client.get(public_url(plan)).content.decode(), "1")

    assert "Not yet published" not in row
    assert row.count("No update") == 1
    cells = re.findall(r'<td class="period-cell[^"]*">(.*?)</td>', row, re.S)
    assert len(cells) == 3
    assert "Middle words." in cells[1]
    assert re.sub(r'<span class="cell-heading">.*?</span>', "", cells[0]) == ""
    assert '<span class="hint">No update</span>' in cells[2]


def test_the_public_rows_are_drawn_by_the_plan_tables_own_partials(client):
    """The public page and the plan table share the partial for a row's cells and the badge,
    so what they show in common cannot drift apart."""
    from django.template.loader import get_template

    public = get_template("public/plan.html").template.source
    table = get_template("recommendations/_plan_table_body.html").template.source
    for shared in ('"recommendations/_row_cells.html"', "{% period_cells "):
        assert shared in public and shared in table
    assert "status_badge" in get_template("public/_status_cells.html").template.source

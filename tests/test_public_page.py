"""The public plan page: the approved plan as published, for anyone, with nothing internal."""

import datetime as dt

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

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
        '<th scope="col">Rec. Owner</th>',
        '<th scope="col">Initial action plan response</th>',
        '<th scope="col">March 2026 update</th>',
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
    assert page.count("Not yet published") == 3


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

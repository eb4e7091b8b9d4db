"""The PDF return: its text, its pages, what it leaves out, and its download."""

import io
import re

import pydyf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from recommendations.choices import SignOff, Status
from recommendations.exports import common, pdf
from recommendations.models import Plan, Recommendation, StatusUpdate
from tests.factories import (
    PeriodFactory,
    PlanFactory,
    RecommendationFactory,
    StatusUpdateFactory,
    SubRecommendationFactory,
    build_plan,
)

pytestmark = pytest.mark.django_db

LONG = (
    "Review the training provided to call handlers and front-line officers so that every "
    "report of stalking is recognised, recorded and risk assessed at first contact. "
)


def render(plan, **options) -> bytes:
    plan = Plan.objects.select_related("executive_lead", "operational_lead").get(pk=plan.pk)
    return pdf.render(common.build_return(plan, **options))


def pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def squash(text: str) -> str:
    """Text without white space: a PDF breaks lines wherever its columns end."""
    return re.sub(r"\s+", "", text)


def text_of(data: bytes) -> str:
    return squash("".join(pages(data)))


def url(name, plan, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse(name, args=[plan.slug]) + (f"?{query}" if query else "")


def test_the_demo_plan_pdf_holds_the_seed_texts(demo_plan, settings):
    settings.FORCE_NAME = "Hampshire and Isle of Wight Constabulary"
    text = text_of(render(demo_plan))
    for expected in [
        "Hampshire and Isle of Wight Constabulary",
        "Stalking super-complaint action plan",
        "Strategic / Executive Lead: D/Supt Abbie Leeson",
        "Reporting period: March 2026 update",
        "Chief Constables",
        "Cheif Constables",
        "7.1 Processes should be put in place to make sure this system capability is "
        "effectively used by officers and staff.",
        "10.2 Makes appropriate use",
        "10.3 Uses the skills and",
        "Long-term solution via RMS change through Minerva project owing to the fact that "
        "these are not simple fixes. Implementation March 26 earliest.",
        "As such, timeframe for delivery cannot be",
        "HIOWC has reviewed all training content delivered/provided to officers and staff",
        "Initial action plan response",
        "Status (March 2026 update)",
    ]:
        assert squash(expected) in text, expected


def test_the_pdf_is_a4_landscape_and_tagged_for_accessibility(demo_plan):
    reader = PdfReader(io.BytesIO(render(demo_plan)))
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)
    assert round(float(box.width)) == 842 and round(float(box.height)) == 595  # A4, in points
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title == "Stalking super-complaint action plan: March 2026 update return"


def test_a_long_return_has_the_header_marking_and_page_numbers_on_every_page(settings):
    settings.PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"
    plan = PlanFactory(title="Long plan")
    first = PeriodFactory(plan=plan, label="Initial response", position=0)
    second = PeriodFactory(plan=plan, label="Six-month update", position=1)
    for number in range(1, 61):
        rec = RecommendationFactory(plan=plan, number=str(number), text=LONG * 3)
        SubRecommendationFactory(recommendation=rec, number=f"{number}.1", text=LONG)
        StatusUpdateFactory(recommendation=rec, period=first, text=LONG * 4)
        StatusUpdateFactory(recommendation=rec, period=second, text=LONG * 5)
    texts = pages(render(plan))
    assert len(texts) > 5
    for number, text in enumerate(texts, start=1):
        flat = squash(text)
        assert "RecNo." in flat and "Sixmonthupdate" in squash(text.replace("-", "")), number
        assert text.count("OFFICIAL-SENSITIVE") == 2, number  # top and bottom
        assert f"Page {number} of {len(texts)}" in text
    joined = squash("".join(texts))
    assert all(squash(f"{n}.1 Review the training") in joined for n in (1, 30, 60))


def test_user_text_is_printed_as_written_never_as_markup():
    plan = PlanFactory(title="<b>Bold</b> & <i>plan</i>")
    period = PeriodFactory(plan=plan, label="Q1")
    rec = RecommendationFactory(plan=plan, number="1", text='<img src="http://example.invalid/x">')
    StatusUpdateFactory(recommendation=rec, period=period, text="</td></tr></table><h1>Hi</h1>")
    text = text_of(render(plan))
    assert squash("<b>Bold</b> & <i>plan</i>") in text
    assert squash('<img src="http://example.invalid/x">') in text
    assert squash("</td></tr></table><h1>Hi</h1>") in text


def test_the_protective_marking_cannot_break_out_of_the_style_sheet(settings):
    settings.PROTECTIVE_MARKING = 'SECRET"; } body { display: none } @page { x: "'
    plan = build_plan(recommendations=1, periods=1, subs=0)
    texts = pages(render(plan))
    assert squash(texts[0]).count(squash(settings.PROTECTIVE_MARKING)) == 2
    assert "Recommendations and progress" in texts[0]


def test_only_approved_updates_appear_unless_pending_ones_are_asked_for():
    plan = PlanFactory()
    period = PeriodFactory(plan=plan, label="Q1")
    StatusUpdateFactory(
        recommendation=RecommendationFactory(plan=plan, number="1"),
        period=period,
        text="Signed off words",
    )
    StatusUpdateFactory(
        recommendation=RecommendationFactory(plan=plan, number="2"),
        period=period,
        text="Draft words",
        status=Status.AT_RISK,
        sign_off=SignOff.SUBMITTED,
    )
    approved = text_of(render(plan))
    assert "Signedoffwords" in approved
    assert "Draftwords" not in approved and "Awaitingsign-off" not in approved
    pending = text_of(render(plan, include_pending=True))
    assert "Awaitingsign-offDraftwords" in pending
    assert "Includesupdatesnotyetsignedoff" in pending


def test_status_badges_are_words_not_colour_alone():
    plan = PlanFactory()
    period = PeriodFactory(plan=plan, label="Q1")
    StatusUpdateFactory(
        recommendation=RecommendationFactory(plan=plan, number="1"),
        period=period,
        status=Status.OFF_TRACK,
    )
    text = text_of(render(plan))
    assert "OfftrackRed" in text


def test_status_and_rag_cells_are_blank_where_no_status_was_given():
    plan = PlanFactory()
    PeriodFactory(plan=plan, label="Q1")
    RecommendationFactory(plan=plan, number="1")
    ret = common.build_return(plan)
    row = pdf.html(ret).split("<tbody>")[1].split("</tbody>")[0]
    assert "None" not in row and "No status given" not in row
    assert '<td class="badge badge-none"></td>' in row
    # The summary still counts the recommendations with none.
    assert "Nostatusgiven1" in text_of(render(plan))


def test_every_header_word_is_kept_whole_in_a_column_wide_enough_for_it():
    plan = PlanFactory()
    labels = ["Initial action plan response"] + [f"Quarter {n} 2025/26 update" for n in range(11)]
    for position, label in enumerate(labels):
        PeriodFactory(plan=plan, label=label, position=position)
    RecommendationFactory(plan=plan, number="1", text=LONG)
    ret = common.build_return(plan)
    layout = pdf.table_layout(ret)
    assert layout.every_word_fits
    assert sum(layout.widths.values()) + layout.widths["date"] == pytest.approx(100)
    assert pdf.MIN_HEADER_SIZE <= layout.header_size < pdf.TEXT_SIZE  # twelve periods: smaller
    for name, title in pdf.header_cells(ret):
        for word in title.split():
            room = layout.widths[name] / 100 * pdf.TABLE_WIDTH_PT - pdf.CELL_EXTRA_PT
            assert pdf.bold_width(word, layout.header_size) <= room, word
    document = pdf.html(ret)
    assert "overflow-wrap: normal" in document.split("thead th {")[1].split("}")[0]
    assert "thead .word { white-space: nowrap; }" in document
    # A line could break after the "/": that word is kept whole by a span; "recommendation"
    # cannot break anywhere, and is left as it is.
    head = document.split("<thead>")[1].split("</thead>")[0]
    assert head.count('<span class="word">2025/26</span>') == 12  # and the status header's
    assert "<span" not in head.replace('<span class="word">2025/26</span>', "")
    assert ">Sub recommendation</th>" in head


def test_a_few_periods_keep_the_header_at_the_tables_type_size(demo_plan):
    ret = common.build_return(demo_plan)
    assert pdf.table_layout(ret).header_size == pdf.TEXT_SIZE


def test_a_header_word_no_column_could_hold_breaks_rather_than_run_off_the_page():
    plan = PlanFactory()
    for position in range(8):
        PeriodFactory(plan=plan, label=f"Reassessment-after-the-inspection-revisit-{position}")
    RecommendationFactory(plan=plan, number="1")
    layout = pdf.table_layout(common.build_return(plan))
    assert layout.header_size == pdf.MIN_HEADER_SIZE
    assert not layout.every_word_fits
    assert "thead th { overflow-wrap: break-word; }" in pdf.html(common.build_return(plan))
    assert sum(layout.widths.values()) + layout.widths["date"] == pytest.approx(100)


def test_a_pdf_as_at_a_moment_reads_the_same_after_the_plan_changes():
    plan = build_plan(recommendations=3, periods=2, subs=1)
    moment = timezone.now()
    while timezone.now() <= moment:
        pass
    before = pages(render(plan, as_of=moment))
    rec = Recommendation.objects.get(plan=plan, number="2")
    rec.text = "Renamed later"
    rec.save()
    update = StatusUpdate.objects.filter(recommendation=rec).first()
    update.text = "Rewritten later"
    update.save()
    RecommendationFactory(plan=plan, number="4", text="Added later")
    again = pages(render(plan, as_of=moment))
    assert again == before
    assert "Renamed later" in "".join(pages(render(plan)))


def test_the_pdf_download_is_named_after_plan_period_and_as_at(client, demo_plan, lead):
    client.force_login(lead)
    today = timezone.localdate().isoformat()
    response = client.get(url("return_pdf", demo_plan, as_of=today))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith(
        f'attachment; filename="stalking-super-complaint_march-2026-update_{today}_as-at-{today}'
    )
    assert disposition.endswith('.pdf"')
    assert "ChiefConstables" in text_of(response.content)


def test_the_pdf_download_keeps_the_plan_page_filters(client, lead):
    plan = PlanFactory()
    RecommendationFactory(plan=plan, number="1", text="Alpha work")
    RecommendationFactory(plan=plan, number="2", text="Bravo work")
    client.force_login(lead)
    text = text_of(client.get(url("return_pdf", plan, q="bravo")).content)
    assert "Bravowork" in text and "Alphawork" not in text
    assert "Filteredasontheplanpage:1of2recommendations" in text


def test_anonymous_visitors_are_sent_to_sign_in_and_people_without_a_role_refused(
    client, demo_plan, outsider
):
    response = client.get(url("return_pdf", demo_plan))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(outsider)
    assert client.get(url("return_pdf", demo_plan)).status_code == 403


def test_the_pdf_query_count_does_not_grow_with_the_plan():
    small = build_plan(recommendations=2, periods=2, subs=1)
    large = build_plan(recommendations=12, periods=2, subs=2)

    def count(plan) -> int:
        plan = Plan.objects.get(pk=plan.pk)
        with CaptureQueriesContext(connection) as queries:
            pdf.render(common.build_return(plan, include_pending=True))
        return len(queries)

    assert count(small) == count(large)


def test_nothing_is_fetched_while_rendering(monkeypatch):
    fetched = []

    class Recording(pdf.URLFetcher):
        def fetch(self, url, headers=None):
            fetched.append(url)
            return super().fetch(url, headers)

    monkeypatch.setattr(pdf, "URLFetcher", Recording)
    plan = build_plan(recommendations=1, periods=1, subs=0)
    render(plan)
    assert fetched == []


def test_remembered_page_references_follow_every_page_added():
    document = pydyf.PDF()
    seen = []
    for _ in range(3):
        page = pydyf.Dictionary({"Type": "/Page"})
        document.add_page(page)
        seen.append(f"{page.number} 0 R".encode())
        assert document.page_references == tuple(seen)
    assert document.page_references is document.page_references  # kept, not rebuilt


def test_text_in_a_page_margin_keeps_its_spaces_after_escaped_characters():
    import weasyprint

    from recommendations.exports.pdf import css_string

    marking = "OFFICIAL - SENSITIVE: period 1"
    page = (
        "<style>@page { size: A4; @top-center { content: "
        + css_string(marking)
        + "; } }</style><p>Body</p>"
    )
    text = PdfReader(io.BytesIO(weasyprint.HTML(string=page).write_pdf())).pages[0].extract_text()
    assert marking in text

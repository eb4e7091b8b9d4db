"""One definition of each rule: random plans, and every page, digest and return that counts
them gives the same figures.

Plans are generated from a seed: recommendations with and without actions (some with owners
and deadlines of their own), periods, and updates left in every sign-off state (drafts,
submitted, returned, approved, and approved then changed again), deadlines past and moved.
For each plan the plan table's filters, the dashboard, the plan list, the owners' reminder
digests, the XLSX return (read back from its bytes) and the PDF return (its text) must agree.
"""

import datetime as dt
import io
import random
import re
import subprocess

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from recommendations import dashboard, figures, queries, reminders, services
from recommendations.choices import NO_STATUS_LABEL, SignOff, Status, status_label
from recommendations.exports import common, pdf, xlsx
from recommendations.models import Recommendation, StatusUpdate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEEDS = [3, 11, 2026]
STATUSES = ["", *Status.values]
FLAGS = {"overdue": "overdue", "stale": "no_current_update", "awaiting": "awaiting_sign_off",
         "slipped": "slipped"}  # fmt: skip


def random_plan(rng: random.Random, index: int, people) -> None:
    lead, executive, owners = people
    today = timezone.localdate()
    plan = services.create_plan(slug=f"random-{index}", title=f"Random plan {index}")
    periods = [
        services.add_period(plan=plan, label=f"Period {n}") for n in range(rng.randint(1, 3))
    ]
    items = []
    for number in range(1, rng.randint(3, 7)):
        due = (
            today + dt.timedelta(days=rng.choice([-40, -1, 1, 60])) if rng.random() < 0.7 else None
        )
        rec = services.add_recommendation(
            plan=plan,
            number=str(number),
            text=f"Recommendation {number}.",
            due_date=due,
            owner=rng.choice(owners) if rng.random() < 0.8 else None,
        )
        items.append(rec)
        for sub in range(1, rng.randint(0, 3) + 1):
            items.append(
                services.add_subrecommendation(
                    recommendation=rec,
                    number=f"{number}.{sub}",
                    text=f"Action {number}.{sub}.",
                    owner=rng.choice(owners) if rng.random() < 0.6 else None,
                    due_date=today + dt.timedelta(days=rng.choice([-20, 30]))
                    if rng.random() < 0.4
                    else None,
                )
            )
        if due and rng.random() < 0.3:
            services.change_due_date(
                recommendation=rec, new_date=due + dt.timedelta(days=90), reason="Moved.", by=lead
            )
    for item in items:
        for period in periods:
            if rng.random() < 0.35:
                continue
            status = rng.choice(STATUSES)
            write = {"recommendation": item, "period": period, "status": status,
                     "text": f"{item.number} in {period.label}.", "author": lead,
                     "no_evidence_reason": "Seen."}  # fmt: skip
            update = services.record_update(**write)
            fate = rng.choice(["draft", "submitted", "returned", "approved", "redrafted", "resent"])
            if fate == "draft":
                continue
            services.change_sign_off(update=update, to=SignOff.SUBMITTED, by=lead)
            if fate == "returned":
                services.change_sign_off(
                    update=update, to=SignOff.RETURNED, by=executive, comment="More."
                )
            elif fate in ("approved", "redrafted", "resent"):
                services.change_sign_off(update=update, to=SignOff.APPROVED, by=executive)
                if fate != "approved":
                    write["status"] = rng.choice(STATUSES)
                    services.record_update(**write, submit=fate == "resent")


@pytest.fixture(params=SEEDS)
def plans(request):
    rng = random.Random(request.param)
    lead = UserFactory(username="parity-lead", role="Lead")
    executive = UserFactory(username="parity-executive", role="Executive")
    owners = [
        services.create_owner(name=f"Owner {n}", email=f"owner{n}@example.invalid")
        for n in range(3)
    ]
    for index in range(3):
        random_plan(rng, index, (lead, executive, owners))
    return list(queries.Plan.objects.order_by("title"))


def table_figures(plan) -> dict:
    """The figures the plan table's filters give."""
    found = {"total": queries.plan_table(plan).total}
    for value in [*Status.values, "none"]:
        table = queries.plan_table(plan, filters=queries.PlanFilters(status=value))
        found[f"status_{value}"] = len(table.rows)
    for name, field in FLAGS.items():
        table = queries.plan_table(plan, filters=queries.PlanFilters(**{field: True}))
        found[name] = len(table.rows)
    return found


def dashboard_figures(summary) -> dict:
    found = {"total": summary.total}
    for count in summary.status_counts:
        found[f"status_{count.value}"] = count.count
    found |= {name: getattr(summary, name) for name in FLAGS}
    return found


def return_figures(plan) -> tuple[dict, dict]:
    """(from the XLSX file, from the PDF's text) the return's status counts and overdue."""
    ret = common.build_return(plan, generated_by="Parity")
    book = load_workbook(io.BytesIO(xlsx.render(ret)))
    from_xlsx = {
        label: count
        for label, count in book["Summary"].iter_rows(min_row=2, values_only=True)
        if label and count is not None
    }
    # The Return sheet's own rows agree with its summary.
    header = [cell.value for cell in book["Return"][1]]
    column = next(i for i, title in enumerate(header) if str(title).startswith("Status"))
    rows = list(book["Return"].iter_rows(min_row=2, values_only=True))
    numbers = {rec.number for rec in Recommendation.objects.filter(plan=plan).top_level()}
    statuses = [re.sub(r" \(.*\)$", "", row[column] or "") or NO_STATUS_LABEL for row in rows
                if row[0] in numbers]  # fmt: skip
    for value in [*Status.values, ""]:
        assert statuses.count(status_label(value)) == from_xlsx[status_label(value)]
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf.render(ret), capture_output=True, check=True
    ).stdout.decode()
    summary = text[text.rindex("Summary") :]
    from_pdf = {}
    for label in [*(status_label(v) for v in Status.values), NO_STATUS_LABEL, "Overdue", "Total"]:
        match = re.search(rf"^\s*{re.escape(label)}\s+(\d+)\s*$", summary, re.M)
        from_pdf[label] = int(match.group(1))
    return from_xlsx, from_pdf


def test_every_page_digest_and_return_gives_the_same_figures(plans):
    on = queries.today()
    summaries = {s.plan.pk: s for s in dashboard.dashboard(on=on, per_page=0).plans}
    listed = {plan.pk: plan for plan in figures.plans_with_summary()}
    overdue_owned = set()
    assert len(plans) == 3
    for plan in plans:
        expected = table_figures(plan)
        assert dashboard_figures(summaries[plan.pk]) == expected, plan.title
        listing = listed[plan.pk]
        finished = expected["status_complete"] + expected["status_closed"]
        assert (listing.total, listing.finished, listing.overdue) == (
            expected["total"],
            finished,
            expected["overdue"],
        )
        from_xlsx, from_pdf = return_figures(plan)
        for value in [*Status.values, ""]:
            key = f"status_{value or 'none'}"
            assert from_xlsx[status_label(value)] == expected[key], (plan.title, key)
            assert from_pdf[status_label(value)] == expected[key], (plan.title, key)
        assert from_xlsx["Overdue"] == from_pdf["Overdue"] == expected["overdue"]
        assert from_pdf["Total"] == expected["total"]
        for row in queries.plan_table(plan).rows:
            # What the digests chase: a recommendation overdue by its own date and status, and
            # each action overdue by its own.
            for item, status in [(row, row.status), *((a, a.status) for a in row.actions)]:
                rec = item.recommendation
                if (
                    rec.owner_id
                    and rec.due_date
                    and rec.due_date < on
                    and status
                    not in (
                        Status.COMPLETE,
                        Status.CLOSED,
                    )
                ):
                    overdue_owned.add(rec.pk)
    chased = {
        item.recommendation.pk
        for digest in reminders.owner_digests(today=on, days=14)
        for item in digest.overdue
    }
    assert chased == overdue_owned
    # And the generator made plans worth comparing: every sign-off state, overdue rows.
    assert set(StatusUpdate.objects.values_list("sign_off", flat=True)) == set(SignOff.values)
    assert overdue_owned

"""Every plan belongs to an organisation and answers a report.

The organisation is the one the deployment's FORCE_NAME names, and every account belongs to
it. A report is made from each plan's own report details (plans giving the same title,
publisher and date share one); the report's recommendations are the plan's, by number, and
each recommendation is linked to the report's of the same number (sub-recommendations and
actions are the force's own). The
plans' history records are given the same report, so a plan shown as it stood still names it.
A "National" role is added: it sees every organisation's plans, read only.
"""

import re

from django.conf import settings
from django.db import migrations
from django.utils.text import slugify

_DIGITS = re.compile(r"(\d+)")


def natural_key(number):
    parts = _DIGITS.split(number.strip().lower())
    return "".join(part.zfill(10) if part.isdigit() else part for part in parts)


def _unique_slug(base, taken):
    slug, n = (base or "report")[:90], 2
    while slug in taken:
        slug, n = f"{(base or 'report')[:85]}-{n}", n + 1
    taken.add(slug)
    return slug


def forwards(apps, schema_editor):
    Organisation = apps.get_model("recommendations", "Organisation")
    Account = apps.get_model("recommendations", "Account")
    Report = apps.get_model("recommendations", "Report")
    ReportRecommendation = apps.get_model("recommendations", "ReportRecommendation")
    Plan = apps.get_model("recommendations", "Plan")
    HistoricalPlan = apps.get_model("recommendations", "HistoricalPlan")
    Recommendation = apps.get_model("recommendations", "Recommendation")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Group = apps.get_model("auth", "Group")

    Group.objects.get_or_create(name="National")
    name = settings.FORCE_NAME
    home, _ = Organisation.objects.get_or_create(
        name=name, defaults={"code": slugify(name)[:40] or "home", "short_name": ""}
    )
    for user in User.objects.all():
        Account.objects.get_or_create(user=user, defaults={"organisation": home})

    reports, taken = {}, set()
    for plan in Plan.objects.order_by("pk"):
        plan.organisation = home
        key = (plan.report_title or plan.title, plan.report_publisher, plan.report_date)
        if key not in reports:
            reports[key] = Report.objects.create(
                slug=_unique_slug(slugify(key[0]), taken),
                title=key[0][:300],
                publisher=plan.report_publisher,
                published=plan.report_date,
                complainant=plan.complainant,
            )
        report = reports[key]
        plan.report = report
        plan.save(update_fields=["organisation", "report"])
        HistoricalPlan.objects.filter(id=plan.pk).update(report_id=report.pk, organisation_id=home.pk)
        _link(report, Recommendation, ReportRecommendation, plan)


def _link(report, Recommendation, ReportRecommendation, plan):
    """The report's recommendations are this plan's (the first plan to give a number wins);
    sub-recommendations and actions are the force's own unless the report has their number."""
    made = {r.number: r for r in ReportRecommendation.objects.filter(report=report)}
    for rec in Recommendation.objects.filter(plan=plan).order_by("parent_id", "sort_key"):
        if rec.number not in made:
            if rec.parent_id is not None:
                continue
            made[rec.number] = ReportRecommendation.objects.create(
                report=report,
                number=rec.number,
                sort_key=natural_key(rec.number),
                text=rec.text,
                addressee=rec.addressee,
            )
        rec.report_recommendation = made[rec.number]
        rec.save(update_fields=["report_recommendation"])


def backwards(apps, schema_editor):
    Plan = apps.get_model("recommendations", "Plan")
    for plan in Plan.objects.select_related("report"):
        if plan.report_id:
            plan.report_title = plan.report.title
            plan.report_publisher = plan.report.publisher
            plan.report_date = plan.report.published
            plan.complainant = plan.report.complainant
            plan.save()


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0012_organisations_and_reports"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

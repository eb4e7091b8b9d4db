"""Sub-recommendations become recommendations with a parent, keeping their history.

Each SubRecommendation (live, or known only from its history) becomes a Recommendation in its
recommendation's plan, with `parent` set, the same text and owner, and a history record for
every one of its own, with the same dates, authors and reasons, so a plan shown as it stood
at any past moment still has its sub-recommendations. A sub-recommendation deleted before
this migration gets a recommendation id reserved for its history (the row is created and
removed again), so no later recommendation can take its id. Numbers are unique within a plan:
a sub-recommendation whose number another row of its plan already has is renumbered under
its recommendation ("7" under 3 becomes "3.7").
"""

import re

from django.db import migrations

_DIGITS = re.compile(r"(\d+)")


def natural_key(number):
    parts = _DIGITS.split(number.strip().lower())
    return "".join(part.zfill(10) if part.isdigit() else part for part in parts)


def _latest(records):
    return max(records, key=lambda record: (record.history_date, record.history_id))


def forwards(apps, schema_editor):
    Sub = apps.get_model("recommendations", "SubRecommendation")
    HistoricalSub = apps.get_model("recommendations", "HistoricalSubRecommendation")
    Recommendation = apps.get_model("recommendations", "Recommendation")
    HistoricalRecommendation = apps.get_model("recommendations", "HistoricalRecommendation")
    Plan = apps.get_model("recommendations", "Plan")

    live_parents = {rec.pk: rec for rec in Recommendation.objects.all()}
    parent_records = {}
    for record in HistoricalRecommendation.objects.all():
        parent_records.setdefault(record.id, []).append(record)
    plans = set(Plan.objects.values_list("pk", flat=True))
    taken = set(Recommendation.objects.values_list("plan_id", "number"))
    history = {}
    for record in HistoricalSub.objects.all():
        history.setdefault(record.id, []).append(record)
    live = {sub.pk: sub for sub in Sub.objects.all()}

    for sub_id in sorted(set(history) | set(live)):
        sub = live.get(sub_id) or _latest(history[sub_id])
        parent = live_parents.get(sub.recommendation_id)
        if parent is None and sub.recommendation_id in parent_records:
            parent = _latest(parent_records[sub.recommendation_id])
        if parent is None or parent.plan_id not in plans:
            continue  # its plan is gone: nothing shows it any more
        number = sub.number
        if (parent.plan_id, number) in taken:
            number = f"{parent.number}.{sub.number}"[:17]
            base, n = number, 2
            while (parent.plan_id, number) in taken:
                number, n = f"{base}-{n}", n + 1
        is_live = sub_id in live and parent.pk in live_parents
        rec = Recommendation.objects.create(
            plan_id=parent.plan_id,
            parent_id=parent.pk if parent.pk in live_parents else None,
            number=number,
            sort_key=natural_key(number),
            text=sub.text,
            owner_id=sub.owner_id,
            version=1,
            details={},
        )
        new_id = rec.pk
        if is_live:
            taken.add((parent.plan_id, number))
        else:
            rec.delete()
        for record in sorted(history.get(sub_id, []), key=lambda r: (r.history_date, r.history_id)):
            HistoricalRecommendation.objects.create(
                id=new_id,
                plan_id=parent.plan_id,
                parent_id=parent.pk,
                number=number if record.number == sub.number else record.number,
                sort_key=natural_key(number if record.number == sub.number else record.number),
                text=record.text,
                addressee="",
                due_date=None,
                original_due_date=None,
                owner_id=record.owner_id,
                version=1,
                details={},
                history_date=record.history_date,
                history_change_reason=record.history_change_reason,
                history_type=record.history_type,
                history_user_id=record.history_user_id,
            )


def backwards(apps, schema_editor):
    """Sub-recommendations back to their own model, as text (number, text, owner) only: their
    updates and history, which the old model could not hold, are not kept."""
    Sub = apps.get_model("recommendations", "SubRecommendation")
    Recommendation = apps.get_model("recommendations", "Recommendation")
    children = Recommendation.objects.filter(parent__isnull=False)
    for child in children:
        Sub.objects.create(
            recommendation_id=child.parent_id,
            number=child.number,
            sort_key=child.sort_key,
            text=child.text,
            owner_id=child.owner_id,
        )
    children.delete()


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0007_actions_are_recommendations")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

"""Test data. Factories save through the ORM, so history records are written as in real use."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from recommendations.choices import SignOff, Status
from recommendations.models import (
    Organisation,
    Owner,
    Plan,
    Recommendation,
    Report,
    ReportingPeriod,
    StatusUpdate,
)
from recommendations.services import home_organisation

PASSWORD = "a-long-test-password-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class OwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Owner

    name = factory.Faker("name")
    rank = "Supt"
    role = "Head of Public Protection"
    email = factory.Sequence(lambda n: f"owner{n}@example.invalid")
    organisation = factory.LazyFunction(home_organisation)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Example Force {n + 1}")
    short_name = factory.Sequence(lambda n: f"EF{n + 1}")
    code = factory.Sequence(lambda n: f"example-force-{n + 1}")


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report
        django_get_or_create = ("slug",)

    slug = "super-complaint-report"
    title = "Super-complaint investigation report"


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    slug = factory.Sequence(lambda n: f"plan-{n}")
    title = factory.Sequence(lambda n: f"Action plan {n}")
    organisation = factory.LazyFunction(home_organisation)
    report = factory.SubFactory(ReportFactory)
    executive_lead = factory.SubFactory(OwnerFactory)


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportingPeriod

    plan = factory.SubFactory(PlanFactory)
    label = factory.Sequence(lambda n: f"Quarter {n} update")
    position = factory.Sequence(lambda n: n)
    period_end = dt.date(2026, 3, 31)


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation

    plan = factory.SubFactory(PlanFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    text = factory.Faker("paragraph", nb_sentences=3)
    addressee = "Chief Constables"
    due_date = dt.date(2030, 3, 27)
    owner = factory.SubFactory(OwnerFactory)


class SubRecommendationFactory(factory.django.DjangoModelFactory):
    """A sub-recommendation or action: a recommendation with a parent, in its plan."""

    class Meta:
        model = Recommendation

    class Params:
        recommendation = factory.SubFactory(RecommendationFactory)

    parent = factory.SelfAttribute("recommendation")
    plan = factory.SelfAttribute("recommendation.plan")
    number = factory.Sequence(lambda n: f"1.{n + 1}")
    text = factory.Faker("sentence")


class StatusUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusUpdate

    recommendation = factory.SubFactory(RecommendationFactory)
    period = factory.SubFactory(PeriodFactory, plan=factory.SelfAttribute("..recommendation.plan"))
    status = Status.ON_TRACK
    text = factory.Faker("paragraph")
    recorded_at = factory.LazyFunction(timezone.now)
    sign_off = SignOff.APPROVED
    # An update made approved is its own version in force, as services.change_sign_off makes it.
    approved_status = factory.LazyAttribute(
        lambda o: o.status if o.sign_off == SignOff.APPROVED else ""
    )
    approved_text = factory.LazyAttribute(
        lambda o: o.text if o.sign_off == SignOff.APPROVED else ""
    )
    approved_at = factory.LazyAttribute(
        lambda o: o.recorded_at if o.sign_off == SignOff.APPROVED else None
    )
    version = 1
    approved_version = factory.LazyAttribute(
        lambda o: o.version if o.sign_off == SignOff.APPROVED else None
    )


def build_plan(recommendations: int = 2, periods: int = 2, subs: int = 2) -> Plan:
    """A plan with recommendations, sub-recommendations and an update in every period."""
    plan = PlanFactory()
    period_rows = [PeriodFactory(plan=plan, position=i) for i in range(periods)]
    for n in range(1, recommendations + 1):
        rec = RecommendationFactory(plan=plan, number=str(n))
        for s in range(1, subs + 1):
            SubRecommendationFactory(recommendation=rec, number=f"{n}.{s}")
        for period in period_rows:
            StatusUpdateFactory(recommendation=rec, period=period)
    return plan

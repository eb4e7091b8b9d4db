"""Synthetic plans at any size, for benchmarks, load tests and trying the pages with real volume.

The data is shaped like a force's real portfolio: plans answering inspections, super-complaints
and audits; recommendations with the report's own numbers and deadlines; named owners with
ranks; an update in every reporting period for every recommendation, edited several times,
submitted and signed off; some deadlines moved with a reason. Every row carries its history
(who, when, why), dated across the life of the plan as if people had typed it.

Rows are written with django-simple-history's history-aware bulk helpers rather than one save
at a time, so a quarter of a million history rows take minutes rather than hours. Rows that
changed over time (updates, moved deadlines) are stored as they finally stand, and their
history is written stage by stage with the history manager's `bulk_history_create`, which the
helpers use themselves: each stage keeps its own author, date and change reason.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from . import page_cache, services
from .choices import SignOff, Status
from .models import (
    Account,
    DueDateChange,
    Owner,
    Plan,
    Recommendation,
    ReportingPeriod,
    ReportRecommendation,
    StatusUpdate,
    natural_key,
)
from .permissions import ADMINISTRATOR, EXECUTIVE, LEAD

DEFAULT_PASSWORD = "generated-demo-password-2026"  # noqa: S105 - local demo data only
BATCH = 500
SETUP_REASON = "Plan set up from the published report"
HISTORY_MODELS = (Owner, Plan, ReportingPeriod, Recommendation)


@dataclass(frozen=True)
class DemoSize:
    """How much to generate: every plan gets the same shape, so counts are exact."""

    plans: int = 3
    recommendations: int = 10
    subs: int = 2
    periods: int = 4
    edits: int = 2

    def __post_init__(self) -> None:
        for name, low in (("plans", 1), ("recommendations", 1), ("periods", 1)):
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be at least {low}.")
        for name in ("subs", "edits"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative.")
        if self.periods > 60:
            raise ValueError("periods must be at most 60 (fifteen years of quarters).")


@dataclass
class GeneratedDemo:
    """What was made, for the command's output and for benchmarks to find their way in."""

    size: DemoSize
    seed: int
    password: str
    administrator: str
    executives: list[str]
    leads: list[str]
    largest_plan: str
    deep_recommendation: str
    counts: dict[str, int] = field(default_factory=dict)
    history_rows: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------- vocabulary

FIRST_NAMES = (  # noqa: SIM905 - a word list reads better as text
    "Abbie Adam Aisha Alan Alison Amir Andrew Angela Ben Bethan Carl Caroline Chloe Chris "
    "Claire Colin Daniel David Deborah Dean Emma Fiona Gareth Gemma Graham Hannah Helen Ian "
    "Imran Jack James Jane Jason Jennifer Joanne Jonathan Karen Kate Kevin Laura Lee Leanne "
    "Lisa Lucy Mark Martin Michelle Mohammed Natalie Neil Nicola Owen Paul Priya Rachel Rebecca "
    "Richard Rob Ruth Sam Sarah Scott Sean Shaun Simon Sophie Stuart Tom Tracey Vicky Wayne Zoe"
).split()
LAST_NAMES = (  # noqa: SIM905 - a word list reads better as text
    "Ahmed Allen Bailey Baker Barker Begum Bell Bennett Brooks Burton Campbell Carter Chapman "
    "Clarke Collins Cook Cooper Davies Edwards Ellis Evans Fisher Fletcher Foster Gibson Graham "
    "Green Griffiths Hall Harris Hill Holmes Hughes Hussain Jackson James Jenkins Johnson Jones "
    "Kaur Kelly Khan King Knight Lee Lewis Lloyd Marshall Martin Mason Mills Mitchell Moore "
    "Morgan Morris Murphy Owen Palmer Parker Patel Phillips Powell Price Reynolds Richards "
    "Roberts Robinson Russell Scott Shaw Singh Smith Stevens Taylor Thomas Thompson Turner "
    "Walker Ward Watson White Williams Wilson Wood Wright Young"
).split()
LEAD_RANKS = ("D/Supt", "Supt", "Ch Insp", "DCI", "Insp", "DI", "Ch Supt", "", "", "")
STAFF_TITLES = ("Mr", "Ms", "Mrs", "Dr")
EXECUTIVE_RANKS = ("ACC", "DCC", "Ch Supt", "T/ACC", "D/Ch Supt")
LEAD_ROLES = (
    "Head of Public Protection",
    "Head of Crime and Criminal Justice",
    "Head of Learning and Development",
    "Force Crime and Incident Registrar",
    "Head of Professional Standards",
    "Head of Contact Management",
    "Head of Custody",
    "Head of Neighbourhood Policing",
    "Head of Digital Investigation",
    "Head of Information Management",
    "Stalking Coordinator",
    "Domestic Abuse Lead",
    "Head of Vetting",
    "Force Missing Persons Coordinator",
    "Head of Criminal Justice Partnerships",
)
EXECUTIVE_ROLES = (
    "Assistant Chief Constable, Local Policing",
    "Assistant Chief Constable, Crime and Justice",
    "Deputy Chief Constable",
    "Director of People",
    "Assistant Chief Constable, Operations",
)


@dataclass(frozen=True)
class Topic:
    name: str
    report: str
    publisher: str
    subjects: tuple[str, ...]
    teams: tuple[str, ...]
    outcomes: tuple[str, ...]


TOPICS = (
    Topic(
        "Stalking",
        "Police response to stalking: super-complaint investigation report",
        "HMICFRS, College of Policing and IOPC",
        (
            "the use of stalking protection orders",
            "the identification and recording of stalking offences",
            "risk assessment of stalking cases at first contact",
            "referral pathways to independent stalking advocate caseworkers",
            "the supervision of stalking investigations",
        ),
        ("Public Protection Unit", "Stalking Clinic", "Crime Standards team"),
        (
            "victims of stalking receive a consistent and effective response",
            "stalking is recognised at the first point of contact",
            "perpetrators are identified and managed at the earliest opportunity",
        ),
    ),
    Topic(
        "Domestic abuse",
        "PEEL inspection: police effectiveness in responding to domestic abuse",
        "HMICFRS",
        (
            "the quality of domestic abuse risk assessments",
            "the use of domestic violence protection notices and orders",
            "body-worn video capture at domestic abuse incidents",
            "safeguarding referrals to multi-agency risk assessment conferences",
        ),
        ("Domestic Abuse Investigation Unit", "Multi-Agency Safeguarding Hub"),
        (
            "victims are safeguarded and evidence-led prosecutions are pursued",
            "repeat victims are identified and supported",
        ),
    ),
    Topic(
        "Vetting and misconduct",
        "An inspection of vetting, misconduct and misogyny in the police service",
        "HMICFRS",
        (
            "the vetting of officers and staff transferring from other forces",
            "the recording of misconduct allegations on the vetting file",
            "the monitoring of IT systems for misuse",
            "the handling of reports of sexual misconduct by colleagues",
        ),
        ("Professional Standards Department", "Force Vetting Unit", "Counter Corruption Unit"),
        (
            "people unsuitable to serve are not appointed or retained",
            "colleagues have confidence to report inappropriate behaviour",
        ),
    ),
    Topic(
        "Crime data integrity",
        "Crime data integrity inspection",
        "HMICFRS",
        (
            "the recording of reported crime within 24 hours",
            "the recording of crimes not recorded as the principal crime",
            "the audit regime for crime recording decisions",
            "training for call handlers on the Home Office Counting Rules",
        ),
        ("Crime and Incident Registrar's team", "Crime Standards team", "Contact Centre"),
        (
            "victims receive the service they are entitled to under the Victims' Code",
            "crime is recorded accurately and the force understands demand",
        ),
    ),
    Topic(
        "Missing persons",
        "National thematic review of the police response to missing children",
        "HMICFRS",
        (
            "the risk grading of missing person reports",
            "return home interviews for children reported missing",
            "information sharing with children's services",
        ),
        ("Missing Persons Unit", "Child Exploitation team"),
        (
            "children who go missing are protected from exploitation",
            "risk is assessed consistently across the force",
        ),
    ),
    Topic(
        "Custody",
        "Joint inspection of police custody",
        "HMICFRS and HM Inspectorate of Prisons",
        (
            "the recording of the use of force in custody",
            "access to appropriate adults for vulnerable detainees",
            "the oversight of strip searches of children",
        ),
        ("Custody Command", "Criminal Justice Department"),
        (
            "detainees are treated safely and with dignity",
            "the force can demonstrate that every use of force is justified",
        ),
    ),
    Topic(
        "Contact management",
        "PEEL inspection: responding to the public",
        "HMICFRS",
        (
            "the time taken to answer emergency and non-emergency calls",
            "the THRIVE assessment of calls for service",
            "call-back arrangements for callers who abandon non-emergency calls",
        ),
        ("Force Contact Centre", "Resolution Centre"),
        (
            "the public can contact the police when they need to",
            "vulnerable callers are identified at the first point of contact",
        ),
    ),
    Topic(
        "Digital forensics",
        "Police use of digital forensics: a national review",
        "HMICFRS",
        (
            "backlogs of devices awaiting digital examination",
            "the accreditation of digital forensic units to ISO/IEC 17025",
            "the triage of devices seized in child abuse investigations",
        ),
        ("Digital Forensics Unit", "Cyber Crime Unit"),
        (
            "investigations are not delayed by forensic backlogs",
            "digital evidence meets the standards the courts require",
        ),
    ),
    Topic(
        "Learning from complaints",
        "IOPC learning recommendations following an independent investigation",
        "IOPC",
        (
            "the handling of calls from people in mental health crisis",
            "the briefing of officers attending welfare checks",
            "the recording of rationale for decisions not to attend",
        ),
        ("Professional Standards Department", "Learning and Development"),
        (
            "lessons from the investigation are embedded across the force",
            "similar incidents are prevented in future",
        ),
    ),
    Topic(
        "Property and exhibits",
        "Internal audit of property and exhibits management",
        "Force internal audit",
        (
            "the retention and disposal of seized property",
            "the continuity records of high-risk exhibits",
            "the storage of cash and drugs seized as evidence",
        ),
        ("Property Services", "Estates and Facilities"),
        (
            "the integrity of evidence is protected from seizure to court",
            "property is returned or disposed of promptly",
        ),
    ),
)

# Who the report addressed, as a heading and as the subject of its sentence.
ADDRESSEES = (
    ("Chief Constables", "chief constables"),
    ("Chief Constables", "chief constables"),
    ("Chief Constables", "chief constables"),
    ("Police and Crime Commissioners", "police and crime commissioners"),
    (
        "Chief Constables and Police and Crime Commissioners",
        "chief constables and police and crime commissioners",
    ),
    ("The National Police Chiefs' Council lead", "the National Police Chiefs' Council lead"),
)
VERBS = (
    "review and update",
    "establish effective arrangements for",
    "make sure there is robust oversight of",
    "introduce a programme of audit of",
    "develop and publish a plan to improve",
    "evaluate the effectiveness of",
)
REC_DETAILS = (
    "This should include clear guidance for supervisors and regular audit of compliance.",
    "Forces should consider the national guidance and authorised professional practice when "
    "doing so.",
    "This should be supported by performance data that is reported to the chief officer group.",
    "They should work with partner agencies, including local authorities and health services, "
    "to agree shared standards.",
    "Progress should be reported to the police and crime commissioner at least twice a year.",
    "",
)
SUB_TEXTS = (
    "Processes should be put in place to make sure this is effectively used by officers and staff.",
    "Supervisors should check compliance through regular dip sampling of {subject}.",
    "Training should be provided to all officers and staff whose roles involve {subject}.",
    "The force should publish its policy on {subject} and review it annually.",
    "Performance information on {subject} should be reported to the force's governance board.",
    "Victims should be told what has been decided and why, in line with the Victims' Code.",
    "Partner agencies should be consulted on any change to {subject}.",
)
BOARDS = (
    "Public Protection Board",
    "Force Performance Board",
    "Chief Officer Group",
    "Strategic Delivery Board",
    "Joint Audit Committee",
)
UPDATE_OPENERS = (
    "We accept this recommendation. Our initial assessment is that we partially comply.",
    "We accept this recommendation. Our initial assessment is that we do not yet comply.",
    "We accept this recommendation and have appointed a lead to deliver it.",
)
UPDATE_SENTENCES = (
    "The {team} has completed a review of {subject} and presented its findings to the {board} "
    "in {month}.",
    "{count} officers and staff have completed the revised training package, with the remainder "
    "scheduled before {month_next}.",
    "A task and finish group chaired by {officer} meets monthly to track delivery and report "
    "risks to the {board}.",
    "Dip sampling of {count} records in {month} found that {pct}% met the new standard; "
    "feedback has been given to the supervisors concerned.",
    "Delivery depends on changes to the shared records management system, which are subject to "
    "a regional change programme and outside the force's sole control.",
    "Performance data on {subject} is now reported quarterly to the {board}.",
    "The policy has been rewritten to reflect the findings of the report and was published on "
    "the force intranet in {month}.",
    "A communications campaign raised awareness of {subject} among frontline officers during "
    "{month}.",
    "The {team} is working with partner agencies to agree a joint approach, and a draft "
    "information-sharing agreement is with legal services.",
    "An audit by the {team} in {month} identified {count} cases needing further action; all have "
    "been reviewed and allocated.",
    "Further work is needed to make sure the new process is used consistently across every "
    "district, and this will be checked in the next audit.",
    "Evidence of progress, including the audit results and training records, is held by the "
    "{team}.",
)
NEXT_STEPS = (
    "Next steps: complete the second round of audit by {month_next} and report the results to "
    "the {board}.",
    "Next steps: roll the training out to the remaining teams by {month_next}.",
    "Next steps: agree the revised process with partners and publish it by {month_next}.",
    "Next steps: evaluate the impact of the changes and present the evaluation to the {board} "
    "in {month_next}.",
)
RISKS = (
    "Risk: capacity within the {team} is limited while vacancies are filled.",
    "Risk: the system change may not be delivered within the original timescale.",
    "",
    "",
)
COMPLETION = (
    "The force considers this recommendation complete. Evidence of completion has been reviewed "
    "by the {board} and is held by the {team}.",
    "All actions are complete and embedded in business as usual; compliance will be monitored "
    "through the annual audit programme.",
)
NO_EVIDENCE_REASONS = (
    "The evidence is the published policy, which is available on the force intranet.",
    "Completion was confirmed by the {board}; the minutes are held by the {team}.",
)
SLIP_REASONS = (
    "Delivery depends on the regional records management system upgrade, now scheduled for "
    "{month}.",
    "The training provider could not run the accredited course before {month}.",
    "National guidance expected from the College of Policing has been delayed until {month}.",
    "Resources were redeployed to a major operation; the {board} agreed a revised date.",
    "The scope was widened after the first audit, agreed by the {board} in {month}.",
)
RETURN_COMMENTS = (
    "Please add the dip-sampling figures for this period.",
    "Say what is still outstanding and by when.",
    "Include the number of officers and staff trained so far.",
    "The narrative should say how the evidence of completion has been checked.",
)
EDIT_REASONS = (
    "Updated with the latest audit results",
    "Corrected figures after review",
    "Added next steps",
    "Reworded after feedback from the lead",
    "",
    "",
)


# ---------------------------------------------------------------------------- helpers


def _aware(day: dt.date, minutes: int) -> dt.datetime:
    """A working-hours moment on `day`, `minutes` after 08:00."""
    moment = dt.datetime.combine(day, dt.time(8, 0)) + dt.timedelta(minutes=minutes % 600)
    return timezone.make_aware(moment)


def _month(day: dt.date) -> str:
    return day.strftime("%B %Y")


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, 28))


def _month_end(day: dt.date) -> dt.date:
    return _add_months(day.replace(day=1), 1) - dt.timedelta(days=1)


def _stamp(instance, *, when: dt.datetime, user, reason: str = "") -> None:
    """Attributes simple-history's bulk helpers read for the history row of `instance`."""
    instance._history_date = when
    instance._history_user = user
    instance._change_reason = reason


# ---------------------------------------------------------------------------- generation


def generate(
    size: DemoSize,
    *,
    seed: int = 1,
    password: str = DEFAULT_PASSWORD,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> GeneratedDemo:
    """Generate `size.plans` plans with accounts, owners, updates and deep history.

    Plans are written one at a time, each in its own transaction, so memory stays flat however
    many plans are asked for, and an interrupted run leaves only whole plans behind.
    Raises ValueError, with nothing written, if the plans' slugs are already taken.
    """
    rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not secrets
    today = today or timezone.localdate()
    say = progress or (lambda message: None)

    plans = [
        (f"{slugify(topic.name)}-{seed}-{index + 1:03d}", topic)
        for index, topic in enumerate(_topics(size.plans, rng))
    ]
    taken = sorted(
        Plan.objects.filter(slug__in=[slug for slug, _ in plans]).values_list("slug", flat=True)
    )
    if taken:
        raise ValueError(
            f"Plans with these slugs already exist: {', '.join(taken[:5])}. "
            "Generate into an empty database, or choose another --seed."
        )

    with transaction.atomic():
        accounts = _create_accounts(size, rng, password)
        # Bulk writes send no signals: cached pages learn of them here.
        page_cache.bump_everything()
    say(
        f"Accounts: 1 administrator, {len(accounts.executives)} executives, "
        f"{len(accounts.leads)} leads."
    )
    for index, (slug, topic) in enumerate(plans):
        with transaction.atomic():
            _create_plan(index, slug, topic, size, rng, accounts, today)
            page_cache.bump_everything()
        if (index + 1) % 10 == 0 or index + 1 == size.plans:
            say(f"Plans written: {index + 1} of {size.plans}.")

    largest = plans[0][0]
    recs = Recommendation.objects.filter(plan__slug=largest).top_level().order_by("sort_key")
    deep = recs.filter(due_date_changes__isnull=False).first() or recs.first()
    counts = generated_counts()
    return GeneratedDemo(
        size=size,
        seed=seed,
        password=password,
        administrator=accounts.administrator.username,
        executives=[owner.user.username for owner in accounts.executives],
        leads=[owner.user.username for owner in accounts.leads],
        largest_plan=largest,
        deep_recommendation=deep.number,
        counts=counts,
        history_rows=sum(n for name, n in counts.items() if name.startswith("history:")),
    )


def generated_counts() -> dict[str, int]:
    """Rows and history rows per model, as now stored."""
    counts = {}
    for model in (*HISTORY_MODELS, StatusUpdate, DueDateChange):
        name = model._meta.model_name
        counts[name] = model.objects.count()
        counts[f"history:{name}"] = model.history.count()
    # Sub-recommendations are recommendations with a parent: counted apart, as people count.
    counts["subrecommendation"] = Recommendation.objects.filter(parent__isnull=False).count()
    counts["recommendation"] -= counts["subrecommendation"]
    return counts


def _topics(count: int, rng: random.Random) -> list[Topic]:
    """Every topic once, then repeats: inspections of the same area recur over the years."""
    return [TOPICS[i] if i < len(TOPICS) else rng.choice(TOPICS) for i in range(count)]


def _require_keys(saved: list) -> list:
    # SQLite 3.35+, PostgreSQL and MariaDB return the new keys from a bulk insert; the
    # generator relies on it rather than reading every row back.
    if saved and saved[0].pk is None:
        raise RuntimeError("This database does not return primary keys from bulk inserts.")
    return saved


@dataclass
class _Accounts:
    administrator: object
    executives: list[Owner]
    leads: list[Owner]


def _create_accounts(size: DemoSize, rng: random.Random, password: str) -> _Accounts:
    """An administrator, a few executives and a lead account for every owner.

    They all share one password, hashed once: hashing is deliberately slow, and hashing it for
    hundreds of accounts would take minutes.
    """
    User = get_user_model()
    hashed = make_password(password)
    taken = set(User.objects.values_list("username", flat=True))

    def person() -> tuple[str, str, str]:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = username = f"{first[0]}.{last}".lower()
        n = 1
        while username in taken:
            n += 1
            username = f"{base}{n}"
        taken.add(username)
        return first, last, username

    def account(first: str, last: str, username: str):
        return User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@police.example",
            password=hashed,
        )

    n_executives = min(5, 2 + size.plans // 25)
    n_leads = max(3, min(size.plans * 3, 400))
    specs = [(person(), EXECUTIVE) for _ in range(n_executives)]
    specs += [(person(), LEAD) for _ in range(n_leads)]
    administrator = account(*person())
    users = [account(*names) for names, _ in specs]
    _require_keys(User.objects.bulk_create([administrator, *users], batch_size=BATCH))

    groups = dict(
        Group.objects.filter(name__in=(LEAD, EXECUTIVE, ADMINISTRATOR)).values_list("name", "pk")
    )
    through = User.groups.through
    memberships = [through(user_id=administrator.pk, group_id=groups[ADMINISTRATOR])]
    memberships += [
        through(user_id=u.pk, group_id=groups[role])
        for u, (_, role) in zip(users, specs, strict=True)
    ]
    through.objects.bulk_create(memberships, batch_size=BATCH)
    # Every account belongs to the deployment's own organisation, as the services make it.
    home = services.home_organisation()
    accounts = [Account(user=u, organisation=home) for u in [administrator, *users]]
    bulk_create_with_history(accounts, Account, batch_size=BATCH)

    set_up = timezone.make_aware(dt.datetime(2019, 1, 7, 9, 0))
    executives, leads = [], []
    for u, ((first, last, _), role) in zip(users, specs, strict=True):
        executive = role == EXECUTIVE
        rank = rng.choice(EXECUTIVE_RANKS if executive else LEAD_RANKS) or rng.choice(STAFF_TITLES)
        owner = Owner(
            name=f"{first} {last}",
            rank=rank,
            role=rng.choice(EXECUTIVE_ROLES if executive else LEAD_ROLES),
            email=u.email,
            user=u,
            organisation=home,
        )
        _stamp(owner, when=set_up, user=administrator, reason="Account and owner set up")
        (executives if executive else leads).append(owner)
    _require_keys(bulk_create_with_history(executives + leads, Owner, batch_size=BATCH))
    return _Accounts(administrator, executives, leads)


def _create_plan(
    index: int,
    slug: str,
    topic: Topic,
    size: DemoSize,
    rng: random.Random,
    accounts: _Accounts,
    today: dt.date,
) -> None:
    administrator = accounts.administrator
    # Old enough that every period has ended and its return is in: every date in the plan and
    # in its history is in the past.
    span_days = 56 + 91 * (size.periods - 1) + 45
    report_date = today - dt.timedelta(days=span_days + rng.randrange(20, 400))
    set_up = _aware(report_date + dt.timedelta(days=rng.randrange(3, 14)), rng.randrange(600))
    executive = rng.choice(accounts.executives)
    owners = rng.sample(
        accounts.leads, k=min(len(accounts.leads), max(1, math.ceil(size.recommendations / 3)))
    )
    repeat = index // len(TOPICS)
    plan = Plan(
        slug=slug,
        title=f"{topic.name}: action plan {report_date.year}"
        + (f" (review {repeat + 1})" if repeat else ""),
        introduction=(
            f"This plan sets out the force's response to the {topic.report}, published by "
            f"{topic.publisher} on {report_date:%d %B %Y}. It names an owner for each "
            "recommendation and reports progress at each review."
        ),
        organisation=services.home_organisation(),
        report=services.report_for(
            title=topic.report,
            publisher=topic.publisher,
            published=report_date,
            complainant="Suzy Lamplugh Trust" if topic.name == "Stalking" else "",
            by=administrator,
            reason=SETUP_REASON,
        ),
        executive_lead=executive,
        operational_lead=owners[0],
        response_deadline=report_date + dt.timedelta(days=56),
        is_published=index % 2 == 0,
    )
    _stamp(plan, when=set_up, user=administrator, reason=SETUP_REASON)
    _require_keys(bulk_create_with_history([plan], Plan))

    first_end = report_date + dt.timedelta(days=56)
    periods = []
    for position in range(size.periods):
        if position == 0:
            end, label = first_end, "Initial action plan response"
        else:
            end = _month_end(_add_months(first_end, 3 * position))
            label = f"{end:%B %Y} update"
        period = ReportingPeriod(
            plan=plan,
            label=label,
            position=position,
            period_end=end,
            return_due=end + dt.timedelta(days=14),
        )
        _stamp(period, when=set_up, user=administrator, reason=SETUP_REASON)
        periods.append(period)
    _require_keys(bulk_create_with_history(periods, ReportingPeriod, batch_size=BATCH))

    recs = _recommendations(plan, topic, size, rng, owners)
    _link_to_report(plan, recs, when=set_up, user=administrator)
    for rec in recs:
        _stamp(rec, when=set_up, user=administrator, reason=SETUP_REASON)
    _require_keys(bulk_create_with_history(recs, Recommendation, batch_size=BATCH))
    subs = []
    for rec in recs:
        for n in range(1, size.subs + 1):
            number = f"{rec.number}.{n}"
            sub = Recommendation(
                plan=plan,
                parent=rec,
                number=number,
                sort_key=natural_key(number),
                text=rng.choice(SUB_TEXTS).format(subject=rec.subject),
                owner=rec.owner if rng.random() < 0.2 else None,
            )
            _stamp(sub, when=set_up, user=administrator, reason=SETUP_REASON)
            subs.append(sub)
    bulk_create_with_history(subs, Recommendation, batch_size=BATCH)
    _create_slips(recs, periods, rng, topic, executive.user)
    _create_updates(recs, periods, size, rng, topic, executive.user)


def _link_to_report(plan, recs, *, when, user) -> None:
    """Each recommendation answers the report's of the same number, made where the report
    lacks it, as services.link_to_report does one by one."""
    known = {r.number: r for r in ReportRecommendation.objects.filter(report=plan.report)}
    new = [
        ReportRecommendation(
            report=plan.report,
            number=rec.number,
            sort_key=rec.sort_key,
            text=rec.text,
            addressee=rec.addressee,
        )
        for rec in recs
        if rec.number not in known
    ]
    for item in new:
        _stamp(item, when=when, user=user, reason=SETUP_REASON)
    _require_keys(bulk_create_with_history(new, ReportRecommendation, batch_size=BATCH))
    known |= {item.number: item for item in new}
    for rec in recs:
        rec.report_recommendation = known[rec.number]


def _recommendations(plan, topic, size, rng, owners) -> list[Recommendation]:
    """The plan's recommendations, numbered as the report numbers them."""
    recs, number = [], rng.randrange(1, 4)
    for _ in range(size.recommendations):
        subject = rng.choice(topic.subjects)
        due = _month_end(_add_months(plan.report_date, rng.choice((6, 6, 9, 12, 18, 24))))
        addressee, subject_phrase = rng.choice(ADDRESSEES)
        text = (
            f"By {due:%d %B %Y}, {subject_phrase} should "
            f"{rng.choice(VERBS)} {subject}, so that {rng.choice(topic.outcomes)}. "
            f"{rng.choice(REC_DETAILS)}"
        ).strip()
        rec = Recommendation(
            plan=plan,
            number=str(number),
            # bulk_create skips save(), which derives these two.
            sort_key=natural_key(str(number)),
            text=text,
            addressee=addressee,
            due_date=due,
            original_due_date=due,
            owner=rng.choice(owners),
        )
        rec.subject = subject
        recs.append(rec)
        # Reports number all their recommendations; a force's plan holds those addressed to it.
        number += 1 if rng.random() < 0.7 else rng.randrange(2, 4)
    return recs


def _fill(template: str, rng: random.Random, topic: Topic, when: dt.date, rec) -> str:
    return template.format(
        team=rng.choice(topic.teams),
        board=rng.choice(BOARDS),
        subject=rec.subject,
        month=_month(when),
        month_next=_month(_add_months(when, 3)),
        count=rng.randrange(12, 900),
        pct=rng.randrange(55, 99),
        officer=str(rec.owner),
    )


def _create_slips(recs, periods, rng, topic, executive_user) -> None:
    """Move some deadlines once or twice, each with a reason, as slipping plans do."""
    changes, stages = [], []
    for rec in recs:
        if rng.random() >= 0.2:
            continue
        for _ in range(rng.choice((1, 1, 2))):
            period = rng.choice(periods[1:] or periods)
            day = period.period_end - dt.timedelta(days=rng.randrange(1, 20))
            when = _aware(day, 60 + rng.randrange(480))
            if stages and stages[-1]._live is rec and stages[-1]._history_date >= when:
                when = stages[-1]._history_date + dt.timedelta(days=7)
            new = _month_end(_add_months(rec.due_date, rng.choice((3, 6, 6, 12))))
            reason = _fill(rng.choice(SLIP_REASONS), rng, topic, new, rec)
            change = DueDateChange(
                recommendation=rec,
                old_date=rec.due_date,
                new_date=new,
                reason=reason,
                changed_by=executive_user,
                changed_at=when,
            )
            _stamp(change, when=when, user=executive_user, reason="Deadline moved")
            changes.append(change)
            rec.due_date = new
            stages.append(_snapshot(rec, when, executive_user, f"Deadline moved: {reason}"))
    if not changes:
        return
    changes.sort(key=lambda change: change.changed_at)
    bulk_create_with_history(changes, DueDateChange, batch_size=BATCH)
    moved = {stage._live.pk: stage._live for stage in stages}
    Recommendation.objects.bulk_update(list(moved.values()), ["due_date"], batch_size=BATCH)
    stages.sort(key=lambda stage: stage._history_date)
    Recommendation.history.bulk_history_create(stages, batch_size=BATCH, update=True)


def _status_path(periods: int, rng: random.Random) -> list[str]:
    """A plausible status for each period: started, on track or slipping, then finished."""
    finish_at = rng.randrange(1, periods + 3)
    path = []
    for position in range(periods):
        if position == 0:
            path.append(rng.choice((Status.NOT_STARTED, Status.ON_TRACK, Status.ON_TRACK)))
        elif position < finish_at:
            path.append(
                rng.choices((Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK), (6, 3, 1))[0]
            )
        elif position == finish_at:
            path.append(Status.COMPLETE)
        else:
            path.append(rng.choice((Status.COMPLETE, Status.CLOSED)))
    return path


def _sign_off_outcome(rng: random.Random, latest: bool) -> str:
    """Earlier periods were signed off; the latest is anywhere in the workflow."""
    if not latest:
        return SignOff.APPROVED
    return rng.choices(
        (SignOff.DRAFT, SignOff.SUBMITTED, SignOff.RETURNED, SignOff.APPROVED), (2, 3, 1, 4)
    )[0]


def _create_updates(recs, periods, size, rng, topic, reviewer) -> None:
    """One update per recommendation and period: drafted, edited, submitted and signed off.

    The live row is written as it finally stands; its history is written stage by stage, each
    stage a copy of the row as it stood then, with its own author, date and reason.
    """
    live, created, changed = [], [], []
    latest = len(periods) - 1
    for rec in recs:
        author = rec.owner.user
        statuses = _status_path(len(periods), rng)
        for position, period in enumerate(periods):
            status = statuses[position]
            day = period.period_end - dt.timedelta(days=rng.randrange(14, 24))
            sentences = _narrative(
                rng, topic, rec, period.period_end, status, position == 0, size.edits + 1
            )
            first = len(sentences) - size.edits
            update = StatusUpdate(
                recommendation=rec,
                period=period,
                status=status,
                text=" ".join(sentences[:first]),
                author=author,
                changed_by=author,
                recorded_at=_aware(day, rng.randrange(600)),
                version=1,
                sign_off=SignOff.DRAFT,
                no_evidence_reason=(
                    _fill(rng.choice(NO_EVIDENCE_REASONS), rng, topic, day, rec)
                    if status == Status.COMPLETE
                    else ""
                ),
            )
            stages = [_snapshot(update, update.recorded_at, author, "First draft")]
            for edit in range(1, size.edits + 1):
                day += dt.timedelta(days=rng.randrange(1, 4))
                update.text = " ".join(sentences[: first + edit])
                update.version += 1
                update.recorded_at = _aware(day, rng.randrange(600))
                stages.append(
                    _snapshot(update, update.recorded_at, author, rng.choice(EDIT_REASONS))
                )
            outcome = _sign_off_outcome(rng, position == latest)
            day += dt.timedelta(days=1)
            if outcome != SignOff.DRAFT:
                update.sign_off = SignOff.SUBMITTED
                stages.append(_snapshot(update, _aware(day, 560), author, "Submitted for sign-off"))
            if outcome in (SignOff.APPROVED, SignOff.RETURNED):
                day += dt.timedelta(days=rng.randrange(1, 6))
                approved = outcome == SignOff.APPROVED
                update.sign_off = outcome
                update.reviewed_by = reviewer
                update.reviewed_at = _aware(day, rng.randrange(480))
                update.reviewer_comment = "" if approved else rng.choice(RETURN_COMMENTS)
                if approved:
                    update.approved_status, update.approved_text = update.status, update.text
                    update.approved_version = update.version
                    update.approved_at = update.reviewed_at
                stages.append(
                    _snapshot(
                        update,
                        update.reviewed_at,
                        reviewer,
                        "Approved" if approved else "Returned for changes",
                    )
                )
            live.append(update)
            created.append(stages[0])
            changed.extend(stages[1:])

    _require_keys(StatusUpdate.objects.bulk_create(live, batch_size=BATCH))
    for stage in created + changed:
        stage.pk = stage._live.pk
    # History ids follow history dates, as they would have had people typed it all.
    created.sort(key=lambda stage: stage._history_date)
    changed.sort(key=lambda stage: stage._history_date)
    StatusUpdate.history.bulk_history_create(created, batch_size=BATCH)
    StatusUpdate.history.bulk_history_create(changed, batch_size=BATCH, update=True)


def _snapshot(instance, when: dt.datetime, user, reason: str):
    """A copy of `instance` as it stands now, to be written later as one history row."""
    stage = copy.copy(instance)
    stage._live = instance
    _stamp(stage, when=when, user=user, reason=reason)
    return stage


def _narrative(
    rng, topic, rec, when: dt.date, status: str, initial: bool, at_least: int
) -> list[str]:
    """The sentences of an update's final text, in order; each edit added the next one."""

    def fill(template: str) -> str:
        return _fill(template, rng, topic, when, rec)

    finished = status in (Status.COMPLETE, Status.CLOSED)
    sentences = [rng.choice(UPDATE_OPENERS)] if initial else []
    if finished:
        sentences.append(fill(rng.choice(COMPLETION)))
    sentences += [fill(s) for s in rng.sample(UPDATE_SENTENCES, k=3 + rng.randrange(3))]
    risk = rng.choice(RISKS)
    if risk and status in (Status.AT_RISK, Status.OFF_TRACK):
        sentences.append(fill(risk))
    if not finished:
        sentences.append(fill(rng.choice(NEXT_STEPS)))
    while len(sentences) < at_least:
        sentences.append(fill(rng.choice(UPDATE_SENTENCES)))
    return sentences

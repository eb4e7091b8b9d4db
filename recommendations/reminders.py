"""Reminder digests by email: owners hear what they have due and overdue, executives what awaits
their sign-off.

Who gets what
- Each owner (Owner.email, else the email of the account linked to the owner) gets one digest
  of their recommendations whose update is due for the plan's current return, and of their
  overdue recommendations. Owners sharing an address get one digest between them.
  The current return of a plan is its period with the latest return date on or before
  today + N days: due soon when that date is still ahead, late when it has passed (a late
  update is chased until the next period's return date comes within N days). An update is
  wanted when nothing is recorded for that period, or what is recorded is a draft or was
  returned for changes. Recommendations whose latest status is Closed are not chased for an
  update they have not started.
- Each executive (an active account in the "Executive" group with an email) gets one digest of
  every update awaiting sign-off.
- Nobody with nothing to report gets an email.

Sending nothing twice
Every digest sent is recorded (ReminderSent) with the keys of the items it listed. On the same
day, a person gets another digest of the same kind only if it lists something they have not
been sent that day (a newly submitted update, a newly overdue recommendation); it then lists
everything current, marking what is new. The next day everything current is sent again: run it
once a day, or once a week, from cron.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import smtplib
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from . import permissions, progress
from .choices import SignOff, Status, status_label
from .figures import approved_status_subquery, item_facts
from .models import Owner, Recommendation, ReminderSent, ReportingPeriod, StatusUpdate
from .permissions import EXECUTIVE

DEFAULT_DAYS = 14
DEFAULT_SITE_URL = "http://127.0.0.1:8000"
Kind = ReminderSent.Kind
MAIL_ERRORS = (smtplib.SMTPException, OSError)


def site_url() -> str:
    return getattr(settings, "SITE_URL", DEFAULT_SITE_URL)


# ---------------------------------------------------------------------------- what a digest lists


@dataclass(frozen=True)
class DueItem:
    """An update an owner still has to write or submit for the plan's current return."""

    recommendation: Recommendation
    period: ReportingPeriod
    update: StatusUpdate | None
    late: bool

    @property
    def key(self) -> str:
        return f"due:{self.recommendation.pk}:{self.period.pk}"

    @property
    def state(self) -> str:
        if self.update is None:
            return "no update recorded yet"
        if self.update.sign_off == SignOff.RETURNED:
            return "returned for changes"
        return "draft, not yet submitted for sign-off"


@dataclass(frozen=True)
class OverdueItem:
    """A recommendation past its due date and not complete or closed."""

    recommendation: Recommendation

    @property
    def key(self) -> str:
        return f"overdue:{self.recommendation.pk}"

    @property
    def status(self) -> str:
        return status_label(getattr(self.recommendation, "current_status", "") or "")


@dataclass(frozen=True)
class AwaitingItem:
    """An update submitted for sign-off. A resubmission is a new item (its version changed)."""

    update: StatusUpdate

    @property
    def key(self) -> str:
        return f"awaiting:{self.update.pk}:{self.update.version}"

    @property
    def recommendation(self) -> Recommendation:
        return self.update.recommendation


@dataclass
class Digest:
    """One email to one person: everything of one kind they should act on."""

    kind: str
    email: str
    name: str
    user: AbstractBaseUser | None = None
    due: list[DueItem] = field(default_factory=list)
    overdue: list[OverdueItem] = field(default_factory=list)
    awaiting: list[AwaitingItem] = field(default_factory=list)
    new_keys: frozenset[str] = frozenset()  # set when an earlier digest went out the same day

    @property
    def items(self) -> list:
        return [*self.due, *self.overdue, *self.awaiting]

    @property
    def keys(self) -> list[str]:
        return sorted(item.key for item in self.items)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256("\n".join(self.keys).encode()).hexdigest()

    @property
    def late(self) -> list[DueItem]:
        return [item for item in self.due if item.late]

    @property
    def due_soon(self) -> list[DueItem]:
        return [item for item in self.due if not item.late]

    @property
    def subject(self) -> str:
        if self.kind == Kind.EXECUTIVE:
            n = len(self.awaiting)
            return f"Action plans: {n} update{_s(n)} awaiting your sign-off"
        parts = []
        if self.due:
            parts.append(f"{len(self.due)} update{_s(len(self.due))} due")
        if self.overdue:
            n = len(self.overdue)
            parts.append(f"{n} overdue recommendation{_s(n)}")
        return "Action plans: " + ", ".join(parts)


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _order(rec: Recommendation) -> tuple:
    return (rec.plan.title, rec.plan_id, rec.sort_key)


# ---------------------------------------------------------------------------- building digests


def _owner_address(owner: Owner) -> str:
    if owner.email:
        return owner.email
    user = owner.user
    return user.email if user is not None and user.is_active else ""


def _current_returns(horizon: dt.date) -> dict[int, ReportingPeriod]:
    """Per plan, the period with the latest return date on or before `horizon`."""
    periods = ReportingPeriod.objects.filter(
        return_due__isnull=False, return_due__lte=horizon
    ).order_by("plan_id", "return_due", "position", "id")
    return {period.plan_id: period for period in periods}  # the last of each plan wins


def _due_items(today: dt.date, horizon: dt.date) -> list[DueItem]:
    current = _current_returns(horizon)
    if not current:
        return []
    updates = {
        (update.recommendation_id, update.period_id): update
        for update in StatusUpdate.objects.filter(period__in=current.values())
    }
    recommendations = (
        Recommendation.objects.filter(plan_id__in=current, owner__isnull=False)
        .annotate(current_status=approved_status_subquery())
        .select_related("plan", "owner__user")
    )
    # A recommendation that reports through its actions is not chased for an update of its
    # own: its actions' owners are.
    through_actions = set(
        Recommendation.objects.filter(plan_id__in=current, parent__isnull=False)
        .exclude(owner=None, updates=None)
        .values_list("parent_id", flat=True)
    )
    items = []
    for rec in recommendations:
        period = current[rec.plan_id]
        update = updates.get((rec.pk, period.pk))
        if update is None and (rec.current_status == Status.CLOSED or rec.pk in through_actions):
            continue
        if update is None or update.sign_off in (SignOff.DRAFT, SignOff.RETURNED):
            items.append(DueItem(rec, period, update, late=period.return_due < today))
    return items


def _overdue(today: dt.date) -> list[Recommendation]:
    """Recommendations and actions with an owner that are overdue by the shared rule: a
    recommendation by its own status, else its actions'; an action by its own."""
    candidates = Recommendation.objects.filter(due_date__lt=today, owner__isnull=False)
    plans = candidates.values("plan_id")
    facts = item_facts(Recommendation.objects.filter(plan_id__in=plans))
    standings = progress.standings(facts, today)
    status = {item.id: item.status or "" for item in facts}
    status |= {rec_id: standing.status for rec_id, standing in standings.items()}
    overdue = []
    for rec in candidates.select_related("plan", "owner__user"):
        rec.current_status = status.get(rec.pk, "")
        if progress.is_overdue(rec.due_date, rec.current_status, today):
            overdue.append(rec)
    return overdue


def _in_own_organisation(rec: Recommendation) -> bool:
    """An owner hears only of their own organisation's plans (an owner named in another
    organisation's plan is someone else's to chase)."""
    return rec.owner.organisation_id in (None, rec.plan.organisation_id)


def owner_digests(*, today: dt.date, days: int) -> list[Digest]:
    """One digest per owner address with something due or overdue."""
    horizon = today + dt.timedelta(days=days)
    digests: dict[str, Digest] = {}

    def digest_for(owner: Owner) -> Digest | None:
        email = _owner_address(owner)
        if not email:
            return None
        key = email.casefold()
        if key not in digests:
            digests[key] = Digest(Kind.OWNER, email, str(owner), owner.user)
        return digests[key]

    for item in _due_items(today, horizon):
        digest = digest_for(item.recommendation.owner)
        if digest is not None and _in_own_organisation(item.recommendation):
            digest.due.append(item)
    for rec in _overdue(today):
        digest = digest_for(rec.owner)
        if digest is not None and _in_own_organisation(rec):
            digest.overdue.append(OverdueItem(rec))
    digests = {key: digest for key, digest in digests.items() if digest.due or digest.overdue}
    for digest in digests.values():
        digest.due.sort(key=lambda item: _order(item.recommendation))
        digest.overdue.sort(key=lambda item: _order(item.recommendation))
    return sorted(digests.values(), key=lambda digest: digest.email.casefold())


def executive_digests() -> list[Digest]:
    """One digest per executive address, listing every update awaiting sign-off."""
    waiting = [
        AwaitingItem(update)
        for update in StatusUpdate.objects.filter(sign_off=SignOff.SUBMITTED).select_related(
            "recommendation__plan", "period", "author"
        )
    ]
    if not waiting:
        return []
    waiting.sort(key=lambda item: (*_order(item.recommendation), item.update.period.position))
    executives = (
        get_user_model()
        .objects.filter(groups__name=EXECUTIVE, is_active=True)
        .exclude(email="")
        .order_by("email", "pk")
        .distinct()
    )
    digests: dict[str, Digest] = {}
    for user in executives:
        # Each executive signs off their own organisation's plans only (permissions).
        theirs = [
            item for item in waiting if permissions.can_sign_off(user, item.recommendation.plan)
        ]
        if not theirs:
            continue
        name = user.get_full_name() or user.get_username()
        digests.setdefault(
            user.email.casefold(),
            Digest(Kind.EXECUTIVE, user.email, name, user, awaiting=theirs),
        )
    return list(digests.values())


def build_digests(*, today: dt.date | None = None, days: int = DEFAULT_DAYS) -> list[Digest]:
    """Every digest there is to send today, before checking what was already sent."""
    today = today or timezone.localdate()
    return owner_digests(today=today, days=days) + executive_digests()


# ---------------------------------------------------------------------------- sending


@dataclass
class ReminderRun:
    """What one run did: digests sent (or, in a dry run, that would be), skipped, failed."""

    today: dt.date
    dry_run: bool
    sent: list[Digest] = field(default_factory=list)
    already_sent: list[Digest] = field(default_factory=list)
    failed: list[tuple[Digest, str]] = field(default_factory=list)
    messages: list[EmailMessage] = field(default_factory=list)


def compose(digest: Digest, *, base_url: str, today: dt.date, days: int) -> EmailMessage:
    """The plain-text email for a digest, with links to the pages under `base_url`."""
    base_url = base_url.rstrip("/")
    body = render_to_string(
        f"email/{digest.kind}_digest.txt",
        {
            "digest": digest,
            "base_url": base_url,
            "today": today,
            "days": days,
            "force_name": settings.FORCE_NAME,
            "dashboard_url": base_url + reverse("dashboard"),
        },
    )
    return EmailMessage(
        subject=digest.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.email],
        # RFC 3834: out-of-office replies should not answer an automatic message.
        headers={"Auto-Submitted": "auto-generated"},
    )


def _sent_today(today: dt.date) -> dict[tuple[str, str], set[str]]:
    sent: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind, email, items in ReminderSent.objects.filter(sent_on=today).values_list(
        "kind", "email", "items"
    ):
        sent[(kind, email.casefold())].update(items)
    return sent


def send_reminders(
    *,
    days: int = DEFAULT_DAYS,
    base_url: str | None = None,
    today: dt.date | None = None,
    dry_run: bool = False,
) -> ReminderRun:
    """Email every digest that lists something its recipient has not been sent today.

    Each digest sent is recorded at once, so a run that stops half way resends nothing that
    went out. A digest the mail server refuses is not recorded, and is tried again next run.
    With `dry_run`, the messages are composed and returned, not sent or recorded.
    """
    today = today or timezone.localdate()
    base_url = base_url or site_url()
    run = ReminderRun(today=today, dry_run=dry_run)
    sent_today = _sent_today(today)
    due = []
    for digest in build_digests(today=today, days=days):
        earlier = sent_today.get((digest.kind, digest.email.casefold()), set())
        if set(digest.keys) <= earlier:
            run.already_sent.append(digest)
            continue
        if earlier:
            digest.new_keys = frozenset(set(digest.keys) - earlier)
        due.append(digest)
    if dry_run:
        run.sent = due
        run.messages = [compose(d, base_url=base_url, today=today, days=days) for d in due]
        return run
    if not due:
        return run
    connection = get_connection()
    try:
        connection.open()
    except MAIL_ERRORS as error:
        run.failed = [(digest, _reason(error)) for digest in due]
        return run
    try:
        for digest in due:
            message = compose(digest, base_url=base_url, today=today, days=days)
            message.connection = connection
            try:
                message.send()
            except MAIL_ERRORS as error:
                run.failed.append((digest, _reason(error)))
                continue
            _record(digest, today=today)
            run.sent.append(digest)
            run.messages.append(message)
    finally:
        connection.close()
    return run


def _reason(error: Exception) -> str:
    return str(error) or error.__class__.__name__


def _record(digest: Digest, *, today: dt.date) -> ReminderSent:
    return ReminderSent.objects.create(
        email=digest.email,
        user=digest.user,
        kind=digest.kind,
        sent_on=today,
        sent_at=timezone.now(),
        items=digest.keys,
        fingerprint=digest.fingerprint,
        summary=digest.subject[:300],
    )

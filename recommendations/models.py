"""The plan, its recommendations and the progress reported on them, period after period.

Every model users change carries django-simple-history, so each save keeps who, when and
what the row held before.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from .choices import SignOff, Status, rag_for, status_label

_DIGITS = re.compile(r"(\d+)")


def natural_key(number: str) -> str:
    """A sort key that puts "7" before "10" and "10.2" before "10.10"."""
    parts = _DIGITS.split(number.strip().lower())
    return "".join(part.zfill(10) if part.isdigit() else part for part in parts)


# A recommendation's number is part of its page's address, where a slash cannot stand.
NUMBER_IN_ADDRESSES = RegexValidator(
    r"^[^/]+$", 'A recommendation number cannot contain a slash ("/"): write 7.1 or 7-1.'
)


class Organisation(models.Model):
    """A body that answers reports with plans: a police force, or a national lead collating
    forces' returns. Every plan and every account belongs to one."""

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=60, blank=True, help_text='E.g. "HIOWC".')
    code = models.SlugField(
        max_length=40, unique=True, help_text='A stable identifier in returns, e.g. "hiowc".'
    )
    answers_reports = models.BooleanField(
        "answers reports",
        default=True,
        help_text="A force expected to return its plans: listed in the national progress report "
        "even before its first return. Off for a national body that collates returns.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    """Which organisation a person signs in for: they see and change its plans only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="accounts"
    )
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.user} ({self.organisation})"


class Report(models.Model):
    """A report that makes recommendations (a super-complaint report, an inspection, an
    audit), which many organisations' plans answer: "recommendation 7" of one report means
    the same thing in every plan that answers it."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300)
    publisher = models.CharField("publishing bodies", max_length=300, blank=True)
    published = models.DateField("date published", null=True, blank=True)
    url = models.URLField("web address", max_length=500, blank=True)
    complainant = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ReportRecommendation(models.Model):
    """A numbered recommendation of a report, as the report makes it; or, with a parent, one
    of its numbered sub-recommendations."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="recommendations")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    number = models.CharField(max_length=20, validators=[NUMBER_IN_ADDRESSES])
    sort_key = models.CharField(max_length=120, editable=False)
    text = models.TextField(blank=True)
    addressee = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["report", "sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="unique_number_in_report")
        ]

    def __str__(self) -> str:
        return f"Recommendation {self.number} of the report"

    def save(self, *args, **kwargs) -> None:
        self.sort_key = natural_key(self.number)
        super().save(*args, **kwargs)


class Owner(models.Model):
    """A named officer or member of staff accountable for recommendations."""

    name = models.CharField(max_length=200)
    rank = models.CharField(
        "rank", max_length=100, blank=True, help_text='Shown before the name, e.g. "D/Supt".'
    )
    role = models.CharField("role", max_length=200, blank=True)
    email = models.EmailField(blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owner",
        help_text="The account this person signs in with, if any.",
    )
    organisation = models.ForeignKey(
        "Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owners",
        help_text="The organisation whose plans may name this person.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.rank} {self.name}".strip()


class PlanQuerySet(models.QuerySet):
    def newest_first(self) -> PlanQuerySet:
        """Where an organisation has several plans answering one report, the one that stands
        for it (in the national progress report, and for the returns taken in) is its newest:
        the first of these."""
        return self.order_by("-pk")


class Plan(models.Model):
    """A force's action plan answering one report (super-complaint, inspection, audit)."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="plans")
    report = models.ForeignKey(
        Report,
        on_delete=models.PROTECT,
        related_name="plans",
        null=True,
        blank=True,
        help_text="The report the plan answers.",
    )
    introduction = models.TextField(blank=True)
    executive_lead = models.ForeignKey(
        Owner,
        verbose_name="strategic / executive lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    operational_lead = models.ForeignKey(
        Owner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    response_deadline = models.DateField(null=True, blank=True)
    collected = models.BooleanField(
        default=False,
        editable=False,
        help_text="Kept from the organisation's returns (collation), not by the organisation "
        "itself on this deployment: only such a plan may be changed by a return.",
    )
    is_published = models.BooleanField(
        "published", default=False, help_text="Show the approved plan on its public page."
    )
    import_mapping = models.JSONField(
        "import mapping",
        default=dict,
        blank=True,
        help_text="The meaning of each column and status word of the file the plan was last "
        "imported from, so the next file from the same source imports with one confirmation.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    objects = PlanQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("plan_table", args=[self.slug])

    # What the plan answers, as pages and returns name it: the report's own details.
    @property
    def report_title(self) -> str:
        return self.report.title if self.report_id else ""

    @property
    def report_publisher(self) -> str:
        return self.report.publisher if self.report_id else ""

    @property
    def report_date(self):
        return self.report.published if self.report_id else None

    @property
    def complainant(self) -> str:
        return self.report.complainant if self.report_id else ""


class RecommendationQuerySet(models.QuerySet):
    def top_level(self) -> RecommendationQuerySet:
        """The report's recommendations, without their sub-recommendations and actions."""
        return self.filter(parent__isnull=True)


class Recommendation(models.Model):
    """A numbered recommendation of the report, as the force tracks it; or, with a `parent`,
    one of its sub-recommendations or actions ("7.1").

    A sub-recommendation or action is a recommendation in every other way: it may have its
    own owner, due date, updates per period with their sign-off and evidence, and moved
    deadlines, or only its text. Numbers are unique within the plan, so "7.1" has a page of
    its own. One level only: an action has no actions of its own.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="recommendations")
    parent = models.ForeignKey(
        "self",
        verbose_name="part of recommendation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subrecommendations",
        help_text="Set for a sub-recommendation or action: the recommendation it belongs to.",
    )
    number = models.CharField(
        max_length=20,
        help_text='As the report numbers it: "7", "10".',
        validators=[NUMBER_IN_ADDRESSES],
    )
    sort_key = models.CharField(max_length=120, editable=False, db_index=True)
    text = models.TextField(blank=True)
    addressee = models.CharField(
        max_length=300, blank=True, help_text='Who the report addressed, e.g. "Chief Constables".'
    )
    due_date = models.DateField(null=True, blank=True)
    original_due_date = models.DateField(null=True, blank=True, editable=False)
    owner = models.ForeignKey(
        Owner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recommendations",
        help_text="The accountable owner inside the force.",
    )
    report_recommendation = models.ForeignKey(
        ReportRecommendation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answers",
        help_text="The report's recommendation of the same number; none for the force's own.",
    )
    details = models.JSONField(
        "other details",
        default=dict,
        blank=True,
        help_text="Further columns kept from the file the plan was imported from, by heading.",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    objects = RecommendationQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_number_in_plan")
        ]
        indexes = [models.Index(fields=["plan", "sort_key"], name="rec_plan_sort")]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"

    def save(self, *args, **kwargs) -> None:
        # A derived column, kept in step with the number so the database can sort naturally.
        self.sort_key = natural_key(self.number)
        if self.original_due_date is None:
            self.original_due_date = self.due_date
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("recommendation_detail", args=[self.plan.slug, self.number])

    def clean(self) -> None:
        # A sub-recommendation may be a bare number ("10.2") beside its recommendation's
        # text; a recommendation always says what it asks.
        if self.parent_id is None and not (self.text or "").strip():
            raise ValidationError({"text": "Give the recommendation's text."})

    @property
    def kind(self) -> str:
        return "Sub-recommendation" if self.parent_id else "Recommendation"

    @property
    def is_action(self) -> bool:
        return self.parent_id is not None

    @property
    def is_local(self) -> bool:
        """The force's own: not one of the report's recommendations or sub-recommendations."""
        return self.report_recommendation_id is None


class ReportingPeriod(models.Model):
    """One column of the return: "Initial action plan response", "March 2026 update"."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="periods")
    label = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0, help_text="Order of the column.")
    period_end = models.DateField(null=True, blank=True)
    return_due = models.DateField("return due", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "label"], name="unique_period_label_in_plan")
        ]
        # A plan's columns in order, and its latest period, without sorting.
        indexes = [models.Index(fields=["plan", "position"], name="period_plan_position")]

    def __str__(self) -> str:
        return self.label


class StatusUpdate(models.Model):
    """The progress reported on one recommendation for one reporting period.

    There is one current update per recommendation and period; editing it keeps the
    earlier text in its history.
    """

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="updates"
    )
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    text = models.TextField("progress narrative")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField("date recorded")
    version = models.PositiveIntegerField(default=1)
    sign_off = models.CharField(max_length=20, choices=SignOff.choices, default=SignOff.DRAFT)
    reviewer_comment = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who last changed its words, status or evidence: never the one to approve it.",
    )
    # The version in force: what an executive last approved, kept while a newer draft or a
    # resubmission waits beside it. The public page, the returns and every figure read these.
    approved_status = models.CharField(
        max_length=20, choices=Status.choices, blank=True, editable=False
    )
    approved_text = models.TextField(blank=True, editable=False)
    approved_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    no_evidence_reason = models.TextField(
        "why no evidence is needed",
        blank=True,
        help_text="Needed to mark complete without attaching evidence.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["recommendation", "period__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "period"], name="one_update_per_recommendation_period"
            )
        ]
        indexes = [
            models.Index(fields=["period", "sign_off"], name="update_period_signoff"),
            # Covers the "latest status" subquery: the status is read from the index, not
            # from the update rows with their long texts.
            models.Index(
                fields=["recommendation", "period", "status"], name="update_rec_period_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recommendation} - {self.period}"

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def rag(self):
        return rag_for(self.status)

    @property
    def has_approved_version(self) -> bool:
        return self.approved_at is not None

    @property
    def is_approved(self) -> bool:
        """The words and status as they stand are the ones signed off."""
        return self.sign_off == SignOff.APPROVED

    def approved_copy(self) -> StatusUpdate | None:
        """The version in force, as an unsaved update (None if none was ever approved)."""
        if self.approved_at is None:
            return None
        if self.is_approved:
            return self
        copy = StatusUpdate(
            pk=self.pk,
            recommendation_id=self.recommendation_id,
            period_id=self.period_id,
            status=self.approved_status,
            text=self.approved_text,
            author_id=self.author_id,
            recorded_at=self.approved_at,
            version=self.approved_version or self.version,
            sign_off=SignOff.APPROVED,
            reviewed_by_id=self.reviewed_by_id,
            reviewed_at=self.approved_at,
            approved_status=self.approved_status,
            approved_text=self.approved_text,
            approved_version=self.approved_version,
            approved_at=self.approved_at,
        )
        return copy


def evidence_path(instance: Evidence, filename: str) -> str:
    # The stored name is ours, never the uploader's: the original name is kept in a column.
    return f"evidence/{instance.update.recommendation.plan_id}/{uuid.uuid4().hex}"


class Evidence(models.Model):
    """A file attached to an update as evidence of progress or completion.

    Stored under MEDIA_ROOT (outside the web root) and only served through a view that checks
    permissions.
    """

    update = models.ForeignKey(StatusUpdate, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    description = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["update", "uploaded_at", "id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.original_name


class DueDateChange(models.Model):
    """A moved deadline: the old and new date, who moved it, when and why."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="due_date_changes"
    )
    old_date = models.DateField(null=True, blank=True)
    new_date = models.DateField(null=True, blank=True)
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["recommendation", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.recommendation}: {self.old_date} -> {self.new_date}"


class ReminderSent(models.Model):
    """One reminder digest emailed to one person, and what it listed.

    send_reminders reads these to send nothing twice on the same day: a digest goes out again
    that day only if it lists something the person has not been sent yet. Written by the
    system, never edited by people, so it keeps no history of its own.
    """

    class Kind(models.TextChoices):
        OWNER = "owner", "Owner's digest: updates due and overdue recommendations"
        EXECUTIVE = "executive", "Executive's digest: updates awaiting sign-off"

    email = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The recipient's account, if the digest went to one.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_on = models.DateField("sent on (local date)")
    sent_at = models.DateTimeField()
    items = models.JSONField(default=list, help_text="Keys of the items the digest listed.")
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the sorted item keys.")
    summary = models.CharField(max_length=300, help_text="The email's subject.")

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = "reminder sent"
        verbose_name_plural = "reminders sent"
        indexes = [
            models.Index(fields=["sent_on", "kind", "email"], name="reminder_day_kind_email")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.email} on {self.sent_on}"


class PlanRevision(models.Model):
    """A token that changes whenever anything one plan's pages show changes.

    Rendered pages are cached under it (see page_cache.py). It lives in the database, not in
    a server process, and changes in the same transaction as the change itself, so every
    process sees it on its next request. A random token rather than a counter, so a value
    never comes back (not even after a backup is restored); a row of its own rather than a
    column of Plan, so that saving a plan that was read earlier cannot write an old token
    back. A change locks its own plan's row only, so writes to different plans never wait
    for one another. The system writes it, so it keeps no history.
    """

    plan = models.OneToOneField(
        Plan, on_delete=models.CASCADE, primary_key=True, related_name="revision"
    )
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.token}"


class SiteRevision(models.Model):
    """A mark left by a change that no one plan owns (an account's name, an owner, a plan
    removed), for the pages that span plans.

    Those pages are cached under a token made of every plan's token and every one of these
    marks (page_cache.site_token). Each such change adds a row with a new random token
    instead of changing a shared one, so that no two writers ever queue on one row (there
    used to be one row, replaced by every change); old rows are pruned as new ones arrive.
    """

    id = models.BigAutoField(primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token


class CollectedSource(models.Model):
    """A web address a force's return is collected from (manage.py collect_returns), and what
    it answered last time: its ETag and Last-Modified, sent back so an unchanged return costs
    the force's server a "304 Not Modified", and the SHA-256 of the body last taken in.

    Written by the command, never by people, and it changes on every run: it keeps no history
    (the rows a return changes keep theirs)."""

    url = models.URLField("web address", max_length=500, unique=True)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="collected_sources")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="collected_sources",
        help_text="Whose return the address last gave.",
    )
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    body_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url

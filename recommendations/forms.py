"""Forms validate every value a user sends; a bad value comes back with a message beside it."""

from __future__ import annotations

from django import forms

from .choices import Status
from .evidence import NO_EVIDENCE_MESSAGE, evidence_hint, inspect_evidence
from .imports.formats import MAX_FILE_BYTES
from .models import Organisation, Owner, Report
from .queries import PlanFilters
from .services import DUE_DATE_NEEDS_REASON, RETURN_NEEDS_COMMENT, SAME_DUE_DATE

MAX_NARRATIVE = 20_000
# A return is a plan file like any the importer reads, with the same limit.
MAX_RETURN_BYTES = MAX_FILE_BYTES
MAX_RETURN_MB = MAX_RETURN_BYTES // (1024 * 1024)


class PlanFilterForm(forms.Form):
    """The plan table's filters, sent as plain GET parameters so links keep them."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *Status.choices, ("none", "No status given")],
    )
    owner = forms.ModelChoiceField(
        label="Owner", required=False, queryset=Owner.objects.all(), empty_label="Any owner"
    )
    overdue = forms.BooleanField(label="Overdue only", required=False)
    stale = forms.BooleanField(label="No update for the latest period", required=False)
    awaiting = forms.BooleanField(label="Awaiting sign-off", required=False)
    slipped = forms.BooleanField(label="Deadline moved", required=False)

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is not None:
            self.fields["owner"].queryset = owners

    def filters(self) -> PlanFilters:
        """The filters to apply; invalid values are ignored (the form shows why)."""
        data = self.cleaned_data if self.is_valid() else {}
        owner = data.get("owner")
        return PlanFilters(
            status=data.get("status", ""),
            owner_id=owner.pk if owner else None,
            overdue=bool(data.get("overdue")),
            q=(data.get("q") or "").strip(),
            no_current_update=bool(data.get("stale")),
            awaiting_sign_off=bool(data.get("awaiting")),
            slipped=bool(data.get("slipped")),
        )


class StatusUpdateForm(forms.Form):
    """Record or edit the update for one recommendation and period."""

    status = forms.ChoiceField(
        label="Status",
        choices=[("", "Choose a status"), *Status.choices],
        error_messages={"required": "Choose a status for this period."},
    )
    text = forms.CharField(
        label="Progress narrative",
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=MAX_NARRATIVE,
        strip=True,
        error_messages={"required": "Write what has happened in this period."},
        help_text="What has been done, what is next and any risk to the deadline.",
    )
    no_evidence_reason = forms.CharField(
        label="Why no evidence is needed",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_NARRATIVE,
        help_text="Only needed to mark it complete without attaching evidence.",
    )
    evidence_file = forms.FileField(
        label="Attach evidence (optional)",
        required=False,
        help_text="",  # set per request: the limit is a setting
    )
    evidence_description = forms.CharField(
        label="What the evidence shows (optional)", required=False, max_length=300
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, evidence_count: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.evidence_count = evidence_count
        self.fields["evidence_file"].help_text = evidence_hint()

    def clean_evidence_file(self):
        upload = self.cleaned_data.get("evidence_file")
        if upload:
            inspect_evidence(upload)
        return upload

    def clean(self) -> dict:
        data = super().clean()
        attached = self.evidence_count + (1 if data.get("evidence_file") else 0)
        if (
            data.get("status") == Status.COMPLETE
            and not attached
            and not (data.get("no_evidence_reason") or "").strip()
            and "evidence_file" not in self.errors
        ):
            self.add_error("no_evidence_reason", NO_EVIDENCE_MESSAGE)
        return data


class ReviewForm(forms.Form):
    """An executive's sign-off decision on the update of one period. A recommendation page
    holds one per update awaiting sign-off, so its fields' ids name the period."""

    def __init__(self, *args, period_id: int, returning: bool = False, **kwargs):
        super().__init__(*args, auto_id=f"%s-{period_id}", **kwargs)
        self.period_id = period_id
        self.returning = returning

    def clean_comment(self) -> str:
        comment = self.cleaned_data["comment"].strip()
        if self.returning and not comment:
            raise forms.ValidationError(RETURN_NEEDS_COMMENT)
        return comment

    comment = forms.CharField(
        label="Comment for the lead",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_NARRATIVE,
        help_text="Required when returning an update.",
    )


class EvidenceForm(forms.Form):
    """A file attached to an update as evidence, with a line saying what it shows."""

    file = forms.FileField(
        label="Evidence file",
        error_messages={
            "required": "Choose a file to attach.",
            "empty": "The file is empty. Choose the file again.",
        },
    )
    description = forms.CharField(
        label="What it shows (optional)",
        required=False,
        max_length=300,
        help_text='For example "Training completion figures, March 2026".',
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = evidence_hint()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        inspect_evidence(upload)
        return upload


class EvidenceRemoveForm(forms.Form):
    """Why a piece of evidence is being removed, kept in its history."""

    reason = forms.CharField(
        label="Why it is being removed (optional)",
        required=False,
        max_length=MAX_NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the change history with your name.",
    )


class DueDateForm(forms.Form):
    """A new due date for a recommendation and the reason it moves."""

    new_date = forms.DateField(
        label="New due date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="For example 27/03/2026.",
        error_messages={
            "required": "Give the new due date.",
            "invalid": "Give the new due date as a real date, for example 27/03/2026.",
        },
    )
    reason = forms.CharField(
        label="Reason for the change",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_NARRATIVE,
        help_text="Oversight bodies expect every moved deadline to be explained.",
        error_messages={"required": DUE_DATE_NEEDS_REASON},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, current_date=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_date = current_date

    def clean_new_date(self):
        new_date = self.cleaned_data["new_date"]
        if new_date == self.current_date:
            raise forms.ValidationError(SAME_DUE_DATE)
        return new_date


class ReturnUploadForm(forms.Form):
    """A force's return for a national lead to take in: our JSON, our XLSX return, or any
    layout the importer reads."""

    file = forms.FileField(
        label="Return file",
        help_text=(
            f"Up to {MAX_RETURN_MB} MB: the force's return in the open format (JSON), our XLSX "
            "return, or the plan as the force keeps or publishes it (a spreadsheet, a CSV or a "
            "saved web page)."
        ),
        error_messages={"required": "Choose the return file to take in."},
    )
    report = forms.ModelChoiceField(
        queryset=Report.objects.order_by("title"),
        empty_label=None,
        label="Report the return answers",
    )
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label="As the file names it",
        label="Force",
        help_text=(
            "For a spreadsheet or other layout: whose return it is, unless its title or file "
            "name names the force. A JSON return names its own force."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_RETURN_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / (1024 * 1024):.1f} MB; the limit is "
                f"{MAX_RETURN_MB} MB."
            )
        self.file_bytes = b"".join(upload.chunks())
        return upload

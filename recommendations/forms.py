"""Forms validate every value a user sends; a bad value comes back with a message beside it."""

from __future__ import annotations

from django import forms

from .choices import Status
from .models import Owner
from .queries import PlanFilters

MAX_NARRATIVE = 20_000


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
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, evidence_count: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.evidence_count = evidence_count

    def clean(self) -> dict:
        data = super().clean()
        if (
            data.get("status") == Status.COMPLETE
            and not self.evidence_count
            and not (data.get("no_evidence_reason") or "").strip()
        ):
            self.add_error(
                "no_evidence_reason",
                "Attach evidence of completion, or say here why none is needed.",
            )
        return data


class ReviewForm(forms.Form):
    """An executive's sign-off decision."""

    comment = forms.CharField(
        label="Comment for the lead",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_NARRATIVE,
        help_text="Required when returning an update.",
    )

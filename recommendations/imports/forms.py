"""The import's two forms: the file to upload, and the mapping step of the preview, where the
user can change the meaning of every column and the status of every status word."""

from __future__ import annotations

from django import forms

from ..choices import Status
from ..models import Plan
from . import formats
from .mapping import PERIOD_MEANINGS, Mapping, Meaning
from .preview import ImportPreview

MAX_UPLOAD_MB = formats.MAX_FILE_BYTES // (1024 * 1024)
NOT_PLACED = "?"


class ImportUploadForm(forms.Form):
    """The file to import, and where it goes: a new plan, or an existing one."""

    file = forms.FileField(
        label="Plan file",
        help_text=(
            f"{formats.ACCEPTED}, up to {MAX_UPLOAD_MB} MB: our own XLSX return, the plan as "
            "your force keeps or publishes it (a spreadsheet, a CSV, or the web page saved "
            "from your browser), or next quarter's file for a plan already here."
        ),
        error_messages={"required": "Choose the file to import."},
    )
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.order_by("title"),
        required=False,
        empty_label="A new plan",
        label="Import into",
        help_text=(
            "A new plan, or a plan already here: its new and changed updates are added (shown "
            "first, awaiting sign-off), or, if it has no recommendations yet, it is filled."
        ),
    )
    title = forms.CharField(
        label="Title of a new plan (optional)",
        max_length=300,
        required=False,
        help_text="Left blank, the title the file gives is used.",
    )
    slug = forms.SlugField(
        label="Web address of a new plan (optional)",
        required=False,
        max_length=100,
        help_text="Letters, numbers and hyphens, e.g. stalking-super-complaint. Left blank, "
        "it is made from the title.",
    )

    def __init__(self, *args, plans=None, **kwargs):
        super().__init__(*args, **kwargs)
        if plans is not None:
            # Only plans the administrator may change are offered (and accepted).
            self.fields["plan"].queryset = plans.order_by("title")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > formats.MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / (1024 * 1024):.1f} MB; the limit is "
                f"{MAX_UPLOAD_MB} MB. Remove images or other sheets first."
            )
        data = b"".join(upload.chunks())
        try:
            self.source = formats.read_source(data, filename=upload.name or "upload")
        except formats.NotReadable as error:
            raise forms.ValidationError(str(error)) from None
        self.file_bytes = data
        return upload


def _meaning_choices() -> list[tuple[str, str]]:
    return list(Meaning.choices)


def _status_choices() -> list[tuple[str, str]]:
    return [(NOT_PLACED, "Choose a status"), ("", "No status"), *Status.choices]


class MappingForm(forms.Form):
    """One choice per source column (its meaning and, for progress and status columns, its
    period) and one per status word, made from a preview and read back into a Mapping."""

    def __init__(self, *args, preview: ImportPreview, **kwargs):
        super().__init__(*args, **kwargs)
        self.columns = preview.columns
        self.words = preview.status_words
        for index, column in enumerate(self.columns):
            name = f"“{column.header}”" if column.header else "with no header"
            where = f"{column.sheet}, column {column.letter}" if column.sheet else column.letter
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=f"Meaning of column {column.letter} {name}",
                choices=_meaning_choices(),
                initial=column.meaning,
                help_text=f"{where}: {column.filled} cell{'s' if column.filled != 1 else ''}"
                + (f", e.g. “{column.sample}”" if column.sample else ""),
            )
            self.fields[f"period_{index}"] = forms.CharField(
                label=f"Reporting period of column {column.letter} {name}",
                required=False,
                max_length=200,
                initial=column.period,
            )
        for index, word in enumerate(self.words):
            self.fields[f"status_{index}"] = forms.ChoiceField(
                label=f"Status for “{word.word}”",
                choices=_status_choices(),
                initial=NOT_PLACED if word.status is None else word.status,
                help_text=f"{word.count} cell{'s' if word.count != 1 else ''}"
                + (f", first at {word.first_seen}" if word.first_seen else ""),
            )

    def column_rows(self):
        """(column, meaning field, period field) for the template."""
        return [
            (column, self[f"column_{i}"], self[f"period_{i}"])
            for i, column in enumerate(self.columns)
        ]

    def word_rows(self):
        return [(word, self[f"status_{i}"]) for i, word in enumerate(self.words)]

    def mapping(self, base: Mapping | None = None) -> Mapping:
        """The choices as a mapping (call after is_valid()): `base` with every column and word
        on the page as chosen, so entries for columns this file lacks are kept."""
        mapping = Mapping.from_dict(base.to_dict()) if base is not None else Mapping()
        for index, column in enumerate(self.columns):
            meaning = self.cleaned_data[f"column_{index}"]
            period = self.cleaned_data[f"period_{index}"].strip()
            before = mapping.columns.get(column.key)
            if before is not None and not before.period and period == column.period:
                # The period shown was worked out (the one beside it, or the latest), not
                # chosen: left as it was, it stays worked out for the next file too.
                period = ""
            mapping.choose_column(column.key, meaning, period if meaning in PERIOD_MEANINGS else "")
        for index, word in enumerate(self.words):
            status = self.cleaned_data[f"status_{index}"]
            if status != NOT_PLACED:
                mapping.choose_status(word.word, status)
        return mapping

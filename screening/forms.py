"""Forms of the screening pages: windows, uploads (rosters, scores, norms), column mappings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from screening.importers import FORMATS
from screening.importers.generic import FIELDS
from screening.models import NormTable, Season

MAX_UPLOAD_MB = 200


class DateInput(forms.DateInput):
    input_type = "date"


class WindowForm(forms.Form):
    school_year = forms.ModelChoiceField(label=_("School year"), queryset=None)
    season = forms.ChoiceField(label=_("Season"), choices=Season.choices)
    start_date = forms.DateField(label=_("First day"), widget=DateInput)
    end_date = forms.DateField(label=_("Last day"), widget=DateInput)

    def __init__(self, *args, school_years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_year"].queryset = school_years


class UploadForm(forms.Form):
    KIND_CHOICES = [
        ("scores", _("Scores")),
        ("roster", _("Roster (OneRoster zip)")),
        ("attendance", _("Daily attendance")),
        ("incidents", _("Behavior incidents")),
        ("grades", _("Course grades")),
    ]
    # Student-record shapes (students.early_warning.importers): the attendance exports' and the
    # OneRoster gradebook's; blank is the README's CSV.
    SHAPE_CHOICES = [
        ("", _("The CSV described in the README")),
        ("powerschool", _("Attendance: PowerSchool export")),
        ("infinite-campus", _("Attendance: Infinite Campus export")),
        ("oneroster", _("Course grades: OneRoster 1.2 gradebook (zip)")),
    ]

    kind = forms.ChoiceField(
        label=_("What the file holds"), choices=KIND_CHOICES, widget=forms.RadioSelect, initial="scores"
    )
    format = forms.ChoiceField(
        label=_("Score format"),
        required=False,
        choices=[("", _("(not for rosters)"))] + [(k, r.label) for k, r in FORMATS.items()],
    )
    mapping = forms.ModelChoiceField(label=_("Saved column mapping (generic CSV)"), queryset=None, required=False)
    measure = forms.ModelChoiceField(
        label=_("Measure, when the file does not say (Star, i-Ready)"),
        queryset=None,
        required=False,
        to_field_name="key",
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or Windows-1252), a tab-delimited text file, or a zip (OneRoster; NWEA MAP "
            "Comprehensive Data File)."
        ),
    )
    shape = forms.ChoiceField(label=_("Student-record file shape"), choices=SHAPE_CHOICES, required=False)
    confirm = forms.BooleanField(
        label=_("Attendance: accept a change to more than the policy's share of a school's recorded days"),
        required=False,
    )
    dry_run = forms.BooleanField(label=_("Dry run: check and count, write nothing"), required=False, initial=True)
    accept_valid_rows = forms.BooleanField(label=_("Import the valid rows even if some are rejected"), required=False)

    def __init__(self, *args, mappings, measures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mapping"].queryset = mappings
        self.fields["measure"].queryset = measures

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than %(n)s MB.") % {"n": MAX_UPLOAD_MB})
        return upload

    def clean(self):
        data = super().clean()
        if data.get("kind") == "scores":
            if not data.get("format"):
                self.add_error("format", _("Choose the format of the score file."))
            elif FORMATS[data["format"]].needs_mapping and not data.get("mapping"):
                self.add_error("mapping", _("The generic format needs a saved column mapping."))
        shape, kind = data.get("shape") or "", data.get("kind")
        if shape in ("powerschool", "infinite-campus") and kind != "attendance":
            self.add_error("shape", _("This shape is an attendance export."))
        elif shape == "oneroster" and kind != "grades":
            self.add_error("shape", _("A OneRoster gradebook holds course grades."))
        if kind in ("attendance", "incidents", "grades") and data.get("accept_valid_rows"):
            self.add_error("accept_valid_rows", _("Attendance, incidents and grades are imported whole or not at all."))
        return data


class NormsForm(forms.Form):
    measure = forms.ModelChoiceField(
        label=_("Measure (when the file has no measure column)"), queryset=None, required=False
    )
    kind = forms.ChoiceField(
        label=_("Table"), choices=NormTable.Kind.choices, widget=forms.RadioSelect, initial=NormTable.Kind.PERCENTILE
    )
    norm = forms.ChoiceField(label=_("Norm group"), choices=NormTable.Norm.choices, initial=NormTable.Norm.NATIONAL)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    source = forms.CharField(label=_("Source (publisher, licence, year)"), max_length=300, required=False)
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: measure (optional), grade, season, then percentile and score (norms) or below and label "
            "(cut scores)."
        ),
    )
    dry_run = forms.BooleanField(label=_("Dry run"), required=False)

    def __init__(self, *args, measures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].queryset = measures


class MappingForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    measure = forms.ModelChoiceField(
        label=_("Every row is for this measure (when the file has no measure column)"), queryset=None, required=False
    )

    def __init__(self, *args, measures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].queryset = measures
        for field, label in FIELDS.items():
            self.fields[f"col_{field}"] = forms.CharField(
                label=_("Column for: %(f)s") % {"f": label},
                max_length=200,
                required=False,
                help_text=_("The header as it is in your file.") if field == "student_id" else "",
            )

    def columns(self) -> dict:
        return {field: self.cleaned_data.get(f"col_{field}", "") for field in FIELDS}


class ImportNamesForm(forms.Form):
    """A measure's import names: how vendor exports name it, one per line."""

    import_names = forms.CharField(
        label=_("Names in vendor exports"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "One name per line, as the export writes it (e.g. Math, Early Numeracy). Case, spaces and "
            "punctuation do not count. Rows whose measure matches no name of any measure are skipped and counted."
        ),
    )

    def clean_import_names(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["import_names"].splitlines() if line.strip()]

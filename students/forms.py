from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mtss.forms import secret_env_name
from mtss.idempotency import SubmitOnceMixin
from mtss.models import School
from mtss.phones import phone_e164
from students.importers.oneroster.rest import is_loopback
from students.models import SUBGROUPS, Guardian, ParentConsultation, RosterSync, Student
from students.services import STUDENT_FIELDS


class StudentFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or local id"), required=False, max_length=100)
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.none(), required=False)
    grade = forms.TypedChoiceField(
        label=_("Grade"),
        choices=[("", _("All grades"))] + School.GRADE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    subgroup = forms.ChoiceField(
        label=_("Subgroup"), choices=[("", _("All students"))] + list(SUBGROUPS.items()), required=False
    )
    tier = forms.TypedChoiceField(
        label=_("Tier"),
        choices=[("", _("Any tier")), (2, "2"), (3, "3"), (4, "4")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    include_exited = forms.BooleanField(label=_("Include students who left"), required=False)

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        self.fields["school"].empty_label = _("All schools")


class StudentForm(SubmitOnceMixin, forms.ModelForm):
    class Meta:
        model = Student
        fields = STUDENT_FIELDS
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}),
            "entry_date": forms.DateInput(attrs={"type": "date"}),
            "exit_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.filter(district=district)


class GuardianForm(SubmitOnceMixin, forms.ModelForm):
    class Meta:
        model = Guardian
        fields = [
            "first_name",
            "last_name",
            "relationship",
            "preferred_language",
            "email",
            "phone",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "receives_notices",
            "lives_with_student",
        ]

    def clean_phone(self):
        try:
            return phone_e164(self.cleaned_data.get("phone", ""))
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["phone"]) from None


class ConsultationForm(SubmitOnceMixin, forms.ModelForm):
    class Meta:
        model = ParentConsultation
        fields = ["held_on", "guardian", "method", "notes", "meeting_requested"]
        widgets = {"held_on": forms.DateInput(attrs={"type": "date"}), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, student, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guardian"].queryset = Guardian.objects.filter(district_id=student.district_id, student=student)
        self.fields["guardian"].required = False


class RosterSyncForm(forms.ModelForm):
    """The district's OneRoster API connection (README, "Rostering sync")."""

    class Meta:
        model = RosterSync
        fields = ["enabled", "version", "base_url", "token_url", "client_id", "client_secret_env"]

    def clean_client_secret_env(self):
        return secret_env_name(self.cleaned_data["client_secret_env"], example="ONEROSTER_SECRET")

    def clean(self):
        data = super().clean()
        base = data.get("base_url") or ""
        if base.startswith("http://") and not is_loopback(base):
            self.add_error("base_url", _("Use https: roster data must not travel unencrypted."))
        token = data.get("token_url") or ""
        if token.startswith("http://") and not is_loopback(token):
            self.add_error("token_url", _("Use https: the client secret must not travel unencrypted."))
        return data

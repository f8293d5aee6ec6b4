from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from students.models import Student


class ReferralRequestForm(forms.Form):
    student = forms.ModelChoiceField(label=_("Student"), queryset=Student.objects.none())
    area = forms.CharField(
        label=_("Area"), required=False, max_length=40, help_text=_("e.g. reading; empty: every area")
    )
    reason = forms.CharField(label=_("Why the team refers"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, students, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].queryset = students


class ReferralReviewForm(forms.Form):
    notes = forms.CharField(
        label=_("Reviewer's notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("e.g. the intervention was completed as written."),
    )


class ReferralOverrideForm(forms.Form):
    override_reason = forms.CharField(
        label=_("Why refer without the complete evidence"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Printed in the referral packet."),
    )

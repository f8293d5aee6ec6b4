from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from interventions.models import Plan
from students.models import ParentConsultation


class RimpForm(forms.Form):
    """The RIMP's sections (RULES.md 4.5: the contents the ODE guidance lists)."""

    deficiency = forms.CharField(
        label=_("The student's specific reading deficiencies"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    supplemental_instruction = forms.CharField(
        label=_("Supplemental instruction to remediate the deficiencies"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    plan = forms.ModelChoiceField(label=_("Intervention plan (optional)"), queryset=Plan.objects.none(), required=False)
    monitoring = forms.CharField(
        label=_("How progress and the services are monitored"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    curriculum = forms.CharField(
        label=_("Reading curriculum during regular school hours"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    parent_involvement = forms.CharField(
        label=_("How the parents take part"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    consultation = forms.ModelChoiceField(
        label=_("Parent consultation already recorded"), queryset=ParentConsultation.objects.none(), required=False
    )
    consultation_held_on = forms.DateField(
        label=_("Or record a consultation held on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    consultation_method = forms.ChoiceField(
        label=_("How the consultation took place"),
        choices=ParentConsultation.Method.choices,
        initial=ParentConsultation.Method.IN_PERSON,
        required=False,
    )
    consultation_notes = forms.CharField(
        label=_("Consultation notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, plans=None, consultations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if plans is not None:
            self.fields["plan"].queryset = plans
            self.fields["plan"].label_from_instance = lambda p: f"{p.intervention} ({p.area}, {p.start_date})"
        if consultations is not None:
            self.fields["consultation"].queryset = consultations
            self.fields["consultation"].label_from_instance = lambda c: f"{c.held_on} ({c.get_method_display()})"

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from interventions.models import Intervention, InterventionGroup, PdsaCycle
from mtss.models import School

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = {"rows": 3}


class PdsaForm(forms.ModelForm):
    """Plan (aim, change idea, measures), Do (dates, what happened), Study (what was learned), Act (decision)."""

    school = forms.ModelChoiceField(
        label=_("School"), queryset=School.objects.none(), required=False, help_text=_("Empty: district-wide.")
    )
    interventions = forms.ModelMultipleChoiceField(
        label=_("Interventions"), queryset=Intervention.objects.none(), required=False
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Groups"), queryset=InterventionGroup.objects.none(), required=False
    )

    class Meta:
        model = PdsaCycle
        fields = [
            "title",
            "school",
            "level",
            "aim",
            "change_idea",
            "measures",
            "prediction",
            "start_date",
            "study_date",
            "interventions",
            "groups",
            "what_happened",
            "what_was_learned",
            "decision",
            "next_steps",
        ]
        widgets = {
            "start_date": DATE,
            "study_date": DATE,
            **{
                name: forms.Textarea(attrs=TEXT)
                for name in (
                    "aim",
                    "change_idea",
                    "measures",
                    "prediction",
                    "what_happened",
                    "what_was_learned",
                    "next_steps",
                )
            },
        }

    def __init__(self, *args, schools, interventions, groups, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        self.fields["interventions"].queryset = interventions
        self.fields["groups"].queryset = groups
        if editing:
            # The school is fixed once the cycle exists (it decides who may edit it).
            del self.fields["school"]

    def _post_clean(self):
        # The service validates the cycle (one place for the rules); skip the model's own full_clean.
        pass

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from interventions.models import Decision, Intervention, TeamType
from mtss.idempotency import SubmitOnceMixin
from mtss.models import School, User


class MeetingForm(SubmitOnceMixin, forms.Form):
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.none())
    team_type = forms.ChoiceField(label=_("Team"), choices=TeamType.choices)
    starts_at = forms.DateTimeField(
        label=_("Date and time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    location = forms.CharField(label=_("Place"), required=False, max_length=200)
    purpose = forms.CharField(label=_("Purpose"), required=False, max_length=300)
    occurrences = forms.IntegerField(
        label=_("Number of meetings"),
        min_value=1,
        max_value=40,
        initial=1,
        help_text=_("More than one makes a recurring series."),
    )
    every_weeks = forms.IntegerField(label=_("Every (weeks)"), min_value=1, max_value=20, required=False)

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Decision"), choices=Decision.Kind.choices, widget=forms.RadioSelect)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    new_intervention = forms.ModelChoiceField(
        label=_("New intervention (modify)"), required=False, queryset=Intervention.objects.none()
    )
    new_goal_target = forms.FloatField(label=_("New goal score (modify)"), required=False)
    override_reason = forms.CharField(
        label=_("Reason to decide despite the fidelity gate"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed only when too few sessions were delivered to show non-response."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    action = forms.CharField(label=_("Action item"), required=False, max_length=300)
    action_owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=User.objects.none())
    action_due = forms.DateField(label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, district, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_intervention"].queryset = Intervention.objects.filter(district=district, is_active=True)
        self.fields["action_owner"].queryset = owners
        self.fields["action_owner"].label_from_instance = lambda user: user.get_full_name() or user.username

    def clean(self):
        data = super().clean()
        parts = [data.get("action"), data.get("action_owner"), data.get("action_due")]
        if any(parts) and not all(parts):
            raise forms.ValidationError(_("An action item needs a description, an owner and a due date."))
        return data

    def action_items(self):
        data = self.cleaned_data
        return [(data["action"], data["action_owner"], data["action_due"])] if data.get("action") else []


class AgendaAddForm(forms.Form):  # one item per student and area: the natural key
    student = forms.ModelChoiceField(label=_("Student"), queryset=None)
    reason = forms.CharField(
        label=_("Why"), max_length=300, help_text=_("For example: the parent asked for a meeting.")
    )

    def __init__(self, *args, students, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].queryset = students

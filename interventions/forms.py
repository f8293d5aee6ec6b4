from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from interventions.models import MAX_SESSION_MINUTES, Attendance, Intervention, InterventionGroup, Plan, PlanMeasure
from mtss.idempotency import SubmitOnceMixin
from screening.scores import score_problem


class SessionForm(SubmitOnceMixin, forms.Form):
    """One group session: date, minutes, a note, and per student attendance and a probe score."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=MAX_SESSION_MINUTES)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, members: list[Plan], **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members
        for plan in members:
            self.fields[f"att_{plan.pk}"] = forms.ChoiceField(
                label=_("Attendance"),
                choices=Attendance.Status.choices,
                initial=Attendance.Status.PRESENT,
                widget=forms.RadioSelect,
            )
            self.fields[f"probe_{plan.pk}"] = ScoreField(label=_("Probe score"), required=False)

    def rows(self):
        return [(plan, self[f"att_{plan.pk}"], self[f"probe_{plan.pk}"]) for plan in self.members]

    def attendance(self) -> dict[int, str]:
        return {plan.pk: self.cleaned_data[f"att_{plan.pk}"] for plan in self.members}

    def probe_scores(self) -> dict[int, float]:
        return {
            plan.pk: self.cleaned_data[f"probe_{plan.pk}"]
            for plan in self.members
            if self.cleaned_data.get(f"probe_{plan.pk}") is not None
        }


class ScoreField(forms.FloatField):
    """A score: a finite number (screening/scores.py); the measure's range is the service's check,
    which knows the measure."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        problem = score_problem(value) if value is not None else None
        if problem is not None:
            raise forms.ValidationError(problem, code="invalid")
        return value


class ProbeForm(SubmitOnceMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    score = ScoreField(label=_("Score"))


class ProbeEditForm(forms.Form):
    """Correct a probe (date, score) or delete it; both keep a reason in the audit trail."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    score = ScoreField(label=_("Score"))
    reason = forms.CharField(label=_("Why is it changed?"), required=False, max_length=500)


class OneToOneSessionForm(SubmitOnceMixin, forms.Form):
    """One session of a one-to-one plan: the same attendance choices as a group, an optional probe."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=MAX_SESSION_MINUTES)
    attendance = forms.ChoiceField(
        label=_("Attendance"),
        choices=Attendance.Status.choices,
        initial=Attendance.Status.PRESENT,
        widget=forms.RadioSelect,
    )
    probe = ScoreField(label=_("Probe score (optional)"), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MeasureChoiceForm(forms.Form):
    """Which of the plan's measures a probe is on (shown only when the plan has several)."""

    measure = forms.ChoiceField(label=_("Measure"), required=False)

    def __init__(self, *args, plan: Plan, measures: list[PlanMeasure], **kwargs):
        super().__init__(*args, **kwargs)
        self.measures = {str(m.pk): m for m in measures}
        self.fields["measure"].choices = [("", plan.goal_measure)] + [(str(m.pk), m.measure) for m in measures]

    def chosen(self) -> PlanMeasure | None:
        return self.measures.get(self.cleaned_data.get("measure") or "")


class CriteriaForm(forms.Form):
    """The plan's own dual-discrepancy criteria instead of the district's norms (both, with a reason)."""

    dd_level_cut = forms.FloatField(
        label=_("Level criterion"), required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )
    dd_growth_cut = forms.FloatField(
        label=_("Growth criterion (per week)"), required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )
    dd_override_reason = forms.CharField(
        label=_("Why the district's norms do not apply"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PlanMeasureForm(SubmitOnceMixin, forms.ModelForm):
    baseline = forms.CharField(
        label=_("Baseline probes"),
        required=False,
        help_text=_("One per line: date, score (the median of the first three is the baseline)."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = PlanMeasure
        fields = ["measure", "goal_target", "goal_roi", "goal_target_date", "goal_direction"]
        widgets = {"goal_target_date": forms.DateInput(attrs={"type": "date"})}

    def clean_baseline(self):
        return PlanForm.clean_baseline(self)


class BulkProbeForm(SubmitOnceMixin, forms.Form):
    lines = forms.CharField(
        label=_("Several probes, one per line: date, score"),
        help_text=_("For example: 2026-10-05, 52"),
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
    )

    def clean_lines(self):
        parsed, errors = [], []
        for number, raw in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            parts = [p.strip() for p in line.replace(";", ",").replace("\t", ",").split(",")]
            if len(parts) != 2:
                errors.append(_("Line %(n)s: write “date, score”.") % {"n": number})
                continue
            try:
                when = dt.date.fromisoformat(parts[0])
            except ValueError:
                errors.append(_("Line %(n)s: “%(d)s” is not a date (YYYY-MM-DD).") % {"n": number, "d": parts[0]})
                continue
            parsed.append((when, parts[1]))
        if errors:
            raise forms.ValidationError(errors)
        if not parsed:
            raise forms.ValidationError(_("Enter at least one line."))
        return parsed


class PlanForm(forms.ModelForm):
    baseline = forms.CharField(
        label=_("Baseline probes"),
        required=False,
        help_text=_("One per line: date, score (the median of the first three is the baseline)."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = Plan
        fields = [
            "area",
            "tier",
            "intervention",
            "provider",
            "group",
            "sessions_per_week",
            "sessions_per_cycle",
            "cycle_days",
            "minutes_per_session",
            "start_date",
            "expected_end_date",
            "goal_measure",
            "goal_target",
            "goal_roi",
            "goal_target_date",
            "goal_direction",
        ]
        widgets = {
            name: forms.DateInput(attrs={"type": "date"})
            for name in ("start_date", "expected_end_date", "goal_target_date")
        }

    def __init__(self, *args, district, providers, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intervention"].queryset = Intervention.objects.filter(district=district, is_active=True)
        self.fields["provider"].queryset = providers
        self.fields["group"].queryset = groups
        self.fields["group"].required = False

    def clean_baseline(self):
        form = BulkProbeForm({"lines": self.cleaned_data.get("baseline") or ""})
        if not (self.cleaned_data.get("baseline") or "").strip():
            return []
        if not form.is_valid():
            raise forms.ValidationError(form.errors["lines"])
        try:
            return [(when, float(score)) for when, score in form.cleaned_data["lines"]]
        except ValueError:
            raise forms.ValidationError(_("Baseline scores must be numbers.")) from None


class GroupForm(SubmitOnceMixin, forms.ModelForm):
    class Meta:
        model = InterventionGroup
        fields = [
            "name",
            "school",
            "provider",
            "area",
            "tier",
            "intervention",
            "sessions_per_week",
            "sessions_per_cycle",
            "cycle_days",
            "minutes_per_session",
        ]

    def __init__(self, *args, district, schools, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        self.fields["provider"].queryset = providers
        self.fields["provider"].label_from_instance = lambda user: user.get_full_name() or user.username
        self.fields["intervention"].queryset = Intervention.objects.filter(district=district, is_active=True)


class GroupMemberForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("Student's plan"), queryset=Plan.objects.none())

    def __init__(self, *args, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans
        self.fields["plan"].label_from_instance = lambda plan: (
            f"{plan.student.last_name}, {plan.student.display_first_name} · {plan.area} T{plan.tier}"
        )

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
        return parse_baseline(self.cleaned_data.get("baseline"))


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


def parse_baseline(text: str) -> list[tuple[dt.date, float]]:
    """Baseline probes typed one per line ("date, score"), checked like the bulk probe form."""
    if not (text or "").strip():
        return []
    form = BulkProbeForm({"lines": text})
    if not form.is_valid():
        raise forms.ValidationError(form.errors["lines"])
    try:
        return [(when, float(score)) for when, score in form.cleaned_data["lines"]]
    except ValueError:
        raise forms.ValidationError(_("Baseline scores must be numbers.")) from None


DATE = {"type": "date"}


class PlanForm(SubmitOnceMixin, forms.Form):
    """A new plan, in four groups of fields (``FIELDSETS``), every list a choice:
    areas and tiers from the district's policy, measures from the policy and the measure
    catalog, providers by name and role (issue 14, item 4)."""

    FIELDSETS = [
        ("student", _("Area and tier"), ["area", "tier"]),
        ("intervention", _("Intervention and provider"), ["intervention", "provider", "group"]),
        (
            "schedule",
            _("Schedule and dosage"),
            [
                "start_date",
                "expected_end_date",
                "sessions_per_week",
                "sessions_per_cycle",
                "cycle_days",
                "minutes_per_session",
            ],
        ),
        (
            "goal",
            _("Measure, baseline and goal"),
            ["goal_measure", "baseline", "goal_target", "goal_roi", "goal_target_date", "goal_direction"],
        ),
    ]

    area = forms.ChoiceField(label=_("Area"))
    tier = forms.TypedChoiceField(label=_("Tier"), coerce=int)
    intervention = forms.ModelChoiceField(label=_("Intervention"), queryset=Intervention.objects.none())
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=Plan.objects.none())
    group = forms.ModelChoiceField(
        label=_("Group"),
        queryset=InterventionGroup.objects.none(),
        required=False,
        help_text=_("Optional: a group of the same area and tier at the student's school."),
    )
    start_date = forms.DateField(label=_("Start"), widget=forms.DateInput(attrs=DATE))
    expected_end_date = forms.DateField(label=_("Expected end"), widget=forms.DateInput(attrs=DATE))
    sessions_per_week = forms.FloatField(
        label=_("Sessions per week"),
        required=False,
        min_value=0.1,
        max_value=7,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("Or sessions per cycle with the cycle length, not both."),
    )
    sessions_per_cycle = forms.IntegerField(label=_("Sessions per cycle"), required=False, min_value=1, max_value=20)
    cycle_days = forms.IntegerField(label=_("School days per cycle"), required=False, min_value=1, max_value=20)
    minutes_per_session = forms.IntegerField(label=_("Minutes per session"), min_value=1, max_value=MAX_SESSION_MINUTES)
    goal_measure = forms.ChoiceField(label=_("Progress measure"))
    baseline = forms.CharField(
        label=_("Baseline probes"),
        required=False,
        help_text=_("One per line: date, score (the median of the first three is the baseline)."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    goal_target = forms.FloatField(
        label=_("Goal score"), required=False, widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})
    )
    goal_roi = forms.FloatField(
        label=_("Or a goal rate of improvement (per week)"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    goal_target_date = forms.DateField(label=_("Goal date"), widget=forms.DateInput(attrs=DATE))
    goal_direction = forms.ChoiceField(label=_("Direction"), choices=Plan.Direction.choices)

    def __init__(self, *args, district, providers, groups, areas, tiers, measures, interventions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = areas
        self.fields["tier"].choices = tiers
        self.fields["goal_measure"].choices = [("", _("Choose a measure"))] + list(measures)
        self.fields["intervention"].queryset = (
            interventions
            if interventions is not None
            else Intervention.objects.filter(district=district, is_active=True).order_by("area", "name")
        )
        self.fields["intervention"].label_from_instance = intervention_label
        self.fields["provider"].queryset = providers
        self.fields["provider"].label_from_instance = provider_label
        self.fields["group"].queryset = groups
        self.fields["group"].label_from_instance = lambda group: f"{group.name} ({group.area}, Tier {group.tier})"

    def fieldsets(self):
        """(key, legend, bound fields) for the template, one <fieldset> each."""
        return [
            (key, legend, [self[name] for name in names if name in self.fields])
            for key, legend, names in self.FIELDSETS
        ]

    def clean_baseline(self):
        return parse_baseline(self.cleaned_data.get("baseline"))

    def clean(self):
        """The rules the database enforces (plan_dates, plan_goal_target_or_roi, plan_schedule_kind),
        said beside the field they concern, before the database would refuse them."""
        data = super().clean()
        start = data.get("start_date")
        for name, message in (
            ("expected_end_date", _("The expected end must be after the start.")),
            ("goal_target_date", _("The goal date must be after the start.")),
        ):
            if start and data.get(name) and data[name] <= start:
                self.add_error(name, message)
        if "goal_target" in data and data.get("goal_target") is None and data.get("goal_roi") is None:
            self.add_error("goal_target", _("Give a goal score or a goal rate of improvement."))
        per_week = data.get("sessions_per_week")
        per_cycle, days = data.get("sessions_per_cycle"), data.get("cycle_days")
        if per_week and (per_cycle or days):
            self.add_error("sessions_per_week", _("Give sessions per week, or per cycle, not both."))
        elif not per_week and not (per_cycle and days) and "sessions_per_week" not in self.errors:
            self.add_error(
                "sessions_per_week", _("Give sessions per week, or sessions per cycle with the cycle length.")
            )
        return data


def intervention_label(intervention: Intervention) -> str:
    return f"{intervention.name} · {intervention.get_evidence_level_display()}"


def provider_label(user) -> str:
    """ "Dana Loudon (Intervention specialist)": the name and the role, never the username."""
    from mtss.models import Role  # noqa: PLC0415

    name = user.get_full_name() or user.username
    role = getattr(user, "provider_role", None)
    return f"{name} ({Role(role).label})" if role in Role.values else name


class PlanEditForm(forms.Form):
    """Change a running plan. A new intervention or goal starts a new phase (RULES.md 1.0); the
    provider, the schedule and the expected end change in place. Each change is audited."""

    intervention = forms.ModelChoiceField(label=_("Intervention"), queryset=Intervention.objects.none())
    goal_target = forms.FloatField(
        label=_("Goal score"), required=False, widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})
    )
    goal_roi = forms.FloatField(
        label=_("Or a goal rate of improvement (per week)"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    goal_target_date = forms.DateField(label=_("Goal date"), widget=forms.DateInput(attrs=DATE))
    phase_start = forms.DateField(
        label=_("The change takes effect on"),
        widget=forms.DateInput(attrs=DATE),
        help_text=_("A new intervention or goal starts a new phase on this date; the graph draws a phase line."),
    )
    reason = forms.CharField(
        label=_("Why it changes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the intervention or the goal changes; kept with the phase."),
    )
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=Plan.objects.none())
    sessions_per_week = PlanForm.base_fields["sessions_per_week"]
    sessions_per_cycle = PlanForm.base_fields["sessions_per_cycle"]
    cycle_days = PlanForm.base_fields["cycle_days"]
    minutes_per_session = PlanForm.base_fields["minutes_per_session"]
    expected_end_date = PlanForm.base_fields["expected_end_date"]

    FIELDSETS = [
        (
            "phase",
            _("Intervention and goal (a change starts a new phase)"),
            ["intervention", "goal_target", "goal_roi", "goal_target_date", "phase_start", "reason"],
        ),
        (
            "schedule",
            _("Provider and schedule"),
            [
                "provider",
                "sessions_per_week",
                "sessions_per_cycle",
                "cycle_days",
                "minutes_per_session",
                "expected_end_date",
            ],
        ),
    ]
    fieldsets = PlanForm.fieldsets

    def __init__(self, *args, district, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intervention"].queryset = Intervention.objects.filter(district=district).order_by("area", "name")
        self.fields["intervention"].label_from_instance = intervention_label
        self.fields["provider"].queryset = providers
        self.fields["provider"].label_from_instance = provider_label

    def clean(self):
        data = super().clean()
        if "goal_target" in data and data.get("goal_target") is None and data.get("goal_roi") is None:
            self.add_error("goal_target", _("Give a goal score or a goal rate of improvement."))
        return data


class PlanEndForm(forms.Form):
    """End a plan: completed or discontinued, with a reason from the list and free text."""

    outcome = forms.ChoiceField(
        label=_("How the plan ends"),
        choices=[
            (Plan.Status.COMPLETED, Plan.Status.COMPLETED.label),
            (Plan.Status.DISCONTINUED, Plan.Status.DISCONTINUED.label),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", _("Choose a reason"))] + Plan.EndReason.choices)
    note = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for “Other reason”. Kept with the plan and in the audit trail."),
    )
    end_date = forms.DateField(label=_("Last day of the plan"), widget=forms.DateInput(attrs=DATE))


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

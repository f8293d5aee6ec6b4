"""Forms of check-in/check-out: the point-card setup and a day's ratings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from interventions.cico.models import DEFAULT_DAILY_GOAL_PERCENT, RATING_MAX, RATING_MIN, PointCardSetup
from interventions.cico.services import RatingInput, _rating_value
from interventions.models import PlanMeasure

RATING_CHOICES = [(str(value), str(value)) for value in range(RATING_MIN, RATING_MAX + 1)]


class PointCardSetupForm(forms.Form):
    periods = forms.CharField(
        label=_("Periods (one a line)"),
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("The student's schedule, e.g. Check-in, Period 1 … Period 6, Check-out."),
    )
    goals = forms.CharField(
        label=_("Goals (one a line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Usually the school-wide expectations, e.g. Be safe, Be respectful, Be responsible."),
    )
    daily_goal_percent = forms.FloatField(
        label=_("Daily goal (% of points)"),
        min_value=1,
        max_value=100,
        initial=DEFAULT_DAILY_GOAL_PERCENT,
        help_text=_("80 % is the customary CICO goal (Crone, Hawken & Horner)."),
    )
    parent_summary = forms.ChoiceField(
        label=_("Send the family a summary of the card"),
        choices=PointCardSetup.ParentSummary.choices,
        initial=PointCardSetup.ParentSummary.OFF,
        help_text=_("A notice in the family's language, after check-out."),
    )
    measure = forms.ModelChoiceField(
        label=_("Record the daily percentage on"),
        queryset=PlanMeasure.objects.none(),
        required=False,
        empty_label=_("the plan's primary measure"),
    )

    def __init__(self, *args, measures: list[PlanMeasure], setup: PointCardSetup | None = None, **kwargs):
        if setup is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "periods": "\n".join(setup.periods),
                "goals": "\n".join(setup.goals),
                "daily_goal_percent": setup.daily_goal_percent,
                "measure": setup.measure_id,
                "parent_summary": setup.parent_summary,
            }
        super().__init__(*args, **kwargs)
        self.fields["measure"].queryset = PlanMeasure.objects.filter(pk__in=[m.pk for m in measures])


class PointCardForm(forms.Form):
    """One rating field per period and goal (``r_<period>_<goal>``, indexes into the setup); a field
    left empty is not rated (the teacher of another period rates it, or the student was absent)."""

    note = forms.CharField(label=_("Note for the check-out"), required=False, max_length=500)

    def __init__(self, *args, setup: PointCardSetup, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup = setup
        for p, period in enumerate(setup.periods):
            for g, goal in enumerate(setup.goals):
                self.fields[f"r_{p}_{g}"] = forms.CharField(label=f"{period}, {goal}", required=False)

    def clean(self):
        cleaned = super().clean()
        self.ratings: list[RatingInput] = []
        for p, period in enumerate(self.setup.periods):
            for g, goal in enumerate(self.setup.goals):
                name = f"r_{p}_{g}"
                raw = (cleaned.get(name) or "").strip()
                if raw == "":
                    continue
                if _rating_value(raw) is None:
                    # Bad input names the cell: "Period 2, Be safe: give 0, 1 or 2 points (not 3)."
                    self.add_error(
                        name,
                        _("%(cell)s: give 0, 1 or 2 points (not “%(r)s”).")
                        % {"cell": f"{period}, {goal}", "r": raw[:10]},
                    )
                    continue
                self.ratings.append(RatingInput(period=period, goal=goal, rating=int(raw)))
        return cleaned

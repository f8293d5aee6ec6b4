"""Report filters. Bad input comes back on the page with the field named, never a 500."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_RANGE_DAYS = 400  # a school year and a bit: longer ranges are a typo


class DateRangeForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, today: dt.date, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The end date must be on or after the start date."))
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error("start", _("Choose a range of at most %(n)s days.") % {"n": MAX_RANGE_DAYS})
            elif start > self.today:
                self.add_error("start", _("The start date is in the future."))
        return data


class FidelityFilterForm(DateRangeForm):
    DIMENSIONS = [
        ("provider", _("Interventionist")),
        ("intervention", _("Intervention")),
        ("tier", _("Tier")),
        ("grade", _("Grade")),
        ("subgroup", _("Subgroup")),
    ]
    by = forms.ChoiceField(label=_("Break down by"), choices=DIMENSIONS, required=False)
    idle_days = forms.IntegerField(
        label=_("No session for (days)"),
        min_value=1,
        max_value=120,
        required=False,
        help_text=_("Plans with no session logged for this many days are flagged."),
    )


class SchoolYearForm(forms.Form):
    year = forms.ChoiceField(label=_("School year"), required=False)
    area = forms.ChoiceField(label=_("Area"), required=False)

    def __init__(self, *args, years, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(str(y.pk), y.name) for y in years]
        self.fields["area"].choices = [("", _("Any area (highest tier)"))] + [(key, name) for key, name in areas]

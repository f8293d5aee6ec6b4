"""Forms of the calendar page: parse and label only; the services validate."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mtss.calendars.ics import MAX_BYTES
from mtss.calendars.models import CalendarEvent


def _date(label):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


class SchoolChoiceMixin:
    def set_schools(self, schools):
        self.fields["school"].queryset = schools


class CalendarEventForm(SchoolChoiceMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CalendarEvent.Kind.choices, initial=CalendarEvent.Kind.CLOSURE)
    name = forms.CharField(label=_("Name"), max_length=200, initial=_("Snow day"))
    start_date = _date(_("First day"))
    end_date = _date(_("Last day"))
    school = forms.ModelChoiceField(label=_("For"), queryset=None, required=False, empty_label=_("The whole district"))


class IcsUploadForm(SchoolChoiceMixin, forms.Form):
    file = forms.FileField(
        label=_("iCalendar file (.ics)"),
        help_text=_(
            "Your district's published calendar. All-day holidays, breaks and "
            "closures are imported; you see a preview first."
        ),
    )
    school = forms.ModelChoiceField(label=_("For"), queryset=None, required=False, empty_label=_("The whole district"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB; a school calendar is much smaller."))
        return upload.read()


class SchoolYearForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=20, help_text=_("e.g. 2026-2027"))
    start_date = _date(_("First instructional day"))
    end_date = _date(_("Last instructional day"))

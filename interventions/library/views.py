"""The district's intervention library: every member reads it, district administrators edit it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interventions.models import EvidenceLevel, Intervention
from interventions.selectors import intervention_get, library
from interventions.services import intervention_save
from mtss.decorators import district_member
from mtss.forms import apply_validation_error
from mtss.permissions import allowed

TIER_CHOICES = [(n, gettext_lazy("Tier %(n)s") % {"n": n}) for n in (1, 2, 3, 4)]
# Recommended dosage and group size: the same bounds on the page and in the API.
from interventions.services import LIBRARY_LIMITS as LIMITS  # noqa: E402

FIELDS = [
    "name",
    "area",
    "tiers",
    "evidence_level",
    "evidence_source",
    "evidence_url",
    "evidence_note",
    "sessions_per_week",
    "minutes_per_session",
    "group_size_max",
    "description",
    "materials",
    "source",
    "is_active",
]


class InterventionForm(forms.ModelForm):
    tiers = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Suitable tiers"),
        choices=TIER_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Tick at least one tier.")},
    )
    sessions_per_week = forms.FloatField(
        label=gettext_lazy("Recommended sessions per week"),
        required=False,
        min_value=LIMITS["sessions_per_week"][0],
        max_value=LIMITS["sessions_per_week"][1],
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    minutes_per_session = forms.IntegerField(
        label=gettext_lazy("Recommended minutes per session"),
        required=False,
        min_value=LIMITS["minutes_per_session"][0],
        max_value=LIMITS["minutes_per_session"][1],
    )
    group_size_max = forms.IntegerField(
        label=gettext_lazy("Largest group"),
        required=False,
        help_text=gettext_lazy("1 for one-to-one."),
        min_value=LIMITS["group_size_max"][0],
        max_value=LIMITS["group_size_max"][1],
    )

    class Meta:
        model = Intervention
        fields = FIELDS
        widgets = {
            "area": forms.TextInput(attrs={"list": "area-options", "autocomplete": "off"}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "materials": forms.Textarea(attrs={"rows": 2}),
            "evidence_note": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "area": gettext_lazy("The academic area, as the district's policy names it (e.g. reading, math)."),
            "source": gettext_lazy("Where the program is named, e.g. the district plan."),
            "evidence_source": gettext_lazy(
                "Who gave the ESSA level: the What Works Clearinghouse, Evidence for ESSA, a state list, or "
                "the district's own review (level 4 needs a logic model). Required with a level."
            ),
            "evidence_url": gettext_lazy("A link to the rating (or to the program), e.g. its clearinghouse page."),
            "evidence_note": gettext_lazy(
                "What the rating covers (outcome, grades, study), or why the program is not yet reviewed."
            ),
        }

    def clean(self):
        """A level says who gave it: an ESSA level without its source is a claim, not a rating."""
        data = super().clean()
        level, source = data.get("evidence_level"), data.get("evidence_source")
        if level and level != EvidenceLevel.NOT_RATED and not source:
            self.add_error("evidence_source", _("Say who rated the program (the source of the ESSA level)."))
        return data


def _dosage(intervention: Intervention) -> str:
    sessions, minutes = intervention.sessions_per_week, intervention.minutes_per_session
    if sessions and minutes:
        return _("%(n)s × %(m)s min a week") % {"n": f"{sessions:g}", "m": minutes}
    if sessions:
        return _("%(n)s sessions a week") % {"n": f"{sessions:g}"}
    if minutes:
        return _("%(m)s min a session") % {"m": minutes}
    return ""


def _areas(district) -> list[str]:
    return sorted(set(library(district=district, active_only=False).values_list("area", flat=True)))


@district_member()
def library_list(request):
    is_editor = allowed(request.membership, "may_edit_library")
    areas = _areas(request.district)
    area = request.GET.get("area", "")
    if area not in areas:
        area = ""
    show_retired = is_editor and request.GET.get("retired") == "1"
    rows = library(district=request.district, area=area or None, active_only=not show_retired)
    context = {
        "rows": [(i, _dosage(i)) for i in rows],
        "areas": areas,
        "area": area,
        "show_retired": show_retired,
        "can_edit": is_editor,
    }
    return render(request, "interventions/library_list.html", context)


def _form_page(request, form, title, intervention=None):
    areas = sorted(set(_areas(request.district)) | {"reading", "math"})
    return render(
        request,
        "interventions/library_form.html",
        {"form": form, "title": title, "intervention": intervention, "area_options": areas},
    )


@district_member("may_edit_library")
def library_create(request):
    form = InterventionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            intervention = intervention_save(
                district=request.district, actor=request.user, **{name: form.cleaned_data[name] for name in FIELDS}
            )
        except ValidationError as error:
            apply_validation_error(form, error)  # the form keeps everything the user typed
        else:
            messages.success(request, _("%(name)s was added to the library.") % {"name": intervention.name})
            return redirect("library_list")
    return _form_page(request, form, _("New program"))


@district_member("may_edit_library")
def library_edit(request, intervention_id: int):
    intervention = intervention_get(district=request.district, intervention_id=intervention_id)
    title = _("Edit %(name)s") % {"name": intervention.name}
    form = InterventionForm(request.POST or None, instance=intervention)
    if request.method == "POST" and form.is_valid():
        try:
            # The ModelForm has already copied the values onto its instance; save a fresh copy.
            fresh = intervention_get(district=request.district, intervention_id=intervention_id)
            intervention_save(
                district=request.district,
                actor=request.user,
                intervention=fresh,
                **{name: form.cleaned_data[name] for name in FIELDS},
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": fresh.name})
            return redirect("library_list")
    return _form_page(request, form, title, intervention)

"""PDSA cycle pages (/reports/pdsa/): list, start, edit, detail.

The cycles are interventions data (interventions/pdsa); the pages live in reports because a cycle
started from the intervention-effectiveness report keeps that report's numbers as its baseline and
its detail page sets them beside today's (the layer above both, like the referral packet).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from interventions.models import Intervention
from interventions.pdsa import selectors as pdsa_selectors
from interventions.pdsa import services as pdsa_services
from interventions.pdsa.forms import PdsaForm
from mtss.decorators import district_member
from mtss.forms import apply_validation_error
from mtss.permissions import allowed, require
from mtss.selectors import school_list
from reports import selectors
from reports.tables import MIN_N, pct


def _effect_of(request, intervention: Intervention) -> dict | None:
    """The effectiveness report's row for one intervention (plans in progress, judged, responding)."""
    effect = selectors.effectiveness(district=request.district, membership=request.membership, area=intervention.area)
    row = next((e for e in effect["interventions"] if e.key == str(intervention.pk)), None)
    if row is None:
        return None
    return {
        "intervention_id": intervention.pk,
        "intervention": intervention.name,
        "plans": row.plans,
        "judged": row.judged,
        "responding": row.responding,
        # Below the report's small-n guard no share is kept (reports/tables.py MIN_N).
        "share_responding": round(pct(row.responding, row.judged), 1) if row.judged >= MIN_N else None,
        "median_ratio": round(row.median_ratio, 1) if row.median_ratio is not None and row.growth_n >= MIN_N else None,
        "as_of": effect["as_of"].isoformat() if effect["as_of"] else None,
    }


def _form(request, data=None, *, instance=None, initial=None):
    interventions = Intervention.objects.filter(district=request.district, is_active=True).order_by("area", "name")
    return PdsaForm(
        data,
        instance=instance,
        initial=initial,
        schools=school_list(district=request.district, membership=request.membership),
        interventions=interventions,
        groups=pdsa_selectors.pdsa_groups(district=request.district, membership=request.membership),
        editing=instance is not None,
    )


@district_member("may_view_pdsa")
def pdsa_list(request):
    intervention_id = request.GET.get("intervention")
    cycles = list(
        pdsa_selectors.pdsa_list(
            district=request.district,
            membership=request.membership,
            intervention_id=int(intervention_id) if intervention_id and intervention_id.isdigit() else None,
        )[:200]
    )
    schools = list(school_list(district=request.district, membership=request.membership))
    can_create = allowed(request.membership, "may_create_pdsa", None) or any(
        allowed(request.membership, "may_create_pdsa", s) for s in schools
    )
    return render(request, "reports/pdsa_list.html", {"cycles": cycles, "can_create": can_create})


@district_member("may_view_pdsa")
def pdsa_create(request):
    initial, intervention = {}, None
    wanted = request.GET.get("intervention", "")
    if wanted.isdigit():
        # "Start a PDSA cycle" on the effectiveness report: the intervention is prefilled.
        intervention = Intervention.objects.filter(district=request.district, pk=int(wanted)).first()
        if intervention is None:
            raise Http404
        initial = {
            "interventions": [intervention.pk],
            "title": _("Improve %(name)s") % {"name": intervention.name},
            "level": "school",
        }
    form = _form(request, request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            require(request, "may_create_pdsa", data["school"])
            interventions = list(data.pop("interventions"))
            groups = list(data.pop("groups"))
            school = data.pop("school")
            baseline = {}
            from_report = request.POST.get("from_intervention", "")
            if from_report.isdigit():
                linked = next((i for i in interventions if i.pk == int(from_report)), None)
                if linked is not None and allowed(request.membership, "may_view_district_dashboard"):
                    baseline = _effect_of(request, linked) or {}
            try:
                cycle = pdsa_services.pdsa_create(
                    district=request.district,
                    actor=request.user,
                    school=school,
                    interventions=interventions,
                    groups=groups,
                    baseline=baseline,
                    **data,
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                return redirect("pdsa_detail", cycle_id=cycle.pk)
        status = 400
    return render(
        request,
        "reports/pdsa_form.html",
        {"form": form, "cycle": None, "from_intervention": intervention},
        status=status,
    )


@district_member("may_view_pdsa")
def pdsa_edit(request, cycle_id: int):
    cycle = pdsa_selectors.pdsa_get(district=request.district, membership=request.membership, cycle_id=cycle_id)
    require(request, "may_edit_pdsa", cycle)
    form = _form(request, request.POST or None, instance=cycle)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            interventions = list(data.pop("interventions"))
            groups = list(data.pop("groups"))
            try:
                pdsa_services.pdsa_update(
                    district=request.district,
                    actor=request.user,
                    cycle=cycle,
                    interventions=interventions,
                    groups=groups,
                    **data,
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                return redirect("pdsa_detail", cycle_id=cycle.pk)
        status = 400
    return render(request, "reports/pdsa_form.html", {"form": form, "cycle": cycle}, status=status)


@district_member("may_view_pdsa")
def pdsa_detail(request, cycle_id: int):
    cycle = pdsa_selectors.pdsa_get(district=request.district, membership=request.membership, cycle_id=cycle_id)
    now = []
    if allowed(request.membership, "may_view_district_dashboard"):
        now = [e for e in (_effect_of(request, i) for i in cycle.interventions.all()) if e is not None]
    return render(
        request,
        "reports/pdsa_detail.html",
        {
            "cycle": cycle,
            "interventions": list(cycle.interventions.all()),
            "groups": list(cycle.groups.all()),
            "now": now,
            "can_edit": allowed(request.membership, "may_edit_pdsa", cycle),
            "can_see_report": allowed(request.membership, "may_view_district_dashboard"),
        },
    )

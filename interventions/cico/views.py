"""Pages of check-in/check-out: the tablet point card and its setup. Thin: parse, call, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions import selectors as plan_selectors
from interventions.cico import selectors, services
from interventions.cico.forms import RATING_CHOICES, PointCardForm, PointCardSetupForm
from mtss import access_log
from mtss.decorators import district_member
from mtss.forms import apply_validation_error
from mtss.permissions import allowed, require

RECENT_DAYS = 14


def _card_date(request) -> dt.date:
    raw = request.GET.get("date") or request.POST.get("date") or ""
    today = timezone.localdate()
    if not raw:
        return today
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Http404 from None


@district_member()
def point_card(request, plan_id: int):
    """The day's card on a tablet: one row per period, one big 0/1/2 button group per goal."""
    plan = plan_selectors.plan_get(district=request.district, membership=request.membership, plan_id=plan_id)
    require(request, "may_rate_point_card", plan)
    setup = selectors.point_card_setup(district=request.district, plan=plan)
    if setup is None:
        if allowed(request.membership, "may_edit_plan", plan):
            return redirect("point_card_setup", plan_id=plan.pk)
        raise Http404
    date = _card_date(request)
    form = PointCardForm(setup=setup)
    if request.method == "POST":
        form = PointCardForm(request.POST, setup=setup)
        if form.is_valid():
            try:
                card = services.point_card_rate(
                    district=request.district,
                    actor=request.user,
                    plan=plan,
                    date=date,
                    ratings=form.ratings,
                    note=form.cleaned_data["note"] or None,
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(
                    request,
                    _("Saved: %(e)s of %(p)s points (%(pc)s %%).")
                    % {"e": card.points_earned, "p": card.points_possible, "pc": card.percent},
                )
                return redirect(f"{reverse('point_card', args=[plan.pk])}?date={date.isoformat()}")
    card, rows = selectors.point_card_grid(district=request.district, plan=plan, setup=setup, date=date)
    if form.is_bound:
        # Show what the teacher tapped, not what is stored, when the form comes back with an error.
        rows = [
            row.__class__(
                period=row.period,
                index=row.index,
                cells=[(g, goal, form.data.get(f"r_{row.index}_{g}") or None) for g, goal, _r in row.cells],
            )
            for row in rows
        ]
    recent = selectors.point_cards_between(
        district=request.district, plan=plan, start=date - dt.timedelta(days=RECENT_DAYS), end=date
    )
    access_log.record(request, action="view", what="point card", student_ids=[plan.student_id])
    return render(
        request,
        "interventions/point_card.html",
        {
            "plan": plan,
            "setup": setup,
            "card": card,
            "rows": rows,
            "form": form,
            "date": date,
            "previous": date - dt.timedelta(days=1),
            "next": date + dt.timedelta(days=1) if date < timezone.localdate() else None,
            "choices": [value for value, _label in RATING_CHOICES],
            "recent": recent,
            "can_setup": allowed(request.membership, "may_edit_plan", plan),
        },
    )


@district_member()
def point_card_setup(request, plan_id: int):
    """Set a behavior plan's card: the periods, the goals, the daily goal and the measure it feeds."""
    plan = plan_selectors.plan_get(district=request.district, membership=request.membership, plan_id=plan_id)
    require(request, "may_edit_plan", plan)
    if not services.plan_is_behavior(district=request.district, plan=plan):
        raise Http404
    setup = selectors.point_card_setup(district=request.district, plan=plan)
    measures = plan_selectors.plan_measures(district=request.district, plan=plan)
    form = PointCardSetupForm(measures=measures, setup=setup)
    if request.method == "POST":
        form = PointCardSetupForm(request.POST, measures=measures, setup=setup)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.point_card_setup_save(
                    district=request.district,
                    actor=request.user,
                    plan=plan,
                    periods=data["periods"],
                    goals=data["goals"],
                    daily_goal_percent=data["daily_goal_percent"],
                    measure=data["measure"],
                    parent_summary=data["parent_summary"],
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("The point card is set."))
                return redirect("point_card", plan_id=plan.pk)
    return render(request, "interventions/point_card_setup.html", {"plan": plan, "form": form, "setup": setup})

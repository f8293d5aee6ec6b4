"""Interventions pages: the specialist's session log, plans with the progress graph,
the caseload (specialist) and my students (teacher)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import InvalidPage
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from interventions import selectors, services
from interventions.cico.services import plan_is_behavior
from interventions.forms import (
    BulkProbeForm,
    CriteriaForm,
    GroupForm,
    GroupMemberForm,
    MeasureChoiceForm,
    OneToOneSessionForm,
    PlanEditForm,
    PlanEndForm,
    PlanForm,
    PlanMeasureForm,
    ProbeEditForm,
    ProbeForm,
    SessionForm,
)
from interventions.models import InterventionGroup, Plan
from interventions.progress import chart_svg
from mtss import access_log
from mtss.decorators import district_member
from mtss.forms import apply_validation_error
from mtss.idempotency import AlreadySubmitted, repeated, submit_once
from mtss.models import User
from mtss.permissions import PROVIDER_ROLES, allowed, require
from mtss.selectors import policy_document, school_list
from students.selectors import student_get


def _providers(district):
    return (
        User.objects.filter(
            memberships__district=district, memberships__is_active=True, memberships__role__in=list(PROVIDER_ROLES)
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


def _session_logged(request, session) -> None:
    messages.success(request, _("Session of %(d)s logged.") % {"d": session.date})
    for warning in services.session_day_warnings(district=request.district, session=session):
        messages.warning(request, warning)


@district_member()
def group_list(request):
    groups = list(
        selectors.visible_groups(district=request.district, membership=request.membership)
        .filter(is_active=True)
        .select_related("school", "provider", "intervention")
    )
    schools = school_list(district=request.district, membership=request.membership)
    can_create = any(allowed(request.membership, "may_create_group", school) for school in schools)
    form = GroupForm(
        request.POST or None,
        district=request.district,
        providers=_providers(request.district),
        schools=schools,
        initial={"provider": request.user.pk, "tier": 2, "area": "reading"},
    )
    if request.method == "POST":
        if not can_create:
            raise Http404
        if form.is_valid():
            require(request, "may_create_group", form.cleaned_data["school"])
            try:
                group = submit_once(
                    district=request.district,
                    user=request.user,
                    token=form.submission_token,
                    work=lambda: services.group_create(
                        district=request.district, actor=request.user, **form.cleaned_data
                    ),
                    url_of=lambda group: reverse("group_detail", args=[group.pk]),
                )
            except AlreadySubmitted as repeat:
                return repeated(request, repeat, reverse("group_list"))
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                return redirect("group_detail", group_id=group.pk)
    # Which groups meet today (the school calendar and each group's meeting days or day cycle).
    days = selectors.groups_on(district=request.district, groups=groups, day=timezone.localdate())
    return render(
        request,
        "interventions/group_list.html",
        {"groups": groups, "days": days, "form": form, "can_create": can_create},
    )


@district_member()
def group_detail(request, group_id: int):
    """The specialist's main screen: log one session for the group in one form."""
    group = selectors.group_get(district=request.district, membership=request.membership, group_id=group_id)
    members = selectors.group_members(district=request.district, group=group)
    can_log = selectors.can_log_for_group(membership=request.membership, group=group)
    today = timezone.localdate()
    candidates = (
        selectors.visible_plans(district=request.district, membership=request.membership)
        .filter(
            status=Plan.Status.ACTIVE,
            area=group.area,
            tier=group.tier,
            student__school=group.school,
            group__isnull=True,
        )
        .select_related("student")
        .order_by("student__last_name")
    )
    member_form = GroupMemberForm(request.POST if "plan" in request.POST else None, plans=candidates)
    if request.method == "POST" and "plan" in request.POST:
        require(request, "may_log_for_group", group)
        if member_form.is_valid():
            try:
                services.group_add_plan(
                    district=request.district, actor=request.user, group=group, plan=member_form.cleaned_data["plan"]
                )
            except ValidationError as error:
                apply_validation_error(member_form, error)
            else:
                return redirect("group_detail", group_id=group.pk)
        form = SessionForm(initial={"date": today, "minutes": group.minutes_per_session}, members=members)
    elif request.method == "POST":
        require(request, "may_log_for_group", group)
        form = SessionForm(request.POST, members=members)
        if form.is_valid():
            here = reverse("group_detail", args=[group.pk])
            try:
                session = submit_once(
                    district=request.district,
                    user=request.user,
                    token=form.submission_token,
                    work=lambda: services.session_log(
                        district=request.district,
                        actor=request.user,
                        group=group,
                        date=form.cleaned_data["date"],
                        minutes=form.cleaned_data["minutes"],
                        attendance=form.attendance(),
                        probe_scores=form.probe_scores(),
                        note=form.cleaned_data["note"],
                    ),
                    url_of=lambda session: here,
                )
            except AlreadySubmitted as repeat:
                return repeated(request, repeat, here)
            except ValidationError as error:
                apply_validation_error(form, error)  # the form keeps everything typed
            else:
                _session_logged(request, session)
                return redirect(here)
    else:
        form = SessionForm(initial={"date": today, "minutes": group.minutes_per_session}, members=members)
    access_log.record(request, action="view", what="group session log", student_ids=[p.student_id for p in members])
    limit, policy_label = services.max_group_size(district=request.district, tier=group.tier)
    return render(
        request,
        "interventions/group_detail.html",
        {
            "group": group,
            "form": form,
            "members": members,
            "can_log": can_log,
            "history": selectors.group_sessions(district=request.district, group=group),
            "max_group_size": limit,
            "policy_label": policy_label,
            "member_form": member_form,
            "week_start": today - dt.timedelta(days=today.weekday()),
        },
    )


@district_member()
def group_log_week(request, group_id: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    group = selectors.group_get(district=request.district, membership=request.membership, group_id=group_id)
    require(request, "may_log_for_group", group)
    try:
        week_start = dt.date.fromisoformat(request.POST.get("week_start", ""))
    except ValueError:
        week_start = timezone.localdate()
    try:
        sessions = services.group_log_week(
            district=request.district, actor=request.user, group=group, week_start=week_start
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if sessions:
            messages.success(request, _("Logged %(n)s sessions this week, everyone present.") % {"n": len(sessions)})
        else:
            messages.info(request, _("Every scheduled session of this week up to today is already logged."))
    return redirect("group_detail", group_id=group.pk)


@district_member()
def group_log_today(request, group_id: int):
    """One click from the home page: today's session of the group, everyone present, the planned
    minutes. A session already logged today is not logged twice (the unique key and
    session_log's message say so); it is changed on its own page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    group = selectors.group_get(district=request.district, membership=request.membership, group_id=group_id)
    require(request, "may_log_for_group", group)
    today = timezone.localdate()
    try:
        services.session_log(
            district=request.district,
            actor=request.user,
            group=group,
            date=today,
            minutes=group.minutes_per_session,
            attendance={},
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(group)s: today's session logged, everyone present.") % {"group": group.name})
    return redirect("home")


@district_member()
def session_edit(request, session_id: int):
    """Change or delete a group or one-to-one session: every field shown is saved (issue 14)."""
    session = selectors.session_get(district=request.district, membership=request.membership, session_id=session_id)
    group = session.group
    require(request, "may_edit_session", session)
    back = (
        reverse("group_detail", args=[group.pk])
        if group is not None
        else reverse("plan_sessions", args=[session.plan_id])
    )
    attendance = list(session.attendance.select_related("plan__student").order_by("plan__student__last_name"))
    members = [a.plan for a in attendance]
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            try:
                services.session_delete(
                    district=request.district,
                    actor=request.user,
                    session=session,
                    reason=request.POST.get("reason", ""),
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("session_edit", session_id=session.pk)
            messages.success(request, _("Session deleted; the audit trail keeps what it held."))
            return redirect(back)
        form = SessionForm(request.POST, members=members)
        if form.is_valid():
            try:
                services.session_update(
                    district=request.district,
                    actor=request.user,
                    session=session,
                    date=form.cleaned_data["date"],
                    minutes=form.cleaned_data["minutes"],
                    attendance=form.attendance(),
                    probe_scores={plan.pk: form.cleaned_data.get(f"probe_{plan.pk}") for plan in members},
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Session updated."))
                for warning in services.session_day_warnings(district=request.district, session=session):
                    messages.warning(request, warning)
                return redirect(back)
    else:
        initial = {"date": session.date, "minutes": session.minutes, "note": session.note}
        initial.update({f"att_{a.plan_id}": a.status for a in attendance})
        initial.update(
            {
                f"probe_{plan_id}": score
                for plan_id, score in session.probes.filter(measure__isnull=True).values_list("plan_id", "score")
            }
        )
        form = SessionForm(initial=initial, members=members)
    # The form shows each member's name, attendance and scores (FERPA access log).
    access_log.record(request, action="view", what="session edit", student_ids=[m.student_id for m in members])
    return render(
        request,
        "interventions/session_edit.html",
        {"session": session, "group": group, "plan": session.plan, "form": form, "back": back},
    )


@district_member()
def plan_sessions(request, plan_id: int):
    """One-to-one sessions of a plan without a group: one click logs a normal session (today,
    the planned minutes, present); the same attendance choices as a group and an optional probe."""
    plan = selectors.plan_get(district=request.district, membership=request.membership, plan_id=plan_id)
    if plan.group_id:
        return redirect("group_detail", group_id=plan.group_id)
    can_log = allowed(request.membership, "may_log_for_plan", plan)
    here = reverse("plan_sessions", args=[plan.pk])
    today = timezone.localdate()
    initial = {"date": today, "minutes": plan.minutes_per_session, "attendance": "present"}
    form = OneToOneSessionForm(initial=initial)
    if request.method == "POST":
        require(request, "may_log_for_plan", plan)
        form = OneToOneSessionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = submit_once(
                    district=request.district,
                    user=request.user,
                    token=form.submission_token,
                    work=lambda: services.session_log(
                        district=request.district,
                        actor=request.user,
                        plan=plan,
                        date=data["date"],
                        minutes=data["minutes"],
                        attendance={plan.pk: data["attendance"]},
                        probe_scores={plan.pk: data["probe"]} if data["probe"] is not None else {},
                        note=data["note"],
                    ),
                    url_of=lambda session: here,
                )
            except AlreadySubmitted as repeat:
                return repeated(request, repeat, here)
            except ValidationError as error:
                if hasattr(error, "error_dict"):  # the group service names the probes "probes"
                    error = ValidationError({"probe" if k == "probes" else k: v for k, v in error.message_dict.items()})
                apply_validation_error(form, error)
            else:
                _session_logged(request, session)
                return redirect(here)
    access_log.record(request, action="view", what="one-to-one session log", student_ids=[plan.student_id])
    return render(
        request,
        "interventions/plan_sessions.html",
        {
            "plan": plan,
            "form": form,
            "can_log": can_log,
            "history": selectors.plan_sessions(district=request.district, plan=plan),
        },
    )


@district_member()
def probe_edit(request, probe_id: int):
    """Fix a mistyped probe, or delete it with a reason; the audit trail keeps both."""
    probe = selectors.probe_get(district=request.district, membership=request.membership, probe_id=probe_id)
    plan = probe.plan
    require(request, "may_edit_probe", probe)
    form = ProbeEditForm(initial={"date": probe.date, "score": probe.score})
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            try:
                services.probe_delete(
                    district=request.district, actor=request.user, probe=probe, reason=request.POST.get("reason", "")
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("probe_edit", probe_id=probe.pk)
            messages.success(request, _("Probe deleted; the audit trail keeps what it held."))
            return redirect("plan_detail", plan_id=plan.pk)
        form = ProbeEditForm(request.POST)
        if form.is_valid():
            try:
                services.probe_update(
                    district=request.district,
                    actor=request.user,
                    probe=probe,
                    date=form.cleaned_data["date"],
                    score=form.cleaned_data["score"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Probe corrected."))
                return redirect("plan_detail", plan_id=plan.pk)
    access_log.record(request, action="view", what="probe", student_ids=[plan.student_id])
    return render(request, "interventions/probe_edit.html", {"probe": probe, "plan": plan, "form": form})


@district_member()
def plan_detail(request, plan_id: int):
    plan = selectors.plan_get(district=request.district, membership=request.membership, plan_id=plan_id)
    can_write = allowed(request.membership, "may_add_probe", plan)
    further = selectors.plan_measures(district=request.district, plan=plan)
    probe_form, bulk_form = ProbeForm(prefix="one"), BulkProbeForm(prefix="bulk")
    one_measure = MeasureChoiceForm(prefix="one", plan=plan, measures=further)
    bulk_measure = MeasureChoiceForm(prefix="bulk", plan=plan, measures=further)
    criteria_form = CriteriaForm(
        prefix="dd",
        initial={
            "dd_level_cut": plan.dd_level_cut,
            "dd_growth_cut": plan.dd_growth_cut,
            "dd_override_reason": plan.dd_override_reason,
        },
    )
    measure_form = PlanMeasureForm(prefix="measure", initial={"goal_target_date": plan.goal_target_date})
    here = reverse("plan_detail", args=[plan.pk])
    if request.method == "POST":
        if not can_write:
            raise Http404
        if request.POST.get("action") == "activate":
            # A draft an "intensify" decision made for the next tier: the provider checks it and starts it.
            from interventions.meetings.services import plan_activate

            try:
                plan_activate(district=request.district, actor=request.user, plan=plan)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("The plan started."))
            return redirect("plan_detail", plan_id=plan.pk)
        if "dd-dd_override_reason" in request.POST:
            criteria_form = CriteriaForm(request.POST, prefix="dd")
            if criteria_form.is_valid():
                data = criteria_form.cleaned_data
                try:
                    services.plan_criteria_set(
                        district=request.district,
                        actor=request.user,
                        plan=plan,
                        level_cut=data["dd_level_cut"],
                        growth_cut=data["dd_growth_cut"],
                        reason=data["dd_override_reason"],
                    )
                except ValidationError as error:
                    apply_validation_error(criteria_form, error)
                else:
                    messages.success(request, _("Dual-discrepancy criteria saved."))
                    return redirect("plan_detail", plan_id=plan.pk)
        elif "measure-measure" in request.POST:
            measure_form = PlanMeasureForm(request.POST, prefix="measure")
            if measure_form.is_valid():
                data = dict(measure_form.cleaned_data)
                baseline = data.pop("baseline")
                try:
                    submit_once(
                        district=request.district,
                        user=request.user,
                        token=measure_form.submission_token,
                        work=lambda: services.plan_measure_add(
                            district=request.district, actor=request.user, plan=plan, baseline_probes=baseline, **data
                        ),
                        url_of=lambda measure: here,
                    )
                except AlreadySubmitted as repeat:
                    return repeated(request, repeat, here)
                except ValidationError as error:
                    apply_validation_error(measure_form, error)
                else:
                    messages.success(request, _("Measure added."))
                    return redirect("plan_detail", plan_id=plan.pk)
        else:
            single = "one-date" in request.POST
            bound = ProbeForm(request.POST, prefix="one") if single else BulkProbeForm(request.POST, prefix="bulk")
            chooser = MeasureChoiceForm(request.POST, prefix="one" if single else "bulk", plan=plan, measures=further)
            if bound.is_valid() and chooser.is_valid():
                probes = (
                    [(bound.cleaned_data["date"], bound.cleaned_data["score"])]
                    if single
                    else bound.cleaned_data["lines"]
                )
                try:
                    submit_once(
                        district=request.district,
                        user=request.user,
                        token=bound.submission_token,
                        work=lambda: services.probes_add(
                            district=request.district,
                            actor=request.user,
                            plan=plan,
                            probes=probes,
                            measure=chooser.chosen(),
                        ),
                        url_of=lambda created: here,
                    )
                except AlreadySubmitted as repeat:
                    return repeated(request, repeat, here)
                except ValidationError as error:
                    bound.add_error(None, error.message_dict.get("probes", error.messages))
                else:
                    messages.success(request, _("%(n)s probe(s) saved.") % {"n": len(probes)})
                    return redirect("plan_detail", plan_id=plan.pk)
            if single:
                probe_form, one_measure = bound, chooser
            else:
                bulk_form, bulk_measure = bound, chooser
    else:
        probe_form = ProbeForm(prefix="one", initial={"date": timezone.localdate()})
    result = selectors.plan_result(district=request.district, plan=plan)
    access_log.record(request, action="view", what="plan and progress", student_ids=[plan.student_id])
    shortfalls = services.dosage_shortfalls(
        district=request.district,
        tier=plan.tier,
        weekly_sessions=plan.weekly_sessions,
        minutes=plan.minutes_per_session,
    )
    lang = get_language() or "en"
    measures = [
        (m, chart_svg(result, lang=lang, measure=m, id_prefix="chart" if m.measure is None else f"chart-{m.key}"))
        for m in result.measures
    ]
    return render(
        request,
        "interventions/plan_detail.html",
        {
            "plan": plan,
            "result": result,
            "chart": measures[0][1],
            "measures": measures,
            "probes": [p for p in result.data.probes],
            "shortfalls": shortfalls,
            "can_write": can_write,
            "probe_form": probe_form,
            "bulk_form": bulk_form,
            "one_measure": one_measure,
            "bulk_measure": bulk_measure,
            "criteria_form": criteria_form,
            "measure_form": measure_form,
            "may_manage_norms": allowed(request.membership, "may_manage_screening"),
            "can_edit": allowed(request.membership, "may_edit_plan", plan),
            "can_end": allowed(request.membership, "may_end_plan", plan),
            # Behavior plans carry a check-in/check-out point card (interventions/cico/).
            "point_card": plan_is_behavior(district=request.district, plan=plan)
            and allowed(request.membership, "may_rate_point_card", plan),
        },
    )


def _plan_form_kwargs(request, student, policy) -> dict:
    return dict(
        district=request.district,
        providers=selectors.plan_providers(district=request.district, school=student.school),
        groups=InterventionGroup.objects.filter(
            district=request.district, school=student.school, is_active=True
        ).order_by("name"),
        areas=selectors.area_choices(policy),
        tiers=selectors.tier_choices(policy),
        measures=selectors.measure_choices(district=request.district, policy=policy, grade=student.grade),
    )


@district_member()
def plan_create(request, student_id: int):
    """The new plan form: choices from the policy, defaults from the flagged screening score.

    Idempotent like every data-entry form (mtss/idempotency.py): a resubmission with the same
    one-time token (Back and submit, a double click) lands on the plan the first submission
    created; after Back fetched a fresh form, the service recognises the identical plan."""
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    require(request, "may_create_plan", student)
    _version, policy = policy_document(district=request.district, as_of=timezone.localdate())
    review_item = request.GET.get("review_item", "")
    defaults = selectors.plan_form_defaults(
        district=request.district,
        student=student,
        user=request.user,
        review_item_id=int(review_item) if review_item.isdigit() else None,
    )
    form = PlanForm(request.POST or None, initial=defaults.initial, **_plan_form_kwargs(request, student, policy))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        baseline = data.pop("baseline")
        already = _("This plan was already saved; here it is.")
        # From the screening review queue's "Start a plan": the item is marked once the plan is saved.
        try:
            plan, warnings = submit_once(
                district=request.district,
                user=request.user,
                token=form.submission_token,
                work=lambda: services.plan_create(
                    district=request.district,
                    actor=request.user,
                    student=student,
                    baseline_probes=baseline,
                    review_item_id=int(review_item) if review_item.isdigit() else None,
                    from_form=True,
                    **data,
                ),
                url_of=lambda result: reverse("plan_detail", args=[result[0].pk]),
            )
        except AlreadySubmitted as repeat:
            return repeated(request, repeat, reverse("student_detail", args=[student.pk]), already)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            if getattr(plan, "_existing", False):
                messages.info(request, already)
            for warning in warnings:
                messages.warning(request, warning)
            return redirect("plan_detail", plan_id=plan.pk)
    access_log.record(request, action="view", what="plan form", student_ids=[student.pk])
    return render(
        request,
        "interventions/plan_form.html",
        {
            "form": form,
            "student": student,
            "defaults": defaults,
            "notes": {
                "dosage": defaults.dosage_note,
                "tiers": _tier_dosage_notes(policy),
                "measure": defaults.measure_note,
                "goal": defaults.goal_note,
                "norms_missing": defaults.norms_missing,
            },
        },
    )


def _tier_dosage_notes(policy) -> list[str]:
    """Each tier's dosage in the policy's words, beside the schedule fields."""
    notes = []
    for number, name in selectors.tier_choices(policy):
        dosage = selectors.tier_dosage(policy, number)
        if not dosage:
            continue
        if dosage.get("sessions_per_week"):
            text = _("%(n)s sessions a week of %(m)s minutes") % {
                "n": f"{dosage['sessions_per_week']:g}",
                "m": dosage["minutes_per_session"],
            }
        else:
            text = _("%(n)s sessions per %(d)s-day cycle of %(m)s minutes") % {
                "n": dosage["sessions_per_cycle"],
                "d": dosage["cycle_days"],
                "m": dosage["minutes_per_session"],
            }
        notes.append(f"{name}: {text}")
    return notes


@district_member()
def plan_edit(request, plan_id: int):
    plan = selectors.plan_get(district=request.district, membership=request.membership, plan_id=plan_id)
    require(request, "may_edit_plan", plan)
    if plan.status != Plan.Status.ACTIVE:
        messages.info(request, _("This plan has ended; it can no longer be changed."))
        return redirect("plan_detail", plan_id=plan.pk)
    form = PlanEditForm(
        request.POST or None,
        district=request.district,
        providers=selectors.plan_providers(district=request.district, school=plan.student.school),
        initial={
            "intervention": plan.intervention_id,
            "goal_target": plan.goal_target,
            "goal_roi": plan.goal_roi,
            "goal_target_date": plan.goal_target_date,
            "phase_start": timezone.localdate(),
            "provider": plan.provider_id,
            "sessions_per_week": plan.sessions_per_week,
            "sessions_per_cycle": plan.sessions_per_cycle,
            "cycle_days": plan.cycle_days,
            "minutes_per_session": plan.minutes_per_session,
            "expected_end_date": plan.expected_end_date,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            _plan, phase = services.plan_update(
                district=request.district, actor=request.user, plan=plan, **form.cleaned_data
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            if phase is not None:
                messages.success(
                    request,
                    _("Plan changed: phase %(n)s starts on %(d)s.") % {"n": phase.number, "d": phase.start_date},
                )
            else:
                messages.success(request, _("Plan saved."))
            return redirect("plan_detail", plan_id=plan.pk)
    phases = list(plan.phases.filter(district=request.district).select_related("intervention").order_by("number"))
    access_log.record(request, action="view", what="plan edit", student_ids=[plan.student_id])
    return render(request, "interventions/plan_edit.html", {"plan": plan, "form": form, "phases": phases})


@district_member()
def plan_end(request, plan_id: int):
    plan = selectors.plan_get(district=request.district, membership=request.membership, plan_id=plan_id)
    require(request, "may_end_plan", plan)
    if plan.status != Plan.Status.ACTIVE:
        messages.info(request, _("This plan has already ended."))
        return redirect("plan_detail", plan_id=plan.pk)
    form = PlanEndForm(request.POST or None, initial={"end_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_end(district=request.district, actor=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The plan has ended (%(s)s).") % {"s": plan.get_status_display()})
            return redirect("plan_detail", plan_id=plan.pk)
    reasons = {outcome: [(r, Plan.EndReason(r).label) for r in keys] for outcome, keys in Plan.END_REASONS.items()}
    access_log.record(request, action="view", what="plan end", student_ids=[plan.student_id])
    return render(request, "interventions/plan_end.html", {"plan": plan, "form": form, "reasons": reasons})


@district_member()
def caseload(request, mine_only: bool = True):
    sort = request.GET.get("sort", "student")
    flag = request.GET.get("flag") or None
    tier = int(request.GET["tier"]) if request.GET.get("tier", "").isdigit() else None
    try:
        listing = selectors.caseload(
            district=request.district,
            membership=request.membership,
            mine_only=mine_only and allowed(request.membership, "may_keep_caseload"),
            sort=sort,
            flag=flag,
            tier=tier,
            page=request.GET.get("page") or 1,
        )
    except InvalidPage:
        # A page past the end (or not a number) is a clear 404, not another page.
        raise Http404(_("Page: there is no such page of this list.")) from None
    needs_plan = selectors.needing_plan(
        district=request.district, membership=request.membership, limit=selectors.NEEDS_PLAN_LIMIT
    )
    needs_plan_total = selectors.needing_plan_count(district=request.district, membership=request.membership)
    access_log.record(
        request,
        action="list",
        what="caseload",
        student_ids=[r.plan.student_id for r in listing.rows] + [n.student.pk for n in needs_plan],
    )
    title = _("My caseload") if mine_only else _("My students")
    # The links to other pages keep the sort and filters.
    query = {"sort": listing.sort, **({"flag": flag} if flag else {}), **({"tier": tier} if tier else {})}
    return render(
        request,
        "interventions/caseload.html",
        {
            "rows": listing.rows,
            "page": listing.page,
            "page_query": urlencode(query),
            "needs_plan": needs_plan,
            "needs_plan_total": needs_plan_total,
            "sort": listing.sort,
            "flag": flag,
            "tier": tier,
            "title": title,
            "mine_only": mine_only,
            "sorts": [
                ("student", _("Student")),
                ("tier", _("Tier")),
                ("next_probe", _("Next probe due")),
                ("fidelity", _("Fidelity")),
                ("recommendation", _("Recommendation")),
            ],
        },
    )

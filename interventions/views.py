"""Interventions pages: the specialist's session log, plans with the progress graph,
the caseload (specialist) and my students (teacher)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from interventions import selectors, services
from interventions.forms import (
    BulkProbeForm,
    CriteriaForm,
    GroupForm,
    GroupMemberForm,
    MeasureChoiceForm,
    PlanForm,
    PlanMeasureForm,
    ProbeForm,
    SessionForm,
)
from interventions.models import InterventionGroup, Plan
from interventions.progress import chart_svg
from mtss import access_log
from mtss.decorators import district_member
from mtss.forms import apply_validation_error
from mtss.models import User
from mtss.permissions import PROVIDER_ROLES, allowed, require
from mtss.selectors import school_list
from students.selectors import student_get


def _require_logger(request, group: InterventionGroup) -> None:
    require(request, "may_log_for_group", group)


def _providers(district):
    return (
        User.objects.filter(
            memberships__district=district, memberships__is_active=True, memberships__role__in=list(PROVIDER_ROLES)
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


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
                group = services.group_create(district=request.district, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                return redirect("group_detail", group_id=group.pk)
    return render(request, "interventions/group_list.html", {"groups": groups, "form": form, "can_create": can_create})


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
        _require_logger(request, group)
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
        _require_logger(request, group)
        form = SessionForm(request.POST, members=members)
        if form.is_valid():
            try:
                services.session_log(
                    district=request.district,
                    actor=request.user,
                    group=group,
                    date=form.cleaned_data["date"],
                    minutes=form.cleaned_data["minutes"],
                    attendance=form.attendance(),
                    probe_scores=form.probe_scores(),
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                apply_validation_error(form, error)  # the form keeps everything typed
            else:
                messages.success(request, _("Session of %(d)s logged.") % {"d": form.cleaned_data["date"]})
                return redirect("group_detail", group_id=group.pk)
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
    _require_logger(request, group)
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
def session_edit(request, session_id: int):
    session = selectors.session_get(district=request.district, membership=request.membership, session_id=session_id)
    group = session.group
    if group is None:
        raise Http404  # a one-to-one session is corrected through the API
    require(request, "may_edit_session", session)
    attendance = list(session.attendance.select_related("plan__student").order_by("plan__student__last_name"))
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
            return redirect("group_detail", group_id=group.pk)
        form = SessionForm(request.POST, members=[a.plan for a in attendance])
        form.fields["date"].required = False
        if form.is_valid():
            try:
                services.session_update(
                    district=request.district,
                    actor=request.user,
                    session=session,
                    minutes=form.cleaned_data["minutes"],
                    attendance=form.attendance(),
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Session updated."))
                return redirect("group_detail", group_id=group.pk)
    else:
        initial = {"date": session.date, "minutes": session.minutes, "note": session.note}
        initial.update({f"att_{a.plan_id}": a.status for a in attendance})
        form = SessionForm(initial=initial, members=[a.plan for a in attendance])
    # The form shows each member's name, attendance and scores (FERPA access log).
    access_log.record(request, action="view", what="session edit", student_ids=[a.plan.student_id for a in attendance])
    return render(request, "interventions/session_edit.html", {"session": session, "group": group, "form": form})


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
    if request.method == "POST":
        if not can_write:
            raise Http404
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
                    services.plan_measure_add(
                        district=request.district, actor=request.user, plan=plan, baseline_probes=baseline, **data
                    )
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
                    services.probes_add(
                        district=request.district,
                        actor=request.user,
                        plan=plan,
                        probes=probes,
                        measure=chooser.chosen(),
                    )
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
        },
    )


@district_member()
def plan_create(request, student_id: int):
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    require(request, "may_create_plan", student)
    providers = _providers(request.district)
    groups = InterventionGroup.objects.filter(district=request.district, school=student.school, is_active=True)
    form = PlanForm(
        request.POST or None,
        district=request.district,
        providers=providers,
        groups=groups,
        initial={"provider": request.user.pk, "area": "reading", "tier": 2},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        baseline = data.pop("baseline")
        try:
            plan, warnings = services.plan_create(
                district=request.district, actor=request.user, student=student, baseline_probes=baseline, **data
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            for warning in warnings:
                messages.warning(request, warning)
            return redirect("plan_detail", plan_id=plan.pk)
    access_log.record(request, action="view", what="plan form", student_ids=[student.pk])
    return render(request, "interventions/plan_form.html", {"form": form, "student": student})


@district_member()
def caseload(request, mine_only: bool = True):
    sort = request.GET.get("sort", "student")
    flag = request.GET.get("flag") or None
    tier = int(request.GET["tier"]) if request.GET.get("tier", "").isdigit() else None
    rows = selectors.caseload(
        district=request.district,
        membership=request.membership,
        mine_only=mine_only and allowed(request.membership, "may_keep_caseload"),
        sort=sort,
        flag=flag,
        tier=tier,
    )
    access_log.record(request, action="list", what="caseload", student_ids=[r.plan.student_id for r in rows])
    title = _("My caseload") if mine_only else _("My students")
    return render(
        request,
        "interventions/caseload.html",
        {
            "rows": rows,
            "sort": sort,
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

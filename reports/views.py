"""Report pages: thin. Parse the filters, call the selectors, build the tables, then
render them or, with ``?export=<table>&format=csv|xlsx``, download one.

Every page that shows student data records one access-log row; every export one
more (action "export", with the student ids in the file).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from interventions.rimp.rules import STATES as RIMP_STATES
from interventions.rimp.services import reading_determinations_record
from mtss import access_log
from mtss.api_params import query_int
from mtss.db.router import replica_view
from mtss.decorators import district_member
from mtss.jobs import enqueue
from mtss.models import SchoolYear
from mtss.throttles import pdf_render_limit
from reports import compliance, report_tables, selectors, services
from reports.charts import Bar, Stack, bar_chart_svg, tier_stack_svg
from reports.documents import weekly_fidelity_pdf
from reports.exports import FORMATS, export_table
from reports.forms import FidelityFilterForm, SchoolYearForm
from reports.models import ReportDelivery, ReportKind, ReportSubscription
from reports.tables import MIN_N, Table, pct
from reports.tasks import refresh_evaluations as task


def _export_links(request, tables: list[Table]) -> None:
    params = request.GET.copy()
    for table in tables:
        links = {}
        for fmt in FORMATS:
            params["export"], params["format"] = table.key, fmt
            links[fmt] = f"{request.path}?{params.urlencode()}"
        table.export_urls = links


def _respond(request, template: str, context: dict, tables: list[Table], *, what: str, status: int = 200):
    """Export the table named by ?export=, or render the page (logging the students it shows)."""
    key = request.GET.get("export")
    if key:
        fmt = request.GET.get("format", "csv")
        table = next((t for t in tables if t.key == key), None)
        if table is None or fmt not in FORMATS:
            return HttpResponseBadRequest(
                _("Unknown export: choose one of the page's tables and the format csv or xlsx."),
                content_type="text/plain; charset=utf-8",
            )
        return export_table(request, table, fmt=fmt, what=f"{what}: {table.key}")
    _export_links(request, tables)
    shown: set[int] = set()
    for table in tables:
        shown |= table.shown_student_ids
    if shown:  # pages of aggregates name no student and are not student lists
        access_log.record(request, action="list", what=what, student_ids=shown)
    context["tables"] = {t.key.replace("-", "_"): t for t in tables}
    return render(request, template, context, status=status)


def _years(request) -> tuple[list[SchoolYear], SchoolYear | None]:
    years = list(SchoolYear.objects.filter(district=request.district).order_by("-start_date"))
    today = timezone.localdate()
    chosen = request.GET.get("year")
    year = next((y for y in years if str(y.pk) == chosen), None)
    if year is None:
        year = selectors.current_school_year(district=request.district, today=today)
    return years, year


# --- home ------------------------------------------------------------------------------------------


@district_member("may_view_reports")
def reports_home(request):
    schools = list(selectors.report_schools(district=request.district, membership=request.membership))
    return render(request, "reports/home.html", {"schools": schools})


# --- fidelity -------------------------------------------------------------------------------------


@district_member("may_view_fidelity")
def fidelity_pick(request):
    schools = list(selectors.report_schools(district=request.district, membership=request.membership))
    chosen = next((s for s in schools if str(s.pk) == request.GET.get("school")), None)
    if chosen is None and len(schools) == 1:
        chosen = schools[0]
    if chosen is not None:
        return redirect("reports_fidelity", school_id=chosen.pk)
    return render(request, "reports/fidelity_pick.html", {"schools": schools})


def _fidelity_filters(request):
    today = timezone.localdate()
    start, end = selectors.default_range(district=request.district, today=today)
    data = {"start": start, "end": end, "by": "provider", "idle_days": selectors.DEFAULT_IDLE_DAYS}
    if any(k in request.GET for k in ("start", "end", "by", "idle_days")):
        bound = {**{k: str(v) for k, v in data.items()}, **{k: v for k, v in request.GET.items()}}
        form = FidelityFilterForm(bound, today=today)
    else:
        form = FidelityFilterForm({k: str(v) for k, v in data.items()}, today=today)
    if not form.is_valid():
        return form, None
    cleaned = form.cleaned_data
    return form, {
        "start": cleaned["start"],
        "end": min(cleaned["end"], today),
        "by": cleaned["by"] or "provider",
        "idle_days": cleaned["idle_days"] or selectors.DEFAULT_IDLE_DAYS,
    }


@district_member("may_view_fidelity")
@replica_view
def fidelity(request, school_id: int):
    school = selectors.report_school_get(district=request.district, membership=request.membership, school_id=school_id)
    schools = list(selectors.report_schools(district=request.district, membership=request.membership))
    form, filters = _fidelity_filters(request)
    context = {"school": school, "schools": schools, "form": form}
    if filters is None:
        return render(request, "reports/fidelity.html", context, status=400)
    rows = selectors.fidelity_plans(
        district=request.district,
        membership=request.membership,
        school=school,
        start=filters["start"],
        end=filters["end"],
        idle_days=filters["idle_days"],
    )
    policy = selectors.fidelity_policy(district=request.district, as_of=filters["end"])
    params = {
        "start": filters["start"].isoformat(),
        "end": filters["end"].isoformat(),
        "idle_days": filters["idle_days"],
    }

    def link(**extra):
        return report_tables.drill_url(school.pk, params, **extra)

    headline = selectors.fidelity_headline(rows)
    by = filters["by"]
    by_label = dict(FidelityFilterForm.DIMENSIONS)[by]
    groups = selectors.group_plans(rows, by)
    summary = report_tables.fidelity_summary_table(headline, policy, link, filters["idle_days"])
    breakdown = report_tables.fidelity_groups_table(groups, by_label=str(by_label), link=link, by=by)
    bars = []
    for g in groups:
        planned = g.total("planned_sessions")
        value = pct(g.total("attended_sessions"), planned)
        bars.append(Bar(label=g.label, value=value, n=g.n, note="" if value is not None else _("no sessions planned")))
    chart = bar_chart_svg(
        bars,
        title=_("Sessions delivered as a share of planned, by %(dim)s") % {"dim": str(by_label).lower()},
        threshold=policy["threshold"],
        threshold_label=_("threshold %(t)s%%") % {"t": f"{policy['threshold']:g}"},
        id_prefix="fidelity-chart",
        max_value=100,
    )
    subscribed = ReportSubscription.objects.filter(
        district=request.district, user=request.user, school=school, kind=ReportKind.WEEKLY_FIDELITY, is_active=True
    ).exists()
    context.update(
        filters=filters,
        headline=headline,
        policy=policy,
        chart=chart,
        by_label=by_label,
        subscribed=subscribed,
        min_n=MIN_N,
        pdf_url=reverse("reports_fidelity_pdf", kwargs={"school_id": school.pk}) + "?" + urlencode(params),
    )
    return _respond(
        request, "reports/fidelity.html", context, [summary, breakdown], what=f"fidelity dashboard, school {school.pk}"
    )


METRIC_LABELS = {
    "all": "All plans",
    "meets": "Plans at or above the fidelity threshold",
    "below": "Plans below the fidelity threshold",
    "pm_compliant": "Plans probed as often as the policy asks",
    "pm_not_compliant": "Plans probed less often than the policy asks",
    "review_due": "Team review overdue",
    "probe_overdue": "Probe overdue",
    "idle": "No recent session",
}


@district_member("may_view_fidelity")
@replica_view
def fidelity_plans(request, school_id: int):
    """Drill-down: the plans and sessions behind one number of the dashboard."""
    school = selectors.report_school_get(district=request.district, membership=request.membership, school_id=school_id)
    form, filters = _fidelity_filters(request)
    metric = request.GET.get("metric", "all")
    by = request.GET.get("by") or None
    key = request.GET.get("key") or None
    if filters is None or metric not in selectors.METRICS or (by and by not in dict(FidelityFilterForm.DIMENSIONS)):
        return render(
            request, "reports/fidelity_plans.html", {"school": school, "form": form, "bad_filter": True}, status=400
        )
    rows = selectors.fidelity_plans(
        district=request.district,
        membership=request.membership,
        school=school,
        start=filters["start"],
        end=filters["end"],
        idle_days=filters["idle_days"],
    )
    group_label = ""
    if by:
        groups = {g.key: g.label for g in selectors.group_plans(rows, by)}
        group_label = groups.get(key, "")
    chosen = selectors.filter_plans(rows, by=by, key=key, metric=metric)
    sessions = selectors.fidelity_sessions(
        district=request.district, plans=chosen, start=filters["start"], end=filters["end"]
    )
    plans_t = report_tables.plans_table(chosen)
    sessions_t = report_tables.sessions_table(sessions)
    back = (
        reverse("reports_fidelity", kwargs={"school_id": school.pk})
        + "?"
        + urlencode(
            {
                "start": filters["start"],
                "end": filters["end"],
                "idle_days": filters["idle_days"],
                "by": by or "provider",
            }
        )
    )
    return _respond(
        request,
        "reports/fidelity_plans.html",
        {
            "school": school,
            "filters": filters,
            "metric_label": _(METRIC_LABELS[metric]),
            "group_label": group_label,
            "by_label": dict(FidelityFilterForm.DIMENSIONS).get(by, ""),
            "back": back,
        },
        [plans_t, sessions_t],
        what=f"fidelity drill-down, school {school.pk}",
    )


@district_member("may_view_fidelity")
@pdf_render_limit
@replica_view
def fidelity_pdf(request, school_id: int):
    school = selectors.report_school_get(district=request.district, membership=request.membership, school_id=school_id)
    form, filters = _fidelity_filters(request)
    if filters is None:
        return HttpResponseBadRequest(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()), content_type="text/plain; charset=utf-8"
        )
    pdf = weekly_fidelity_pdf(
        district=request.district,
        membership=request.membership,
        school=school,
        start=filters["start"],
        end=filters["end"],
    )
    # Aggregates only: no student is in the file, but the export is still recorded.
    access_log.record(request, action="export", what=f"fidelity summary PDF, school {school.pk}", student_ids=[])
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="fidelity-{school.code}-{filters["start"]}-{filters["end"]}.pdf"'
    )
    return response


@district_member("may_view_fidelity")
def subscribe(request, school_id: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    school = selectors.report_school_get(district=request.district, membership=request.membership, school_id=school_id)
    active = request.POST.get("active") != "0"
    try:
        services.subscription_set(
            district=request.district, user=request.user, membership=request.membership, school=school, active=active
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if active:
            messages.success(
                request,
                _("Subscribed: the weekly fidelity summary of %(s)s will be e-mailed to %(e)s every Monday.")
                % {"s": school.name, "e": request.user.email},
            )
        else:
            messages.success(request, _("Unsubscribed from the weekly summary of %(s)s.") % {"s": school.name})
    nxt = request.POST.get("next", "")
    if nxt.startswith("/reports/"):
        return redirect(nxt)
    return redirect("reports_subscriptions")


@district_member("may_view_fidelity")
def subscriptions(request):
    rows = list(
        ReportSubscription.objects.filter(district=request.district, user=request.user)
        .select_related("school")
        .order_by("school__name")
    )
    latest = {}
    for delivery in ReportDelivery.objects.filter(district=request.district, subscription__in=rows).order_by(
        "subscription_id", "-period_start"
    ):
        latest.setdefault(delivery.subscription_id, delivery)
    schools = list(selectors.report_schools(district=request.district, membership=request.membership))
    subscribed = {s.school_id for s in rows if s.is_active}
    return render(
        request,
        "reports/subscriptions.html",
        {"rows": [(s, latest.get(s.pk)) for s in rows], "schools": [s for s in schools if s.pk not in subscribed]},
    )


# --- district ----------------------------------------------------------------------------------------


@district_member("may_view_district_dashboard")
@replica_view
def district_dashboard(request):
    today = timezone.localdate()
    years, year = _years(request)
    areas = selectors.district_areas(district=request.district, today=today)
    form = SchoolYearForm(request.GET or None, years=years, areas=areas)
    if request.GET and not form.is_valid():
        return render(request, "reports/district.html", {"form": form}, status=400)
    area = (form.cleaned_data.get("area") if form.is_bound else "") or None
    if year is None:
        return render(request, "reports/district.html", {"form": form, "no_year": True})
    # Read from the nightly snapshot (reports.models.DashboardCount): counting live grew with
    # the district (issue 16, item 7). Without a snapshot the page says so and offers the refresh.
    counts = selectors.dashboard_counts(district=request.district, membership=request.membership, year=year, area=area)
    tiers, movement, participation = counts["tiers"], counts["movement"], counts["participation"]
    effect = selectors.effectiveness(district=request.district, membership=request.membership, area=area)
    tables = [
        report_tables.tiers_table(tiers["schools"], tiers["subgroups"]),
        report_tables.movement_table(movement),
        report_tables.effectiveness_table(effect["interventions"]),
        report_tables.gaps_table(tiers=tiers, movement=movement, effect=effect, participation=participation),
        report_tables.participation_table(participation),
    ]
    total = {t: sum(c.get(t, 0) for _s, c in tiers["schools"]) for t in (1, 2, 3)}
    charted = selectors.schools_to_chart(tiers["schools"], min_n=MIN_N)
    stacks = [Stack(_("All schools"), total)] + [Stack(s.name, c) for s, c in charted]
    tier_chart = tier_stack_svg(
        stacks,
        title=_("Students by tier, per school, against 80 / 15 / 5")
        if len(charted) == len(tiers["schools"])
        else _(
            "Students by tier: all schools, and the %(n)s schools with the smallest Tier 1 share, against 80 / 15 / 5"
        )
        % {"n": len(charted)},
        reference=selectors.TIER_GUIDELINE,
        reference_label=_("Guideline 80/15/5"),
        id_prefix="tier-chart",
        min_n=MIN_N,
        too_few=_("too few to judge"),
    )
    effect_bars = [
        Bar(
            label=e.label,
            value=pct(e.responding, e.judged) if e.judged >= MIN_N else None,
            n=e.judged,
            note=_("too few to judge") if e.judged else _("none judged yet"),
        )
        for e in effect["interventions"]
    ]
    effect_chart = (
        bar_chart_svg(
            effect_bars,
            title=_("Share of judged plans responding, by intervention"),
            max_value=100,
            id_prefix="effect-chart",
        )
        if effect_bars
        else ""
    )
    return _respond(
        request,
        "reports/district.html",
        {
            "form": form,
            "year": year,
            "area": area,
            "tier_chart": tier_chart,
            "effect_chart": effect_chart,
            "effect": effect,
            "movement": movement,
            "counted_at": counts["computed_at"],
            "min_n": MIN_N,
        },
        tables,
        what="district dashboard",
    )


@district_member("may_view_district_dashboard")
def refresh_evaluations(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])

    enqueue(task, request.district.pk, request.user.pk)
    messages.success(request, _("The district numbers are being recomputed; reload the page in a minute."))
    return redirect("reports_district")


# --- compliance ------------------------------------------------------------------------------------


def _year_or_400(request, template: str, extra: dict | None = None):
    years, year = _years(request)
    if request.GET.get("year") and not any(str(y.pk) == request.GET["year"] for y in years):
        return None, years, render(request, template, {"bad_year": True, "years": years, **(extra or {})}, status=400)
    return year, years, None


def _school_filter(request) -> tuple[int | None, list]:
    schools = list(selectors.report_schools(district=request.district, membership=request.membership))
    chosen = request.GET.get("school")
    school_id = next((s.pk for s in schools if str(s.pk) == chosen), None)
    return school_id, schools


@district_member("may_view_compliance")
@replica_view
def building_log(request):
    year, years, bad = _year_or_400(request, "reports/compliance.html", {"report": "building_log"})
    if bad:
        return bad
    school_id, schools = _school_filter(request)
    rows = (
        compliance.building_log(
            district=request.district, membership=request.membership, year=year, school_id=school_id
        )
        if year
        else []
    )
    table = report_tables.building_log_table(rows, year.name if year else "")
    return _respond(
        request,
        "reports/compliance.html",
        {
            "report": "building_log",
            "title": _("AIS/RtI building log"),
            "years": years,
            "year": year,
            "schools": schools,
            "school_id": school_id,
            "intro": _(
                "Holland Patent CSD: year, building, grade, student, initial date, ELA, math, social studies, "
                "science, dismiss date. A subject column shows the highest tier served in it this year."
            ),
        },
        [table],
        what="AIS/RtI building log",
    )


@district_member("may_view_compliance")
@replica_view
def emis(request):
    year, years, bad = _year_or_400(request, "reports/compliance.html", {"report": "emis"})
    if bad:
        return bad
    rows = compliance.emis_on_track(district=request.district, membership=request.membership, year=year) if year else []
    table = report_tables.emis_table(rows)
    counts = {k: sum(1 for r in rows if r.status == k) for k in compliance.STATUS_LABELS}
    return _respond(
        request,
        "reports/compliance.html",
        {
            "report": "emis",
            "title": _("EMIS: K-3 on track / not on track"),
            "years": years,
            "year": year,
            "counts": counts,
            "intro": _(
                "Ohio Third Grade Reading Guarantee: each K-3 student's reading diagnostic of the year, the "
                "on-track rating from the district's screening rule, and the reading interventions given."
            ),
        },
        [table],
        what="EMIS on-track export",
    )


@district_member("may_view_compliance")
def rimp(request):
    year, years, bad = _year_or_400(request, "reports/compliance.html", {"report": "rimp"})
    if bad:
        return bad
    today = timezone.localdate()
    result = (
        compliance.rimp_status(district=request.district, membership=request.membership, year=year, today=today)
        if year
        else {"rows": [], "within_days": 60, "title": "", "counts": {}, "undetermined": 0}
    )
    table = report_tables.rimp_table(result["rows"], result["within_days"])
    late = result["counts"].get("overdue", 0)
    return _respond(
        request,
        "reports/compliance.html",
        {
            "report": "rimp",
            "title": _("RIMP status"),
            "years": years,
            "year": year,
            "late": late,
            "rimp_counts": [(RIMP_STATES[k], result["counts"].get(k, 0)) for k in RIMP_STATES],
            "undetermined": result["undetermined"],
            "intro": _(
                "A Reading Improvement and Monitoring Plan is due within %(n)s days of the diagnostic that "
                "found the student not on track (ORC 3313.608; RULES.md 4.5). It is approved by the role the "
                "policy names, then its letter goes to the parents. Open a student's status to create, read or "
                "approve the plan."
            )
            % {"n": result["within_days"]},
        },
        [table],
        what="RIMP status",
    )


@district_member("may_view_compliance")
@require_POST
def rimp_determine(request):
    """Record the year's on-track / not-on-track determinations from the fall diagnostic (idempotent);
    each new not-on-track student's notice follows (mtss.events.NOT_ON_TRACK_DETERMINED)."""
    year = SchoolYear.objects.filter(district=request.district, pk=query_int(request.POST.get("year"))).first()
    if year is None:
        return HttpResponseBadRequest(_("Unknown school year: choose one from the list."))
    done = reading_determinations_record(district=request.district, school_year=year, actor=request.user)
    messages.success(
        request,
        _("%(n)s determinations recorded, %(m)s of them not on track.")
        % {"n": done["created"], "m": done["not_on_track"]},
    )
    return redirect(f"{reverse('reports_rimp')}?year={year.pk}")


@district_member("may_view_referral_readiness")
def referral_readiness(request):
    school_id, schools = _school_filter(request)
    result = compliance.referral_readiness(
        district=request.district, membership=request.membership, today=timezone.localdate(), school_id=school_id
    )
    table = report_tables.referral_table(result["rows"])
    ready = sum(1 for r in result["rows"] if r.ready)
    return _respond(
        request,
        "reports/compliance.html",
        {
            "report": "referral",
            "title": _("Special-education referral readiness"),
            "schools": schools,
            "school_id": school_id,
            "ready": ready,
            "intro": _(
                "Active plans in Tier %(t)s and above. Ready: the tier's minimum number of sessions delivered, "
                "fidelity at or above the policy's threshold, and the parents notified of the services in "
                "writing (IDEA, 34 CFR 300.311(a)(7)), with the other conditions the district's policy sets "
                "(the time in the tier, not responding, the session log) and the exceptions that apply to "
                "the student. %(services)s"
            )
            % {"t": result["from_tier"], "services": result["services_during_evaluation"]},
        },
        [table],
        what="referral readiness",
    )


@district_member("may_view_compliance")
@replica_view
def program_evaluation(request):
    year, years, bad = _year_or_400(request, "reports/compliance.html", {"report": "program_evaluation"})
    if bad:
        return bad
    points = (
        compliance.program_evaluation(
            district=request.district, membership=request.membership, year=year, today=timezone.localdate()
        )
        if year
        else []
    )
    table = report_tables.program_evaluation_table(points)
    return _respond(
        request,
        "reports/compliance.html",
        {
            "report": "program_evaluation",
            "title": _("Year-end program evaluation"),
            "years": years,
            "year": year,
            "intro": _(
                "Loudon County: a fall, winter, spring and year-end program evaluation. At each benchmark "
                "window's last day: screening participation and risk, students in each tier, the plans running "
                "then evaluated as of that day, and exits since the previous point."
            ),
        },
        [table],
        what="program evaluation",
    )

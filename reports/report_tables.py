"""Selector results -> `Table`s: the one place that decides what each report's table holds.

The page and the CSV/XLSX export are both drawn from these tables. Cells that
stand for a set of plans link to the drill-down that lists them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse
from django.urls import reverse as url
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from interventions.rimp.rules import STATES as RIMP_STATES
from reports.compliance import STATUS_LABELS, LogRow, ReadinessRow, RimpRow
from reports.selectors import TIER_GUIDELINE, Effect, FidelityGroup, PlanFidelity, grade_label
from reports.tables import MIN_N, Cell, Column, Table, count_cell, number_cell, pct, share_cell
from students.models import SUBGROUPS

# Longer lists show their first rows on the page; the download holds them all.
PAGE_LIMIT = 500


def _c(key, label, numeric=False, help=""):
    return Column(key=key, label=label, numeric=numeric, help=help)


# --- fidelity ----------------------------------------------------------------------------------------


def drill_url(school_id: int, params: dict, **extra) -> str:
    query = {k: v for k, v in {**params, **extra}.items() if v not in (None, "")}
    return reverse("reports_fidelity_plans", kwargs={"school_id": school_id}) + "?" + urlencode(query)


def fidelity_summary_table(headline: dict, policy: dict, link: Callable[..., str], idle_days: int) -> Table:
    table = Table(
        key="summary",
        caption=_("Fidelity summary"),
        columns=[
            _c("measure", _("Measure")),
            _c("value", _("Count"), True),
            _c("of", _("Out of"), True),
            _c("share", _("Share"), True),
            _c("plans", _("Plans (n)"), True),
        ],
    )
    h = headline
    threshold = policy["threshold"]
    table.add(
        _("Sessions attended / planned"),
        count_cell(h["attended_sessions"], href=link(metric="all")),
        count_cell(h["planned_sessions"], decimals=1),
        share_cell(h["attended_sessions"], h["planned_sessions"]),
        count_cell(h["plans"]),
    )
    table.add(
        _("Minutes held / planned (dose delivered)"),
        count_cell(h["held_minutes"], href=link(metric="all")),
        count_cell(h["planned_minutes"]),
        share_cell(h["held_minutes"], h["planned_minutes"]),
        count_cell(h["plans"]),
    )
    table.add(
        _("Minutes attended / planned (dose received)"),
        count_cell(h["attended_minutes"], href=link(metric="all")),
        count_cell(h["planned_minutes"]),
        share_cell(h["attended_minutes"], h["planned_minutes"]),
        count_cell(h["plans"]),
    )
    table.add(
        _("Plans at or above the %(t)s%% fidelity threshold") % {"t": f"{threshold:g}"},
        count_cell(h["meeting"], href=link(metric="meets")),
        count_cell(h["applicable"], href=link(metric="all")),
        share_cell(h["meeting"], h["applicable"], href=link(metric="below")),
        count_cell(h["applicable"]),
    )
    table.add(
        _("Plans probed as often as the policy asks"),
        count_cell(h["pm_compliant"], href=link(metric="pm_compliant")),
        count_cell(h["pm_judged"]),
        share_cell(h["pm_compliant"], h["pm_judged"], href=link(metric="pm_not_compliant")),
        count_cell(h["pm_judged"]),
    )
    table.add(
        _("Team reviews overdue"),
        count_cell(h["review_due"], href=link(metric="review_due")),
        count_cell(h["active"]),
        Cell(None, "—", numeric=True),
        count_cell(h["active"]),
    )
    table.add(
        _("Probes overdue"),
        count_cell(h["probe_overdue"], href=link(metric="probe_overdue")),
        count_cell(h["active"]),
        Cell(None, "—", numeric=True),
        count_cell(h["active"]),
    )
    table.add(
        _("Plans with no session in %(n)s days") % {"n": idle_days},
        count_cell(h["idle"], href=link(metric="idle")),
        count_cell(h["active"]),
        Cell(None, "—", numeric=True),
        count_cell(h["active"]),
    )
    table.footnote = _("Shares of fewer than %(n)s cases are not shown (too few to judge). Policy: %(p)s.") % {
        "n": MIN_N,
        "p": policy["label"],
    }
    return table


def fidelity_groups_table(groups: list[FidelityGroup], *, by_label: str, link: Callable[..., str], by: str) -> Table:
    table = Table(
        key=f"by-{by}",
        caption=_("Fidelity by %(dim)s") % {"dim": by_label.lower()},
        columns=[
            _c("group", by_label),
            _c("plans", _("Plans"), True),
            _c("planned", _("Sessions planned"), True),
            _c("attended", _("Sessions attended"), True),
            _c("sessions_pct", _("Sessions delivered %"), True),
            _c("minutes_planned", _("Minutes planned"), True),
            _c("minutes_held", _("Minutes held"), True),
            _c("dosage_pct", _("Dose delivered %"), True),
            _c("minutes_attended", _("Minutes attended"), True),
            _c("exposure_pct", _("Dose received %"), True),
            _c("meeting", _("Plans at threshold"), True),
            _c("meeting_share", _("Share at threshold"), True),
        ],
    )
    for g in groups:
        href = link(by=by, key=g.key, metric="all")
        planned, minutes = g.total("planned_sessions"), g.total("planned_minutes")
        table.add(
            Cell(g.label, href=href),
            count_cell(g.n, href=href),
            count_cell(planned, decimals=1),
            count_cell(g.total("attended_sessions"), href=href),
            share_cell(g.total("attended_sessions"), planned),
            count_cell(minutes),
            count_cell(g.total("held_minutes"), href=href),
            share_cell(g.total("held_minutes"), minutes),
            count_cell(g.total("attended_minutes"), href=href),
            share_cell(g.total("attended_minutes"), minutes),
            Cell(g.meeting, f"{g.meeting} / {g.applicable}", href=link(by=by, key=g.key, metric="meets")),
            share_cell(g.meeting, g.applicable, href=link(by=by, key=g.key, metric="below")),
        )
    table.empty = _("No plans ran at this school in this range.")
    return table


def plans_table(rows: list[PlanFidelity]) -> Table:
    table = Table(
        key="plans",
        page_limit=PAGE_LIMIT,
        caption=_("Plans"),
        columns=[
            _c("student", _("Student")),
            _c("local_id", _("Local id")),
            _c("grade", _("Grade")),
            _c("tier", _("Tier"), True),
            _c("area", _("Area")),
            _c("intervention", _("Intervention")),
            _c("provider", _("Interventionist")),
            _c("planned", _("Sessions planned"), True),
            _c("attended", _("Sessions attended"), True),
            _c("sessions_pct", _("Sessions delivered %"), True),
            _c("minutes_planned", _("Minutes planned"), True),
            _c("minutes_held", _("Minutes held"), True),
            _c("minutes_attended", _("Minutes attended"), True),
            _c("meets", _("At threshold")),
            _c("last_session", _("Last session")),
            _c("next_probe", _("Next probe due")),
            _c("flags", _("Flags")),
        ],
    )
    for p in rows:
        flags = [
            label
            for flag, label in (
                (p.review_due, _("review due")),
                (p.probe_overdue, _("probe overdue")),
                (p.idle, _("no recent session")),
                (p.pm_status == "not_compliant", _("probes too far apart")),
            )
            if flag
        ]
        pct_value = p.sessions_pct
        table.add(
            Cell(p.student_name, href=url("plan_detail", kwargs={"plan_id": p.plan_id})),
            p.local_id,
            grade_label(p.grade),
            p.tier,
            p.area,
            p.intervention,
            p.provider,
            count_cell(p.planned_sessions, decimals=1),
            count_cell(p.attended_sessions),
            Cell(
                None if pct_value is None else round(pct_value, 1),
                "—" if pct_value is None else f"{pct_value:.0f}%",
                numeric=True,
            ),
            count_cell(p.planned_minutes),
            count_cell(p.held_minutes),
            count_cell(p.attended_minutes),
            Cell(p.meets_threshold, "—" if p.meets_threshold is None else None),
            p.last_session,
            p.next_probe,
            Cell("; ".join(flags)),
            student_id=p.student_id,
        )
    table.empty = _("No plans match.")
    return table


STATUS_TEXT = {
    "present": "Present",
    "student_absent": "Student absent",
    "provider_absent": "Provider absent",
    "cancelled": "School closed / cancelled",
}


def sessions_table(rows: list[tuple], *, page_limit: int = PAGE_LIMIT) -> Table:
    table = Table(
        key="sessions",
        caption=_("Sessions behind these numbers"),
        columns=[
            _c("date", _("Date")),
            _c("student", _("Student")),
            _c("intervention", _("Intervention")),
            _c("group", _("Group")),
            _c("provider", _("Interventionist")),
            _c("minutes", _("Minutes"), True),
            _c("attendance", _("Attendance")),
        ],
        page_limit=page_limit,
    )
    for plan, _session_id, day, minutes, status, group in rows:
        table.add(
            day,
            plan.student_name,
            plan.intervention,
            group or _("one-to-one"),
            plan.provider,
            count_cell(minutes),
            _(STATUS_TEXT.get(status, status)),
            student_id=plan.student_id,
        )
    table.empty = _("No sessions were logged for these plans in this range.")
    return table


# --- district ---------------------------------------------------------------------------------------------


def tiers_table(schools: list, subgroups: dict) -> Table:
    table = Table(
        key="tiers",
        caption=_("Students by tier and school (guideline 80 / 15 / 5)"),
        columns=[
            _c("school", _("School")),
            _c("students", _("Students"), True),
            _c("t1", _("Tier 1"), True),
            _c("t1_pct", _("Tier 1 %"), True),
            _c("t2", _("Tier 2"), True),
            _c("t2_pct", _("Tier 2 %"), True),
            _c("t3", _("Tier 3"), True),
            _c("t3_pct", _("Tier 3 %"), True),
            _c("gap", _("Tier 1 vs 80 %"), True, _("percentage points above (+) or below (-) the guideline")),
        ],
    )
    total = {1: 0, 2: 0, 3: 0}
    for school, counts in schools:
        n = sum(counts.values())
        for tier in total:
            total[tier] += counts.get(tier, 0)
        table.add(*_tier_cells(school.name, counts, n))
    n = sum(total.values())
    if n:
        table.add(*_tier_cells(_("All schools"), total, n))
    table.empty = _("No students.")
    return table


def _tier_cells(label: str, counts: dict, n: int) -> list:
    t1 = pct(counts.get(1, 0), n)
    gap = None if t1 is None else round(t1 - TIER_GUIDELINE[1], 1)
    return [
        label,
        count_cell(n),
        count_cell(counts.get(1, 0)),
        share_cell(counts.get(1, 0), n),
        count_cell(counts.get(2, 0)),
        share_cell(counts.get(2, 0), n),
        count_cell(counts.get(3, 0)),
        share_cell(counts.get(3, 0), n),
        Cell(None, str(_("too few to judge")), muted=True, numeric=True)
        if n < MIN_N
        else Cell(gap, "—" if gap is None else f"{gap:+.1f}", numeric=True),
    ]


def movement_table(movement: dict) -> Table:
    table = Table(
        key="movement",
        caption=_("Movement between tiers this school year"),
        columns=[
            _c("school", _("School")),
            _c("entries", _("Entries (into Tier 2+)"), True),
            _c("exits", _("Exits (back to Tier 1)"), True),
            _c("up", _("Moves up"), True),
            _c("down", _("Moves down"), True),
        ],
    )
    for school, m in movement["schools"]:
        table.add(school.name, count_cell(m.entries), count_cell(m.exits), count_cell(m.up), count_cell(m.down))
    t = movement["total"]
    table.add(_("All schools"), count_cell(t.entries), count_cell(t.exits), count_cell(t.up), count_cell(t.down))
    return table


def effectiveness_table(effects: list[Effect]) -> Table:
    table = Table(
        key="effectiveness",
        caption=_("Intervention effectiveness (plans in progress)"),
        columns=[
            _c("intervention", _("Intervention")),
            _c("plans", _("Plans"), True),
            _c("judged", _("Judged (n)"), True, _("plans with enough data and adequate fidelity to judge")),
            _c("responding", _("Responding"), True),
            _c("share", _("Share responding"), True),
            _c("roi_n", _("With growth data (n)"), True),
            _c("median_roi", _("Median observed growth / week"), True),
            _c("median_goal", _("Median goal growth / week"), True),
            _c("ratio", _("Median growth as % of goal"), True),
        ],
    )
    for e in effects:
        _effect_row(table, e.label, e)
    table.empty = _("No evaluation yet: refresh the district numbers.")
    table.footnote = _(
        "A plan is judged when the decision rules have enough data and fidelity is adequate; "
        "low-fidelity plans are never counted as not responding (RULES.md 3.3). "
        "Below %(n)s cases no share or median is shown."
    ) % {"n": MIN_N}
    return table


def _effect_row(table: Table, label: str, e: Effect) -> None:
    n_roi = e.growth_n
    table.add(
        label,
        count_cell(e.plans),
        count_cell(e.judged),
        count_cell(e.responding),
        share_cell(e.responding, e.judged),
        count_cell(n_roi),
        number_cell(e.median_roi, n=n_roi, decimals=2),
        number_cell(e.median_goal_roi, n=n_roi, decimals=2),
        number_cell(e.median_ratio, n=n_roi, suffix="%"),
    )


def gaps_table(*, tiers: dict, movement: dict, effect: dict, participation: dict | None) -> Table:
    """Every district measure by subgroup, beside all students (LAUSD: gaps between student groups)."""
    table = Table(
        key="gaps",
        caption=_("Gaps by subgroup"),
        columns=[
            _c("subgroup", _("Subgroup")),
            _c("students", _("Students"), True),
            _c("tier2plus", _("In Tier 2 or 3"), True),
            _c("entries", _("Entries per 100 students"), True),
            _c("exits", _("Exits per 100 students"), True),
            _c("up", _("Moves up per 100 students"), True),
            _c("down", _("Moves down per 100 students"), True),
            _c("judged", _("Judged plans (n)"), True),
            _c("responding", _("Share responding"), True),
            _c("ratio", _("Median growth as % of goal"), True),
            _c("screened", _("Screened, latest window"), True),
        ],
    )
    windows = (participation or {}).get("windows") or []
    latest = windows[-1] if windows else None
    keys = ["all", *SUBGROUPS]
    for key in keys:
        counts = tiers["subgroups"].get(key, {})
        n = sum(counts.values())
        served = counts.get(2, 0) + counts.get(3, 0)
        if key == "all":
            label, moved, e = _("All students"), movement["total"], effect["all"]
            screened = (latest["enrolled"], latest["screened"]) if latest else None
        else:
            label = str(SUBGROUPS[key])
            moved = movement["subgroups"].get(key)
            e = effect["subgroups"][key]
            screened = latest["subgroups"][key] if latest else None
        entries, exits, up, down = (moved.entries, moved.exits, moved.up, moved.down) if moved else (0, 0, 0, 0)
        table.add(
            label,
            count_cell(n),
            share_cell(served, n),
            number_cell(entries / n * 100 if n else None, n=n, decimals=1),
            number_cell(exits / n * 100 if n else None, n=n, decimals=1),
            number_cell(up / n * 100 if n else None, n=n, decimals=1),
            number_cell(down / n * 100 if n else None, n=n, decimals=1),
            count_cell(e.judged),
            share_cell(e.responding, e.judged),
            number_cell(e.median_ratio, n=e.growth_n, suffix="%"),
            share_cell(screened[1], screened[0]) if screened else Cell(None, "—", numeric=True),
        )
    table.footnote = _(
        "Each share stands on its own n (students, judged plans or enrolled students); below %(n)s "
        "it is not shown. Compare a subgroup with the All students row."
    ) % {"n": MIN_N}
    return table


def participation_table(participation: dict) -> Table:
    table = Table(
        key="participation",
        caption=_("Screening participation per window"),
        columns=[
            _c("window", _("Window")),
            _c("school", _("School")),
            _c("enrolled", _("Enrolled"), True),
            _c("screened", _("Screened"), True),
            _c("share", _("Participation"), True),
        ],
    )
    for item in participation.get("windows", []):
        window = str(item["window"])  # once per window, not per school (1,000 schools: 0.6 s)
        table.add(
            window,
            _("All schools"),
            count_cell(item["enrolled"]),
            count_cell(item["screened"]),
            share_cell(item["screened"], item["enrolled"]),
        )
        for school, n, screened in item["schools"]:
            table.add(window, school.name, count_cell(n), count_cell(screened), share_cell(screened, n))
    table.row_headers = False
    table.empty = _("No screening windows in this school year.")
    return table


# --- compliance ---------------------------------------------------------------------------------------


def building_log_table(rows: list[LogRow], year_name: str) -> Table:
    table = Table(
        key="building-log",
        page_limit=PAGE_LIMIT,
        caption=_("AIS/RtI building log %(year)s") % {"year": year_name},
        columns=[
            _c("year", _("Year")),
            _c("building", _("Building")),
            _c("grade", _("Grade")),
            _c("student", _("Student")),
            _c("initial", _("Initial date")),
            _c("ela", _("ELA")),
            _c("math", _("Math")),
            _c("social_studies", _("Social studies")),
            _c("science", _("Science")),
            _c("dismiss", _("Dismiss date")),
        ],
    )
    for r in rows:
        tiers = [
            Cell(f"Tier {r.tiers[c]}" if c in r.tiers else "", f"Tier {r.tiers[c]}" if c in r.tiers else "")
            for c in ("ela", "math", "social_studies", "science")
        ]
        table.add(
            year_name,
            r.school,
            grade_label(r.grade),
            r.student,
            r.initial_date,
            *tiers,
            Cell(r.dismiss_date, "" if r.dismiss_date is None else None),
            student_id=r.student_id,
        )
    table.row_headers = False
    table.empty = _("No student received academic intervention services in this year.")
    return table


def emis_table(rows) -> Table:
    table = Table(
        key="emis",
        page_limit=PAGE_LIMIT,
        caption=_("EMIS: K-3 reading on track / not on track, with interventions given"),
        columns=[
            _c("ssid", _("State student id (SSID)")),
            _c("local_id", _("Local id")),
            _c("student", _("Student")),
            _c("grade", _("Grade")),
            _c("school", _("School")),
            _c("school_code", _("School code")),
            _c("diagnostic", _("Reading diagnostic")),
            _c("date", _("Diagnostic date")),
            _c("score", _("Score"), True),
            _c("status", _("Status")),
            _c("interventions", _("Interventions given")),
            _c("services_start", _("Services started")),
        ],
    )
    for r in rows:
        table.add(
            r.state_id,
            r.local_id,
            r.student,
            grade_label(r.grade),
            r.school,
            r.school_code,
            r.measure,
            r.test_date,
            Cell(r.score, "—" if r.score is None else f"{r.score:g}", numeric=True),
            Cell(STATUS_LABELS[r.status], _(STATUS_LABELS[r.status])),
            "; ".join(r.interventions),
            r.plan_start,
            student_id=r.student_id,
        )
    table.row_headers = False
    table.empty = _("No K-3 students.")
    return table


def rimp_table(rows: list[RimpRow], within: int) -> Table:
    """The RIMP report: each not-on-track student's state (interventions.rimp.rules.STATES); the
    state links to the RIMP, or to its form while none exists."""
    table = Table(
        key="rimp",
        page_limit=PAGE_LIMIT,
        caption=_("RIMP status (due within %(n)s days of the diagnostic)") % {"n": within},
        columns=[
            _c("student", _("Student")),
            _c("grade", _("Grade")),
            _c("school", _("School")),
            _c("diagnostic", _("Diagnostic date")),
            _c("due", _("RIMP due")),
            _c("state", _("Status")),
            _c("approved", _("Approved on")),
            _c("given", _("Letter sent")),
            _c("days_late", _("Days past the deadline"), True),
            _c("interventions", _("Interventions given")),
        ],
    )
    for r in rows:
        if r.rimp_id:
            href = url("rimp_detail", kwargs={"rimp_id": r.rimp_id})
        elif r.determined:
            href = url("rimp_create", kwargs={"student_id": r.emis.student_id})
        else:
            href = None
        table.add(
            r.emis.student,
            grade_label(r.emis.grade),
            r.emis.school,
            r.emis.test_date,
            r.due_date,
            Cell(RIMP_STATES[r.state], _(RIMP_STATES[r.state]), href=href),
            r.approved_on,
            r.given_on,
            count_cell(r.days_late) if r.days_late else Cell(0, "—", numeric=True),
            "; ".join(r.emis.interventions),
            student_id=r.emis.student_id,
        )
    table.row_headers = False
    table.empty = _("No K-3 student is rated not on track this year.")
    return table


def referral_table(rows: list[ReadinessRow]) -> Table:
    table = Table(
        key="referral",
        page_limit=PAGE_LIMIT,
        caption=_("Special-education referral readiness"),
        columns=[
            _c("student", _("Student")),
            _c("grade", _("Grade")),
            _c("school", _("School")),
            _c("tier", _("Tier"), True),
            _c("intervention", _("Intervention")),
            _c("sessions", _("Sessions delivered"), True),
            _c("minimum", _("Minimum sessions"), True),
            _c("sessions_met", _("Minimum reached")),
            _c("fidelity", _("Fidelity met")),
            _c("notified", _("Parents notified")),
            _c("response", _("Decision rules say")),
            _c("referred", _("Referred on")),
            _c("unmet", _("Conditions not met")),
            _c("exceptions", _("Exceptions that apply")),
            _c("ready", _("Ready")),
        ],
    )
    for r in rows:
        response = {"responding": _("responding"), "not_responding": _("not responding")}.get(
            r.response or "", _("not judged yet")
        )
        table.add(
            Cell(r.student, href=url("plan_detail", kwargs={"plan_id": r.plan_id})),
            grade_label(r.grade),
            r.school,
            r.tier,
            r.intervention,
            count_cell(r.sessions),
            Cell(r.min_sessions, "—" if r.min_sessions is None else None, numeric=True),
            r.sessions_met,
            Cell(
                r.fidelity_met,
                (_("yes") if r.fidelity_met else _("no"))
                + (f" ({r.sessions_pct:.0f}%)" if r.sessions_pct is not None else ""),
            ),
            Cell(r.notified_on or False, str(r.notified_on) if r.notified_on else _("no")),
            response,
            r.referred_on,
            "; ".join(r.unmet) or "—",
            "; ".join(r.exceptions + ([_("decided by: %(t)s") % {"t": r.handled_by}] if r.handled_by else [])) or "—",
            r.ready,
            student_id=r.student_id,
        )
    table.empty = _("No active plan in the referral tier.")
    return table


def program_evaluation_table(points) -> Table:
    table = Table(
        key="program-evaluation",
        caption=_("Program evaluation per benchmark window"),
        columns=[
            _c("point", _("Benchmark")),
            _c("date", _("As of")),
            _c("enrolled", _("Enrolled"), True),
            _c("screened", _("Screened"), True),
            _c("participation", _("Participation"), True),
            _c("at_risk", _("At risk"), True),
            _c("at_risk_share", _("At risk, share of screened"), True),
            _c("tier2", _("In Tier 2"), True),
            _c("tier3", _("In Tier 3"), True),
            _c("plans", _("Plans running"), True),
            _c("judged", _("Judged (n)"), True),
            _c("responding", _("Share responding"), True),
            _c("ratio", _("Median growth as % of goal"), True),
            _c("exits", _("Exits to Tier 1 since the previous point"), True),
        ],
    )
    for p in points:
        e = p.effect
        table.add(
            p.label,
            p.day,
            count_cell(p.enrolled),
            count_cell(p.screened),
            share_cell(p.screened, p.enrolled),
            count_cell(p.at_risk),
            share_cell(p.at_risk, p.screened),
            count_cell(p.tiers.get(2, 0)),
            count_cell(p.tiers.get(3, 0)),
            count_cell(e.plans),
            count_cell(e.judged),
            share_cell(e.responding, e.judged),
            number_cell(e.median_ratio, n=e.growth_n, suffix="%"),
            count_cell(p.exits),
        )
    table.empty = _("No benchmark windows yet.")
    return table

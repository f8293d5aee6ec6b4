"""Demo interventions for a seeded district: groups, plans, a school year (to date)
of logged sessions with attendance, and weekly probes. Set-based: a handful of
bulk inserts whatever the size, so a 50,000-student district seeds in seconds.

Deterministic: the same district slug and date give the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from demo.bulk import copy_create, copy_values, next_ids
from interventions.library.seed import library_seed
from interventions.models import (
    Attendance,
    Intervention,
    InterventionGroup,
    InterventionSession,
    Plan,
    PlanMeasure,
    PlanPhase,
    Probe,
    TierPlacement,
)
from mtss.calendars.selectors import non_instructional_by_school
from mtss.models import District, Membership, MembershipSchool, Role, School
from mtss.selectors import policy_document
from mtss.tenancy import tenant_context
from students.models import StudentUserObjectPermission

BATCH = 5000
MEASURES = {
    "reading": ("R-CBM words read correctly", 40, 1.4),
    "ela": ("Maze correct responses", 12, 0.45),
    "math": ("M-COMP points", 18, 0.7),
    "behavior": ("Daily behavior card %", 55, 1.5),
}
DEFAULT_MEASURE = ("Progress probe", 30, 1.0)
# The weekdays a group meets for N sessions a week (0 = Monday), spread over the week.
MEETING_DAYS = {1: (2,), 2: (1, 3), 3: (0, 2, 4), 4: (0, 1, 2, 3), 5: (0, 1, 2, 3, 4)}
FALLBACK_LIBRARY = {
    "reading": [("Fundations", [2, 3]), ("My Sidewalks", [2, 3]), ("Reading Eggs", [2])],
    "ela": [("Destination Reading", [2, 3]), ("Jamestown Reading Navigator", [2, 3])],
    "math": [("Learning Lab", [2, 3]), ("Skills Tutor", [2])],
    "behavior": [("Check-In/Check-Out", [2, 3])],
}


def _library(district: District, needed: set[tuple[str, int]]) -> dict[tuple[str, int], list[Intervention]]:
    """The district's library (the programs the sources name), plus a demo program for any
    area and tier the library does not cover, so every demo plan has an intervention."""

    library_seed(district=district)

    def index():
        by_area_tier: dict[tuple[str, int], list[Intervention]] = defaultdict(list)
        for intervention in Intervention.objects.filter(district=district, is_active=True).order_by("name"):
            for tier in intervention.tiers or [2, 3]:
                by_area_tier[(intervention.area, tier)].append(intervention)
        return by_area_tier

    by_area_tier = index()
    existing = {i.name.lower() for i in Intervention.objects.filter(district=district)}
    missing = []
    for area, tier in sorted(needed - set(by_area_tier)):
        names = [name for name, tiers in FALLBACK_LIBRARY.get(area, []) if tier in tiers] or [f"Small-group {area}"]
        name = next((n for n in names if n.lower() not in existing), f"{names[0]} (Tier {tier})")
        if name.lower() not in existing:
            missing.append(Intervention(district=district, name=name, area=area, tiers=[tier], source="demo"))
            existing.add(name.lower())
    copy_create(missing)
    return index() if missing else by_area_tier


def _dosage(policy, tier: int) -> tuple[dict, int | None]:
    """The policy's dosage for the tier (or a modest default) and its group-size limit."""
    schedule = {"sessions_per_week": 3.0, "sessions_per_cycle": None, "cycle_days": None, "minutes_per_session": 30}
    limit = None
    if policy is not None:
        try:
            policy_tier = policy.tier(tier)
        except LookupError:
            return schedule, limit
        limit = policy_tier.max_group_size
        dosage = policy_tier.dosage
        if dosage is not None:
            if dosage.sessions_per_week:
                schedule.update(sessions_per_week=float(dosage.sessions_per_week))
            elif dosage.sessions_per_cycle and dosage.cycle_days:
                schedule.update(
                    sessions_per_week=None,
                    sessions_per_cycle=int(dosage.sessions_per_cycle),
                    cycle_days=dosage.cycle_days,
                )
            schedule["minutes_per_session"] = dosage.minutes_per_session
    return schedule, limit


def _weekly(schedule: dict) -> int:
    if schedule["sessions_per_week"]:
        return max(1, round(schedule["sessions_per_week"]))
    return max(1, round(schedule["sessions_per_cycle"] * 5 / schedule["cycle_days"]))


def seed_interventions(*, district: District, as_of: dt.date) -> dict:
    """Create plans for every open Tier 2/3 placement, grouped by provider, with sessions to `as_of`."""
    rng = random.Random(f"{district.slug}-interventions")
    with tenant_context(district):
        _, policy = policy_document(district=district, as_of=as_of)
        placements = list(
            TierPlacement.objects.filter(
                district=district, end_date__isnull=True, tier__in=[2, 3], start_date__lte=as_of - dt.timedelta(days=14)
            )
            .values_list("pk", "student_id", "area", "tier", "start_date", "student__school_id")
            .order_by("student_id", "area")
        )
        if not placements:
            return {"plans": 0}
        library = _library(district, {(row[2], row[3]) for row in placements})
        specialists = set(
            Membership.objects.filter(district=district, role=Role.INTERVENTION_SPECIALIST, is_active=True).values_list(
                "user_id", flat=True
            )
        )
        caseload = dict(
            StudentUserObjectPermission.objects.filter(district=district, user_id__in=specialists).values_list(
                "content_object_id", "user_id"
            )
        )
        school_specialist = {}
        for school_id, user_id in (
            MembershipSchool.objects.filter(district=district, membership__user_id__in=specialists)
            .values_list("school_id", "membership__user_id")
            .order_by("school_id", "membership__user_id")
        ):
            school_specialist.setdefault(school_id, user_id)
        principals = dict(School.objects.filter(district=district).values_list("pk", "principal_id"))

        # Groups: one provider, one school, one area and tier, at most the policy's size.
        buckets: dict[tuple, list] = defaultdict(list)
        for row in placements:
            _, student_id, area, tier, start, school_id = row
            provider = caseload.get(student_id) or school_specialist.get(school_id) or principals.get(school_id)
            if provider is None:
                continue
            buckets[(provider, school_id, area, tier)].append(row)
        group_rows, members_of = [], []
        for (provider, school_id, area, tier), rows in sorted(buckets.items()):
            schedule, limit = _dosage(policy, tier)
            size = max(1, min(limit or 4, 5))
            for index in range(0, len(rows), size):
                chunk = rows[index : index + size]
                group_rows.append(
                    InterventionGroup(
                        district=district,
                        school_id=school_id,
                        provider_id=provider,
                        area=area,
                        tier=tier,
                        meeting_days=list(MEETING_DAYS[min(5, _weekly(schedule))]),
                        name=f"{area.title()} T{tier} · group {index // size + 1}",
                        intervention=(library.get((area, tier)) or [None])[
                            index // size % max(1, len(library.get((area, tier)) or [None]))
                        ],
                        **schedule,
                    )
                )
                members_of.append(chunk)
        groups = copy_create(group_rows, batch_size=BATCH)

        plans, phases, probes = [], [], []
        growth: dict[int, float] = {}
        plan_meta = []
        for group, chunk in zip(groups, members_of, strict=False):
            for placement_id, student_id, area, tier, start, _school_id in chunk:
                measure, base_mean, typical = MEASURES.get(area, DEFAULT_MEASURE)
                base = round(rng.gauss(base_mean, base_mean * 0.15), 0)
                goal_date = start + dt.timedelta(weeks=18)
                intervention = group.intervention or (library.get((area, tier)) or [None])[0]
                plans.append(
                    Plan(
                        district=district,
                        student_id=student_id,
                        placement_id=placement_id,
                        area=area,
                        tier=tier,
                        intervention=intervention,
                        provider_id=group.provider_id,
                        group=group,
                        start_date=start,
                        expected_end_date=goal_date,
                        goal_measure=measure,
                        goal_target=round(base + typical * 18 * 1.2, 1),
                        goal_target_date=goal_date,
                        sessions_per_week=group.sessions_per_week,
                        sessions_per_cycle=group.sessions_per_cycle,
                        cycle_days=group.cycle_days,
                        minutes_per_session=group.minutes_per_session,
                    )
                )
                # Most students respond; some barely move (non-responders for the agenda).
                plan_meta.append((base, typical * rng.choice([1.6, 1.3, 1.1, 0.9, 0.4, 0.1])))
        plans = copy_create(plans, batch_size=BATCH)
        for plan, (base, slope) in zip(plans, plan_meta, strict=False):
            growth[plan.pk] = slope
            phases.append(
                PlanPhase(
                    district=district,
                    plan=plan,
                    number=1,
                    start_date=plan.start_date,
                    intervention_id=plan.intervention_id,
                    goal_target=plan.goal_target,
                    goal_target_date=plan.goal_target_date,
                )
            )
            for back in (3, 2, 1):
                probes.append(
                    (
                        plan.pk,
                        None,
                        None,
                        plan.start_date - dt.timedelta(days=back),
                        max(0, round(base + rng.gauss(0, 3), 0)),
                        True,
                    )
                )
        copy_create(phases, batch_size=BATCH)

        # A second, behaviour measure for some reading plans (LAUSD's "multiple measures of
        # data ... for instruction and behavior", seed 000): a daily behaviour card %.
        extra_measures, extra_meta = [], []
        for index, plan in enumerate(plans):
            if plan.area in ("reading", "ela") and index % 6 == 0:
                card, card_base, card_growth = MEASURES["behavior"]
                start_score = round(rng.gauss(card_base, 6), 0)
                extra_measures.append(
                    PlanMeasure(
                        district=district,
                        plan=plan,
                        measure=card,
                        goal_target=min(100.0, round(start_score + card_growth * 18, 0)),
                        goal_target_date=plan.goal_target_date,
                    )
                )
                extra_meta.append((start_score, card_growth * rng.choice([1.3, 1.0, 0.6, 0.1])))
        extra_measures = copy_create(extra_measures, batch_size=BATCH)
        card_of = {m.plan_id: (m, meta) for m, meta in zip(extra_measures, extra_meta, strict=False)}
        for measure, (start_score, _) in card_of.values():
            for back in (3, 2, 1):
                probes.append(
                    (
                        measure.plan_id,
                        measure.pk,
                        None,
                        measure.plan.start_date - dt.timedelta(days=back),
                        max(0, min(100, round(start_score + rng.gauss(0, 4), 0))),
                        True,
                    )
                )

        # Sessions: the group's meeting days that are school days (the district's calendar:
        # no session on a holiday or break), from the earliest plan start to yesterday;
        # today's sessions are left for the provider to log.
        by_group = defaultdict(list)
        for plan, (base, _) in zip(plans, plan_meta, strict=False):
            by_group[plan.group_id].append((plan, base))
        earliest = min(p.start_date for p in plans)
        closed = non_instructional_by_school(
            district=district, school_ids={g.school_id for g in groups}, start=earliest, end=as_of
        )
        session_rows, session_members = [], []
        for group in groups:
            members = by_group[group.pk]
            first = min(p.start_date for p, _ in members)
            day = first - dt.timedelta(days=first.weekday())
            days_off = closed.get(group.school_id, frozenset())
            while day <= as_of:
                for position, weekday in enumerate(group.meeting_weekdays):
                    when = day + dt.timedelta(days=weekday)
                    if when < first or when >= as_of or when in days_off:
                        continue
                    offset = position
                    roll = rng.random()
                    kind = "cancelled" if roll < 0.03 else "provider_absent" if roll < 0.05 else "held"
                    minutes = (
                        0
                        if kind != "held"
                        else (
                            group.minutes_per_session if rng.random() > 0.1 else max(5, group.minutes_per_session - 10)
                        )
                    )
                    session_rows.append((group.pk, group.provider_id, group.provider_id, when, minutes))
                    session_members.append((kind, [(p, b) for p, b in members if p.start_date <= when], offset == 0))
                day += dt.timedelta(days=7)
        # Millions of rows at a state's size: plain tuples, not model instances (demo/bulk.py).
        session_ids = next_ids(InterventionSession, len(session_rows))
        copy_values(
            InterventionSession,
            ["id", "district_id", "group_id", "provider_id", "logged_by_id", "date", "minutes"],
            ((pk, district.pk, *row) for pk, row in zip(session_ids, session_rows, strict=True)),
        )
        attendance = []
        for session_id, (_group, _provider, _logged_by, when, _minutes), (kind, members, probe_day) in zip(
            session_ids, session_rows, session_members, strict=True
        ):
            for plan, base in members:
                if kind != "held":
                    status = kind
                else:
                    status = "student_absent" if rng.random() < 0.08 else "present"
                attendance.append((district.pk, session_id, plan.pk, status))
                if probe_day and status == "present":
                    weeks = (when - plan.start_date).days / 7
                    score = base + growth[plan.pk] * weeks + rng.gauss(0, 2.5)
                    probes.append((plan.pk, None, session_id, when, max(0, round(score, 0)), False))
                    if plan.pk in card_of:
                        measure, (start_score, card_slope) = card_of[plan.pk]
                        card = start_score + card_slope * weeks + rng.gauss(0, 4)
                        probes.append((plan.pk, measure.pk, None, when, max(0, min(100, round(card, 0))), False))
        copy_values(Attendance, ["district_id", "session_id", "plan_id", "status"], attendance)
        copy_values(
            Probe,
            ["district_id", "plan_id", "measure_id", "session_id", "date", "score", "is_baseline"],
            ((district.pk, *row) for row in probes),
        )
        return {
            "groups": len(groups),
            "plans": len(plans),
            "sessions": len(session_rows),
            "attendance": len(attendance),
            "probes": len(probes),
        }

"""Fixture data for the report tests, with every expected number worked out by hand.

Dates are relative to today (a Monday a dozen weeks back), so the numbers hold
whatever day the suite runs. The fidelity case, at district A's elementary school
under Loudon's policy (threshold 80 %, basis both, "minutes must match the dosage"):

range: RANGE_START (a Monday) .. RANGE_START + 27 days = exactly 4 weeks

| plan | student (flags)          | provider     | intervention | tier | dosage    | planned | sessions in the range                                   |
|------|--------------------------|--------------|--------------|------|-----------|---------|---------------------------------------------------------|
| P1   | Ames (english learner)   | specialist A | Fundations   | 2    | 4 x 30    | 16      | group G1: 16 held (2 of them 20 min); present at all 16 |
| P2   | Baker (none), grade 3    | specialist A | Fundations   | 2    | 4 x 30    | 16      | group G1: present 13 (both short ones), absent 3        |
| P3   | Cole (disability, IEP)   | specialist B | Lexia        | 3    | 5 x 60    | 20      | one-to-one: 17 present, then 1 provider absent          |
| P4   | Diaz (none), grade 3     | specialist A | Fundations   | 2    | 4 x 30    | 16      | one-to-one: present on days 0 and 1 only                |

Delivered sessions count only full-length ones (Loudon), minutes count as logged:

| plan | attended sessions | %       | minutes held | minutes attended | exposure % | at 80 %? |
|------|-------------------|---------|--------------|------------------|------------|----------|
| P1   | 16 - 2 short = 14 | 87.5    | 14x30+2x20=460 | 460            | 95.8       | yes      |
| P2   | 13 - 2 short = 11 | 68.75   | 460            | 11x30+2x20=370   | 77.1       | no       |
| P3   | 17                | 85.0    | 1020           | 1020             | 85.0       | yes      |
| P4   | 2                 | 12.5    | 60             | 60               | 12.5       | no       |
| all  | 44 of 68          | 64.7    | 2000 of 2640 (75.8) | 1910 of 2640 (72.3) |     | 2 of 4   |

By interventionist: A (P1, P2, P4) 27 of 48 = 56.25 %; B (P3) 17 of 20 = 85 %.
By subgroup: English learner 14/16 = 87.5 %; disability 17/20 = 85 %; none (P2, P4) 13/32 = 40.6 %.
As of the range's end (day 27): probes weekly (Loudon, 7 days, grace 2): P1 probed on
days 7, 14, 21 -> next due day 28, on schedule; P2 probed on day 7 only -> overdue, gap
20 days; P3 and P4 never -> overdue. So probes overdue 3, PM on schedule 1 of 4. No
session in 14 days: P4 (last on day 1). Reviews (Loudon: first after 9 weeks): none due
on day 27; all four due on day 70.

A completed plan that ended before the range, a plan at the district's other school
and district B's plans must not appear.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from interventions.models import Attendance, Intervention, InterventionGroup, InterventionSession, Plan, Probe
from interventions.services import plan_create
from mtss.models import Role
from mtss.policy import preset_data
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context
from tests import factories as f


def monday_weeks_ago(weeks: int) -> dt.date:
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks)


RANGE_DAYS = 27


def load_policy(side, preset: str = "loudon-county-tn") -> None:
    with tenant_context(side.district):
        policy_version_create(
            district=side.district, actor=None, data=preset_data(preset), effective_from=dt.date(2020, 8, 1)
        )


def _sessions(district, *, day_minutes, attendance, group=None, plan=None, provider):
    """Sessions on the given (day, minutes) with attendance {plan: [status per session]}."""
    sessions = InterventionSession.objects.bulk_create(
        [
            InterventionSession(district=district, group=group, plan=plan, provider=provider, date=day, minutes=minutes)
            for day, minutes in day_minutes
        ]
    )
    rows = []
    for plan_obj, statuses in attendance.items():
        for session, status in zip(sessions, statuses, strict=False):
            if status is not None:
                rows.append(Attendance(district=district, session=session, plan=plan_obj, status=status))
    Attendance.objects.bulk_create(rows)
    return sessions


def fidelity_case(world) -> dict:
    side = world.a
    district, school = side.district, side.school
    load_policy(side)
    start = monday_weeks_ago(12)
    specialist_a = side.intervention_specialist
    specialist_b = f.make_member(district, Role.INTERVENTION_SPECIALIST, schools=[school], username="specialist-b")
    specialist_b.first_name, specialist_b.last_name = "Robin", "Bell"
    specialist_b.save()
    specialist_a.first_name, specialist_a.last_name = "Alex", "Archer"
    specialist_a.save()
    ames = f.make_student(district, school, last_name="Ames", grade=2, english_learner=True)
    baker = f.make_student(district, school, last_name="Baker", grade=3)
    cole = f.make_student(district, school, last_name="Cole", grade=2, disability_iep=True)
    diaz = f.make_student(district, school, last_name="Diaz", grade=3)
    elsewhere = f.make_student(district, side.other_school, last_name="Evans", grade=7)
    done = f.make_student(district, school, last_name="Finch", grade=2)
    with tenant_context(district):
        fundations = Intervention.objects.create(district=district, name="Fundations", area="reading", tiers=[2, 3])
        lexia = Intervention.objects.create(district=district, name="Lexia", area="reading", tiers=[2, 3])
        group = InterventionGroup.objects.create(
            district=district,
            school=school,
            provider=specialist_a,
            name="Grade 2-3 fluency",
            area="reading",
            tier=2,
            intervention=fundations,
            sessions_per_week=4,
            minutes_per_session=30,
        )
        baseline = [
            (start - dt.timedelta(days=3), 40),
            (start - dt.timedelta(days=2), 42),
            (start - dt.timedelta(days=1), 44),
        ]

        def make(student, provider, intervention, tier, per_week, minutes, group=None, begin=start):
            plan, _ = plan_create(
                district=district,
                actor=None,
                student=student,
                area="reading",
                tier=tier,
                intervention=intervention,
                provider=provider,
                group=group,
                start_date=begin,
                expected_end_date=begin + dt.timedelta(weeks=18),
                goal_measure="R-CBM WRC",
                goal_target=90,
                goal_target_date=begin + dt.timedelta(weeks=18),
                sessions_per_week=per_week,
                minutes_per_session=minutes,
                baseline_probes=baseline,
            )
            return plan

        p1 = make(ames, specialist_a, fundations, 2, 4, 30, group)
        p2 = make(baker, specialist_a, fundations, 2, 4, 30, group)
        p3 = make(cole, specialist_b, lexia, 3, 5, 60)
        p4 = make(diaz, specialist_a, fundations, 2, 4, 30)
        specialist_c = f.make_member(
            district, Role.INTERVENTION_SPECIALIST, schools=[side.other_school], username="specialist-c"
        )
        other = make(elsewhere, specialist_c, fundations, 2, 4, 30)
        finished = make(done, specialist_a, fundations, 2, 4, 30, begin=start - dt.timedelta(weeks=20))
        Plan.objects.filter(pk=finished.pk).update(
            status=Plan.Status.COMPLETED, expected_end_date=start - dt.timedelta(days=1)
        )

        # Group G1: Monday to Thursday for four weeks; two 20-minute sessions (days 2 and 9).
        days = [start + dt.timedelta(days=7 * w + d) for w in range(4) for d in range(4)]
        day_minutes = [(day, 20 if (day - start).days in (2, 9) else 30) for day in days]
        absent = {(start + dt.timedelta(days=n)) for n in (14, 15, 21)}  # full-length sessions
        _sessions(
            district,
            group=group,
            provider=specialist_a,
            day_minutes=day_minutes,
            attendance={
                p1: ["present"] * 16,
                p2: ["student_absent" if day in absent else "present" for day in days],
            },
        )
        # P3: one-to-one, 5 a week: present on the first 17 weekdays, then the provider was absent.
        weekdays = [start + dt.timedelta(days=7 * w + d) for w in range(4) for d in range(5)]
        _sessions(
            district,
            plan=p3,
            provider=specialist_b,
            day_minutes=[(d, 60) for d in weekdays[:18]],
            attendance={p3: ["present"] * 17 + ["provider_absent"]},
        )
        # P4: two sessions at the start, then nothing.
        _sessions(
            district,
            plan=p4,
            provider=specialist_a,
            day_minutes=[(start, 30), (start + dt.timedelta(days=1), 30)],
            attendance={p4: ["present", "present"]},
        )
        # A session after the range must not count in it.
        _sessions(
            district,
            group=group,
            provider=specialist_a,
            day_minutes=[(start + dt.timedelta(days=RANGE_DAYS + 1), 30)],
            attendance={p1: ["present"], p2: ["present"]},
        )
        _sessions(
            district, plan=other, provider=specialist_c, day_minutes=[(start, 30)], attendance={other: ["present"]}
        )
        Probe.objects.bulk_create(
            [
                Probe(district=district, plan=p1, date=start + dt.timedelta(days=n), score=45 + n / 7)
                for n in (7, 14, 21)
            ]
            + [Probe(district=district, plan=p2, date=start + dt.timedelta(days=7), score=43)]
        )
    return {
        "side": side,
        "school": school,
        "start": start,
        "end": start + dt.timedelta(days=RANGE_DAYS),
        "plans": {"P1": p1, "P2": p2, "P3": p3, "P4": p4},
        "other": other,
        "finished": finished,
        "specialists": {"A": specialist_a, "B": specialist_b},
        "group": group,
        "interventions": {"Fundations": fundations, "Lexia": lexia},
    }


def access_logs(district, **filters) -> list:
    """Access-log rows of a district (read inside its tenant context: row-level security)."""
    from mtss.models import AccessLog

    with tenant_context(district):
        return list(AccessLog.objects.filter(district=district, **filters).order_by("id"))

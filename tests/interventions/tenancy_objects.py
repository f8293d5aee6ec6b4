"""One district's intervention objects, for the cross-district URL check (tests/test_tenancy_urls.py).

`OBJECT_IDS` maps each route id to a function of a side (a district
of the `world` fixture) that returns that district's object id. The objects are
built once per side and kept on it, so calling the functions for every route
and every role creates nothing twice.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def _objects(side) -> dict:
    cached = side.__dict__.get("_intervention_objects")
    if cached is not None:
        return cached

    from interventions.models import ActionItem, Intervention, Probe, ReadingDetermination, Rimp, TierPlacement
    from interventions.pdsa.services import pdsa_create
    from interventions.referrals.services import referral_request
    from interventions.services import group_create, plan_create, session_log
    from mtss.models import SchoolYear
    from mtss.tenancy import tenant_context
    from tests.factories import make_school_year

    today = timezone.localdate()
    start = today - dt.timedelta(days=14)
    specialist = side.users["intervention_specialist"]
    with tenant_context(side.district):
        intervention = Intervention.objects.create(
            district=side.district, name="Tenancy check program", area="reading", tiers=[2, 3]
        )
        group = group_create(
            district=side.district,
            actor=None,
            school=side.school,
            provider=specialist,
            name="Tenancy check group",
            area="reading",
            tier=2,
            intervention=intervention,
            sessions_per_week=4,
            minutes_per_session=30,
        )
        plan, _ = plan_create(
            district=side.district,
            actor=None,
            student=side.students[0],
            area="reading",
            tier=2,
            intervention=intervention,
            provider=specialist,
            group=group,
            start_date=start,
            expected_end_date=start + dt.timedelta(weeks=12),
            goal_measure="R-CBM WRC",
            goal_target=90,
            goal_target_date=start + dt.timedelta(weeks=12),
            sessions_per_week=4,
            minutes_per_session=30,
        )
        session = session_log(
            district=side.district,
            actor=specialist,
            group=group,
            date=today - dt.timedelta(days=7),
            minutes=30,
            attendance={},
        )
        placement = TierPlacement.objects.get(
            district=side.district, student=side.students[0], area="reading", end_date__isnull=True
        )
        from interventions.meetings.services import agenda_add, meeting_create

        meeting = meeting_create(
            district=side.district, actor=None, school=side.school, team_type="s_team", starts_at=timezone.now()
        )[0]
        item = agenda_add(
            district=side.district,
            actor=specialist,
            meeting=meeting,
            student=side.students[0],
            reason="tenancy check",
            area="reading",
        )
        action = ActionItem.objects.create(
            district=side.district, meeting=meeting, description="Tenancy check", owner=specialist, due_date=today
        )
        probe = Probe.objects.create(district=side.district, plan=plan, date=start, score=40)
        referral = referral_request(district=side.district, actor=None, student=side.students[0], area="reading")
        year = SchoolYear.objects.filter(district=side.district).first() or make_school_year(side.district)
        determination = ReadingDetermination.objects.create(
            district=side.district,
            student=side.students[0],
            school_year=year,
            status=ReadingDetermination.Status.NOT_ON_TRACK,
            grade=side.students[0].grade,
            determined_on=start,
            rimp_due=start + dt.timedelta(days=60),
        )
        rimp = Rimp.objects.create(
            district=side.district,
            student=side.students[0],
            determination=determination,
            deficiency="Decoding",
            supplemental_instruction="Phonics, 30 minutes daily",
            monitoring="Weekly R-CBM",
            parent_involvement="Nightly reading log",
            approver_role="principal",
        )
        cycle = pdsa_create(
            district=side.district,
            actor=specialist,
            school=side.school,
            title="Tenancy check cycle",
            aim="Raise the share responding",
            change_idea="Smaller groups",
            measures="Responding share",
            start_date=start,
            study_date=today,
        )
    objects = {
        "intervention": intervention,
        "group": group,
        "plan": plan,
        "session": session,
        "placement": placement,
        "meeting": meeting,
        "item": item,
        "action": action,
        "probe": probe,
        "referral": referral,
        "rimp": rimp,
        "cycle": cycle,
    }
    side.__dict__["_intervention_objects"] = objects
    return objects


OBJECT_IDS = {
    "intervention_id": lambda side: _objects(side)["intervention"].pk,
    "placement_id": lambda side: _objects(side)["placement"].pk,
    "plan_id": lambda side: _objects(side)["plan"].pk,
    "group_id": lambda side: _objects(side)["group"].pk,
    "session_id": lambda side: _objects(side)["session"].pk,
    "meeting_id": lambda side: _objects(side)["meeting"].pk,
    "item_id": lambda side: _objects(side)["item"].pk,
    "action_id": lambda side: _objects(side)["action"].pk,
    "probe_id": lambda side: _objects(side)["probe"].pk,
    "referral_id": lambda side: _objects(side)["referral"].pk,
    "rimp_id": lambda side: _objects(side)["rimp"].pk,
    "cycle_id": lambda side: _objects(side)["cycle"].pk,
}

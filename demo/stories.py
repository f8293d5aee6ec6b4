"""Demo: each district's letters, made by the real services (issue 13, scope 6).

The seed writes students, plans and scores straight to the database, so no event fires and no
letter exists. Here the schools' own steps run afterwards, through the services that staff use,
so the letters the policy requires are queued exactly as in production:

- Loudon County: the fall window's screening letters (the at-risk letter to the parents of the
  students below the 25th percentile, with the invitation to join the child's team); an S-Team
  meeting held last week, decided and closed, whose outcome letters went to the families who did
  not attend; and next week's S-Team meeting, its agenda built, with the invitation letters.
- Holland Patent: the start notice ("Notice of Response to Intervention services", 8 NYCRR
  100.2(ii)) of the most recent Tier 2 and 3 plans, and an SBIT meeting held last week that ended
  services for a student, which sends the end notice with the teacher's recommendation.
- Ohio and LAUSD get a held meeting and a scheduled one too (their policies name their own letters).

Sizes are small and fixed (the test suite seeds the demo several times); everything is ordered,
so the same seed gives the same letters.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.db.models.functions import Length

from interventions.meetings.services import agenda_build, decision_record, meeting_close, meeting_create
from interventions.models import AgendaItem, Decision, Meeting, Plan, TeamType, TierPlacement
from mtss.calendars.selectors import non_instructional_by_school
from mtss.models import District, Membership, Role
from notifications.services import screening_letters_create
from notifications.triggers import placement_notices_queue
from screening.models import ScreeningWindow
from students.models import Student

TEAM = {
    "loudon-county-tn": TeamType.S_TEAM,
    "holland-patent-ny": TeamType.SBIT,
    "ohio-virtual-academy": TeamType.TBT,
    "lausd-secondary": TeamType.SST,
}
# Decisions recorded at the held meeting (at most this many agenda items; the rest are not discussed).
DECIDED = 4
# The stories are for walking the demo at its default size; a district seeded at benchmark size
# (`--students 50000`) skips them, so a benchmark's seed is not spent queueing 50,000 letters.
MAX_STUDENTS = 5_000
# Holland Patent: start notices for this many of the most recent Tier 2-3 plans.
START_NOTICES = 6


def _member(district: District, role: str) -> Membership | None:
    """The role's demo login (`specialist.loudon`, `admin.hollandpatent`: the README's users)."""
    return (
        Membership.objects.filter(district=district, role=role, is_active=True)
        .select_related("user")
        .order_by(Length("user__username"), "user__username")
        .first()
    )


def _school_day(district: District, school_id: int, day: dt.date, step: int) -> dt.date:
    """The nearest weekday from `day` (going by `step`) that is not a break or holiday."""
    closed = non_instructional_by_school(
        district=district,
        school_ids=[school_id],
        start=min(day, day + dt.timedelta(days=30 * step)),
        end=max(day, day + dt.timedelta(days=30 * step)),
    ).get(school_id, set())
    while day.weekday() >= 5 or day in closed:
        day += dt.timedelta(days=step)
    return day


def _at(district: District, day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 30), tzinfo=zoneinfo.ZoneInfo(district.timezone))


def _held_meeting(district: District, slug: str, school_id: int, actor, as_of: dt.date) -> dict:
    """Last week's team meeting: agenda built, the first items decided, closed (the close queues the
    decisions' notices and the outcome letters)."""
    day = _school_day(district, school_id, as_of - dt.timedelta(days=7), -1)
    (meeting,) = meeting_create(
        district=district,
        actor=actor.user,
        school=actor.schools.get(pk=school_id),
        team_type=TEAM[slug],
        starts_at=_at(district, day, 15),
        location="Library conference room",
        purpose="Review of the students in intervention",
    )
    agenda_build(district=district, actor=actor.user, meeting=meeting)
    items = list(
        AgendaItem.objects.filter(district=district, meeting=meeting, plan__isnull=False)
        .select_related("plan")
        .order_by("position", "id")
    )
    decided = 0
    # The first decided student leaves intervention (the end notice); the others continue.
    kinds = [Decision.Kind.EXIT] + [Decision.Kind.CONTINUE] * (DECIDED - 1)
    for item in items:
        if decided >= DECIDED:
            break
        try:
            decision_record(
                district=district,
                actor=actor.user,
                item=item,
                kind=kinds[decided],
                notes=(
                    "Met the goal on the last six probes; the classroom teacher recommends ending the services."
                    if kinds[decided] == Decision.Kind.EXIT
                    else "Keep the plan as written; review at the next meeting."
                ),
            )
        except ValidationError:
            continue
        decided += 1
    meeting_close(district=district, actor=actor.user, meeting=meeting)
    return {"meetings_held": 1, "decisions": decided}


def _scheduled_meeting(district: District, slug: str, school_id: int, actor, as_of: dt.date) -> dict:
    """Next week's meeting, its agenda built: the families of the students on it are invited."""
    day = _school_day(district, school_id, as_of + dt.timedelta(days=7), 1)
    (meeting,) = meeting_create(
        district=district,
        actor=actor.user,
        school=actor.schools.get(pk=school_id),
        team_type=TEAM[slug],
        starts_at=_at(district, day, 15),
        location="Library conference room",
        purpose="Review of the students in intervention",
    )
    agenda_build(district=district, actor=actor.user, meeting=meeting)
    return {"meetings_scheduled": 1}


def _start_notices(district: District, school_ids: list[int]) -> int:
    """Holland Patent's start notices for the most recent plans, as the plan form sends them."""
    plans = (
        Plan.objects.filter(
            district=district,
            status=Plan.Status.ACTIVE,
            placement__tier__gte=2,
            student__school__in=school_ids,
            student__exit_date__isnull=True,
        )
        .select_related("student", "placement")
        .order_by("-placement__start_date", "student__last_name", "pk")[:START_NOTICES]
    )
    count = 0
    for plan in plans:
        previous = (
            TierPlacement.objects.filter(district=district, student=plan.student, area=plan.area)
            .exclude(pk=plan.placement_id)
            .order_by("-start_date")
            .values_list("tier", flat=True)
            .first()
        )
        count += len(
            placement_notices_queue(
                district=district,
                student=plan.student,
                placement=plan.placement,
                plan=plan,
                previous_tier=previous,
            )
        )
    return count


def seed_stories(*, district: District, slug: str, as_of: dt.date) -> dict:
    if slug not in TEAM or Meeting.objects.filter(district=district).exists():
        return {}
    if Student.objects.filter(district=district).count() > MAX_STUDENTS:
        return {}
    actor = _member(district, Role.INTERVENTION_SPECIALIST) or _member(district, Role.DISTRICT_ADMIN)
    if actor is None:
        return {}
    schools = list(actor.schools.values_list("pk", flat=True))
    # The actor's school with the most students in intervention: the busiest team.
    top = (
        Plan.objects.filter(district=district, status=Plan.Status.ACTIVE, student__school__in=schools)
        .values("student__school")
        .annotate(n=Count("pk"))
        .order_by("-n", "student__school")
        .first()
    )
    if top is None:
        return {}
    school_id = top["student__school"]
    counts: dict = {}
    if slug == "loudon-county-tn":
        window = (
            ScreeningWindow.objects.filter(district=district, season="fall", end_date__lt=as_of)
            .order_by("-end_date")
            .first()
        )
        if window is not None:
            counts["screening_letters"] = screening_letters_create(district=district, window=window)
    if slug == "holland-patent-ny":
        counts["start_notices"] = _start_notices(district, schools)
    counts.update(_held_meeting(district, slug, school_id, actor, as_of))
    counts.update(_scheduled_meeting(district, slug, school_id, actor, as_of))
    return counts

"""Every policy notice trigger, fired from the event that causes it (issue 13, scope 1).

The lower apps announce what happened (mtss/events.py); these handlers, subscribed in
NotificationsConfig.ready(), decide which students' families get which letter and
queue it through the outbox (`notices_for_event` / `notices_for_students`): in the
caller's transaction, once per unique key, in each guardian's language, due by the
policy's timing. Scheduled triggers (start of year, screening windows) are jobs in
notifications/tasks.py that call the functions here.

Trigger -> what fires it:
- meeting_scheduled: a meeting is created, or students are put on its agenda (agenda_build,
  agenda_add) -> one invitation per agenda student, period "meeting-<id>".
- meeting_outcome: a meeting closes -> one letter per decided student whose guardian did not
  attend (Loudon: "If the parent cannot attend the S-Team meeting he or she will be advised of
  the outcome of the meeting via telephone and/or letter"), period "meeting-<id>".
- tier_start / tier_end / referral_considered: a meeting decision (DECISION_NOTICE_DUE), and a
  tier placement opened by a new plan (PLACEMENT_STARTED), period "placement-<id>".
- start_of_year: a daily job, on or after the school year's first instructional day (for two
  weeks, so a missed run catches up), or a district administrator's "send" -> every enrolled
  student, period "year-<school year>".
- screening_completed / screening_at_risk: a daily job after each benchmark window closes ->
  one letter per screened student and window, period "screening-<window id>".
- mid_year_entry: a student enrolled after the year's first instructional day (STUDENTS_ENROLLED),
  period "entry-<school year>".
- not_on_track: the Ohio determination (NOT_ON_TRACK_DETERMINED), period "not-on-track-<year>".
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from interventions.models import AgendaItem, Decision, Meeting, MeetingAttendee, Plan, TierPlacement
from mtss.calendars.selectors import non_instructional_by_school
from mtss.models import District, SchoolYear, User
from mtss.policy.adapters import instructional_weekdays
from mtss.rules.calendar import SchoolCalendar
from mtss.selectors import policy_document
from notifications.models import Notice, NoticeStatus
from notifications.services import notice_resend_to_guardians, notices_for_event, notices_for_students
from students.models import Enrollment, Student

# How long after the first instructional day the daily job still sends the start-of-year
# letters: a missed run (a holiday outage) catches up; later entrants get the mid-year letter.
START_OF_YEAR_CATCH_UP_DAYS = 14
BATCH = 500


# --- meetings -----------------------------------------------------------------------------------


def meeting_details(meeting: Meeting) -> dict:
    """The meeting as the letters show it (notifications/letters/render.py `_meeting`)."""
    local = timezone.localtime(meeting.starts_at)
    return {
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "place": meeting.location,
        "purpose": meeting.purpose or meeting.get_team_type_display(),
        "team": meeting.get_team_type_display(),
    }


def meeting_invitations_queue(
    *, district: District, meeting: Meeting, actor: User | None = None, student_ids: list[int] | None = None
) -> list[Notice]:
    """The policy's `meeting_scheduled` letter to the families of the students on the agenda
    (all of them, or `student_ids` just added): date, time, place, purpose, and the invitation
    to join the child's team (Loudon: the Intervention Specialist "will invite the parents to
    become a member of their child's intervention team").

    A meeting that is closed or already past invites nobody: a letter inviting a family to a
    meeting that has happened helps no one.
    """
    if meeting.district_id != district.pk or meeting.status == Meeting.Status.CLOSED:
        return []
    if timezone.localtime(meeting.starts_at).date() < timezone.localdate():
        return []
    items = AgendaItem.objects.filter(district=district, meeting=meeting).select_related("student", "plan")
    if student_ids is not None:
        items = items.filter(student_id__in=student_ids)
    tiers: dict[int, int | None] = {}
    students: dict[int, Student] = {}
    for item in items.order_by("position", "id"):
        students.setdefault(item.student_id, item.student)
        tier = item.plan.tier if item.plan_id and item.plan else None
        tiers[item.student_id] = max(filter(None, [tiers.get(item.student_id), tier]), default=None)
    if not students:
        return []
    context = {"meeting": meeting_details(meeting), "meeting_date": meeting_details(meeting)["date"]}
    created = []
    # Grouped by tier: a policy notice may name the tiers it is for (Ohio's Tier III meeting).
    for tier in sorted({t for t in tiers.values() if t is not None}) + [None]:
        group = [s for pk, s in students.items() if tiers[pk] == tier]
        if group:
            created += notices_for_students(
                district=district,
                students=group,
                trigger="meeting_scheduled",
                period_key=f"meeting-{meeting.pk}",
                actor=actor,
                context=context,
                meeting=meeting,
                tier=tier,
            )
    return created


def meeting_outcomes_queue(*, district: District, meeting: Meeting, actor: User | None = None) -> list[Notice]:
    """After the meeting closes: one `meeting_outcome` letter per decided student, listing every
    decision the team applied for that student, unless a guardian of the student attended."""
    decisions = list(
        Decision.objects.filter(district=district, meeting=meeting, applied_at__isnull=False)
        .select_related("student", "plan")
        .order_by("student_id", "id")
    )
    attended = set(
        MeetingAttendee.objects.filter(
            district=district, meeting=meeting, kind=MeetingAttendee.Kind.GUARDIAN, attended=True
        )
        .exclude(guardian__isnull=True)
        .values_list("guardian__student_id", flat=True)
    )
    details = meeting_details(meeting)
    students: dict[int, Student] = {}
    contexts: dict[int, dict] = {}
    for decision in decisions:
        if decision.student_id in attended:
            continue
        students.setdefault(decision.student_id, decision.student)
        context = contexts.setdefault(
            decision.student_id, {"meeting": details, "meeting_date": details["date"], "decisions": []}
        )
        context["decisions"].append(
            {"decision": decision.kind, "area": decision.plan.area if decision.plan else "", "notes": decision.notes}
        )
        context.setdefault("decision", decision.kind)
        if decision.notes.strip():
            context.setdefault("summary", decision.notes.strip())
    if not students:
        return []
    return notices_for_students(
        district=district,
        students=list(students.values()),
        trigger="meeting_outcome",
        period_key=f"meeting-{meeting.pk}",
        actor=actor,
        contexts=contexts,
        meeting=meeting,
    )


# --- placements from a plan ---------------------------------------------------------------------


def placement_notices_queue(
    *,
    district: District,
    student: Student,
    placement: TierPlacement,
    plan: Plan,
    previous_tier: int | None,
    actor: User | None = None,
) -> list[Notice]:
    """The policy's start notice when a plan opens a tier placement (the plan form; Holland
    Patent's "Notice of Response to Intervention services", 8 NYCRR 100.2(ii), RULES.md 4.1).

    The reason is written by the letter in the family's language from the plan (area, tier,
    intervention, goal): the placement's own reason is staff shorthand ("Plan started").
    """
    if placement.tier < 2:
        return []
    context = {
        "plan_ids": [plan.pk],
        "start_date": placement.start_date.isoformat(),
        "to_tier": placement.tier,
        "area": placement.area,
        "reason_key": "plan_placement",
        "goal": {
            "measure": plan.goal_measure,
            "target": plan.goal_target,
            "date": plan.goal_target_date.isoformat(),
        },
    }
    if previous_tier and previous_tier > 1 and previous_tier != placement.tier:
        context["from_tier"] = previous_tier
    return notices_for_event(
        district=district,
        student=student,
        trigger="tier_start",
        period_key=f"placement-{placement.pk}",
        actor=actor,
        context=context,
        tier=placement.tier,
    )


# --- the school year ------------------------------------------------------------------------------


def first_instructional_day(*, district: District, school_year: SchoolYear, policy=None) -> dt.date:
    """The year's first school day: its start date, or the first instructional weekday after
    it that the district's calendar does not close (mtss/rules/calendar.py)."""
    if policy is None:
        _version, policy = policy_document(district=district, as_of=school_year.start_date)
    end = min(school_year.end_date, school_year.start_date + dt.timedelta(days=60))
    closed = non_instructional_by_school(district=district, school_ids=[None], start=school_year.start_date, end=end)
    calendar = SchoolCalendar(
        closed.get(None, frozenset()), instructional_weekdays(policy) if policy else (0, 1, 2, 3, 4)
    )
    day = school_year.start_date
    while day <= end:
        if calendar.is_instructional(day):
            return day
        day += dt.timedelta(days=1)
    return school_year.start_date


def school_year_on(*, district: District, day: dt.date) -> SchoolYear | None:
    return (
        SchoolYear.objects.filter(district=district, start_date__lte=day, end_date__gte=day)
        .order_by("-start_date")
        .first()
    )


def start_of_year_students(*, district: District, school_year: SchoolYear, first_day: dt.date) -> QuerySet[Student]:
    """Every student enrolled in the year from its first day (an enrolment starting later is a
    mid-year entry) and not withdrawn; a district that keeps no enrolments: every active
    student who had entered by the first day."""
    active = Student.objects.filter(district=district).filter(Q(exit_date__isnull=True) | Q(exit_date__gte=first_day))
    enrollments = Enrollment.objects.filter(district=district, school_year=school_year)
    if enrollments.exists():
        return active.filter(pk__in=enrollments.filter(start_date__lte=first_day).values("student_id")).order_by("id")
    return active.filter(entry_date__lte=first_day).order_by("id")


def start_of_year_period(school_year: SchoolYear) -> str:
    return f"year-{school_year.name}"


def start_of_year_summary(*, district: District, school_year: SchoolYear) -> dict:
    """What "send start-of-year letters" would do: students, and those already sent."""
    first_day = first_instructional_day(district=district, school_year=school_year)
    students = start_of_year_students(district=district, school_year=school_year, first_day=first_day)
    done = (
        Notice.objects.filter(district=district, trigger="start_of_year", period_key=start_of_year_period(school_year))
        .values("student_id")
        .distinct()
        .count()
    )
    total = students.count()
    return {"school_year": school_year, "first_day": first_day, "students": total, "already": min(done, total)}


def start_of_year_letters_create(
    *, district: District, school_year: SchoolYear, actor: User | None = None
) -> list[Notice]:
    """The policy's `start_of_year` letter (the program explanation; Loudon: "Parents will be
    contacted at the beginning of the year") for every enrolled student's family.
    Idempotent per school year: the period is the year, so a re-run adds only families new
    since the last run. Written in batches, each in its own transaction."""
    first_day = first_instructional_day(district=district, school_year=school_year)
    students = start_of_year_students(district=district, school_year=school_year, first_day=first_day)
    created: list[Notice] = []
    batch: list[Student] = []
    for student in students.iterator(chunk_size=BATCH):
        batch.append(student)
        if len(batch) == BATCH:
            created += _start_of_year_batch(district, batch, school_year, actor)
            batch = []
    if batch:
        created += _start_of_year_batch(district, batch, school_year, actor)
    return created


def _start_of_year_batch(district, students, school_year, actor) -> list[Notice]:
    with transaction.atomic():
        return notices_for_students(
            district=district,
            students=students,
            trigger="start_of_year",
            period_key=start_of_year_period(school_year),
            actor=actor,
            context={"school_year": school_year.name},
        )


def start_of_year_due(*, district: District, today: dt.date) -> SchoolYear | None:
    """The school year whose start-of-year letters are due today: on or after its first
    instructional day, within the catch-up days."""
    year = school_year_on(district=district, day=today)
    if year is None:
        return None
    first_day = first_instructional_day(district=district, school_year=year)
    if first_day <= today <= first_day + dt.timedelta(days=START_OF_YEAR_CATCH_UP_DAYS):
        return year
    return None


# --- students entering mid-year -------------------------------------------------------------------


def mid_year_entry_queue(*, district: District, student_ids: list[int], actor: User | None = None) -> list[Notice]:
    """The `mid_year_entry` letter for each student who entered after the first instructional
    day of the school year they entered in (Loudon: "Parents will be notified and an
    intervention team meeting will be scheduled"), unless the policy's mid_year_entry rule
    says parents are not notified. The letter says when the screening will be done
    (mid_year_entry.screen_within_days_of_enrollment)."""
    _version, policy = policy_document(district=district)
    if policy is None:
        return []
    rule = policy.mid_year_entry
    if rule is not None and not rule.notify_parents:
        return []
    created: list[Notice] = []
    years: dict[int, tuple[SchoolYear, dt.date]] = {}
    for student in Student.objects.filter(district=district, pk__in=student_ids, exit_date__isnull=True).order_by("id"):
        year = school_year_on(district=district, day=student.entry_date)
        if year is None:
            continue
        if year.pk not in years:
            years[year.pk] = (year, first_instructional_day(district=district, school_year=year, policy=policy))
        first_day = years[year.pk][1]
        if student.entry_date <= first_day:
            continue
        context = {"entry_date": student.entry_date.isoformat()}
        if rule is not None and rule.screen_within_days_of_enrollment:
            context["screen_by"] = (
                student.entry_date + dt.timedelta(days=rule.screen_within_days_of_enrollment)
            ).isoformat()
        created += notices_for_event(
            district=district,
            student=student,
            trigger="mid_year_entry",
            period_key=f"entry-{year.name}",
            actor=actor,
            context=context,
        )
    return created


# --- event handlers (NotificationsConfig.ready) ---------------------------------------------------


def on_meeting_scheduled(*, district, meeting, actor=None, **_ignored):
    return meeting_invitations_queue(district=district, meeting=meeting, actor=actor)


def on_agenda_students_added(*, district, meeting, student_ids, actor=None, **_ignored):
    if not student_ids:
        return []
    return meeting_invitations_queue(district=district, meeting=meeting, actor=actor, student_ids=list(student_ids))


def on_meeting_closed(*, district, meeting, actor=None, **_ignored):
    return meeting_outcomes_queue(district=district, meeting=meeting, actor=actor)


def on_placement_started(*, district, student, placement, plan, previous_tier=None, actor=None, **_ignored):
    return placement_notices_queue(
        district=district, student=student, placement=placement, plan=plan, previous_tier=previous_tier, actor=actor
    )


def on_students_enrolled(*, district, student_ids, actor=None, **_ignored):
    return mid_year_entry_queue(district=district, student_ids=list(student_ids), actor=actor)


def on_guardian_added(*, district, guardian, actor=None, **_ignored):
    """The student's notices recorded without a recipient go to the new guardian (if they receive notices)."""
    if not guardian.receives_notices:
        return []
    created: list[Notice] = []
    for notice in Notice.objects.filter(
        district=district, student_id=guardian.student_id, status=NoticeStatus.NO_RECIPIENT
    ).select_related("student"):
        created += notice_resend_to_guardians(district=district, notice=notice, actor=actor)
    return created


def on_not_on_track(*, district, student, school_year_key: str, actor=None, context: dict | None = None, **_ignored):
    """Ohio's not-on-track notice, "immediately" (the policy's timing), and the RIMP letter
    the policy requires (RULES.md 4.5): once per student and school year. The determination
    may pass the letter's facts in `context` (deficiency, proposed_services)."""
    return notices_for_event(
        district=district,
        student=student,
        trigger="not_on_track",
        period_key=f"not-on-track-{school_year_key}"[:80],
        actor=actor,
        context=context or {},
    )

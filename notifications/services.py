"""Writes for parent notices: queue (the outbox), generate, deliver, acknowledge,
regenerate, print batches, scheduled progress reports, and the district's letter
settings, text overrides and language reviews.

Every function takes the district first. `notices_for_event` is the interface the
meetings and placement code call inside their own decision transaction: it only
writes rows (the outbox) and schedules sending with `transaction.on_commit`, so a
broker that is down at that moment loses nothing (ARCHITECTURE.md, Jobs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.models import Plan
from mtss.jobs import enqueue, enqueue_on_commit
from mtss.models import District, School, SchoolYear, User
from mtss.selectors import policy_document
from mtss.services import audit
from notifications.languages import CATALOGUED, letter_language
from notifications.letters.blocks import OVERRIDABLE_KEYS, LetterIncomplete
from notifications.models import (
    Channel,
    DistrictLanguage,
    LetterSettings,
    LetterText,
    LetterType,
    Notice,
    NoticeEvent,
    NoticeStatus,
    PrintBatch,
    print_batch_path,
)
from screening.models import Score, ScreeningWindow
from students.models import Guardian, Student

log = logging.getLogger(__name__)

# A policy notice's trigger chooses its letter template (mtss.policy.schema.NoticeTrigger).
TRIGGER_LETTER = {
    "start_of_year": LetterType.START_OF_YEAR,
    "screening_completed": LetterType.SCREENING_RESULTS,
    "screening_at_risk": LetterType.SCREENING_RESULTS,
    "not_on_track": LetterType.NOT_ON_TRACK,
    "tier_start": LetterType.PLACEMENT_START,
    "tier_end": LetterType.PLACEMENT_END,
    "meeting_scheduled": LetterType.MEETING_INVITATION,
    "meeting_outcome": LetterType.MEETING_OUTCOME,
    "mid_year_entry": LetterType.MID_YEAR_ENTRY,
    "referral_considered": LetterType.REFERRAL,
}

# What each letter type says whatever the policy lists (the letter types): a
# start-of-services letter always summarises the services, the reason and what happens
# if the expected levels are not reached (8 NYCRR 100.2(ii), RULES.md 4.1); an end
# letter the criteria and the levels reached; a progress report the graph, the rate of
# improvement against the goal, attendance and a plain summary (Loudon, RULES.md 4.4).
LETTER_BLOCKS: dict[str, list[str]] = {
    LetterType.START_OF_YEAR: ["program_overview"],
    LetterType.SCREENING_RESULTS: ["screening_results"],
    LetterType.PLACEMENT_START: ["summary_of_services", "reason_for_services", "consequences_of_not_meeting_levels"],
    LetterType.TIER_CHANGE: [
        "tier_change",
        "summary_of_services",
        "reason_for_services",
        "consequences_of_not_meeting_levels",
    ],
    LetterType.PLACEMENT_END: ["criteria_for_ending", "performance_levels_obtained"],
    # Loudon invites the parents "to become a member of their child's intervention team".
    LetterType.MEETING_INVITATION: ["meeting_details", "team_invitation"],
    LetterType.MEETING_OUTCOME: ["meeting_outcome"],
    LetterType.PROGRESS_REPORT: ["progress_summary", "attendance", "plain_summary"],
    LetterType.NOT_ON_TRACK: ["reading_deficiency", "current_services", "proposed_services", "home_reading_resources"],
    # The approved plan (rimp_letter_queue), with the retention statement a RIMP must carry (RULES.md 4.5).
    LetterType.RIMP: ["reading_deficiency", "rimp_sections", "retention_possible"],
    LetterType.MID_YEAR_ENTRY: ["screening_results"],
    LetterType.REFERRAL: ["right_to_request_evaluation", "meeting_details"],
    # Check-in/check-out: the card's days and points against the daily goal (interventions/cico/).
    LetterType.POINT_CARD_SUMMARY: ["point_card_summary"],
}
PROGRESS_REPORT_KEY = "progress-report"
EVENT_KINDS = set(TRIGGER_LETTER)


def required_blocks(letter_type: str, policy_blocks: Iterable[str] = ()) -> list[str]:
    """The letter type's own blocks, then the policy's, each once, in that order."""
    blocks = list(LETTER_BLOCKS.get(letter_type, []))
    for block in policy_blocks:
        if block not in blocks:
            blocks.append(block)
    return blocks


def _age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _address(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


def _guardian_address(guardian: Guardian) -> str:
    city = " ".join(
        x for x in [f"{guardian.city}," if guardian.city else "", guardian.state, guardian.postal_code] if x
    )
    return _address(
        f"{guardian.first_name} {guardian.last_name}", guardian.address_line1, guardian.address_line2, city.strip()
    )


def _addressed_to(recipient: dict, *, language: str | None = None, by_email: bool = True) -> dict:
    """A notice's recipient fields from one of `_recipients`: e-mailed when the guardian has an
    address (and the notice may go by e-mail), else printed and posted."""
    return {
        "guardian": recipient["guardian"],
        "recipient_key": recipient["key"],
        "recipient_name": recipient["name"][:220],
        "email": recipient["email"],
        "address": recipient["address"],
        "language": language or recipient["language"],
        "channel": Channel.EMAIL if recipient["email"] and by_email else Channel.PRINT,
    }


def _recipients(
    *,
    district: District,
    student: Student,
    older_than: int | None,
    today: dt.date,
    default_language: str,
    guardians: list[Guardian] | None = None,
) -> list[dict]:
    """Guardians who receive notices; the student too when older than the policy's age.

    Holland Patent: "Students over the age of (17) shall also receive written
    notification" (RULES.md 4.2). The student is written to in the district's default
    language: the school teaches in it, and the guardian's copy carries the home language.
    """
    if guardians is None:
        guardians = list(
            Guardian.objects.filter(district=district, student=student, receives_notices=True).order_by("id")
        )
    recipients = [
        {
            "key": f"guardian:{g.pk}",
            "guardian": g,
            "name": f"{g.first_name} {g.last_name}",
            "email": g.email,
            "address": _guardian_address(g),
            "language": g.preferred_language or default_language,
        }
        for g in guardians
        if g.receives_notices
    ]
    if older_than is not None and _age_on(student.birth_date, today) > older_than:
        first_guardian = guardians[0] if guardians else None
        recipients.append(
            {
                "key": "student",
                "guardian": None,
                "name": student.full_name,
                "email": "",
                "address": _address(
                    student.full_name, *(_guardian_address(first_guardian).split("\n")[1:] if first_guardian else [])
                ),
                "language": default_language,
            }
        )
    return recipients


def _applies(notice, *, student: Student, tier: int | None) -> bool:
    if notice.grades and student.grade not in notice.grades:
        return False
    if notice.tiers and (tier is None or tier not in notice.tiers):
        return False
    return True


def _due_date(notice, today: dt.date, context: dict | None = None) -> dt.date | None:
    """When the letter must be out, by the policy's ``timing`` and ``within_days``.

    "before": by the day the event happens (a tier start, a meeting: Loudon's letters before
    a placement and before a meeting), ``within_days`` earlier when given; "immediately":
    today (Ohio's not-on-track notice); "after" or unset: ``within_days`` after today.
    """
    context = context or {}
    if notice.timing == "immediately":
        return today
    if notice.timing == "before":
        event = (context.get("meeting") or {}).get("date") or context.get("start_date") or context.get("meeting_date")
        if event:
            day = dt.date.fromisoformat(str(event))
            return day - dt.timedelta(days=notice.within_days or 0)
    return today + dt.timedelta(days=notice.within_days) if notice.within_days is not None else None


def _event(notice: Notice, verb: str, note: str = "", actor: User | None = None) -> NoticeEvent:
    return NoticeEvent(
        district_id=notice.district_id, notice=notice, status=notice.status, verb=verb, note=note, actor=actor
    )


def _insert_new(district: District, rows: list[Notice], actor: User | None) -> list[Notice]:
    """Insert the rows whose unique key is new; return those (and only those).

    `ignore_conflicts` makes a concurrent insert of the same key (a second worker, a
    re-run) a no-op at the database, with no race between a check and the write.
    """
    if not rows:
        return []
    token = secrets.token_hex(16)
    for row in rows:
        row.insert_token = token
    Notice.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    created = list(
        Notice.objects.filter(
            district=district, insert_token=token, student_id__in={r.student_id for r in rows}
        ).order_by("id")
    )
    NoticeEvent.objects.bulk_create([_event(n, "created", actor=actor) for n in created], batch_size=500)
    return created


def _schedule_send(district: District, notice_ids: list[int]) -> None:
    if notice_ids:
        district_id = district.pk
        transaction.on_commit(lambda: enqueue_send(district_id, notice_ids))


def enqueue_send(district_id: int, notice_ids: list[int]) -> bool:
    """Hand the notices to the broker, never waiting on it (mtss.jobs.enqueue). If it is
    unreachable they stay pending and the sweeper (`notifications.tasks.outbox_sweep`) sends
    them when it is back; the first failure stops the loop (no 5,000 timeouts in a row)."""
    from notifications.tasks import notice_send

    return all(enqueue(notice_send, district_id, notice_id) for notice_id in notice_ids)


NO_RECIPIENT_KEY = "none"


def notices_for_event(
    *,
    district: District,
    student: Student,
    trigger: str,
    period_key: str,
    actor: User | None = None,
    context: dict | None = None,
    meeting=None,
    tier: int | None = None,
) -> list[Notice]:
    """Queue the notices the district's policy requires for `trigger` (NoticeTrigger) for this student:
    one Notice per policy notice x recipient (guardians who receive notices; the student too when older than
    `also_to_students_older_than`), idempotent on (student, notice type key, period_key, language, recipient).
    Writes rows in the caller's transaction (outbox); schedules sending with transaction.on_commit.

    Returns the notices this call created (an empty list when they already existed).
    A `tier_start` whose context names a `from_tier` is a change of tier and uses that
    letter. The RIMP itself goes to the parents once approved (`rimp_letter_queue`), not here.

    A notice the policy requires for a student with no guardian who receives notices is
    recorded as one row with status "no recipient" (never dropped silently): the notices
    page lists it, and "send again" once a guardian is on file queues the letters.
    """
    return notices_for_students(
        district=district,
        students=[student],
        trigger=trigger,
        period_key=period_key,
        actor=actor,
        context=context,
        meeting=meeting,
        tier=tier,
    )


def notices_for_students(
    *,
    district: District,
    students: list[Student],
    trigger: str,
    period_key: str,
    actor: User | None = None,
    context: dict | None = None,
    contexts: dict[int, dict] | None = None,
    meeting=None,
    tier: int | None = None,
) -> list[Notice]:
    """`notices_for_event` for many students at once (the start-of-year letters of a whole
    district, a meeting's invitations): the policy is read once, the guardians in one query,
    and the rows inserted together. `contexts` gives a student's own context (by id)."""
    if trigger not in EVENT_KINDS:
        raise ValidationError({"trigger": _("Unknown notice trigger %(t)s.") % {"t": trigger}})
    if any(s.district_id != district.pk for s in students):
        raise ValidationError({"student": _("Unknown student.")})
    if not period_key or len(period_key) > 80:
        raise ValidationError({"period_key": _("A period key of 1 to 80 characters is required.")})
    if not students:
        return []
    today = timezone.localdate()
    version, policy = policy_document(district=district, as_of=today)
    if policy is None:
        return []
    contact = policy.parent_contact
    guardians: dict[int, list[Guardian]] = {s.pk: [] for s in students}
    for guardian in Guardian.objects.filter(
        district=district, student_id__in=list(guardians), receives_notices=True
    ).order_by("id"):
        guardians[guardian.student_id].append(guardian)
    rows = []
    for student in students:
        student_context = dict(context or {})
        student_context.update((contexts or {}).get(student.pk, {}))
        student_tier = tier
        if student_tier is None:
            student_tier = student_context.get("to_tier") or student_context.get("tier")
        meeting_id = getattr(meeting, "pk", meeting) if meeting is not None else student_context.get("meeting_id")
        specs = _notice_specs(
            policy=policy, trigger=trigger, student=student, tier=student_tier, context=student_context, today=today
        )
        for key, letter_type, title, blocks, delivery, due, older_than, translated in specs:
            common = dict(
                district=district,
                student=student,
                school_id=student.school_id,
                notice_key=key,
                letter_type=letter_type,
                trigger=trigger,
                title=title[:200],
                content_blocks=blocks,
                period_key=period_key,
                delivery=delivery,
                context=student_context,
                meeting_id=meeting_id,
                tier=student_tier,
                policy_version_id=version.pk,
                due_date=due,
                created_by=actor,
            )
            recipients = _recipients(
                district=district,
                student=student,
                older_than=older_than,
                today=today,
                default_language=contact.default_language,
                guardians=guardians[student.pk],
            )
            if not recipients:
                # Nobody to write to: one row says so, on the notices page (issue 13, bad input).
                rows.append(
                    Notice(
                        **common,
                        recipient_key=NO_RECIPIENT_KEY,
                        recipient_name="",
                        language=contact.default_language,
                        channel=Channel.PRINT,
                        status=NoticeStatus.NO_RECIPIENT,
                    )
                )
            for recipient in recipients:
                requested = recipient["language"] if translated else contact.default_language
                rows.append(
                    Notice(
                        **common,
                        **_addressed_to(
                            recipient,
                            language=requested,
                            by_email="email" in delivery or "letter" in delivery,
                        ),
                    )
                )
    if not rows:
        return []
    with transaction.atomic():
        created = _insert_new(district, rows, actor)
        _resolve_no_recipient(district, created, actor)
        by_student: dict[int, int] = {}
        for notice in created:
            by_student[notice.student_id] = by_student.get(notice.student_id, 0) + 1
        audit_rows = [(s, by_student[s.pk]) for s in students if by_student.get(s.pk)]
        for student, count in audit_rows[:AUDIT_PER_STUDENT_LIMIT]:
            audit(
                district=district,
                actor=actor,
                verb="notices.queue",
                obj=student,
                changes={"trigger": trigger, "period": period_key, "count": count},
            )
        if len(audit_rows) > AUDIT_PER_STUDENT_LIMIT:
            audit(
                district=district,
                actor=actor,
                verb="notices.queue",
                changes={"trigger": trigger, "period": period_key, "count": len(created), "students": len(audit_rows)},
            )
    _schedule_send(district, [n.pk for n in created if n.status == NoticeStatus.PENDING])
    return created


# A batch (a whole district's start-of-year letters) writes one audit row per student up to
# this many, then one summary row: the audit log records the run without a row per family.
AUDIT_PER_STUDENT_LIMIT = 50


def _notice_specs(*, policy, trigger: str, student: Student, tier, context: dict, today: dt.date) -> list[tuple]:
    """(key, letter_type, title, blocks, delivery, due, older_than, translated) of each policy
    notice and required plan that `trigger` fires for this student. Fills `context`."""
    specs = []
    for notice in policy.parent_contact.notices:
        if notice.trigger != trigger or not _applies(notice, student=student, tier=tier):
            continue
        letter_type = TRIGGER_LETTER[trigger]
        if letter_type == LetterType.PLACEMENT_START and context.get("from_tier"):
            letter_type = LetterType.TIER_CHANGE
        if notice.from_role:
            context.setdefault("from_role", notice.from_role)
        specs.append(
            (
                notice.key,
                letter_type,
                notice.title,
                required_blocks(letter_type, notice.content_blocks),
                list(notice.delivery),
                _due_date(notice, today, context),
                notice.also_to_students_older_than,
                notice.translated,
            )
        )
    return specs


def _resolve_no_recipient(district: District, created: list[Notice], actor: User | None) -> None:
    """A letter that now has a recipient replaces the "no recipient" row of the same notice and period."""
    resolved = {(n.student_id, n.notice_key, n.period_key) for n in created if n.recipient_key != NO_RECIPIENT_KEY}
    if not resolved:
        return
    stale = Q()
    for student_id, key, period in resolved:
        stale |= Q(student_id=student_id, notice_key=key, period_key=period)
    rows = list(
        Notice.objects.filter(
            stale, district=district, recipient_key=NO_RECIPIENT_KEY, status=NoticeStatus.NO_RECIPIENT
        )
    )
    if rows:
        Notice.objects.filter(district=district, pk__in=[n.pk for n in rows]).delete()
        audit(
            district=district,
            actor=actor,
            verb="notices.recipient_found",
            changes={"resolved": len(rows)},
        )


def notice_resend_to_guardians(*, district: District, notice: Notice, actor: User | None) -> list[Notice]:
    """Queue a "no recipient" notice's letters now that the student has a guardian on file
    (the same notice, period and context; the recorded row is replaced)."""
    if notice.district_id != district.pk or notice.status != NoticeStatus.NO_RECIPIENT:
        raise ValidationError({"status": _("Only a notice without a recipient can be sent to the guardians.")})
    created = notices_for_event(
        district=district,
        student=notice.student,
        trigger=notice.trigger,
        period_key=notice.period_key,
        actor=actor,
        context=notice.context,
        meeting=notice.meeting_id,
        tier=notice.tier,
    )
    if not [n for n in created if n.recipient_key != NO_RECIPIENT_KEY]:
        raise ValidationError(
            {
                "guardian": _("%(student)s still has no guardian who receives notices.")
                % {"student": notice.student.full_name}
            }
        )
    return created


def rimp_letter_queue(*, district: District, rimp, school_year_key: str, actor: User | None = None) -> list[Notice]:
    """Queue the approved RIMP's letter to the parents (mtss.events.RIMP_APPROVED).

    Ohio Virtual Academy (seed 003, section D): the plan "will be approved by the principal and placed
    in the student file and provided to the parent". The letter carries the plan's sections as written
    (deficiency, instruction, monitoring, the parents' part) and the retention statement the RIMP must
    hold (RULES.md 4.5). One per recipient and school year (the outbox's unique key), in the guardian's
    language; sent with transaction.on_commit like every notice.
    """
    student = rimp.student
    if student.district_id != district.pk:
        raise ValidationError({"student": _("Unknown student.")})
    today = timezone.localdate()
    version, policy = policy_document(district=district, as_of=today)
    if policy is None:
        return []
    required = next((p for p in policy.required_plans if p.trigger == "not_on_track"), None)
    if required is not None and not required.given_to_parents:
        return []
    key = required.key if required is not None else "rimp"
    title = required.title if required is not None else str(LetterType.RIMP.label)
    # Each section's heading is a key the letter writes in the family's language
    # (letters.blocks.RIMP_SECTIONS); its text is the school's own words, marked as such.
    sections = [
        {"heading": "reading_deficiency", "text": rimp.deficiency},
        {"heading": "supplemental_instruction", "text": rimp.supplemental_instruction},
    ]
    if rimp.plan_id:
        sections.append({"heading": "intervention", "text": str(rimp.plan.intervention)})
    if rimp.curriculum:
        sections.append({"heading": "reading_curriculum", "text": rimp.curriculum})
    sections.append({"heading": "monitoring", "text": rimp.monitoring})
    sections.append({"heading": "parent_involvement", "text": rimp.parent_involvement})
    context = {
        "rimp_id": rimp.pk,
        "deficiency": rimp.deficiency,
        "plan_sections": {key: sections},
        "plan_approved_by": {key: rimp.approver_role},
    }
    if rimp.plan_id:
        context["plan_ids"] = [rimp.plan_id]
    blocks = required_blocks(LetterType.RIMP)
    contact = policy.parent_contact
    rows = [
        Notice(
            district=district,
            student=student,
            school_id=student.school_id,
            **_addressed_to(recipient),
            notice_key=key,
            letter_type=LetterType.RIMP,
            trigger="not_on_track",
            title=title[:200],
            content_blocks=blocks,
            period_key=school_year_key[:80],
            delivery=["letter"],
            context=context,
            policy_version_id=version.pk,
            due_date=today,
            created_by=actor,
        )
        for recipient in _recipients(
            district=district, student=student, older_than=None, today=today, default_language=contact.default_language
        )
    ]
    with transaction.atomic():
        created = _insert_new(district, rows, actor)
        if created:
            audit(
                district=district,
                actor=actor,
                verb="notices.queue",
                obj=student,
                changes={"trigger": "rimp_approved", "period": school_year_key, "count": len(created)},
            )
    _schedule_send(district, [n.pk for n in created])
    return created


# --- scheduled progress reports ---------------------------------------------------------------


def _quarter_start(day: dt.date, year_start: dt.date) -> tuple[int, dt.date]:
    """Quarter number (1-4) and its first day, quarters of 9 weeks from the first day of school."""
    index = min(3, max(0, (day - year_start).days // 63))
    return index + 1, year_start + dt.timedelta(days=63 * index)


def progress_report_periods(*, policy, grade: int, year_start: dt.date, today: dt.date) -> list[str]:
    """The report periods of the schedules that apply to `grade` and are due by `today`.

    A period key names one report per cadence: "pr-<year>-w<n>" every N weeks since the
    first day of school (Loudon: every 3 weeks, RULES.md 4.4; LAUSD and OHVA: 6), or
    "pr-<year>-q<q>-<k>" for k times a quarter (Holland Patent: once a quarter, in week 5
    of the quarter for grades 6-12).
    """
    if today < year_start:
        return []
    periods = []
    weeks = (today - year_start).days // 7
    for schedule in policy.parent_contact.progress_reports:
        if schedule.grades and grade not in schedule.grades:
            continue
        if schedule.every_weeks:
            n = math.floor(weeks / schedule.every_weeks)
            if n >= 1:
                periods.append(f"pr-{year_start.year}-w{n * schedule.every_weeks:g}")
        elif schedule.times_per_quarter:
            quarter, q_start = _quarter_start(today, year_start)
            week_in_quarter = (today - q_start).days // 7 + 1
            first_week = schedule.week_of_quarter or 9 // schedule.times_per_quarter
            step = max(1, 9 // schedule.times_per_quarter)
            due = [first_week + i * step for i in range(schedule.times_per_quarter)]
            done = [k for k, w in enumerate(due, start=1) if week_in_quarter >= w]
            if done:
                periods.append(f"pr-{year_start.year}-q{quarter}-{done[-1]}")
            elif quarter > 1:  # catch up the previous quarter's last report if a run was missed
                periods.append(f"pr-{year_start.year}-q{quarter - 1}-{schedule.times_per_quarter}")
    return periods[:1]


def progress_reports_create(
    *, district: District, as_of: dt.date | None = None, actor: User | None = None, school_year=None
) -> list[Notice]:
    """Queue this period's progress report for every student with an active plan.

    Set-based: one query for the plans, one for the guardians, one insert; a re-run
    for the same period inserts nothing (the unique key).
    """
    today = as_of or timezone.localdate()
    version, policy = policy_document(district=district, as_of=today)
    if policy is None or not policy.parent_contact.progress_reports:
        return []
    year = school_year or (
        SchoolYear.objects.filter(district=district, start_date__lte=today, end_date__gte=today)
        .order_by("-start_date")
        .first()
    )
    if year is None:
        return []
    contact = policy.parent_contact
    plans = (
        Plan.objects.filter(district=district, status=Plan.Status.ACTIVE, start_date__lte=today)
        .select_related("student")
        .order_by("student_id", "id")
    )
    students: dict[int, Student] = {}
    plan_ids: dict[int, list[int]] = {}
    for plan in plans:
        students[plan.student_id] = plan.student
        plan_ids.setdefault(plan.student_id, []).append(plan.pk)
    guardians: dict[int, list[Guardian]] = {}
    for guardian in Guardian.objects.filter(district=district, student_id__in=list(students), receives_notices=True):
        guardians.setdefault(guardian.student_id, []).append(guardian)
    rows = []
    blocks = required_blocks(LetterType.PROGRESS_REPORT)
    for student_id, student in students.items():
        periods = progress_report_periods(policy=policy, grade=student.grade, year_start=year.start_date, today=today)
        if not periods:
            continue
        for recipient in _recipients(
            district=district,
            student=student,
            older_than=None,
            today=today,
            default_language=contact.default_language,
            guardians=guardians.get(student_id, []),
        ):
            rows.append(
                Notice(
                    district=district,
                    student=student,
                    school_id=student.school_id,
                    **_addressed_to(recipient),
                    notice_key=PROGRESS_REPORT_KEY,
                    letter_type=LetterType.PROGRESS_REPORT,
                    trigger="progress_report",
                    title="Progress report",
                    content_blocks=blocks,
                    period_key=periods[0],
                    delivery=["letter"],
                    context={"plan_ids": plan_ids[student_id], "as_of": today.isoformat()},
                    policy_version_id=version.pk,
                    created_by=actor,
                )
            )
    with transaction.atomic():
        created = _insert_new(district, rows, actor)
    _schedule_send(district, [n.pk for n in created])
    return created


# --- check-in/check-out card summaries -----------------------------------------------------------

POINT_CARD_KEY = "point-card-summary"


def point_card_period(*, kind: str, as_of: dt.date) -> tuple[dt.date, dt.date, str]:
    """(first day, last day, period key part) of a daily or weekly card summary ending on ``as_of``.

    A week is Monday..as_of (the job runs on Fridays): ISO year and week name it."""
    if kind == "weekly":
        start = as_of - dt.timedelta(days=as_of.weekday())
        year, week, _day = as_of.isocalendar()
        return start, as_of, f"week-{year}-W{week:02d}"
    return as_of, as_of, f"day-{as_of.isoformat()}"


def point_card_summaries_create(
    *,
    district: District,
    as_of: dt.date | None = None,
    actor: User | None = None,
    plans: Iterable[Plan] | None = None,
    kind: str | None = None,
) -> list[Notice]:
    """Queue the card summary for the families of check-in/check-out plans, in their language.

    Without ``plans``: every active plan whose setup asks for a summary (``parent_summary``):
    the daily ones each school day with a rated card, the weekly ones on Fridays. With ``plans``
    and ``kind`` ("daily"/"weekly"): those plans now (the "send to the family" button). Set-based:
    one query for the setups, one for the cards, one for the guardians, one insert; the unique key
    (student, notice, period, language, recipient) makes a re-run or a second click a no-op.
    """
    from interventions.cico.models import PointCard, PointCardSetup

    today = as_of or timezone.localdate()
    version, policy = policy_document(district=district, as_of=today)
    if policy is None:
        return []
    setups = PointCardSetup.objects.filter(district=district, plan__status=Plan.Status.ACTIVE).select_related(
        "plan__student"
    )
    if plans is not None:
        setups = setups.filter(plan__in=[p.pk for p in plans])
    else:
        wanted = [PointCardSetup.ParentSummary.DAILY] + (
            [PointCardSetup.ParentSummary.WEEKLY] if today.weekday() == 4 else []
        )
        setups = setups.filter(parent_summary__in=wanted)
    periods = {}
    for setup in setups:
        periods[setup.plan_id] = (setup, point_card_period(kind=kind or setup.parent_summary, as_of=today))
    if not periods:
        return []
    earliest = min(start for _setup, (start, _end, _key) in periods.values())
    rated = set(
        PointCard.objects.filter(
            district=district, plan_id__in=list(periods), date__gte=earliest, date__lte=today, points_possible__gt=0
        ).values_list("plan_id", "date")
    )
    student_ids = [setup.plan.student_id for setup, _period in periods.values()]
    guardians: dict[int, list[Guardian]] = {}
    for guardian in Guardian.objects.filter(district=district, student_id__in=student_ids, receives_notices=True):
        guardians.setdefault(guardian.student_id, []).append(guardian)
    contact, blocks, rows = policy.parent_contact, required_blocks(LetterType.POINT_CARD_SUMMARY), []
    for plan_id, (setup, (start, end, key)) in periods.items():
        if not any((plan_id, start + dt.timedelta(days=d)) in rated for d in range((end - start).days + 1)):
            continue  # nothing rated in the period: no letter about an empty card
        student = setup.plan.student
        for recipient in _recipients(
            district=district,
            student=student,
            older_than=None,
            today=today,
            default_language=contact.default_language,
            guardians=guardians.get(student.pk, []),
        ):
            rows.append(
                Notice(
                    district=district,
                    student=student,
                    school_id=student.school_id,
                    **_addressed_to(recipient),
                    notice_key=POINT_CARD_KEY,
                    letter_type=LetterType.POINT_CARD_SUMMARY,
                    trigger="point_card_summary",
                    title="Daily behavior card",
                    content_blocks=blocks,
                    period_key=f"{plan_id}-{key}",
                    delivery=["letter"],
                    context={
                        "plan_ids": [plan_id],
                        "point_card_plan": plan_id,
                        "start": start.isoformat(),
                        "end": end.isoformat(),
                        "as_of": today.isoformat(),
                    },
                    policy_version_id=version.pk,
                    created_by=actor,
                )
            )
    with transaction.atomic():
        created = _insert_new(district, rows, actor)
    _schedule_send(district, [n.pk for n in created])
    return created


# --- generating and delivering -----------------------------------------------------------------


def claim_seconds() -> int:
    """How long a worker's claim on a notice lasts: longer than notice_send's hard time limit
    (notifications/tasks.py), so a claim never expires under a send that is still running."""
    from django.conf import settings

    return settings.NOTICE_CLAIM_SECONDS


def backoff_seconds(attempts: int) -> int:
    """1, 2, 4, 8, 16 minutes... capped at an hour: a mail server gets time to recover."""
    return min(3600, 60 * 2 ** max(0, attempts - 1))


def notice_claim(*, district: District, notice_id: int) -> str | None:
    """Claim a notice for sending with one conditional update; None if another worker
    holds it or it is no longer pending or failed (a duplicate task, a retry after success)."""
    now = timezone.now()
    token = secrets.token_hex(8)
    claimed = (
        Notice.objects.filter(district=district, pk=notice_id, status__in=[NoticeStatus.PENDING, NoticeStatus.FAILED])
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + dt.timedelta(seconds=claim_seconds()), claim_token=token)
    )
    return token if claimed else None


def notice_generate(*, district: District, notice: Notice, save: bool = True, policy=None, head=None) -> bytes:
    """Render the notice's PDF in its language (or the fallback) and keep it on the row."""
    from notifications.letters.render import render_notice_pdf

    pdf, language, fallback, reviewed = render_notice_pdf(district=district, notice=notice, policy=policy, head=head)
    if save:
        notice.rendered_language = language
        notice.fallback_reason = fallback
        notice.catalogue_reviewed = reviewed
        notice.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        if notice.pdf:
            notice.pdf.delete(save=False)
        # Keyed by the district: a file path without the tenant is a leak waiting to happen.
        notice.pdf.save(f"d{district.pk}/notice-{notice.pk}-{notice.pdf_sha256[:12]}.pdf", ContentFile(pdf), save=False)
        notice.generated_at = timezone.now()
    return pdf


def _email(district: District, notice: Notice, pdf: bytes, *, policy=None, head=None) -> None:
    from notifications.letters.render import email_text

    subject, body = email_text(district=district, notice=notice, policy=policy, head=head)
    letter_settings = head.settings if head is not None else LetterSettings.objects.filter(district=district).first()
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[notice.email],
        reply_to=[letter_settings.reply_to] if letter_settings and letter_settings.reply_to else None,
    )
    message.attach(f"{notice.notice_key}-{notice.period_key}.pdf", pdf, "application/pdf")
    message.send(fail_silently=False)


def notice_send(*, district: District, notice_id: int) -> Notice | None:
    """Generate and deliver one notice, claimed so that it happens once.

    E-mail notices are sent and marked sent; printed ones are marked generated and go
    out in the school's next print batch. A failure is recorded with its error and a
    next attempt time (exponential backoff), and raised for the task to retry.

    An e-mail's delivery attempt (`send_started_at`, a "sending" event) is committed BEFORE
    the mail server is contacted, and cleared in the transaction that records it sent. A worker
    killed between the server's acceptance and that commit once sent a letter twice with one
    send on record (issue 16, item 8); now the attempt outlives the worker, and the sweeper
    marks the notice "maybe sent" (`notices_stalled_mark`) instead of sending it again.
    """
    token = notice_claim(district=district, notice_id=notice_id)
    if token is None:
        return None
    from notifications.letters.render import cached_letterhead

    notice = Notice.objects.select_related("student", "school", "school__principal", "guardian").get(
        district=district, pk=notice_id
    )
    handed_over = False  # True once the mail server accepted the message
    try:
        with transaction.atomic():
            _version, policy = policy_document(district=district)
            head = cached_letterhead(district=district)
            pdf = notice_generate(district=district, notice=notice, policy=policy, head=head)
            notice.status = NoticeStatus.GENERATED
            events = [_event(notice, "generated", notice.fallback_reason)]
            if notice.channel == Channel.EMAIL:
                notice.send_started_at = timezone.now()
                events.append(_event(notice, "sending"))
            else:
                notice.attempts = F("attempts") + 1
                notice.last_error = ""
                notice.next_attempt_at = None
                notice.claimed_until = None
            notice.save()
            NoticeEvent.objects.bulk_create(events)
        if notice.channel == Channel.EMAIL:
            _email(district, notice, pdf, policy=policy, head=head)  # bounded by EMAIL_TIMEOUT
            handed_over = True
            with transaction.atomic():
                notice.status = NoticeStatus.SENT
                notice.sent_at = timezone.now()
                notice.send_started_at = None
                notice.attempts = F("attempts") + 1
                notice.last_error = ""
                notice.next_attempt_at = None
                notice.claimed_until = None
                notice.save()
                NoticeEvent.objects.create(district=district, notice=notice, status=NoticeStatus.SENT, verb="emailed")
    except Exception as error:
        if handed_over:
            # The family has the letter; only the record failed (the database went away). Never
            # mark it failed, which would send it again: the sweeper finds the open attempt.
            log.warning("notice %s sent but not recorded: %s", notice_id, type(error).__name__)
            raise
        notice.refresh_from_db(fields=["attempts"])
        attempts = notice.attempts + 1
        message = f"{type(error).__name__}: {error}"[:2000]

        # A letter missing a required block's data cannot succeed on retry: no next attempt;
        # staff see the reason and regenerate once the data is there.
        retry = attempts < Notice.MAX_ATTEMPTS and not isinstance(error, LetterIncomplete)
        Notice.objects.filter(district=district, pk=notice_id, claim_token=token).update(
            status=NoticeStatus.FAILED,
            attempts=attempts,
            last_error=message,
            claimed_until=None,
            send_started_at=None,
            next_attempt_at=timezone.now() + dt.timedelta(seconds=backoff_seconds(attempts)) if retry else None,
        )
        notice.status = NoticeStatus.FAILED
        NoticeEvent.objects.create(
            district=district, notice=notice, status=NoticeStatus.FAILED, verb="failed", note=message
        )
        log.warning("notice %s failed (attempt %s): %s", notice_id, attempts, type(error).__name__)
        raise
    notice.refresh_from_db(fields=["attempts"])  # it was saved as attempts + 1
    return notice


def notices_stalled_mark(*, district: District, now: dt.datetime | None = None) -> list[int]:
    """Mark "maybe sent" the e-mails whose delivery attempt began and never recorded an outcome
    (their worker died: the claim expired with the attempt open). They are not sent again by
    themselves: the mail server may have accepted them. Staff see them on the failures list."""
    now = now or timezone.now()
    ids = list(
        Notice.objects.filter(district=district, send_started_at__isnull=False, claimed_until__lt=now)
        .exclude(status__in=[NoticeStatus.SENT, NoticeStatus.MAYBE_SENT])
        .values_list("id", flat=True)
    )
    if not ids:
        return []
    with transaction.atomic():
        marked = list(
            Notice.objects.filter(district=district, pk__in=ids, send_started_at__isnull=False, claimed_until__lt=now)
            .exclude(status__in=[NoticeStatus.SENT, NoticeStatus.MAYBE_SENT])
            .select_for_update(skip_locked=True)
        )
        Notice.objects.filter(district=district, pk__in=[n.pk for n in marked]).update(
            status=NoticeStatus.MAYBE_SENT, claimed_until=None, next_attempt_at=None
        )
        note = "the worker stopped during the delivery; the mail server may have accepted it"
        for notice in marked:
            notice.status = NoticeStatus.MAYBE_SENT
        NoticeEvent.objects.bulk_create([_event(n, "maybe_sent", note) for n in marked])
    for notice in marked:
        log.warning("notice %s maybe sent: its delivery attempt has no outcome", notice.pk)
    return [n.pk for n in marked]


def outbox_due(*, district: District, now: dt.datetime | None = None, older_than_seconds: int = 60) -> list[int]:
    """Notices the sweeper should (re)send: pending ones not handed over within a minute
    (the broker was down at commit, or a worker died), and failed ones whose backoff is over."""
    now = now or timezone.now()
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    pending = Q(status=NoticeStatus.PENDING, created_at__lte=now - dt.timedelta(seconds=older_than_seconds))
    failed = Q(status=NoticeStatus.FAILED, next_attempt_at__isnull=False, next_attempt_at__lte=now)
    return list(
        Notice.objects.filter(unclaimed, pending | failed, district=district)
        .order_by("id")
        .values_list("id", flat=True)[:5000]
    )


# --- staff actions -----------------------------------------------------------------------------


@transaction.atomic
def notice_acknowledge(*, district: District, notice: Notice, actor: User | None, note: str = "") -> Notice:
    if notice.district_id != district.pk:
        raise ValidationError(_("Unknown notice."))
    if notice.status not in (NoticeStatus.SENT, NoticeStatus.GENERATED):
        raise ValidationError(
            {
                "status": _("Only a generated or sent notice can be acknowledged; this one is %(s)s.")
                % {"s": notice.get_status_display()}
            }
        )
    notice.status = NoticeStatus.ACKNOWLEDGED
    notice.acknowledged_at = timezone.now()
    notice.acknowledged_by = actor
    notice.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    NoticeEvent.objects.create(
        district=district, notice=notice, status=notice.status, verb="acknowledged", note=note[:1000], actor=actor
    )
    audit(district=district, actor=actor, verb="notice.acknowledge", obj=notice)
    return notice


@transaction.atomic
def notice_regenerate(*, district: District, notice: Notice, actor: User | None) -> Notice:
    """Render the letter again from today's data and send it again (e.g. after a
    guardian's address or language was corrected, or after a failure)."""
    if notice.district_id != district.pk:
        raise ValidationError(_("Unknown notice."))
    if notice.status == NoticeStatus.NO_RECIPIENT:
        raise ValidationError(
            {"status": _("This notice has no recipient: add a guardian, then send it to the guardians on file.")}
        )
    guardian = notice.guardian
    if guardian is not None:
        guardian.refresh_from_db()
        notice.language = guardian.preferred_language or notice.language
        notice.email = guardian.email
        notice.address = _guardian_address(guardian)
        notice.channel = Channel.EMAIL if guardian.email else Channel.PRINT
    conflict = (
        Notice.objects.filter(
            district=district,
            student_id=notice.student_id,
            notice_key=notice.notice_key,
            period_key=notice.period_key,
            language=notice.language,
            recipient_key=notice.recipient_key,
        )
        .exclude(pk=notice.pk)
        .exists()
    )
    if conflict:
        raise ValidationError({"language": _("A notice for this period already exists in that language.")})
    notice.status = NoticeStatus.PENDING
    notice.attempts = 0
    notice.last_error = ""
    notice.next_attempt_at = None
    notice.claimed_until = None
    notice.send_started_at = None
    notice.print_batch = None
    notice.save()
    NoticeEvent.objects.create(district=district, notice=notice, status=notice.status, verb="regenerate", actor=actor)
    audit(district=district, actor=actor, verb="notice.regenerate", obj=notice)
    _schedule_send(district, [notice.pk])
    return notice


@transaction.atomic
def notice_retry(*, district: District, notice: Notice, actor: User | None) -> Notice:
    """A district administrator's retry of a failed notice: now, with a fresh attempt count.

    Also the deliberate "send again" of a notice marked maybe sent (its worker stopped while
    the mail server had it): staff decide, having checked, that the family may get it twice."""
    if notice.status not in (NoticeStatus.FAILED, NoticeStatus.MAYBE_SENT):
        raise ValidationError({"status": _("Only a failed or maybe-sent notice can be sent again.")})
    verb = "resend" if notice.status == NoticeStatus.MAYBE_SENT else "retry"
    Notice.objects.filter(district=district, pk=notice.pk).update(
        status=NoticeStatus.PENDING, attempts=0, next_attempt_at=None, claimed_until=None, send_started_at=None
    )
    notice.refresh_from_db()
    NoticeEvent.objects.create(district=district, notice=notice, status=notice.status, verb=verb, actor=actor)
    audit(district=district, actor=actor, verb="notice.retry", obj=notice)
    _schedule_send(district, [notice.pk])
    return notice


def print_batch_create(*, district: District, school: School, actor: User | None) -> PrintBatch:
    """Claim the school's generated printed letters for a new batch and queue its merge
    (`print_batch_build`, a Celery job: 200 letters took 42 s in the request, issue 16 item 7).

    The letters are claimed by setting their batch in one conditional update, so two
    staff pressing the button at once cannot print a letter twice. Without a broker (the
    embedded demo) the job runs here, in-process, as the import jobs do.
    """
    from notifications.tasks import print_batch_build_task

    if school.district_id != district.pk:
        raise ValidationError({"school": _("Unknown school.")})
    with transaction.atomic():
        batch = PrintBatch.objects.create(district=district, school=school, created_by=actor)
        count = Notice.objects.filter(
            district=district,
            school=school,
            channel=Channel.PRINT,
            status=NoticeStatus.GENERATED,
            print_batch__isnull=True,
        ).update(print_batch=batch)
        if not count:
            raise ValidationError({"school": _("No printed letters are waiting for %(s)s.") % {"s": school.name}})
        batch.letter_count = count
        batch.save(update_fields=["letter_count"])
        audit(
            district=district,
            actor=actor,
            verb="notices.print_batch",
            obj=batch,
            changes={"school": school.pk, "letters": count},
        )
        if not print_batch_build_task.app.conf.task_always_eager:
            enqueue_on_commit(print_batch_build_task, district.pk, batch.pk)
    if print_batch_build_task.app.conf.task_always_eager:
        try:
            print_batch_build(district=district, batch_id=batch.pk)
        except Exception:  # logged and recorded on the batch, which the page shows as failed
            pass
        batch.refresh_from_db()
    return batch


PROGRESS_EVERY = 10  # letters between two progress writes
PRINT_BATCH_STALE_SECONDS = 960  # longer than print_batch_build_task's hard time limit


def print_batch_build(*, district: District, batch_id: int) -> PrintBatch | None:
    """Merge a queued batch's letters into one PDF, sorted for mailing (ZIP code, then
    recipient), then mark them sent. The Celery task's body; idempotent: a duplicate or
    redelivered job merges again, and only the first to finish records the batch done
    (a conditional update), so no letter is marked or logged twice. None if already finished."""
    from notifications.letters.pdf import merge_pdfs

    claimed = PrintBatch.objects.filter(
        district=district, pk=batch_id, status__in=[PrintBatch.Status.QUEUED, PrintBatch.Status.RUNNING]
    ).update(status=PrintBatch.Status.RUNNING, merged=0)
    if not claimed:
        return None
    batch = PrintBatch.objects.select_related("school", "created_by").get(district=district, pk=batch_id)
    name = ""
    try:
        notices = list(Notice.objects.filter(district=district, print_batch=batch, status=NoticeStatus.GENERATED))
        if not notices:
            raise ValueError("no letters are left in the batch")
        notices.sort(key=mailing_sort_key)

        def merged_so_far(count: int) -> None:
            # Outside any transaction: the progress is visible to the page at once.
            if count % PROGRESS_EVERY == 0 or count == len(notices):
                PrintBatch.objects.filter(district=district, pk=batch.pk).update(merged=count)

        merged, pages = merge_pdfs([n.pdf for n in notices], progress=merged_so_far)
        name = batch.pdf.storage.save(print_batch_path(batch, f"batch-{batch.pk}.pdf"), ContentFile(merged))
        now = timezone.now()
        with transaction.atomic():
            done = PrintBatch.objects.filter(district=district, pk=batch.pk, status=PrintBatch.Status.RUNNING).update(
                status=PrintBatch.Status.DONE,
                pdf=name,
                letter_count=len(notices),
                merged=len(notices),
                page_count=pages,
                finished_at=now,
                error="",
            )
            if not done:  # another delivery of the job finished first
                batch.pdf.storage.delete(name)
                return None
            Notice.objects.filter(
                district=district, print_batch=batch, status=NoticeStatus.GENERATED, pk__in=[n.pk for n in notices]
            ).update(status=NoticeStatus.SENT, sent_at=now)
            NoticeEvent.objects.bulk_create(
                [
                    NoticeEvent(
                        district=district,
                        notice=n,
                        status=NoticeStatus.SENT,
                        verb="printed",
                        note=f"batch {batch.pk}",
                        actor=batch.created_by,
                    )
                    for n in notices
                ]
            )
    except Exception as error:
        # The letters go back to the print queue; staff see the batch failed and print again.
        log.exception("print batch %s failed (%s)", batch_id, type(error).__name__)
        if name:
            batch.pdf.storage.delete(name)
        with transaction.atomic():
            PrintBatch.objects.filter(district=district, pk=batch.pk).exclude(status=PrintBatch.Status.DONE).update(
                status=PrintBatch.Status.FAILED,
                error=f"{type(error).__name__}: {error}"[:300],
                finished_at=timezone.now(),
            )
            Notice.objects.filter(district=district, print_batch=batch, status=NoticeStatus.GENERATED).update(
                print_batch=None
            )
        raise
    batch.refresh_from_db()
    return batch


def print_batches_requeue(*, district: District, older_than_seconds: int = 60) -> list[int]:
    """Queue again the batches the broker never got (queued for more than a minute) and those
    whose worker died (merging for longer than the job's hard time limit)."""
    from notifications.tasks import print_batch_build_task

    now = timezone.now()
    ids = list(
        PrintBatch.objects.filter(district=district)
        .filter(
            Q(status=PrintBatch.Status.QUEUED, created_at__lte=now - dt.timedelta(seconds=older_than_seconds))
            | Q(
                status=PrintBatch.Status.RUNNING,
                created_at__lte=now - dt.timedelta(seconds=PRINT_BATCH_STALE_SECONDS),
            )
        )
        .values_list("id", flat=True)
    )
    for batch_id in ids:
        if not enqueue(print_batch_build_task, district.pk, batch_id):
            break
    return ids


def mailing_sort_key(notice: Notice) -> tuple:
    """Presort for the post office: by ZIP code (the address's last token), then name."""
    lines = [line for line in notice.address.split("\n") if line.strip()]
    last = lines[-1].split() if lines else []
    zip_code = last[-1] if last and last[-1][:5].isdigit() else "99999"
    return (zip_code, notice.recipient_name.lower(), notice.student_id, notice.pk)


# --- district letter settings --------------------------------------------------------------------


def language_set_reviewed(*, district: District, language: str, reviewed: bool, actor: User | None) -> DistrictLanguage:
    if language not in CATALOGUED:
        raise ValidationError({"language": _("Unknown letter language %(l)s.") % {"l": language}})
    with transaction.atomic():
        row, _created = DistrictLanguage.objects.update_or_create(
            district=district,
            language=language,
            defaults={
                "reviewed": reviewed,
                "reviewed_by": actor if reviewed else None,
                "reviewed_at": timezone.now() if reviewed else None,
            },
        )
        audit(
            district=district,
            actor=actor,
            verb="letters.language_reviewed",
            obj=row,
            changes={"language": language, "reviewed": reviewed},
        )
    return row


def letter_text_set(
    *, district: District, language: str, key: str, text: str, reviewed: bool = False, actor: User | None = None
) -> LetterText | None:
    """Set (or with empty text, remove) the district's wording of one paragraph."""
    errors = {}
    if language not in CATALOGUED:
        errors["language"] = _("Unknown letter language %(l)s.") % {"l": language}
    if key not in OVERRIDABLE_KEYS:
        errors["key"] = _("Unknown paragraph %(k)s.") % {"k": key}
    if len(text) > 5000:
        errors["text"] = _("At most 5,000 characters.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if not text.strip():
            LetterText.objects.filter(district=district, language=language, key=key).delete()
            row = None
        else:
            row, _created = LetterText.objects.update_or_create(
                district=district, language=language, key=key, defaults={"text": text.strip(), "reviewed": reviewed}
            )
        audit(district=district, actor=actor, verb="letters.text_set", changes={"language": language, "key": key})
    return row


def letter_settings_save(*, district: District, actor: User | None, **fields) -> LetterSettings:
    allowed = {"letterhead_name", "return_address", "phone", "signature_name", "signature_title", "reply_to", "logo"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: _("Unknown setting.") for name in unknown})
    if fields.get("logo"):
        from notifications.letters.logo import logo_checked

        fields["logo"] = logo_checked(fields["logo"])
    with transaction.atomic():
        row, _created = LetterSettings.objects.get_or_create(district=district)
        for name, value in fields.items():
            setattr(row, name, value)
        row.full_clean(exclude=["district"])
        row.save()
        audit(district=district, actor=actor, verb="letters.settings", obj=row, changes={"fields": sorted(fields)})
    return row


__all__ = [
    "notices_for_event",
    "progress_reports_create",
    "point_card_summaries_create",
    "notice_send",
    "notice_acknowledge",
    "notice_regenerate",
    "notice_retry",
    "print_batch_create",
    "letter_language",
    "enqueue_send",
]


# --- screening results after a window closes ------------------------------------------------------


# Students per transaction when a window's letters are queued: a failure loses one batch's work,
# never a half-written batch (each batch is idempotent on its unique keys, so a re-run fills the gap).
SCREENING_LETTER_BATCH = 500


def screening_letters_create(*, district: District, window, actor: User | None = None) -> int:
    """Queue the screening-result letters of one closed benchmark window: one letter per
    screened student and window.

    A student at risk (an indicated tier of 2 or more: Loudon's "students scoring below the
    25th national percentile", RULES.md 4.4) gets the policy's `screening_at_risk` letter,
    which carries the results, the program and the invitation to join the team ("The
    Intervention Specialist will send a letter home explaining the RTI program in more depth
    and will invite the parents to become a member of their child's intervention team");
    every other screened student gets `screening_completed`. At-risk families used to get
    both on the same day. The period is the window, so a re-run adds nothing.
    """
    _version, policy = policy_document(district=district)
    has_at_risk_letter = policy is not None and any(
        n.trigger == "screening_at_risk" for n in policy.parent_contact.notices
    )
    by_student: dict[int, list] = {}
    students: dict[int, Student] = {}
    for score in (
        Score.objects.filter(district=district, window=window)
        .select_related("measure", "student")
        .order_by("student_id", "measure__name")
    ):
        students[score.student_id] = score.student
        by_student.setdefault(score.student_id, []).append(score)
    period = f"screening-{window.pk}"
    # One batch per letter and tier (notices_for_students reads the policy and the guardians once
    # per batch): a district's window is thousands of letters, not thousands of round trips.
    batches: dict[tuple[str, int | None], dict[int, dict]] = {}
    for student_id, scores in by_student.items():
        rows = [
            {
                "measure": s.measure.name,
                "score": s.score if s.score is not None else s.category,
                "percentile": s.percentile,
                "at_risk": bool(s.tier and s.tier >= 2),
            }
            for s in scores
        ]
        if has_at_risk_letter and any(r["at_risk"] for r in rows):
            key = ("screening_at_risk", max(s.tier or 1 for s in scores))
        else:
            key = ("screening_completed", None)
        batches.setdefault(key, {})[student_id] = {"screening": rows, "window_id": window.pk}
    count = 0
    for (trigger, tier), contexts in batches.items():
        ids = list(contexts)
        for start in range(0, len(ids), SCREENING_LETTER_BATCH):
            chunk = ids[start : start + SCREENING_LETTER_BATCH]
            with transaction.atomic():
                count += len(
                    notices_for_students(
                        district=district,
                        students=[students[i] for i in chunk],
                        trigger=trigger,
                        period_key=period,
                        actor=actor,
                        contexts={i: contexts[i] for i in chunk},
                        tier=tier,
                    )
                )
    return count


def closed_windows(*, district: District, today: dt.date, within_days: int = 7) -> list:
    """Windows that closed in the last week (a missed daily run is caught up)."""
    return list(
        ScreeningWindow.objects.filter(
            district=district, end_date__lt=today, end_date__gte=today - dt.timedelta(days=within_days)
        )
    )


def start_of_year_letters_enqueue(*, district: District, school_year: SchoolYear, actor: User | None) -> None:
    """Hand a district administrator's "send start-of-year letters" to a worker (thousands of
    letters), on commit; the job is idempotent per school year."""
    from notifications.tasks import district_start_of_year_letters

    audit(district=district, actor=actor, verb="notices.start_of_year", obj=school_year)
    district_id, year_id, actor_id = district.pk, school_year.pk, getattr(actor, "pk", None)
    # If the broker is down the job is lost (nothing sweeps it): the daily job still runs, and
    # the administrator can press the button again (the job is idempotent per school year).
    enqueue_on_commit(district_start_of_year_letters, district_id, year_id, actor_id)

"""Ohio's Third Grade Reading Guarantee in the demo: the fall determinations and RIMPs at each state.

After the fall screening (demo/screening.py), the seeded workflow runs as the school would have run
it: the determinations are recorded (interventions.rimp.services), a RIMP is written for every
not-on-track student within the 60 days (RULES.md 4.5) and approved by the principal, and its
letter goes to the parents. What it leaves, so that every state of the RIMP report can be walked:

* sent: most plans, approved before their deadline, with the letter delivered;
* approved: a few approved plans whose printed letter waits for the school's print batch;
* created: drafts whose deadline has not come yet;
* due: students still inside the 60 days with no plan yet;
* overdue: a few students (OVERDUE at most), left without a plan on purpose to show the state;
  after the seeded workflow no other student is overdue.

Ohio's diagnostic is due by Sept. 30 (kindergarten: Nov. 1) "or by 30 days after enrollment"
(seed 003, section D): the students still inside their 60 days are late enrollees, diagnosed
shortly before the demo's day (LATE_ENROLLEES of them, the most recent determinations).
Only districts whose policy requires a plan on `not_on_track` (Ohio) get any of this.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Q

from interventions.rimp.models import ReadingDetermination, Rimp
from interventions.rimp.services import reading_determinations_record, required_rimp, rimp_approve, rimp_create
from mtss.models import District, Membership, Role, SchoolYear
from mtss.selectors import policy_document
from mtss.tenancy import tenant_context
from notifications.models import Channel, Notice, NoticeStatus
from notifications.services import notice_acknowledge, notice_send
from screening.models import Score

# At most (fewer in a small demo): students left overdue, late enrollees, approved plans whose letter
# waits for the print batch.
OVERDUE = 3
LATE_ENROLLEES = 6
APPROVED_ONLY = 3

DEFICIENCIES = (
    "Phonemic awareness: blending and segmenting sounds.",
    "Phonics: decoding short-vowel and consonant-blend words.",
    "Fluency: reads accurately but slowly; below the fall target in words correct per minute.",
    "Vocabulary and comprehension: retells with few details.",
)
INSTRUCTION = (
    "Small-group phonics in the K12 phonics curriculum at the student's level, 30 minutes daily, with "
    "Reading Eggs as a supplemental program."
)
MONITORING = "aimswebPlus progress monitoring every week; the Teacher-Based Team reviews the data every 6 weeks."
CURRICULUM = "The 90-minute reading block of the K12 LA curriculum during regular school hours."
PARENTS = "Daily reading at home with the decodable books sent home; a call with the reading teacher every month."


def _principal(district: District, school_id: int) -> Membership | None:
    return (
        Membership.objects.filter(district=district, role=Role.PRINCIPAL, is_active=True)
        .filter(Q(schools__id=school_id))
        .select_related("user")
        .first()
    )


def seed_reading_guarantee(*, district: District, as_of: dt.date) -> dict:
    rng = random.Random(f"{district.slug}-rimp")
    with tenant_context(district):
        _v, policy = policy_document(district=district, as_of=as_of)
        required = required_rimp(policy)
        year = SchoolYear.objects.filter(district=district, start_date__lte=as_of).order_by("-start_date").first()
        if required is None or year is None:
            return {}
        reading_determinations_record(district=district, school_year=year)
        determinations = list(
            ReadingDetermination.objects.filter(
                district=district, school_year=year, status=ReadingDetermination.Status.NOT_ON_TRACK
            )
            .select_related("student")
            .order_by("determined_on", "id")
        )
        within = required.due_within_days or 60
        # Late enrollees: the most recent determinations, diagnosed within the last weeks.
        late = (
            determinations[-min(LATE_ENROLLEES, max(2, len(determinations) // 4)) :] if len(determinations) > 4 else []
        )
        for i, determination in enumerate(late):
            day = as_of - dt.timedelta(days=8 + 5 * i)
            ReadingDetermination.objects.filter(pk=determination.pk).update(
                determined_on=day, rimp_due=day + dt.timedelta(days=within)
            )
            if determination.score_id:
                Score.objects.filter(pk=determination.score_id).update(test_date=day)
            determination.determined_on, determination.rimp_due = day, day + dt.timedelta(days=within)
        open_ = [d for d in determinations if d.rimp_due >= as_of]
        approved_quota = min(APPROVED_ONLY, max(1, len(determinations) // 8))
        past = [d for d in determinations if d.rimp_due < as_of]
        overdue = rng.sample(past, min(OVERDUE, max(1, len(past) // 6))) if len(past) > 2 else []
        counts = {"rimp_due": 0, "rimp_created": 0, "rimp_approved": 0, "rimp_sent": 0, "rimp_overdue": len(overdue)}
        for i, determination in enumerate(open_):
            if i % 2:
                counts["rimp_due"] += 1
                continue
            _write(district, determination, rng, as_of=as_of)
            counts["rimp_created"] += 1
        approved_only = 0
        for determination in past:
            if determination in overdue:
                continue
            rimp = _write(district, determination, rng, as_of=as_of)
            principal = _principal(district, determination.student.school_id)
            if principal is None:
                continue
            rimp_approve(district=district, membership=principal, actor=principal.user, rimp=rimp)
            approved_on = min(determination.rimp_due, as_of) - dt.timedelta(days=rng.randrange(1, 10))
            Rimp.objects.filter(pk=rimp.pk).update(
                approved_at=dt.datetime.combine(approved_on, dt.time(15, 0), tzinfo=dt.UTC)
            )
            letters = list(Notice.objects.filter(district=district, student=determination.student, letter_type="rimp"))
            if not letters or approved_only < approved_quota:
                # The school hands these parents a printed copy: the letter waits for the school's
                # print batch, and the report shows the "approved" state until it goes out.
                Notice.objects.filter(pk__in=[n.pk for n in letters]).update(channel=Channel.PRINT)
                approved_only += 1
                counts["rimp_approved"] += 1
                continue
            for letter in letters:
                try:
                    sent = notice_send(district=district, notice_id=letter.pk)
                except Exception:  # a mail server refusing: the outbox retries it, as in production
                    continue
                if sent is not None and sent.status == NoticeStatus.GENERATED:
                    # A printed letter handed to the parent, who signed for it.
                    notice_acknowledge(district=district, notice=sent, actor=principal.user, note="Demo: signed copy")
            counts["rimp_sent"] += 1
    return counts


def _write(district: District, determination: ReadingDetermination, rng: random.Random, *, as_of: dt.date) -> Rimp:
    rimp = rimp_create(
        district=district,
        actor=None,
        student=determination.student,
        deficiency=rng.choice(DEFICIENCIES),
        supplemental_instruction=INSTRUCTION,
        monitoring=MONITORING,
        curriculum=CURRICULUM,
        parent_involvement=PARENTS,
    )
    written = min(determination.determined_on + dt.timedelta(days=rng.randrange(5, 40)), as_of)
    Rimp.objects.filter(pk=rimp.pk).update(created_at=dt.datetime.combine(written, dt.time(14, 0), tzinfo=dt.UTC))
    return rimp

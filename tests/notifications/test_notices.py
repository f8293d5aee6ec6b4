"""Queueing notices (the outbox), sending them once, progress reports on their cadence,
staff actions, print batches and failures."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from pypdf import PdfReader

from mtss.policy import preset_data
from mtss.tenancy import tenant_context
from notifications import services
from notifications.models import Channel, Notice, NoticeEvent, NoticeStatus
from tests import factories as f
from tests.notifications.helpers import FULL_CONTEXT, all_language_policy, use_policy

START = {k: v for k, v in FULL_CONTEXT.items() if k != "from_tier"}  # a first placement, not a change


def _queue(side, student, trigger="tier_start", period="placement-1", **kwargs):
    with tenant_context(side.district):
        return services.notices_for_event(
            district=side.district,
            student=student,
            trigger=trigger,
            period_key=period,
            context=kwargs.pop("context", START),
            **kwargs,
        )


def test_a_decision_queues_one_notice_per_guardian_in_their_language_and_sends_it(
    letters, django_capture_on_commit_callbacks
):
    side = letters["side"]
    student = side.students[0]
    f.make_guardian(student, first_name="Lan", preferred_language="vi", email="")
    f.make_guardian(student, first_name="Quiet", receives_notices=False)
    with django_capture_on_commit_callbacks(execute=True):
        created = _queue(side, student, tier=2)
    assert sorted(n.language for n in created) == ["es", "vi"]  # not the guardian who opted out
    with tenant_context(side.district):
        notices = {n.language: n for n in Notice.objects.filter(district=side.district)}
        assert notices["es"].status == NoticeStatus.SENT and notices["es"].channel == Channel.EMAIL
        assert notices["vi"].status == NoticeStatus.GENERATED and notices["vi"].channel == Channel.PRINT
        assert notices["vi"].rendered_language == "vi" and notices["vi"].pdf
        verbs = list(NoticeEvent.objects.filter(notice=notices["es"]).values_list("verb", flat=True))
    assert verbs == ["created", "generated", "sending", "emailed"]  # the attempt is on record before SMTP
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["parent@example.org"] and message.attachments[0][2] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(message.attachments[0][1])).pages)
    assert "Aviso de servicios de intervención" in text and student.last_name in text


def test_the_same_event_twice_creates_nothing_new_and_sends_nothing_twice(letters, django_capture_on_commit_callbacks):
    side = letters["side"]
    student = side.students[0]
    with django_capture_on_commit_callbacks(execute=True):
        first = _queue(side, student, tier=2)
    with django_capture_on_commit_callbacks(execute=True):
        second = _queue(side, student, tier=2)
    assert len(first) == 1 and second == []
    with tenant_context(side.district):
        assert Notice.objects.filter(district=side.district).count() == 1
        # A duplicate task for the same notice (a retry, a second worker) finds it claimed or done.
        assert services.notice_send(district=side.district, notice_id=first[0].pk) is None
    assert len(mail.outbox) == 1


def test_policy_filters_tiers_and_change_of_tier_uses_its_letter(letters):
    side = letters["side"]
    data = all_language_policy()
    data["parent_contact"]["notices"][3]["tiers"] = [2, 3]  # tier-start, as Holland Patent and LAUSD have it
    use_policy(side.district, data, effective_from=dt.date(2026, 8, 2))
    assert _queue(side, side.students[0], trigger="tier_start", tier=1, context={}) == []
    created = _queue(
        side,
        side.students[1],
        trigger="tier_start",
        tier=3,
        context={"from_tier": 2, "to_tier": 3, "reason": "Flat trend"},
    )
    assert [n.letter_type for n in created] == ["tier_change"]
    assert created[0].content_blocks[:2] == ["tier_change", "summary_of_services"]


def test_holland_patent_writes_to_a_student_over_17_too(world, django_capture_on_commit_callbacks):
    side = world.b
    use_policy(side.district, preset_data("holland-patent-ny"))
    student = f.make_student(side.district, side.other_school, birth_date=dt.date(2008, 1, 5), grade=8)
    f.make_guardian(student)
    younger = f.make_student(side.district, side.other_school, birth_date=dt.date(2012, 1, 5), grade=8)
    f.make_guardian(younger)
    created = _queue(side, student, tier=2)
    assert sorted(n.recipient_key.split(":")[0] for n in created) == ["guardian", "student"]
    student_copy = next(n for n in created if n.recipient_key == "student")
    assert student_copy.language == "en" and student_copy.recipient_name == student.full_name
    assert len(_queue(side, younger, tier=2)) == 1


def test_ohio_not_on_track_queues_the_notice_but_not_the_rimp_letter(world):
    """The RIMP's letter goes out once the plan is approved (seed 003 section D: "approved by the
    principal ... and provided to the parent"; interventions.rimp), not with the not-on-track notice."""
    side = world.a
    use_policy(side.district, preset_data("ohio-virtual-academy"))
    created = _queue(
        side,
        side.students[0],
        trigger="not_on_track",
        period="diagnostic-fall",
        context={"deficiency": "phonics", "proposed_services": ["Daily phonics"]},
    )
    assert {n.notice_key for n in created} == {"not-on-track"}
    assert created[0].letter_type == "not_on_track"
    assert created[0].due_date == timezone.localdate(created[0].created_at)  # "immediately"
    grade_5 = f.make_student(side.district, side.school, grade=5)
    f.make_guardian(grade_5)
    assert _queue(side, grade_5, trigger="not_on_track", period="diagnostic-fall") == []  # K-3 only


def test_bad_input_names_the_field(letters):
    side = letters["side"]
    with pytest.raises(ValidationError) as error:
        _queue(side, side.students[0], trigger="nonsense")
    assert "trigger" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _queue(side, side.students[0], period="")
    assert "period_key" in error.value.message_dict
    with pytest.raises(ValidationError):
        _queue(
            side,
            f.make_student(f.make_district("other-x"), f.make_school(f.make_district("other-y"))),
            period="p",
        )  # another district's student


def test_a_missing_block_fails_the_notice_with_its_reason_and_no_retry(letters, django_capture_on_commit_callbacks):
    side = letters["side"]
    with django_capture_on_commit_callbacks(execute=True):
        created = _queue(side, side.students[0], trigger="meeting_scheduled", period="meeting-9", context={})
    with tenant_context(side.district):
        notice = Notice.objects.get(pk=created[0].pk)
    assert notice.status == NoticeStatus.FAILED
    assert "meeting_details" in notice.last_error
    assert notice.next_attempt_at is None  # a retry cannot supply the data


def test_a_mail_failure_is_recorded_with_backoff_and_an_admin_retry_sends_it(
    letters, settings, django_capture_on_commit_callbacks
):
    side = letters["side"]
    settings.EMAIL_BACKEND = "tests.notifications.failing_mail.Backend"
    with django_capture_on_commit_callbacks(execute=True):
        created = _queue(side, side.students[0], tier=2)
    with tenant_context(side.district):
        notice = Notice.objects.get(pk=created[0].pk)
        assert notice.status == NoticeStatus.FAILED and "SMTP down" in notice.last_error
        assert notice.attempts == 1 and notice.next_attempt_at is not None
        assert services.outbox_due(district=side.district) == []  # backoff not over yet
        assert services.outbox_due(district=side.district, now=notice.next_attempt_at) == [notice.pk]
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        with django_capture_on_commit_callbacks(execute=True):
            services.notice_retry(district=side.district, notice=notice, actor=side.district_admin)
        notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT and len(mail.outbox) == 1


def test_progress_reports_follow_the_cadence_and_a_rerun_creates_none(letters, django_capture_on_commit_callbacks):
    side = letters["side"]  # Loudon: every 3 weeks; the school year starts 2026-08-01
    with tenant_context(side.district):
        assert services.progress_reports_create(district=side.district, as_of=dt.date(2026, 8, 20)) == []
        with django_capture_on_commit_callbacks(execute=True):
            first = services.progress_reports_create(district=side.district, as_of=dt.date(2026, 10, 20))
            again = services.progress_reports_create(district=side.district, as_of=dt.date(2026, 10, 21))
        assert len(first) == 3 and again == []  # one guardian each for the three plans' students
        assert {n.period_key for n in first} == {"pr-2026-w9"}
        later = services.progress_reports_create(district=side.district, as_of=dt.date(2026, 10, 31))
        assert {n.period_key for n in later} == {"pr-2026-w12"}
        assert Notice.objects.filter(district=side.district, status=NoticeStatus.SENT).count() == 3


def test_times_per_quarter_periods():
    policy = __import__("mtss.policy", fromlist=["validate_policy"]).validate_policy(preset_data("holland-patent-ny"))
    start = dt.date(2026, 9, 1)

    def periods(grade, day):
        return services.progress_report_periods(policy=policy, grade=grade, year_start=start, today=day)

    assert periods(3, dt.date(2026, 9, 10)) == []  # week 2 of quarter 1, due in week 9
    assert periods(3, dt.date(2026, 10, 30)) == ["pr-2026-q1-1"]
    assert periods(7, dt.date(2026, 9, 29)) == ["pr-2026-q1-1"]  # grades 6-12: week 5 of the quarter
    assert periods(7, dt.date(2026, 11, 10)) == ["pr-2026-q1-1"]  # quarter 2, before its week 5: catch-up only
    assert periods(7, dt.date(2026, 12, 1)) == ["pr-2026-q2-1"]


def test_acknowledge_regenerate_and_print_batch(letters, django_capture_on_commit_callbacks):
    side = letters["side"]
    for student in side.students[:3]:
        with tenant_context(side.district):
            from students.models import Guardian

            Guardian.objects.filter(student=student).update(email="")  # printed letters
    with tenant_context(side.district):
        Guardian.objects.filter(student=side.students[1]).update(postal_code="10001")
    with django_capture_on_commit_callbacks(execute=True):
        for student in side.students[:3]:
            _queue(side, student, tier=2)
    with tenant_context(side.district):
        notices = list(Notice.objects.filter(district=side.district))
        assert {n.status for n in notices} == {NoticeStatus.GENERATED}
        with pytest.raises(ValidationError):
            services.notice_acknowledge(
                district=side.district, notice=Notice(district=side.district, status=NoticeStatus.PENDING), actor=None
            )
        batch = services.print_batch_create(district=side.district, school=side.school, actor=side.principal)
        assert batch.letter_count == 3 and batch.page_count % 2 == 0
        reader = PdfReader(batch.pdf.open("rb"))
        first_page = reader.pages[0].extract_text()
        assert "10001" in first_page  # sorted by ZIP code for mailing
        assert set(Notice.objects.filter(district=side.district).values_list("status", flat=True)) == {"sent"}
        with pytest.raises(ValidationError):  # nothing left to print: no empty batch, nothing half-written
            services.print_batch_create(district=side.district, school=side.school, actor=side.principal)
        notice = notices[0]
        notice.refresh_from_db()
        services.notice_acknowledge(district=side.district, notice=notice, actor=side.principal)
        assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.ACKNOWLEDGED
        with django_capture_on_commit_callbacks(execute=True):
            services.notice_regenerate(district=side.district, notice=notice, actor=side.principal)
        notice.refresh_from_db()
        assert notice.status == NoticeStatus.GENERATED and notice.print_batch_id is None
        verbs = list(NoticeEvent.objects.filter(notice=notice).values_list("verb", flat=True))
    assert verbs == ["created", "generated", "printed", "acknowledged", "regenerate", "generated"]


def test_print_batch_places_the_address_in_the_envelope_window(letters, django_capture_on_commit_callbacks):
    """The address's text sits 2"-3.1" from the top and 7/8"-4 7/8" from the left (a #10 window)."""
    side = letters["side"]
    with tenant_context(side.district):
        from students.models import Guardian

        Guardian.objects.filter(student=side.students[0]).update(email="")
    with django_capture_on_commit_callbacks(execute=True):
        _queue(side, side.students[0], tier=2)
    with tenant_context(side.district):
        notice = Notice.objects.get(district=side.district)
        page = PdfReader(notice.pdf.open("rb")).pages[0]
    found = []

    def visit(text, cm, tm, font, size):
        if "37774" in text:  # user space = text matrix x current transformation matrix
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((x, float(page.mediabox.height) - y))

    page.extract_text(visitor_text=visit)
    x, y = found[0]
    assert 0.875 * 72 <= x <= 4.875 * 72 and 2 * 72 <= y <= 3.125 * 72


def test_a_closed_screening_window_sends_results_and_at_risk_letters_once(letters):
    from mtss.models import SchoolYear
    from screening.models import Assessment, Measure, Score, ScreeningWindow

    side = letters["side"]
    district = side.district
    with tenant_context(district):
        year = SchoolYear.objects.get(district=district)
        window = ScreeningWindow.objects.create(
            district=district,
            school_year=year,
            season="fall",
            start_date=dt.date(2026, 9, 1),
            end_date=dt.date(2026, 9, 20),
        )
        assessment = Assessment.objects.create(district=district, name="aimsweb Plus")
        measure = Measure.objects.create(
            district=district, assessment=assessment, name="R-CBM", subject="reading", score_type="raw"
        )
        for student, tier in ((side.students[0], 2), (side.students[1], 1)):
            Score.objects.create(
                district=district,
                student=student,
                measure=measure,
                window=window,
                school=student.school,
                grade=2,
                test_date=dt.date(2026, 9, 10),
                score=41,
                tier=tier,
            )
        assert services.closed_windows(district=district, today=dt.date(2026, 9, 21)) == [window]
        assert services.closed_windows(district=district, today=dt.date(2026, 9, 20)) == []  # still open
        # One letter per student and window: the at-risk family gets Loudon's below-25th-percentile
        # letter (which carries the results) and no second results letter (issue 18, item 6).
        assert services.screening_letters_create(district=district, window=window) == 2
        assert services.screening_letters_create(district=district, window=window) == 0  # re-run: nothing
        keys = sorted(Notice.objects.filter(district=district).values_list("student_id", "notice_key"))
    assert keys == sorted(
        [
            (side.students[0].pk, "below-25th-percentile"),
            (side.students[1].pk, "screening-results"),
        ]
    )


def test_staff_reminders_count_overdue_probes_once_a_week(program):
    from notifications.models import StaffReminder
    from notifications.reminders import staff_reminders_send

    side = program["side"]  # three plans whose last probe is the baseline in early September
    with tenant_context(side.district):
        assert staff_reminders_send(district=side.district, as_of=dt.date(2026, 11, 23)) == 1
        assert staff_reminders_send(district=side.district, as_of=dt.date(2026, 11, 24)) == 0  # same week
        reminder = StaffReminder.objects.get(district=side.district)
    assert reminder.user == side.intervention_specialist and reminder.item_count >= 3
    assert len(mail.outbox) == 1 and "3 overdue probes" in mail.outbox[0].subject
    assert "Alpha" not in mail.outbox[0].body  # counts only: no student names in staff mail

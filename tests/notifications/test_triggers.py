"""Every policy notice trigger fires from the event that causes it (issue 13, scope 1).

- a coverage test enumerates the schema's trigger names and runs, for each, a real scenario
  through the services that cause it; a trigger without a scenario fails the test;
- a trigger for a student without a guardian who receives notices is recorded as "no
  recipient", listed on the notices page, and goes out once a guardian is added;
- Loudon's screening letter: one per at-risk family and window, with the percentile, a
  concrete way to join the team, signed by the intervention specialist;
- Holland Patent's start notice for a Tier 2 placement made through the plan form;
- the start-of-year letters: the daily job and the administrator's "send", once per year.

On-commit callbacks do not run in these tests (nothing is rendered or sent) unless a test
captures them: the subject is which notices are queued.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import get_args

from django.urls import reverse
from django.utils import timezone

from interventions.meetings.services import agenda_add, decision_record, meeting_close, meeting_create
from interventions.models import AgendaItem, MeetingAttendee
from interventions.services import plan_create
from mtss import events
from mtss.models import SchoolYear
from mtss.policy import preset_data
from mtss.policy.schema import NoticeTrigger
from mtss.tenancy import tenant_context
from notifications import tasks, triggers
from notifications.letters.render import letter_context
from notifications.models import Notice, NoticeStatus
from notifications.services import letter_settings_save
from screening import services as screening
from screening.models import ScreeningWindow
from students.services import guardian_create, student_create
from tests import factories as f
from tests.notifications.helpers import use_policy
from tests.screening.helpers import score_items


def every_trigger_policy() -> dict:
    """Loudon's policy (eight of the triggers) plus a notice for each trigger it does not use."""
    data = copy.deepcopy(preset_data("loudon-county-tn"))
    data["parent_contact"]["notices"] += [
        {
            "key": "not-on-track",
            "title": "Not on track in reading",
            "trigger": "not_on_track",
            "timing": "immediately",
            "delivery": ["letter"],
            "content_blocks": [],
        },
        {
            "key": "referral",
            "title": "Special-education referral",
            "trigger": "referral_considered",
            "delivery": ["letter"],
            "content_blocks": [],
        },
    ]
    return data


def _meeting(side, *, days_ahead=1):
    starts = timezone.localtime().replace(hour=15, minute=0, second=0, microsecond=0) + dt.timedelta(days=days_ahead)
    return meeting_create(
        district=side.district,
        actor=side.intervention_specialist,
        school=side.school,
        team_type="s_team",
        starts_at=starts,
        location="Room 12",
        purpose="S-Team review",
    )[0]


def _new_student(side, **fields):
    student = f.make_student(side.district, side.school, **fields)
    f.make_guardian(student)
    return student


# --- scenarios: each causes its trigger through the service that owns the event ------------------


def _meeting_run(ctx):
    """One S-Team meeting: students on the agenda, an exit, a referral and a continue, closed."""
    if "meeting" not in ctx:
        side, plans = ctx["side"], ctx["plans"]
        meeting = _meeting(side)
        items = [
            agenda_add(
                district=side.district,
                actor=side.intervention_specialist,
                meeting=meeting,
                student=plan.student,
                reason="review",
                area="reading",
            )
            for plan in plans
        ]
        decision_record(district=side.district, actor=side.principal, item=items[1], kind="exit", notes="At goal")
        decision_record(
            district=side.district,
            actor=side.principal,
            item=items[0],
            kind="refer_evaluation",
            override_reason="Parents asked for the evaluation",
        )
        decision_record(district=side.district, actor=side.principal, item=items[2], kind="continue")
        ctx["invited"] = [p.student for p in plans]
        meeting_close(district=side.district, actor=side.principal, meeting=meeting)
        ctx["meeting"] = meeting
    return ctx["meeting"]


def scenario_meeting_scheduled(ctx):
    _meeting_run(ctx)
    return ctx["invited"]


def scenario_meeting_outcome(ctx):
    _meeting_run(ctx)
    return [p.student for p in ctx["plans"]]


def scenario_tier_end(ctx):
    _meeting_run(ctx)
    return [ctx["plans"][1].student]


def scenario_referral_considered(ctx):
    _meeting_run(ctx)
    return [ctx["plans"][0].student]


def scenario_tier_start(ctx):
    side = ctx["side"]
    student = _new_student(side)
    plan_create(
        district=side.district,
        actor=side.intervention_specialist,
        student=student,
        area="reading",
        tier=2,
        intervention=ctx["intervention"],
        provider=side.intervention_specialist,
        start_date=timezone.localdate(),
        expected_end_date=timezone.localdate() + dt.timedelta(weeks=10),
        goal_measure="R-CBM WRC",
        goal_target=80,
        goal_target_date=timezone.localdate() + dt.timedelta(weeks=10),
        sessions_per_week=4,
        minutes_per_session=30,
    )
    return [student]


def _screening_run(ctx):
    if "window" not in ctx:
        side = ctx["side"]
        district = side.district
        screening.catalog_ensure(district=district)
        year = SchoolYear.objects.get(district=district, name="2026-2027")
        screening.windows_default(district=district, actor=None, school_year=year)
        window = ScreeningWindow.objects.get(district=district, school_year=year, season="fall")
        # Student 1 below the 25th percentile, student 2 well above it.
        screening.scores_create_bulk(district=district, actor=None, items=score_items(side, {1: 10, 2: 60}))
        tasks.window_screening_letters.delay(district.pk, window.pk)
        ctx["window"] = window
    return ctx["window"]


def scenario_screening_at_risk(ctx):
    _screening_run(ctx)
    return [ctx["side"].students[1]]


def scenario_screening_completed(ctx):
    _screening_run(ctx)
    return [ctx["side"].students[2]]


def scenario_start_of_year(ctx):
    side = ctx["side"]
    year = SchoolYear.objects.get(district=side.district, name="2026-2027")
    tasks.district_start_of_year_letters.delay(side.district.pk, year.pk)
    return side.students[:3]  # the three enrolled by the year's first day (tests/conftest.py)


def scenario_mid_year_entry(ctx):
    side = ctx["side"]
    student = student_create(
        district=side.district,
        actor=side.district_admin,
        school=side.school,
        local_id="MID0001",
        first_name="Nova",
        last_name="Late",
        birth_date=dt.date(2018, 3, 1),
        grade=2,
        entry_date=timezone.localdate(),
    )
    # Created with no guardian (the form adds them next): recorded, then sent once one is added.
    assert Notice.objects.get(district=side.district, student=student).status == NoticeStatus.NO_RECIPIENT
    guardian_create(
        district=side.district,
        actor=side.district_admin,
        student=student,
        first_name="Ana",
        last_name="Late",
        relationship="mother",
        preferred_language="es",
        address_line1="2 Oak St",
        city="Town",
        state="TN",
        postal_code="37774",
    )
    return [student]


def scenario_not_on_track(ctx):
    side = ctx["side"]
    events.announce(
        events.NOT_ON_TRACK_DETERMINED,
        district=side.district,
        student=side.students[0],
        school_year_key="2026-2027",
        actor=None,
    )
    return [side.students[0]]


SCENARIOS = {
    "start_of_year": scenario_start_of_year,
    "screening_completed": scenario_screening_completed,
    "screening_at_risk": scenario_screening_at_risk,
    "not_on_track": scenario_not_on_track,
    "tier_start": scenario_tier_start,
    "tier_end": scenario_tier_end,
    "meeting_scheduled": scenario_meeting_scheduled,
    "meeting_outcome": scenario_meeting_outcome,
    "mid_year_entry": scenario_mid_year_entry,
    "referral_considered": scenario_referral_considered,
}


def test_every_policy_trigger_fires_from_the_event_that_causes_it(program):
    triggers_in_schema = set(get_args(NoticeTrigger))
    assert len(triggers_in_schema) >= 10
    missing = sorted(triggers_in_schema - set(SCENARIOS))
    assert not missing, f"no scenario fires these policy triggers: {missing}"
    side = program["side"]
    use_policy(side.district, every_trigger_policy())
    ctx = {"side": side, "plans": program["plans"], "intervention": program["intervention"]}
    fired = {}
    with tenant_context(side.district):
        for trigger in sorted(triggers_in_schema):
            students = SCENARIOS[trigger](ctx)
            notices = Notice.objects.filter(district=side.district, trigger=trigger)
            fired[trigger] = {n.student_id for n in notices if n.status == NoticeStatus.PENDING}
            assert fired[trigger] >= {s.pk for s in students}, f"{trigger} sent nothing to {students}"
        # Once: each (student, notice, period, recipient) exactly one row, whatever ran twice.
        keys = list(Notice.objects.filter(district=side.district).values_list("student_id", "notice_key", "period_key"))
        assert len(keys) == len(set(keys))
        # In the guardian's language (Spanish, tests/factories.py), and no "no recipient" left over.
        assert set(Notice.objects.filter(district=side.district).values_list("language", flat=True)) == {"es"}
        assert not Notice.objects.filter(district=side.district, status=NoticeStatus.NO_RECIPIENT).exists()
        # The policy's timing: Loudon's invitation is due "before" the meeting, Ohio-style notices at once.
        invitation = Notice.objects.filter(district=side.district, trigger="meeting_scheduled").first()
        assert invitation.due_date == timezone.localtime(ctx["meeting"].starts_at).date()
        assert Notice.objects.filter(trigger="not_on_track").get().due_date == timezone.localdate()
        # The screening letter: one per student and window (the at-risk family does not get two).
        screened = Notice.objects.filter(district=side.district, period_key=f"screening-{ctx['window'].pk}")
        assert sorted(screened.values_list("student_id", "notice_key")) == sorted(
            [(side.students[1].pk, "below-25th-percentile"), (side.students[2].pk, "screening-results")]
        )
        # Nothing fires twice: the jobs and events again add no row.
        before = Notice.objects.filter(district=side.district).count()
        tasks.window_screening_letters.delay(side.district.pk, ctx["window"].pk)
        year = SchoolYear.objects.get(district=side.district, name="2026-2027")
        tasks.district_start_of_year_letters.delay(side.district.pk, year.pk)
        scenario_not_on_track(ctx)
        assert Notice.objects.filter(district=side.district).count() == before


def test_the_invitation_has_the_meeting_and_a_way_to_join_the_team_and_the_outcome_lists_decisions(program):
    side, plans = program["side"], program["plans"]
    with tenant_context(side.district):
        letter_settings_save(district=side.district, actor=None, phone="865-555-0100")
        meeting = _meeting(side, days_ahead=3)
        item = agenda_add(
            district=side.district,
            actor=side.intervention_specialist,
            meeting=meeting,
            student=plans[0].student,
            reason="review",
            area="reading",
        )
        invitation = Notice.objects.get(district=side.district, trigger="meeting_scheduled")
        letter = letter_context(district=side.district, notice=invitation, language="en")
        blocks = {b["key"]: b for b in letter["blocks"]}
        rows = dict(blocks["meeting_details"]["table"]["rows"])
        assert rows["Time"] == "15:00" and rows["Place"] == "Room 12" and rows["Purpose"] == "S-Team review"
        specialist = side.intervention_specialist.get_full_name()
        join = " ".join(blocks["team_invitation"]["paragraphs"])
        assert specialist in join and "865-555-0100" in join and side.intervention_specialist.email in join
        # A guardian who attended hears the outcome there; the others get the letter.
        other = agenda_add(
            district=side.district,
            actor=side.intervention_specialist,
            meeting=meeting,
            student=plans[2].student,
            reason="review",
            area="reading",
        )
        guardian = plans[2].student.guardians.get()
        MeetingAttendee.objects.create(
            district=side.district,
            meeting=meeting,
            kind=MeetingAttendee.Kind.GUARDIAN,
            guardian=guardian,
            name="Alex",
            attended=True,
        )
        decision_record(district=side.district, actor=side.principal, item=item, kind="reduce", notes="Steady")
        decision_record(district=side.district, actor=side.principal, item=other, kind="continue")
        meeting_close(district=side.district, actor=side.principal, meeting=meeting)
        outcomes = list(Notice.objects.filter(district=side.district, trigger="meeting_outcome"))
        assert [n.student_id for n in outcomes] == [plans[0].student_id]
        letter = letter_context(district=side.district, notice=outcomes[0], language="en")
        outcome = next(b for b in letter["blocks"] if b["key"] == "meeting_outcome")
        assert outcome["bullets"] == ["Reading: Reduce the support to a lower tier."]  # not the raw word "reduce"
        # A past meeting invites nobody: students added after the fact get no invitation.
        past = _meeting(side, days_ahead=-2)
        agenda_add(
            district=side.district,
            actor=side.intervention_specialist,
            meeting=past,
            student=plans[1].student,
            reason="late entry",
            area="reading",
        )
        assert not Notice.objects.filter(district=side.district, meeting_id=past.pk).exists()
        assert AgendaItem.objects.filter(meeting=past).count() == 1


def test_a_student_with_no_guardian_is_listed_as_no_recipient_and_sent_once_one_is_added(program, login):
    side = program["side"]
    with tenant_context(side.district):
        orphan = f.make_student(side.district, side.school, last_name="Nobodyhome")
        meeting = _meeting(side)
        agenda_add(
            district=side.district,
            actor=side.intervention_specialist,
            meeting=meeting,
            student=orphan,
            reason="teacher concern",
        )
        recorded = Notice.objects.get(district=side.district, student=orphan)
        assert recorded.status == NoticeStatus.NO_RECIPIENT and recorded.trigger == "meeting_scheduled"
        assert recorded.email == "" and recorded.address == ""
    client = login(side.district_admin)
    page = client.get(reverse("notice_list"), {"status": "no_recipient"}).content.decode()
    assert "Nobodyhome" in page and "No recipient" in page
    detail = client.get(reverse("notice_detail", kwargs={"notice_id": recorded.pk})).content.decode()
    assert 'id="no-recipient"' in detail
    # Sending it now still finds nobody: the staff member is told, and the record stays.
    response = client.post(reverse("notice_send_to_guardians", kwargs={"notice_id": recorded.pk}), follow=True)
    assert "still has no guardian" in response.content.decode()
    with tenant_context(side.district):
        assert Notice.objects.filter(pk=recorded.pk, status=NoticeStatus.NO_RECIPIENT).exists()
        f.make_guardian(orphan, preferred_language="vi")  # a roster row, not the service: no event
    response = client.post(reverse("notice_send_to_guardians", kwargs={"notice_id": recorded.pk}))
    assert response.status_code == 302
    with tenant_context(side.district):
        notices = list(Notice.objects.filter(district=side.district, student=orphan))
        assert [(n.status, n.language, n.trigger) for n in notices] == [("pending", "vi", "meeting_scheduled")]


def test_loudons_screening_letter_has_the_percentile_a_way_to_join_and_the_specialists_signature(program):
    side = program["side"]
    principal = f.make_user("principal-loudon", first_name="Paula", last_name="Principal")
    with tenant_context(side.district):
        side.school.principal = principal
        side.school.save(update_fields=["principal"])
        letter_settings_save(district=side.district, actor=None, phone="865-555-0100")
        ctx = {"side": side}
        window = _screening_run(ctx)
        tasks.window_screening_letters.delay(side.district.pk, window.pk)  # the job runs again: no second letter
        letters = list(Notice.objects.filter(district=side.district, student=side.students[1]))
        assert [n.notice_key for n in letters] == ["below-25th-percentile"]
        letter = letter_context(district=side.district, notice=letters[0], language="en")
        spanish = letter_context(district=side.district, notice=letters[0])  # the guardian's language
    assert spanish["language"] == "es"
    spanish_text = str([b.get("paragraphs") for b in spanish["blocks"]]) + str(spanish["blocks"][0]["table"])
    assert "Para unirse al equipo, llame a" in spanish_text and "percentil 10" in spanish_text
    assert spanish["signer_title"] == "Especialista en intervención"
    blocks = {b["key"]: b for b in letter["blocks"]}
    table = blocks["screening_results"]["table"]
    assert "Percentile" in table["headers"] and "10th percentile" in table["rows"][0]
    join = " ".join(blocks["team_invitation"]["paragraphs"])
    assert "To join the team, call" in join and "865-555-0100" in join
    assert letter["signer"] == side.intervention_specialist.get_full_name() != "Paula Principal"
    assert letter["signer_title"] == "Intervention specialist"


def test_holland_patents_start_notice_goes_out_for_a_tier_2_plan_made_on_the_form(world):
    side = world.b
    use_policy(side.district, copy.deepcopy(preset_data("holland-patent-ny")))
    with tenant_context(side.district):
        from interventions.models import Intervention

        intervention = Intervention.objects.create(
            district=side.district,
            name="Wilson",
            area="reading",
            tiers=[2, 3],
            sessions_per_week=3,
            minutes_per_session=40,
        )
        start = timezone.localdate()
        plan, _warnings = plan_create(
            district=side.district,
            actor=side.intervention_specialist,
            student=side.students[0],
            area="reading",
            tier=2,
            intervention=intervention,
            provider=side.intervention_specialist,
            start_date=start,
            expected_end_date=start + dt.timedelta(weeks=12),
            goal_measure="ORF",
            goal_target=95,
            goal_target_date=start + dt.timedelta(weeks=12),
            sessions_per_week=3,
            minutes_per_session=40,
        )
        notice = Notice.objects.get(district=side.district, student=side.students[0])
        assert (notice.notice_key, notice.letter_type, notice.period_key) == (
            "rti-start",
            "placement_start",
            f"placement-{plan.placement_id}",
        )
        letter = letter_context(district=side.district, notice=notice, language="en")  # strict: every block
    reason = next(b for b in letter["blocks"] if b["key"] == "reason_for_services")["paragraphs"][0]
    assert "needs more help in reading" in reason and "Tier 2" in reason and "95 on ORF" in reason
    assert "Plan started" not in reason and "Intensify" not in reason
    services_block = next(b for b in letter["blocks"] if b["key"] == "summary_of_services")
    assert "Wilson" in services_block["bullets"][0]


def test_the_start_of_year_job_sends_once_a_year_from_the_first_instructional_day(program):
    side = program["side"]
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district, name="2026-2027")
        first = triggers.first_instructional_day(district=side.district, school_year=year)
        assert first == dt.date(2026, 8, 3)  # 1 August 2026 is a Saturday
        assert triggers.start_of_year_due(district=side.district, today=dt.date(2026, 8, 2)) is None
        assert triggers.start_of_year_due(district=side.district, today=first) == year
        assert triggers.start_of_year_due(district=side.district, today=first + dt.timedelta(days=30)) is None
        created = triggers.start_of_year_letters_create(district=side.district, school_year=year)
        # The three students enrolled by the first day (the fourth is not enrolled in the year).
        assert sorted(n.student_id for n in created) == sorted(s.pk for s in side.students[:3])
        assert {n.period_key for n in created} == {"year-2026-2027"}
        assert triggers.start_of_year_letters_create(district=side.district, school_year=year) == []


def test_a_district_admin_sends_the_start_of_year_letters_after_a_confirmation(program, login):
    side = program["side"]
    with tenant_context(side.district):  # today inside the year
        SchoolYear.objects.filter(district=side.district).update(
            start_date=timezone.localdate() - dt.timedelta(days=20),
            end_date=timezone.localdate() + dt.timedelta(days=200),
        )
    assert login(side.teacher).get(reverse("notice_start_of_year")).status_code == 404  # not theirs: 404
    client = login(side.district_admin)
    page = client.get(reverse("notice_start_of_year")).content.decode()
    assert "3 enrolled students" in page
    refused = client.post(reverse("notice_start_of_year"), {})
    assert refused.status_code == 400
    with tenant_context(side.district):
        assert not Notice.objects.filter(district=side.district, trigger="start_of_year").exists()
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        response = client.post(reverse("notice_start_of_year"), {"confirm": "1"})
    assert response.status_code == 302
    with tenant_context(side.district):  # nothing yet: the job is handed over on commit
        assert not Notice.objects.filter(district=side.district, trigger="start_of_year").exists()
    for callback in callbacks:  # the job, in-process here (tests/notifications/test_jobs.py: on a worker)
        callback()
    with tenant_context(side.district):
        assert Notice.objects.filter(district=side.district, trigger="start_of_year").count() == 3
    assert "3 of them already have their letter" in client.get(reverse("notice_start_of_year")).content.decode()


def test_a_decisions_letter_gives_the_decision_in_the_familys_words_not_the_staff_label(program):
    side, plans = program["side"], program["plans"]
    with tenant_context(side.district):
        meeting = _meeting(side)
        item = agenda_add(
            district=side.district,
            actor=side.intervention_specialist,
            meeting=meeting,
            student=plans[0].student,
            reason="review",
            area="reading",
        )
        decision_record(
            district=side.district, actor=side.principal, item=item, kind="intensify", override_reason="Team judgement"
        )
        meeting_close(district=side.district, actor=side.principal, meeting=meeting)
        start = Notice.objects.get(district=side.district, trigger="tier_start")
        english = letter_context(district=side.district, notice=start, language="en")
        spanish = letter_context(district=side.district, notice=start)
    reason = next(b for b in english["blocks"] if b["key"] == "reason_for_services")["paragraphs"]
    assert reason == ["The team decided: Increase the support (more time or a smaller group)."]
    reason_es = next(b for b in spanish["blocks"] if b["key"] == "reason_for_services")["paragraphs"]
    assert reason_es[0].startswith("El equipo decidió: ") and "Intensify" not in reason_es[0]

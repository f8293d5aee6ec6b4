"""Team meetings: the agenda from the rules, decisions with the fidelity gate and
optimistic concurrency, decisions taking effect, and the PDFs."""

import datetime as dt
import io
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from interventions.meetings.services import (
    agenda_add,
    agenda_build,
    agenda_move,
    decision_apply,
    decision_record,
    meeting_close,
    meeting_create,
)
from interventions.models import AgendaItem, Decision, Meeting, Plan, TierPlacement
from interventions.services import group_log_week, probes_add
from mtss.tenancy import tenant_context
from tests.program import START

pytestmark = pytest.mark.django_db


def _deliver(program, weeks=11):
    """Log every scheduled session for `weeks` weeks: 4 a week, so 44 sessions (Loudon's 40 is met)."""
    side = program["side"]
    for week in range(weeks):
        group_log_week(
            district=side.district, actor=None, group=program["group"], week_start=START + dt.timedelta(weeks=week)
        )


def _scenario(program, deliver=True):
    """Plan 0 flat (not responding), plan 1 at goal (ready to exit), plan 2 on track."""
    side, plans = program["side"], program["plans"]
    with tenant_context(side.district):
        if deliver:
            _deliver(program)
        weeks = range(1, 11)
        probes_add(
            district=side.district,
            actor=None,
            plan=plans[0],
            probes=[(START + dt.timedelta(weeks=w, days=1), 42 + (w % 2)) for w in weeks],
        )
        probes_add(
            district=side.district,
            actor=None,
            plan=plans[1],
            probes=[(START + dt.timedelta(weeks=w, days=1), 60 + 4 * w) for w in weeks],
        )
        probes_add(
            district=side.district,
            actor=None,
            plan=plans[2],
            probes=[(START + dt.timedelta(weeks=w, days=1), 42 + 4 * w) for w in weeks],
        )
        meeting = meeting_create(
            district=side.district,
            actor=side.principal,
            school=side.school,
            team_type="s_team",
            starts_at=timezone.now(),
        )[0]
    return side, plans, meeting


def _items(side, meeting):
    with tenant_context(side.district):
        return {i.student_id: i for i in AgendaItem.objects.filter(meeting=meeting)}


def test_the_agenda_lists_who_is_due_and_why(program):
    side, plans, meeting = _scenario(program)
    with tenant_context(side.district):
        added = agenda_build(district=side.district, actor=side.principal, meeting=meeting)
        again = agenda_build(district=side.district, actor=side.principal, meeting=meeting)
        meeting.refresh_from_db()
    items = _items(side, meeting)
    assert again == [] and len(added) == len(items)
    codes0 = {r["code"] for r in items[plans[0].student_id].reasons}
    codes1 = {r["code"] for r in items[plans[1].student_id].reasons}
    assert "not_responding" in codes0
    assert "ready_to_exit" in codes1
    assert all(r["text"] for item in items.values() for r in item.reasons)
    assert meeting.policy_label == "loudon-county-tn@1"


def test_staff_add_and_reorder_items_with_a_reason(program):
    side, plans, meeting = _scenario(program, deliver=False)
    with tenant_context(side.district):
        with pytest.raises(ValidationError):
            agenda_add(
                district=side.district, actor=side.principal, meeting=meeting, student=side.students[3], reason=" "
            )
        first = agenda_add(
            district=side.district,
            actor=side.principal,
            meeting=meeting,
            student=side.students[3],
            reason="The parent asked for a meeting",
        )
        second = agenda_add(
            district=side.district,
            actor=side.principal,
            meeting=meeting,
            student=plans[0].student,
            reason="Teacher concern",
        )
        with pytest.raises(ValidationError, match="already on this agenda"):
            agenda_add(
                district=side.district, actor=side.principal, meeting=meeting, student=side.students[3], reason="again"
            )
        agenda_move(district=side.district, meeting=meeting, item=second, direction=-1)
        order = list(AgendaItem.objects.filter(meeting=meeting).order_by("position").values_list("pk", flat=True))
    assert order == [second.pk, first.pk]


def test_the_fidelity_gate_blocks_a_not_responding_decision_until_overridden(program):
    side, plans, meeting = _scenario(program, deliver=False)  # no sessions delivered
    with tenant_context(side.district):
        agenda_build(district=side.district, actor=side.principal, meeting=meeting)
        item = AgendaItem.objects.get(meeting=meeting, student=plans[0].student)
        with pytest.raises(ValidationError) as caught:
            decision_record(district=side.district, actor=side.principal, item=item, kind="refer_evaluation")
        message = str(caught.value.message_dict["override_reason"])
        assert "cannot show non-response yet" in message and "40" in message
        assert not Decision.objects.exists()
        decision = decision_record(
            district=side.district,
            actor=side.principal,
            item=item,
            kind="refer_evaluation",
            override_reason="Parent requested an evaluation in writing (34 CFR 300.301(b))",
        )
        assert decision.gate["blocked"] and decision.override_reason.startswith("Parent requested")
        # "Continue" is never gated.
        other = AgendaItem.objects.get(meeting=meeting, student=plans[1].student)
        assert decision_record(district=side.district, actor=side.principal, item=other, kind="continue").gate[
            "blocked"
        ]


def test_two_members_cannot_overwrite_each_other(program):
    side, plans, meeting = _scenario(program)
    with tenant_context(side.district):
        agenda_build(district=side.district, actor=side.principal, meeting=meeting)
        item = AgendaItem.objects.get(meeting=meeting, student=plans[2].student)
        decision_record(district=side.district, actor=side.principal, item=item, kind="continue", notes="A's note")
        # B opened the item before A saved: B's new decision must not replace A's.
        with pytest.raises(ValidationError, match="meanwhile"):
            decision_record(
                district=side.district,
                actor=side.intervention_specialist,
                item=item,
                kind="modify",
                notes="B's note",
                version=None,
            )
        # A edits from version 1; B then edits from the same stale version 1.
        decision_record(
            district=side.district, actor=side.principal, item=item, kind="continue", notes="A again", version=1
        )
        with pytest.raises(ValidationError, match="meanwhile"):
            decision_record(
                district=side.district,
                actor=side.intervention_specialist,
                item=item,
                kind="modify",
                notes="B's note",
                version=1,
            )
        decision = Decision.objects.get(item=item)
    assert (decision.notes, decision.version, decision.decided_by) == ("A again", 2, side.principal)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_from_two_connections_keep_exactly_one(program):
    side, plans, meeting = _scenario(program)
    with tenant_context(side.district):
        agenda_build(district=side.district, actor=side.principal, meeting=meeting)
        item = AgendaItem.objects.select_related("meeting").get(meeting=meeting, student=plans[2].student)
    outcomes, barrier = [], threading.Barrier(2)

    def save(actor, note):
        try:
            with tenant_context(side.district):
                barrier.wait(timeout=10)
                decision_record(district=side.district, actor=actor, item=item, kind="continue", notes=note)
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(side.principal, "one")),
        threading.Thread(target=save, args=(side.intervention_specialist, "two")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "saved"]
    with tenant_context(side.district):
        assert Decision.objects.filter(item=item).count() == 1


def test_closing_the_meeting_makes_the_decisions_take_effect(program):
    side, plans, meeting = _scenario(program)
    with tenant_context(side.district):
        agenda_build(district=side.district, actor=side.principal, meeting=meeting)
        items = {i.student_id: i for i in AgendaItem.objects.filter(meeting=meeting)}
        decision_record(
            district=side.district,
            actor=side.principal,
            item=items[plans[0].student_id],
            kind="intensify",
            notes="Move to Tier III",
            action_items=[
                ("Write the Tier III plan", side.intervention_specialist, timezone.localdate() + dt.timedelta(days=7))
            ],
        )
        decision_record(district=side.district, actor=side.principal, item=items[plans[1].student_id], kind="exit")
        applied = meeting_close(district=side.district, actor=side.principal, meeting=meeting)
        open_tiers = {p.student_id: (p.tier, p.meeting_id) for p in TierPlacement.objects.filter(end_date__isnull=True)}
        statuses = dict(Plan.objects.values_list("pk", "status"))
        meeting.refresh_from_db()
        with pytest.raises(ValidationError, match="closed"):
            decision_record(
                district=side.district, actor=side.principal, item=items[plans[2].student_id], kind="continue"
            )
        # Applying again does nothing more.
        assert not decision_apply(
            district=side.district, actor=side.principal, decision=Decision.objects.get(item=items[plans[0].student_id])
        )
    assert applied == 2 and meeting.status == Meeting.Status.CLOSED
    assert open_tiers[plans[0].student_id] == (3, meeting.pk)
    assert open_tiers[plans[1].student_id] == (1, meeting.pk)
    assert statuses[plans[0].pk] == "discontinued" and statuses[plans[1].pk] == "completed"


def _pdf_text(content: bytes) -> str:
    """The PDF's text with table-cell line wraps undone (a wrapped hyphenated word rejoined)."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.replace("-\n", "-").split())


def test_the_recap_pdf_lists_decisions_overrides_and_action_items(program, login):
    side, plans, meeting = _scenario(program, deliver=False)
    with tenant_context(side.district):
        agenda_build(district=side.district, actor=side.principal, meeting=meeting)
        item = AgendaItem.objects.get(meeting=meeting, student=plans[0].student)
        decision_record(
            district=side.district,
            actor=side.principal,
            item=item,
            kind="refer_evaluation",
            override_reason="Two Tier II interventions with regression",
            action_items=[("Send the consent form", side.psychologist, dt.date(2026, 12, 1))],
        )
    response = login(side.principal).get(reverse("meeting_recap", args=[meeting.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert plans[0].student.display_first_name in text and plans[0].student.last_name in text
    assert "Refer for a special-education evaluation" in text
    assert "Two Tier II interventions with regression" in text
    assert "Send the consent form" in text and "2026-12-01" in text


def test_the_referral_packet_holds_the_history_the_log_and_the_graphs(program, login):
    side, plans, meeting = _scenario(program)
    response = login(side.principal).get(reverse("referral_packet", args=[plans[0].student_id]))
    text = _pdf_text(response.content)
    assert "Special-education referral packet" in text
    assert "Fundations" in text and "4 × 30 min per week" in text
    assert "44 sessions" in text  # the fidelity log: every delivered session is listed and counted
    assert "300.311" in text


def test_the_meeting_view_walks_the_agenda_and_records_a_decision(program, login):
    side, plans, meeting = _scenario(program, deliver=False)
    client = login(side.intervention_specialist)
    client.post(reverse("meeting_detail", args=[meeting.pk]), {"action": "build"})
    page = client.get(reverse("meeting_detail", args=[meeting.pk]))
    items = page.context["items"]
    assert len(items) >= 2
    url = reverse("agenda_item", args=[meeting.pk, items[0].pk])
    item_page = client.get(url)
    assert item_page.status_code == 200 and item_page.context["gate"]["blocked"]
    assert "cannot show non-response yet" in item_page.content.decode()
    refused = client.post(url, {"kind": "intensify", "notes": "typed notes stay"})
    assert refused.status_code == 200 and "override_reason" in refused.context["form"].errors
    assert "typed notes stay" in refused.content.decode()
    saved = client.post(url, {"kind": "intensify", "notes": "n", "override_reason": "Team judgement"})
    assert saved.status_code == 302


def test_a_stale_form_shows_the_conflict_and_keeps_the_input(program, login):
    side, plans, meeting = _scenario(program)
    with tenant_context(side.district):
        item = agenda_add(
            district=side.district,
            actor=side.principal,
            meeting=meeting,
            student=plans[2].student,
            reason="review",
            area="reading",
        )
        decision_record(district=side.district, actor=side.principal, item=item, kind="continue", notes="first")
    response = login(side.intervention_specialist).post(
        reverse("agenda_item", args=[meeting.pk, item.pk]),
        {"kind": "modify", "notes": "my careful notes", "version": ""},
    )
    assert response.status_code == 200
    assert "meanwhile" in str(response.context["form"].non_field_errors())
    assert "my careful notes" in response.content.decode()


def test_recurring_meetings_are_scheduled_every_n_weeks(world, login):
    response = login(world.a.principal).post(
        reverse("meeting_list"),
        {
            "school": world.a.school.pk,
            "team_type": "s_team",
            "starts_at": "2026-12-01T15:30",
            "occurrences": 3,
            "every_weeks": 3,
            "location": "Library",
            "purpose": "Tier review",
        },
    )
    assert response.status_code == 302
    with tenant_context(world.a.district):
        dates = [m.starts_at.date() for m in Meeting.objects.order_by("starts_at")]
    assert [str(d) for d in dates] == ["2026-12-01", "2026-12-22", "2027-01-12"]


@pytest.fixture
def jobs_in_process():
    """Send notices in-process, as the demo does (no worker in this test)."""
    from mtss.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_a_decision_queues_complete_letters_in_the_guardians_language(program, settings, jobs_in_process):
    """The notices a decision queues carry what their required blocks need, so they are sent."""
    from notifications.models import Notice

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    side, plans, meeting = _scenario(program)
    with tenant_context(side.district):
        item = agenda_add(
            district=side.district,
            actor=side.principal,
            meeting=meeting,
            student=plans[0].student,
            reason="review",
            area="reading",
        )
        decision_record(
            district=side.district, actor=side.principal, item=item, kind="intensify", notes="No growth after ten weeks"
        )
        done = agenda_add(
            district=side.district,
            actor=side.principal,
            meeting=meeting,
            student=plans[1].student,
            reason="goal met",
            area="reading",
        )
        decision_record(
            district=side.district,
            actor=side.principal,
            item=done,
            kind="exit",
            notes="Reads at the goal; keep an eye on fluency",
        )
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        with tenant_context(side.district):
            meeting_close(district=side.district, actor=side.principal, meeting=meeting)
    with tenant_context(side.district):
        # The decisions' letters and the outcome letters, queued by the close; the invitations were
        # queued (and handed to the broker) when the students were put on the agenda.
        notices = list(
            Notice.objects.filter(student__in=[plans[0].student, plans[1].student]).exclude(trigger="meeting_scheduled")
        )
    assert {n.student_id for n in notices} == {plans[0].student_id, plans[1].student_id}
    assert {n.language for n in notices} == {"es"}  # the guardian's preferred language (tests/factories.py)
    assert all(n.status == "sent" for n in notices), [(n.status, n.last_error) for n in notices]


def test_the_agenda_brings_newly_flagged_screening_results_and_mid_year_entrants(world):
    from tests import factories as f
    from tests.screening.helpers import screened_side

    side = world.a
    screened = screened_side(side)
    with tenant_context(side.district):
        # Enrolled after the fall window began, never screened since.
        newcomer = f.make_student(
            side.district,
            side.school,
            last_name="Newcomer",
            entry_date=screened["window"].start_date + dt.timedelta(days=20),
        )
        meeting = meeting_create(
            district=side.district, actor=side.principal, school=side.school, team_type="sbit", starts_at=timezone.now()
        )[0]
        agenda_build(district=side.district, actor=side.principal, meeting=meeting)
        reasons = {item.student_id: item.reasons for item in AgendaItem.objects.filter(meeting=meeting)}
    flagged = reasons[side.students[2].pk]
    assert flagged[0]["code"] == "screening_flag" and "Newly flagged by screening" in flagged[0]["text"]
    assert reasons[newcomer.pk][0]["code"] == "mid_year_entry"
    assert side.students[1].pk not in reasons  # screened, not at risk

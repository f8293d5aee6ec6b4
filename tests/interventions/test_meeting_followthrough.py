"""Meetings that finish their work (issue 13, item 4): who sees which agenda item, the close
confirmation (decisions, letters, undiscussed items carried over), attendance, intensify that keeps
service (a draft plan, the "needs a plan" list), action items as tasks, and the agenda's order."""

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from interventions.meetings import selectors as meeting_selectors
from interventions.meetings.services import (
    agenda_add,
    agenda_build,
    attendee_add,
    decision_record,
    meeting_close,
    meeting_close_preview,
    meeting_create,
    plan_activate,
)
from interventions.models import ActionItem, AgendaItem, Decision, Meeting, MeetingAttendee, Plan
from interventions.selectors import needing_plan
from interventions.services import group_log_week, probes_add
from mtss.models import Membership
from mtss.tenancy import tenant_context
from students.services import student_grant_access
from tests.factories import make_guardian, membership_of
from tests.program import START

pytestmark = pytest.mark.django_db
SOON = timezone.localdate() + dt.timedelta(days=7)


def _scenario(program, deliver=True):
    """Plan 0 flat (not responding), plan 1 at goal (ready to exit), plan 2 on track; all three on the
    agenda of a meeting today."""
    side, plans = program["side"], program["plans"]
    with tenant_context(side.district):
        if deliver:
            for week in range(11):  # 44 sessions: Loudon's 40 before a non-response decision is met
                group_log_week(
                    district=side.district,
                    actor=None,
                    group=program["group"],
                    week_start=START + dt.timedelta(weeks=week),
                )
        for plan, score in (
            (plans[0], lambda w: 42 + (w % 2)),
            (plans[1], lambda w: 60 + 4 * w),
            (plans[2], lambda w: 42 + 4 * w),
        ):
            probes_add(
                district=side.district,
                actor=None,
                plan=plan,
                probes=[(START + dt.timedelta(weeks=w, days=1), score(w)) for w in range(1, 11)],
            )
        meeting = meeting_create(
            district=side.district,
            actor=side.principal,
            school=side.school,
            team_type="s_team",
            starts_at=timezone.now(),
        )[0]
        agenda_build(district=side.district, actor=side.principal, meeting=meeting)
        for plan in plans:
            if not AgendaItem.objects.filter(meeting=meeting, student=plan.student).exists():
                agenda_add(
                    district=side.district, actor=side.principal, meeting=meeting, student=plan.student, reason="Review"
                )
    return side, plans, meeting


def _item(side, meeting, plan) -> AgendaItem:
    with tenant_context(side.district):
        return AgendaItem.objects.select_related("meeting", "student").get(meeting=meeting, student=plan.student)


def _pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.replace("-\n", "-").split())


def _api(user):
    client = APIClient()
    client.force_login(user)
    return client


# --- access: a teacher sees only their own students' items ------------------------------------------------


@pytest.fixture
def teachers_meeting(program):
    """The teacher has plan 0's student on the roster (a grant) and is on the meeting's staff list; the
    principal decided for plan 1's student, with a note and an action item, and that student's parent
    attends."""
    side, plans, meeting = _scenario(program, deliver=False)
    with tenant_context(side.district):
        student_grant_access(district=side.district, user=side.teacher, student_ids=[plans[0].student_id])
        attendee_add(district=side.district, actor=None, meeting=meeting, kind="staff", user=side.teacher)
        guardian = plans[1].student.guardians.first()
        attendee_add(district=side.district, actor=None, meeting=meeting, kind="guardian", guardian=guardian)
        decision_record(
            district=side.district,
            actor=side.principal,
            item=_item(side, meeting, plans[1]),
            kind="exit",
            notes="Met the goal: SECRET-NOTE",
            action_items=[("Phone the Zebra family", side.principal, SOON)],
        )
    return side, plans, meeting, guardian


def test_a_teacher_cannot_open_another_teachers_students_through_any_meeting_page(teachers_meeting, login):
    side, plans, meeting, guardian = teachers_meeting
    mine, others = plans[0].student, [plans[1].student, plans[2].student]
    client = login(side.teacher)
    page = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert mine.last_name in page
    assert page.count("Another student") == 2
    assert all(s.last_name not in page for s in others)
    assert "SECRET-NOTE" not in page and "Zebra" not in page and guardian.last_name not in page
    for order in ("name", "position", "urgency"):
        listing = client.get(reverse("meeting_detail", args=[meeting.pk]), {"order": order}).content.decode()
        assert all(s.last_name not in listing for s in others), order
    for plan in plans[1:]:
        url = reverse("agenda_item", args=[meeting.pk, _item(side, meeting, plan).pk])
        assert client.get(url).status_code == 404
    own = client.get(reverse("agenda_item", args=[meeting.pk, _item(side, meeting, plans[0]).pk]))
    assert own.status_code == 200
    assert all(s.last_name not in own.content.decode() for s in others)  # not even in the pager
    recap = _pdf_text(client.get(reverse("meeting_recap", args=[meeting.pk])).content)
    assert mine.last_name in recap and "Another student" in recap
    assert all(s.last_name not in recap for s in others)
    assert "SECRET-NOTE" not in recap and "Zebra" not in recap and guardian.last_name not in recap
    # The principal (school-wide) still reads everything.
    full = _pdf_text(login(side.principal).get(reverse("meeting_recap", args=[meeting.pk])).content)
    assert all(s.last_name in full for s in others) and "SECRET-NOTE" in full and "Zebra" in full


def test_a_teacher_cannot_open_another_teachers_students_through_the_api(teachers_meeting):
    side, plans, meeting, guardian = teachers_meeting
    others = [plans[1].student, plans[2].student]
    client = _api(side.teacher)
    for url in (
        f"/api/v1/meetings/{meeting.pk}/",
        f"/api/v1/meetings/{meeting.pk}/agenda/",
        f"/api/v1/meetings/{meeting.pk}/agenda/?order=name",
        f"/api/v1/meetings/{meeting.pk}/attendees/",
        "/api/v1/action-items/",
    ):
        response = client.get(url)
        body = json.dumps(response.json())
        assert response.status_code == 200, url
        assert all(s.last_name not in body for s in others), url
        assert "SECRET-NOTE" not in body and "Zebra" not in body and guardian.last_name not in body, url
    items = client.get(f"/api/v1/meetings/{meeting.pk}/agenda/").json()
    hidden = [i for i in items if i["hidden"]]
    assert len(hidden) == 2 and all(i["student"] is None and i["decision"] is None for i in hidden)
    assert {i["student"] for i in items if not i["hidden"]} == {plans[0].student_id}
    for plan in plans[1:]:
        item = _item(side, meeting, plan)
        assert client.get(f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/").status_code == 404
        assert client.get(f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/decision/").status_code == 404


def test_a_teacher_on_the_staff_list_cannot_decide_or_close(teachers_meeting, login):
    side, plans, meeting, _guardian = teachers_meeting
    own = _item(side, meeting, plans[0])
    page = login(side.teacher)
    assert page.get(reverse("meeting_close", args=[meeting.pk])).status_code == 404
    assert page.post(reverse("meeting_close", args=[meeting.pk]), {"versions": ""}).status_code == 404
    assert page.post(reverse("meeting_detail", args=[meeting.pk]), {"action": "close"}).status_code == 404
    assert "close-meeting" not in page.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    decided = page.post(reverse("agenda_item", args=[meeting.pk, own.pk]), {"kind": "continue", "version": ""})
    assert decided.status_code == 404
    api = _api(side.teacher)
    assert api.post(f"/api/v1/meetings/{meeting.pk}/close/", {}, format="json").status_code == 403
    put = api.put(f"/api/v1/meetings/{meeting.pk}/agenda/{own.pk}/decision/", {"kind": "continue"}, format="json")
    assert put.status_code == 403
    # ... but still runs the meeting where on the staff list: attendance.
    assert page.post(reverse("meeting_detail", args=[meeting.pk]), {"action": "attendance"}).status_code == 302
    with tenant_context(side.district):
        assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.SCHEDULED
        assert not Decision.objects.filter(item=own).exists()
        assert Decision.objects.get(item=_item(side, meeting, plans[1])).applied_at is None


# --- closing ---------------------------------------------------------------------------------------------


def _decide(side, meeting, plans):
    """Intensify plan 0 (Tier 2 -> 3), exit plan 1 (-> Tier 1); plan 2 stays undiscussed."""
    with tenant_context(side.district):
        decision_record(
            district=side.district, actor=side.principal, item=_item(side, meeting, plans[0]), kind="intensify"
        )
        decision_record(district=side.district, actor=side.principal, item=_item(side, meeting, plans[1]), kind="exit")


def test_close_shows_what_will_happen_then_applies_once_and_carries_undiscussed_items(program, login):
    side, plans, meeting = _scenario(program)
    _decide(side, meeting, plans)
    with tenant_context(side.district):
        later = meeting_create(
            district=side.district,
            actor=None,
            school=side.school,
            team_type="s_team",
            starts_at=timezone.now() + dt.timedelta(weeks=3),
        )[0]
    client = login(side.principal)
    page = client.get(reverse("meeting_close", args=[meeting.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "2 decisions will take effect" in html
    # Loudon's notices: a tier start for the intensified student, a tier end for the exit, and a
    # meeting-outcome letter for each of the two students decided on.
    letters = {row["key"]: row["count"] for row in page.context["letters"]}
    assert letters == {"tier-start": 1, "tier-end": 1, "meeting-outcome": 2}
    assert "4 letters to parents will be queued" in html
    assert [i.student_id for i in page.context["undiscussed"]] == [plans[2].student_id]
    assert page.context["next_meeting"] == later
    with tenant_context(side.district):
        assert Meeting.objects.get(pk=meeting.pk).status != Meeting.Status.CLOSED  # showing changes nothing
    confirm = client.post(
        reverse("meeting_close", args=[meeting.pk]),
        {"versions": page.context["versions_field"], "carry_over": "1"},
    )
    assert confirm.status_code == 302
    with tenant_context(side.district):
        assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.CLOSED
        assert Decision.objects.filter(meeting=meeting, applied_at__isnull=True).count() == 0
        carried = AgendaItem.objects.get(meeting=later)
        assert AgendaItem.objects.get(meeting=meeting, student=plans[2].student).status == "skipped"
    assert carried.student_id == plans[2].student_id and carried.status == "open"
    assert carried.reasons[-1]["code"] == "carried_over"
    # Twice: a clear message, never a 500.
    again = client.post(
        reverse("meeting_close", args=[meeting.pk]), {"versions": page.context["versions_field"]}, follow=True
    )
    assert again.status_code == 200 and "already closed" in again.content.decode()
    twice = _api(side.principal).post(f"/api/v1/meetings/{meeting.pk}/close/", {}, format="json")
    assert twice.status_code == 400 and "closed" in json.dumps(twice.json())
    with pytest.raises(ValidationError, match="already closed"), tenant_context(side.district):
        meeting_close(district=side.district, actor=side.principal, meeting=meeting)


def test_without_a_next_meeting_carried_items_go_to_a_new_one_of_the_series(program):
    side, plans, meeting = _scenario(program, deliver=False)
    with tenant_context(side.district):
        meeting_close(district=side.district, actor=side.principal, meeting=meeting, carry_over=True)
        nxt = Meeting.objects.exclude(pk=meeting.pk).get()
        assert nxt.starts_at == meeting.starts_at + dt.timedelta(weeks=2)
        assert nxt.team_type == meeting.team_type and nxt.school_id == meeting.school_id
        assert set(AgendaItem.objects.filter(meeting=nxt).values_list("student_id", flat=True)) == {
            p.student_id for p in plans
        }


def test_closing_while_another_member_decides_is_a_conflict_not_a_500(program, login):
    side, plans, meeting = _scenario(program)
    _decide(side, meeting, plans)
    client = login(side.principal)
    shown = client.get(reverse("meeting_close", args=[meeting.pk])).context["versions_field"]
    with tenant_context(side.district):
        item = _item(side, meeting, plans[1])
        current = Decision.objects.get(item=item)
        decision_record(
            district=side.district,
            actor=side.intervention_specialist,
            item=item,
            kind="continue",
            version=current.version,
        )
    response = client.post(reverse("meeting_close", args=[meeting.pk]), {"versions": shown})
    assert response.status_code == 409
    assert "Someone changed a decision" in response.content.decode()
    api = _api(side.principal)
    stale = {k: v for k, v in (p.split(":") for p in shown.split(","))}
    refused = api.post(f"/api/v1/meetings/{meeting.pk}/close/", {"versions": stale}, format="json")
    assert refused.status_code == 409 and "Someone changed a decision" in refused.json()["detail"]
    with tenant_context(side.district):
        assert Meeting.objects.get(pk=meeting.pk).status != Meeting.Status.CLOSED
        assert not Decision.objects.filter(meeting=meeting, applied_at__isnull=False).exists()
    preview = api.get(f"/api/v1/meetings/{meeting.pk}/close/").json()
    closed = api.post(f"/api/v1/meetings/{meeting.pk}/close/", {"versions": preview["versions"]}, format="json")
    assert closed.status_code == 200 and closed.json()["applied"] == 2


# --- attendance ------------------------------------------------------------------------------------------


def test_attendees_are_recorded_in_the_meeting_view_and_shown_in_the_recap(program, login):
    side, plans, meeting = _scenario(program, deliver=False)
    with tenant_context(side.district):
        guardian = plans[0].student.guardians.get()
    outsider = make_guardian(side.students[3])  # a student of another school, not on the agenda
    client = login(side.principal)
    url = reverse("meeting_detail", args=[meeting.pk])
    assert client.post(url, {"action": "attendee", "kind": "staff", "staff": side.psychologist.pk}).status_code == 302
    client.post(url, {"action": "attendee", "kind": "guardian", "guardian": guardian.pk})
    client.post(url, {"action": "attendee", "kind": "student", "student": plans[0].student_id})
    # A guardian of a student not on the agenda is refused with a message naming what to choose.
    refused = client.post(url, {"action": "attendee", "kind": "guardian", "guardian": outsider.pk}, follow=True)
    assert "Choose a parent or guardian of a student on the agenda" in refused.content.decode()
    with tenant_context(side.district):
        rows = {a.kind: a for a in meeting.attendees.all()}
    assert set(rows) == {"staff", "guardian", "student"} and len(rows) == 3
    client.post(url, {"action": "attendance", "present": [rows["staff"].pk, rows["guardian"].pk]})
    recap = _pdf_text(client.get(reverse("meeting_recap", args=[meeting.pk])).content)
    assert "None recorded" not in recap
    assert f"{guardian.first_name} {guardian.last_name}" in recap
    assert recap.count("present") == 2 and "absent" in recap


# --- intensify keeps service -----------------------------------------------------------------------------


def test_intensify_drafts_the_next_tiers_plan_and_the_student_stays_on_the_needs_a_plan_list(program, login):
    side, plans, meeting = _scenario(program)
    _decide(side, meeting, plans)
    with tenant_context(side.district):
        meeting_close(district=side.district, actor=side.principal, meeting=meeting)
        draft = Plan.objects.select_related("placement").get(student=plans[0].student, status=Plan.Status.DRAFT)
        rows = needing_plan(
            district=side.district, membership=membership_of(side.intervention_specialist, side.district)
        )
        teacher_rows = needing_plan(district=side.district, membership=membership_of(side.teacher, side.district))
    # Loudon's Tier 3 dosage: 5 sessions a week of 60 minutes; the provider and goal carry over.
    assert (draft.tier, draft.sessions_per_week, draft.minutes_per_session) == (3, 5, 60)
    assert draft.provider_id == plans[0].provider_id and draft.goal_target == 90
    assert draft.placement.tier == 3 and draft.placement.end_date is None
    assert [(r.student.pk, r.area, r.tier, r.draft) for r in rows] == [(plans[0].student_id, "reading", 3, draft)]
    assert teacher_rows == []  # scoped to whom the member may see: no roster grant, no row
    page = login(side.intervention_specialist).get(reverse("caseload")).content.decode()
    assert "Needs a plan" in page and reverse("plan_detail", args=[draft.pk]) in page
    started = login(side.intervention_specialist).post(reverse("plan_detail", args=[draft.pk]), {"action": "activate"})
    assert started.status_code == 302
    with tenant_context(side.district):
        assert Plan.objects.get(pk=draft.pk).status == Plan.Status.ACTIVE
        assert needing_plan(district=side.district, membership=membership_of(side.principal, side.district)) == []
        with pytest.raises(ValidationError, match="Only a draft"):
            plan_activate(district=side.district, actor=None, plan=draft)


def test_when_no_plan_can_be_drafted_the_student_is_listed_as_needing_one(program):
    side, plans, meeting = _scenario(program)
    _decide(side, meeting, plans)
    with tenant_context(side.district):
        # The provider left the district: nobody can be named provider of the draft.
        Membership.objects.filter(district=side.district, user=plans[0].provider).update(is_active=False)
        meeting_close(district=side.district, actor=side.principal, meeting=meeting)
        assert not Plan.objects.filter(student=plans[0].student, status=Plan.Status.DRAFT).exists()
        rows = needing_plan(district=side.district, membership=membership_of(side.principal, side.district))
    assert [(r.student.pk, r.tier, r.draft) for r in rows] == [(plans[0].student_id, 3, None)]


# --- action items are tasks ------------------------------------------------------------------------------


def test_action_items_are_the_owners_tasks_on_a_page_and_in_the_api(program, login):
    side, plans, meeting = _scenario(program, deliver=False)
    with tenant_context(side.district):
        decision_record(
            district=side.district,
            actor=side.principal,
            item=_item(side, meeting, plans[2]),
            kind="continue",
            action_items=[("Send the progress graph home", side.intervention_specialist, SOON)],
        )
        ActionItem.objects.create(
            district=side.district, meeting=meeting, description="Book the room", owner=side.principal, due_date=SOON
        )
        mine = meeting_selectors.open_tasks_for(district=side.district, user=side.intervention_specialist)
        assert [a.description for a in mine] == ["Send the progress graph home"]
        task = mine[0]
    client = login(side.intervention_specialist)
    page = client.get(reverse("my_tasks")).content.decode()
    assert "Send the progress graph home" in page and "Book the room" not in page
    assert client.post(reverse("my_tasks"), {"action": "task_done", "task": task.pk}).status_code == 302
    with tenant_context(side.district):
        assert not meeting_selectors.open_tasks_for(district=side.district, user=side.intervention_specialist)
    client.post(reverse("my_tasks"), {"action": "task_undo", "task": task.pk})
    with tenant_context(side.district):
        assert ActionItem.objects.get(pk=task.pk).done_at is None
    # Another member's task is not on my page to toggle.
    with tenant_context(side.district):
        theirs = ActionItem.objects.get(description="Book the room")
    assert client.post(reverse("my_tasks"), {"action": "task_done", "task": theirs.pk}).status_code == 404
    # The meeting view toggles too.
    view = login(side.principal).post(
        reverse("meeting_detail", args=[meeting.pk]), {"action": "task_done", "task": theirs.pk}
    )
    assert view.status_code == 302
    # The API: own open tasks, done and undo.
    api = _api(side.intervention_specialist)
    listed = api.get("/api/v1/action-items/", {"owner": "me", "open": "true"}).json()["results"]
    assert [a["id"] for a in listed] == [task.pk]
    assert api.post(f"/api/v1/action-items/{task.pk}/done/").json()["done_at"] is not None
    assert api.post(f"/api/v1/action-items/{task.pk}/undo/").json()["done_at"] is None
    with tenant_context(side.district):
        assert ActionItem.objects.get(pk=theirs.pk).done_at is not None


# --- the agenda's order ----------------------------------------------------------------------------------


def test_the_agenda_orders_by_urgency_by_default_and_by_name_on_request(program, login):
    side, plans, meeting = _scenario(program, deliver=False)
    with tenant_context(side.district):
        AgendaItem.objects.filter(meeting=meeting).delete()
        students = [p.student for p in plans] + [side.students[3]]
        codes = ["review_due", "staff", "not_responding", "review_overdue"]
        for position, (student, code) in enumerate(zip(students, codes, strict=True), start=1):
            AgendaItem.objects.create(
                district=side.district,
                meeting=meeting,
                student=student,
                position=position,
                reasons=[{"code": code, "text": code}],
            )
    client = login(side.principal)
    urgent = [i.student_id for i in client.get(reverse("meeting_detail", args=[meeting.pk])).context["items"]]
    # Non-responder and overdue review first (by name between them), then the due review, then the rest.
    first_two = sorted([students[2], students[3]], key=lambda s: (s.last_name, s.first_name))
    assert urgent == [s.pk for s in first_two] + [students[0].pk, students[1].pk]
    by_name = client.get(reverse("meeting_detail", args=[meeting.pk]), {"order": "name"}).context["items"]
    assert [i.student_id for i in by_name] == [
        s.pk for s in sorted(students, key=lambda s: (s.last_name, s.first_name))
    ]
    as_set = client.get(reverse("meeting_detail", args=[meeting.pk]), {"order": "position"}).context["items"]
    assert [i.student_id for i in as_set] == [s.pk for s in students]


def test_the_close_preview_reads_the_policys_notices(program):
    """The letters come from the policy's notice list, not from notifications."""
    side, plans, meeting = _scenario(program)
    with tenant_context(side.district):
        decision_record(
            district=side.district, actor=side.principal, item=_item(side, meeting, plans[2]), kind="continue"
        )
        preview = meeting_close_preview(district=side.district, meeting=meeting)
        # The outcome letter is for parents who did not attend (schema.NoticeTrigger).
        parent = attendee_add(
            district=side.district,
            actor=None,
            meeting=meeting,
            kind="guardian",
            guardian=plans[2].student.guardians.get(),
        )
        MeetingAttendee.objects.filter(pk=parent.pk).update(attended=True)
        attended = meeting_close_preview(district=side.district, meeting=meeting)
    assert [(r["key"], r["count"]) for r in preview["letters"]] == [("meeting-outcome", 1)]
    assert attended["letters"] == []

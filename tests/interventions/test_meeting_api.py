"""The team meetings API: meetings and series, the agenda and its item panel,
decisions with the fidelity gate (400 on override_reason) and optimistic
concurrency (409 with the current decision), decisions taking effect, attendees,
action items; who may write, closed meetings, 404 for another district's ids,
constant query counts, and a clean OpenAPI schema."""

import datetime as dt

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, include, path
from django.utils import timezone
from rest_framework.test import APIClient

from interventions.meetings import api_urls as meeting_api_urls
from interventions.meetings.services import agenda_add, agenda_build, decision_record, meeting_close, meeting_create
from interventions.models import (
    ActionItem,
    AgendaItem,
    Decision,
    Meeting,
    MeetingAttendee,
    MeetingSeries,
    Plan,
    TierPlacement,
)
from interventions.services import group_log_week, probes_add
from mtss.models import AccessLog, Role
from mtss.services import api_token_create
from mtss.tenancy import tenant_context
from mtss.urls import urlpatterns as _root_urlpatterns
from tests import factories as f
from tests.interventions.tenancy_objects import OBJECT_IDS, _objects
from tests.program import START

# The routes are served under api/v1/ once mtss/urls.py includes interventions.meetings.api_urls;
# until then this module is its own URLconf with the include added (never twice, so the schema
# has no duplicate operations).
_included = any(getattr(p, "urlconf_name", None) == "interventions.meetings.api_urls" for p in _root_urlpatterns)
urlpatterns = (
    list(_root_urlpatterns)
    if _included
    else [*_root_urlpatterns, path("api/v1/", include("interventions.meetings.api_urls"))]
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

SOON = timezone.localdate() + dt.timedelta(days=7)


def _client(user, district):
    with tenant_context(district):
        _, key = api_token_create(district=district, user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def api(program):
    side = program["side"]
    return lambda role: _client(side.users[role], side.district)


def _deliver(program, weeks=11):
    """Every scheduled session for `weeks` weeks: 4 a week, so 44 (Loudon's 40 before a decision is met)."""
    side = program["side"]
    for week in range(weeks):
        group_log_week(
            district=side.district, actor=None, group=program["group"], week_start=START + dt.timedelta(weeks=week)
        )


def _meeting(program, deliver=True, build=True) -> Meeting:
    """Plan 0 flat (not responding), plan 1 at goal (ready to exit), plan 2 on track; a meeting today."""
    side, plans = program["side"], program["plans"]
    with tenant_context(side.district):
        if deliver:
            _deliver(program)
        weeks = range(1, 11)
        for plan, score in (
            (plans[0], lambda w: 42 + (w % 2)),
            (plans[1], lambda w: 60 + 4 * w),
            (plans[2], lambda w: 42 + 4 * w),
        ):
            probes_add(
                district=side.district,
                actor=None,
                plan=plan,
                probes=[(START + dt.timedelta(weeks=w, days=1), score(w)) for w in weeks],
            )
        meeting = meeting_create(
            district=side.district,
            actor=side.principal,
            school=side.school,
            team_type="s_team",
            starts_at=timezone.now(),
            location="Library",
        )[0]
        if build:
            agenda_build(district=side.district, actor=side.principal, meeting=meeting)
    return meeting


def _item(program, meeting, plan_index) -> AgendaItem:
    side = program["side"]
    with tenant_context(side.district):
        return AgendaItem.objects.get(meeting=meeting, student=program["plans"][plan_index].student)


def _count(side, model, **filters):
    with tenant_context(side.district):
        return model.objects.filter(**filters).count()


def _url(meeting, rest=""):
    return f"/api/v1/meetings/{meeting.pk}/{rest}"


def _decision_url(meeting, item, rest=""):
    return f"/api/v1/meetings/{meeting.pk}/agenda/{item.pk}/decision/{rest}"


# --- meetings --------------------------------------------------------------------------------


def test_meetings_are_listed_with_filters(world, program, api):
    side = program["side"]
    with tenant_context(side.district):
        first = meeting_create(
            district=side.district,
            actor=None,
            school=side.school,
            team_type="s_team",
            starts_at=timezone.make_aware(dt.datetime(2026, 10, 5, 15)),
        )[0]
        second = meeting_create(
            district=side.district,
            actor=None,
            school=side.school,
            team_type="sbit",
            starts_at=timezone.make_aware(dt.datetime(2026, 11, 2, 15)),
        )[0]
        elsewhere = meeting_create(
            district=side.district,
            actor=None,
            school=side.other_school,
            team_type="s_team",
            starts_at=timezone.make_aware(dt.datetime(2026, 10, 6, 9)),
        )[0]
        meeting_close(district=side.district, actor=side.principal, meeting=first)

    def ids(client, query=""):
        return [r["id"] for r in client.get("/api/v1/meetings/" + query).json()["results"]]

    admin = api("district_admin")
    assert ids(admin) == [second.pk, elsewhere.pk, first.pk]
    # A principal sees the meetings of the membership's schools only; read-only staff read them too.
    assert ids(api("principal")) == [second.pk, first.pk] == ids(api("read_only"))
    assert ids(admin, f"?school={side.other_school.pk}") == [elsewhere.pk]
    assert ids(admin, "?status=closed") == [first.pk]
    assert ids(admin, "?team_type=sbit") == [second.pk]
    assert ids(admin, "?date_from=2026-10-06&date_to=2026-10-31") == [elsewhere.pk]
    assert ids(admin, "?date_to=2026-10-05") == [first.pk]
    row = admin.get("/api/v1/meetings/?team_type=sbit").json()["results"][0]
    assert row["school_name"] == side.school.name and row["status"] == "scheduled" and row["item_count"] == 0
    for query, field in (
        ("?status=done", "status"),
        ("?team_type=ieps", "team_type"),
        ("?school=x", "school"),
        ("?date_from=last-week", "date_from"),
    ):
        response = admin.get("/api/v1/meetings/" + query)
        assert response.status_code == 400 and field in response.json(), query
    # Another district's meetings never show.
    assert ids(_client(world.b.district_admin, world.b.district)) == []


def test_one_meeting_or_a_series_is_created(program, api):
    side = program["side"]
    payload = {
        "school": side.school.pk,
        "team_type": "s_team",
        "starts_at": "2026-12-01T15:30:00",
        "location": "Library",
        "purpose": "Tier review",
    }
    one = api("intervention_specialist").post("/api/v1/meetings/", payload, format="json")
    assert one.status_code == 201, one.json()
    assert [(m["location"], m["series"], m["status"]) for m in one.json()] == [("Library", None, "scheduled")]
    series = api("principal").post("/api/v1/meetings/", dict(payload, occurrences=3, every_weeks=3), format="json")
    assert series.status_code == 201, series.json()
    created = series.json()
    assert [m["starts_at"][:10] for m in created] == ["2026-12-01", "2026-12-22", "2027-01-12"]
    assert len({m["series"] for m in created}) == 1 and created[0]["series"] is not None
    with tenant_context(side.district):
        assert MeetingSeries.objects.get().every_weeks == 3


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"occurrences": 3}, "every_weeks", "weeks apart"),
        ({"occurrences": 41, "every_weeks": 1}, "occurrences", "40"),
        ({"every_weeks": 0, "occurrences": 2}, "every_weeks", "1"),
        ({"team_type": "ieps"}, "team_type", "not a valid choice"),
        ({"starts_at": "next tuesday"}, "starts_at", "format"),
        ({"location": "x" * 201}, "location", "200"),
    ],
)
def test_bad_meeting_input_names_the_field_and_creates_nothing(program, api, changes, field, message):
    side = program["side"]
    payload = {"school": side.school.pk, "team_type": "s_team", "starts_at": "2026-12-01T15:30:00", **changes}
    response = api("principal").post("/api/v1/meetings/", payload, format="json")
    assert response.status_code == 400 and message in str(response.json()[field]), response.json()
    assert _count(side, Meeting) == 0


def test_a_meeting_only_for_a_school_whose_meetings_you_see(world, program, api):
    side = program["side"]
    payload = {"team_type": "s_team", "starts_at": "2026-12-01T15:30:00"}
    for school in (side.other_school, world.b.school):
        response = api("principal").post("/api/v1/meetings/", dict(payload, school=school.pk), format="json")
        assert response.status_code == 400 and "school" in response.json()
    assert (
        api("district_admin")
        .post("/api/v1/meetings/", dict(payload, school=side.other_school.pk), format="json")
        .status_code
        == 201
    )
    assert (
        api("read_only").post("/api/v1/meetings/", dict(payload, school=side.school.pk), format="json").status_code
        == 403
    )
    assert _count(side, Meeting) == 1


def test_the_meeting_has_its_attendees_agenda_decisions_and_action_items(program, api):
    side, plans = program["side"], program["plans"]
    meeting = _meeting(program)
    with tenant_context(side.district):
        MeetingAttendee.objects.create(
            district=side.district,
            meeting=meeting,
            kind="staff",
            name="Pat Principal",
            user=side.principal,
            attended=True,
        )
        item = AgendaItem.objects.get(meeting=meeting, student=plans[0].student)
        decision_record(
            district=side.district,
            actor=side.principal,
            item=item,
            kind="intensify",
            notes="Move to Tier III",
            action_items=[("Write the Tier III plan", side.intervention_specialist, SOON)],
        )
    body = api("read_only").get(_url(meeting)).json()
    assert (body["status"], body["location"], body["policy_label"]) == ("scheduled", "Library", "loudon-county-tn@1")
    assert body["item_count"] == len(body["items"]) >= 2 and body["decided_count"] == 1
    assert [a["name"] for a in body["attendees"]] == ["Pat Principal"] and body["attendees"][0]["attended"] is True
    by_student = {i["student"]: i for i in body["items"]}
    flat = by_student[plans[0].student_id]
    assert "not_responding" in {r["code"] for r in flat["reasons"]} and all(r["text"] for r in flat["reasons"])
    assert flat["status"] == "decided" and flat["decision"]["kind"] == "intensify"
    assert flat["decision"]["version"] == 1 and flat["decision"]["notes"] == "Move to Tier III"
    assert [a["description"] for a in flat["decision"]["action_items"]] == ["Write the Tier III plan"]
    assert by_student[plans[1].student_id]["decision"] is None
    [action] = body["action_items"]
    assert (action["owner"], action["student"], action["due_date"]) == (
        side.intervention_specialist.pk,
        plans[0].student_id,
        SOON.isoformat(),
    )
    assert action["student_name"] == plans[0].student.full_name and action["done_at"] is None
    with tenant_context(side.district):
        log = AccessLog.objects.get(what="meeting")
    assert set(log.student_ids) == set(by_student) and log.user == side.read_only


def test_the_meeting_view_reads_in_a_constant_number_of_queries(program, api):
    side = program["side"]
    meeting = _meeting(program, build=False)
    client = api("principal")

    def add_students(n):
        with tenant_context(side.district):
            for _ in range(n):
                student = f.make_student(side.district, side.school)
                item = agenda_add(
                    district=side.district,
                    actor=side.principal,
                    meeting=meeting,
                    student=student,
                    reason="Teacher concern",
                )
                decision_record(
                    district=side.district,
                    actor=side.principal,
                    item=item,
                    kind="continue",
                    action_items=[("Call home", side.teacher, SOON)],
                )
                guardian = f.make_guardian(student)
                MeetingAttendee.objects.create(
                    district=side.district, meeting=meeting, kind="student", student=student, name=student.full_name
                )
                MeetingAttendee.objects.create(
                    district=side.district,
                    meeting=meeting,
                    kind="guardian",
                    guardian=guardian,
                    name=guardian.first_name,
                )

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    urls = [_url(meeting), _url(meeting, "agenda/"), _url(meeting, "attendees/"), "/api/v1/action-items/"]
    add_students(2)
    [queries(url) for url in urls]  # the token's first use is recorded once
    small = [queries(url) for url in urls]
    add_students(4)
    assert [queries(url) for url in urls] == small


def test_starting_and_closing_a_meeting(program, api):
    side, plans = program["side"], program["plans"]
    meeting = _meeting(program)
    with tenant_context(side.district):
        decision_record(
            district=side.district,
            actor=side.principal,
            item=_item(program, meeting, 0),
            kind="intensify",
            notes="Tier III",
        )
        decision_record(district=side.district, actor=side.principal, item=_item(program, meeting, 1), kind="exit")
    assert api("read_only").post(_url(meeting, "start/")).status_code == 403
    # A teacher not on the meeting's staff list reads it but does not run it (README, Actions).
    assert api("teacher").post(_url(meeting, "start/")).status_code == 403
    started = api("psychologist").post(_url(meeting, "start/"))
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    assert api("read_only").post(_url(meeting, "close/")).status_code == 403
    closed = api("principal").post(_url(meeting, "close/"))
    assert closed.status_code == 200, closed.json()
    assert closed.json()["applied"] == 2 and closed.json()["meeting"]["status"] == "closed"
    with tenant_context(side.district):
        open_tiers = {p.student_id: p.tier for p in TierPlacement.objects.filter(end_date__isnull=True)}
        assert Plan.objects.get(pk=plans[0].pk).status == "discontinued"
        statuses = set(AgendaItem.objects.filter(meeting=meeting).values_list("status", flat=True))
    assert statuses == {"decided", "skipped"}
    assert open_tiers[plans[0].student_id] == 3 and open_tiers[plans[1].student_id] == 1
    again = api("principal").post(_url(meeting, "close/"))
    assert again.status_code == 400 and "closed" in again.json()["non_field_errors"][0]


def test_a_closed_meeting_refuses_every_change_but_action_items_get_done(program, api):
    side = program["side"]
    meeting = _meeting(program)
    item = _item(program, meeting, 2)
    with tenant_context(side.district):
        decision_record(
            district=side.district,
            actor=side.principal,
            item=item,
            kind="continue",
            action_items=[("Send the progress report", side.teacher, SOON)],
        )
        meeting_close(district=side.district, actor=side.principal, meeting=meeting)
        attendee = MeetingAttendee.objects.create(district=side.district, meeting=meeting, kind="staff", name="X")
        action = ActionItem.objects.get(meeting=meeting)
    writes = [
        ("post", _url(meeting, "start/"), {}),
        ("post", _url(meeting, "agenda/"), {"student": side.students[3].pk, "reason": "late"}),
        ("post", _url(meeting, "agenda/build/"), {}),
        ("post", _url(meeting, f"agenda/{item.pk}/move/"), {"direction": "up"}),
        ("put", _decision_url(meeting, item), {"kind": "modify", "version": 1}),
        ("post", _decision_url(meeting, item, "apply/"), {}),
        ("post", _url(meeting, "attendees/"), {"kind": "staff", "name": "Late comer"}),
        ("post", _url(meeting, "attendance/"), {"present": [attendee.pk]}),
    ]
    client = api("principal")
    for method, url, body in writes:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 400, (url, response.status_code)
        assert response.json()["non_field_errors"] == [
            "This meeting is closed; its agenda, attendees and decisions can no longer change."
        ], url
    with tenant_context(side.district):
        assert Decision.objects.get(item=item).kind == "continue" and MeetingAttendee.objects.count() == 1
    done = api("teacher").post(f"/api/v1/action-items/{action.pk}/done/")
    assert done.status_code == 200 and done.json()["done_at"] is not None


# --- the agenda ------------------------------------------------------------------------------


def test_the_agenda_is_built_from_the_rules_and_listed(program, api):
    side, plans = program["side"], program["plans"]
    meeting = _meeting(program, build=False)
    assert api("read_only").post(_url(meeting, "agenda/build/")).status_code == 403
    built = api("intervention_specialist").post(_url(meeting, "agenda/build/"))
    assert built.status_code == 200, built.json()
    body = built.json()
    assert body["added"] and sorted(body["added"]) == sorted(i["id"] for i in body["items"])
    codes = {i["student"]: {r["code"] for r in i["reasons"]} for i in body["items"]}
    assert "not_responding" in codes[plans[0].student_id] and "ready_to_exit" in codes[plans[1].student_id]
    again = api("intervention_specialist").post(_url(meeting, "agenda/build/")).json()
    assert again["added"] == [] and len(again["items"]) == len(body["items"])
    listed = api("read_only").get(_url(meeting, "agenda/")).json()
    assert [i["id"] for i in listed] == [i["id"] for i in body["items"]]
    assert [i["position"] for i in listed] == sorted(i["position"] for i in listed)
    with tenant_context(side.district):
        assert set(AccessLog.objects.filter(what="meeting agenda").latest("id").student_ids) == set(codes)


def test_staff_add_a_student_with_a_reason(world, program, api):
    side = program["side"]
    meeting = _meeting(program, deliver=False, build=False)
    url = _url(meeting, "agenda/")
    student = side.students[2]
    payload = {"student": student.pk, "reason": "The parent asked for a meeting"}
    assert api("read_only").post(url, payload, format="json").status_code == 403
    blank = api("principal").post(url, dict(payload, reason="  "), format="json")
    assert blank.status_code == 400 and "Say why" in blank.json()["reason"][0]
    created = api("principal").post(url, payload, format="json")
    assert created.status_code == 201, created.json()
    item = created.json()
    assert item["reasons"] == [{"code": "staff", "text": "The parent asked for a meeting"}]
    assert item["area"] == "reading" and item["plan"] == program["plans"][2].pk and item["decision"] is None
    twice = api("principal").post(url, payload, format="json")
    assert twice.status_code == 400 and "already on this agenda" in twice.json()["student"][0]
    # A student of another school, of another district, or one the member may not see: refused on `student`.
    other_school = api("district_admin").post(url, dict(payload, student=side.students[3].pk), format="json")
    assert other_school.status_code == 400 and "not a current student of" in other_school.json()["student"][0]
    foreign = api("district_admin").post(url, dict(payload, student=world.b.students[0].pk), format="json")
    assert foreign.status_code == 400 and "student" in foreign.json()
    with tenant_context(side.district):
        unseen = f.make_student(side.district, side.school)
    hidden = api("intervention_specialist").post(url, dict(payload, student=unseen.pk), format="json")
    assert hidden.status_code == 400 and "student" in hidden.json()
    assert _count(side, AgendaItem, meeting=meeting) == 1


def test_items_are_moved_up_and_down(program, api):
    side, plans = program["side"], program["plans"]
    meeting = _meeting(program, deliver=False, build=False)
    with tenant_context(side.district):
        items = [
            agenda_add(
                district=side.district, actor=side.principal, meeting=meeting, student=p.student, reason="review"
            )
            for p in plans
        ]
    url = _url(meeting, f"agenda/{items[2].pk}/move/")
    assert api("read_only").post(url, {"direction": "up"}, format="json").status_code == 403
    bad = api("principal").post(url, {"direction": "sideways"}, format="json")
    assert bad.status_code == 400 and "direction" in bad.json()
    moved = api("principal").post(url, {"direction": "up"}, format="json")
    assert moved.status_code == 200 and [i["id"] for i in moved.json()] == [items[0].pk, items[2].pk, items[1].pk]


def test_the_item_panel_has_the_engine_the_gate_the_history_and_past_decisions(program, api):
    side, plans = program["side"], program["plans"]
    earlier = _meeting(program, deliver=False)
    with tenant_context(side.district):
        decision_record(
            district=side.district,
            actor=side.principal,
            item=_item(program, earlier, 0),
            kind="continue",
            notes="Give it six more weeks",
        )
        meeting = meeting_create(
            district=side.district,
            actor=side.principal,
            school=side.school,
            team_type="s_team",
            starts_at=timezone.now(),
        )[0]
        agenda_build(district=side.district, actor=side.principal, meeting=meeting)
    item = _item(program, meeting, 0)
    response = api("intervention_specialist").get(_url(meeting, f"agenda/{item.pk}/"))
    assert response.status_code == 200, response.json()
    panel = response.json()
    assert panel["student"] == plans[0].student_id and panel["plan_detail"]["intervention_name"] == "Fundations"
    assert panel["evaluation"]["recommendation"] and panel["evaluation"]["policy"] == "loudon-county-tn@1"
    assert {"fidelity", "minimum_sessions"} <= {f["rule"] for f in panel["evaluation"]["findings"]}
    # No session was delivered: the gate blocks, and says why with the policy's number.
    assert panel["gate"]["blocked"] and any("40" in why for why in panel["gate"]["why"])
    assert [(p["area"], p["tier"], p["end_date"]) for p in panel["tier_history"]] == [("reading", 2, None)]
    assert [(d["kind"], d["notes"], d["meeting"]) for d in panel["past_decisions"]] == [
        ("continue", "Give it six more weeks", earlier.pk)
    ]
    assert panel["decision"] is None
    with tenant_context(side.district):
        assert AccessLog.objects.filter(what="meeting agenda item", student_ids=[plans[0].student_id]).exists()
    # A member who may not see the student gets 404, as on the item page.
    assert api("teacher").get(_url(meeting, f"agenda/{item.pk}/")).status_code == 404


# --- decisions -------------------------------------------------------------------------------


def test_the_fidelity_gate_refuses_a_not_responding_decision_until_overridden(program, api):
    side = program["side"]
    meeting = _meeting(program, deliver=False)  # no sessions delivered: non-response cannot show yet
    item = _item(program, meeting, 0)
    url = _decision_url(meeting, item)
    client = api("intervention_specialist")
    refused = client.put(url, {"kind": "refer_evaluation", "notes": "typed notes"}, format="json")
    assert refused.status_code == 400
    message = refused.json()["override_reason"][0]
    assert "cannot show non-response yet" in message and "40" in message and "give the reason" in message
    assert _count(side, Decision) == 0
    # Continuing is never gated.
    other = _item(program, meeting, 1)
    assert client.put(_decision_url(meeting, other), {"kind": "continue"}, format="json").status_code == 201
    saved = client.put(
        url,
        {
            "kind": "refer_evaluation",
            "notes": "typed notes",
            "override_reason": "Parent requested an evaluation in writing",
        },
        format="json",
    )
    assert saved.status_code == 201, saved.json()
    body = saved.json()
    assert body["gate"]["blocked"] and body["override_reason"] == "Parent requested an evaluation in writing"
    assert body["version"] == 1 and body["decided_by"] == side.intervention_specialist.pk
    assert body["recommendation"] and body["policy_label"] == "loudon-county-tn@1"


def test_a_decision_is_recorded_changed_and_read_with_its_action_items(program, api):
    side = program["side"]
    meeting = _meeting(program)
    item = _item(program, meeting, 1)
    url = _decision_url(meeting, item)
    assert api("principal").get(url).status_code == 404  # nothing recorded yet
    payload = {
        "kind": "modify",
        "notes": "Raise the goal",
        "new_goal_target": 110,
        "new_intervention": program["intervention"].pk,
        "action_items": [{"description": "Tell the parents", "owner": side.counselor.pk, "due_date": SOON.isoformat()}],
    }
    assert api("read_only").put(url, payload, format="json").status_code == 403
    created = api("principal").put(url, payload, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["new_goal_target"] == 110 and created.json()["new_intervention"] == program["intervention"].pk
    [action] = created.json()["action_items"]
    assert (action["description"], action["owner"], action["student"]) == (
        "Tell the parents",
        side.counselor.pk,
        item.student_id,
    )
    changed = api("psychologist").put(
        url, {"kind": "continue", "notes": "On second thought", "version": 1}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["kind"], changed.json()["version"]) == ("continue", 2)
    read = api("read_only").get(url).json()
    assert (read["notes"], read["version"], len(read["action_items"])) == ("On second thought", 2, 1)
    with tenant_context(side.district):
        assert AccessLog.objects.filter(what="meeting decision", student_ids=[item.student_id]).exists()


def test_a_stale_version_is_a_409_with_the_current_decision(program, api):
    side = program["side"]
    meeting = _meeting(program)
    item = _item(program, meeting, 2)
    url = _decision_url(meeting, item)
    assert api("principal").put(url, {"kind": "continue", "notes": "A's note"}, format="json").status_code == 201
    # B opened the item before A saved (no version): B's new decision must not replace A's.
    conflict = api("intervention_specialist").put(url, {"kind": "modify", "notes": "B's note"}, format="json")
    assert conflict.status_code == 409
    body = conflict.json()
    assert "meanwhile" in body["detail"] and "was not saved" in body["detail"]
    assert (body["decision"]["notes"], body["decision"]["version"]) == ("A's note", 1)
    assert (
        api("principal").put(url, {"kind": "continue", "notes": "A again", "version": 1}, format="json").status_code
        == 200
    )
    stale = api("intervention_specialist").put(
        url,
        {
            "kind": "modify",
            "notes": "B's note",
            "version": 1,
            "action_items": [{"description": "x", "owner": side.teacher.pk, "due_date": SOON.isoformat()}],
        },
        format="json",
    )
    assert stale.status_code == 409 and stale.json()["decision"]["version"] == 2
    with tenant_context(side.district):
        decision = Decision.objects.get(item=item)
        assert (decision.notes, decision.version, decision.decided_by) == ("A again", 2, side.principal)
        assert ActionItem.objects.count() == 0  # nothing of the refused save was written


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"kind": "promote"}, "kind"),
        ({"kind": None}, "kind"),
        ({"version": 0}, "version"),
        ({"new_goal_target": "high"}, "new_goal_target"),
        ({"new_intervention": 999999}, "new_intervention"),
        ({"action_items": [{"description": "Call home", "due_date": "2026-12-01"}]}, "action_items"),
        ({"action_items": [{"description": "Call home", "owner": 999999, "due_date": "2026-12-01"}]}, "action_items"),
        ({"action_items": [{"description": "", "owner": None, "due_date": "soon"}]}, "action_items"),
        ({"action_items": [{"description": "x", "due_date": "2026-12-01"}] * 21}, "action_items"),
    ],
)
def test_bad_decision_input_names_the_field_and_saves_nothing(program, api, changes, field):
    side = program["side"]
    meeting = _meeting(program)
    item = _item(program, meeting, 2)
    response = api("principal").put(_decision_url(meeting, item), {"kind": "continue", **changes}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert _count(side, Decision) == 0 and _count(side, ActionItem) == 0


def test_another_districts_people_and_programs_are_unknown_in_a_decision(world, program, api):
    side = program["side"]
    meeting = _meeting(program)
    item = _item(program, meeting, 1)
    theirs = _objects(world.b)
    url = _decision_url(meeting, item)
    program_elsewhere = api("principal").put(
        url, {"kind": "modify", "new_intervention": theirs["intervention"].pk}, format="json"
    )
    assert program_elsewhere.status_code == 400 and "new_intervention" in program_elsewhere.json()
    owner_elsewhere = api("principal").put(
        url,
        {
            "kind": "continue",
            "action_items": [{"description": "Call", "owner": world.b.principal.pk, "due_date": SOON.isoformat()}],
        },
        format="json",
    )
    assert owner_elsewhere.status_code == 400, owner_elsewhere.json()
    # Errors of a list are keyed by the item's index, from 0.
    assert "does not exist" in owner_elsewhere.json()["action_items"]["0"]["owner"][0]
    assert _count(side, Decision) == 0


def test_a_decision_takes_effect_at_once_with_apply(program, api):
    side, plans = program["side"], program["plans"]
    meeting = _meeting(program)
    item = _item(program, meeting, 0)
    url = _decision_url(meeting, item, "apply/")
    first = api("principal").post(url)
    assert first.status_code == 400 and first.json()["non_field_errors"] == ["Record a decision first."]
    assert (
        api("principal")
        .put(_decision_url(meeting, item), {"kind": "intensify", "notes": "Tier III"}, format="json")
        .status_code
        == 201
    )
    assert api("read_only").post(url).status_code == 403
    applied = api("principal").post(url)
    assert applied.status_code == 200 and applied.json()["applied_at"] is not None
    with tenant_context(side.district):
        placement = TierPlacement.objects.get(student=plans[0].student, end_date__isnull=True)
        assert (placement.tier, placement.meeting_id) == (3, meeting.pk)
    # Applying again does nothing more; the decision can no longer change.
    again = api("principal").post(url)
    assert again.status_code == 200 and again.json()["applied_at"] == applied.json()["applied_at"]
    assert _count(side, TierPlacement, student=plans[0].student) == 2
    change = api("principal").put(_decision_url(meeting, item), {"kind": "continue", "version": 1}, format="json")
    assert change.status_code == 400 and "already taken effect" in change.json()["non_field_errors"][0]


# --- attendees -------------------------------------------------------------------------------


def test_attendees_are_added_and_their_attendance_recorded(world, program, api):
    side = program["side"]
    meeting = _meeting(program, deliver=False, build=False)
    url = _url(meeting, "attendees/")
    client = api("principal")
    staff = client.post(url, {"kind": "staff", "user": side.psychologist.pk, "role": "psychologist"}, format="json")
    assert staff.status_code == 201, staff.json()
    assert staff.json()["name"] == side.psychologist.get_full_name() and staff.json()["attended"] is None
    with tenant_context(side.district):
        guardian = side.students[0].guardians.first()
    parent = client.post(url, {"kind": "guardian", "guardian": guardian.pk}, format="json")
    assert parent.status_code == 201 and parent.json()["name"] == f"{guardian.first_name} {guardian.last_name}"
    mismatch = client.post(url, {"kind": "staff", "guardian": guardian.pk}, format="json")
    assert mismatch.status_code == 400 and "guardian" in mismatch.json()
    nameless = client.post(url, {"kind": "guardian"}, format="json")
    assert nameless.status_code == 400 and "name" in nameless.json()
    foreign = client.post(url, {"kind": "staff", "user": world.b.principal.pk}, format="json")
    assert foreign.status_code == 400 and "user" in foreign.json()
    assert api("read_only").post(url, {"kind": "staff", "name": "Visitor"}, format="json").status_code == 403
    attendance = _url(meeting, "attendance/")
    assert api("read_only").post(attendance, {"present": []}, format="json").status_code == 403
    unknown = client.post(attendance, {"present": [staff.json()["id"], 999999]}, format="json")
    assert unknown.status_code == 400 and "999999" in unknown.json()["present"][0]
    marked = client.post(attendance, {"present": [staff.json()["id"]]}, format="json")
    assert marked.status_code == 200
    assert {a["id"]: a["attended"] for a in marked.json()} == {staff.json()["id"]: True, parent.json()["id"]: False}
    listed = api("read_only").get(url).json()
    assert [a["kind"] for a in listed] == ["guardian", "staff"]
    with tenant_context(side.district):
        assert AccessLog.objects.filter(what="meeting attendees", student_ids=[side.students[0].pk]).exists()


# --- action items ----------------------------------------------------------------------------


def test_action_items_are_listed_by_owner_and_done(world, program, api):
    side = program["side"]
    meeting = _meeting(program)
    with tenant_context(side.district):
        decision_record(
            district=side.district,
            actor=side.principal,
            item=_item(program, meeting, 0),
            kind="continue",
            action_items=[
                ("Write the Tier III plan", side.intervention_specialist, SOON),
                ("Call home", side.read_only, SOON + dt.timedelta(days=1)),
            ],
        )
        decision_record(
            district=side.district,
            actor=side.principal,
            item=_item(program, meeting, 1),
            kind="continue",
            action_items=[("Send the consent form", side.psychologist, SOON)],
        )
        elsewhere = meeting_create(
            district=side.district, actor=None, school=side.other_school, team_type="sbit", starts_at=timezone.now()
        )[0]
        hidden = ActionItem.objects.create(
            district=side.district,
            meeting=elsewhere,
            description="Other school",
            owner=side.district_admin,
            due_date=SOON,
        )
        mine_elsewhere = ActionItem.objects.create(
            district=side.district,
            meeting=elsewhere,
            owner=side.principal,
            description="Principal's errand",
            due_date=SOON,
        )

    def described(client, query=""):
        return [a["description"] for a in client.get("/api/v1/action-items/" + query).json()["results"]]

    specialist = api("intervention_specialist")
    assert described(specialist, "?owner=me") == ["Write the Tier III plan"]
    assert described(api("principal")) == [
        "Write the Tier III plan",
        "Send the consent form",
        "Principal's errand",
        "Call home",
    ]
    assert "Other school" not in described(api("principal"))
    assert described(api("district_admin"), f"?owner={side.district_admin.pk}") == ["Other school"]
    assert described(api("district_admin"), f"?meeting={meeting.pk}&owner={side.psychologist.pk}") == [
        "Send the consent form"
    ]
    assert api("principal").get("/api/v1/action-items/?owner=someone").status_code == 400
    with tenant_context(side.district):
        plan_item = ActionItem.objects.get(description="Write the Tier III plan")
        call_home = ActionItem.objects.get(description="Call home")
    done = specialist.post(f"/api/v1/action-items/{plan_item.pk}/done/")
    assert done.status_code == 200 and done.json()["done_at"] is not None
    assert described(specialist, "?owner=me&open=true") == []
    assert described(specialist, "?owner=me") == ["Write the Tier III plan"]
    again = api("principal").post(f"/api/v1/action-items/{plan_item.pk}/done/")
    assert again.json()["done_at"] == done.json()["done_at"]  # the first time is kept
    # A read-only member marks only their own items done.
    assert api("read_only").post(f"/api/v1/action-items/{plan_item.pk}/done/").status_code == 403
    assert api("read_only").post(f"/api/v1/action-items/{call_home.pk}/done/").status_code == 200
    # An item of a meeting the member cannot see (and does not own) is a 404.
    assert api("principal").post(f"/api/v1/action-items/{hidden.pk}/done/").status_code == 404
    assert api("principal").post(f"/api/v1/action-items/{mine_elsewhere.pk}/done/").status_code == 200
    with tenant_context(side.district):
        assert AccessLog.objects.filter(what="meeting action items", user=side.principal).exists()


# --- who may do what, and tenancy ------------------------------------------------------------


def _routes():
    for pattern in meeting_api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        yield "/api/v1/" + str(pattern.pattern), pattern


def _fill(route: str, ids: dict) -> str:
    for name, value in ids.items():
        route = route.replace(f"<int:{name}>", str(value))
    return route


def _methods(pattern) -> list[str]:
    view = pattern.callback.view_class
    return [m for m in ("get", "post", "put") if hasattr(view, m)]


def test_another_districts_ids_answer_404_on_every_route_and_method(world, program):
    side = program["side"]
    theirs = {name: OBJECT_IDS[name](world.b) for name in ("meeting_id", "item_id", "action_id")}
    missing = {name: 999999 for name in theirs}
    checked = 0
    for role in Role.values:
        client = _client(side.users[role], side.district)
        for route, pattern in _routes():
            if "<" not in route:
                continue
            for method in _methods(pattern):
                for ids in (theirs, missing):
                    url = _fill(route, ids)
                    response = getattr(client, method)(url, {"kind": "continue", "present": []}, format="json")
                    assert response.status_code == 404, (role, method, url, response.status_code)
                    checked += 1
    assert checked >= len(Role.values) * 2 * 13
    with tenant_context(world.b.district):
        assert Decision.objects.filter(district=world.b.district).count() == 0
        assert ActionItem.objects.get(pk=theirs["action_id"]).done_at is None


def test_another_districts_meeting_and_action_items_never_list(world, program, api):
    _objects(world.b)
    assert api("district_admin").get("/api/v1/meetings/").json()["count"] == 0
    assert api("district_admin").get("/api/v1/action-items/").json()["count"] == 0


def test_read_only_members_read_and_are_refused_every_write(program, api):
    side = program["side"]
    meeting = _meeting(program)
    item = _item(program, meeting, 2)
    with tenant_context(side.district):
        action = ActionItem.objects.create(
            district=side.district, meeting=meeting, description="x", owner=side.teacher, due_date=SOON
        )
    ids = {"meeting_id": meeting.pk, "item_id": item.pk, "action_id": action.pk}
    client = api("read_only")
    writes = 0
    for route, pattern in _routes():
        url = _fill(route, ids)
        for method in _methods(pattern):
            response = getattr(client, method)(url, {"kind": "continue"}, format="json")
            if method == "get":
                # Reads succeed (read-only staff see the school's students), except a decision
                # that is not recorded yet.
                assert response.status_code in (200, 404), (url, response.status_code)
                assert response.status_code == 200 or url.endswith("/decision/"), url
            else:
                assert response.status_code == 403, (method, url, response.status_code)
                writes += 1
    assert writes == 12  # the eleven writes and action-items/{id}/undo/
    assert _count(side, Decision) == 0 and _count(side, Meeting) == 1
    with tenant_context(side.district):
        assert Meeting.objects.get().status == "scheduled" and ActionItem.objects.get().done_at is None


def test_members_without_a_team_role_and_outsiders_are_refused(world, program):
    meeting = _meeting(program, deliver=False, build=False)
    outsider = APIClient()
    outsider.force_authenticate(world.outsider)
    assert outsider.get(_url(meeting)).status_code == 403
    assert APIClient().get(_url(meeting)).status_code == 401


def test_the_schema_is_valid_and_lists_the_meeting_endpoints(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    for route in (
        "/api/v1/meetings/",
        "/api/v1/meetings/{meeting_id}/agenda/{item_id}/decision/",
        "/api/v1/meetings/{meeting_id}/close/",
        "/api/v1/action-items/{action_id}/done/",
    ):
        assert route in schema["paths"], route
    put = schema["paths"]["/api/v1/meetings/{meeting_id}/agenda/{item_id}/decision/"]["put"]
    assert {"200", "201", "409"} <= set(put["responses"])
    assert schema["components"]["schemas"]["DecisionKindEnum"]["enum"] == list(Decision.Kind.values)

"""The interventions API: district-scoped tokens, the services' validation as 400s
naming the field, who may write, all-or-nothing bulk logging, and 404 for
another district's objects."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from interventions.models import Attendance, Intervention, InterventionSession, Plan, Probe
from interventions.services import plan_create
from mtss.models import AccessLog, AuditEvent
from mtss.services import api_token_create
from mtss.tenancy import tenant_context
from tests import factories as f
from tests.interventions.tenancy_objects import _objects
from tests.program import START

pytestmark = pytest.mark.django_db

DAY1 = START + dt.timedelta(days=1)


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


def _count(side, model, **filters):
    with tenant_context(side.district):
        return model.objects.filter(**filters).count()


def _session(program, **changes):
    body = {"group": program["group"].pk, "date": DAY1.isoformat(), "minutes": 30}
    body.update(changes)
    return body


# --- library ---------------------------------------------------------------------------------


def test_the_library_lists_and_filters_by_area_and_tier(program, api):
    side = program["side"]
    with tenant_context(side.district):
        Intervention.objects.create(district=side.district, name="Number Sense Lab", area="math", tiers=[3])
    client = api("teacher")
    names = lambda response: [row["name"] for row in response.json()["results"]]  # noqa: E731
    assert names(client.get("/api/v1/interventions/")) == ["Number Sense Lab", "Fundations"]
    assert names(client.get("/api/v1/interventions/?area=reading")) == ["Fundations"]
    assert names(client.get("/api/v1/interventions/?tier=3")) == ["Number Sense Lab", "Fundations"]
    assert names(client.get("/api/v1/interventions/?tier=2")) == ["Fundations"]
    assert client.get("/api/v1/interventions/?tier=two").status_code == 400


def test_only_district_admins_change_the_library_with_the_forms_validation(program, api):
    payload = {"name": "Read Well", "area": "reading", "tiers": [2], "sessions_per_week": 3, "minutes_per_session": 20}
    assert api("principal").post("/api/v1/interventions/", payload, format="json").status_code == 403
    admin = api("district_admin")
    created = admin.post("/api/v1/interventions/", payload, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["evidence_level"] == "not_rated"
    duplicate = admin.post("/api/v1/interventions/", dict(payload, name="fundations"), format="json")
    assert duplicate.status_code == 400 and "already has an intervention named" in duplicate.json()["name"][0]
    bad_tiers = admin.post("/api/v1/interventions/", dict(payload, name="X", tiers=[0, 9]), format="json")
    assert bad_tiers.status_code == 400 and "tiers" in bad_tiers.json()
    url = f"/api/v1/interventions/{created.json()['id']}/"
    assert api("intervention_specialist").patch(url, {"area": "math"}, format="json").status_code == 403
    patched = admin.patch(url, {"evidence_level": "essa_2", "is_active": False}, format="json")
    assert patched.status_code == 200 and patched.json()["evidence_level"] == "essa_2"
    assert "Read Well" not in [r["name"] for r in admin.get("/api/v1/interventions/").json()["results"]]
    assert admin.get(url).json()["is_active"] is False


# --- placements ------------------------------------------------------------------------------


def test_placements_are_listed_for_visible_students_and_set_by_staff(program, api):
    side = program["side"]
    admin = api("district_admin")
    listed = admin.get(f"/api/v1/placements/?student={side.students[0].pk}")
    assert [(r["area"], r["tier"], r["end_date"]) for r in listed.json()["results"]] == [("reading", 2, None)]
    payload = {
        "student": side.students[3].pk,
        "area": "math",
        "tier": 2,
        "start_date": "2026-10-01",
        "reason": "fall screening",
    }
    assert api("teacher").post("/api/v1/placements/", payload, format="json").status_code == 403
    # The specialist does not see a student of another school who is not flagged: unknown student.
    hidden = api("intervention_specialist").post("/api/v1/placements/", payload, format="json")
    assert hidden.status_code == 400 and "student" in hidden.json()
    created = admin.post("/api/v1/placements/", payload, format="json")
    assert created.status_code == 201, created.json()
    detail = admin.get(f"/api/v1/placements/{created.json()['id']}/")
    assert detail.json()["tier"] == 2 and detail.json()["decided_by"] == side.district_admin.pk
    earlier = admin.post("/api/v1/placements/", dict(payload, tier=3, start_date="2026-09-01"), format="json")
    assert earlier.status_code == 400 and "start_date" in earlier.json()
    assert api("teacher").get(f"/api/v1/placements/{created.json()['id']}/").status_code == 404


def test_another_districts_student_is_an_unknown_student(program, api, world):
    payload = {"student": world.b.students[0].pk, "area": "reading", "tier": 2, "start_date": "2026-10-01"}
    response = api("district_admin").post("/api/v1/placements/", payload, format="json")
    assert response.status_code == 400 and "student" in response.json()


# --- plans -----------------------------------------------------------------------------------


def _plan_payload(program, student, **changes):
    side = program["side"]
    payload = {
        "student": student.pk,
        "area": "reading",
        "tier": 3,
        "intervention": program["intervention"].pk,
        "provider": side.district_admin.pk,
        "start_date": START.isoformat(),
        "expected_end_date": (START + dt.timedelta(weeks=10)).isoformat(),
        "goal_measure": "maze",
        "goal_target": 20,
        "goal_target_date": (START + dt.timedelta(weeks=10)).isoformat(),
        "sessions_per_week": 3,
        "minutes_per_session": 30,
        "baseline_probes": [
            {"date": (START - dt.timedelta(days=2)).isoformat(), "score": 8},
            {"date": (START - dt.timedelta(days=1)).isoformat(), "score": 9},
        ],
    }
    payload.update(changes)
    return payload


def test_a_plan_is_created_with_the_policys_dosage_warnings(program, api):
    side = program["side"]
    response = api("district_admin").post("/api/v1/plans/", _plan_payload(program, side.students[3]), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["warnings"]) == 2 and "60 minutes" in body["warnings"][1]  # Loudon Tier III
    assert body["phase"]["number"] == 1 and body["evaluation"]["policy"] == "loudon-county-tn@1"
    assert _count(side, Probe, plan_id=body["id"], is_baseline=True) == 2


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"minutes_per_session": 600}, "minutes_per_session"),
        ({"expected_end_date": START.isoformat()}, "expected_end_date"),
        ({"goal_target": None}, "goal_target"),
        ({"baseline_probes": [{"date": "2099-01-01", "score": 5}]}, "baseline_probes"),
        ({"intervention": 999999}, "intervention"),
    ],
)
def test_plan_validation_names_the_field(program, api, changes, field):
    side = program["side"]
    response = api("district_admin").post(
        "/api/v1/plans/", _plan_payload(program, side.students[3], **changes), format="json"
    )
    assert response.status_code == 400 and field in response.json(), response.json()
    assert _count(side, Plan, student=side.students[3]) == 0


def test_a_provider_from_another_school_is_refused(program, api):
    side = program["side"]
    with tenant_context(side.district):
        elsewhere = f.make_member(side.district, "intervention_specialist", schools=[side.other_school])
    response = api("district_admin").post(
        "/api/v1/plans/", _plan_payload(program, side.students[0], provider=elsewhere.pk), format="json"
    )
    assert response.status_code == 400 and "does not work at" in response.json()["provider"][0]


def test_plans_are_listed_with_filters_and_the_detail_has_the_evaluation(program, api):
    side, plans = program["side"], program["plans"]
    client = api("intervention_specialist")
    listed = client.get("/api/v1/plans/?tier=2&area=reading&status=active")
    assert {r["id"] for r in listed.json()["results"]} == {p.pk for p in plans}
    assert [r["id"] for r in client.get(f"/api/v1/plans/?student={side.students[1].pk}").json()["results"]] == [
        plans[1].pk
    ]
    assert client.get("/api/v1/plans/?tier=3").json()["count"] == 0
    assert client.get("/api/v1/plans/?status=paused").status_code == 400
    detail = client.get(f"/api/v1/plans/{plans[0].pk}/").json()
    assert detail["phase"]["number"] == 1 and detail["phase"]["intervention_name"] == "Fundations"
    assert detail["goal"] == {
        "measure": "R-CBM WRC",
        "target": 90.0,
        "target_date": "2026-11-30",
        "roi": None,
        "direction": "up",
    }
    assert detail["schedule"]["weekly_sessions"] == 4 and detail["schedule"]["minutes_per_session"] == 30
    evaluation = detail["evaluation"]
    assert evaluation["baseline"] == 42 and evaluation["policy"] == "loudon-county-tn@1"
    assert {"recommendation", "goal_roi", "roi", "findings"} <= set(evaluation)
    assert evaluation["findings"] and {"rule", "status", "values", "explanation"} == set(evaluation["findings"][0])
    with tenant_context(side.district):
        assert AccessLog.objects.filter(what="intervention plan", student_ids=[side.students[0].pk]).exists()


def test_a_phase_change_by_the_provider(program, api):
    plan = program["plans"][0]
    url = f"/api/v1/plans/{plan.pk}/phases/"
    payload = {"start_date": (START + dt.timedelta(weeks=6)).isoformat(), "reason": "more intensive", "goal_target": 95}
    assert api("read_only").post(url, payload, format="json").status_code == 403
    no_reason = api("intervention_specialist").post(url, dict(payload, reason=" "), format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    created = api("intervention_specialist").post(url, payload, format="json")
    assert created.status_code == 201 and created.json()["number"] == 2
    assert api("intervention_specialist").get(f"/api/v1/plans/{plan.pk}/").json()["phase"]["goal_target"] == 95


# --- probes ----------------------------------------------------------------------------------


def test_probes_one_or_many_all_or_nothing(program, api):
    side, plan = program["side"], program["plans"][0]
    url = f"/api/v1/plans/{plan.pk}/probes/"
    client = api("intervention_specialist")
    assert len(client.get(url).json()) == 3  # the baseline probes
    one = client.post(url, {"date": (START + dt.timedelta(days=7)).isoformat(), "score": 45}, format="json")
    assert one.status_code == 201 and one.json()[0]["score"] == 45
    many = client.post(
        url,
        {
            "probes": [
                {"date": (START + dt.timedelta(days=14)).isoformat(), "score": 47},
                {"date": "2099-01-01", "score": 50},
                {"date": (START + dt.timedelta(days=21)).isoformat(), "score": "abc"},
            ]
        },
        format="json",
    )
    assert many.status_code == 400
    messages = many.json()["probes"]
    assert any("line 2" in m and "future" in m for m in messages)
    assert any("line 3" in m and "not a number" in m for m in messages)
    bad_date = client.post(url, {"probes": [{"date": "2026-13-40", "score": 1}]}, format="json")
    assert bad_date.status_code == 400 and "line 1" in bad_date.json()["probes"][0]
    assert _count(side, Probe, plan=plan, is_baseline=False) == 1
    future = client.post(url, {"date": "2099-01-01", "score": 50}, format="json")
    assert future.status_code == 400 and "future" in future.json()["probes"][0]
    good = client.post(
        url,
        {"probes": [{"date": (START + dt.timedelta(days=d)).isoformat(), "score": 40 + d} for d in (14, 21, 28)]},
        format="json",
    )
    assert good.status_code == 201 and len(good.json()) == 3
    assert api("read_only").post(url, {"date": START.isoformat(), "score": 1}, format="json").status_code == 403


# --- groups ----------------------------------------------------------------------------------


def test_groups_are_listed_created_and_shown_with_members(program, api):
    side, group = program["side"], program["group"]
    assert [g["id"] for g in api("intervention_specialist").get("/api/v1/groups/").json()["results"]] == [group.pk]
    assert api("teacher").get("/api/v1/groups/").json()["count"] == 0
    detail = api("principal").get(f"/api/v1/groups/{group.pk}/").json()
    assert {m["plan"] for m in detail["members"]} == {p.pk for p in program["plans"]}
    payload = {
        "school": side.school.pk,
        "provider": side.intervention_specialist.pk,
        "name": "Tier 3 decoding",
        "area": "reading",
        "tier": 3,
        "intervention": program["intervention"].pk,
        "sessions_per_week": 5,
        "minutes_per_session": 60,
    }
    assert api("read_only").post("/api/v1/groups/", payload, format="json").status_code == 403
    created = api("principal").post("/api/v1/groups/", payload, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["members"] == [] and created.json()["schedule"] == "5 × 60 min per week"
    both = api("principal").post("/api/v1/groups/", dict(payload, sessions_per_cycle=3, cycle_days=6), format="json")
    assert both.status_code == 400 and "sessions_per_week" in both.json()
    with tenant_context(side.district):
        elsewhere = f.make_member(side.district, "intervention_specialist", schools=[side.other_school])
    refused = api("district_admin").post("/api/v1/groups/", dict(payload, provider=elsewhere.pk), format="json")
    assert refused.status_code == 400 and "provider" in refused.json()
    # A principal picks only the schools of the membership.
    other = api("principal").post("/api/v1/groups/", dict(payload, school=side.other_school.pk), format="json")
    assert other.status_code == 400 and "school" in other.json()


def test_adding_members_follows_the_policys_group_size(program, api):
    side, group = program["side"], program["group"]
    with tenant_context(side.district):
        extra = []
        for _ in range(3):
            student = f.make_student(side.district, side.school)
            plan, _w = plan_create(
                district=side.district,
                actor=None,
                student=student,
                area="reading",
                tier=2,
                intervention=program["intervention"],
                provider=side.intervention_specialist,
                start_date=START,
                expected_end_date=START + dt.timedelta(weeks=8),
                goal_measure="wrc",
                goal_target=80,
                goal_target_date=START + dt.timedelta(weeks=8),
                sessions_per_week=4,
                minutes_per_session=30,
            )
            extra.append(plan)
    url = f"/api/v1/groups/{group.pk}/members/"
    assert api("read_only").post(url, {"plan": extra[0].pk}, format="json").status_code == 403
    client = api("intervention_specialist")
    for plan in extra[:2]:
        response = client.post(url, {"plan": plan.pk}, format="json")
        assert response.status_code == 201, response.json()
    assert len(response.json()["members"]) == 5
    full = client.post(url, {"plan": extra[2].pk}, format="json")
    assert full.status_code == 400 and "at most 5" in full.json()["group"][0]


# --- sessions --------------------------------------------------------------------------------


def test_a_group_session_is_logged_with_attendance_and_probes(program, api):
    side, plans = program["side"], program["plans"]
    body = _session(
        program, attendance={str(plans[1].pk): "student_absent"}, probes={str(plans[0].pk): 47}, note="fluency drills"
    )
    response = api("intervention_specialist").post("/api/v1/sessions/", body, format="json")
    assert response.status_code == 201, response.json()
    logged = response.json()
    assert logged["attendance"] == {
        str(plans[0].pk): "present",
        str(plans[1].pk): "student_absent",
        str(plans[2].pk): "present",
    }
    assert logged["probes"] == {str(plans[0].pk): 47.0} and logged["logged_by"] == side.intervention_specialist.pk
    assert api("principal").get(f"/api/v1/sessions/{logged['id']}/").json()["note"] == "fluency drills"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 600}, "minutes"),
        ({"date": "2099-01-01"}, "date"),
        ({"date": (START - dt.timedelta(days=7)).isoformat()}, "date"),
        ({"minutes": "thirty"}, "minutes"),
        ({"attendance": {"1": "asleep"}}, "attendance"),
        ({"group": None}, "group"),
    ],
)
def test_bad_session_input_names_the_field_and_saves_nothing(program, api, changes, field):
    response = api("intervention_specialist").post("/api/v1/sessions/", _session(program, **changes), format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert _count(program["side"], InterventionSession) == 0


def test_a_student_not_in_the_group_is_refused(program, api):
    side = program["side"]
    with tenant_context(side.district):
        outside, _w = plan_create(
            district=side.district,
            actor=None,
            student=side.students[3],
            area="reading",
            tier=2,
            intervention=program["intervention"],
            provider=side.district_admin,
            start_date=START,
            expected_end_date=START + dt.timedelta(weeks=8),
            goal_measure="wrc",
            goal_target=80,
            goal_target_date=START + dt.timedelta(weeks=8),
            sessions_per_week=4,
            minutes_per_session=30,
        )
    for body in (
        _session(program, attendance={str(outside.pk): "present"}),
        _session(program, probes={str(outside.pk): 50}),
    ):
        response = api("intervention_specialist").post("/api/v1/sessions/", body, format="json")
        assert response.status_code == 400 and "not in this group" in response.json()["attendance"][0]
    assert _count(side, InterventionSession) == 0


def test_a_duplicate_session_says_it_is_already_logged(program, api):
    assert api("intervention_specialist").post("/api/v1/sessions/", _session(program), format="json").status_code == 201
    again = api("district_admin").post("/api/v1/sessions/", _session(program), format="json")
    assert again.status_code == 400 and "already logged" in again.json()["date"][0]


def test_read_roles_and_other_providers_cannot_log(program, api):
    side = program["side"]
    for role in ("read_only", "psychologist", "counselor"):
        response = api(role).post("/api/v1/sessions/", _session(program), format="json")
        assert response.status_code == 403, role
    assert api("principal").post("/api/v1/sessions/", _session(program), format="json").status_code == 201
    assert _count(side, InterventionSession) == 1


def test_a_one_to_one_session_and_the_filters(program, api):
    side, plans = program["side"], program["plans"]
    with tenant_context(side.district):
        solo, _w = plan_create(
            district=side.district,
            actor=None,
            student=side.students[0],
            area="math",
            tier=2,
            intervention=program["intervention"],
            provider=side.intervention_specialist,
            start_date=START,
            expected_end_date=START + dt.timedelta(weeks=8),
            goal_measure="m-cap",
            goal_target=30,
            goal_target_date=START + dt.timedelta(weeks=8),
            sessions_per_week=4,
            minutes_per_session=30,
        )
    client = api("intervention_specialist")
    assert (
        client.post(
            "/api/v1/sessions/", {"plan": solo.pk, "date": DAY1.isoformat(), "minutes": 25}, format="json"
        ).status_code
        == 201
    )
    later = START + dt.timedelta(days=8)
    assert client.post("/api/v1/sessions/", _session(program), format="json").status_code == 201
    assert client.post("/api/v1/sessions/", _session(program, date=later.isoformat()), format="json").status_code == 201
    dates = lambda query: [r["date"] for r in client.get("/api/v1/sessions/" + query).json()["results"]]  # noqa: E731
    assert dates("") == [later.isoformat(), DAY1.isoformat(), DAY1.isoformat()]
    assert dates(f"?group={program['group'].pk}") == [later.isoformat(), DAY1.isoformat()]
    assert dates(f"?plan={solo.pk}") == [DAY1.isoformat()]
    assert dates(f"?plan={plans[0].pk}&date_from={later.isoformat()}") == [later.isoformat()]
    assert dates(f"?date_to={DAY1.isoformat()}") == [DAY1.isoformat(), DAY1.isoformat()]
    assert client.get("/api/v1/sessions/?date_from=yesterday").status_code == 400


def test_bulk_logging_is_all_or_nothing(program, api):
    side, plans = program["side"], program["plans"]
    client = api("intervention_specialist")
    days = [START + dt.timedelta(days=d) for d in (1, 2, 3)]
    bad = [
        _session(program, date=days[0].isoformat()),
        _session(program, date=days[1].isoformat(), minutes=600),
        _session(program, date=days[0].isoformat()),  # the same day twice
        _session(program, date=days[2].isoformat(), probes={str(plans[0].pk): 51}),
    ]
    response = client.post("/api/v1/sessions/bulk/", bad, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["index"] for e in errors] == [1, 2]
    assert "minutes" in errors[0]["errors"] and "already logged" in errors[1]["errors"]["date"][0]
    assert _count(side, InterventionSession) == 0 and _count(side, Probe, is_baseline=False) == 0
    assert _count(side, AuditEvent, verb="session.log") == 0
    good = client.post("/api/v1/sessions/bulk/", {"sessions": [bad[0], bad[3]]}, format="json")
    assert good.status_code == 201 and [s["date"] for s in good.json()] == [days[0].isoformat(), days[2].isoformat()]
    assert _count(side, InterventionSession) == 2 and _count(side, Attendance) == 6
    assert client.post("/api/v1/sessions/bulk/", [], format="json").status_code == 400
    forbidden = api("read_only").post("/api/v1/sessions/bulk/", [_session(program, date="2026-09-15")], format="json")
    assert forbidden.status_code == 403 and forbidden.json()["errors"][0]["index"] == 0
    assert _count(side, InterventionSession) == 2


def test_a_session_is_edited_and_deleted_with_a_reason(program, api):
    side, plans = program["side"], program["plans"]
    client = api("intervention_specialist")
    session = client.post("/api/v1/sessions/", _session(program, probes={str(plans[0].pk): 45}), format="json").json()
    url = f"/api/v1/sessions/{session['id']}/"
    assert api("read_only").patch(url, {"minutes": 25}, format="json").status_code == 403
    too_long = client.patch(url, {"minutes": 600}, format="json")
    assert too_long.status_code == 400 and "minutes" in too_long.json()
    edited = client.patch(url, {"minutes": 25, "attendance": {str(plans[2].pk): "student_absent"}}, format="json")
    assert edited.status_code == 200
    assert edited.json()["minutes"] == 25 and edited.json()["attendance"][str(plans[2].pk)] == "student_absent"
    assert edited.json()["attendance"][str(plans[1].pk)] == "present"
    assert api("read_only").delete(url, {"reason": "oops"}, format="json").status_code == 403
    no_reason = client.delete(url, {"reason": ""}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert client.delete(url, {"reason": "wrong group"}, format="json").status_code == 204
    assert client.get(url).status_code == 404
    with tenant_context(side.district):
        assert AuditEvent.objects.get(verb="session.delete").changes["reason"] == "wrong group"


# --- tenancy ---------------------------------------------------------------------------------


def test_another_districts_ids_answer_404_on_every_detail_route(program, api, world):
    theirs = _objects(world.b)
    routes = [
        ("get", f"/api/v1/interventions/{theirs['intervention'].pk}/"),
        ("patch", f"/api/v1/interventions/{theirs['intervention'].pk}/"),
        ("get", f"/api/v1/placements/{theirs['placement'].pk}/"),
        ("get", f"/api/v1/plans/{theirs['plan'].pk}/"),
        ("post", f"/api/v1/plans/{theirs['plan'].pk}/phases/"),
        ("get", f"/api/v1/plans/{theirs['plan'].pk}/probes/"),
        ("post", f"/api/v1/plans/{theirs['plan'].pk}/probes/"),
        ("get", f"/api/v1/groups/{theirs['group'].pk}/"),
        ("post", f"/api/v1/groups/{theirs['group'].pk}/members/"),
        ("get", f"/api/v1/sessions/{theirs['session'].pk}/"),
        ("patch", f"/api/v1/sessions/{theirs['session'].pk}/"),
        ("delete", f"/api/v1/sessions/{theirs['session'].pk}/"),
    ]
    for role in ("district_admin", "principal", "intervention_specialist", "read_only"):
        client = api(role)
        for method, url in routes:
            response = getattr(client, method)(url, {"reason": "x", "minutes": 30}, format="json")
            assert response.status_code == 404, (role, method, url, response.status_code)
            missing = getattr(client, method)(url.replace(f"/{url.split('/')[4]}/", "/999999/"), {}, format="json")
            assert missing.status_code == 404, (role, method, url)


def test_another_districts_objects_in_a_body_are_unknown(program, api, world):
    theirs = _objects(world.b)
    client = api("district_admin")
    group = client.post("/api/v1/sessions/", _session(program, group=theirs["group"].pk), format="json")
    assert group.status_code == 400 and "group" in group.json()
    member = client.post(f"/api/v1/groups/{program['group'].pk}/members/", {"plan": theirs["plan"].pk}, format="json")
    assert member.status_code == 400 and "plan" in member.json()
    foreign_program = client.post(
        "/api/v1/plans/",
        _plan_payload(program, program["side"].students[3], intervention=theirs["intervention"].pk),
        format="json",
    )
    assert foreign_program.status_code == 400 and "intervention" in foreign_program.json()
    with tenant_context(world.b.district):
        assert InterventionSession.objects.filter(district=world.b.district).count() == 1
        assert Plan.objects.get(pk=theirs["plan"].pk).group_id == theirs["group"].pk


def test_the_schema_lists_the_interventions_endpoints(program, login):
    content = login(program["side"].principal).get("/api/schema/").content
    for path in (b"/api/v1/plans/{plan_id}/", b"/api/v1/sessions/bulk/", b"/api/v1/groups/{group_id}/members/"):
        assert path in content

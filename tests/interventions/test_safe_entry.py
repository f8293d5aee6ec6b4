"""Issue 14, safe data entry: one score rule on every entry path, probes corrected and deleted with
a reason, session edits that save what they show, one-to-one sessions, submit-once forms,
friendly constraint messages, plausible dates and phone numbers, and "Start a plan" marking the
review item only when the plan is saved."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from interventions.models import Attendance, Intervention, InterventionSession, Plan, Probe
from interventions.services import plan_create, probes_add, session_log
from mtss.calendars.models import CalendarEvent
from mtss.constraints import constraint_error, friendly_constraints
from mtss.models import AuditEvent, FormSubmission
from mtss.tenancy import tenant_context
from screening.services import catalog_ensure
from tests.program import START

pytestmark = pytest.mark.django_db

BAD_SCORES = ["inf", "nan", "-inf", "999999999"]


def _probes(side, **filters) -> list[float]:
    with tenant_context(side.district):
        return list(Probe.objects.filter(district=side.district, **filters).values_list("score", flat=True))


def _one_to_one_plan(program) -> Plan:
    side = program["side"]
    with tenant_context(side.district):
        plan, _ = plan_create(
            district=side.district,
            actor=side.intervention_specialist,
            student=side.students[0],
            area="math",
            tier=3,
            intervention=program["intervention"],
            provider=side.intervention_specialist,
            start_date=START,
            expected_end_date=START + dt.timedelta(weeks=12),
            goal_measure="M-COMP",
            goal_target=40,
            goal_target_date=START + dt.timedelta(weeks=12),
            sessions_per_week=5,
            minutes_per_session=25,
        )
    return plan


# --- one score rule, every entry path ----------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_SCORES)
def test_the_probe_form_refuses_non_finite_and_huge_scores(program, login, bad):
    plan = program["plans"][0]
    before = _probes(program["side"])
    client = login(program["side"].intervention_specialist)
    response = client.post(reverse("plan_detail", args=[plan.pk]), {"one-date": START.isoformat(), "one-score": bad})
    assert response.status_code == 200
    errors = str(response.context["probe_form"].errors)
    assert "not a number" in errors or "outside the range" in errors, errors
    assert _probes(program["side"]) == before


@pytest.mark.parametrize("bad", BAD_SCORES)
def test_the_several_probes_box_refuses_them_by_line(program, login, bad):
    plan = program["plans"][0]
    before = _probes(program["side"])
    client = login(program["side"].intervention_specialist)
    lines = f"{START.isoformat()}, 45\n{(START + dt.timedelta(days=1)).isoformat()}, {bad}"
    response = client.post(reverse("plan_detail", args=[plan.pk]), {"bulk-lines": lines})
    assert response.status_code == 200
    errors = " ".join(response.context["bulk_form"].non_field_errors())
    assert "line 2" in errors and ("not a number" in errors or "outside the range" in errors), errors
    assert _probes(program["side"]) == before  # all or nothing: line 1 is not saved either
    # Every page that draws the plan still answers.
    assert client.get(reverse("plan_detail", args=[plan.pk])).status_code == 200
    assert client.get(reverse("caseload")).status_code == 200


@pytest.mark.parametrize("bad", BAD_SCORES)
def test_the_api_refuses_them_for_probes_and_session_probes(program, bad):
    side, plan = program["side"], program["plans"][0]
    before = _probes(side)
    api = APIClient()
    api.force_login(side.intervention_specialist)
    response = api.post(f"/api/v1/plans/{plan.pk}/probes/", {"date": START.isoformat(), "score": bad}, format="json")
    assert response.status_code == 400, response.content
    assert "not a number" in str(response.data) or "outside the range" in str(response.data)
    huge = float(bad) if bad == "999999999" else bad
    response = api.post(
        "/api/v1/sessions/",
        {"group": program["group"].pk, "date": START.isoformat(), "minutes": 30, "probes": {str(plan.pk): huge}},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "probes" in response.data
    assert _probes(side) == before


@pytest.mark.parametrize("bad", BAD_SCORES)
def test_the_one_to_one_form_and_the_session_edit_refuse_them(program, login, bad):
    """The two other forms that take a probe: a one-to-one session's, and "Change a session"."""
    side = program["side"]
    plan = _one_to_one_plan(program)
    client = login(side.intervention_specialist)
    url = reverse("plan_sessions", args=[plan.pk])
    day = START + dt.timedelta(days=1)
    response = client.post(url, {"date": day, "minutes": 25, "attendance": "present", "probe": bad})
    assert response.status_code == 200
    errors = str(response.context["form"].errors["probe"])
    assert "not a number" in errors or "outside the range" in errors, errors
    with tenant_context(side.district):
        assert not InterventionSession.objects.filter(plan=plan).exists()  # nothing half-saved
    assert client.post(url, {"date": day, "minutes": 25, "attendance": "present", "probe": "31"}).status_code == 302
    with tenant_context(side.district):
        session = InterventionSession.objects.get(plan=plan)
    edit = reverse("session_edit", args=[session.pk])
    data = {"date": day.isoformat(), "minutes": 25, "note": "", f"att_{plan.pk}": "present", f"probe_{plan.pk}": bad}
    response = client.post(edit, data)
    assert response.status_code == 200
    assert "not a number" in response.content.decode() or "outside the range" in response.content.decode()
    assert _probes(side, session=session) == [31.0]


@pytest.mark.parametrize("bad", ["inf", "nan", "999999999"])
def test_the_group_session_form_refuses_them(program, login, bad):
    plans = program["plans"]
    client = login(program["side"].intervention_specialist)
    data = {"date": START.isoformat(), "minutes": 30, "note": ""}
    for plan in plans:
        data[f"att_{plan.pk}"] = "present"
        data[f"probe_{plan.pk}"] = ""
    data[f"probe_{plans[0].pk}"] = bad
    response = client.post(reverse("group_detail", args=[program["group"].pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    with tenant_context(program["side"].district):
        assert not InterventionSession.objects.exists()


def test_a_probe_is_checked_against_the_catalog_measures_range(program):
    """The same range the score import checks: aimswebPlus R-CBM scores 0..400."""
    side, plan = program["side"], program["plans"][0]
    with tenant_context(side.district):
        catalog_ensure(district=side.district)
        with pytest.raises(ValidationError) as refused:
            probes_add(district=side.district, actor=None, plan=plan, probes=[(START, 450)])
        assert "450 is outside the range of aimswebPlus Oral Reading Fluency (R-CBM) (0..400)" in str(refused.value)
        assert len(probes_add(district=side.district, actor=None, plan=plan, probes=[(START, 399)])) == 1


def test_the_database_refuses_a_non_finite_probe(program):
    side, plan = program["side"], program["plans"][0]
    with tenant_context(side.district):
        for bad in (float("inf"), float("nan")):
            with pytest.raises(IntegrityError), transaction.atomic():
                Probe.objects.create(district=side.district, plan=plan, date=START, score=bad)


# --- probes corrected and deleted with a reason -------------------------------------------------------


def test_a_mistyped_probe_is_corrected_and_another_deleted_with_a_reason(program, login):
    side, plan = program["side"], program["plans"][0]
    with tenant_context(side.district):
        typo, extra = probes_add(
            district=side.district, actor=None, plan=plan, probes=[(START, 25), (START + dt.timedelta(days=1), 60)]
        )
    client = login(side.intervention_specialist)
    page = client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert reverse("probe_edit", args=[typo.pk]) in page
    url = reverse("probe_edit", args=[typo.pk])
    response = client.post(url, {"date": START.isoformat(), "score": "inf", "reason": ""})
    assert response.status_code == 200 and "score" in response.context["form"].errors
    response = client.post(url, {"date": START.isoformat(), "score": "52", "reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    response = client.post(url, {"date": START.isoformat(), "score": "52", "reason": "digits swapped"})
    assert response.status_code == 302
    response = client.post(reverse("probe_edit", args=[extra.pk]), {"action": "delete", "reason": ""})
    assert response.status_code == 302
    assert 60.0 in _probes(side, plan=plan)  # no reason, not deleted
    client.post(reverse("probe_edit", args=[extra.pk]), {"action": "delete", "reason": "probe of another student"})
    assert sorted(_probes(side, plan=plan, is_baseline=False)) == [52.0]
    with tenant_context(side.district):
        update = AuditEvent.objects.get(district=side.district, verb="probe.update", object_id=typo.pk)
        assert update.changes["before"]["score"] == 25 and update.changes["after"]["score"] == 52
        assert update.changes["reason"] == "digits swapped"
        deletion = AuditEvent.objects.get(district=side.district, verb="probe.delete", object_id=extra.pk)
        assert deletion.changes["score"] == 60 and deletion.changes["reason"] == "probe of another student"


def test_a_probe_of_another_district_is_404_and_a_teacher_may_not_change_one(program, world, login):
    side, plan = program["side"], program["plans"][0]
    with tenant_context(side.district):
        (probe,) = probes_add(district=side.district, actor=None, plan=plan, probes=[(START, 41)])
    assert login(world.b.district_admin).get(reverse("probe_edit", args=[probe.pk])).status_code == 404
    assert login(side.teacher).get(reverse("probe_edit", args=[probe.pk])).status_code == 404
    api = APIClient()
    api.force_login(side.intervention_specialist)
    response = api.patch(f"/api/v1/probes/{probe.pk}/", {"score": 14, "reason": "typo"}, format="json")
    assert response.status_code == 200 and response.data["score"] == 14
    assert api.patch(f"/api/v1/probes/{probe.pk}/", {"score": "nan"}, format="json").status_code == 400


# --- session edits save every field they show --------------------------------------------------------


def test_changing_a_session_saves_its_date_and_probes(program, login):
    side, plans = program["side"], program["plans"]
    with tenant_context(side.district):
        session = session_log(
            district=side.district,
            actor=None,
            group=program["group"],
            date=START + dt.timedelta(days=1),
            minutes=30,
            attendance={},
            probe_scores={plans[1].pk: 50},
        )
    client = login(side.intervention_specialist)
    url = reverse("session_edit", args=[session.pk])
    assert 'value="50' in client.get(url).content.decode()  # the probe taken there is shown
    moved = START + dt.timedelta(days=2)
    data = {"date": moved.isoformat(), "minutes": 25, "note": "moved"}
    for plan in plans:
        data[f"att_{plan.pk}"] = "present"
        data[f"probe_{plan.pk}"] = ""
    data[f"probe_{plans[0].pk}"] = "47"
    assert client.post(url, data).status_code == 302
    with tenant_context(side.district):
        session.refresh_from_db()
        assert (session.date, session.minutes) == (moved, 25)
        probes = dict(Probe.objects.filter(session=session).values_list("plan_id", "score"))
        assert probes == {plans[0].pk: 47.0}  # typed there: saved; cleared: removed
        assert set(Probe.objects.filter(session=session).values_list("date", flat=True)) == {moved}
        event = AuditEvent.objects.get(district=side.district, verb="session.update", object_id=session.pk)
        assert event.changes["before"]["probes"] == {str(plans[1].pk): 50.0}


def test_a_session_cannot_be_moved_onto_a_logged_day(program, login):
    side = program["side"]
    with tenant_context(side.district):
        first, second = (
            session_log(district=side.district, actor=None, group=program["group"], date=day, minutes=30, attendance={})
            for day in (START + dt.timedelta(days=1), START + dt.timedelta(days=2))
        )
    api = APIClient()
    api.force_login(side.intervention_specialist)
    response = api.patch(f"/api/v1/sessions/{second.pk}/", {"date": first.date.isoformat()}, format="json")
    assert response.status_code == 400 and "already logged" in str(response.data["date"])


# --- one-to-one sessions -------------------------------------------------------------------------------


def test_a_normal_one_to_one_session_is_one_click(program, login):
    side = program["side"]
    plan = _one_to_one_plan(program)
    client = login(side.intervention_specialist)
    assert (
        reverse("plan_sessions", args=[plan.pk]) in client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    )
    assert reverse("plan_sessions", args=[plan.pk]) in client.get(reverse("caseload")).content.decode()
    page = client.get(reverse("plan_sessions", args=[plan.pk]))
    form = page.context["form"]
    data = {name: form[name].value() for name in ("date", "minutes", "attendance", "submission")}
    data.update(probe="", note="")
    assert data["minutes"] == 25 and data["attendance"] == "present"
    assert client.post(reverse("plan_sessions", args=[plan.pk]), data).status_code == 302
    # Back and submit again: nothing is logged twice, and no error either.
    repeat = client.post(reverse("plan_sessions", args=[plan.pk]), data)
    assert repeat.status_code == 302
    with tenant_context(side.district):
        session = InterventionSession.objects.get(district=side.district, plan=plan)
        assert (session.date, session.minutes, session.group_id) == (timezone.localdate(), 25, None)
        assert Attendance.objects.get(session=session).status == "present"


def test_a_one_to_one_session_takes_attendance_and_a_probe(program, login):
    side = program["side"]
    plan = _one_to_one_plan(program)
    client = login(side.intervention_specialist)
    url = reverse("plan_sessions", args=[plan.pk])
    day = START + dt.timedelta(days=1)
    response = client.post(url, {"date": day, "minutes": 0, "attendance": "student_absent", "probe": "31"})
    assert response.status_code == 200 and "probe" in response.context["form"].errors  # absent: no probe
    assert client.post(url, {"date": day, "minutes": 25, "attendance": "present", "probe": "31"}).status_code == 302
    with tenant_context(side.district):
        session = InterventionSession.objects.get(plan=plan)
        assert list(Probe.objects.filter(session=session).values_list("plan_id", "score")) == [(plan.pk, 31.0)]
    # Corrected on the session page, which now serves one-to-one sessions too.
    edit = reverse("session_edit", args=[session.pk])
    data = {"date": day.isoformat(), "minutes": 20, "note": "", f"att_{plan.pk}": "present", f"probe_{plan.pk}": "33"}
    assert client.post(edit, data)["Location"] == url
    assert _probes(side, session=session) == [33.0]


# --- submit once -------------------------------------------------------------------------------------


def test_a_resubmitted_probe_form_saves_once(program, login):
    side, plan = program["side"], program["plans"][0]
    client = login(side.intervention_specialist)
    token = str(uuid.uuid4())
    data = {"one-date": START.isoformat(), "one-score": "45", "one-submission": token}
    first = client.post(reverse("plan_detail", args=[plan.pk]), data)
    second = client.post(reverse("plan_detail", args=[plan.pk]), data)
    assert first.status_code == second.status_code == 302
    assert _probes(side, plan=plan, is_baseline=False) == [45.0]
    # A refused submission does not use up its token: corrected, the same form saves.
    token = str(uuid.uuid4())
    bad = client.post(reverse("plan_detail", args=[plan.pk]), {**data, "one-score": "inf", "one-submission": token})
    assert bad.status_code == 200
    good = client.post(reverse("plan_detail", args=[plan.pk]), {**data, "one-score": "46", "one-submission": token})
    assert good.status_code == 302
    assert sorted(_probes(side, plan=plan, is_baseline=False)) == [45.0, 46.0]
    with tenant_context(side.district):
        assert FormSubmission.objects.filter(district=side.district).count() == 2


def test_a_resubmitted_guardian_and_meeting_form_save_once(world, login):
    side = world.a
    client = login(side.principal)
    token = str(uuid.uuid4())
    student = side.students[0]
    guardian = {
        "first_name": "Rosa",
        "last_name": "Diaz",
        "relationship": "mother",
        "preferred_language": "es",
        "phone": "(540) 338-1234",
        "submission": token,
    }
    url = reverse("guardian_create", args=[student.pk])
    assert client.post(url, guardian).status_code == 302
    assert client.post(url, guardian).status_code == 302
    with tenant_context(side.district):
        rosa = student.guardians.filter(first_name="Rosa")
        assert rosa.count() == 1 and rosa.get().phone == "+15403381234"
    meeting = {
        "school": side.school.pk,
        "team_type": "sbit",
        "starts_at": (timezone.localdate() + dt.timedelta(days=3)).isoformat() + "T15:30",
        "occurrences": 1,
        "submission": str(uuid.uuid4()),
    }
    first, second = client.post(reverse("meeting_list"), meeting), client.post(reverse("meeting_list"), meeting)
    assert first["Location"] == second["Location"]
    with tenant_context(side.district):
        from interventions.models import Meeting

        assert Meeting.objects.filter(district=side.district).count() == 1


# --- friendly constraint messages ----------------------------------------------------------------------


def test_every_constraint_has_a_message_naming_its_field():
    from django.apps import apps

    from mtss.constraints import constraint_field

    apps_with_forms = {"mtss", "students", "screening", "interventions"}
    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in apps_with_forms:
            continue
        for constraint in model._meta.constraints:
            message = str(constraint.get_violation_error_message())
            if "is violated" in message or ":" not in message or constraint_field(constraint) is None:
                missing.append(constraint.name)
    assert not missing


def test_a_constraint_violation_reaches_the_user_as_its_field_message(program):
    side = program["side"]
    with tenant_context(side.district):
        with pytest.raises(ValidationError) as refused, friendly_constraints():
            Intervention.objects.create(district=side.district, name="Fundations", area="reading")
        assert refused.value.message_dict == {"name": ["Name: the library already has an intervention with this name."]}
        try:
            with transaction.atomic():
                Probe.objects.create(district=side.district, plan=program["plans"][0], date=START, score=float("inf"))
        except IntegrityError as error:
            assert constraint_error(error).message_dict == {"score": ["Score: give a number (not “inf” or “nan”)."]}
        else:
            pytest.fail("the database accepted an infinite score")


# --- plausible dates and phone numbers -----------------------------------------------------------------


def test_a_2030_birth_date_for_grade_3_is_refused_with_a_message(world):
    from students.services import student_create, student_update

    side = world.a
    fields = dict(
        school=side.school,
        local_id="NEW-1",
        first_name="Ana",
        last_name="Ruiz",
        grade=3,
        entry_date=dt.date(2026, 8, 20),
    )
    with tenant_context(side.district):
        with pytest.raises(ValidationError) as refused:
            student_create(district=side.district, actor=None, birth_date=dt.date(2030, 1, 5), **fields)
        assert "birth_date" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            student_create(district=side.district, actor=None, birth_date=dt.date(2024, 1, 5), **fields)
        assert "grade 3 is usually about 8" in refused.value.message_dict["birth_date"][0]
        student = student_create(district=side.district, actor=None, birth_date=dt.date(2018, 3, 5), **fields)
        with pytest.raises(ValidationError):
            student_update(district=side.district, actor=None, student=student, grade=5, birth_date=dt.date(2025, 1, 1))


def test_a_meeting_in_2020_is_refused(world):
    from interventions.meetings.services import meeting_create

    side = world.a
    with tenant_context(side.district):
        with pytest.raises(ValidationError) as refused:
            meeting_create(
                district=side.district,
                actor=None,
                school=side.school,
                team_type="sbit",
                starts_at=timezone.make_aware(dt.datetime(2020, 10, 5, 15)),
            )
    assert "starts_at" in refused.value.message_dict


def test_a_phone_number_abc_is_refused_on_the_form_and_the_api(world, login):
    side = world.a
    student = side.students[0]
    client = login(side.principal)
    url = reverse("guardian_create", args=[student.pk])
    response = client.post(url, {"first_name": "Abe", "last_name": "Lin", "relationship": "father", "phone": "abc"})
    assert response.status_code == 200 and "not a valid phone number" in str(response.context["form"].errors["phone"])
    api = APIClient()
    api.force_login(side.principal)
    response = api.post(
        f"/api/v1/students/{student.pk}/guardians/",
        {"first_name": "Abe", "last_name": "Lin", "relationship": "father", "phone": "abc"},
        format="json",
    )
    assert response.status_code == 400 and "phone" in response.data


def test_a_session_on_a_holiday_is_saved_with_a_warning(program, login):
    side = program["side"]
    holiday = START + dt.timedelta(days=2)
    with tenant_context(side.district):
        CalendarEvent.objects.create(
            district=side.district, kind="holiday", name="Teacher work day", start_date=holiday, end_date=holiday
        )
    client = login(side.intervention_specialist)
    data = {"date": holiday.isoformat(), "minutes": 30, "note": ""}
    for plan in program["plans"]:
        data[f"att_{plan.pk}"] = "present"
    response = client.post(reverse("group_detail", args=[program["group"].pk]), data, follow=True)
    assert "not a school day" in response.content.decode()
    with tenant_context(side.district):
        assert InterventionSession.objects.filter(date=holiday).exists()

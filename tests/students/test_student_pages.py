"""Student list, record, create and edit pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mtss.models import AccessLog, AuditEvent
from mtss.tenancy import tenant_context
from students.models import Student
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_it_lists_the_principals_school_students(world, login):
    response = login(world.a.principal).get(reverse("student_list"))
    assert response.status_code == 200
    names = {s.last_name for s in response.context["page"].object_list}
    assert names == {"Alphad0", "Alphad1", "Alphad2"}  # not the middle-school student, not district b


def test_it_searches_names_by_post_so_they_stay_out_of_urls(world, login):
    client = login(world.a.district_admin)
    response = client.post(reverse("student_list"), {"q": "alphad1"})
    assert [s.last_name for s in response.context["page"].object_list] == ["Alphad1"]
    # A name in the query string is ignored.
    response = client.get(reverse("student_list") + "?q=alphad1")
    assert response.context["page"].paginator.count == 4


def test_it_filters_by_school_grade_subgroup_and_tier(world, login):
    from interventions.models import TierPlacement

    student = world.a.students[0]
    with tenant_context(world.a.district):
        Student.objects.filter(pk=student.pk).update(english_learner=True)
        TierPlacement.objects.create(
            district=world.a.district, student=student, area="reading", tier=2, start_date="2026-09-01"
        )
    client = login(world.a.district_admin)
    url = reverse("student_list")
    assert client.get(url, {"school": world.a.other_school.pk}).context["page"].paginator.count == 1
    assert client.get(url, {"grade": 7}).context["page"].paginator.count == 1
    assert [s.pk for s in client.get(url, {"subgroup": "english_learner"}).context["page"].object_list] == [student.pk]
    assert [s.pk for s in client.get(url, {"tier": 2}).context["page"].object_list] == [student.pk]


def test_it_shows_a_field_message_for_a_bad_filter_instead_of_failing(world, login):
    response = login(world.a.district_admin).get(reverse("student_list"), {"grade": "banana"})
    assert response.status_code == 200
    assert "grade" in response.context["form"].errors


def test_it_returns_only_the_results_partial_to_htmx(world, login):
    response = login(world.a.district_admin).post(reverse("student_list"), {"q": "alpha"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body


def test_it_pages_the_list_with_a_constant_number_of_queries(world, login):
    client = login(world.a.district_admin)
    url = reverse("student_list")
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(30):
        f.make_student(world.a.district, world.a.school)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.context["page"].paginator.count == 34
    assert len(large) == len(small)


def test_it_shows_the_record_and_logs_the_view(world, login):
    student = world.a.students[0]
    response = login(world.a.principal).get(reverse("student_detail", args=[student.pk]))
    assert response.status_code == 200
    assert response.context["guardians"][0].student_id == student.pk
    assert len(response.context["enrollments"]) == 1
    with tenant_context(world.a.district):
        entry = AccessLog.objects.get(action="view")
    assert entry.user == world.a.principal
    assert entry.student_ids == [student.pk]
    assert entry.path == f"/students/{student.pk}/"


def test_it_writes_one_access_log_row_per_list_request(world, login):
    login(world.a.district_admin).get(reverse("student_list"))
    with tenant_context(world.a.district):
        entries = list(AccessLog.objects.all())
    assert len(entries) == 1
    assert sorted(entries[0].student_ids) == sorted(s.pk for s in world.a.students)
    assert entries[0].student_count == 4


def _student_form(world, **overrides):
    data = {
        "school": world.a.school.pk,
        "local_id": "NEW-1",
        "first_name": "Ana",
        "last_name": "Nueva",
        "birth_date": "2018-02-03",
        "grade": 2,
        "gender": "F",
        "race_ethnicity": "hispanic",
        "home_language": "es",
        "entry_date": "2026-09-02",
        "english_learner": "on",
    }
    data.update(overrides)
    return data


def test_it_creates_a_student_and_audits_it(world, login):
    response = login(world.a.district_admin).post(reverse("student_create"), _student_form(world))
    assert response.status_code == 302
    with tenant_context(world.a.district):
        student = Student.objects.get(local_id="NEW-1")
        event = AuditEvent.objects.get(verb="student.create")
    assert student.english_learner and student.district == world.a.district
    assert event.object_id == student.pk and event.actor == world.a.district_admin


def test_it_refuses_a_duplicate_local_id_and_keeps_what_was_typed(world, login):
    taken = world.a.students[0].local_id
    response = login(world.a.district_admin).post(reverse("student_create"), _student_form(world, local_id=taken))
    assert response.status_code == 200
    assert "already has local id" in str(response.context["form"].errors["local_id"])
    assert 'value="Nueva"' in response.content.decode()  # nothing the user typed is lost


def test_it_allows_the_same_local_id_in_another_district(world, login):
    taken = world.b.students[0].local_id
    response = login(world.a.district_admin).post(reverse("student_create"), _student_form(world, local_id=taken))
    assert response.status_code == 302


def test_it_rejects_another_districts_school_as_an_invalid_choice(world, login):
    response = login(world.a.district_admin).post(
        reverse("student_create"), _student_form(world, school=world.b.school.pk)
    )
    assert response.status_code == 200
    assert "school" in response.context["form"].errors


def test_it_names_the_grade_outside_the_school_span(world, login):
    response = login(world.a.district_admin).post(reverse("student_create"), _student_form(world, grade=9))
    assert "grade span" in str(response.context["form"].errors["grade"])


def test_it_edits_a_student_and_audits_only_field_names(world, login):
    student = world.a.students[0]
    data = _student_form(world, local_id=student.local_id, last_name="Changed")
    response = login(world.a.district_admin).post(reverse("student_edit", args=[student.pk]), data)
    assert response.status_code == 302
    with tenant_context(world.a.district):
        event = AuditEvent.objects.get(verb="student.update")
    assert "last_name" in event.changes["fields"]
    assert "Changed" not in str(event.changes)  # no private values in the audit trail


def test_it_hides_editing_from_roles_that_cannot_edit(world, login):
    student = world.a.students[0]
    for role in ("principal", "teacher", "read_only"):
        response = login(world.a.users[role]).get(reverse("student_edit", args=[student.pk]))
        assert response.status_code == 404


def test_it_adds_a_guardian_with_field_errors_for_bad_input(world, login):
    student = world.a.students[0]
    client = login(world.a.principal)
    bad = {
        "first_name": "Rosa",
        "last_name": "P",
        "relationship": "aunt-ish",
        "preferred_language": "es",
        "email": "not-an-email",
        "receives_notices": "on",
    }
    response = client.post(reverse("guardian_create", args=[student.pk]), bad)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"relationship", "email"}
    good = dict(bad, relationship="relative", email="rosa@example.org")
    assert client.post(reverse("guardian_create", args=[student.pk]), good).status_code == 302
    with tenant_context(world.a.district):
        assert student.guardians.filter(first_name="Rosa").exists()

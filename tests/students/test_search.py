"""Finding a student: accents, case, name order, ids; served by the trigram and id indexes
(issue 14 item 7, issue 16 item 7; students/search.py, students/migrations/0007_search.py)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mtss.models import AccessLog
from mtss.tenancy import tenant_context
from students.models import Student
from students.search import CappedPaginator, query_terms, search_students
from students.selectors import StudentFilters, student_list, student_suggestions
from tests import factories as f


@pytest.fixture
def people(world):
    a = world.a
    return {
        "vasquez": f.make_student(a.district, a.school, first_name="Lucía", last_name="Vásquez", local_id="L-77"),
        "delgado": f.make_student(a.district, a.school, first_name="Emily", last_name="Delgado", state_id="TN9981"),
        "pref": f.make_student(a.district, a.school, first_name="Robert", preferred_name="Bobby", last_name="Øster"),
        # Another district's student with the same name: never found from district A.
        "other": f.make_student(world.b.district, world.b.school, first_name="Lucía", last_name="Vásquez"),
    }


def _found(world, q, member=None):
    member = member or f.membership_of(world.a.district_admin, world.a.district)
    with tenant_context(world.a.district):
        rows = student_list(district=world.a.district, membership=member, filters=StudentFilters(q=q))
        return [s.last_name for s in rows]


def test_query_terms_split_at_commas_and_spaces():
    assert query_terms("Delgado, Emily") == ["Delgado", "Emily"]
    assert query_terms("  a  b,c d e ") == ["a", "b", "c", "d"]  # at most four words
    assert query_terms("na\x00me") == ["name"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Vasquez", ["Vásquez"]),  # accent-free query, accented name
        ("VÁSQUEZ", ["Vásquez"]),
        ("vásq", ["Vásquez"]),
        ("lucia vasquez", ["Vásquez"]),
        ("Delgado, Emily", ["Delgado"]),  # the app's own "Last, First"
        ("Emily Delgado", ["Delgado"]),  # "First Last"
        ("emily, delgado", ["Delgado"]),
        ("Delgado, Lucía", []),  # every word must match
        ("tn9981", ["Delgado"]),  # state id, any case
        ("l-77", ["Vásquez"]),  # local id, any case
        ("bobby", ["Øster"]),  # preferred name
        ("oster", ["Øster"]),  # unaccent folds Ø too
        ("100%", []),  # LIKE wildcards are literal
        ("_", []),
    ],
)
def test_it_finds_students_regardless_of_accents_case_and_order(world, people, q, expected):
    assert _found(world, q) == expected


def test_it_finds_only_students_the_member_may_see(world, people):
    teacher = f.membership_of(world.a.teacher, world.a.district)
    assert _found(world, "Vasquez", member=teacher) == []  # not on the teacher's roster
    with tenant_context(world.b.district):
        member_b = f.membership_of(world.b.district_admin, world.b.district)
        rows = student_list(district=world.b.district, membership=member_b, filters=StudentFilters(q="vasquez"))
        assert [s.pk for s in rows] == [people["other"].pk]


def test_the_search_uses_the_trigram_and_id_indexes(world, people):
    """The ORM's SQL matches the index expressions of 0007_search: EXPLAIN it (as the owner, so
    row-level security adds no district condition the planner could prefer) with sequential
    scans priced out, and each arm of the match must be an index scan."""
    sql, params = search_students(Student.objects.only("id").order_by(), "Vasquez").query.sql_with_params()
    db = connection.settings_dict
    owner = db.get("OWNER") or {}
    with psycopg.connect(
        host=owner.get("HOST") or db["HOST"],
        port=owner.get("PORT") or db["PORT"],
        user=owner.get("USER") or db["USER"],
        password=owner.get("PASSWORD") or db["PASSWORD"] or None,
        dbname=db["NAME"],
    ) as owner_connection:
        owner_connection.execute("SET enable_seqscan = off")
        plan = "\n".join(row[0] for row in owner_connection.execute(f"EXPLAIN {sql}", params))
    assert "student_name_trgm_idx" in plan, plan
    assert "student_local_id_upper_idx" in plan, plan
    assert "student_state_id_upper_idx" in plan, plan


def test_the_count_stops_at_the_cap(world):
    with tenant_context(world.a.district):
        everyone = Student.objects.filter(district=world.a.district).order_by("id")
        paginator = CappedPaginator(everyone, 2)
        paginator.cap = 3
        assert everyone.count() == 4
        assert paginator.count == 3 and paginator.capped
        with CaptureQueriesContext(connection) as queries:
            CappedPaginator(everyone, 2).count  # noqa: B018 - the property runs the query
        assert "LIMIT 1001" in queries.captured_queries[0]["sql"]
        small = CappedPaginator(everyone, 2)
        assert small.count == 4 and not small.capped


def test_the_list_page_says_more_than_the_cap(world, login, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 2)
    response = login(world.a.district_admin).get(reverse("student_list"))
    assert "More than 2 students" in response.content.decode()


def test_suggestions_need_two_characters_and_are_limited(world, people):
    member = f.membership_of(world.a.district_admin, world.a.district)
    with tenant_context(world.a.district):
        assert student_suggestions(district=world.a.district, membership=member, q="v") == []
        assert [s.pk for s in student_suggestions(district=world.a.district, membership=member, q="vas")] == [
            people["vasquez"].pk
        ]
        for i in range(10):
            f.make_student(world.a.district, world.a.school, last_name=f"Zed{i}")
        assert len(student_suggestions(district=world.a.district, membership=member, q="zed")) == 8


def test_the_header_search_posts_and_logs_the_students_shown(world, people, login):
    client = login(world.a.principal)
    url = reverse("student_search")
    assert client.get(url + "?q=vasquez").status_code == 405  # names never in a URL
    response = client.post(url, {"q": "Vasquez"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Vásquez, Lucía" in body
    assert reverse("student_detail", kwargs={"student_id": people["vasquez"].pk}) in body
    assert people["other"].local_id not in body
    with tenant_context(world.a.district):
        entry = AccessLog.objects.filter(district=world.a.district, what="student search").get()
    assert entry.student_ids == [people["vasquez"].pk]
    assert "No student matches." in client.post(url, {"q": "nobody-here"}).content.decode()
    # A NUL byte is no 500: the request guard refuses it with a 400 naming the field (issue 16).
    refused = client.post(url, {"q": "a\x00b"})
    assert refused.status_code == 400 and "q" in refused.content.decode()


def test_every_page_has_the_header_search(world, login):
    body = login(world.a.teacher).get(reverse("home")).content.decode()
    assert 'id="header-search-q"' in body
    assert f'hx-post="{reverse("student_search")}"' in body

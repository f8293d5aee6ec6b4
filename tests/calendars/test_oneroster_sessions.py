"""OneRoster academicSessions -> school years and terms (the roster import calls this)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from mtss.calendars.models import Term
from mtss.calendars.services import academic_sessions_upsert
from mtss.models import SchoolYear
from mtss.tenancy import tenant_context
from tests.calendars.helpers import D

pytestmark = pytest.mark.django_db


def _session(sid, title, kind, start, end, parent="", year="2027", **extra):
    return {
        "sourcedId": sid,
        "title": title,
        "type": kind,
        "startDate": start,
        "endDate": end,
        "parentSourcedId": parent,
        "schoolYear": year,
        **extra,
    }


SESSIONS = [
    _session("gp-q1", "Quarter 1", "gradingPeriod", "2026-08-03", "2026-10-09", parent="sem-fall"),
    _session("sem-fall", "Fall Semester", "semester", "2026-08-03", "2027-01-15", parent="sy-2027"),
    _session("sy-2027", "2026-2027", "schoolYear", "2026-08-03", "2027-06-25", year="2027"),
    _session("sy-2028", "2027-2028", "schoolYear", "2027-08-16", "2028-06-23", year="2028"),
    _session("term-spring-28", "Spring 2028", "term", "2028-01-10", "2028-06-23", year="2028"),
]


def _upsert(side, sessions):
    with tenant_context(side.district):
        return academic_sessions_upsert(district=side.district, actor=None, sessions=sessions)


def test_it_creates_and_adopts_school_years_and_links_terms_to_parents(world):
    side = world.a
    result = _upsert(side, SESSIONS)
    # The factory's hand-entered 2026-2027 is adopted (sourcedId and dates set), 2027-2028 created.
    assert (result.school_years_created, result.school_years_updated, result.terms_created) == (1, 1, 3)
    with tenant_context(side.district):
        years = {
            y.name: (y.sourced_id, y.start_date, y.end_date) for y in SchoolYear.objects.filter(district=side.district)
        }
        assert years == {
            "2026-2027": ("sy-2027", D(2026, 8, 3), D(2027, 6, 25)),
            "2027-2028": ("sy-2028", D(2027, 8, 16), D(2028, 6, 23)),
        }
        q1 = Term.objects.select_related("parent", "school_year").get(district=side.district, sourced_id="gp-q1")
        assert (q1.kind, q1.parent.sourced_id, q1.school_year.name) == ("gradingPeriod", "sem-fall", "2026-2027")
        spring = Term.objects.get(district=side.district, sourced_id="term-spring-28")
        assert spring.school_year.name == "2027-2028" and spring.parent is None  # found by schoolYear "2028"


def test_a_second_sync_changes_nothing_and_tobedeleted_removes_a_term(world):
    side = world.a
    _upsert(side, SESSIONS)
    again = _upsert(side, SESSIONS)
    assert (
        again.school_years_created,
        again.school_years_updated,
        again.terms_created,
        again.terms_updated,
        again.unchanged,
    ) == (0, 0, 0, 0, 5)
    gone = _upsert(
        side,
        [
            _session(
                "gp-q1",
                "Quarter 1",
                "gradingPeriod",
                "2026-08-03",
                "2026-10-09",
                parent="sem-fall",
                status="tobedeleted",
            )
        ],
    )
    assert gone.terms_deleted == 1
    with tenant_context(side.district):
        assert not Term.objects.filter(district=side.district, sourced_id="gp-q1").exists()


def test_bad_records_are_refused_by_number_and_field_and_nothing_is_written(world):
    side = world.a
    bad = [
        SESSIONS[2],
        _session("sem-x", "Semester X", "semester", "2026-13-01", "2027-01-15"),
        _session("", "No id", "quarter", "2026-08-03", "2026-10-09"),
    ]
    with pytest.raises(ValidationError) as info:
        _upsert(side, bad)
    assert info.value.messages == [
        "academicSessions record 2 (sourcedId sem-x): startDate '2026-13-01' is not a date (YYYY-MM-DD).",
        "academicSessions record 3: sourcedId is missing.",
        "academicSessions record 3: type 'quarter' is not schoolYear, term, semester or gradingPeriod.",
    ]
    with tenant_context(side.district):
        assert SchoolYear.objects.get(district=side.district).sourced_id == ""


def test_a_term_with_no_school_year_is_refused(world):
    with pytest.raises(ValidationError, match="record 1 \\(sourcedId t-1\\): no school year found"):
        _upsert(world.a, [_session("t-1", "Term 1", "term", "2030-08-03", "2030-10-09", year="2031")])

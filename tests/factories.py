"""Test data builders. Each writes inside its district's context, as the app does."""

from __future__ import annotations

import datetime as dt
import itertools

from mtss.models import District, Membership, Role, School, SchoolYear, User
from mtss.services import membership_create
from mtss.tenancy import tenant_context
from students.models import Enrollment, Guardian, Student

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-9"


def make_district(slug: str, name: str | None = None, state: str = "TN") -> District:
    return District.objects.create(slug=slug, name=name or slug.replace("-", " ").title(), state=state)


def make_school(district: District, *, name: str | None = None, grade_low: int = 0, grade_high: int = 5) -> School:
    n = next(_seq)
    with tenant_context(district):
        return School.objects.create(
            district=district, name=name or f"School {n}", code=f"S{n}", grade_low=grade_low, grade_high=grade_high
        )


def make_school_year(district: District, name: str = "2026-2027") -> SchoolYear:
    start = int(name[:4])
    with tenant_context(district):
        return SchoolYear.objects.create(
            district=district, name=name, start_date=dt.date(start, 8, 1), end_date=dt.date(start + 1, 6, 30)
        )


def make_user(username: str | None = None, **fields) -> User:
    username = username or f"user{next(_seq)}"
    user = User(
        username=username,
        email=f"{username}@example.org",
        first_name=fields.pop("first_name", "Pat"),
        last_name=fields.pop("last_name", username.title()),
        **fields,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def make_member(district: District, role: str, *, schools=(), username: str | None = None) -> User:
    user = make_user(username)
    membership_create(district=district, user=user, role=role, schools=list(schools))
    return user


def membership_of(user: User, district: District) -> Membership:
    with tenant_context(district, user_id=user.pk):
        return Membership.objects.select_related("district").get(user=user, district=district)


def make_student(district: District, school: School, **fields) -> Student:
    n = next(_seq)
    values = dict(
        local_id=f"L{n:06d}",
        first_name=f"Kid{n}",
        last_name=fields.pop("last_name", f"Lastname{n}"),
        birth_date=dt.date(2017, 5, 1),
        grade=min(max(school.grade_low, 2), school.grade_high),
        entry_date=dt.date(2026, 8, 15),
    )
    values.update(fields)
    with tenant_context(district):
        return Student.objects.create(district=district, school=school, **values)


def make_guardian(student: Student, **fields) -> Guardian:
    values = dict(
        first_name="Alex",
        last_name=student.last_name,
        relationship="mother",
        preferred_language="es",
        email="parent@example.org",
        address_line1="1 Main St",
        city="Town",
        state="TN",
        postal_code="37774",
    )
    values.update(fields)
    with tenant_context(student.district_id):
        return Guardian.objects.create(district_id=student.district_id, student=student, **values)


def make_enrollment(student: Student, school_year: SchoolYear) -> Enrollment:
    with tenant_context(student.district_id):
        return Enrollment.objects.create(
            district_id=student.district_id,
            student=student,
            school=student.school,
            school_year=school_year,
            grade=student.grade,
            start_date=school_year.start_date,
        )


ALL_ROLES = list(Role.values)

"""Applies a roster plan, set-based, in the caller's transaction and tenant context."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mtss.models import Membership, MembershipSchool, School, SchoolYear, User
from students.models import Enrollment, Guardian, Student

if TYPE_CHECKING:  # plan.py imports this module
    from students.importers.oneroster.plan import RosterPlan


def write_plan(roster: RosterPlan) -> None:
    """Apply the plan, set-based. The caller holds a transaction and the district's tenant context."""
    if roster.refused_whole:
        raise RuntimeError("a roster with unreadable files cannot be written")
    # students.services imports this package (roster_import), so its grant services are imported here.
    from students.services import student_grants_bulk, student_revoke_access

    district = roster.district
    plans = roster.plans

    # Schools and school years first: everything else points at them.
    schools = plans["schools"]
    School.objects.bulk_create([School(district=district, **v) for v in schools.create], batch_size=BATCH)
    _bulk_update(School, schools.update, schools.update_fields)
    _refresh(roster, School, "sourced_id", [v["sourced_id"] for v in schools.create], roster.school_ids)
    years = plans["school_years"]
    SchoolYear.objects.bulk_create([SchoolYear(district=district, **v) for v in years.create], batch_size=BATCH)
    _bulk_update(SchoolYear, years.update, years.update_fields)
    _refresh(roster, SchoolYear, "name", [v["name"] for v in years.create], roster.year_ids)

    # Staff: accounts (shared by all districts), memberships, their schools.
    User.objects.bulk_create(
        [User(**{k: v for k, v in u.items() if k != "sid"}) for u in roster.new_users], batch_size=BATCH
    )
    by_username = dict(
        User.objects.filter(username__in=[u["username"] for u in roster.new_users]).values_list("username", "id")
    )
    for account in roster.new_users:
        roster.user_ids[account["sid"]] = by_username[account["username"]]
    staff = plans["staff"]
    Membership.objects.bulk_create(
        [Membership(district=district, user_id=roster.user_ids[v["sourced_id"]], **v) for v in staff.create],
        batch_size=BATCH,
    )
    _bulk_update(Membership, staff.update, staff.update_fields)
    _bulk_update(Membership, staff.deactivate, staff.deactivate_fields)
    if roster.membership_schools_add:
        user_ids = {roster.user_ids[sid] for sid, _ in roster.membership_schools_add}
        membership_of = dict(
            Membership.objects.filter(district=district, user_id__in=user_ids).values_list("user_id", "id")
        )
        MembershipSchool.objects.bulk_create(
            [
                MembershipSchool(
                    district=district,
                    membership_id=membership_of[roster.user_ids[sid]],
                    school_id=roster.school_ids[key],
                )
                for sid, key in roster.membership_schools_add
            ],
            batch_size=BATCH,
        )
    if roster.membership_schools_remove:
        MembershipSchool.objects.filter(district=district, pk__in=roster.membership_schools_remove).delete()

    # Students, then what hangs off them.
    students = plans["students"]
    Student.objects.bulk_create(
        [Student(district=district, **_resolve(roster, v)) for v in students.create], batch_size=BATCH
    )
    _bulk_update(Student, [(pk, _resolve(roster, v)) for pk, v in students.update], students.update_fields)
    _bulk_update(Student, students.deactivate, students.deactivate_fields)
    _refresh(roster, Student, "sourced_id", [v["sourced_id"] for v in students.create], roster.student_ids)
    for entity, model in (("guardians", Guardian), ("enrollments", Enrollment)):
        plan = plans[entity]
        model.objects.bulk_create(
            [model(district=district, **_resolve(roster, v)) for v in plan.create], batch_size=BATCH
        )
        _bulk_update(model, plan.update, plan.update_fields)
        _bulk_update(model, plan.deactivate, plan.deactivate_fields)

    # Teachers see the students of their classes (README, permission matrix).
    student_grants_bulk(
        district=district,
        grants={
            roster.user_ids[teacher]: [roster.student_ids[s] for s in student_sids]
            for teacher, student_sids in roster.grants_add.items()
        },
    )
    for user_id, student_ids in sorted(roster.grants_remove.items()):
        student_revoke_access(district=district, user=User(pk=user_id), student_ids=sorted(student_ids))
    roster.written = True


def _refresh(roster: RosterPlan, model, key_field: str, keys: list[str], into: dict[str, int]) -> None:
    if keys:
        into.update(
            model.objects.filter(district=roster.district, **{f"{key_field}__in": keys}).values_list(key_field, "id")
        )


def _resolve(roster: RosterPlan, values: dict) -> dict:
    """Replace key references (school=sourcedId, ...) with ids."""
    out = dict(values)
    if "school" in out:
        out["school_id"] = roster.school_ids[out.pop("school")]
    if "school_year" in out:
        out["school_year_id"] = roster.year_ids[out.pop("school_year")]
    if "student" in out:
        out["student_id"] = roster.student_ids[out.pop("student")]
    return out


BATCH = 500


def _bulk_update(model, items: list[tuple[int, dict]], fields: set[str]) -> None:
    if not items or not fields:
        return
    objects = []
    for pk, values in items:
        missing = {f for f in fields if f not in values and f"{f}_id" not in values}
        if missing:  # bulk_update would write blanks over them
            raise ValueError(f"{model.__name__} {pk}: no value for {sorted(missing)}")
        objects.append(model(pk=pk, **values))
    model.objects.bulk_update(objects, sorted(fields), batch_size=BATCH)

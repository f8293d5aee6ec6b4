"""Joins between district tables carry the district too (README, Design, "Past one database").

On Citus every district table is distributed on `district_id`, co-located with the others; a
join between two of them runs on one shard only if it equates their distribution columns as well
as the key (Citus docs, "Co-located joins"). The ORM joins on the foreign key alone
(`plan.student_id = student.id`). `tie_district_joins` gives every foreign key from one district
table to another an extra join condition, `plan.district_id = student.district_id`, through
Django's own hook for it (`ForeignObject.get_extra_restriction`, which GenericRelation uses for its
content type): every join through that key, forward or reverse (`select_related`, `student__grade`,
`plans__tier`), says it. On one PostgreSQL it changes no result, since a row and what it points
to are always in one district (RLS and the services make sure). It patches the field instances,
not their class, so the migrations see the same ForeignKey. tests/test_district_scoped_sql.py
checks what the main pages send.
"""

from __future__ import annotations

from types import MethodType

from django.db.models import Exists, ForeignKey, OuterRef, QuerySet
from django.db.models.lookups import Exact


def _same_district(field, alias, related_alias):
    """The join's extra condition: the referring row's district is the referenced row's.

    `alias` is the referenced table's alias and `related_alias` the referring one's (Django's
    order; a reverse join calls through the relation with the same meaning; `None` when Django
    trims a join, as for GenericRelation)."""
    mine = field.model._meta.get_field("district")
    theirs = field.related_model._meta.get_field("district")
    return Exact(mine.get_col(related_alias), theirs.get_col(alias))


def tie_district_joins(models) -> int:
    """Install `_same_district` on every foreign key between two of `models` (the district tables); how many."""
    tables = set(models)
    tied = 0
    for model in tables:
        for field in model._meta.concrete_fields:
            if isinstance(field, ForeignKey) and field.related_model in tables and field.name != "district":
                field.get_extra_restriction = MethodType(_same_district, field)
                tied += 1
    return tied


def among(rows: QuerySet, field: str) -> Exists:
    """The outer row's `field` names one of `rows`: a correlated EXISTS, tied to the outer row's
    district so that on Citus it stays on that row's shard.

    For a visibility filter under an OR, where `field IN (subquery)` cannot become a join: a whole
    district's ids do not fit a hashed subplan in work_mem, and PostgreSQL then scans the list again
    for every outer row (the administrator's caseload count at 400,000 students ran for over 13
    minutes)."""
    return Exists(rows.filter(pk=OuterRef(field), district_id=OuterRef("district_id")))

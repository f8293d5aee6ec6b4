"""Every query of the main pages stays inside the request's district (README, Design, "Past one database").

Row-level security already hides other districts' rows, so a query that forgot its district
still returns the right rows on one PostgreSQL; on Citus, sharded by `district_id`, it would
fan out to every shard, and a join between two district tables that is not tied to one
district crosses shards. So this walks the main request paths with the test client, captures
the SQL they run (parameters inlined), and for every SELECT/UPDATE/DELETE that reads a
district-owned table (mtss.rls.district_models) checks that it filters on the request's district
(`"district_id" = <id>` or `IN (... <id> ...)`) and names no other district. A page that
joined in another district, or read a district table unscoped, fails. `_unscoped` is the
stricter rule a co-located Citus join needs (each district table filtered on the district or
tied to one that is by `district_id` equality); the ORM's foreign-key joins do not meet it
yet, so it is tested on its own and listed in the README as the work before Citus.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mtss.rls import district_models

pytestmark = [pytest.mark.postgres]

NOT_ALIASES = {"ON", "WHERE", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "JOIN", "GROUP", "ORDER", "LIMIT", "AS"}
TABLE_REF = re.compile(r'(?:FROM|JOIN)\s+"(\w+)"(?:\s+(?:AS\s+)?"?(\w+)"?)?')
OTHER_DISTRICT = re.compile(r'"district_id" = (\d+)')

# Reads that are cross-district by design, each with its reason. The membership lookup runs
# before a district is chosen: a user's memberships in every district (the district picker).
# A membership's schools are keyed by the membership, which belongs to one district.
BY_DESIGN = [
    re.compile(r'FROM "mtss_membership" .*"mtss_membership"\."user_id" = \d+', re.S),
    re.compile(r'WHERE "mtss_membershipschool"\."membership_id" = \d+'),
]


def _unscoped(sql: str, district_id: int, tables: set[str]) -> list[str]:
    """The district tables of one statement that are neither filtered on the district nor tied to one that is."""
    refs = []
    for table, alias in TABLE_REF.findall(sql):
        if table in tables:
            name = alias if alias and alias.upper() not in NOT_ALIASES else table
            refs.append((table, f'"{name}"."district_id"'))
    scoped = set()
    for _table, column in refs:
        if re.search(re.escape(column) + rf" (= {district_id}\b|IN \([^)]*\b{district_id}\b)", sql):
            scoped.add(column)
    changed = True
    while changed:  # tied by district_id equality to a scoped table
        changed = False
        for _table, column in refs:
            if column in scoped:
                continue
            for other in list(scoped):
                if f"{column} = {other}" in sql or f"{other} = {column}" in sql:
                    scoped.add(column)
                    changed = True
                    break
    return [table for table, column in refs if column not in scoped]


def _check(queries, district_id: int) -> list[str]:
    """Statements that read a district table without filtering on the request's district, or
    that name another district. (The stricter per-table rule of `_unscoped`, which Citus's
    co-located joins need, is not met yet: the ORM joins on a foreign key alone; README.)"""
    tables = {model._meta.db_table for model in district_models()}
    problems = []
    for query in queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
            continue
        if "set_config(" in sql or any(rule.search(sql) for rule in BY_DESIGN):
            continue
        others = {int(n) for n in OTHER_DISTRICT.findall(sql)} - {district_id}
        if others:
            problems.append(f"names district {sorted(others)}: {sql[:300]}")
        if {t for t, _a in TABLE_REF.findall(sql)} & tables and not re.search(
            rf'"district_id" (= {district_id}\b|IN \([^)]*\b{district_id}\b)', sql
        ):
            problems.append(f"reads a district table without the district: {sql[:400]}")
    return problems


def _walk(client, pages) -> list:
    with CaptureQueriesContext(connection) as captured:
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
    return captured.captured_queries


@pytest.mark.django_db
def test_the_main_pages_query_inside_their_district(world, login):
    a = world.a
    walks = [
        (a.intervention_specialist, ["/interventions/caseload/"]),
        (
            a.principal,
            [
                "/interventions/caseload/",
                reverse("student_detail", args=[a.students[0].pk]),
                reverse("reports_fidelity", args=[a.school.pk]),
            ],
        ),
        (a.district_admin, [reverse("reports_district"), reverse("reports_early_warning")]),
    ]
    problems = []
    for user, pages in walks:
        problems += _check(_walk(login(user), pages), a.district.pk)
    assert problems == [], "\n".join(problems)


def test_the_check_catches_a_join_across_districts():
    """The rule itself: a join not tied to the district, or another district's id, is reported."""
    tables = {"students_student", "interventions_plan"}
    cross = (
        'SELECT * FROM "interventions_plan" INNER JOIN "students_student" ON '
        '("interventions_plan"."student_id" = "students_student"."id") WHERE "interventions_plan"."district_id" = 7'
    )
    tied = cross.replace(
        '"students_student"."id")',
        '"students_student"."id" AND "interventions_plan"."district_id" = "students_student"."district_id")',
    )
    assert _unscoped(cross, 7, tables) == ["students_student"]
    assert _unscoped(tied, 7, tables) == []
    assert _unscoped(cross.replace("= 7", "= 8"), 7, tables) == ["interventions_plan", "students_student"]

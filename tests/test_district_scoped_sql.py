"""Every query of the main pages stays on the request's district's shard (README, Design, "Past one database").

Row-level security already hides other districts' rows, so a query that forgot its district
still returns the right rows on one PostgreSQL; on Citus, sharded by `district_id`, it would
fan out to every shard, and a join between two distributed tables that does not equate their
distribution columns is not co-located (Citus refuses it or repartitions). So this walks the
main request paths with the test client, captures the SQL they run (parameters inlined), parses
each statement (sqlglot, PostgreSQL dialect) and checks, scope by scope (each SELECT, subquery,
UPDATE, DELETE), that every district table in a FROM or JOIN, and `mtss_district` itself, is
*tied* to the request's district: its distribution column (`district_id`; `id` for
`mtss_district`) is AND-ed equal to the district's id (`= <id>` or `IN (<id>)`), or AND-ed equal
to the distribution column of another table that is tied (a join `ON a.district_id =
b.district_id`, or a correlated subquery's `U0.district_id = outer.district_id`). A condition
under an OR or NOT does not count. A statement that names another district's id fails too.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from sqlglot import exp, parse_one

from mtss.models import District
from mtss.rls import district_models

pytestmark = [pytest.mark.postgres]

SCOPES = (exp.Select, exp.Update, exp.Delete)
CLAUSES = (exp.Where, exp.Join, exp.Having)

# Reads that are cross-district by design, each with its reason. The membership lookup runs
# before a district is chosen: a user's memberships in every district (the district picker).
# (On Citus it is a query on every shard, or the memberships' user index becomes a reference table.)
BY_DESIGN = [re.compile(r'FROM "mtss_membership" .*"mtss_membership"\."user_id" = \d+', re.S)]


def distribution_columns() -> dict[str, str]:
    """Each distributed table and its distribution column (README: `mtss_district` on `id`, others `district_id`)."""
    columns = {model._meta.db_table: "district_id" for model in district_models()}
    columns[District._meta.db_table] = "id"
    return columns


def _scope(node):
    return node if isinstance(node, SCOPES) else node.find_ancestor(*SCOPES)


def _conjunct(node) -> bool:
    """Whether `node` is one of the AND-ed terms of its WHERE/ON/HAVING (under an OR or a NOT it proves nothing)."""
    parent = node.parent
    while not isinstance(parent, CLAUSES):
        if not isinstance(parent, (exp.And, exp.Paren)):
            return False
        parent = parent.parent
    return True


def _integers(nodes) -> set[int]:
    return {int(node.this) for node in nodes if isinstance(node, exp.Literal) and node.is_int}


def analyse(sql: str, district_id: int, columns: dict[str, str]) -> tuple[list[str], set[int]]:
    """(the distributed tables of one statement not tied to the district, the other district ids it names)."""
    tree = parse_one(sql, read="postgres")
    refs: dict[tuple[int, str], str] = {}  # (scope, alias) -> table
    for table in tree.find_all(exp.Table):
        if table.name in columns and isinstance(table.parent, (exp.From, exp.Join, *SCOPES)):
            refs[(id(_scope(table.parent)), table.alias_or_name)] = table.name

    def resolve(column) -> tuple[int, str] | None:
        """The table reference whose distribution column this is, looking out through the enclosing scopes."""
        column = column.unnest()  # Django writes a column on the right of `=` as `("t"."district_id")`
        if not isinstance(column, exp.Column) or not column.table:
            return None
        scope = _scope(column)
        while scope is not None:
            key = (id(scope), column.table)
            if key in refs:
                return key if column.name == columns[refs[key]] else None
            scope = _scope(scope.parent) if scope.parent else None
        return None

    tied, edges, others = set(), [], set()
    for node in tree.find_all(exp.EQ, exp.In):
        left = resolve(node.this)
        if isinstance(node, exp.In):
            values = _integers(node.expressions)
            if left:
                others |= values - {district_id}
                if values == {district_id} and _conjunct(node):
                    tied.add(left)
            continue
        right = resolve(node.expression)
        for side, value in ((left, node.expression), (right, node.this)):
            if side and _integers([value]):
                if _integers([value]) == {district_id}:
                    if _conjunct(node):
                        tied.add(side)
                else:
                    others |= _integers([value])
        if left and right and _conjunct(node):
            edges.append((left, right))
    changed = True
    while changed:  # tied by distribution-column equality to a tied table
        changed = False
        for a, b in edges:
            if (a in tied) != (b in tied):
                tied |= {a, b}
                changed = True
    return sorted(table for key, table in refs.items() if key not in tied), others


def _check(queries, district_id: int) -> list[str]:
    """Statements with a distributed table not tied to the request's district, or naming another district."""
    columns = distribution_columns()
    problems = []
    for query in queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
            continue
        if "set_config(" in sql or any(rule.search(sql) for rule in BY_DESIGN):
            continue
        untied, others = analyse(sql, district_id, columns)
        if others:
            problems.append(f"names district {sorted(others)}: {sql[:300]}")
        if untied:
            problems.append(f"{', '.join(untied)} not tied to the district: {sql}")
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


COLUMNS = {"students_student": "district_id", "interventions_plan": "district_id", "mtss_district": "id"}
CROSS = (
    'SELECT * FROM "interventions_plan" INNER JOIN "students_student" ON '
    '("interventions_plan"."student_id" = "students_student"."id") WHERE "interventions_plan"."district_id" = 7'
)


def test_a_join_on_the_foreign_key_alone_is_reported():
    tied = CROSS.replace(
        '"students_student"."id")',
        '"students_student"."id" AND "interventions_plan"."district_id" = "students_student"."district_id")',
    )
    assert analyse(CROSS, 7, COLUMNS) == (["students_student"], set())
    assert analyse(tied, 7, COLUMNS) == ([], set())
    assert analyse(tied.replace("= 7", "IN (7)"), 7, COLUMNS) == ([], set())


def test_another_district_or_a_weak_condition_is_reported():
    assert analyse(CROSS.replace("= 7", "= 8"), 7, COLUMNS) == (["interventions_plan", "students_student"], {8})
    assert analyse(CROSS.replace("= 7", "IN (7, 8)"), 7, COLUMNS)[1] == {8}
    either = CROSS.replace('"district_id" = 7', '"district_id" = 7 OR "interventions_plan"."id" = 1')
    assert analyse(either, 7, COLUMNS)[0] == ["interventions_plan", "students_student"]
    # The district row itself is keyed by `id`, a join to it by the other table's district_id.
    district = (
        'SELECT * FROM "students_student" INNER JOIN "mtss_district" ON '
        '("students_student"."district_id" = "mtss_district"."id") WHERE "students_student"."district_id" = 7'
    )
    assert analyse(district, 7, COLUMNS) == ([], set())


def test_a_correlated_subquery_is_tied_through_its_outer_table():
    sql = (
        'SELECT * FROM "students_student" WHERE "students_student"."district_id" = 7 AND EXISTS('
        'SELECT 1 FROM "interventions_plan" U0 WHERE U0."student_id" = "students_student"."id"{tie})'
    )
    assert analyse(sql.format(tie=""), 7, COLUMNS) == (["interventions_plan"], set())
    tie = ' AND U0."district_id" = "students_student"."district_id"'
    assert analyse(sql.format(tie=tie), 7, COLUMNS) == ([], set())


def test_joins_between_district_tables_equate_their_districts():
    """mtss/db/colocation.py: forward (`student__grade`) and reverse (`plans__tier`) joins both carry it."""
    from interventions.models import Plan
    from students.models import Student

    forward = str(Plan.objects.filter(student__grade=3).query)
    assert '"interventions_plan"."district_id" = ("students_student"."district_id")' in forward
    reverse = str(Student.objects.filter(plans__tier=2).query)
    assert '"interventions_plan"."district_id" = ("students_student"."district_id")' in reverse
    # The key to the district itself is the distribution column: nothing to add.
    district = str(Student.objects.filter(district__slug="a").query)
    assert 'ON ("students_student"."district_id" = "mtss_district"."id") WHERE' in district

"""The caseload a page at a time (issue 16, item 7): pages, sorts and filters across pages, the
principal's school only, the access log of exactly the rows shown, constant queries as plans grow."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from interventions import selectors
from interventions.models import Plan, TierPlacement
from interventions.services import plan_create, probes_add
from mtss.models import AccessLog, Membership, Role
from mtss.tenancy import tenant_context
from tests import factories as f
from tests.program import START

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_a_page(monkeypatch):
    monkeypatch.setattr(selectors, "CASELOAD_PAGE_SIZE", 2)


def _plan(program, student, *, tier=2, provider=None):
    side = program["side"]
    with tenant_context(side.district):
        plan, _ = plan_create(
            district=side.district,
            actor=None,
            student=student,
            area="reading",
            tier=tier,
            intervention=program["intervention"],
            provider=provider or side.intervention_specialist,
            start_date=START,
            expected_end_date=START + dt.timedelta(weeks=12),
            goal_measure="R-CBM WRC",
            goal_target=90,
            goal_target_date=START + dt.timedelta(weeks=12),
            sessions_per_week=4,
            minutes_per_session=30,
            baseline_probes=[(START - dt.timedelta(days=d), 40 + d) for d in (3, 2, 1)],
        )
    return plan


def _names(response) -> list[str]:
    return [row.plan.student.last_name for row in response.context["rows"]]


def _every_page(client, url, params) -> list:
    rows, number = [], 1
    while True:
        response = client.get(url, {**params, "page": number})
        assert response.status_code == 200
        rows += response.context["rows"]
        if not response.context["page"].has_next():
            return rows
        number += 1


def test_page_two_shows_the_next_plans_and_a_page_past_the_end_is_a_404(program, login, two_a_page):
    client = login(program["side"].intervention_specialist)
    first = client.get(reverse("caseload"), {"flag": "", "tier": 2})
    assert _names(first) == ["Alphad0", "Alphad1"]
    body = first.content.decode()
    # The link to the next page keeps the sort and the tier filter.
    assert 'href="?sort=student&amp;tier=2&amp;page=2" rel="next"' in body
    assert "Page 1 of 2" in body and "3 active plans" in body
    second = client.get(reverse("caseload"), {"tier": 2, "page": 2})
    assert _names(second) == ["Alphad2"]
    assert 'rel="prev"' in second.content.decode() and 'rel="next"' not in second.content.decode()
    past = client.get(reverse("caseload"), {"tier": 2, "page": 3})
    assert past.status_code == 404
    assert client.get(reverse("caseload"), {"page": "two"}).status_code == 404
    assert client.get(reverse("caseload"), {"page": 0}).status_code == 404


def test_a_verdict_sort_and_filter_order_the_whole_caseload_not_each_page(program, login, two_a_page):
    """The next probe due orders all plans (the batch engine), and each page's rows, evaluated
    live, say the same: a recent probe moves a plan to the end and out of "overdue"."""
    side, plans = program["side"], program["plans"]
    today = timezone.localdate()
    with tenant_context(side.district):
        probes_add(district=side.district, actor=None, plan=plans[0], probes=[(today - dt.timedelta(days=1), 50)])
    extra = _plan(program, f.make_student(side.district, side.school, last_name="Zulu"))
    client = login(side.intervention_specialist)
    rows = _every_page(client, reverse("caseload"), {"sort": "next_probe"})
    assert [r.plan.pk for r in rows][-1] == plans[0].pk
    assert {r.plan.pk for r in rows} == {p.pk for p in plans} | {extra.pk}
    dues = [r.next_probe for r in rows]
    assert dues == sorted(dues)
    overdue = _every_page(client, reverse("caseload"), {"flag": "overdue", "sort": "student"})
    assert [r.plan.student.last_name for r in overdue] == ["Alphad1", "Alphad2", "Zulu"]
    assert all(r.probe_overdue for r in overdue)


def test_a_principal_sees_their_schools_plans_only_and_the_admin_every_school(program, login):
    side = program["side"]
    specialist = f.make_member(side.district, Role.INTERVENTION_SPECIALIST, schools=[side.other_school])
    elsewhere = _plan(program, side.students[3], tier=3, provider=specialist)  # the other school's student
    principal = login(side.principal)
    shown = {row.plan.pk for row in principal.get(reverse("caseload")).context["rows"]}
    assert shown == {p.pk for p in program["plans"]}
    by_tier = principal.get(reverse("caseload"), {"sort": "recommendation", "tier": 3})
    assert by_tier.context["rows"] == []
    admin = login(side.district_admin)
    everything = admin.get(reverse("caseload"), {"sort": "tier"}).context["rows"]
    assert [row.plan.pk for row in everything][0] == elsewhere.pk  # Tier 3 first
    assert {row.plan.pk for row in everything} == {p.pk for p in program["plans"]} | {elsewhere.pk}


def test_the_access_log_names_exactly_the_students_on_the_page(program, login, two_a_page):
    side = program["side"]
    client = login(side.principal)
    with tenant_context(side.district):
        before = AccessLog.objects.filter(district=side.district).order_by("-pk").values_list("pk", flat=True).first()
    client.get(reverse("caseload"), {"page": 2})
    with tenant_context(side.district):
        [row] = AccessLog.objects.filter(district=side.district, pk__gt=before or 0)  # the log is append-only
    assert sorted(row.student_ids) == [program["plans"][2].student_id]


def test_needs_a_plan_lists_the_oldest_placements_and_counts_them_all(program, login, monkeypatch):
    monkeypatch.setattr(selectors, "NEEDS_PLAN_LIMIT", 1)
    side = program["side"]
    with tenant_context(side.district):
        for student, day in ((side.students[0], "2026-09-02"), (side.students[1], "2026-09-01")):
            TierPlacement.objects.create(district=side.district, student=student, area="math", tier=2, start_date=day)
    response = login(side.principal).get(reverse("caseload"))
    assert [n.student.pk for n in response.context["needs_plan"]] == [side.students[1].pk]
    assert response.context["needs_plan_total"] == 2
    assert "The 1 oldest placements of 2 are listed." in response.content.decode()


@pytest.mark.parametrize("params", [{}, {"sort": "recommendation"}, {"flag": "review", "sort": "fidelity"}])
def test_the_principals_caseload_keeps_one_query_count_as_plans_and_placements_grow(program, login, two_a_page, params):
    side = program["side"]
    client = login(side.principal)
    client.get(reverse("caseload"), params)  # warm the per-process caches (policy, translations)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("caseload"), params).status_code == 200
    for n in range(4):
        student = f.make_student(side.district, side.school, last_name=f"Grown{n}")
        _plan(program, student, tier=2 + n % 2)
        with tenant_context(side.district):
            TierPlacement.objects.create(
                district=side.district, student=student, area="math", tier=2, start_date="2026-09-01"
            )
    with CaptureQueriesContext(connection) as more:
        assert client.get(reverse("caseload"), params).status_code == 200
    assert len(more) == len(few), [q["sql"][:120] for q in more.captured_queries]


def test_visible_plans_never_filter_by_an_in_list_under_an_or(program):
    # Under an OR, `student_id IN (subquery)` cannot become a join; a whole district's ids do not
    # fit a hashed subplan in work_mem, and PostgreSQL then scanned the list again for every plan
    # (the administrator's caseload count ran for over 13 minutes at 400,000 students). The
    # administrator's plans are the district's; a principal's are their schools' with no OR (an OR
    # made the first page walk the district's name index); other roles use a correlated EXISTS.
    side = program["side"]
    with tenant_context(side.district):
        sql = {}
        for user in (side.district_admin, side.principal, side.intervention_specialist):
            membership = Membership.objects.get(district=side.district, user=user)
            plans = selectors.visible_plans(district=side.district, membership=membership)
            sql[user.pk] = str(plans.query).upper()
            assert set(plans.values_list("pk", flat=True)) == {p.pk for p in program["plans"]}
    assert '"STUDENTS_STUDENT"' not in sql[side.district_admin.pk].split("WHERE", 1)[1]
    assert " OR " not in sql[side.principal.pk]
    assert "EXISTS" in sql[side.intervention_specialist.pk]
    assert all('"STUDENT_ID" IN (SELECT' not in text for text in sql.values())


def test_a_principal_still_sees_a_plan_they_provide_at_another_school(program, login):
    side = program["side"]
    specialist = f.make_member(side.district, Role.INTERVENTION_SPECIALIST, schools=[side.other_school])
    theirs = _plan(program, side.students[3], tier=3, provider=specialist)  # the other school's student
    with tenant_context(side.district):
        # A principal who provided it before moving schools: the plan is still theirs to see.
        Plan.objects.filter(district=side.district, pk=theirs.pk).update(provider=side.principal)
        membership = Membership.objects.get(district=side.district, user=side.principal)
        plans = selectors.visible_plans(district=side.district, membership=membership)
        assert set(plans.values_list("pk", flat=True)) == {p.pk for p in program["plans"]} | {theirs.pk}
    shown = {row.plan.pk for row in login(side.principal).get(reverse("caseload")).context["rows"]}
    assert theirs.pk in shown

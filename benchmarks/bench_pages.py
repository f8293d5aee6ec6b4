"""Benchmark: the pages that grow with a district, up to a whole state's (``make bench``).

    DATABASE_URL=postgres://... .venv/bin/python -m benchmarks.bench_pages [--students 400000]

On a scratch PostgreSQL database (created and dropped here, like the tests do),
seeds the demo at a small size and at full size (``seed_demo --students N``,
which also logs a school year to date of sessions and probes), and for each size
times, through Django's test client (server time, no network):

* the caseload page of the specialist with the most active plans,
* the session form of a five-student group,
* a student record with three years of data (two earlier years are added);
* the caseload again as the principal of a school and as the district administrator
  (what grows with the district, not only the busiest specialist's);
* the screening overview, the principal's fidelity dashboard and the district
  dashboard, as the district administrator and the principal.

It prints the median and 95th-percentile time of the runs and the query count of
each page at both sizes: the count must not grow with the data (issue 16, item 5).
Targets: caseload, session form and student record under 150 ms; the screening view
and the dashboards under 300 ms. `--quick` (what `make bench-quick` and CI run) uses
small sizes and asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mtss.settings")
os.environ.setdefault("MTSS_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from benchmarks.common import (  # noqa: E402
    interleaved,
    median_ms,
    p95_ms,
    scratch_database,
    seed_demo,
    two_sizes,
    verdict,
)

TARGET_MS = 150
DASHBOARD_TARGET_MS = 300
RUNS = 7


def _pages(district):
    """Pick the subjects: busiest specialist, a five-student group, a student with plans."""
    from interventions.models import InterventionGroup, Plan
    from mtss.models import Membership, Role, User
    from mtss.tenancy import tenant_context

    with tenant_context(district):
        specialist_id, plans = (
            Plan.objects.filter(district=district, status="active")
            .values("provider_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("provider_id", "n")
            .first()
        )
        specialist = User.objects.get(pk=specialist_id)
        role = Membership.objects.get(district=district, user=specialist).role
        group = (
            InterventionGroup.objects.filter(district=district, provider=specialist)
            .annotate(n=Count("plans"))
            .filter(n=5)
            .first()
            or InterventionGroup.objects.filter(district=district).annotate(n=Count("plans")).order_by("-n").first()
        )
        plan = Plan.objects.filter(district=district, provider=specialist).select_related("student").first()
        admin = (
            Membership.objects.filter(district=district, role=Role.DISTRICT_ADMIN).select_related("user").first().user
        )
    return {
        "specialist": specialist,
        "role": role,
        "plans": plans,
        "group": group,
        "student": plan.student,
        "admin": admin,
    }


def _add_history(district, student, admin):
    """Two earlier school years of placements, plans, sessions and probes for one student."""
    from interventions.models import (
        Attendance,
        Intervention,
        InterventionSession,
        Plan,
        PlanPhase,
        Probe,
        TierPlacement,
    )
    from mtss.tenancy import tenant_context

    with tenant_context(district):
        intervention = Intervention.objects.filter(district=district).first()
        for years_back in (1, 2):
            start = dt.date(2026 - years_back, 9, 8)
            placement = TierPlacement.objects.create(
                district=district,
                student=student,
                area="math",
                tier=2,
                start_date=start,
                end_date=start + dt.timedelta(weeks=30),
            )
            plan = Plan.objects.create(
                district=district,
                student=student,
                placement=placement,
                area="math",
                tier=2,
                intervention=intervention,
                provider=admin,
                start_date=start,
                expected_end_date=start + dt.timedelta(weeks=30),
                goal_measure="M-COMP",
                goal_target=40,
                goal_target_date=start + dt.timedelta(weeks=30),
                sessions_per_week=4,
                minutes_per_session=30,
                status="completed",
            )
            PlanPhase.objects.create(
                district=district,
                plan=plan,
                number=1,
                start_date=start,
                intervention=intervention,
                goal_target=40,
                goal_target_date=plan.goal_target_date,
            )
            sessions = InterventionSession.objects.bulk_create(
                [
                    InterventionSession(
                        district=district, plan=plan, provider=admin, date=start + dt.timedelta(days=d), minutes=30
                    )
                    for d in range(0, 210)
                    if (start + dt.timedelta(days=d)).weekday() < 4
                ]
            )
            Attendance.objects.bulk_create([Attendance(district=district, session=s, plan=plan) for s in sessions])
            Probe.objects.bulk_create(
                [
                    Probe(district=district, plan=plan, date=start + dt.timedelta(weeks=w), score=20 + w)
                    for w in range(30)
                ]
            )


def _measure(client, url, runs):
    client.get(url)  # warm caches (templates, policy)
    times = interleaved(runs, page=lambda: _get_ok(client, url))["page"]
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return median_ms(times), p95_ms(times), len(queries)


def _get_ok(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)


def _run(size: int, runs: int) -> dict:
    from mtss.models import District, Membership, Role
    from mtss.tenancy import tenant_context

    seed_demo(size)
    district = District.objects.get(slug="loudon-county-tn")
    subjects = _pages(district)
    _add_history(district, subjects["student"], subjects["admin"])
    with tenant_context(district):
        principal = (
            Membership.objects.filter(district=district, role=Role.PRINCIPAL).select_related("user").first().user
        )
    client = Client()
    client.force_login(subjects["specialist"])
    results = {
        "caseload": _measure(client, "/interventions/caseload/", runs),
        "session form": _measure(client, f"/interventions/groups/{subjects['group'].pk}/", runs),
        "student record": _measure(client, f"/students/{subjects['student'].pk}/", runs),
    }
    # What grows with the district: the caseload of a principal (a school) and of the
    # district administrator (every school), not only the busiest specialist's.
    for label, user in (("caseload principal", principal), ("caseload admin", subjects["admin"])):
        client.force_login(user)
        results[label] = _measure(client, "/interventions/caseload/", runs)
    client.force_login(subjects["admin"])
    results["screening view"] = _measure(client, "/screening/", runs)
    results["district dashboard"] = _measure(client, "/reports/district/", runs)
    client.force_login(principal)
    with tenant_context(district):
        school_id = Membership.objects.get(district=district, user=principal).schools.values_list("pk", flat=True)[0]
    results["fidelity dashboard"] = _measure(client, f"/reports/fidelity/{school_id}/", runs)
    results["_meta"] = (subjects["plans"], subjects["group"].n)
    return results


PAGES = (
    "caseload",
    "caseload principal",
    "caseload admin",
    "session form",
    "student record",
    "screening view",
    "fidelity dashboard",
    "district dashboard",
)


def target_ms(page: str) -> int:
    return DASHBOARD_TARGET_MS if page in ("screening view", "fidelity dashboard", "district dashboard") else TARGET_MS


def main() -> int:
    # A whole state's district (issue 16, item 5) against 5,000 students.
    args, runs = two_sizes(argparse.ArgumentParser(), RUNS, students=400_000, small=5_000)
    with scratch_database("bench_pages") as test_db:
        print(f"database {test_db} (scratch), {runs} runs per page, median server time")
        small = _run(args.small, runs)
        large = _run(args.students, runs)
        print(
            f"{'page':20} {'students':>9} {'median':>8} {'queries':>8}   {'students':>9} {'median':>8} {'p95':>8}"
            f" {'queries':>8}  target"
        )
        ok = True
        for page in PAGES:
            (ms_s, _p95_s, q_s), (ms_l, p95_l, q_l) = small[page], large[page]
            limit = target_ms(page)
            met = ms_l < limit and q_l == q_s
            ok &= met
            print(
                f"{page:20} {args.small:>9} {ms_s:>8.1f} {q_s:>8}   {args.students:>9} {ms_l:>8.1f} {p95_l:>8.1f}"
                f" {q_l:>8}  <{limit} ms, same queries ({q_l == q_s}): {verdict(met, args.quick)}"
            )
        print(f"caseload plans: {small['_meta'][0]} -> {large['_meta'][0]}; group size: {large['_meta'][1]}")
        return 0 if ok or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())

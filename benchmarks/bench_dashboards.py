"""Benchmark: the principal's fidelity dashboard and the district dashboard (``make bench``).

    DATABASE_URL=postgres://... .venv/bin/python -m benchmarks.bench_dashboards [--students 50000]

On a scratch PostgreSQL database (created and dropped here, like bench_pages), it
seeds the demo at a small size and at full size (``seed_demo --reset --students N
--district loudon-county-tn``: a school year to date of group sessions, attendance
and weekly probes for every Tier 2/3 plan), runs VACUUM ANALYZE (as autovacuum
would after a bulk load) and the nightly evaluation job the district dashboard reads, then for
each size times, through Django's test client (server time, no network):

* the fidelity dashboard of the school with the most active plans, school year to
  date, as that school's principal;
* the district dashboard, as the district administrator.

It prints the median of several runs and the query count of each page at both
sizes (the count must not grow with the data), and the time of one hand-written SQL
aggregate that computes the same headline numbers in the same run (checked equal to
the page's), with the ratio page / SQL. Target: each page under 300 ms.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mtss.settings")
os.environ.setdefault("MTSS_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from benchmarks.common import interleaved, median_ms, scratch_database, seed_demo, two_sizes, verdict  # noqa: E402

TARGET_MS = 300
RUNS = 7

# The fidelity headline of one school and range, in one statement (reports/selectors.py
# computes the same numbers: planned = weekly sessions x weeks running in the range;
# attended = present and, under Loudon's policy, full length; minutes held = present or
# student absent; a plan meets the threshold on sessions and on minutes attended).
FIDELITY_SQL = """
WITH p AS (
  SELECT pl.id, pl.minutes_per_session AS mps,
         COALESCE(pl.sessions_per_week, pl.sessions_per_cycle * 5.0 / pl.cycle_days) AS weekly,
         GREATEST(pl.start_date, %(start)s) AS first_day,
         CASE WHEN pl.status = 'active' THEN %(end)s::date
              ELSE LEAST(%(end)s::date, COALESCE(tp.end_date, pl.expected_end_date)) END AS last_day
  FROM interventions_plan pl
  JOIN students_student s ON s.id = pl.student_id
  LEFT JOIN interventions_tierplacement tp ON tp.id = pl.placement_id
  WHERE pl.district_id = %(district)s AND s.school_id = %(school)s AND pl.start_date <= %(end)s
    AND (pl.status = 'active' OR pl.expected_end_date >= %(start)s)
), q AS (
  SELECT id, mps, weekly * ((last_day - first_day + 1) / 7.0) AS planned FROM p WHERE last_day >= first_day
), a AS (
  SELECT a.plan_id,
         COUNT(*) FILTER (WHERE a.status = 'present' AND (NOT %(must_match)s OR se.minutes >= q.mps)) AS attended,
         COALESCE(SUM(se.minutes) FILTER (WHERE a.status IN ('present', 'student_absent')), 0) AS held_m,
         COALESCE(SUM(se.minutes) FILTER (WHERE a.status = 'present'), 0) AS att_m
  FROM interventions_attendance a
  JOIN interventions_interventionsession se ON se.id = a.session_id
  JOIN q ON q.id = a.plan_id
  WHERE a.district_id = %(district)s AND se.date BETWEEN %(start)s AND %(end)s
  GROUP BY a.plan_id
)
SELECT COUNT(*), SUM(q.planned), SUM(COALESCE(a.attended, 0)), SUM(COALESCE(a.held_m, 0)),
       SUM(COALESCE(a.att_m, 0)),
       COUNT(*) FILTER (WHERE q.planned > 0
                          AND COALESCE(a.attended, 0) * 100.0 / q.planned >= %(threshold)s - 1e-9
                          AND COALESCE(a.att_m, 0) * 100.0 / (q.planned * q.mps) >= %(threshold)s - 1e-9)
FROM q LEFT JOIN a ON a.plan_id = q.id
"""

# The district headline: current students, how many are in Tier 2 and in Tier 3+ (highest
# open placement), and the responding share from the evaluation snapshot.
DISTRICT_SQL = """
WITH cur AS (SELECT id FROM students_student WHERE district_id = %(district)s AND exit_date IS NULL),
top AS (
  SELECT tp.student_id, MAX(tp.tier) AS tier
  FROM interventions_tierplacement tp JOIN cur ON cur.id = tp.student_id
  WHERE tp.district_id = %(district)s AND tp.end_date IS NULL AND tp.tier >= 2
  GROUP BY tp.student_id
)
SELECT (SELECT COUNT(*) FROM cur), COUNT(*) FILTER (WHERE tier = 2), COUNT(*) FILTER (WHERE tier >= 3),
       (SELECT COUNT(*) FILTER (WHERE response = 'responding') FROM reports_planevaluation
        WHERE district_id = %(district)s),
       (SELECT COUNT(*) FILTER (WHERE response <> '') FROM reports_planevaluation WHERE district_id = %(district)s)
FROM top
"""


def _subjects(district):
    from interventions.models import Plan
    from mtss.models import Membership, Role
    from mtss.tenancy import tenant_context

    with tenant_context(district):
        school_id, plans = (
            Plan.objects.filter(district=district, status="active")
            .values("student__school_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("student__school_id", "n")
            .first()
        )
        admin = (
            Membership.objects.filter(district=district, role=Role.DISTRICT_ADMIN, is_active=True)
            .select_related("user")
            .first()
            .user
        )
        principal = (
            Membership.objects.filter(
                district=district, role=Role.PRINCIPAL, is_active=True, membershipschool__school_id=school_id
            )
            .select_related("user")
            .first()
        )
    return {"school_id": school_id, "plans": plans, "admin": admin, "principal": principal.user if principal else admin}


def _pair(client, url, sql, params, district, runs):
    """The page and its SQL baseline, interleaved, the same number of runs each (median ms)."""
    from mtss.tenancy import tenant_context

    first = client.get(url)  # warm caches (templates, policy)
    assert first.status_code == 200, (url, first.status_code)
    row = []

    def page():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    def baseline():
        with tenant_context(district), connection.cursor() as cursor:
            cursor.execute(sql, params)
            row[:] = [cursor.fetchone()]

    times = interleaved(runs, page=page, sql=baseline)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return median_ms(times["page"]), len(queries), response, median_ms(times["sql"]), row[0]


def _run(size: int, runs: int) -> dict:
    from django.utils import timezone

    from mtss.models import District
    from mtss.tenancy import tenant_context
    from reports import selectors
    from reports.services import evaluations_refresh

    seed_demo(size)
    with connection.cursor() as cursor:
        # What autovacuum would do after a bulk load (statistics, visibility map), done now so
        # that it does not run in the middle of the timings.
        cursor.execute("VACUUM ANALYZE")
    # The seed leaves millions of Python objects behind in this process (a server process
    # would not have them): collect them so the cyclic GC does not bill the pages for them.
    gc.collect()
    district = District.objects.get(slug="loudon-county-tn")
    started = time.perf_counter()
    with tenant_context(district):
        evaluated = evaluations_refresh(district=district)
    refresh_s = time.perf_counter() - started
    subjects = _subjects(district)
    today = timezone.localdate()
    with tenant_context(district):
        start, end = selectors.default_range(district=district, today=today)
        policy = selectors.fidelity_policy(district=district, as_of=end)

    client = Client()
    client.force_login(subjects["principal"])
    fidelity_ms, fidelity_q, page, sql_ms, row = _pair(
        client,
        f"/reports/fidelity/{subjects['school_id']}/",
        FIDELITY_SQL,
        {
            "district": district.pk,
            "school": subjects["school_id"],
            "start": start,
            "end": end,
            "must_match": policy["must_match"],
            "threshold": policy["threshold"],
        },
        district,
        runs,
    )
    headline = page.context["headline"]
    fidelity_same = (
        row[0] == headline["plans"]
        and abs(float(row[1]) - headline["planned_sessions"]) < 1e-6
        and (row[2], row[3], row[4], row[5])
        == (headline["attended_sessions"], headline["held_minutes"], headline["attended_minutes"], headline["meeting"])
    )

    client.force_login(subjects["admin"])
    district_ms, district_q, page, d_sql_ms, d_row = _pair(
        client, "/reports/district/", DISTRICT_SQL, {"district": district.pk}, district, runs
    )
    tiers = page.context["tables"]["tiers"].rows[-1]  # All schools
    effect = page.context["effect"]["all"]
    district_same = (d_row[0], d_row[1], d_row[2]) == (tiers[1].value, tiers[4].value, tiers[6].value) and (
        d_row[3],
        d_row[4],
    ) == (effect.responding, effect.judged)
    return {
        "fidelity": (fidelity_ms, fidelity_q, sql_ms, fidelity_same),
        "district": (district_ms, district_q, d_sql_ms, district_same),
        "meta": (subjects["plans"], headline["plans"], evaluated, refresh_s),
    }


def main() -> int:
    args, runs = two_sizes(argparse.ArgumentParser(), RUNS)
    with scratch_database("bench_dashboards") as test_db:
        print(f"database {test_db} (scratch), {runs} runs per page interleaved with its SQL, median server time")
        small = _run(args.small, runs)
        large = _run(args.students, runs)
        print(
            f"{'page':10} {'students':>9} {'ms':>7} {'queries':>8} {'SQL ms':>7} {'ratio':>6}   "
            f"{'students':>9} {'ms':>7} {'queries':>8} {'SQL ms':>7} {'ratio':>6}  target"
        )
        ok = True
        for page in ("fidelity", "district"):
            (ms_s, q_s, sql_s, same_s), (ms_l, q_l, sql_l, same_l) = small[page], large[page]
            page_ok = ms_l < TARGET_MS and q_l == q_s and same_s and same_l
            ok &= page_ok
            print(
                f"{page:10} {args.small:>9} {ms_s:>7.1f} {q_s:>8} {sql_s:>7.1f} {ms_s / sql_s:>5.1f}x   "
                f"{args.students:>9} {ms_l:>7.1f} {q_l:>8} {sql_l:>7.1f} {ms_l / sql_l:>5.1f}x  "
                f"<{TARGET_MS} ms, same queries, same numbers as the SQL ({same_s and same_l}): "
                f"{verdict(page_ok, args.quick)}"
            )
        for label, (school_plans, shown, evaluated, refresh_s) in (("small", small["meta"]), ("large", large["meta"])):
            print(
                f"{label}: busiest school {school_plans} active plans ({shown} in the school year to date); "
                f"nightly evaluation job: {evaluated:,} plans in {refresh_s:.2f} s"
            )
        print(
            "The SQL baselines compute the headline numbers only (the district page also builds its tables), "
            "so a ratio above 1 is expected."
        )
        return 0 if ok or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())

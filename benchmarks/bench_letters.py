"""Benchmark: parent letters (``make bench``).

    .venv/bin/python -m benchmarks.bench_letters [--letters 1000] [--batch 500]

On a scratch database (PostgreSQL when DATABASE_URL is set, else SQLite; created and
dropped here like the tests do), builds a district whose 1,000 students each have a
Tier 2 plan with six weeks of probes and sessions, guardians in the eleven letter
languages (half with e-mail, half printed), and then:

1. queues this period's progress reports (one set-based call) and generates and
   delivers every one through the worker's own path (`notice_send`: claim, data,
   chart, HTML, WeasyPrint, file storage, e-mail to Django's in-memory backend), in
   this one process: letters per second per worker;
2. renders the same letters' pre-rendered HTML with WeasyPrint alone (no database):
   the ratio of (1) to (2) is the overhead of everything that is not WeasyPrint
   (target: at most 1.3x);
3. merges the waiting printed letters of the school (--batch of them) into one
   print-batch PDF: its time and size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mtss.settings")
os.environ.setdefault("MTSS_TESTING", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from benchmarks.common import add_quick, verdict  # noqa: E402

TARGET_RATIO = 1.3


def _seed(n: int):
    from interventions.models import Attendance, Intervention, InterventionGroup, InterventionSession, Plan, Probe
    from mtss.models import District, Role, School, SchoolYear
    from mtss.services import membership_create
    from mtss.tenancy import tenant_context
    from notifications.languages import CATALOGUED
    from students.models import Guardian, Student
    from tests import factories as f
    from tests.notifications.helpers import all_language_policy, use_policy

    district = District.objects.create(
        slug="bench-letters",
        name="Bench Unified School District",
        state="TN",
        address="1 District Way\nLoudon, TN 37774",
        phone="865-555-0100",
    )
    use_policy(district, all_language_policy())
    start = dt.date(2026, 9, 7)
    with tenant_context(district):
        principal = f.make_user("bench-principal", first_name="Dana", last_name="Rivera")
        school = School.objects.create(
            district=district,
            name="Bench Elementary",
            code="B1",
            principal=principal,
            address="10 School St\nLoudon, TN 37774",
        )
        membership_create(district=district, user=principal, role=Role.PRINCIPAL, schools=[school])
        provider = f.make_user("bench-specialist")
        membership_create(district=district, user=provider, role=Role.INTERVENTION_SPECIALIST, schools=[school])
        SchoolYear.objects.create(
            district=district, name="2026-2027", start_date=dt.date(2026, 8, 1), end_date=dt.date(2027, 6, 30)
        )
        intervention = Intervention.objects.create(district=district, name="Fundations", area="reading", tiers=[2])
        students = Student.objects.bulk_create(
            [
                Student(
                    district=district,
                    school=school,
                    local_id=f"B{i:06d}",
                    first_name=f"Kid{i}",
                    last_name=f"Family{i:04d}",
                    birth_date=dt.date(2018, 3, 1),
                    grade=2,
                    entry_date=dt.date(2026, 8, 1),
                )
                for i in range(n)
            ]
        )
        Guardian.objects.bulk_create(
            [
                Guardian(
                    district=district,
                    student=s,
                    first_name="Parent",
                    last_name=s.last_name,
                    relationship="parent",
                    preferred_language=CATALOGUED[i % len(CATALOGUED)],
                    email=f"p{i}@example.org" if i % 2 else "",
                    address_line1=f"{i} Main St",
                    city="Loudon",
                    state="TN",
                    postal_code=f"{37700 + i % 90}",
                )
                for i, s in enumerate(students)
            ]
        )
        groups = InterventionGroup.objects.bulk_create(
            [
                InterventionGroup(
                    district=district,
                    school=school,
                    provider=provider,
                    name=f"Group {g}",
                    area="reading",
                    tier=2,
                    intervention=intervention,
                    sessions_per_week=4,
                    minutes_per_session=30,
                )
                for g in range((n + 4) // 5)
            ]
        )
        plans = Plan.objects.bulk_create(
            [
                Plan(
                    district=district,
                    student=s,
                    area="reading",
                    tier=2,
                    intervention=intervention,
                    provider=provider,
                    group=groups[i // 5],
                    start_date=start,
                    expected_end_date=start + dt.timedelta(weeks=12),
                    goal_measure="R-CBM WRC",
                    goal_target=90,
                    goal_target_date=start + dt.timedelta(weeks=12),
                    sessions_per_week=4,
                    minutes_per_session=30,
                )
                for i, s in enumerate(students)
            ]
        )
        sessions = InterventionSession.objects.bulk_create(
            [
                InterventionSession(
                    district=district,
                    group=g,
                    provider=provider,
                    date=start + dt.timedelta(weeks=w, days=d),
                    minutes=30,
                )
                for g in groups
                for w in range(6)
                for d in range(4)
            ]
        )
        by_group = {}
        for session in sessions:
            by_group.setdefault(session.group_id, []).append(session)
        Attendance.objects.bulk_create(
            [
                Attendance(
                    district=district,
                    session=session,
                    plan=plan,
                    status="student_absent" if (plan.pk + k) % 17 == 0 else "present",
                )
                for plan in plans
                for k, session in enumerate(by_group[plan.group_id])
            ],
            batch_size=5000,
        )
        Probe.objects.bulk_create(
            [
                Probe(
                    district=district, plan=p, date=start - dt.timedelta(days=3 - b), score=40 + 2 * b, is_baseline=True
                )
                for p in plans
                for b in range(3)
            ]
            + [
                Probe(
                    district=district, plan=p, date=start + dt.timedelta(weeks=w, days=4), score=44 + (2 + p.pk % 3) * w
                )
                for p in plans
                for w in range(6)
            ],
            batch_size=5000,
        )
    return district, school


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=500)
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:
        args.letters, args.batch = 24, 12
    setup_test_environment()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    import tempfile

    media = tempfile.TemporaryDirectory(prefix="bench-letters-")
    settings.MEDIA_ROOT = media.name
    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_letters_{os.getpid()}"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from mtss.tenancy import tenant_context
        from notifications import services
        from notifications.letters.pdf import html_to_pdf
        from notifications.letters.render import letter_context, render_html
        from notifications.models import Notice

        n = args.letters
        print(f"database {connection.vendor} {test_db} (scratch); seeding {n} students with plans...", flush=True)
        district, school = _seed(n)
        with tenant_context(district):
            original = services._schedule_send
            services._schedule_send = lambda *a, **k: None  # queue only; (1) sends them below
            try:
                created = services.progress_reports_create(district=district, as_of=dt.date(2026, 10, 20))
            finally:
                services._schedule_send = original
            ids = [notice.pk for notice in created]
            languages = {}
            for notice in created:
                languages[notice.language] = languages.get(notice.language, 0) + 1
            print(
                f"queued {len(ids)} progress reports in {len(languages)} languages: "
                + ", ".join(f"{k} {v}" for k, v in sorted(languages.items()))
            )
            # Warm-up, not counted: fonts of every script, the stylesheet, templates (one letter
            # per language), so neither measurement pays the first load of a CJK font.
            seen = set()
            for warm in Notice.objects.filter(pk__in=ids).select_related("student", "school"):
                if warm.language not in seen:
                    seen.add(warm.language)
                    html_to_pdf(render_html(letter_context(district=district, notice=warm)))

            # Interleaved in blocks: the worker's path on a block of letters, then WeasyPrint
            # alone on the same block's pre-rendered HTML (the order alternating per block),
            # so a burst of load elsewhere on the machine hits both sides alike.
            by_id = {
                notice.pk: notice
                for notice in Notice.objects.filter(district=district, pk__in=ids).select_related(
                    "student", "school", "school__principal"
                )
            }
            full = weasy = 0.0
            block = 12 if args.quick else 50
            for number, first in enumerate(range(0, len(ids), block)):
                chunk = ids[first : first + block]
                pages = [render_html(letter_context(district=district, notice=by_id[pk])) for pk in chunk]

                def product(chunk=chunk):
                    for notice_id in chunk:
                        services.notice_send(district=district, notice_id=notice_id)

                def alone(pages=pages):
                    for html in pages:
                        html_to_pdf(html)

                for name in ("product", "alone") if number % 2 == 0 else ("alone", "product"):
                    began = time.perf_counter()
                    (product if name == "product" else alone)()
                    if name == "product":
                        full += time.perf_counter() - began
                    else:
                        weasy += time.perf_counter() - began
            statuses = dict(Notice.objects.filter(district=district).values_list("status").annotate(c=Count("id")))
            print(
                f"(1) generated and delivered {len(ids)} letters with charts in {full:.1f} s: "
                f"{len(ids) / full:.1f} letters/s per worker; statuses {statuses}"
            )
            ratio = full / weasy
            ok = ratio <= TARGET_RATIO
            print(
                f"(2) WeasyPrint alone on the same pre-rendered HTML, interleaved in blocks of {block}: {weasy:.1f} s, "
                f"{len(ids) / weasy:.1f} letters/s; ratio {ratio:.2f}x (target <= {TARGET_RATIO}x): "
                f"{verdict(ok, args.quick)}"
            )

            waiting = Notice.objects.filter(district=district, school=school, channel="print", status="generated")
            extra = list(waiting.values_list("pk", flat=True)[args.batch :])
            waiting.filter(pk__in=extra).update(print_batch=None, status="pending")  # keep exactly --batch
            began = time.perf_counter()
            batch = services.print_batch_create(district=district, school=school, actor=None)
            merge = time.perf_counter() - began
            print(
                f"(3) print batch of {batch.letter_count} letters: {batch.page_count} pages, "
                f"{batch.pdf.size / 1e6:.1f} MB, {merge:.1f} s"
            )
        return 0 if ok or args.quick else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        media.cleanup()


if __name__ == "__main__":
    sys.exit(main())

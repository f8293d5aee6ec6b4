"""Benchmark: a OneRoster API pull and import of a whole district (``make bench``).

    DATABASE_URL=postgres://... .venv/bin/python -m benchmarks.bench_oneroster [--students 400000] [--small 40000]

A OneRoster 1.2 server on loopback (tests/oneroster_server.py) generates a district
page by page: one school, one school year, a class per 25 students, a teacher per
class, and an enrolment for every student and teacher. On a scratch database:

1. the pull (token, every page of every collection, written as CSV files) at a small
   and a large size: records per second, and the peak resident memory of each, which
   must not grow with the district (only one page is held);
2. the import of the pulled files (the CSV roster's matcher and all-or-nothing writer):
   rows per second and peak memory.

``--quick`` (500 and 2,000 students) is what CI runs: numbers, no targets.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mtss.settings")
os.environ.setdefault("MTSS_TESTING", "1")

import django  # noqa: E402

django.setup()

from benchmarks.common import PeakRss, add_quick, scratch_database, verdict  # noqa: E402

STAMP = "2026-09-01T12:00:00.000Z"
CLASS_SIZE = 25


def _record(sourced_id: str, **fields) -> dict:
    return {"sourcedId": sourced_id, "status": "active", "dateLastModified": STAMP, **fields}


def district_generator(students: int) -> dict:
    """collection -> (count, make(index)): the server builds each page on demand."""
    classes = max(1, students // CLASS_SIZE)
    school = {"sourcedId": "sch-1", "type": "org"}

    def user(i: int) -> dict:
        if i < students:
            return _record(
                f"stu-{i}",
                enabledUser=True,
                username=f"s{i}",
                givenName="Kid",
                familyName=f"Bench{i}",
                identifier=f"L{i:07d}",
                grades=["03"],
                roles=[{"roleType": "primary", "role": "student", "org": school}],
            )
        t = i - students
        return _record(
            f"tch-{t}",
            enabledUser=True,
            username=f"t{t}",
            givenName="Teacher",
            familyName=f"T{t}",
            email=f"t{t}@bench.example",
            roles=[{"roleType": "primary", "role": "teacher", "org": school}],
        )

    def enrollment(i: int) -> dict:
        if i < students:
            who, klass, role = f"stu-{i}", f"cls-{i // CLASS_SIZE % classes}", "student"
        else:
            who, klass, role = f"tch-{i - students}", f"cls-{i - students}", "teacher"
        return _record(f"enr-{i}", user={"sourcedId": who}, role=role, school=school, **{"class": {"sourcedId": klass}})

    return {
        "orgs": (1, lambda i: _record("sch-1", name="Bench Elementary", type="school", identifier="BENCH")),
        "academicSessions": (
            1,
            lambda i: _record(
                "sy-1",
                title="2026-2027",
                type="schoolYear",
                startDate="2026-08-01",
                endDate="2027-06-30",
                schoolYear="2027",
            ),
        ),
        "classes": (
            classes,
            lambda i: _record(
                f"cls-{i}",
                title=f"Class {i}",
                classType="homeroom",
                school=school,
                terms=[{"sourcedId": "sy-1"}],
                grades=["03"],
            ),
        ),
        "users": (students + classes, user),
        "enrollments": (students + classes, enrollment),
    }


def measure(students: int) -> dict:
    from mtss.models import District
    from students.importers.oneroster import rest
    from students.services import roster_import
    from tests.oneroster_server import CLIENT_ID, CLIENT_SECRET, OneRosterServer

    generator = district_generator(students)
    records = sum(count for count, _ in generator.values())
    district = District.objects.create(name=f"Bench {students}", slug=f"bench-{students}", state="TN")
    with OneRosterServer(generator=generator) as server, tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "oneroster-api-full"
        folder.mkdir()
        api = rest.OneRosterApi(
            rest.Connection(server.base_url, server.token_url, CLIENT_ID, CLIENT_SECRET, page_size=1000)
        )
        with PeakRss() as pull_rss:
            started = time.perf_counter()
            rest.pull(api, folder, since=None)
            pull_seconds = time.perf_counter() - started
        with PeakRss() as import_rss:
            started = time.perf_counter()
            run = roster_import(district=district, actor=None, path=folder)
            import_seconds = time.perf_counter() - started
    assert run.status == "succeeded", run.errors[:3]
    return {
        "records": records,
        "pull_rate": records / pull_seconds,
        "pull_rss": pull_rss,
        "import_rate": records / import_seconds,
        "import_rss": import_rss,
        "import_seconds": import_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=400_000)
    parser.add_argument("--small", type=int, default=40_000)
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:
        args.small, args.students = 500, 2_000
    with scratch_database("bench_oneroster"):
        small = measure(args.small)
        large = measure(args.students)
    for label, size, m in (("small", args.small, small), ("large", args.students, large)):
        print(
            f"{label}: {size:,} students, {m['records']:,} records: pull {m['pull_rate']:,.0f} records/s "
            f"(peak {m['pull_rss']}), import {m['import_rate']:,.0f} rows/s in {m['import_seconds']:.1f} s "
            f"(peak {m['import_rss']})"
        )
    growth = large["pull_rss"].mib / max(small["pull_rss"].mib, 1)
    flat = growth < 1.5
    print(
        f"pull memory, large/small: {growth:.2f}x for {args.students / args.small:.0f}x the records "
        f"(target: flat, under 1.5x): {verdict(flat, args.quick)}"
    )
    if not args.quick and not flat:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

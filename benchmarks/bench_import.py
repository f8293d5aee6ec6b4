"""Benchmark: import 100,000 NWEA MAP result rows into a 50,000-student district (``make bench``).

    DATABASE_URL=postgres://... .venv/bin/python -m benchmarks.bench_import [--rows 100000] [--students 50000]

On a scratch PostgreSQL database (created and dropped here, like bench_pages):

1. seeds the Loudon demo district at 50,000 students (``seed_demo --reset``), gives it
   the current school year's default screening windows, and a policy version that
   adds a MAP Growth percentile rule (the Loudon preset has no MAP measure), so that
   every imported row gets a computed risk level;
2. writes MAP Comprehensive Data File ``AssessmentResults`` files of 10,000 and
   100,000 rows (the shared sample's 65 columns; reading and math for each student);
3. times a bare ``COPY`` of the 100,000-row file into an unindexed table of 65 text
   columns, then the real import of the same file (``screening.services.scores_import``:
   read, validate, match students, band risk, stage, upsert, review queue, ImportRun),
   and prints both and the ratio. Target: at most 10x the COPY time;
4. imports the 10,000- and 100,000-row files again under ``tracemalloc`` (each in a
   transaction rolled back after) and prints the peak Python memory of each: it must
   not grow with the file (what it holds is sized by the district).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mtss.settings")
os.environ.setdefault("MTSS_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

TARGET_RATIO = 10.0
DISTRICT = "loudon-county-tn"
SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "nwea-map" / "Fall2013AssessmentResults.csv"


def _header() -> list[str]:
    with open(SAMPLE, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def _write_map_file(path: Path, students: list[str], rows: int, window, seed: int = 7) -> None:
    """AssessmentResults rows with every column of the real file; reading then math per student."""
    header = _header()
    index = {name: i for i, name in enumerate(header)}
    rng = random.Random(seed)
    days = (window.end_date - window.start_date).days
    term = f"Fall {window.school_year.name}"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        written = 0
        for _number, local_id in enumerate(students):
            for subject in ("Reading", "Mathematics"):
                if written >= rows:
                    return
                values = [""] * len(header)
                rit = rng.randint(150, 250)
                values[index["TermName"]] = term
                values[index["StudentID"]] = local_id
                values[index["SchoolName"]] = "Demo School"
                values[index["MeasurementScale"]] = subject
                values[index["Discipline"]] = subject
                values[index["GrowthMeasureYN"]] = "TRUE"
                values[index["TestType"]] = "Survey With Goals"
                values[index["TestName"]] = f"MAP: {subject} 2-5 Common Core 2010"
                values[index["TestID"]] = str(200000000 + written)
                day = window.start_date + dt.timedelta(days=rng.randint(0, days))
                values[index["TestStartDate"]] = day.strftime("%m/%d/%Y")
                values[index["TestDurationMinutes"]] = str(rng.randint(30, 70))
                values[index["TestRITScore"]] = str(rit)
                values[index["TestStandardError"]] = f"{rng.uniform(2.5, 4.5):.1f}"
                values[index["TestPercentile"]] = str(rng.randint(1, 99))
                for goal in range(1, 5):
                    values[index[f"Goal{goal}Name"]] = f"Goal area {goal}"
                    values[index[f"Goal{goal}RitScore"]] = str(rit + rng.randint(-8, 8))
                    values[index[f"Goal{goal}StdErr"]] = f"{rng.uniform(4, 6):.1f}"
                    values[index[f"Goal{goal}Range"]] = f"{rit - 5}-{rit + 5}"
                    values[index[f"Goal{goal}Adjective"]] = rng.choice(["Low", "LoAvg", "Avg", "HiAvg", "High"])
                values[index["TestStartTime"]] = "09:00:00"
                values[index["PercentCorrect"]] = str(rng.randint(30, 80))
                writer.writerow(values)
                written += 1


def _setup():
    """The scratch district: 50,000 students, windows, a policy with a MAP rule."""
    from mtss.models import District, SchoolYear
    from mtss.policy import preset_data
    from mtss.selectors import policy_current
    from mtss.services import policy_version_create
    from mtss.tenancy import tenant_context
    from screening.models import ScreeningWindow
    from screening.services import catalog_ensure, windows_default
    from students.models import Student

    district = District.objects.get(slug=DISTRICT)
    with tenant_context(district):
        catalog_ensure(district=district)
        year = SchoolYear.objects.filter(district=district).order_by("-start_date").first()
        windows_default(district=district, actor=None, school_year=year)
        window = ScreeningWindow.objects.select_related("school_year").get(
            district=district, school_year=year, season="fall"
        )
        current = policy_current(district=district, as_of=window.start_date)
        data = dict(current.document if current else preset_data(DISTRICT))
        screening = dict(data["screening"])
        screening["measures"] = [
            *screening["measures"],
            {
                "key": "nwea-map",
                "name": "NWEA MAP Growth (benchmark rule)",
                "kind": "universal_screener",
                "areas": ["reading"],
                "grades": list(range(0, 13)),
                "seasons": ["fall", "winter", "spring"],
                "risk": {
                    "method": "percentile",
                    "norm": "national",
                    "bands": [
                        {"label": "well below average", "below_percentile": 11},
                        {"label": "below average", "below_percentile": 26},
                    ],
                },
            },
        ]
        data["screening"] = screening
        policy_version_create(
            district=district,
            actor=None,
            data=data,
            effective_from=year.start_date,
            note="Benchmark: MAP Growth percentile rule",
        )
        students = list(Student.objects.filter(district=district).order_by("pk").values_list("local_id", flat=True))
    return district, window, students


def _copy_baseline(path: Path) -> float:
    """Bare COPY of the file into an unindexed table of text columns (the same rows, the same bytes).

    A regular (logged) table, created by the owning role: the app role may not create tables.
    """
    from mtss.tenancy import owner_mode

    with owner_mode():
        return _copy_into_table(path)


def _copy_into_table(path: Path):
    columns = _header()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute("CREATE TABLE bench_copy (" + ", ".join(f'"c{i}" text' for i in range(len(columns))) + ")")
    started = time.perf_counter()
    with connection.cursor() as cursor, open(path, "rb") as handle:
        with cursor.cursor.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM bench_copy")
        loaded = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_copy")
    return seconds, loaded


def _import(district, path: Path):
    from screening.services import scores_import

    return scores_import(district=district, actor=None, path=path, format="nwea-map")


class _Rollback(Exception):
    pass


def _peak_memory(district, path: Path) -> tuple[float, int]:
    """Peak Python memory (MiB) of one import, rolled back after."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    run = None
    try:
        with transaction.atomic():
            run = _import(district, path)
            raise _Rollback
    except _Rollback:
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (1 << 20), run.counts["scores"]["created"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=50_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("bench_import needs PostgreSQL: set DATABASE_URL (see README).")
        return 1
    from django.core.management import call_command

    old_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_{old_name}_{os.getpid()}"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        started = time.perf_counter()
        call_command(
            "seed_demo",
            "--reset",
            "--students",
            str(args.students),
            "--district",
            DISTRICT,
            verbosity=0,
            stdout=open(os.devnull, "w"),
        )
        district, window, students = _setup()
        print(f"database {test_db} (scratch); {len(students)} students seeded in {time.perf_counter() - started:.1f} s")
        with tempfile.TemporaryDirectory() as folder:
            big, small = Path(folder) / "AssessmentResults.csv", Path(folder) / "AssessmentResults-small.csv"
            _write_map_file(big, students, args.rows, window)
            _write_map_file(small, students, args.small, window)
            size = big.stat().st_size / (1 << 20)

            copy_seconds, loaded = _copy_baseline(big)
            started = time.perf_counter()
            run = _import(district, big)
            import_seconds = time.perf_counter() - started
            counts = run.counts["scores"]
            assert run.status == "succeeded", (run.status, run.errors[:5])
            assert counts["created"] == args.rows, counts
            ratio = import_seconds / copy_seconds
            print(f"file: {args.rows} rows, {size:.1f} MiB, 65 columns")
            print(f"bare COPY into an unindexed table: {copy_seconds:.2f} s ({loaded} rows)")
            print(
                f"import (validate, match, risk, stage, upsert, review queue): {import_seconds:.2f} s, "
                f"{counts['created']} scores created, {run.counts['review_items']['created']} review items"
            )
            print(
                f"ratio import / COPY: {ratio:.1f}x (target at most {TARGET_RATIO:g}x): "
                f"{'ok' if ratio <= TARGET_RATIO else 'MISSED'}"
            )

            started = time.perf_counter()
            again = _import(district, big)
            print(
                f"re-import of the same file: {time.perf_counter() - started:.2f} s, "
                f"{again.counts['scores']['unchanged']} unchanged, {again.counts['scores']['created']} created, "
                f"{again.counts['scores']['updated']} updated"
            )

            peak_small, _ = _peak_memory(district, small)
            peak_big, _ = _peak_memory(district, big)
            print(
                f"peak Python memory of the import (tracemalloc): {args.small} rows {peak_small:.1f} MiB, "
                f"{args.rows} rows {peak_big:.1f} MiB ({peak_big / peak_small:.2f}x for {args.rows // args.small}x "
                "the rows)"
            )
        ok = ratio <= TARGET_RATIO and peak_big <= peak_small * 1.25
        return 0 if ok else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())

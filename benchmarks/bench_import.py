"""Benchmark: import 100,000 NWEA MAP result rows into a 50,000-student district (``make bench``).

    DATABASE_URL=postgres://... .venv/bin/python -m benchmarks.bench_import [--rows 100000] [--students 50000]

On a scratch PostgreSQL database (created and dropped here, like bench_pages):

1. seeds the Loudon demo district at 50,000 students (``seed_demo --reset``), gives it
   the current school year's default screening windows, and a policy version that
   adds a MAP Growth percentile rule (the Loudon preset has no MAP measure), so that
   every imported row gets a computed risk level;
2. writes MAP Comprehensive Data File ``AssessmentResults`` files of 10,000 and
   100,000 rows (the shared sample's 65 columns; reading and math for each student);
3. runs, interleaved and the same number of times each, the import *end to end* as a user
   runs it (``manage.py import_scores``: start-up, read, validate, match students, band
   risk, stage, upsert, review queue, ImportRun) and ``psql -c "\\copy ..."`` of the same
   file into an unindexed table of 65 text columns, each run from the same state, and
   prints the medians and the ratio. Target: at most 5x the COPY time;
4. runs the command on the 10,000- and the 100,000-row file and prints the peak resident
   memory of each process (from the kernel, not the Python heap): it must not grow with
   the file (what it holds is sized by the district).

``--quick`` (300 students, 600 rows, one run) is what CI runs: numbers, no targets.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mtss.settings")
os.environ.setdefault("MTSS_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from benchmarks.common import add_quick, scratch_database, seed_demo, verdict  # noqa: E402

TARGET_RATIO = 5.0  # issue 16: "<= 5x a COPY of the same file at 100k rows", end to end
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


def _import(district, path: Path):
    from screening.services import scores_import

    return scores_import(district=district, actor=None, path=path, format="nwea-map")


def _clear_window(district, window) -> None:
    """Remove the window's scores (the seed's and the last run's) so every run creates every row."""
    from mtss.tenancy import tenant_context
    from screening.models import ReviewItem, Score

    with tenant_context(district):
        ReviewItem.objects.filter(district=district, window=window).delete()
        Score.objects.filter(district=district, window=window).delete()


def _child(argv: list[str], env: dict) -> tuple[float, float, str]:
    """Run a command to the end: (seconds, its own peak RSS in MiB, its output)."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = child.stdout.read().decode(errors="replace")
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed ({child.returncode}):\n{output[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, output


def _database_url(name: str, owner: bool) -> str:
    url = os.environ["MIGRATE_DATABASE_URL" if owner and os.environ.get("MIGRATE_DATABASE_URL") else "DATABASE_URL"]
    return url.rsplit("/", 1)[0] + "/" + name


def _end_to_end(district, window, path: Path, db_name: str, runs: int):
    """`manage.py import_scores` (start-up included) against `psql -c \\copy` of the same file, interleaved.

    Each run starts from the same state (the window's scores removed outside the timing);
    the COPY target is an unindexed table of text columns, emptied before each run.
    """
    from mtss.tenancy import owner_mode

    columns = _header()
    with owner_mode(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute("CREATE TABLE bench_copy (" + ", ".join(f'"c{i}" text' for i in range(len(columns))) + ")")
        cursor.execute("GRANT ALL ON bench_copy TO PUBLIC")
    env = {**os.environ, "DATABASE_URL": _database_url(db_name, owner=False), "MTSS_TESTING": "1"}
    command = [sys.executable, "manage.py", "import_scores", str(path), "--district", DISTRICT, "--format", "nwea-map"]
    copy = ["psql", "-q", "-v", "ON_ERROR_STOP=1", _database_url(db_name, owner=True)]
    copy += ["-c", f"\\copy bench_copy FROM '{path}' WITH (FORMAT csv, HEADER true)"]
    results = {"import": [], "copy": []}
    for round_ in range(runs):
        for name in ("import", "copy") if round_ % 2 == 0 else ("copy", "import"):
            if name == "import":
                _clear_window(district, window)
                seconds, rss, _output = _child(command, env)
            else:
                with owner_mode(), connection.cursor() as cursor:
                    cursor.execute("TRUNCATE bench_copy")
                seconds, rss, _output = _child(copy, env)
            results[name].append((seconds, rss))
    with owner_mode(), connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM bench_copy")
        loaded = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_copy")
    return results, loaded


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=50_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs of the import and of COPY")
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:
        args.students, args.rows, args.small, args.runs = 300, 600, 200, 1
    with scratch_database("bench_import") as test_db:
        started = time.perf_counter()
        seed_demo(args.students, DISTRICT)
        district, window, students = _setup()
        print(f"database {test_db} (scratch); {len(students)} students seeded in {time.perf_counter() - started:.1f} s")
        with tempfile.TemporaryDirectory() as folder:
            big, small = Path(folder) / "AssessmentResults.csv", Path(folder) / "AssessmentResults-small.csv"
            _write_map_file(big, students, args.rows, window)
            _write_map_file(small, students, args.small, window)
            size = big.stat().st_size / (1 << 20)
            print(f"file: {args.rows} rows, {size:.1f} MiB, 65 columns; {args.runs} interleaved runs of each")

            results, loaded = _end_to_end(district, window, big, test_db, args.runs)
            imp = statistics.median(seconds for seconds, _rss in results["import"])
            cop = statistics.median(seconds for seconds, _rss in results["copy"])
            ratio = imp / cop
            print(f"psql \\copy into an unindexed table (start-up included): {cop:.2f} s ({loaded} rows)")
            print(
                f"manage.py import_scores (start-up, validate, match, risk, stage, upsert, review queue): {imp:.2f} s"
            )
            ok = ratio <= TARGET_RATIO
            print(
                f"ratio import / COPY end to end: {ratio:.1f}x (target at most {TARGET_RATIO:g}x): "
                f"{verdict(ok, args.quick)}"
            )

            _clear_window(district, window)
            run = _import(district, big)
            counts = run.counts["scores"]
            assert run.status == "succeeded", (run.status, run.errors[:5])
            assert counts["created"] == args.rows, counts
            started = time.perf_counter()
            again = _import(district, big)
            print(
                f"in-process re-import of the same file: {time.perf_counter() - started:.2f} s, "
                f"{again.counts['scores']['unchanged']} unchanged, {again.counts['scores']['created']} created, "
                f"{again.counts['scores']['updated']} updated"
            )

            # Peak resident memory of the command (the whole process, from the kernel), small file vs big.
            env = {**os.environ, "DATABASE_URL": _database_url(test_db, owner=False), "MTSS_TESTING": "1"}
            peaks = {}
            for label, path in (("small", small), ("big", big)):
                _clear_window(district, window)
                argv = [sys.executable, "manage.py", "import_scores", str(path), "--district", DISTRICT]
                _seconds, peaks[label], _output = _child([*argv, "--format", "nwea-map"], env)
            print(
                f"peak RSS of import_scores: {args.small} rows {peaks['small']:.0f} MiB, {args.rows} rows "
                f"{peaks['big']:.0f} MiB ({peaks['big'] / peaks['small']:.2f}x "
                f"for {args.rows / args.small:g}x the rows)"
            )
        memory_ok = peaks["big"] <= peaks["small"] * 1.25
        print(f"flat memory (at most 1.25x): {verdict(memory_ok, args.quick)}")
        return 0 if (ok and memory_ok) or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())

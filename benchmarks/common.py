"""What every benchmark shares: a scratch database, interleaved timing, peak RSS, quick mode.

Benchmarks print numbers and ratios; they are not timed tests. Measured side by side on
a loaded machine, two habits keep the ratios honest (issue 16, "Benchmarks that run and
tell the truth"):

* the product and its baseline run *interleaved*, the same number of times each, so a
  burst of load elsewhere on the machine hits both alike (`interleaved`);
* memory is the process's peak resident set (VmHWM, reset before each phase through
  /proc/self/clear_refs), not only the Python heap that tracemalloc sees (`PeakRss`).

`--quick` (small sizes, one or two repetitions, no targets asserted) is what CI runs on
every submission so that the benchmarks cannot rot unnoticed.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import statistics
import time
from collections.abc import Callable, Iterator


def add_quick(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and few repetitions, targets reported but not asserted (what CI runs)",
    )


def two_sizes(
    parser: argparse.ArgumentParser, runs: int, *, students: int = 50_000, small: int = 2_000
) -> tuple[argparse.Namespace, int]:
    """The page benchmarks' arguments: a small and a large district (the query count must not
    grow between them) and --quick; returns the arguments and the runs per page."""
    parser.add_argument("--students", type=int, default=students)
    parser.add_argument("--small", type=int, default=small)
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:
        args.small, args.students = 100, 300
    return args, (2 if args.quick else runs)


def verdict(ok: bool, quick: bool) -> str:
    """A target line's last word: in quick mode the sizes are too small for targets to mean anything."""
    if quick:
        return "(quick mode: target not assessed)"
    return "ok" if ok else "MISSED"


@contextlib.contextmanager
def scratch_database(label: str) -> Iterator[str]:
    """Create a throwaway copy of the configured PostgreSQL database (migrated), drop it after."""
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    if connection.vendor != "postgresql":
        raise SystemExit(f"{label} needs PostgreSQL: set DATABASE_URL (see README).")
    setup_test_environment()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_{old_name}_{os.getpid()}"
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield name
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def interleaved(runs: int, **candidates: Callable[[], object]) -> dict[str, list[float]]:
    """Run each candidate `runs` times, alternating them (A B, B A, A B ...); seconds per run.

    Alternating the order each round means neither side always runs first (warm caches)
    nor always last (a machine that grows busier).
    """
    names = list(candidates)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(runs):
        order = names if round_ % 2 == 0 else list(reversed(names))
        for name in order:
            started = time.perf_counter()
            candidates[name]()
            times[name].append(time.perf_counter() - started)
    return times


def median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def p95_ms(seconds: list[float]) -> float:
    """The 95th percentile (nearest rank; with few runs, the slowest run)."""
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)] * 1000


class PeakRss:
    """Peak resident memory of this process during a `with` block, in MiB.

    Linux keeps the high-water mark in /proc/self/status (VmHWM); writing 5 to
    /proc/self/clear_refs resets it, so each phase reports its own peak. Where the reset
    is not allowed the figure is the process's peak so far, and `reset_ok` says so.
    """

    def __init__(self) -> None:
        self.mib = 0.0
        self.reset_ok = False

    def __enter__(self) -> PeakRss:
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
            self.reset_ok = True
        except OSError:
            self.reset_ok = False
        return self

    def __exit__(self, *exc) -> None:
        self.mib = _status_kib("VmHWM") / 1024

    def __str__(self) -> str:
        return f"{self.mib:.0f} MiB" + ("" if self.reset_ok else " (process peak; reset not allowed)")


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def seed_demo(students: int, district: str = "loudon-county-tn") -> None:
    """The demo district at `students` students (quietly), as every page benchmark starts."""
    from django.core.management import call_command

    with open(os.devnull, "w") as devnull:
        call_command(
            "seed_demo",
            "--reset",
            "--only",
            "--students",
            str(students),
            "--district",
            district,
            verbosity=0,
            stdout=devnull,
        )

"""Builders for screening tests: a district side with a policy, windows, scores and a queue."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from mtss.models import SchoolYear
from mtss.policy import preset_data
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context
from screening import services
from screening.models import ReviewItem, Score, ScreeningWindow

DATA = Path(__file__).resolve().parent.parent / "data"
FALL_DAY = dt.date(2026, 9, 15)


def setup_district(side, *, preset: str = "loudon-county-tn", effective_from: dt.date = dt.date(2026, 8, 1)):
    """The side's district with a policy preset, the standard catalog and the 2026-2027 windows."""
    district = side.district
    with tenant_context(district):
        policy_version_create(district=district, actor=None, data=preset_data(preset), effective_from=effective_from)
        services.catalog_ensure(district=district)
        year = SchoolYear.objects.get(district=district, name="2026-2027")
        services.windows_default(district=district, actor=None, school_year=year)
        return ScreeningWindow.objects.select_related("school_year").get(
            district=district, school_year=year, season="fall"
        )


def score_items(side, percentiles: dict[int, float], *, measure: str = "aimsweb-maze", day: dt.date = FALL_DAY):
    """API-style items: one score per student index of the side, with a vendor percentile."""
    return [
        {
            "student": side.students[i].pk,
            "measure": measure,
            "date": day.isoformat(),
            "score": 10 + p / 5,
            "percentile": p,
        }
        for i, p in percentiles.items()
    ]


def screened_side(side) -> dict:
    """A side with windows, a score import (one flagged student), a review item and a mapping."""
    window = setup_district(side)
    district = side.district
    # Student 2 is flagged (student 0 may already be served: tests/interventions/tenancy_objects.py).
    run = services.scores_create_bulk(district=district, actor=None, items=score_items(side, {2: 10, 1: 60}))
    with tenant_context(district):
        score = Score.objects.get(district=district, student=side.students[2])
        item = ReviewItem.objects.get(district=district, score=score)
        mapping = services.mapping_save(
            district=district,
            actor=None,
            name="Local CBM",
            columns={"student_id": "Student", "date": "Date", "score": "Score"},
            measure=score.measure,
        )
    return {"window": window, "run": run, "score": score, "item": item, "mapping": mapping}


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def map_roster(side, *, limit: int | None = None, skip: set[str] = frozenset()) -> list[str]:
    """Students for the NWEA sample's ids (from StudentsBySchool), at the side's school; returns the ids."""
    from students.models import Student

    with open(DATA / "nwea-map" / "Fall2013StudentsBySchool.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ids = [r["StudentID"] for r in rows if r["StudentID"] not in skip][:limit]
    with tenant_context(side.district):
        Student.objects.bulk_create(
            [
                Student(
                    district=side.district,
                    school=side.school,
                    local_id=sid,
                    first_name="Map",
                    last_name=f"S{n}",
                    birth_date=dt.date(2002, 1, 1),
                    grade=5,
                    entry_date=dt.date(2013, 8, 1),
                )
                for n, sid in enumerate(ids)
            ]
        )
    return ids

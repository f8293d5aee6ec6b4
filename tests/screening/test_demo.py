"""The demo's screening data (demo/screening.py): windows, illustrative norms, a fall score per student."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count

from demo import districts as demo
from demo.screening import ILLUSTRATIVE_NAME, seed_screening, synthetic_score
from mtss.models import District
from mtss.tenancy import tenant_context
from screening.models import NormTable, ReviewItem, Score, ScreeningWindow
from students.models import Student

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture
def seeded(db):
    demo.seed_demo(scale=0.2)
    return {d.slug: d for d in District.objects.all()}


@pytest.mark.django_db
def test_every_enrolled_student_gets_a_fall_score_banded_by_the_policy(seeded):
    loudon = seeded["loudon-county-tn"]
    counts = seed_screening(district=loudon, as_of=AS_OF)
    with tenant_context(loudon):
        window = ScreeningWindow.objects.get(district=loudon, season="fall")
        enrolled = set(
            Student.objects.filter(
                district=loudon, exit_date__isnull=True, entry_date__lte=window.end_date
            ).values_list("pk", flat=True)
        )
        scored = set(Score.objects.filter(district=loudon, window=window).values_list("student_id", flat=True))
        by_measure = dict(Score.objects.filter(district=loudon).values_list("measure__key").annotate(n=Count("id")))
        maze = Score.objects.filter(district=loudon, measure__key="aimsweb-maze", tier=2).first()
        tables = list(NormTable.objects.filter(district=loudon))
        queued = ReviewItem.objects.filter(district=loudon).count()
    assert scored == enrolled and counts["screening_scores"] == len(enrolled)
    assert set(by_measure) <= {"aimsweb-rcbm", "aimsweb-maze", "map-reading"}  # Loudon: R-CBM grade 1, Maze 2-8
    assert maze.risk_label == "below the 25th national percentile" and "Illustrative norms" in maze.risk_explanation
    assert tables and all(t.illustrative and t.name.startswith(ILLUSTRATIVE_NAME) for t in tables)
    assert queued == counts["review_items"] and queued > 0


@pytest.mark.django_db
def test_it_is_deterministic_and_a_second_run_changes_nothing(seeded):
    lausd = seeded["lausd-secondary"]
    first = seed_screening(district=lausd, as_of=AS_OF)
    with tenant_context(lausd):
        before = sorted(Score.objects.filter(district=lausd).values_list("student_id", "measure__key", "score"))
    second = seed_screening(district=lausd, as_of=AS_OF)
    with tenant_context(lausd):
        after = sorted(Score.objects.filter(district=lausd).values_list("student_id", "measure__key", "score"))
        keys = set(Score.objects.filter(district=lausd).values_list("measure__key", flat=True))
    assert before == after and first["screening_scores"] == second["screening_scores"]
    assert keys == {"map-reading", "map-math"}  # LAUSD: the universal screener, ELA and math


@pytest.mark.django_db
def test_before_the_fall_window_there_is_nothing_to_score(seeded):
    # Before the demo's first school year (2025-2026 begins 2 September 2025 in Holland Patent).
    counts = seed_screening(district=seeded["holland-patent-ny"], as_of=dt.date(2025, 8, 20))
    assert counts["screening_scores"] == 0


def test_the_illustrative_norms_rise_with_grade_and_percentile():
    assert synthetic_score("aimsweb-maze", 3, "fall", 10) < synthetic_score("aimsweb-maze", 3, "fall", 50)
    assert synthetic_score("aimsweb-rcbm", 2, "fall", 50) < synthetic_score("aimsweb-rcbm", 4, "fall", 50)

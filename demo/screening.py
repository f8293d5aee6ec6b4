"""Demo screening data for a seeded district: a fall window with a score for every student.

* Windows: the school year's default fall, winter and spring windows (services.windows_default).
* Norms: ILLUSTRATIVE, synthetic tables made up by the formulas below, labelled as such
  everywhere they show. Published norm tables are copyrighted and are not shipped
  (RULES.md 2.1, 2.2); a real district imports its own (import_norms).
* Scores: each student gets a fall score on the measure(s) the district's policy
  screens their grade with in the fall (Loudon: aimswebPlus R-CBM in grade 1, Maze in
  2-8; Holland Patent: Star; Ohio Virtual Academy: aimswebPlus K-2, MAP Growth 3-11;
  LAUSD: MAP Growth reading and math); a student the policy does not screen in the fall
  gets a MAP Growth reading score, shown as "not screened under the policy". Scores
  follow the demo's tier placements (demo/districts.py `_place_tiers`): Tier 3 students
  score in the lowest tenth, Tier 2 below the 25th percentile, and a few Tier 1
  students below it too, so the review queue has newly flagged students.

The scores go through the real import pipeline (screening.services.scores_import, one
ImportRun "Demo fall screening"), so their risk levels come from the district policy
exactly as an import's do. Deterministic: the same district slug gives the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from statistics import NormalDist

from interventions.models import TierPlacement
from mtss.models import District, SchoolYear
from mtss.selectors import policy_document
from mtss.tenancy import tenant_context
from screening import risk
from screening.importers.base import ScoreRecord
from screening.models import Measure, NormPoint, NormTable, ReviewItem, Score, ScreeningWindow
from screening.services import catalog_ensure, scores_import, windows_default
from students.models import Student

ILLUSTRATIVE_NAME = "Illustrative norms (synthetic, demo only)"
ILLUSTRATIVE_SOURCE = (
    "Made up by demo/screening.py for the demo; not any publisher's norms. "
    "Published norm tables are not shipped (RULES.md 2.1)."
)
PERCENTILES = (10, 25, 50, 75, 90)
SEASON_STEP = {"fall": 0.0, "winter": 0.5, "spring": 1.0}  # share of a year's growth
# measure key -> (fall median at grade 0, gain per grade, standard deviation as a share of the median plus a floor)
SYNTHETIC = {
    "aimsweb-rcbm": (0.0, 24.0, (0.33, 8.0)),
    "aimsweb-maze": (2.0, 3.2, (0.35, 2.0)),
    "aimsweb-early-literacy": (180.0, 35.0, (0.12, 5.0)),
    "star-early-literacy": (480.0, 95.0, (0.12, 10.0)),
    "star-reading": (250.0, 95.0, (0.25, 20.0)),
    "star-math": (350.0, 70.0, (0.15, 20.0)),
    "map-reading": (145.0, 8.5, (0.06, 2.0)),
    "map-math": (145.0, 9.5, (0.06, 2.0)),
}
# Which catalog measure the demo uses for a policy measure, first that applies.
PREFERENCE = (
    "map-reading",
    "map-math",
    "aimsweb-rcbm",
    "aimsweb-maze",
    "aimsweb-early-literacy",
    "star-early-literacy",
    "star-reading",
    "star-math",
)
FALLBACK = "map-reading"
GRADES = range(0, 13)
_normal = NormalDist()


def _median_sd(key: str, grade: int, season: str) -> tuple[float, float]:
    base, gain, (share, floor) = SYNTHETIC[key]
    grade_gain = gain if key != "map-reading" and key != "map-math" else gain * (1 - grade / 30)
    median = base + grade_gain * (max(grade, 0) + SEASON_STEP[season])
    return median, share * median + floor


def synthetic_score(key: str, grade: int, season: str, percentile: float) -> float:
    """The illustrative table's score at a percentile (normal, by the formulas above)."""
    median, sd = _median_sd(key, grade, season)
    return round(max(0.0, median + sd * _normal.inv_cdf(min(max(percentile, 0.5), 99.5) / 100)), 0)


def _norm_tables(district: District) -> int:
    """Illustrative percentile norms and cut scores (10th / 25th percentile) for the demo measures."""
    measures = {m.key: m for m in Measure.objects.filter(district=district, key__in=SYNTHETIC)}
    made = 0
    for key, measure in sorted(measures.items()):
        for kind in (NormTable.Kind.PERCENTILE, NormTable.Kind.CUT_SCORE):
            table, _ = NormTable.objects.update_or_create(
                district=district,
                measure=measure,
                kind=kind,
                norm=NormTable.Norm.NATIONAL,
                defaults={
                    "name": f"{ILLUSTRATIVE_NAME}: {measure.name}",
                    "source": ILLUSTRATIVE_SOURCE,
                    "illustrative": True,
                },
            )
            NormPoint.objects.filter(district=district, table=table).delete()
            grades = measure.grades or list(GRADES)
            points = []
            for grade in grades:
                for season in SEASON_STEP:
                    if kind == NormTable.Kind.PERCENTILE:
                        points.extend(
                            NormPoint(
                                district=district,
                                table=table,
                                grade=grade,
                                season=season,
                                percentile=p,
                                score=synthetic_score(key, grade, season, p),
                            )
                            for p in PERCENTILES
                        )
                    else:
                        points.append(
                            NormPoint(
                                district=district,
                                table=table,
                                grade=grade,
                                season=season,
                                score=synthetic_score(key, grade, season, 10),
                                label="well below benchmark (illustrative)",
                            )
                        )
                        points.append(
                            NormPoint(
                                district=district,
                                table=table,
                                grade=grade,
                                season=season,
                                score=synthetic_score(key, grade, season, 25),
                                label="below benchmark (illustrative)",
                            )
                        )
            NormPoint.objects.bulk_create(points, batch_size=5000)
            made += 1
    return made


def _plan_measures(policy, measures: dict[str, Measure]) -> dict[int, list[tuple[Measure, object, str]]]:
    """grade -> [(catalog measure, policy measure, area)] the policy screens in the fall."""
    by_grade: dict[int, list] = {}
    if policy is None:
        return by_grade
    for pm in policy.screening.measures:
        if "fall" not in pm.seasons or pm.kind not in ("universal_screener", "diagnostic"):
            continue
        for grade in pm.grades:
            for area in pm.areas:
                for key in PREFERENCE:
                    m = measures.get(key)
                    if m is None or pm.key not in (m.policy_keys or []):
                        continue
                    if area not in risk.SUBJECT_AREAS.get(m.subject, (m.subject,)):
                        continue
                    if m.grades and grade not in m.grades:
                        continue
                    chosen = by_grade.setdefault(grade, [])
                    if all(c[0].pk != m.pk for c in chosen):
                        chosen.append((m, pm, area))
                    break
    return by_grade


def seed_screening(*, district: District, as_of: dt.date) -> dict:
    """Windows, illustrative norms and a fall score for every enrolled student (see the module docstring)."""

    rng = random.Random(f"{district.slug}-screening")
    with tenant_context(district):
        catalog_ensure(district=district)
        year = (
            SchoolYear.objects.filter(district=district, start_date__lte=as_of).order_by("-start_date").first()
            or SchoolYear.objects.filter(district=district).order_by("start_date").first()
        )
        if year is None:
            return {"screening_scores": 0}
        windows_default(district=district, actor=None, school_year=year)
        window = ScreeningWindow.objects.filter(district=district, school_year=year, season="fall").first()
        tables = _norm_tables(district)
        if window is None or as_of < window.start_date:
            return {"screening_scores": 0, "norm_tables": tables}
        last_day = min(window.end_date, as_of)
        _, policy = policy_document(district=district, as_of=window.start_date)
        measures = {m.key: m for m in Measure.objects.filter(district=district)}
        plan = _plan_measures(policy, measures)
        tiers: dict[tuple[int, str], int] = {}
        for student_id, area, tier in TierPlacement.objects.filter(
            district=district, end_date__isnull=True
        ).values_list("student_id", "area", "tier"):
            tiers[(student_id, area)] = max(tier, tiers.get((student_id, area), 0))
        students = list(
            Student.objects.filter(district=district, exit_date__isnull=True, entry_date__lte=last_day)
            .values_list("pk", "grade", "entry_date")
            .order_by("pk")
        )

    def records():
        for number, (student_id, grade, entry) in enumerate(students):
            first = max(window.start_date, entry)
            if first > last_day:
                continue
            day = first + dt.timedelta(days=rng.randrange((last_day - first).days + 1))
            chosen = plan.get(grade) or [(measures[FALLBACK], None, "reading")]
            for measure, pm, area in chosen:
                tier = tiers.get((student_id, area), 1)
                if tier >= 3:
                    percentile = rng.uniform(1, 9.5)
                elif tier == 2:
                    percentile = rng.uniform(11, 24)
                elif rng.random() < 0.06:  # flagged by screening, not yet served: the review queue
                    percentile = rng.uniform(5, 24)
                else:
                    percentile = rng.uniform(27, 99)
                key = measure.key if measure.key in SYNTHETIC else FALLBACK
                score = synthetic_score(key, grade, "fall", percentile)
                if measure.min_score is not None:
                    score = max(score, measure.min_score)
                if measure.max_score is not None:
                    score = min(score, measure.max_score)
                method = pm.risk.method if pm is not None else ""
                vendor_percentile = key.startswith(("map-", "star-")) or method == "category"
                category = ""
                if method == "category":
                    category = (
                        "low cohort" if percentile < 25 else "middle cohort" if percentile < 75 else "high cohort"
                    )
                yield ScoreRecord(
                    "demo",
                    number,
                    student_pk=student_id,
                    student_column="student",
                    measure=measure.key,
                    measure_column="measure",
                    test_date=day,
                    date_column="date",
                    score=score,
                    score_column="score",
                    percentile=round(percentile) if vendor_percentile else None,
                    category=category,
                )

    scores_import(
        district=district, actor=None, format="demo", records=records(), file_name="Demo fall screening (synthetic)"
    )
    with tenant_context(district):
        queued = ReviewItem.objects.filter(district=district, window=window).count()
        total = Score.objects.filter(district=district, window=window).count()
    return {"screening_scores": total, "review_items": queued, "norm_tables": tables}

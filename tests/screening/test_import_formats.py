"""Each supported export imports: the shared NWEA MAP and i-Ready samples as they are, and files
in the documented Star, aimswebPlus, DIBELS 8 and generic (saved mapping) column sets."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from mtss.models import SchoolYear
from mtss.policy import preset_data
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context
from screening import services
from screening.importers.iready import relative_placement
from screening.models import Score
from students.models import ImportRun, Student
from tests import factories as f
from tests.screening.helpers import DATA, csv_bytes, map_roster, setup_district


def year_with_windows(district, name: str):
    start = int(name[:4])
    with tenant_context(district):
        year = SchoolYear.objects.create(
            district=district, name=name, start_date=dt.date(start, 7, 15), end_date=dt.date(start + 1, 6, 30)
        )
        services.windows_default(district=district, actor=None, school_year=year)
    return year


def scores(district, **filters):
    with tenant_context(district):
        return {
            (s.student.local_id, s.measure.key): s
            for s in Score.objects.filter(district=district, **filters).select_related(
                "student", "measure", "window", "window__school_year"
            )
        }


@pytest.mark.django_db
def test_the_shared_nwea_map_sample_imports(world):
    side = world.a
    district = side.district
    year_with_windows(district, "2013-2014")
    with tenant_context(district):
        policy_version_create(
            district=district, actor=None, data=preset_data("lausd-secondary"), effective_from=dt.date(2013, 7, 1)
        )
    map_roster(side)

    run = services.scores_import(
        district=district, actor=side.district_admin, path=DATA / "nwea-map", format="nwea-map"
    )

    assert run.status == ImportRun.Status.SUCCEEDED, run.errors[:3]
    assert run.counts["scores"] == {"created": 1365, "updated": 0, "unchanged": 0, "deleted": 0, "rejected": 0}
    assert run.details["measures"] == {"map-reading": 684, "map-math": 681}
    assert run.details["skipped"] == {
        "measure 'Language Usage' is not in the district's catalog": 633,
        "measure 'Science - General Science' is not in the district's catalog": 188,
        "other test events of the term (GrowthMeasureYN = FALSE)": 161,
    }
    assert run.details["windows"] == ["fall 2013-2014"] and run.details["policy_versions"] == ["lausd-secondary@1"]
    imported = scores(district)
    # F08000002: reading RIT 217 at the 63rd percentile, math 209 at the 25th, grade 6 (StudentsBySchool).
    reading, math = imported[("F08000002", "map-reading")], imported[("F08000002", "map-math")]
    assert (reading.score, reading.percentile, reading.grade, reading.test_date) == (217, 63, 6, dt.date(2013, 9, 19))
    assert (reading.tier, reading.area, reading.external_id) == (1, "ela", "122234710")
    assert (math.tier, math.risk_label, math.policy_label) == (2, "below average", "lausd-secondary@1")
    assert math.risk_rule == "screening.measures[0].risk" and "25" in math.risk_explanation
    # The counted retest (GrowthMeasureYN TRUE on line 1420), not the later event of line 1423.
    assert imported[("SF07001719", "map-reading")].score == 228
    # Grade 13 in StudentsBySchool is no grade: the roster's (5) is used, with a warning.
    assert any("grade not K-12" in w for w in run.warnings)
    assert ("F08000002", "map-reading") in imported and imported[("F08000002", "map-reading")].import_run_id == run.pk

    again = services.scores_import(district=district, actor=None, path=DATA / "nwea-map", format="nwea-map")
    assert again.counts["scores"]["unchanged"] == 1365 and again.counts["scores"]["created"] == 0
    with tenant_context(district):
        assert Score.objects.filter(district=district).count() == 1365


@pytest.mark.django_db
def test_the_shared_nwea_sample_reads_as_a_zip_or_the_results_file_alone(world, tmp_path):
    side = world.a
    year_with_windows(side.district, "2013-2014")
    map_roster(side)
    archive = shutil.make_archive(str(tmp_path / "cdf"), "zip", DATA / "nwea-map")
    run = services.scores_import(district=side.district, actor=None, path=archive, format="nwea-map", dry_run=True)
    assert run.status == ImportRun.Status.DRY_RUN and run.counts["scores"]["created"] == 1365
    alone = services.scores_import(
        district=side.district, actor=None, path=DATA / "nwea-map" / "Fall2013AssessmentResults.csv", format="nwea-map"
    )
    assert alone.status == ImportRun.Status.SUCCEEDED
    # Without StudentsBySchool the grade is the roster's.
    assert {s.grade for s in scores(side.district).values()} == {5}


@pytest.mark.django_db
def test_the_shared_i_ready_sample_imports(world):
    side = world.a
    district = side.district
    year_with_windows(district, "2019-2020")
    for sid in ("604821", "604825", "604826"):
        f.make_student(district, side.school, local_id=sid, grade=3)

    run = services.scores_import(district=district, actor=None, path=DATA / "i-ready", format="iready")

    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.details["measures"] == {"iready-reading": 3, "iready-math": 3}
    assert any("repeats line 2" in w for w in run.warnings)  # the same math test twice
    assert any("Red Rush Flag" in w for w in run.warnings)
    imported = scores(district)
    ela = imported[("604826", "iready-reading")]
    assert (ela.score, ela.grade, ela.test_date) == (501, 4, dt.date(2019, 8, 20))  # 8/20/2019, the completion date
    assert ela.category == "One Grade Level Below"  # grade 4, placed at Level 3
    assert imported[("604821", "iready-reading")].category == "Early On Grade Level"  # K, Early K
    assert imported[("604825", "iready-math")].category == "One Grade Level Below"  # grade 7, placed at Level 6
    assert ela.window.label == "Fall 2019-2020"
    # The district has no policy version for 2019: no risk level, and the score says why.
    assert ela.tier is None and ela.risk_explanation == "no district policy version was in effect on the test date"


def test_i_ready_relative_placement():
    assert relative_placement("Level 3", 4) == "One Grade Level Below"
    assert relative_placement("Early 4", 4) == "Early On Grade Level"
    assert relative_placement("Mid 4", 4) == "Mid or Above Grade Level"
    assert relative_placement("Late K", 0) == "Mid or Above Grade Level"
    assert relative_placement("Level 1", 4) == "Three or More Grade Levels Below"
    assert relative_placement("Max Score", 2) == "Mid or Above Grade Level"
    assert relative_placement("Level 2", None) == "" and relative_placement("unknown", 3) == ""


STAR_HEADER = [
    "StudentIdentifier",
    "StudentStateID",
    "SchoolYear",
    "CompletedDate",
    "Grade",
    "ScaledScore",
    "StandardErrorOfMeasurement",
    "PercentileRank",
    "AssessmentID",
    "ScreeningPeriodWindowName",
    "DistrictBenchmarkCategoryName",
    "AssessmentStatus",
    "InstructionalReadingLevel",
    "Lexile",
]


@pytest.mark.django_db
def test_a_star_reading_export_imports_with_its_categories(world, tmp_path):
    side = world.a
    setup_district(side, preset="holland-patent-ny")
    s0, s1, s2 = side.students[:3]
    with tenant_context(side.district):
        Student.objects.filter(pk=s2.pk).update(state_id="NY-555")
    rows = [
        STAR_HEADER,
        [
            s0.local_id,
            "",
            "2026-2027",
            "2026-09-14 10:22:00",
            "2",
            "780",
            "30",
            "18",
            "A1",
            "Fall",
            "Low Cohort",
            "Active",
            "2.1",
            "310L",
        ],
        [
            s1.local_id,
            "",
            "2026-2027",
            "2026-09-15",
            "2",
            "990",
            "30",
            "61",
            "A2",
            "Fall",
            "High Cohort",
            "Active",
            "3.4",
            "520L",
        ],
        [
            "",
            "NY-555",
            "2026-2027",
            "2026-09-16",
            "2",
            "950",
            "30",
            "55",
            "A3",
            "Fall",
            "Middle Cohort",
            "Active",
            "3.0",
            "480L",
        ],
        [
            s1.local_id,
            "",
            "2026-2027",
            "2026-09-20",
            "2",
            "100",
            "30",
            "1",
            "A4",
            "Fall",
            "Low Cohort",
            "Deactivated",
            "",
            "",
        ],
    ]
    path = tmp_path / "SR_export.csv"
    path.write_bytes(csv_bytes(rows))

    run = services.scores_import(district=side.district, actor=None, path=path, format="star")

    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.details["skipped"] == {"deactivated Star tests": 1}
    imported = scores(side.district)
    low = imported[(s0.local_id, "star-reading")]
    assert (low.tier, low.risk_label, low.percentile, low.test_date) == (2, "low cohort", 18, dt.date(2026, 9, 14))
    assert imported[(s1.local_id, "star-reading")].tier == 1
    assert imported[(s2.local_id, "star-reading")].score == 950  # matched by state id


AIMSWEB_HEADER = [
    "Studentuid",
    "SSID",
    "StudentFirstName",
    "StudentLastName",
    "StudentGrade",
    "Period",
    "Type",
    "MeasureName",
    "Score",
    "ScaledScore",
    "CSEM",
    "AdministrationDate",
    "SchoolYear",
    "Natl",
    "RiskStatus",
]


@pytest.mark.django_db
def test_an_aimsweb_export_imports_with_day_first_dates(world, tmp_path):
    side = world.a
    setup_district(side)  # Loudon: maze grades 2-8, below the 25th national percentile
    s0, s1 = side.students[:2]
    rows = [
        AIMSWEB_HEADER,
        ["9001", s0.local_id, "A", "B", "2", "Fall", "BM", "Maze", "7", "", "", "15-09-2026", "'26-'27", "12", "HIGH"],
        ["9002", s1.local_id, "C", "D", "2", "Fall", "BM", "Maze", "15", "", "", "16-09-2026", "'26-'27", "55", "LOW"],
        [
            "9002",
            s1.local_id,
            "C",
            "D",
            "2",
            "Fall",
            "BM",
            "Vocabulary",
            "30",
            "",
            "",
            "16-09-2026",
            "'26-'27",
            "40",
            "LOW",
        ],
    ]
    path = tmp_path / "ScoreExportFile.txt"
    path.write_bytes(csv_bytes(rows, delimiter="\t"))

    run = services.scores_import(district=side.district, actor=None, path=path, format="aimsweb")

    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.details["skipped"] == {"measure 'Vocabulary' is not in the district's catalog": 1}
    imported = scores(side.district)
    low = imported[(s0.local_id, "aimsweb-maze")]
    assert low.test_date == dt.date(2026, 9, 15) and (low.tier, low.category) == (2, "HIGH")
    assert imported[(s1.local_id, "aimsweb-maze")].tier == 1


DIBELS_HEADER = [
    "School Year",
    "Student Last Name",
    "Student First Name",
    "Assessment",
    "Assessment Edition",
    "Assessment Grade",
    "Benchmark Period",
    "Composite Level",
    "Composite Score",
    "Composite - National Norm Percentile",
    "Reading Fluency (ORF) - Level",
    "Reading Fluency (ORF) - Score",
    "Reading Fluency (ORF) - National Norm Percentile",
    "Reading Comprehension (Maze) - Level",
    "Reading Comprehension (Maze) - Score",
    "Reading Comprehension (Maze) - National Norm Percentile",
    "Client Date",
    "Student Primary ID",
]


@pytest.mark.django_db
def test_a_dibels_8_student_summary_gives_a_score_per_measure(world, tmp_path):
    side = world.a
    setup_district(side)
    s0 = side.students[0]
    rows = [
        DIBELS_HEADER,
        [
            "2026-2027",
            "B",
            "A",
            "mCLASS",
            "DIBELS 8th Edition",
            "2",
            "BOY",
            "Below Benchmark",
            "380",
            "30",
            "Below Benchmark",
            "52",
            "28",
            "Well Below Benchmark",
            "Discontinue",
            "",
            "2026-09-10",
            s0.local_id,
        ],
        [
            "2026-2027",
            "B",
            "A",
            "mCLASS",
            "DIBELS Next",
            "2",
            "BOY",
            "",
            "380",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "2026-09-10",
            s0.local_id,
        ],
    ]
    path = tmp_path / "StudentSummary.csv"
    path.write_bytes(csv_bytes(rows))

    run = services.scores_import(district=side.district, actor=None, path=path, format="dibels8")

    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.details["measures"] == {"dibels8-composite": 1, "dibels8-orf": 1}  # Maze was discontinued
    assert run.details["skipped"] == {"rows of DIBELS Next (not DIBELS 8)": 1}
    imported = scores(side.district)
    composite = imported[(s0.local_id, "dibels8-composite")]
    assert (composite.score, composite.percentile, composite.category) == (380, 30, "Below Benchmark")
    assert composite.window.season == "fall"


@pytest.mark.django_db
def test_a_generic_csv_imports_through_its_saved_mapping(world, tmp_path):
    side = world.a
    setup_district(side)
    s0, s1 = side.students[:2]
    with tenant_context(side.district):
        mapping = services.mapping_save(
            district=side.district,
            actor=None,
            name="Benchmark sheet",
            columns={
                "student_id": "Élève",
                "date": "Test date",
                "score": "Correct",
                "percentile": "PR",
                "measure": "Test",
            },
            measure=None,
        )
    rows = [
        ["Élève", "Test date", "Test", "Correct", "PR"],
        [s0.local_id, "9/14/2026", "aimsweb-maze", "6", "9"],
        [s1.local_id, "2026-09-15", "aimsweb-rcbm", "71", "40"],
    ]
    path = tmp_path / "benchmarks.csv"
    path.write_bytes(csv_bytes(rows, encoding="cp1252", delimiter=";"))

    run = services.scores_import(district=side.district, actor=None, path=path, format="generic", mapping=mapping)

    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.details["encodings"] == {"benchmarks.csv": "windows-1252"}
    imported = scores(side.district)
    assert imported[(s0.local_id, "aimsweb-maze")].tier == 2
    # R-CBM is Loudon's grade 1 measure; this student is in grade 2: imported, not banded.
    assert imported[(s1.local_id, "aimsweb-rcbm")].risk_label == "not screened under the policy"


@pytest.mark.django_db
def test_a_generic_csv_missing_a_mapped_column_is_refused_naming_it(world, tmp_path):
    side = world.a
    setup_district(side)
    with tenant_context(side.district):
        maze = services.Measure.objects.get(district=side.district, key="aimsweb-maze")
        mapping = services.mapping_save(
            district=side.district,
            actor=None,
            name="Sheet",
            columns={"student_id": "Student", "date": "Date", "score": "Score"},
            measure=maze,
        )
    path = tmp_path / "sheet.csv"
    path.write_bytes(csv_bytes([["Student", "When", "Score"], [side.students[0].local_id, "9/14/2026", "5"]]))
    run = services.scores_import(district=side.district, actor=None, path=path, format="generic", mapping=mapping)
    assert run.status == ImportRun.Status.REFUSED and run.plan.refused_whole
    assert run.errors == [
        {"file": "sheet.csv", "line": 1, "column": "Date", "reason": "this required column is missing from the header"}
    ]

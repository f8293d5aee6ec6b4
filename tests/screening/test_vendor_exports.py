"""Real vendor export shapes import cleanly, or are refused with the fix named (issue #15, scope 5).

Each test imports a small synthetic file in the layout of a real export (tests/data/vendors,
PROVENANCE.md): the header rows are the vendors', the rows invented. Expected values are
read off the files by hand.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from django.core.management import CommandError, call_command

from mtss.models import AuditEvent, SchoolYear
from mtss.tenancy import tenant_context
from screening import services
from screening.models import Measure, Score
from students.models import ImportRun
from tests import factories as f
from tests.screening.helpers import DATA, csv_bytes, setup_district

VENDORS = DATA / "vendors"


def roster(side, grades: dict[str, int]) -> None:
    """The students the files name (S1001...), at the side's school."""
    for local_id, grade in grades.items():
        f.make_student(side.district, side.school, local_id=local_id, grade=grade)


def year_with_windows(district, name: str) -> None:
    start = int(name[:4])
    with tenant_context(district):
        year = SchoolYear.objects.create(
            district=district, name=name, start_date=dt.date(start, 7, 15), end_date=dt.date(start + 1, 6, 30)
        )
        services.windows_default(district=district, actor=None, school_year=year)


def stored(district) -> dict[tuple[str, str], Score]:
    with tenant_context(district):
        return {
            (s.student.local_id, s.measure.key): s
            for s in Score.objects.filter(district=district).select_related("student", "measure")
        }


def reasons(run) -> dict[int | None, str]:
    return {e["line"]: e["reason"] for e in run.errors}


# --- Star ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_star_enterprise_files_are_read_by_their_activity_type_not_their_literacy_column(world):
    side = world.a
    setup_district(side, preset="holland-patent-ny")
    roster(side, {"S1001": 3, "S1002": 3, "S1003": 1})

    run = services.scores_import(district=side.district, actor=None, path=VENDORS / "star-enterprise", format="star")

    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    # Both files carry `Literacy Classification`; only the Early Literacy test is Early Literacy.
    assert run.details["measures"] == {"star-math": 2, "star-reading": 1, "star-early-literacy": 1}
    scores = stored(side.district)
    math = scores[("S1001", "star-math")]
    assert (math.score, math.percentile, math.test_date) == (512, 24, dt.date(2026, 9, 14))  # not the unified 812
    assert scores[("S1002", "star-reading")].score == 455
    assert scores[("S1003", "star-early-literacy")].score == 602
    assert ("S1001", "star-early-literacy") not in scores


# --- DIBELS 8 -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_mclass_percentile_bounds_and_a_blank_client_date_import(world):
    side = world.a
    setup_district(side)
    roster(side, {"S1001": 3, "S1002": 3, "S1003": 3})

    run = services.scores_import(
        district=side.district, actor=None, path=VENDORS / "dibels8-mclass.csv", format="dibels8"
    )

    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.details["measures"] == {"dibels8-composite": 3, "dibels8-orf": 3}
    scores = stored(side.district)
    low, high = scores[("S1001", "dibels8-composite")], scores[("S1002", "dibels8-composite")]
    assert (low.score, low.percentile) == (298, 1)  # "<1": stored as the bound
    assert (high.score, high.percentile) == (520, 99)  # ">99"
    assert scores[("S1001", "dibels8-orf")].percentile == 1
    assert high.test_date == dt.date(2026, 9, 12)  # blank Client Date: the Sync Date
    assert scores[("S1003", "dibels8-composite")].test_date == dt.date(2026, 9, 11)
    assert "rows without a Client Date: the Sync Date was used as the test date: 1" in run.warnings


# --- aimswebPlus ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_aimsweb_composites_are_stored_and_concepts_and_applications_is_not_the_math_composite(world):
    side = world.a
    setup_district(side)
    roster(side, {"S1001": 3, "S1003": 1})

    run = services.scores_import(
        district=side.district, actor=None, path=VENDORS / "aimsweb-composites.txt", format="aimsweb"
    )

    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.details["measures"] == {"aimsweb-reading": 1, "aimsweb-math": 2, "aimsweb-early-literacy": 1}
    assert run.details["skipped"] == {"measure 'Concepts & Applications' is not in the district's catalog": 1}
    scores = stored(side.district)
    assert scores[("S1001", "aimsweb-math")].score == 398  # the "Math" composite, not C&A's 14
    assert scores[("S1003", "aimsweb-math")].score == 305  # "Early Numeracy"
    assert scores[("S1001", "aimsweb-reading")].test_date == dt.date(2026, 9, 15)


# --- NWEA MAP -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_zipped_cdf_folder_with_combined_subject_columns_and_a_singular_students_file_imports(world, tmp_path):
    side = world.a
    setup_district(side)
    roster(side, {"S1001": 3, "S1002": 3})
    # "Compress" on the folder: the files sit under CDF-Fall2026/ inside the zip.
    archive = shutil.make_archive(
        str(tmp_path / "cdf"), "zip", root_dir=VENDORS / "nwea-combined", base_dir="CDF-Fall2026"
    )

    run = services.scores_import(district=side.district, actor=None, path=archive, format="nwea-map")

    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.details["measures"] == {"map-math": 1, "map-reading": 1}
    assert run.details["skipped"] == {"measure 'Language Usage' is not in the district's catalog": 1}
    scores = stored(side.district)
    math = scores[("S1001", "map-math")]
    assert (math.score, math.percentile, math.test_date) == (188, 22, dt.date(2026, 9, 16))
    assert math.grade == 4  # from StudentBySchool.csv (singular), not the roster's 3
    assert "files of the export not used: ClassAssignments.csv" in run.warnings


@pytest.mark.django_db
def test_a_zip_of_two_folders_is_refused_naming_what_it_holds(world, tmp_path):
    side = world.a
    setup_district(side)
    for name in ("one", "two"):
        shutil.copytree(VENDORS / "nwea-combined" / "CDF-Fall2026", tmp_path / "src" / name)
    archive = shutil.make_archive(str(tmp_path / "two"), "zip", root_dir=tmp_path / "src")
    run = services.scores_import(district=side.district, actor=None, path=archive, format="nwea-map")
    assert run.status == ImportRun.Status.REFUSED
    assert "no AssessmentResults CSV file" in run.errors[0]["reason"]


# --- test dates -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_day_first_files_read_ambiguous_dates_day_first(world):
    side = world.a
    setup_district(side)
    year_with_windows(side.district, "2019-2020")
    roster(side, {"S1001": 3, "S1002": 3, "S1003": 3})

    run = services.scores_import(
        district=side.district, actor=None, path=VENDORS / "nwea-day-first.csv", format="nwea-map"
    )

    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    scores = stored(side.district)
    assert scores[("S1002", "map-reading")].test_date == dt.date(2019, 9, 11)  # not 9 November
    assert scores[("S1003", "map-reading")].test_date == dt.date(2019, 10, 2)
    assert scores[("S1001", "map-reading")].test_date == dt.date(2019, 9, 25)


@pytest.mark.django_db
def test_dates_far_outside_the_terms_school_year_or_in_the_future_are_refused_per_row(world):
    side = world.a
    setup_district(side)
    year_with_windows(side.district, "2019-2020")
    roster(side, {"S1001": 3, "S1002": 3, "S1003": 3})
    path = VENDORS / "nwea-out-of-range.csv"

    refused = services.scores_import(district=side.district, actor=None, path=path, format="nwea-map")
    assert refused.status == ImportRun.Status.REFUSED
    why = reasons(refused)
    assert why[2].startswith("2003-09-16 is outside the school year 2019-2020 (2019-07-15 to 2020-06-30)")
    assert why[3].startswith("2099-03-01 is in the future")
    assert {e["column"] for e in refused.errors} == {"TestStartDate"}

    partial = services.scores_import(
        district=side.district, actor=None, path=path, format="nwea-map", accept_valid_rows=True
    )
    assert partial.status == ImportRun.Status.PARTIAL
    assert set(stored(side.district)) == {("S1003", "map-reading")}


@pytest.mark.django_db
def test_excel_damaged_dates_with_two_digit_years_and_month_names_import(world):
    side = world.a
    setup_district(side)
    year_with_windows(side.district, "2020-2021")
    year_with_windows(side.district, "2022-2023")
    roster(side, {"S1001": 3, "S1002": 3})

    run = services.scores_import(
        district=side.district, actor=None, path=VENDORS / "iready-excel-dates.csv", format="iready"
    )

    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    scores = stored(side.district)
    assert scores[("S1001", "iready-math")].test_date == dt.date(2020, 10, 30)
    assert scores[("S1002", "iready-math")].test_date == dt.date(2022, 8, 18)


# --- counts and silent successes -------------------------------------------------------------------


@pytest.mark.django_db
def test_unmatched_ids_above_the_listing_limit_are_counted_once_each(world, tmp_path):
    side = world.a
    setup_district(side)
    header = ["TermName", "StudentID", "MeasurementScale", "TestStartDate", "TestRITScore"]
    rows = [header]
    for i in range(1500):  # 1,500 unknown ids, each with a reading and a math test
        for scale in ("Reading", "Mathematics"):
            rows.append(["Fall 2026-2027", f"X{i:05d}", scale, "09/16/2026", "200"])
    path = tmp_path / "AssessmentResults.csv"
    path.write_bytes(csv_bytes(rows))

    run = services.scores_import(district=side.district, actor=None, path=path, format="nwea-map")

    assert run.status == ImportRun.Status.REFUSED
    assert run.details["unmatched_total"] == 1500  # distinct ids, not 2,000 (rows past the first 1,000 ids)
    assert len(run.details["unmatched_students"]) == 1000
    assert run.details["unmatched_students"][0]["rows"] == 2


@pytest.mark.django_db
def test_a_header_only_score_file_is_refused_as_no_rows(world):
    side = world.a
    setup_district(side)
    path = VENDORS / "star-header-only.csv"

    run = services.scores_import(district=side.district, actor=None, path=path, format="star")

    assert run.status == ImportRun.Status.REFUSED
    assert run.errors[0]["reason"].startswith("no rows: the file has a header but no scores")
    with pytest.raises(CommandError) as ended:
        call_command("import_scores", "--district", side.district.slug, "--format", "star", str(path))
    assert ended.value.returncode == 2


# --- import names -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_district_admin_edits_a_measures_import_names_on_a_page(world, client, tmp_path):
    side = world.a
    setup_district(side)
    with tenant_context(side.district):
        maze = Measure.objects.get(district=side.district, key="aimsweb-maze")
        rcbm = Measure.objects.get(district=side.district, key="aimsweb-rcbm")
    client.force_login(side.district_admin)
    url = f"/screening/catalog/measures/{maze.pk}/"
    assert "Reading - Maze" in client.get(url).content.decode()

    response = client.post(url, {"import_names": "Maze\nMAZE Benchmark\nmaze\n"})
    assert response.status_code == 302
    with tenant_context(side.district):
        maze.refresh_from_db()
        assert maze.import_names == ["Maze", "MAZE Benchmark"]  # "maze" repeats "Maze"
        event = AuditEvent.objects.filter(district=side.district, verb="measure.update").latest("pk")
    assert event.changes["import_names"]["after"] == ["Maze", "MAZE Benchmark"]
    assert "Reading - Maze" in event.changes["import_names"]["before"]

    # An alias another aimswebPlus measure reads is refused, naming that measure.
    response = client.post(url, {"import_names": "Maze\nOral reading fluency"})
    assert response.status_code == 200
    assert "aimswebPlus Oral Reading Fluency (R-CBM) already reads this name" in response.content.decode()
    with tenant_context(side.district):
        maze.refresh_from_db()
        assert maze.import_names == ["Maze", "MAZE Benchmark"]
        rcbm.refresh_from_db()
        assert "ORF" in rcbm.import_names

    # The new name is what the importer reads.
    f.make_student(side.district, side.school, local_id="S1001", grade=3)
    rows = [
        ["SSID", "StudentGrade", "Period", "MeasureName", "Score", "AdministrationDate", "SchoolYear"],
        ["S1001", "3", "Fall", "MAZE Benchmark", "9", "15-09-2026", "'26-'27"],
    ]
    path = tmp_path / "ScoreExportFile.txt"
    path.write_bytes(csv_bytes(rows, delimiter="\t"))
    run = services.scores_import(district=side.district, actor=None, path=path, format="aimsweb")
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.details["measures"] == {"aimsweb-maze": 1}


@pytest.mark.django_db
def test_only_the_districts_admin_reaches_a_measures_import_names(world, client):
    side, other = world.a, world.b
    setup_district(side)
    setup_district(other)
    with tenant_context(other.district):
        theirs = Measure.objects.get(district=other.district, key="aimsweb-maze")
    with tenant_context(side.district):
        ours = Measure.objects.get(district=side.district, key="aimsweb-maze")
    client.force_login(side.district_admin)
    assert client.get(f"/screening/catalog/measures/{theirs.pk}/").status_code == 404
    client.force_login(side.psychologist)
    assert client.get(f"/screening/catalog/measures/{ours.pk}/").status_code == 404
    assert client.post(f"/screening/catalog/measures/{ours.pk}/", {"import_names": "x"}).status_code == 404

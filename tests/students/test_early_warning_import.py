"""Attendance, incident and grade importers (issue 17, item 1): validate all first, dry run,
all or nothing, the line named in every error, idempotent, and the issue's bad input."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from mtss.calendars.models import CalendarEvent
from mtss.tenancy import tenant_context
from students.early_warning.importers import attendance_import, grades_import, incident_types_set, incidents_import
from students.models import AttendanceDay, BehaviorIncident, CourseGrade, ImportRun, Student

pytestmark = pytest.mark.django_db


def _csv(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def _ids(world):
    return [s.local_id for s in world.a.students]


def _attendance(world):
    with tenant_context(world.a.district):
        return sorted(AttendanceDay.objects.values_list("student__local_id", "date", "status", "absent_share"))


def test_it_imports_attendance_and_a_second_import_changes_nothing(world, tmp_path):
    s1, s2, *_ = _ids(world)
    path = _csv(
        tmp_path,
        "attendance.csv",
        f"""student_id,date,status,absent_share
{s1},2026-09-01,P,
{s1},2026-09-02,A,
{s2},2026-09-01,E,
{s2},2026-09-02,H,25%
{s2},2026-09-03,T,""",
    )
    run = attendance_import(district=world.a.district, actor=world.a.district_admin, path=path)
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.counts == {"attendance_days": {"created": 5, "updated": 0, "unchanged": 0}}
    rows = _attendance(world)
    assert (s1, dt.date(2026, 9, 2), "absent_unexcused", 1) in [(a, b, c, float(d)) for a, b, c, d in rows]
    assert (s2, dt.date(2026, 9, 2), "partial", 0.25) in [(a, b, c, float(d)) for a, b, c, d in rows]
    again = attendance_import(district=world.a.district, actor=None, path=path)
    assert again.counts == {"attendance_days": {"created": 0, "updated": 0, "unchanged": 5}}
    assert len(_attendance(world)) == 5


def test_a_dry_run_counts_and_writes_nothing(world, tmp_path):
    s1 = _ids(world)[0]
    path = _csv(tmp_path, "a.csv", f"student_id,date,status\n{s1},2026-09-01,A")
    run = attendance_import(district=world.a.district, actor=None, path=path, dry_run=True)
    assert run.status == ImportRun.Status.DRY_RUN
    assert run.counts["attendance_days"]["created"] == 1
    assert _attendance(world) == []


def test_one_bad_row_refuses_the_whole_file_naming_line_and_column(world, tmp_path):
    s1 = _ids(world)[0]
    path = _csv(
        tmp_path,
        "a.csv",
        f"""student_id,date,status
{s1},2026-09-01,A
NOBODY,2026-09-01,A
{s1},2026-09-02,Q
{s1},1999-09-02,A""",
    )
    run = attendance_import(district=world.a.district, actor=None, path=path)
    assert run.status == ImportRun.Status.REFUSED
    by_line = {(e["line"], e["column"]): e["reason"] for e in run.errors}
    assert "no student of the district has the local id 'NOBODY'" in by_line[(3, "student_id")]
    assert "unknown attendance code 'Q'" in by_line[(4, "status")]
    assert "in none of the district's school years" in by_line[(5, "date")]
    assert _attendance(world) == []  # the valid first row was not written either


def test_another_districts_student_is_unknown(world, tmp_path):
    other = world.b.students[0].local_id
    path = _csv(tmp_path, "a.csv", f"student_id,date,status\n{other},2026-09-01,A")
    run = attendance_import(district=world.a.district, actor=None, path=path)
    assert run.status == ImportRun.Status.REFUSED
    assert run.errors[0]["line"] == 2


def test_attendance_on_a_day_without_school_is_a_warning(world, tmp_path):
    s1 = _ids(world)[0]
    with tenant_context(world.a.district):
        CalendarEvent.objects.create(
            district=world.a.district,
            kind=CalendarEvent.Kind.HOLIDAY,
            name="Labor Day",
            start_date=dt.date(2026, 9, 7),
            end_date=dt.date(2026, 9, 7),
        )
    path = _csv(
        tmp_path,
        "a.csv",
        f"""student_id,date,status
{s1},2026-09-07,A
{s1},2026-09-05,A
{s1},2026-09-08,A""",
    )
    run = attendance_import(district=world.a.district, actor=None, path=path)
    assert run.status == ImportRun.Status.SUCCEEDED
    (warning,) = run.warnings
    assert warning["code"] == "non_instructional_day" and warning["count"] == 2
    assert "line 2 (2026-09-07)" in warning["text"] and "line 3 (2026-09-05)" in warning["text"]


def test_the_same_day_twice_with_different_codes_is_refused(world, tmp_path):
    s1 = _ids(world)[0]
    path = _csv(tmp_path, "a.csv", f"student_id,date,status\n{s1},2026-09-01,A\n{s1},2026-09-01,P")
    run = attendance_import(district=world.a.district, actor=None, path=path)
    assert run.status == ImportRun.Status.REFUSED
    assert run.errors[0]["line"] == 3
    assert "given differently on line 2" in run.errors[0]["reason"]


def test_a_big_change_to_a_schools_history_needs_confirmation(world, tmp_path):
    ids = _ids(world)[:3]
    days = [dt.date(2026, 9, d) for d in (1, 2, 3, 4)]
    first = "\n".join(f"{s},{d.isoformat()},P" for s in ids for d in days)
    attendance_import(
        district=world.a.district, actor=None, path=_csv(tmp_path, "a.csv", "student_id,date,status\n" + first)
    )
    # Marks 3 of the 12 recorded days absent: 25 %, above the default 10 %.
    change = "\n".join(f"{s},2026-09-01,A" for s in ids)
    path = _csv(tmp_path, "b.csv", "student_id,date,status\n" + change)
    run = attendance_import(district=world.a.district, actor=None, path=path)
    assert run.status == ImportRun.Status.REFUSED
    (message,) = run.details["needs_confirmation"]
    assert world.a.school.name in message and "changes 3 of the 12" in message and "25.0 %" in message
    assert {r[2] for r in _attendance(world) if r[1] == days[0]} == {"present"}
    confirmed = attendance_import(district=world.a.district, actor=None, path=path, confirm=True)
    assert confirmed.status == ImportRun.Status.SUCCEEDED
    assert confirmed.counts["attendance_days"]["updated"] == 3
    assert {r[2] for r in _attendance(world) if r[1] == days[0]} == {"absent_unexcused"}


def test_a_powerschool_shaped_export_reads_with_its_own_headers(world, tmp_path):
    s1 = _ids(world)[0]
    path = _csv(tmp_path, "ps.csv", f"Student_Number,Att_Date,Att_Code\n{s1},09/01/2026,A")
    run = attendance_import(district=world.a.district, actor=None, path=path, shape="powerschool")
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert _attendance(world)[0][1] == dt.date(2026, 9, 1)


def test_a_column_mapping_and_district_codes(world, tmp_path):
    s1 = _ids(world)[0]
    path = _csv(tmp_path, "x.csv", f"Pupil,Day,Mark\n{s1},2026-09-01,ABX")
    run = attendance_import(
        district=world.a.district,
        actor=None,
        path=path,
        mapping={"student_id": "Pupil", "date": "Day", "status": "Mark"},
        codes={"ABX": "absent_excused"},
    )
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert _attendance(world)[0][2] == "absent_excused"


# --- incidents ----------------------------------------------------------------------------------


def test_an_incident_of_an_unknown_type_is_refused_with_its_line(world, tmp_path):
    s1 = _ids(world)[0]
    incident_types_set(district=world.a.district, actor=None, types=[("fight", "Fighting"), ("defy", "Defiance")])
    path = _csv(
        tmp_path,
        "incidents.csv",
        f"""incident_id,student_id,date,type,location,action
I-1,{s1},2026-10-01,fight,Cafeteria,ODR
I-2,{s1},2026-10-02,vaping,Restroom,OSS""",
    )
    run = incidents_import(district=world.a.district, actor=None, path=path)
    assert run.status == ImportRun.Status.REFUSED
    (error,) = run.errors
    assert (error["line"], error["column"]) == (3, "type")
    assert "unknown incident type 'vaping'" in error["reason"] and "defy, fight" in error["reason"]
    with tenant_context(world.a.district):
        assert not BehaviorIncident.objects.exists()


def test_incidents_import_and_reimport_by_incident_id(world, tmp_path):
    s1 = _ids(world)[0]
    incident_types_set(district=world.a.district, actor=None, types=[("fight", "Fighting")])
    text = f"""incident_id,student_id,date,type,location,action,suspension_days
I-1,{s1},2026-10-01,Fighting,Cafeteria,office referral,
I-2,{s1},2026-10-02,fight,Gym,OSS,2"""
    run = incidents_import(district=world.a.district, actor=None, path=_csv(tmp_path, "i.csv", text))
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.counts == {"incidents": {"created": 2, "updated": 0, "unchanged": 0}}
    again = incidents_import(
        district=world.a.district, actor=None, path=_csv(tmp_path, "j.csv", text.replace("Gym,OSS,2", "Gym,ISS,1"))
    )
    assert again.counts == {"incidents": {"created": 0, "updated": 1, "unchanged": 1}}
    with tenant_context(world.a.district):
        assert BehaviorIncident.objects.get(reference="I-2").action == "in_school_suspension"


# --- grades ---------------------------------------------------------------------------------------


def test_a_grade_outside_the_scale_is_refused(world, tmp_path):
    s1 = _ids(world)[0]
    path = _csv(
        tmp_path,
        "grades.csv",
        f"""student_id,term,course_code,mark,credits_attempted
{s1},S1,ALG1,B+,0.5
{s1},S1,ENG9,E,0.5
{s1},S1,BIO,104,0.5
{s1},S1,ART,-3,0.5""",
    )
    run = grades_import(district=world.a.district, actor=None, path=path)
    assert run.status == ImportRun.Status.REFUSED
    by_line = {e["line"]: e for e in run.errors}
    assert set(by_line) == {3, 4, 5}
    assert all(e["column"] == "mark" for e in run.errors)
    assert "'E' is not on the grading scale" in by_line[3]["reason"]
    assert "above 100" in by_line[4]["reason"]
    with tenant_context(world.a.district):
        assert not CourseGrade.objects.exists()


def test_grades_import_with_percentages_on_the_policy_scale(world, tmp_path):
    s1 = _ids(world)[0]
    path = _csv(
        tmp_path,
        "grades.csv",
        f"""student_id,school_year,term,course_code,course_name,mark,credits_attempted,credits_earned
{s1},2026-2027,S1,ALG1,Algebra I,55,0.5,0
{s1},2026-2027,S1,ENG9,English 9,A-,0.5,0.5""",
    )
    run = grades_import(district=world.a.district, actor=None, path=path)
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    with tenant_context(world.a.district):
        marks = {g.course_code: (float(g.grade_points), g.failed) for g in CourseGrade.objects.all()}
    assert marks == {"ALG1": (0.0, True), "ENG9": (3.7, False)}


# --- course grades from a OneRoster 1.2 gradebook ------------------------------------------------

GRADEBOOK = Path(__file__).resolve().parents[1] / "data" / "oneroster-gradebook"


def _gradebook(world, tmp_path, **replace):
    """The fixture package (tests/data/oneroster-gradebook) with its first student known by sourcedId."""
    package = tmp_path / "gradebook"
    shutil.copytree(GRADEBOOK, package)
    for name, text in replace.items():
        (package / name).write_text(text, encoding="utf-8")
    with tenant_context(world.a.district):
        Student.objects.filter(pk=world.a.students[0].pk).update(sourced_id="STU-1")
    return package


def test_oneroster_term_marks_become_course_grades_and_assignments_are_skipped(world, tmp_path):
    package = _gradebook(world, tmp_path)
    dry = grades_import(district=world.a.district, actor=None, path=package, shape="oneroster", dry_run=True)
    assert dry.status == ImportRun.Status.DRY_RUN, dry.errors
    assert dry.counts["course_grades"]["created"] == 2
    run = grades_import(district=world.a.district, actor=None, path=package, shape="oneroster")
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.format == "grades-oneroster"
    assert run.details["skipped"] == {
        "assignment results (not a term mark)": 1,
        "term marks not fully graded": 1,
    }
    with tenant_context(world.a.district):
        grades = {
            g.course_code: (g.term, g.school_year.name, g.course_name, g.mark, float(g.grade_points), g.failed)
            for g in CourseGrade.objects.select_related("school_year")
        }
    # Algebra: 110 of resultValueMax 200 is 55 %, a failing mark on the policy's scale.
    assert grades == {
        "ALG1": ("S1", "2026-2027", "Algebra I", "55", 0.0, True),
        "ENG9": ("S1", "2026-2027", "English 9", "A-", 3.7, False),
    }
    again = grades_import(district=world.a.district, actor=None, path=package, shape="oneroster")
    assert again.counts["course_grades"] == {"created": 0, "updated": 0, "unchanged": 2}


def test_a_bad_gradebook_names_the_results_line_and_its_oneroster_column(world, tmp_path):
    results = (GRADEBOOK / "results.csv").read_text(encoding="utf-8") + (
        "R5,active,2026-12-01T00:00:00Z,,LI-ENG,NOBODY,fully graded,,2027-01-15,,B\n"
        "R6,active,2026-12-01T00:00:00Z,,LI-GONE,STU-1,fully graded,90,2027-01-15,,\n"
        "R7,active,2026-12-01T00:00:00Z,,LI-ALG,STU-1,fully graded,abc,2027-01-15,,\n"
    )
    package = _gradebook(world, tmp_path, **{"results.csv": results})
    run = grades_import(district=world.a.district, actor=None, path=package, shape="oneroster")
    assert run.status == ImportRun.Status.REFUSED
    found = {(e["file"], e["line"], e["column"]) for e in run.errors}
    assert found == {
        ("results.csv", 6, "studentSourcedId"),
        ("results.csv", 7, "lineItemSourcedId"),
        ("results.csv", 8, "score"),
    }
    assert "OneRoster sourcedId 'NOBODY'" in next(e["reason"] for e in run.errors if e["line"] == 6)
    with tenant_context(world.a.district):
        assert not CourseGrade.objects.exists()


def test_a_package_without_a_gradebook_is_refused_by_name(world, tmp_path):
    package = _gradebook(world, tmp_path)
    (package / "results.csv").unlink()
    run = grades_import(district=world.a.district, actor=None, path=package, shape="oneroster")
    assert run.status == ImportRun.Status.REFUSED
    assert "no results.csv" in run.errors[0]["reason"]

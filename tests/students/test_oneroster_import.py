"""OneRoster 1.1 / 1.2 CSV roster import (students.importers, students.services.roster_import).

The three samples in tests/data/oneroster (see PROVENANCE.md) are real fixtures of
another project; the broken, delta, zip and re-encoded variants are derived from
them in each test. Expected counts are worked out by hand from the files:

* one org, `org-sch-222-456`, a *department* whose parent is in no file: it becomes
  the school ("History Department");
* one academicSessions row of type schoolYear (schoolYear 2023): "2022-2023";
* users: teachers john.doe and jim.smith, students mary, mmichel and anna, parent
  thomas. In 1.2, roles.csv makes thomas a siteAdministrator (principal) and john
  also a guardian; the students mary and mmichel name john as their agent;
* enrolments: mmichel is the only *student* user enrolled (jim, a teacher, is
  enrolled as a student: ignored), in two classes of the same year: one Enrollment;
  john teaches both classes: one grant, john -> mmichel.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from mtss.models import AuditEvent, Membership, MembershipSchool, Role, School, SchoolYear, User
from mtss.tenancy import tenant_context
from students.access import visible_students
from students.importers import csvio
from students.importers.csvio import header_key, parse_date, parse_datetime
from students.models import Enrollment, Guardian, ImportRun, Student, StudentUserObjectPermission
from students.services import roster_import
from tests import factories as f

DATA = Path(__file__).resolve().parent.parent / "data" / "oneroster"
SAMPLES = ["v1p1-full", "v1p1-minimal", "v1p2-full"]
ENTITIES = ["schools", "school_years", "staff", "students", "guardians", "enrollments", "grants"]
CREATED = {  # by hand, from the files (module docstring)
    "v1p1-full": dict(schools=1, school_years=1, staff=2, students=3, guardians=1, enrollments=1, grants=1),
    "v1p1-minimal": dict(schools=1, school_years=1, staff=2, students=3, guardians=0, enrollments=1, grants=1),
    "v1p2-full": dict(schools=1, school_years=1, staff=3, students=3, guardians=2, enrollments=1, grants=1),
}
MARY, MMICHEL, ANNA, JOHN, JIM, THOMAS = (
    "usr-222-66778899",
    "usr-222-1234561232",
    "usr-222-567891",
    "usr-222-123456",
    "usr-222-987654",
    "usr-222-1234561",
)


# --- helpers -------------------------------------------------------------------------------------


def copy_sample(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(DATA / name, target)
    return target


def edit_csv(path: Path, line: int, **values) -> None:
    """Set cells of the row on physical `line` (the header is line 1) by column name."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    for column, value in values.items():
        rows[line - 1][header.index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def drop_lines(path: Path, *lines: int) -> None:
    kept = [text for number, text in enumerate(path.read_text().splitlines(keepends=True), 1) if number not in lines]
    path.write_text("".join(kept))


def write_manifest(folder: Path, version: str = "1.1", **modes) -> None:
    files = ["academicSessions", "classes", "demographics", "enrollments", "orgs", "users"]
    lines = ["propertyName,value", "manifest.version,1.0", f"oneroster.version,{version}"]
    lines += [f"file.{name},{modes.get(name, 'absent')}" for name in files]
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n")


def run(district, path, **options):
    return roster_import(district=district, actor=options.pop("actor", None), path=path, **options)


def created(import_run) -> dict:
    return {entity: import_run.counts[entity]["created"] for entity in ENTITIES}


def snapshot(district) -> dict:
    """Everything an import may touch in one district, as plain values."""
    with tenant_context(district):
        return {
            "schools": list(School.objects.filter(district=district).order_by("id").values()),
            "years": list(SchoolYear.objects.filter(district=district).order_by("id").values()),
            "memberships": list(Membership.objects.filter(district=district).order_by("id").values()),
            "membership_schools": list(MembershipSchool.objects.filter(district=district).order_by("id").values()),
            "students": list(Student.objects.filter(district=district).order_by("id").values()),
            "guardians": list(Guardian.objects.filter(district=district).order_by("id").values()),
            "enrollments": list(Enrollment.objects.filter(district=district).order_by("id").values()),
            "grants": list(StudentUserObjectPermission.objects.filter(district=district).order_by("id").values()),
        }


def student(district, sourced_id) -> Student:
    with tenant_context(district):
        return Student.objects.select_related("school").get(district=district, sourced_id=sourced_id)


def membership(district, sourced_id) -> Membership:
    with tenant_context(district):
        return Membership.objects.select_related("user").get(district=district, sourced_id=sourced_id)


def errors_of(import_run) -> set[tuple]:
    return {(e["file"], e["line"], e["column"]) for e in import_run.errors}


# --- the samples -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_it_imports_each_sample_with_the_counts_worked_out_by_hand(world, name):
    district = world.a.district
    result = run(district, DATA / name)
    assert result.status == ImportRun.Status.SUCCEEDED, result.errors
    assert created(result) == CREATED[name]
    assert result.error_count == 0 and result.errors == []
    assert result.format == ("oneroster-1.2" if name == "v1p2-full" else "oneroster-1.1")
    assert result.file_name == name and result.kind == "roster" and result.finished_at >= result.started_at
    with tenant_context(district):
        school = School.objects.get(district=district, sourced_id="org-sch-222-456")
        year = SchoolYear.objects.get(district=district, sourced_id="as-grp-222-3456")
        assert Student.objects.filter(district=district, school=school).count() == 3
    assert school.name == "History Department"
    assert (year.name, year.start_date, year.end_date) == ("2022-2023", dt.date(2022, 10, 2), dt.date(2022, 12, 24))
    for sid in (JOHN, JIM):
        teacher = membership(district, sid)
        assert teacher.role == Role.TEACHER and teacher.is_active
        with tenant_context(district):
            assert list(teacher.schools.all()) == [school]
        assert not teacher.user.has_usable_password()  # roster passwords are never imported
    pupil = student(district, MMICHEL)
    assert (pupil.first_name, pupil.last_name) == ("mmichel", "Jones")
    with tenant_context(district):
        enrollment = Enrollment.objects.get(district=district, student=pupil)
    assert (enrollment.school_id, enrollment.school_year_id) == (school.pk, year.pk)
    assert any("department" in w for w in result.warnings)
    assert any("usr-222-987654 is enrolled as a student" in w for w in result.warnings)


def test_the_full_1_1_sample_keeps_grades_dates_contacts_and_codes(world):
    district = world.a.district
    run(district, DATA / "v1p1-full")
    mary, anna, mmichel = student(district, MARY), student(district, ANNA), student(district, MMICHEL)
    assert (mary.local_id, mary.grade, mary.middle_name) == ("mary.jones", 12, "Jane")
    assert anna.grade == 11 and mmichel.entry_date == dt.date(2022, 3, 15)
    assert (mary.school.code, mary.school.grade_low, mary.school.grade_high) == ("History", 11, 12)
    assert mary.birth_date == dt.date(1900, 1, 1)  # no demographics.csv: the documented placeholder
    with tenant_context(district):
        (guardian,) = Guardian.objects.filter(district=district).exclude(sourced_id="")
        enrollment = Enrollment.objects.get(district=district, student=mmichel)
    assert (guardian.student_id, guardian.first_name, guardian.relationship) == (mary.pk, "Thomas", "parent")
    assert (guardian.email, guardian.sourced_id) == ("thomas.jones@testemail.com", THOMAS)
    assert (enrollment.start_date, enrollment.end_date, enrollment.grade) == (
        dt.date(2022, 3, 15),
        dt.date(2022, 6, 15),
        12,
    )
    john = membership(district, JOHN).user
    assert (john.username, john.email, john.first_name) == ("john.doe", "john.doe@myschool.com", "John")


def test_the_minimal_sample_gets_placeholders_and_warnings(world):
    district = world.a.district
    result = run(district, DATA / "v1p1-minimal")
    mary = student(district, MARY)
    assert mary.local_id == MARY  # no identifier: the sourcedId is the local id
    assert mary.grade == mary.school.grade_low == 0  # no grades: the school's lowest grade, with a warning
    assert mary.entry_date == dt.date(2022, 10, 2)  # the roster's school year starts
    assert any("no grade" in w for w in result.warnings)
    assert any(THOMAS in w and "no student" in w for w in result.warnings)
    john = membership(district, JOHN).user
    assert john.email == f"usr-222-123456.{district.slug}@roster.invalid"  # blank e-mail: never delivered


def test_the_1_2_sample_reads_roles_csv_and_misspelt_headers(world):
    district = world.a.district
    result = run(district, DATA / "v1p2-full")
    assert student(district, MARY).preferred_name == "MJ"  # from the misspelt prefferedGivenName column
    assert student(district, MMICHEL).preferred_name == ""
    assert membership(district, THOMAS).role == Role.PRINCIPAL  # siteAdministrator
    assert membership(district, JOHN).role == Role.TEACHER  # primary role; guardian is secondary
    with tenant_context(district):
        guardians = Guardian.objects.filter(district=district, sourced_id=JOHN)
        assert sorted(g.student.sourced_id for g in guardians) == sorted([MARY, MMICHEL])
        assert {g.relationship for g in guardians} == {"guardian"}
    assert "column 'prefferedGivenName' read as preferredGivenName" in " ".join(result.warnings)
    assert "column 'dataLastModified' read as dateLastModified" in " ".join(result.warnings)


@pytest.mark.parametrize("name", SAMPLES)
def test_importing_the_same_files_again_changes_nothing(world, name):
    district = world.a.district
    run(district, DATA / name)
    before = snapshot(district)
    users = User.objects.count()
    again = run(district, DATA / name)
    assert again.status == ImportRun.Status.SUCCEEDED
    for entity in ENTITIES:
        counts = again.counts[entity]
        assert (counts["created"], counts["updated"], counts["deleted"]) == (0, 0, 0), entity
        assert counts["unchanged"] == CREATED[name][entity]
    assert snapshot(district) == before and User.objects.count() == users


def test_a_zip_archive_imports_like_the_folder(world, tmp_path):
    archive = tmp_path / "roster.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted((DATA / "v1p2-full").iterdir()):
            handle.write(path, f"export-2025/{path.name}")  # files inside a folder of the zip
    result = run(world.a.district, archive)
    assert result.status == ImportRun.Status.SUCCEEDED and created(result) == CREATED["v1p2-full"]
    assert result.file_name == "roster.zip"
    assert created(run(world.a.district, archive)) == dict.fromkeys(ENTITIES, 0)


# --- all or nothing -----------------------------------------------------------------------------------


def broken_roster(tmp_path: Path) -> Path:
    """v1p1-full with a missing required value, a bad date and an unknown school."""
    folder = copy_sample(tmp_path, "v1p1-full")
    edit_csv(folder / "users.csv", 3, givenName="")  # mary
    edit_csv(folder / "enrollments.csv", 3, schoolSourcedId="org-nope")  # jim "as a student"
    edit_csv(folder / "enrollments.csv", 5, beginDate="2022-13-45")  # john's second class
    return folder


EXPECTED_ERRORS = [
    {"file": "users.csv", "line": 3, "column": "givenName", "reason": "a value is required"},
    {
        "file": "enrollments.csv",
        "line": 5,
        "column": "beginDate",
        "reason": "'2022-13-45' is not a date on the calendar",
    },
    {
        "file": "enrollments.csv",
        "line": 3,
        "column": "schoolSourcedId",
        "reason": "org org-nope is not in orgs.csv nor a school of this district",
    },
]


def test_one_bad_row_refuses_the_whole_import_with_line_column_and_reason(world, tmp_path):
    district = world.a.district
    before = snapshot(district)
    users = User.objects.count()
    result = run(district, broken_roster(tmp_path))
    assert result.status == ImportRun.Status.REFUSED
    assert sorted(result.errors, key=str) == sorted(EXPECTED_ERRORS, key=str)
    assert result.error_count == 3
    assert snapshot(district) == before and User.objects.count() == users
    # the counts still say what the valid rows would have done
    assert result.counts["students"]["created"] == 2 and result.counts["students"]["rejected"] == 1
    with tenant_context(district):
        assert not AuditEvent.objects.filter(district=district, verb="roster.import").exists()
        assert ImportRun.objects.get(district=district).pk == result.pk


def test_accept_valid_rows_writes_the_valid_ones(world, tmp_path):
    district = world.a.district
    result = run(district, broken_roster(tmp_path), accept_valid_rows=True)
    assert result.status == ImportRun.Status.PARTIAL
    assert created(result) == dict(schools=1, school_years=1, staff=2, students=2, guardians=0, enrollments=1, grants=1)
    assert {e: result.counts[e]["rejected"] for e in ENTITIES} == dict(
        schools=0, school_years=0, staff=0, students=1, guardians=0, enrollments=1, grants=1
    )
    with tenant_context(district):
        assert sorted(
            Student.objects.filter(district=district).exclude(sourced_id="").values_list("sourced_id", flat=True)
        ) == sorted([MMICHEL, ANNA])
        assert AuditEvent.objects.filter(district=district, verb="roster.import", object_id=result.pk).exists()
    # importing it again: nothing new, the same rows rejected again
    again = run(district, broken_roster(tmp_path / "again"), accept_valid_rows=True)
    assert created(again) == dict.fromkeys(ENTITIES, 0) and again.error_count == 3


def test_a_partial_import_does_not_end_what_a_rejected_row_would_have_kept(world, tmp_path):
    district = world.a.district
    run(district, DATA / "v1p1-full")
    folder = copy_sample(tmp_path, "v1p1-full")
    edit_csv(folder / "enrollments.csv", 4, beginDate="someday")  # mmichel in john's class
    result = run(district, folder, accept_valid_rows=True)
    assert result.status == ImportRun.Status.PARTIAL
    assert errors_of(result) == {("enrollments.csv", 4, "beginDate")}
    assert result.counts["enrollments"]["deleted"] == 0 and result.counts["grants"]["deleted"] == 0
    with tenant_context(district):
        assert Enrollment.objects.get(district=district, student__sourced_id=MMICHEL).end_date == dt.date(2022, 6, 15)
        assert [s.sourced_id for s in visible_students(district=district, membership=membership(district, JOHN))] == [
            MMICHEL
        ]


def test_a_1_2_roster_without_roles_csv_is_refused_with_a_clear_message(world, tmp_path):
    folder = copy_sample(tmp_path, "v1p2-full")
    text = (folder / "manifest.csv").read_text().replace("file.roles,bulk", "file.roles,absent")
    (folder / "manifest.csv").write_text(text)
    result = run(world.a.district, folder)
    assert result.status == ImportRun.Status.REFUSED
    assert result.errors == [
        {
            "file": "users.csv",
            "line": 1,
            "column": "role",
            "reason": "OneRoster 1.2 keeps roles in roles.csv, but the manifest marks file.roles absent",
        }
    ]


def test_a_missing_required_column_refuses_even_with_accept_valid_rows(world, tmp_path):
    folder = copy_sample(tmp_path, "v1p1-full")
    text = (folder / "users.csv").read_text().replace(",givenName,", ",firstName,", 1)
    (folder / "users.csv").write_text(text)
    result = run(world.a.district, folder, accept_valid_rows=True)
    assert result.status == ImportRun.Status.REFUSED
    assert result.errors == [
        {
            "file": "users.csv",
            "line": 1,
            "column": "givenName",
            "reason": "this required column is missing from the header",
        }
    ]
    with tenant_context(world.a.district):
        assert not Student.objects.filter(district=world.a.district).exclude(sourced_id="").exists()


def test_a_dry_run_reports_counts_and_writes_nothing(world):
    district = world.a.district
    before = snapshot(district)
    users = User.objects.count()
    result = run(district, DATA / "v1p2-full", dry_run=True, actor=world.a.district_admin)
    assert result.status == ImportRun.Status.DRY_RUN and result.dry_run
    assert created(result) == CREATED["v1p2-full"]
    assert result.details["accounts_created"] == 3
    assert snapshot(district) == before and User.objects.count() == users
    with tenant_context(district):
        assert not AuditEvent.objects.filter(district=district, verb="roster.import").exists()
        assert ImportRun.objects.get(district=district).started_by == world.a.district_admin


def test_duplicate_rows_and_conflicting_sourced_ids(world, tmp_path):
    folder = copy_sample(tmp_path, "v1p1-full")
    users = folder / "users.csv"
    lines = users.read_text().splitlines()
    users.write_text("\n".join([*lines, lines[-1], lines[-1].replace("Anna", "Annie")]) + "\n")
    result = run(world.a.district, folder)
    assert result.errors == [
        {
            "file": "users.csv",
            "line": 9,
            "column": "sourcedId",
            "reason": "usr-222-567891 is also on line 7, with other values",
        }
    ]
    assert any("line 8 repeats line 7" in w for w in result.warnings)


# --- encodings and formats ---------------------------------------------------------------------------------


def test_windows_1252_and_utf8_bom_files_import(world, tmp_path):
    folder = copy_sample(tmp_path, "v1p1-full")
    users = (folder / "users.csv").read_text().replace("Anna,Brown", "José,Muñoz")
    (folder / "users.csv").write_bytes(users.encode("cp1252"))
    orgs = (folder / "orgs.csv").read_text().replace("History Department", "Escuela Niño Héroes")
    (folder / "orgs.csv").write_bytes(codecs.BOM_UTF8 + orgs.encode("utf-8"))
    result = run(world.a.district, folder)
    assert result.status == ImportRun.Status.SUCCEEDED, result.errors
    anna = student(world.a.district, ANNA)
    assert (anna.first_name, anna.last_name, anna.school.name) == ("José", "Muñoz", "Escuela Niño Héroes")
    assert result.details["encodings"]["users.csv"] == "windows-1252"
    assert result.details["encodings"]["orgs.csv"] == "utf-8 with BOM"


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.mark.parametrize(
    "content, expected",
    [
        (PNG, "this is not a CSV text file: it looks like a PNG image"),
        (b'[{"sourcedId": "usr-1", "role": "student"}]', "this is not a CSV file: it looks like JSON"),
        ("sourcedId,givenName\n".encode("utf-16"), "it looks like UTF-16 text"),
        (b"sourcedId,givenName\n\x81\x8d\xe9\xff\xfe\x90,x\n", "the text is neither UTF-8 nor Windows-1252"),
    ],
)
def test_a_file_of_another_format_or_encoding_gets_a_clear_message(world, tmp_path, content, expected):
    folder = copy_sample(tmp_path, "v1p1-full")
    (folder / "users.csv").write_bytes(content)
    result = run(world.a.district, folder, accept_valid_rows=True)
    assert result.status == ImportRun.Status.REFUSED
    (error,) = [e for e in result.errors if e["file"] == "users.csv"]
    assert expected in error["reason"] and "Save or export it as CSV" in error["reason"]


def test_a_png_given_as_the_roster_is_named(world, tmp_path):
    path = tmp_path / "roster.zip"
    path.write_bytes(PNG)
    result = run(world.a.district, path)
    assert result.status == ImportRun.Status.REFUSED
    assert "a folder or a zip archive holding manifest.csv" in result.errors[0]["reason"]
    assert "it looks like a PNG image" in result.errors[0]["reason"]


def test_a_folder_without_manifest_is_refused(world, tmp_path):
    folder = copy_sample(tmp_path, "v1p1-full")
    (folder / "manifest.csv").unlink()
    result = run(world.a.district, folder)
    assert result.status == ImportRun.Status.REFUSED
    assert result.errors[0]["reason"].startswith("manifest.csv is missing")


def test_files_are_streamed_never_read_whole(world, monkeypatch):
    class NoWholeReads(io.BufferedReader):
        def read(self, size=-1):
            assert size is not None and size >= 0, "a whole-file read"
            return super().read(size)

        def read1(self, size=-1):
            assert size is not None and size >= 0, "a whole-file read"
            return super().read1(size)

    monkeypatch.setattr(csvio, "_path_opener", lambda path: lambda: NoWholeReads(io.FileIO(path)))
    result = run(world.a.district, DATA / "v1p2-full")
    assert result.status == ImportRun.Status.SUCCEEDED


def generated_roster(folder: Path, students: int, *, teachers: int = 2) -> Path:
    """A 1.1 roster of one school and class per teacher, `students` students each with a parent."""
    folder.mkdir(parents=True)
    write_manifest(folder, orgs="bulk", academicSessions="bulk", users="bulk", classes="bulk", enrollments="bulk")
    (folder / "orgs.csv").write_text(
        "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
        "dist,,,District A,district,,\nsch,,,Generated School,school,GEN,dist\n"
    )
    (folder / "academicSessions.csv").write_text(
        "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\n"
        "y26,,,2025-2026,schoolYear,2025-08-01,2026-06-30,,2026\nt1,,,Fall,term,2025-08-01,2025-12-20,y26,2026\n"
    )
    users = [
        ",".join(
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "enabledUser",
                "orgSourcedIds",
                "role",
                "username",
                "userIds",
                "givenName",
                "familyName",
                "middleName",
                "identifier",
                "email",
                "sms",
                "phone",
                "agentSourcedIds",
                "grades",
                "password",
            ]
        )
    ]
    classes = [
        "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,"
        "schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods"
    ]
    enrollments = [
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate"
    ]
    for t in range(teachers):
        users.append(f"t{t},,,true,sch,teacher,teacher{t},,Teach,Er{t},,T{t},teacher{t}@gen.example,,,,,")
        classes.append(f"c{t},,,Class {t},03,,,homeroom,,sch,t1,,,")
        enrollments.append(f"e-t{t},,,c{t},sch,t{t},teacher,true,,")
    for n in range(students):
        users.append(f"s{n},,,true,sch,student,s{n},,Kid,Number{n},,S{n:05d},,,,p{n},03,")
        users.append(f"p{n},,,true,sch,parent,p{n},,Parent,Number{n},,,p{n}@family.example,,555-0100,s{n},,")
        enrollments.append(f"e-s{n},,,c{n % teachers},sch,s{n},student,false,2025-08-20,")
    for name, lines in (("users", users), ("classes", classes), ("enrollments", enrollments)):
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_the_number_of_queries_does_not_grow_per_row(world, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries = {}
    for size, district in ((20, world.a.district), (200, world.b.district)):
        with CaptureQueriesContext(connection) as captured:
            result = run(district, generated_roster(tmp_path / str(size), size))
        assert result.status == ImportRun.Status.SUCCEEDED, result.errors
        assert created(result) == dict(
            schools=1, school_years=1, staff=2, students=size, guardians=size, enrollments=size, grants=size
        )
        queries[size] = len(captured)
    # 180 more students, parents, enrolments and grants: only a few more insert batches
    # (SQLite caps the parameters of one statement), never a query per row.
    assert queries[200] - queries[20] <= 6, queries


def test_the_number_of_queries_does_not_grow_per_teacher(world, tmp_path):
    # Each teacher's grants used to cost three queries (48,000 for a 400,000-student district,
    # each over tables written in the same transaction); they are written together now.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries = {}
    for teachers, district in ((2, world.a.district), (40, world.b.district)):
        with CaptureQueriesContext(connection) as captured:
            result = run(district, generated_roster(tmp_path / str(teachers), 80, teachers=teachers))
        assert result.status == ImportRun.Status.SUCCEEDED, result.errors
        assert created(result)["grants"] == 80
        queries[teachers] = len(captured)
    assert queries[40] - queries[2] <= 3, queries


# --- bulk and delta ---------------------------------------------------------------------------------------


def test_a_bulk_file_exits_students_it_no_longer_lists_and_lists_unmatched_ones(world, tmp_path):
    district = world.a.district
    run(district, DATA / "v1p1-full")
    school = student(district, MARY).school
    by_hand = f.make_student(district, school, local_id="HAND-1", grade=11)
    folder = copy_sample(tmp_path, "v1p1-full")
    drop_lines(folder / "users.csv", 7)  # anna
    result = run(district, folder)
    assert result.counts["students"]["deleted"] == 1 and result.counts["students"]["unchanged"] == 2
    anna = student(district, ANNA)
    assert anna.exit_date is not None  # deactivated, not deleted
    listed = {s["local_id"]: s["action"] for s in result.details["unmatched_students"]}
    assert listed == {
        "anna.brown": "exited: no longer in the roster",
        "HAND-1": "left as is: entered by hand, matches no roster student",
    }
    with tenant_context(district):
        by_hand.refresh_from_db()
    assert by_hand.exit_date is None
    # students of schools the roster does not cover are not touched
    assert all(s.exit_date is None for s in world.a.students)
    # listed again, the student comes back
    back = run(district, DATA / "v1p1-full")
    assert back.counts["students"]["updated"] == 1 and student(district, ANNA).exit_date is None


def test_a_bulk_file_deactivates_staff_it_no_longer_lists(world, tmp_path):
    district = world.a.district
    run(district, DATA / "v1p1-full")
    folder = copy_sample(tmp_path, "v1p1-full")
    drop_lines(folder / "users.csv", 5)  # jim
    drop_lines(folder / "enrollments.csv", 3, 6)  # jim's class enrolments
    result = run(district, folder)
    assert result.counts["staff"]["deleted"] == 1
    assert membership(district, JIM).is_active is False and membership(district, JOHN).is_active


def delta(tmp_path: Path, rows: list[str], name="delta") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    write_manifest(folder, users="delta")
    header = (DATA / "v1p1-full" / "users.csv").read_text().splitlines()[0]
    (folder / "users.csv").write_text("\n".join([header, *rows]) + "\n")
    return folder


def test_a_delta_tobedeleted_deactivates_and_newer_rows_update(world, tmp_path):
    district = world.a.district
    run(district, DATA / "v1p1-full")
    now = (timezone.now() + dt.timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    rows = [
        f"{ANNA},tobedeleted,{now},TRUE,org-sch-222-456,student,anna.brown,,Anna,Brown,,anna.brown,,,,,11,",
        f"{JIM},tobedeleted,{now},TRUE,org-sch-222-456,teacher,jim.smith,,Jim,Smith,,jim.smith,,,,,,",
        f"{MMICHEL},active,{now},TRUE,org-sch-222-456,student,mmichel.jones,,Michel,Jones,,mmichel.jones,,,,,12,",
        # older than what is stored: not applied
        f"{MARY},active,2020-01-01T00:00:00Z,TRUE,org-sch-222-456,student,mary.jones,,Maria,Jones,,mary.jones,,,,,12,",
    ]
    before_mary = student(district, MARY)
    result = run(district, delta(tmp_path, rows))
    assert result.status == ImportRun.Status.SUCCEEDED, result.errors
    assert result.details["manifest"]["users"] == "delta"
    assert student(district, ANNA).exit_date is not None
    assert membership(district, JIM).is_active is False
    assert student(district, MMICHEL).first_name == "Michel"
    mary = student(district, MARY)
    assert mary.first_name == "Mary" and mary.updated_at == before_mary.updated_at
    assert any(MARY in w and "not overwritten" in w for w in result.warnings)
    assert result.counts["students"] == {"created": 0, "updated": 1, "unchanged": 0, "deleted": 1, "rejected": 0}
    assert result.counts["staff"]["deleted"] == 1
    # a delta touches nothing it does not name
    assert membership(district, JOHN).is_active and student(district, MARY).exit_date is None


def test_demographics_set_birth_date_sex_race_and_subgroups(world, tmp_path):
    district = world.a.district
    folder = copy_sample(tmp_path, "v1p1-full")
    text = (folder / "manifest.csv").read_text().replace("file.demographics,absent", "file.demographics,bulk")
    (folder / "manifest.csv").write_text(text)
    (folder / "demographics.csv").write_text(
        "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,"
        "nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,"
        "countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus,englishLearner,iep,Vendor\n"
        f"{MARY},,,2008-02-29,female,false,false,false,false,true,false,true,US,TN,Knoxville,,true,false,x\n"
        f"{ANNA},,,9/4/2009,male,false,true,true,false,false,false,false,,,,,,,\n"
        f"{MMICHEL},,,2008-13-01,other,false,false,false,false,false,false,false,,,,,,,\n"
        f"{JOHN},,,1980-01-01,male,,,,,,,,,,,,,,\n"
    )
    result = run(district, folder)
    assert result.errors == [
        {
            "file": "demographics.csv",
            "line": 4,
            "column": "birthDate",
            "reason": "'2008-13-01' is not a date on the calendar",
        }
    ]
    folder_ok = copy_sample(tmp_path / "ok", "v1p1-full")
    shutil.copy(folder / "manifest.csv", folder_ok / "manifest.csv")
    (folder_ok / "demographics.csv").write_text(
        (folder / "demographics.csv").read_text().replace("2008-13-01", "2008-12-01")
    )
    result = run(district, folder_ok)
    assert result.status == ImportRun.Status.SUCCEEDED, result.errors
    mary, anna, mmichel = student(district, MARY), student(district, ANNA), student(district, MMICHEL)
    assert (mary.birth_date, mary.gender, mary.race_ethnicity) == (dt.date(2008, 2, 29), "F", "hispanic")
    assert mary.english_learner and not mary.disability_iep
    assert (anna.birth_date, anna.gender, anna.race_ethnicity) == (dt.date(2009, 9, 4), "M", "two_or_more")
    assert (mmichel.gender, mmichel.race_ethnicity) == ("X", "unknown")
    assert not any("no birth date" in w for w in result.warnings)
    assert any("columns not used: Vendor" in w for w in result.warnings)


# --- staff, grants and what is adopted ---------------------------------------------------------------------


def test_teachers_see_the_students_of_their_classes(world, tmp_path):
    district = world.a.district
    run(district, DATA / "v1p1-full")
    john, jim = membership(district, JOHN), membership(district, JIM)
    with tenant_context(district):
        assert [s.sourced_id for s in visible_students(district=district, membership=john)] == [MMICHEL]
        assert not visible_students(district=district, membership=jim).exists()
    # a bulk enrolments file without john's classes takes the grant away
    folder = copy_sample(tmp_path, "v1p1-full")
    drop_lines(folder / "enrollments.csv", 2, 5)
    result = run(district, folder)
    assert result.counts["grants"]["deleted"] == 1
    with tenant_context(district):
        assert not visible_students(district=district, membership=john).exists()


def test_records_entered_by_hand_are_adopted_not_duplicated(world):
    district = world.a.district
    school = f.make_school(district, name="History Dept (by hand)")
    with tenant_context(district):
        School.objects.filter(pk=school.pk).update(code="History", grade_low=9, grade_high=12)
        school.refresh_from_db()
    mary = f.make_student(district, school, local_id="mary.jones", first_name="M.", grade=12)
    guardian = f.make_guardian(mary, first_name="Thomas", last_name="Jones", relationship="father")
    john = f.make_member(district, Role.INTERVENTION_SPECIALIST, schools=[school], username="jd-by-hand")
    User.objects.filter(pk=john.pk).update(email="John.Doe@myschool.com")
    result = run(district, DATA / "v1p1-full")
    assert result.status == ImportRun.Status.SUCCEEDED, result.errors
    assert result.counts["schools"] == {"created": 0, "updated": 1, "unchanged": 0, "deleted": 0, "rejected": 0}
    assert result.counts["students"]["created"] == 2 and result.counts["students"]["updated"] == 1
    mary = student(district, MARY)
    assert (mary.pk, mary.first_name, mary.school_id) == (mary.pk, "Mary", school.pk)
    with tenant_context(district):
        guardian.refresh_from_db()
    assert (guardian.sourced_id, guardian.relationship) == (THOMAS, "father")  # the refinement is kept
    adopted = membership(district, JOHN)
    assert adopted.user_id == john.pk and adopted.role == Role.INTERVENTION_SPECIALIST  # a role the roster lacks
    assert result.details["accounts_created"] == 1  # jim only


def test_conflicting_local_ids_and_school_codes_are_rejected(world):
    district = world.a.district
    other = f.make_school(district)
    with tenant_context(district):
        School.objects.filter(pk=other.pk).update(code="History", sourced_id="org-elsewhere")
    result = run(district, DATA / "v1p1-full")
    assert result.status == ImportRun.Status.REFUSED
    assert {
        "file": "orgs.csv",
        "line": 2,
        "column": "identifier",
        "reason": "school code 'History' already belongs to another school",
    } in result.errors
    # everything at that school is rejected in turn, each with its own line
    assert ("users.csv", 2, "orgSourcedIds") in errors_of(result)


def test_the_other_district_is_untouched(world, tmp_path):
    before = snapshot(world.b.district)
    for name in SAMPLES:
        run(world.a.district, DATA / name)
    folder = copy_sample(tmp_path, "v1p1-full")
    drop_lines(folder / "users.csv", 2, 3, 4, 5, 6, 7)
    drop_lines(folder / "enrollments.csv", 2, 3, 4, 5, 6, 7)
    run(world.a.district, folder)  # a bulk file that lists nobody: deactivates only in A
    assert snapshot(world.b.district) == before
    with tenant_context(world.b.district):
        assert not ImportRun.objects.filter(district=world.b.district).exists()


# --- the command ---------------------------------------------------------------------------------------------


def test_the_command_prints_a_summary_and_exits_0(world):
    out = io.StringIO()
    call_command("import_roster", str(DATA / "v1p2-full"), "--district", world.a.district.slug, stdout=out)
    text = out.getvalue()
    assert "oneroster-1.2" in text and "Imported" in text
    assert "students" in text and "deactivated" in text
    assert text.count("warning:") >= 3


def test_the_command_dry_run_writes_nothing(world):
    out = io.StringIO()
    call_command("import_roster", str(DATA / "v1p1-full"), "--district", world.a.district.slug, "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
    with tenant_context(world.a.district):
        assert not Student.objects.filter(district=world.a.district).exclude(sourced_id="").exists()


def test_the_command_exits_1_for_rejected_rows_and_writes_them_as_csv(world, tmp_path):
    out = io.StringIO()
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError) as raised:
        call_command(
            "import_roster",
            str(broken_roster(tmp_path)),
            "--district",
            world.a.district.slug,
            "--errors-csv",
            str(errors),
            stdout=out,
        )
    assert raised.value.returncode == 1 and "--accept-valid-rows" in str(raised.value)
    assert "users.csv line 3 [givenName]: a value is required" in out.getvalue()
    rows = list(csv.DictReader(errors.open(encoding="utf-8")))
    assert sorted(rows, key=str) == sorted([{k: str(v) for k, v in e.items()} for e in EXPECTED_ERRORS], key=str)
    call_command(
        "import_roster",
        str(broken_roster(tmp_path / "again")),
        "--district",
        world.a.district.slug,
        "--accept-valid-rows",
        stdout=io.StringIO(),
    )
    with tenant_context(world.a.district):
        assert Student.objects.filter(district=world.a.district).exclude(sourced_id="").count() == 2


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--district", "nowhere"], "no district with slug 'nowhere'"),
        (["--district", "district-a", "--user", "nobody"], "no user 'nobody'"),
    ],
)
def test_the_command_exits_2_for_a_bad_district_or_user(world, arguments, message):
    with pytest.raises(CommandError, match=message) as raised:
        call_command("import_roster", str(DATA / "v1p1-full"), *arguments)
    assert raised.value.returncode == 2


def test_the_command_exits_2_for_a_bad_path_or_format(world, tmp_path):
    with pytest.raises(CommandError, match="no such file or folder") as raised:
        call_command("import_roster", str(tmp_path / "missing"), "--district", "district-a")
    assert raised.value.returncode == 2
    folder = copy_sample(tmp_path, "v1p1-full")
    (folder / "users.csv").write_bytes(PNG)
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_roster", str(folder), "--district", "district-a", stdout=out)
    assert raised.value.returncode == 2 and "looks like a PNG image" in out.getvalue()


# --- csvio ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2023-01-05", dt.date(2023, 1, 5)),
        ("2023/01/05", dt.date(2023, 1, 5)),
        ("1/05/2023", dt.date(2023, 1, 5)),  # month first, as US systems write it
        ("9/4/2019", dt.date(2019, 9, 4)),
        ("15/06/2023", dt.date(2023, 6, 15)),  # the first number cannot be a month: day first
        ("2023-05-01T18:25:43.511Z", dt.date(2023, 5, 1)),
        ("1/5/2023 0:00", dt.date(2023, 1, 5)),
        (" 2023-01-05 ", dt.date(2023, 1, 5)),
    ],
)
def test_dates_in_the_forms_exports_use(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("2023-02-30", "is not a date on the calendar"),
        ("13/13/2023", "is not a date on the calendar"),
        ("1/5/23", "two-digit year"),
        ("soon", "is not a date (YYYY-MM-DD or M/D/YYYY)"),
    ],
)
def test_bad_dates_say_why(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_date(text)


def test_datetimes_are_utc_unless_they_say_otherwise():
    assert parse_datetime("2023-05-01T18:25:43.511Z") == dt.datetime(2023, 5, 1, 18, 25, 43, 511000, tzinfo=dt.UTC)
    assert parse_datetime("1/05/2023") == dt.datetime(2023, 1, 5, tzinfo=dt.UTC)
    assert parse_datetime("2023-05-01T10:00:00-05:00").utcoffset() == dt.timedelta(hours=-5)


def test_headers_match_across_case_spacing_and_doubled_letters():
    assert header_key("prefferedGivenName") == header_key("preferredGivenName")
    assert header_key(" Preferred Given-Name ") == header_key("preferredGivenName")
    assert header_key("\ufeffsourcedId") == header_key("sourcedId")


def _table(tmp_path, content: bytes, columns):
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    return csvio.open_csv(lambda: path.open("rb"), name="file.csv", columns=columns)


def test_the_delimiter_is_sniffed_and_short_rows_are_padded(tmp_path):
    columns = [csvio.Column("id", True), csvio.Column("name"), csvio.Column("note")]
    with _table(tmp_path, b'id;name;note\n1;"Smith; Jo"\n\n;;\n2;Lee;x\n', columns) as table:
        rows = [(row.line, row.raw("id"), row.raw("name"), row.raw("note")) for row in table]
    assert table.delimiter == ";"
    assert rows == [(2, "1", "Smith; Jo", ""), (5, "2", "Lee", "x")]


def test_a_windows_1252_byte_far_down_an_ascii_file_still_reads(tmp_path):
    body = "".join(f"{n},Student {n}\n" for n in range(5000)).encode("ascii")
    assert len(body) > csvio.SAMPLE_SIZE
    content = b"id,name\n" + body + "5000,Ren\xe9e\n".encode("latin-1")
    with _table(tmp_path, content, [csvio.Column("id"), csvio.Column("name")]) as table:
        last = list(table)[-1]
    assert (last.line, last.raw("name")) == (5002, "Renée")


def test_a_quoted_value_over_several_lines_reports_where_its_row_starts(tmp_path):
    content = b'id,name\n1,"two\nlines"\n2,three\n'
    with _table(tmp_path, content, [csvio.Column("id"), csvio.Column("name")]) as table:
        assert [(row.line, row.raw("id")) for row in table] == [(2, "1"), (4, "2")]


def test_the_errors_csv_defuses_spreadsheet_formulas():
    out = io.StringIO()
    csvio.write_errors_csv([csvio.RowError("users.csv", 3, "givenName", '=HYPERLINK("x") is odd')], out)
    assert out.getvalue().splitlines() == [
        "file,line,column,reason",
        'users.csv,3,givenName,"\'=HYPERLINK(""x"") is odd"',
    ]

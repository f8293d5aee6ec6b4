"""Safety against destructive roster files, caps, and notices that come back (issue 15, scope 3 and 4)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from mtss.tenancy import tenant_context
from students.importers.oneroster.matcher import RosterMatcher
from students.models import Guardian, ImportRun, Student
from students.services import roster_import
from tests.students.test_oneroster_import import generated_roster

USERS_HEADER = (
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,"
    "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n"
)


def imported(district, tmp_path: Path, students: int = 20) -> Path:
    folder = generated_roster(tmp_path / "roster", students)
    run = roster_import(district=district, actor=None, path=folder)
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    return folder


def active_roster_students(district) -> int:
    with tenant_context(district):
        return Student.objects.filter(district=district, exit_date__isnull=True).exclude(sourced_id="").count()


def header_only(folder: Path) -> Path:
    """users.csv with its header only (and no enrolments, which would name unknown users)."""
    (folder / "users.csv").write_text(USERS_HEADER)
    enrollments = (folder / "enrollments.csv").read_text().splitlines(keepends=True)
    (folder / "enrollments.csv").write_text(enrollments[0])
    return folder


def drop_people(folder: Path, *sourced_ids: str) -> None:
    """Remove people from users.csv and their enrolments from enrollments.csv."""
    users = (folder / "users.csv").read_text().splitlines(keepends=True)
    (folder / "users.csv").write_text("".join(u for u in users if u.split(",", 1)[0] not in sourced_ids))
    rows = (folder / "enrollments.csv").read_text().splitlines(keepends=True)
    (folder / "enrollments.csv").write_text("".join(r for r in rows if r.split(",")[5] not in sourced_ids))


# --- mass exits ------------------------------------------------------------------------------------------


def test_a_header_only_users_file_is_refused_and_writes_nothing(world, tmp_path):
    district = world.a.district
    folder = header_only(imported(district, tmp_path))
    run = roster_import(district=district, actor=None, path=folder)
    exits = run.details["exits"]
    assert run.status == ImportRun.Status.REFUSED
    assert exits["students"] == 20 and exits["needs_confirmation"] and exits["refused"]
    assert exits["total"] == exits["students"] + exits["staff"]
    assert run.errors[0]["file"] == "users.csv"
    assert f"confirm the number {exits['total']}" in run.errors[0]["reason"]
    assert active_roster_students(district) == 20


def test_a_dry_run_warns_about_the_exits_and_names_the_number(world, tmp_path):
    district = world.a.district
    folder = header_only(imported(district, tmp_path))
    run = roster_import(district=district, actor=None, path=folder, dry_run=True)
    assert run.status == ImportRun.Status.DRY_RUN
    assert any(f"confirm the number {run.details['exits']['total']}" in w for w in run.warnings)
    assert active_roster_students(district) == 20


def test_only_the_exact_number_confirms_the_exits(world, tmp_path):
    district = world.a.district
    folder = header_only(imported(district, tmp_path))
    total = roster_import(district=district, actor=None, path=folder, dry_run=True).details["exits"]["total"]
    wrong = roster_import(district=district, actor=None, path=folder, confirm_exits=total - 1)
    assert wrong.status == ImportRun.Status.REFUSED and active_roster_students(district) == 20
    right = roster_import(district=district, actor=None, path=folder, confirm_exits=total)
    assert right.status == ImportRun.Status.SUCCEEDED and right.details["exits"]["confirmed"]
    assert right.counts["students"]["deleted"] == 20 and active_roster_students(district) == 0


def test_a_few_exits_under_the_share_need_no_confirmation(world, tmp_path):
    district = world.a.district
    folder = imported(district, tmp_path, students=60)
    # Students s0..s4 and their parents leave: 5 of 60 students (8 %), under the 10 % share.
    drop_people(folder, *[f"s{n}" for n in range(5)], *[f"p{n}" for n in range(5)])
    run = roster_import(district=district, actor=None, path=folder)
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.counts["students"]["deleted"] == 5 and not run.details["exits"]["needs_confirmation"]


@override_settings(ROSTER_EXIT_CONFIRM_PERCENT=50)
def test_the_share_is_a_setting(world, tmp_path):
    district = world.a.district
    folder = imported(district, tmp_path, students=30)
    drop_people(folder, *[f"s{n}" for n in range(10)])  # 10 of 30: refused at 10 %, not at 50 %
    run = roster_import(district=district, actor=None, path=folder)
    assert run.status == ImportRun.Status.SUCCEEDED and run.counts["students"]["deleted"] == 10


def test_the_command_refuses_with_exit_code_1_until_confirmed(world, tmp_path, capsys):
    district = world.a.district
    folder = header_only(imported(district, tmp_path))
    with pytest.raises(CommandError) as refused:
        call_command("import_roster", str(folder), district=district.slug)
    assert refused.value.returncode == 1 and "--confirm-exits" in str(refused.value)
    assert active_roster_students(district) == 20
    with tenant_context(district):
        total = ImportRun.objects.filter(district=district).order_by("-id").first().details["exits"]["total"]
    call_command("import_roster", str(folder), district=district.slug, confirm_exits=total)
    assert active_roster_students(district) == 0


# --- guardians' notices come back with the student -------------------------------------------------------


def test_a_returning_student_gets_the_guardians_notices_back_as_they_were(world, tmp_path):
    district = world.a.district
    folder = imported(district, tmp_path, students=3)
    full = {name: (folder / name).read_text() for name in ("users.csv", "enrollments.csv")}
    with tenant_context(district):
        opted_out = Guardian.objects.get(district=district, sourced_id="p1")
        opted_out.receives_notices = False  # chose by hand not to get letters: must stay so
        opted_out.save()
    drop_people(folder, "s0", "p0", "s1", "p1")
    left = roster_import(district=district, actor=None, path=folder)
    assert left.status == ImportRun.Status.SUCCEEDED and left.counts["students"]["deleted"] == 2
    with tenant_context(district):
        assert not Guardian.objects.get(district=district, sourced_id="p0").receives_notices

    for name, text in full.items():
        (folder / name).write_text(text)
    back = roster_import(district=district, actor=None, path=folder)
    assert back.status == ImportRun.Status.SUCCEEDED
    with tenant_context(district):
        assert Student.objects.get(district=district, sourced_id="s0").exit_date is None
        restored = Guardian.objects.get(district=district, sourced_id="p0")
        assert restored.receives_notices and not restored.notices_paused_by_roster
        assert not Guardian.objects.get(district=district, sourced_id="p1").receives_notices
        assert Guardian.objects.get(district=district, sourced_id="p2").receives_notices


# --- caps -------------------------------------------------------------------------------------------------


def blank_lines_roster(tmp_path: Path, lines: int) -> Path:
    """A roster zip whose users.csv is a header and then nothing but blank lines (a few KB zipped)."""
    folder = generated_roster(tmp_path / "src", 2)
    archive = tmp_path / "blank.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in folder.iterdir():
            if path.name == "users.csv":
                out.writestr("users.csv", path.read_text() + "\n" * lines)
            else:
                out.write(path, path.name)
    return archive


@override_settings(IMPORT_MAX_LINES=100_000)
def test_a_zip_of_blank_lines_is_refused_before_a_row_is_read(world, tmp_path, monkeypatch):
    archive = blank_lines_roster(tmp_path, 2_000_000)
    assert archive.stat().st_size < 100_000  # ~2 MB of newlines

    def never(self):
        raise AssertionError("the roster was parsed")

    monkeypatch.setattr(RosterMatcher, "read", never)
    run = roster_import(district=world.a.district, actor=None, path=archive)
    assert run.status == ImportRun.Status.REFUSED and run.plan.refused_whole
    assert run.errors[0]["file"] == "users.csv"
    assert "more than 100,000 lines" in run.errors[0]["reason"] and "IMPORT_MAX_LINES" in run.errors[0]["reason"]


@override_settings(IMPORT_MAX_BYTES=50_000)
def test_a_roster_that_unpacks_past_the_size_cap_is_refused_by_name(world, tmp_path):
    archive = blank_lines_roster(tmp_path, 200_000)
    run = roster_import(district=world.a.district, actor=None, path=archive)
    assert run.status == ImportRun.Status.REFUSED
    assert run.errors[0]["file"] == "blank.zip" and "IMPORT_MAX_BYTES" in run.errors[0]["reason"]
    with tenant_context(world.a.district):
        assert not Student.objects.filter(district=world.a.district, sourced_id="s0").exists()


def test_the_default_caps_let_an_ordinary_roster_through(world, tmp_path):
    imported(world.a.district, tmp_path, students=5)

"""Offboarding a district (issue 18, item 5; reports/offboard.py), on PostgreSQL with two districts:
the export's manifest counts what its zip holds, the purge refuses a wrong confirmation or data changed
since the export (deleting nothing), and a purge leaves district A nothing and district B everything."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from mtss import tenancy
from mtss.models import AccessLog
from mtss.rls import district_models
from reports.offboard import _counts, district_tables, export_district
from students.models import Student

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _rows(district) -> dict[str, int]:
    """The district's rows per district table, counted as the owner (no row-level security hides any)."""
    with tenancy.owner_mode(), connection.cursor() as cursor:
        return _counts(cursor, district, district_tables())


def _log(district, n: int) -> None:
    with tenancy.tenant_context(district):
        AccessLog.objects.bulk_create(
            [AccessLog(district=district, action="view", what="x", path="/") for _ in range(n)]
        )


def _export(world, tmp_path, capsys):
    _log(world.a.district, 3)
    _log(world.b.district, 2)
    call_command("district_offboard", "--district", world.a.district.slug, "--export", str(tmp_path))
    out = capsys.readouterr().out
    (manifest_path,) = tmp_path.glob("*.manifest.json")
    return manifest_path, json.loads(manifest_path.read_text()), out


def test_the_export_is_a_zip_of_csvs_whose_manifest_counts_and_hashes_match(world, tmp_path, capsys):
    manifest_path, manifest, out = _export(world, tmp_path, capsys)
    (zip_path,) = tmp_path.glob("*.zip")
    assert manifest["zip"]["sha256"] == hashlib.sha256(zip_path.read_bytes()).hexdigest()
    # Every district table has its file, the two many-to-many tables without a district column too.
    names = {model._meta.db_table for model in district_models()}
    assert names <= set(manifest["tables"])
    assert {"interventions_pdsacycle_interventions", "interventions_pdsacycle_groups"} <= set(manifest["tables"])
    assert manifest["tables"] == json.loads(zipfile.ZipFile(zip_path).read("manifest.json"))["tables"]
    now = _rows(world.a.district)
    with zipfile.ZipFile(zip_path) as archive:
        for name, entry in manifest["tables"].items():
            data = archive.read(entry["file"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
            body = list(csv.reader(io.StringIO(data.decode())))
            assert len(body) - 1 == entry["rows"] == now[name], name
    assert manifest["tables"]["mtss_accesslog"]["rows"] == 3  # A's three, none of B's two
    assert manifest["tables"]["students_student"]["rows"] == len(world.a.students)
    with zipfile.ZipFile(zip_path) as archive:
        students = list(csv.DictReader(io.StringIO(archive.read("students_student.csv").decode())))
    assert {int(s["id"]) for s in students} == {s.pk for s in world.a.students}
    assert {s["district_id"] for s in students} == {str(world.a.district.pk)}
    assert f"--confirm {world.a.district.slug} --export-manifest {manifest_path}" in out


def test_a_purge_without_the_slug_typed_back_refuses_and_deletes_nothing(world, tmp_path, capsys):
    manifest_path, manifest, _ = _export(world, tmp_path, capsys)
    before = _rows(world.a.district)
    for confirm in ([], ["--confirm", "district-b"], ["--confirm", "DISTRICT-A"]):
        with pytest.raises(CommandError, match="--confirm: type the district's slug") as refused:
            call_command(
                "district_offboard", "--district", "district-a", "--purge", *confirm,
                "--export-manifest", str(manifest_path),
            )  # fmt: skip
        assert refused.value.returncode == 2
    # The manifest of another district's export does not purge this one.
    call_command("district_offboard", "--district", "district-b", "--export", str(tmp_path / "b"))
    (b_manifest,) = (tmp_path / "b").glob("*.manifest.json")
    with pytest.raises(CommandError, match="is the export of 'district-b', not of 'district-a'"):
        call_command(
            "district_offboard", "--district", "district-a", "--purge", "--confirm", "district-a",
            "--export-manifest", str(b_manifest),
        )  # fmt: skip
    # Nor does a manifest whose zip is gone or altered: no purge without its copy.
    (zip_path,) = tmp_path.glob("*.zip")
    zip_path.write_bytes(zip_path.read_bytes() + b"x")
    with pytest.raises(CommandError, match="missing or altered") as altered:
        call_command(
            "district_offboard", "--district", "district-a", "--purge", "--confirm", "district-a",
            "--export-manifest", str(manifest_path),
        )  # fmt: skip
    assert altered.value.returncode == 2
    assert _rows(world.a.district) == before
    assert sum(before.values()) > 0
    assert not list(tmp_path.glob("*.purge-report.json*"))


def test_a_purge_after_the_data_changed_refuses_and_says_what_changed(world, tmp_path, capsys):
    manifest_path, manifest, _ = _export(world, tmp_path, capsys)
    _log(world.a.district, 1)  # someone read a record after the export: the log grew
    with tenancy.tenant_context(world.a.district):
        Student.objects.filter(pk=world.a.students[0].pk).delete()
    before = _rows(world.a.district)
    with pytest.raises(CommandError) as refused:
        call_command(
            "district_offboard", "--district", "district-a", "--purge", "--confirm", "district-a",
            "--export-manifest", str(manifest_path),
        )  # fmt: skip
    assert refused.value.returncode == 3
    message = str(refused.value)
    assert "mtss_accesslog: exported 3, now 4" in message
    assert f"students_student: exported {len(world.a.students)}, now {len(world.a.students) - 1}" in message
    assert _rows(world.a.district) == before
    assert not list(tmp_path.glob("*.purge-report.json*"))


def test_a_purge_leaves_a_nothing_and_b_everything_and_a_report_that_outlives_it(world, tmp_path, capsys):
    manifest_path, manifest, _ = _export(world, tmp_path, capsys)
    b_before = export_district(district=world.b.district, directory=tmp_path / "b-before").manifest["tables"]
    assert sum(entry["rows"] for entry in b_before.values()) > 0
    call_command(
        "district_offboard", "--district", "district-a", "--purge", "--confirm", "district-a",
        "--export-manifest", str(manifest_path),
    )  # fmt: skip
    out = capsys.readouterr().out
    assert set(_rows(world.a.district).values()) == {0}
    # District B: the same rows, byte for byte (each table's CSV hashes the same before and after).
    b_after = export_district(district=world.b.district, directory=tmp_path / "b-after").manifest["tables"]
    assert b_after == b_before
    # The report: per-table counts deleted, equal to the export's, tied to the export by its hashes.
    (report_path,) = tmp_path.glob("*.purge-report.json")
    report = json.loads(report_path.read_text())
    assert report["deleted"] == {name: entry["rows"] for name, entry in manifest["tables"].items()}
    assert report["deleted"]["mtss_accesslog"] == 3
    assert report["export"]["zip"]["sha256"] == manifest["zip"]["sha256"]
    assert report["export"]["manifest_sha256"] == hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    assert set(report["rows_left"].values()) == {0}
    assert f"students_student: {len(world.a.students)} deleted, 0 left" in out
    assert "mtss_accesslog: 3 deleted, 0 left" in out
    assert hashlib.sha256(report_path.read_bytes()).hexdigest() in out
    # The district row stays (its slug is not reused); a second purge finds nothing to match.
    with pytest.raises(CommandError, match="changed since the export") as again:
        call_command(
            "district_offboard", "--district", "district-a", "--purge", "--confirm", "district-a",
            "--export-manifest", str(manifest_path),
        )  # fmt: skip
    assert again.value.returncode == 3

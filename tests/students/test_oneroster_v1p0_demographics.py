"""OneRoster 1.0 spelling: demographics.csv keyed by `userSourcedId` (issue #15, scope 5).

The 1.1 sample (tests/data/oneroster/v1p1-full) with a manifest saying 1.0 and the
synthetic 1.0 demographics file of tests/data/vendors (PROVENANCE.md): the whole roster
used to be refused for want of a `sourcedId` column.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from mtss.tenancy import tenant_context
from students.models import ImportRun, Student
from students.services import roster_import

DATA = Path(__file__).resolve().parent.parent / "data"
MARY, MMICHEL = "usr-222-66778899", "usr-222-1234561232"


def roster_1_0(tmp_path: Path, demographics: str) -> Path:
    folder = tmp_path / "roster"
    shutil.copytree(DATA / "oneroster" / "v1p1-full", folder)
    manifest = (folder / "manifest.csv").read_text()
    manifest = manifest.replace("oneroster.version,1.1", "oneroster.version,1.0")
    (folder / "manifest.csv").write_text(manifest.replace("file.demographics,absent", "file.demographics,bulk"))
    (folder / "demographics.csv").write_text(demographics)
    return folder


def test_a_1_0_demographics_file_keyed_by_user_sourced_id_is_read(world, tmp_path):
    district = world.a.district
    text = (DATA / "vendors" / "oneroster-1.0-demographics.csv").read_text()

    result = roster_import(district=district, actor=None, path=roster_1_0(tmp_path, text))

    assert result.status == ImportRun.Status.SUCCEEDED, result.errors
    with tenant_context(district):
        mary = Student.objects.get(district=district, sourced_id=MARY)
        mmichel = Student.objects.get(district=district, sourced_id=MMICHEL)
    assert (mary.birth_date, mary.gender, mary.race_ethnicity) == (dt.date(2010, 4, 2), "F", "white")
    assert (mmichel.birth_date, mmichel.race_ethnicity) == (dt.date(2011, 11, 20), "asian")
    assert any("'userSourcedId' read as sourcedId" in w for w in result.warnings)


def test_a_demographics_file_naming_no_user_is_refused_naming_both_spellings(world, tmp_path):
    district = world.a.district
    text = "personId,birthdate,sex\nx,2010-01-01,female\n"

    result = roster_import(district=district, actor=None, path=roster_1_0(tmp_path, text))

    assert result.status == ImportRun.Status.REFUSED
    assert result.errors[0]["file"] == "demographics.csv" and result.errors[0]["column"] == "sourcedId"
    assert "userSourcedId" in result.errors[0]["reason"]

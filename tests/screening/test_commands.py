"""`import_scores` and `import_norms`: summaries, exit statuses, the errors CSV."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from mtss.models import SchoolYear
from mtss.tenancy import tenant_context
from screening import services
from screening.models import NormTable, Score
from tests.screening.helpers import DATA, csv_bytes, map_roster, setup_district


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_import_scores_imports_the_nwea_sample_and_prints_what_it_did(world):
    side = world.a
    with tenant_context(side.district):
        year = SchoolYear.objects.create(
            district=side.district, name="2013-2014", start_date=dt.date(2013, 7, 15), end_date=dt.date(2014, 6, 30)
        )
        services.windows_default(district=side.district, actor=None, school_year=year)
    map_roster(side)
    out = run(
        "import_scores", "--district", side.district.slug, "--format", "nwea-map", str(DATA / "nwea-map"), "--dry-run"
    )
    assert "Dry run: nothing written" in out and "measures: map-math 681, map-reading 684" in out
    with tenant_context(side.district):
        assert not Score.objects.filter(district=side.district).exists()
    out = run(
        "import_scores",
        "--district",
        side.district.slug,
        "--format",
        "nwea-map",
        str(DATA / "nwea-map"),
        "--user",
        side.district_admin.username,
    )
    assert "Imported" in out and "windows: fall 2013-2014" in out
    with tenant_context(side.district):
        assert Score.objects.filter(district=side.district).count() == 1365


@pytest.mark.django_db
def test_import_scores_exit_statuses_and_errors_csv(world, tmp_path):
    side = world.a
    setup_district(side)
    with tenant_context(side.district):
        services.mapping_save(
            district=side.district,
            actor=None,
            name="Sheet",
            columns={"student_id": "Student", "date": "Date", "measure": "Measure", "percentile": "PR"},
        )
    path = tmp_path / "scores.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["Student", "Date", "Measure", "PR"],
                [side.students[0].local_id, "9/14/2026", "aimsweb-maze", "8"],
                ["NOBODY", "9/14/2026", "aimsweb-maze", "8"],
            ]
        )
    )
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError) as rejected:
        run(
            "import_scores",
            "--district",
            side.district.slug,
            "--format",
            "generic",
            "--mapping",
            "Sheet",
            str(path),
            "--errors-csv",
            str(errors),
        )
    assert rejected.value.returncode == 1 and "nothing was written" in str(rejected.value)
    rows = list(csv.reader(errors.open(encoding="utf-8")))
    assert rows == [
        ["file", "line", "column", "reason"],
        ["scores.csv", "3", "Student", "no student with local id or state id NOBODY in the district's roster"],
    ]
    out = run(
        "import_scores",
        "--district",
        side.district.slug,
        "--format",
        "generic",
        "--mapping",
        "Sheet",
        str(path),
        "--accept-valid-rows",
    )
    assert "Valid rows imported, others rejected" in out and "NOBODY (1 rows)" in out
    for args, message in (
        (["--district", "nowhere", "--format", "generic", str(path)], "no district with slug"),
        (["--district", side.district.slug, "--format", "generic", str(path)], "needs a saved column mapping"),
        (
            ["--district", side.district.slug, "--format", "generic", "--mapping", "Other", str(path)],
            "no column mapping",
        ),
        (["--district", side.district.slug, "--format", "star", str(tmp_path / "none.csv")], "no such file"),
    ):
        with pytest.raises(CommandError) as unusable:
            run("import_scores", *args)
        assert unusable.value.returncode == 2 and message in str(unusable.value)
    png = tmp_path / "photo.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    with pytest.raises(CommandError) as unreadable:
        run("import_scores", "--district", side.district.slug, "--format", "star", str(png))
    assert unreadable.value.returncode == 2


@pytest.mark.django_db
def test_import_norms(world, tmp_path):
    side = world.a
    setup_district(side)
    path = tmp_path / "cuts.csv"
    path.write_bytes(
        csv_bytes(
            [["grade", "season", "below", "label"], ["2", "fall", "8", "well below"], ["2", "fall", "12", "below"]]
        )
    )
    out = run(
        "import_norms",
        "--district",
        side.district.slug,
        "--measure",
        "aimsweb-maze",
        "--kind",
        "cut_score",
        "--name",
        "District cut scores",
        "--source",
        "District study, 2026",
        str(path),
    )
    assert "Imported" in out and "rows 2" in out and "aimsweb-maze" in out
    with tenant_context(side.district):
        table = NormTable.objects.get(district=side.district)
    assert (table.kind, table.name, table.illustrative) == ("cut_score", "District cut scores", False)
    with pytest.raises(CommandError) as unknown:
        run("import_norms", "--district", side.district.slug, "--measure", "nope", str(path))
    assert unknown.value.returncode == 2

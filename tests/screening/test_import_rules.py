"""The import rules: validate everything first, all or nothing, dry runs, every rejected row with
its line, column and reason (and as CSV), idempotent re-imports, unmatched students listed, other
formats and encodings told apart, every import recorded."""

from __future__ import annotations

import codecs
import datetime as dt
import tracemalloc

import pytest

from mtss.models import AuditEvent
from mtss.tenancy import tenant_context
from screening import services
from screening.models import ImportRowError, ReviewItem, Score
from students.models import ImportRun, Student
from tests.screening.helpers import csv_bytes, setup_district

HEADER = ["Student", "Date", "Measure", "Score", "PR"]


def mapping_for(side):
    with tenant_context(side.district):
        return services.mapping_save(
            district=side.district,
            actor=None,
            name="Sheet",
            columns={
                "student_id": "Student",
                "date": "Date",
                "measure": "Measure",
                "score": "Score",
                "percentile": "PR",
            },
        )


def write(tmp_path, rows, name="scores.csv", **kwargs):
    path = tmp_path / name
    path.write_bytes(csv_bytes([HEADER, *rows], **kwargs))
    return path


def run_import(side, path, mapping, **kwargs):
    return services.scores_import(
        district=side.district, actor=side.district_admin, path=path, format="generic", mapping=mapping, **kwargs
    )


def count_scores(side) -> int:
    with tenant_context(side.district):
        return Score.objects.filter(district=side.district).count()


@pytest.fixture
def ready(world):
    side = world.a
    window = setup_district(side)
    return side, mapping_for(side), window


def good_rows(side):
    s = side.students
    return [
        [s[0].local_id, "9/14/2026", "aimsweb-maze", "6", "9"],
        [s[1].local_id, "9/15/2026", "aimsweb-maze", "14", "40"],
        [s[2].local_id, "2026-09-16", "aimsweb-maze", "15", "55"],
    ]


@pytest.mark.django_db
def test_a_file_with_broken_rows_is_refused_whole_with_every_problem_reported(ready, tmp_path, client):
    side, mapping, _ = ready
    s = side.students
    rows = [
        [s[0].local_id, "9/14/2026", "aimsweb-maze", "6", "9"],  # line 2: fine
        [s[1].local_id, "9/31/2026", "aimsweb-maze", "lots", "40"],  # line 3: no such day; not a number
        ["NOBODY-1", "9/15/2026", "aimsweb-maze", "12", "30"],  # line 4: no such student
        [s[2].local_id, "1/15/2026", "aimsweb-maze", "12", "30"],  # line 5: in no window
        [s[2].local_id, "9/15/2026", "aimsweb-mazze", "12", "30"],  # line 6: unknown measure
        [s[3].local_id, "9/15/2026", "aimsweb-maze", "12", "130"],  # line 7: percentile out of range
    ]
    path = write(tmp_path, rows)

    run = run_import(side, path, mapping)

    assert run.status == ImportRun.Status.REFUSED and not run.dry_run
    assert count_scores(side) == 0
    with tenant_context(side.district):
        assert not ReviewItem.objects.filter(district=side.district).exists()
        assert not AuditEvent.objects.filter(district=side.district, verb="scores.import").exists()
    expected = [
        {"file": "scores.csv", "line": 3, "column": "Date", "reason": "'9/31/2026' is not a date on the calendar"},
        {"file": "scores.csv", "line": 3, "column": "Score", "reason": "'lots' is not a number"},
        {
            "file": "scores.csv",
            "line": 4,
            "column": "Student",
            "reason": "no student with local id or state id NOBODY-1 in the district's roster",
        },
        {
            "file": "scores.csv",
            "line": 5,
            "column": "Date",
            "reason": "2026-01-15 falls in no screening window of the district; add the window first "
            "(Screening > Windows)",
        },
        {
            "file": "scores.csv",
            "line": 6,
            "column": "Measure",
            "reason": "unknown measure 'aimsweb-mazze': use a catalog key such as map-reading",
        },
        {"file": "scores.csv", "line": 7, "column": "PR", "reason": "'130' is outside 0..100"},
    ]
    assert run.errors == expected and run.error_count == 6
    assert run.counts["scores"]["rejected"] == 5 and run.counts["scores"]["created"] == 1  # would be created
    assert run.details["unmatched_students"] == [{"key": "NOBODY-1", "rows": 1}]

    client.force_login(side.district_admin)
    response = client.get(f"/screening/imports/{run.pk}/errors.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "file,line,column,reason"
    assert lines[1] == "scores.csv,3,Date,'9/31/2026' is not a date on the calendar"
    assert len(lines) == 7


@pytest.mark.django_db
def test_the_valid_rows_import_when_the_user_accepts_them(ready, tmp_path):
    side, mapping, _ = ready
    rows = [*good_rows(side), ["NOBODY-1", "9/15/2026", "aimsweb-maze", "12", "30"]]
    run = run_import(side, write(tmp_path, rows), mapping, accept_valid_rows=True)
    assert run.status == ImportRun.Status.PARTIAL
    assert run.counts["scores"]["created"] == 3 and run.counts["scores"]["rejected"] == 1
    assert count_scores(side) == 3
    with tenant_context(side.district):
        event = AuditEvent.objects.get(district=side.district, verb="scores.import")
    # Counts only: never a student value.
    assert event.changes["counts"]["scores"]["created"] == 3 and "NOBODY" not in str(event.changes)


@pytest.mark.django_db
def test_a_dry_run_counts_and_writes_nothing_but_its_record(ready, tmp_path):
    side, mapping, _ = ready
    run = run_import(side, write(tmp_path, good_rows(side)), mapping, dry_run=True)
    assert run.status == ImportRun.Status.DRY_RUN and run.dry_run
    assert run.counts["scores"]["created"] == 3
    assert count_scores(side) == 0
    with tenant_context(side.district):
        assert ImportRun.objects.filter(district=side.district, kind="scores", dry_run=True).count() == 1


@pytest.mark.django_db
def test_reimporting_changes_nothing_and_a_changed_score_updates(ready, tmp_path):
    side, mapping, _ = ready
    path = write(tmp_path, good_rows(side))
    first = run_import(side, path, mapping)
    assert first.counts["scores"]["created"] == 3 and count_scores(side) == 3
    with tenant_context(side.district):
        items = ReviewItem.objects.filter(district=side.district).count()
    assert items == 1  # the 9th-percentile student, not yet served
    again = run_import(side, path, mapping)
    assert again.counts["scores"] == {"created": 0, "updated": 0, "unchanged": 3, "deleted": 0, "rejected": 0}
    assert count_scores(side) == 3
    with tenant_context(side.district):
        assert ReviewItem.objects.filter(district=side.district).count() == items

    rows = good_rows(side)
    rows[0] = [side.students[0].local_id, "9/14/2026", "aimsweb-maze", "16", "62"]  # a corrected score
    changed = run_import(side, write(tmp_path, rows), mapping)
    assert changed.counts["scores"]["updated"] == 1 and changed.counts["scores"]["unchanged"] == 2
    with tenant_context(side.district):
        score = Score.objects.get(district=side.district, student=side.students[0])
        item = ReviewItem.objects.get(district=side.district, score=score)
    assert (score.score, score.tier, item.status) == (16, 1, ReviewItem.Status.WITHDRAWN)


@pytest.mark.django_db
def test_a_retest_replaces_an_earlier_test_but_an_older_file_does_not(ready, tmp_path):
    side, mapping, _ = ready
    sid = side.students[0].local_id
    rows = [[sid, "9/14/2026", "aimsweb-maze", "6", "9"], [sid, "10/1/2026", "aimsweb-maze", "12", "30"]]
    run = run_import(side, write(tmp_path, rows), mapping)
    assert run.counts["scores"]["created"] == 1 and any("replaced by the later test" in w for w in run.warnings)
    with tenant_context(side.district):
        assert Score.objects.get(district=side.district).test_date == dt.date(2026, 10, 1)
    older = run_import(side, write(tmp_path, [rows[0]], name="old.csv"), mapping)
    assert older.counts["scores"]["updated"] == 0 and any(
        "older than the score already stored" in w for w in older.warnings
    )
    with tenant_context(side.district):
        assert Score.objects.get(district=side.district).test_date == dt.date(2026, 10, 1)
    same_day = [[sid, "10/1/2026", "aimsweb-maze", "12", "30"], [sid, "10/1/2026", "aimsweb-maze", "19", "70"]]
    conflict = run_import(side, write(tmp_path, same_day, name="conflict.csv"), mapping)
    assert conflict.status == ImportRun.Status.REFUSED
    assert conflict.errors == [
        {
            "file": "conflict.csv",
            "line": 3,
            "column": "",
            "reason": "another result for the same student, measure and day is on line 2 with other values",
        }
    ]


@pytest.mark.django_db
def test_unmatched_students_are_listed_never_created(ready, tmp_path):
    side, mapping, _ = ready
    with tenant_context(side.district):
        before = Student.objects.filter(district=side.district).count()
    rows = [
        ["X-1", "9/14/2026", "aimsweb-maze", "6", "9"],
        ["X-1", "9/14/2026", "aimsweb-rcbm", "60", "9"],
        ["X-2", "9/14/2026", "aimsweb-maze", "6", "9"],
    ]
    run = run_import(side, write(tmp_path, rows), mapping, accept_valid_rows=True)
    assert run.details["unmatched_students"] == [{"key": "X-1", "rows": 2}, {"key": "X-2", "rows": 1}]
    assert run.details["unmatched_total"] == 2
    with tenant_context(side.district):
        assert Student.objects.filter(district=side.district).count() == before


@pytest.mark.django_db
def test_another_districts_student_is_unknown(world, tmp_path):
    side = world.a
    setup_district(side)
    mapping = mapping_for(side)
    rows = [[world.b.students[0].local_id, "9/14/2026", "aimsweb-maze", "6", "9"]]
    run = run_import(side, write(tmp_path, rows), mapping)
    assert run.status == ImportRun.Status.REFUSED and "no student with local id" in run.errors[0]["reason"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "it looks like a PNG image"),
        (b"PK\x03\x04" + b"\x00" * 40, "is not a readable zip archive"),
        (codecs.BOM_UTF16_LE + "Student,Date\r\n".encode("utf-16-le"), "it looks like UTF-16 text"),
        (b'{"scores": []}', "it looks like JSON"),
        (b"Student,Date,Measure\r\nL1,9/14/2026,\x81\x8d\r\n", "neither UTF-8 nor Windows-1252"),
    ],
)
def test_a_file_of_another_format_or_encoding_gets_a_clear_message(ready, tmp_path, content, message):
    side, mapping, _ = ready
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    run = run_import(side, path, mapping, accept_valid_rows=True)
    assert run.status == ImportRun.Status.REFUSED and run.plan.refused_whole
    assert message in run.errors[0]["reason"] and run.errors[0]["file"] in ("upload.csv", "upload")
    assert count_scores(side) == 0


@pytest.mark.django_db
def test_an_excel_workbook_is_named_as_such(ready, tmp_path):
    import openpyxl

    side, mapping, _ = ready
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(good_rows(side)[0])
    path = tmp_path / "scores.xlsx"
    book.save(path)
    run = run_import(side, path, mapping)
    assert run.status == ImportRun.Status.REFUSED
    assert run.errors[0]["reason"].startswith("this is an Excel workbook (.xlsx), not a CSV file")


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-8"])
def test_utf8_with_bom_and_windows_1252_read_the_same(ready, tmp_path, encoding):
    side, mapping, _ = ready
    with tenant_context(side.district):
        Student.objects.filter(pk=side.students[0].pk).update(local_id="ÉLÈVE-1")
    rows = [["ÉLÈVE-1", "9/14/2026", "aimsweb-maze", "6", "9"]]
    path = tmp_path / "scores.csv"
    path.write_bytes(csv_bytes([HEADER, *rows], encoding=encoding))
    run = run_import(side, path, mapping)
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert (
        run.details["encodings"]["scores.csv"]
        == {"utf-8-sig": "utf-8 with BOM", "cp1252": "windows-1252", "utf-8": "utf-8"}[encoding]
    )


@pytest.mark.django_db
def test_every_rejected_row_is_kept_for_the_download_beyond_the_runs_first_thousand(ready, tmp_path):
    side, mapping, _ = ready
    rows = [[f"NOBODY-{n}", "9/14/2026", "aimsweb-maze", "6", "9"] for n in range(1200)]
    run = run_import(side, write(tmp_path, rows), mapping)
    assert run.error_count == 1200 and len(run.errors) == ImportRun.ERROR_LIMIT
    with tenant_context(side.district):
        assert ImportRowError.objects.filter(district=side.district, run=run).count() == 1200
    assert run.details["unmatched_total"] == 1200 and len(run.details["unmatched_students"]) == 1000


@pytest.mark.django_db
def test_memory_does_not_grow_with_the_file(ready, tmp_path):
    """Streaming: what the import holds is sized by the district, not the file (benchmarks/bench_import.py
    measures 10,000 against 100,000 rows on PostgreSQL)."""
    side, mapping, _ = ready
    with tenant_context(side.district):
        Student.objects.bulk_create(
            [
                Student(
                    district=side.district,
                    school=side.school,
                    local_id=f"M{n:05d}",
                    first_name="M",
                    last_name="S",
                    birth_date=dt.date(2017, 1, 1),
                    grade=2,
                    entry_date=dt.date(2026, 8, 1),
                )
                for n in range(10_000)
            ]
        )
    peaks = []
    for n in (1_000, 10_000):
        rows = [[f"M{i:05d}", "9/14/2026", "aimsweb-maze", str(5 + i % 20), str(1 + i % 98)] for i in range(n)]
        path = write(tmp_path, rows, name=f"rows-{n}.csv")
        tracemalloc.start()
        run = run_import(side, path, mapping, dry_run=True)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert run.counts["scores"]["created"] == n
    assert peaks[1] < peaks[0] * 1.5, peaks

"""Screening pages: the breakdown, the review queue and its actions, mid-year entrants, and the
district administrators' windows, catalog, mappings and imports (uploads, dry run, errors CSV)."""

from __future__ import annotations

import datetime as dt
import io
import shutil

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mtss.models import AccessLog
from mtss.tenancy import tenant_context
from screening import services
from screening.models import ReviewItem, Score
from students.models import ImportRun, Student
from tests import factories as f
from tests.screening.helpers import DATA, csv_bytes, score_items, setup_district


@pytest.fixture
def screened(world):
    """District a: Loudon's policy; fall scores of the elementary school's three students and of the
    middle school's one."""
    side = world.a
    window = setup_district(side)
    services.scores_create_bulk(
        district=side.district, actor=None, items=score_items(side, {0: 5, 1: 20, 2: 60, 3: 90})
    )
    return side, window


@pytest.mark.django_db
def test_the_breakdown_counts_tiers_by_school_grade_and_measure(screened, client):
    side, window = screened
    client.force_login(side.district_admin)
    response = client.get(f"/screening/?window={window.pk}")
    assert response.status_code == 200
    result = response.context["result"]
    rows = {
        (r.school.name, r.grade, r.measure.key): (r.counts.tier1, r.counts.tier2, r.counts.tier3) for r in result.rows
    }
    assert rows == {
        (side.school.name, 2, "aimsweb-maze"): (1, 2, 0),
        (side.other_school.name, 7, "aimsweb-maze"): (1, 0, 0),
    }
    assert [t["count"] for t in result.total.guideline["tiers"]] == [2, 2, 0]
    assert [t["verdict"] for t in result.total.guideline["tiers"]] == ["below", "above", "meets"]
    html = response.content.decode()
    assert "<svg" in html and 'role="img"' in html and "80 % guideline" in html
    assert 'id="breakdown"' in html and 'id="subgroups"' in html
    assert "2 newly flagged students to review" in html


@pytest.mark.django_db
def test_many_schools_chart_per_grade_and_the_table_pages_by_school(screened, client, monkeypatch):
    """A district of 1,000 schools drew 2,000 bars and a 4,000-row table in one page (2 s at 400,000
    students): past `CHART_SCHOOLS` schools the chart is per grade, and the table pages by school."""
    from screening import selectors

    side, window = screened
    client.force_login(side.district_admin)
    few = client.get(f"/screening/?window={window.pk}")
    assert few.context["result"].chart_by == "school"
    assert sorted(label.split(" · ")[0] for label, _ in few.context["result"].chart) == sorted(
        [side.school.name, side.other_school.name]
    )
    monkeypatch.setattr(selectors, "CHART_SCHOOLS", 1)
    monkeypatch.setattr(selectors, "BREAKDOWN_SCHOOLS_PAGE", 1)
    first = client.get(f"/screening/?window={window.pk}")
    result = first.context["result"]
    assert result.chart_by == "grade"
    assert sorted(label.split(" · ")[0] for label, _ in result.chart) == ["Grade 2", "Grade 7"]
    schools = sorted([side.school, side.other_school], key=lambda s: s.name)
    html = first.content.decode()
    assert html.count('<th scope="row">' + schools[0].name) == 1 and schools[1].name + "</th>" not in html
    assert "page 1 of 2, 2 schools" in html
    second = client.get(f"/screening/?window={window.pk}&page=2").content.decode()
    assert schools[1].name + "</th>" in second and schools[0].name + "</th>" not in second
    assert f"window={window.pk}&amp;page=1" in second  # the pager keeps the filters


@pytest.mark.django_db
def test_the_subgroup_split_shows_the_gap(screened, client):
    side, window = screened
    with tenant_context(side.district):
        Student.objects.filter(pk__in=[side.students[0].pk, side.students[1].pk]).update(english_learner=True)
    client.force_login(side.district_admin)
    subgroups = {row.key: row for row in client.get(f"/screening/?window={window.pk}").context["subgroups"]}
    el = subgroups["english_learner"]
    assert (el.members.tier2, el.others.tier1) == (2, 2)
    assert el.gap == 100.0  # every English learner at risk, no other student
    assert subgroups["disability_iep"].members.total == 0 and subgroups["disability_iep"].gap is None


@pytest.mark.django_db
def test_a_principal_sees_only_their_schools_and_a_teacher_nothing(screened, client):
    side, window = screened
    client.force_login(side.principal)  # a principal of the elementary school only
    rows = client.get(f"/screening/?window={window.pk}").context["result"].rows
    assert {r.school for r in rows} == {side.school}
    other = client.get(f"/screening/?window={window.pk}&school={side.other_school.pk}").context["result"].rows
    assert {r.school for r in other} == {side.school}  # a school not theirs reads as "all my schools"
    client.force_login(side.teacher)
    assert client.get("/screening/").status_code == 404
    assert client.get("/screening/review/").status_code == 404
    client.force_login(side.principal)
    assert client.get("/screening/imports/").status_code == 404
    assert client.get("/screening/windows/").status_code == 404


@pytest.mark.django_db
def test_the_breakdown_makes_the_same_queries_whatever_the_number_of_scores(screened, client):
    side, window = screened
    client.force_login(side.district_admin)
    with CaptureQueriesContext(connection) as small:
        client.get(f"/screening/?window={window.pk}")
    with tenant_context(side.district):
        students = [f.make_student(side.district, side.other_school, grade=g) for g in (6, 7, 8) for _ in range(5)]
    services.scores_create_bulk(
        district=side.district,
        actor=None,
        items=[
            {"student": s.pk, "measure": "aimsweb-maze", "date": "2026-09-15", "percentile": 5 + 6 * i}
            for i, s in enumerate(students)
        ],
    )
    with CaptureQueriesContext(connection) as large:
        client.get(f"/screening/?window={window.pk}")
    assert len(large) == len(small)


@pytest.mark.django_db
def test_the_grade_and_measure_choices_are_distinct_over_the_columns_alone(screened):
    # Score's default ordering (test date, id) used to join the DISTINCT, which then sorted every
    # score of the window: 500 ms at 400,000 students for a list of a dozen grades.
    from screening import selectors

    side, window = screened
    with tenant_context(side.district), CaptureQueriesContext(connection) as captured:
        grades = selectors.window_grades(district=side.district, window=window)
        measures = selectors.window_measures(district=side.district, window=window)
    assert grades == [2, 7]
    assert [m.key for m in measures] == ["aimsweb-maze"]
    assert all("test_date" not in q["sql"] for q in captured.captured_queries), captured.captured_queries


@pytest.mark.django_db
def test_the_review_queue_lists_flagged_students_and_records_the_access(screened, client):
    side, window = screened
    client.force_login(side.principal)
    response = client.get(f"/screening/review/?window={window.pk}")
    rows = response.context["rows"]
    assert [item.student_id for item in rows] == [side.students[0].pk, side.students[1].pk]
    assert "Percentile 5 (national, from the score file) is below 25" in response.content.decode()
    with tenant_context(side.district):
        log = AccessLog.objects.filter(district=side.district, what="screening review queue").get()
    assert sorted(log.student_ids) == sorted([side.students[0].pk, side.students[1].pk])


@pytest.mark.django_db
def test_the_review_queue_pages_keep_the_window_and_status(screened, client, monkeypatch):
    from screening import views

    side, window = screened
    monkeypatch.setattr(views, "REVIEW_PAGE", 1)
    client.force_login(side.principal)
    first = client.get(f"/screening/review/?window={window.pk}&status=open")
    assert [item.student_id for item in first.context["rows"]] == [side.students[0].pk]
    html = first.content.decode()
    assert f'href="?window={window.pk}&amp;status=open&amp;page=2"' in html and "Page 1 of 2" in html
    second = client.get(f"/screening/review/?window={window.pk}&status=open&page=2")
    assert [item.student_id for item in second.context["rows"]] == [side.students[1].pk]


@pytest.mark.django_db
def test_the_team_marks_reviewed_starts_a_plan_or_dismisses_with_a_reason(screened, client):
    side, window = screened
    with tenant_context(side.district):
        first, second = ReviewItem.objects.filter(district=side.district).order_by("student_id")
    client.force_login(side.principal)
    queue = f"/screening/review/?window={window.pk}"
    response = client.post(f"/screening/review/{first.pk}/", {"action": "dismiss", "reason": ""}, follow=True)
    assert "Say why the student is dismissed" in response.content.decode()
    response = client.post(f"/screening/review/{first.pk}/", {"action": "dismiss", "reason": "Moved away"})
    assert response.status_code == 302 and response["Location"] == queue + "&status=open"
    response = client.post(f"/screening/review/{second.pk}/", {"action": "plan"})
    assert response["Location"] == f"/interventions/students/{second.student_id}/plans/new/?review_item={second.pk}"
    with tenant_context(side.district):
        statuses = dict(ReviewItem.objects.filter(district=side.district).values_list("pk", "status"))
    # Issue 14: "Start a plan" marks the item only when the plan is saved (tests/interventions/test_safe_entry.py).
    assert statuses == {first.pk: "dismissed", second.pk: "open"}
    assert client.get(f"/screening/review/{second.pk}/").status_code == 405
    client.force_login(side.read_only)
    assert client.get(queue).status_code == 200
    assert client.post(f"/screening/review/{first.pk}/", {"action": "reopen"}).status_code == 404


@pytest.mark.django_db
def test_mid_year_entrants_who_still_need_a_screening_are_listed(screened, client):
    side, window = screened
    # Loudon: screened unless a benchmark is within 4 weeks. Winter begins 1 January 2027.
    late = f.make_student(side.district, side.school, entry_date=dt.date(2026, 11, 10), last_name="Newcomer")
    soon = f.make_student(side.district, side.school, entry_date=dt.date(2026, 12, 20), last_name="Almostwinter")
    screened_new = f.make_student(side.district, side.school, entry_date=dt.date(2026, 9, 20), last_name="Tested")
    services.scores_create_bulk(
        district=side.district,
        actor=None,
        items=[{"student": screened_new.pk, "measure": "aimsweb-maze", "date": "2026-09-25", "percentile": 50}],
    )
    client.force_login(side.principal)
    from unittest import mock

    with mock.patch("screening.selectors.timezone.localdate", return_value=dt.date(2026, 12, 21)):
        response = client.get(f"/screening/entrants/?window={window.pk}")
    listed = [e.student.pk for e in response.context["entrants"]]
    assert listed == [late.pk] and soon.pk not in listed and screened_new.pk not in listed
    assert "unless a benchmark window begins within 4 weeks" in response.content.decode()


@pytest.mark.django_db
def test_an_upload_dry_run_then_import_then_rejected_rows_as_csv(world, client, tmp_path):
    side = world.a
    setup_district(side)
    client.force_login(side.district_admin)
    with tenant_context(side.district):
        mapping = services.mapping_save(
            district=side.district,
            actor=None,
            name="Sheet",
            columns={"student_id": "Student", "date": "Date", "measure": "Measure", "percentile": "PR"},
        )
    good = csv_bytes(
        [["Student", "Date", "Measure", "PR"], [side.students[0].local_id, "9/14/2026", "aimsweb-maze", "8"]]
    )
    upload = io.BytesIO(good)
    upload.name = "fall.csv"
    response = client.post(
        "/screening/imports/",
        {"kind": "scores", "format": "generic", "mapping": mapping.pk, "dry_run": "on", "file": upload},
    )
    assert response.status_code == 302
    detail = client.get(response["Location"])
    run = detail.context["run"]
    assert run.status == ImportRun.Status.DRY_RUN and detail.context["can_import"]
    assert "What the import would do" in detail.content.decode()
    response = client.post(response["Location"], {"action": "import"})
    final = client.get(response["Location"]).context["run"]
    assert final.status == ImportRun.Status.SUCCEEDED and final.file_name == "fall.csv"
    with tenant_context(side.district):
        assert Score.objects.filter(district=side.district).count() == 1
    assert client.post(f"/screening/imports/{final.pk}/", {"action": "import"}).status_code == 302  # file gone

    bad = csv_bytes(
        [
            ["Student", "Date", "Measure", "PR"],
            [side.students[1].local_id, "9/14/2026", "aimsweb-maze", "8"],
            ["NOBODY", "9/14/2026", "aimsweb-maze", "8"],
        ]
    )
    upload = io.BytesIO(bad)
    upload.name = "fall-2.csv"
    response = client.post(
        "/screening/imports/", {"kind": "scores", "format": "generic", "mapping": mapping.pk, "file": upload}
    )
    detail = client.get(response["Location"])
    run = detail.context["run"]
    assert run.status == ImportRun.Status.REFUSED and detail.context["can_accept"]
    html = detail.content.decode()
    assert "NOBODY" in html and "Download every rejected row (CSV)" in html
    csv_lines = b"".join(client.get(f"/screening/imports/{run.pk}/errors.csv").streaming_content).decode().splitlines()
    assert csv_lines[1] == "fall-2.csv,3,Student,no student with local id or state id NOBODY in the district's roster"
    response = client.post(f"/screening/imports/{run.pk}/", {"action": "accept"})
    partial = client.get(response["Location"]).context["run"]
    assert partial.status == ImportRun.Status.PARTIAL
    with tenant_context(side.district):
        assert Score.objects.filter(district=side.district).count() == 2
        assert AccessLog.objects.filter(district=side.district, action="export").exists()


@pytest.mark.django_db
def test_a_roster_zip_uploads_through_the_same_page(world, client, tmp_path):
    side = world.a
    client.force_login(side.district_admin)
    archive = shutil.make_archive(str(tmp_path / "roster"), "zip", DATA / "oneroster" / "v1p1-minimal")
    with open(archive, "rb") as handle:
        upload = io.BytesIO(handle.read())
    upload.name = "roster.zip"
    response = client.post("/screening/imports/", {"kind": "roster", "dry_run": "on", "file": upload})
    detail = client.get(response["Location"])
    run = detail.context["run"]
    assert (run.kind, run.format, run.status) == (ImportRun.Kind.ROSTER, "oneroster-1.1", ImportRun.Status.DRY_RUN)
    assert run.counts["students"]["created"] == 3 and detail.context["can_import"]
    response = client.post(response["Location"], {"action": "import"})
    final = client.get(response["Location"]).context["run"]
    assert final.status == ImportRun.Status.SUCCEEDED and final.file_name == "roster.zip"
    with tenant_context(side.district):
        assert Student.objects.filter(district=side.district, sourced_id__gt="").count() == 3
    listing = client.get("/screening/imports/").content.decode()
    assert listing.count("roster.zip") == 2


@pytest.mark.django_db
def test_an_upload_form_error_names_the_field(world, client):
    side = world.a
    client.force_login(side.district_admin)
    upload = io.BytesIO(b"a,b\r\n1,2\r\n")
    upload.name = "x.csv"
    response = client.post("/screening/imports/", {"kind": "scores", "format": "generic", "file": upload})
    assert response.status_code == 200
    assert "The generic format needs a saved column mapping." in response.content.decode()
    with tenant_context(side.district):
        assert not ImportRun.objects.filter(district=side.district).exists()


@pytest.mark.django_db
def test_windows_catalog_and_mappings_pages(world, client):
    side = world.a
    client.force_login(side.district_admin)
    with tenant_context(side.district):
        from mtss.models import SchoolYear

        year = SchoolYear.objects.get(district=side.district)
    response = client.post("/screening/windows/", {"action": "defaults", "school_year": year.pk}, follow=True)
    assert "3 window(s) added to 2026-2027" in response.content.decode()
    response = client.post(
        "/screening/windows/",
        {"school_year": year.pk, "season": "fall", "start_date": "2026-09-01", "end_date": "2026-09-30"},
    )
    assert response.status_code == 200 and "already has a fall window" in response.content.decode()
    catalog = client.get("/screening/catalog/").content.decode()
    assert "aimswebPlus Maze" in catalog and "MAP Growth Reading" in catalog
    response = client.post("/screening/mappings/", {"name": "Local", "col_student_id": "ID", "col_date": ""})
    assert response.status_code == 200
    assert "map this field to a column of your file" in response.content.decode()
    client.force_login(side.psychologist)
    assert client.get("/screening/catalog/").status_code == 200
    assert client.post("/screening/catalog/", {}).status_code == 404
    assert client.get("/screening/mappings/").status_code == 404

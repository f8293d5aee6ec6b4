"""The early-warning dashboard (issue 17, item 5): who may open it, the small-n guard, the
drill-down limited to what the member may see, and exports that are formula-safe and logged."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from mtss.models import SchoolYear
from mtss.tenancy import tenant_context
from students.models import EarlyWarningFlag, EarlyWarningSnapshot
from tests import factories as f
from tests.reports.cases import access_logs

pytestmark = pytest.mark.django_db


def _flag(side, student, indicator="attendance", explanation="missed 4 of 32 instructional days (12.5 %)"):
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district)
        return EarlyWarningFlag.objects.create(
            district=side.district,
            student=student,
            school=student.school,
            school_year=year,
            indicator=indicator,
            explanation=explanation,
            numbers={},
            first_flagged_on=dt.date(2026, 9, 30),
            computed_on=dt.date(2026, 9, 30),
        )


def _url(name, *args, **params):
    from django.utils.http import urlencode

    return reverse(name, args=args) + ("?" + urlencode(params) if params else "")


def test_teachers_and_outsiders_do_not_get_the_dashboard(world, login):
    assert login(world.a.teacher).get(_url("reports_early_warning")).status_code == 404
    assert login(world.outsider).get(_url("reports_early_warning")).status_code == 404


def test_a_small_school_shows_counts_but_no_share(world, login):
    side = world.a
    _flag(side, side.students[0])
    page = login(side.principal).get(_url("reports_early_warning")).content.decode()
    # 3 students at the school: fewer than 10, so the share is "too few to judge", the n stays.
    assert side.school.name in page
    assert "too few to judge" in page
    assert "12.5 %" not in page  # the dashboard is aggregates only


def test_a_large_enough_school_shows_the_share_with_the_count(world, login):
    side = world.a
    extra = [f.make_student(side.district, side.school) for _ in range(7)]
    _flag(side, extra[0])
    _flag(side, extra[1])
    page = login(side.principal).get(_url("reports_early_warning")).content.decode()
    assert "20% (2)" in page  # 2 of 10 students


def test_the_principal_drills_into_their_school_but_not_another(world, login):
    side = world.a
    _flag(side, side.students[0])
    _flag(side, side.students[3])  # at the other school (the principal is not its principal)
    client = login(side.principal)
    page = client.get(_url("reports_early_warning_school", side.school.pk))
    assert page.status_code == 200
    text = page.content.decode()
    assert side.students[0].last_name in text and "missed 4 of 32 instructional days" in text
    assert client.get(_url("reports_early_warning_school", side.other_school.pk)).status_code == 404
    assert client.get(_url("reports_early_warning_school", world.b.school.pk)).status_code == 404
    (entry,) = access_logs(side.district, action="list")
    assert entry.student_ids == [side.students[0].pk]


def test_the_drill_down_lists_only_students_the_member_may_see(world, login):
    side = world.a
    _flag(side, side.students[0])
    specialist = side.intervention_specialist  # sees only granted or flagged students
    # A specialist may not open the dashboard at all (principals and administrators only).
    assert login(specialist).get(_url("reports_early_warning_school", side.school.pk)).status_code == 404
    admin = login(side.district_admin)
    text = admin.get(_url("reports_early_warning_school", side.school.pk)).content.decode()
    assert side.students[0].last_name in text


def test_the_export_is_formula_safe_and_logged(world, login):
    side = world.a
    _flag(side, side.students[0], explanation='=HYPERLINK("http://x","y")')
    client = login(side.principal)
    response = client.get(_url("reports_early_warning_school", side.school.pk, export="students", format="csv"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["Student", "Local id", "Grade", "Indicator"]
    assert rows[1][4] == '\'=HYPERLINK("http://x","y")'
    (entry,) = access_logs(side.district, action="export")
    assert entry.student_ids == [side.students[0].pk]
    xlsx = client.get(_url("reports_early_warning_school", side.school.pk, export="students", format="xlsx"))
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")


def test_the_trend_reads_the_nightly_snapshots(world, login):
    side = world.a
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district)
        for day, flagged in [(dt.date(2026, 9, 4), 1), (dt.date(2026, 9, 30), 3)]:
            EarlyWarningSnapshot.objects.create(
                district=side.district,
                school_year=year,
                school=side.school,
                grade=2,
                indicator="attendance",
                computed_on=day,
                flagged=flagged,
                enrolled=20,
            )
    page = login(side.principal).get(_url("reports_early_warning")).content.decode()
    assert "2026-09-04" in page and "5.0%" in page
    assert "2026-09-30" in page and "15.0%" in page


def test_a_reviewer_marks_a_flag_reviewed_and_it_leaves_the_agenda_queue(world, login):
    side = world.a
    flag = _flag(side, side.students[0])
    client = login(side.principal)
    response = client.post(_url("reports_early_warning_review", flag.pk), {"status": "reviewed"})
    assert response.status_code == 302
    with tenant_context(side.district):
        flag.refresh_from_db()
    assert flag.status == "reviewed" and flag.decided_by == side.principal
    # Another district's principal cannot see it: 404, nothing changed.
    other = login(world.b.principal).post(_url("reports_early_warning_review", flag.pk), {"status": "dismissed"})
    assert other.status_code == 404
    with tenant_context(side.district):
        flag.refresh_from_db()
    assert flag.status == "reviewed"

"""Exports: formula injection neutralised in CSV and XLSX, logged, limited to what the user may see."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from mtss.tenancy import tenant_context
from reports.exports import csv_lines, safe_cell, xlsx_bytes
from students.models import Student
from tests.reports.cases import access_logs


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Ames, Kid", "Ames, Kid"),
        ("O'Neil", "O'Neil"),
        (-3, -3),
        (2.5, 2.5),
        (None, ""),
        (True, "yes"),
        (dt.date(2026, 9, 7), dt.date(2026, 9, 7)),
    ],
)
def test_a_cell_that_could_run_as_a_formula_is_quoted(value, expected):
    assert safe_cell(value) == expected


def test_csv_and_xlsx_keep_dangerous_text_as_text():
    header = ["Student", "Score"]
    rows = [["=1+2", 3], ["@cmd", -4]]
    text = "".join(csv_lines(header, rows))
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [
        ["Student", "Score"],
        ["'=1+2", "3"],
        ["'@cmd", "-4"],
    ]
    sheet = load_workbook(io.BytesIO(xlsx_bytes("Report: x/y", header, rows))).active
    assert sheet.title == "Report  x y"
    assert sheet["A2"].value == "'=1+2" and sheet["A2"].data_type == "s"
    assert sheet["B3"].value == -4 and sheet["B3"].data_type == "n"


def test_a_student_named_like_a_formula_is_exported_safely_and_the_export_is_logged(fidelity, login):
    p2 = fidelity["plans"]["P2"]
    with tenant_context(fidelity["side"].district):
        Student.objects.filter(pk=p2.student_id).update(last_name="=cmd|' /C calc'!A0")
    client = login(fidelity["side"].principal)
    url = reverse("reports_fidelity_plans", kwargs={"school_id": fidelity["school"].pk})
    query = {"start": fidelity["start"].isoformat(), "end": fidelity["end"].isoformat(), "metric": "below"}
    for fmt in ("csv", "xlsx"):
        response = client.get(url, {**query, "export": "plans", "format": fmt})
        assert response.status_code == 200
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
            names = [r[0] for r in rows[1:]]
        else:
            sheet = load_workbook(io.BytesIO(response.content)).active
            names = [row[0].value for row in sheet.iter_rows(min_row=2)]
        assert any(n.startswith("'=cmd|") for n in names), names
        assert not any(n.startswith("=") for n in names)
    logs = access_logs(fidelity["side"].district, action="export")
    assert len(logs) == 2
    for log in logs:
        assert set(log.student_ids) == {p2.student_id, fidelity["plans"]["P4"].student_id}
        assert log.student_count == 2 and log.user_id == fidelity["side"].principal.pk
        assert log.path == url  # ids and filters travel in the query string, never names


def test_an_export_holds_only_students_the_user_may_see(fidelity, login):
    """A principal of the middle school exports the referral list: only that school's students."""
    from tests import factories as f

    side = fidelity["side"]
    middle_principal = f.make_member(side.district, "principal", schools=[side.other_school], username="p-mid")
    response = login(middle_principal).get(reverse("reports_building_log"), {"export": "building-log", "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [r[3].split(",")[0] for r in rows[1:]] == ["Evans"]  # the middle school's plan opened a placement
    [log] = access_logs(side.district, action="export")
    assert log.student_ids == [fidelity["other"].student_id]

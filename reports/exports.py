"""CSV and XLSX exports of any report table, safe to open in a spreadsheet.

* **Formula injection** (OWASP "CSV Injection"): a text cell that starts with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a leading
  single quote, so Excel, LibreOffice and Google Sheets show it as text instead of
  running it. Numbers stay numbers (a negative number is data, not a formula).
* **Logged**: every export writes one access-log row (action ``export``) with the
  ids of the students whose data the file holds (mtss/access_log.py; FERPA), and one
  row per student in the record of disclosures (students.privacy; 34 CFR 99.32): the
  file leaves the product with the member who downloaded it.
* **Scoped**: the tables come from selectors that only read what the user may see
  (students.access.visible_students), so an export can hold nothing more than
  the page.
* Small tables are built in memory; CSV is streamed, so a long drill-down list
  never sits whole in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from mtss import access_log
from mtss.spreadsheet import formula_safe
from reports.tables import Table
from students.privacy.models import DisclosureChannel
from students.privacy.services import disclosures_record

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should receive it: text that could run as a formula gets a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    return formula_safe(value)


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A BOM so that Excel opens UTF-8 names (Nguyễn, 王) correctly.
    yield "\ufeff" + writer.writerow(safe_row(header))
    for row in rows:
        yield writer.writerow([v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v for v in safe_row(row)])


def xlsx_bytes(title: str, header: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    bold = Font(bold=True)
    header_cells = []
    for label in safe_row(header):
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in safe_row(row):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                # openpyxl reads a string starting with "=" as a formula; the quote above
                # already prevents that, and the explicit type keeps it text.
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip() or "Report"
    return cleaned[:31]


def filename(stem: str, fmt: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-").lower() or "report"
    return f"{slug}-{timezone.localdate().isoformat()}.{fmt}"


def export_table(request, table: Table, *, fmt: str, what: str, stem: str | None = None) -> HttpResponse:
    """The table as a download; records the export in the access log (one row per request)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    access_log.record(request, action="export", what=f"{what} ({fmt})"[:120], student_ids=table.student_ids)
    disclosures_record(
        district=request.district,
        student_ids=table.student_ids,
        channel=DisclosureChannel.EXPORT,
        recipient=f"{request.user.get_full_name() or request.user.get_username()} (download)",
        purpose=what,
        what=f"{table.key} ({fmt})",
        actor=request.user,
    )
    name = filename(stem or table.key, fmt)
    header = table.header()
    rows = table.values()
    if fmt == "csv":
        response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(xlsx_bytes(str(table.caption), header, rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response

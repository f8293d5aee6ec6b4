"""The early-warning dashboard (issue 17, item 5): principals of their schools, administrators of all.

* counts of flagged students by indicator, by school, grade or subgroup, each share with its
  n and the small-n guard of every report (reports.tables.MIN_N);
* the trend over the year, from the nightly snapshots;
* drill-down to one school's flagged students, only those the member may see
  (students.access.visible_students), with the review queue's actions;
* every table exports to CSV/XLSX through reports.exports (formula-safe, access-logged).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mtss import permissions
from mtss.db.router import replica_view
from mtss.decorators import district_member
from reports import selectors
from reports.charts import Bar, bar_chart_svg
from reports.tables import Cell, Column, Table, count_cell, pct, share_cell
from reports.views import _respond, _years
from students.early_warning import selectors as ew
from students.early_warning.models import EarlyWarningFlag
from students.early_warning.services import flag_decide

BREAKDOWNS = {"school": _("school"), "grade": _("grade"), "subgroup": _("subgroup")}
LABELS = dict(EarlyWarningFlag.Indicator.choices)


def _params(year, **extra) -> str:
    values = {"year": year.pk, **{k: v for k, v in extra.items() if v}}
    return "?" + urlencode(values)


def counts_table(rows: list[ew.Breakdown], *, by: str, year, link) -> Table:
    columns = [Column("group", str(BREAKDOWNS[by]).capitalize()), Column("n", _("Students"), numeric=True)]
    columns += [Column(key, str(label), numeric=True) for key, label in EarlyWarningFlag.Indicator.choices]
    columns.append(Column("any", _("Any indicator"), numeric=True))
    table = Table(
        key=f"by-{by}",
        caption=_("Students flagged, by %(by)s") % {"by": BREAKDOWNS[by]},
        columns=columns,
        empty=_("No students enrolled this year."),
        footnote=_("A share of fewer than 10 students is not shown (too few to judge); the n is beside it."),
    )
    for row in rows:
        href = link(row.key) if by == "school" else None
        cells = [Cell(row.label, href=href), count_cell(row.enrolled)]
        for key in EarlyWarningFlag.Indicator.values:
            cell = share_cell(row.flagged[key], row.enrolled, href=link(row.key, key) if by == "school" else None)
            cell.text = f"{cell.text} ({row.flagged[key]})" if cell.value is not None else cell.text
            cells.append(cell)
        cells.append(share_cell(row.any_flag, row.enrolled))
        table.add(*cells)
    return table


def trend_table(points) -> Table:
    columns = [Column("day", _("Computed on"))]
    columns += [Column(key, str(label), numeric=True) for key, label in EarlyWarningFlag.Indicator.choices]
    table = Table(
        key="trend",
        caption=_("Trend over the year (share of enrolled students flagged)"),
        columns=columns,
        empty=_("No computation yet: the indicators are computed nightly and after each import."),
    )
    # One point a week (the last computation of each ISO week) keeps a year to about 40 rows.
    weekly: dict[tuple[int, int], tuple[dt.date, dict]] = {}
    for day, values in points:
        weekly[day.isocalendar()[:2]] = (day, values)
    for day, values in sorted(weekly.values(), key=lambda p: p[0]):
        cells: list = [Cell(day)]
        for key in EarlyWarningFlag.Indicator.values:
            flagged, enrolled = values.get(key, (0, 0))
            cells.append(share_cell(flagged, enrolled, decimals=1))
        table.add(*cells)
    return table


@district_member("may_view_early_warning")
@replica_view
def dashboard(request):
    district, membership = request.district, request.membership
    years, year = _years(request)
    by = request.GET.get("by", "school")
    if by not in BREAKDOWNS:
        by = "school"
    schools = list(selectors.report_schools(district=district, membership=membership))
    context = {"years": years, "year": year, "by": by, "breakdowns": BREAKDOWNS, "schools": schools}
    if year is None:
        return _respond(request, "reports/early_warning.html", context, [], what="early-warning dashboard")

    def link(school_id, indicator=None):
        return reverse("reports_early_warning_school", args=[school_id]) + _params(year, indicator=indicator)

    rows = ew.counts_by(district=district, year=year, schools=schools, by=by)
    points = ew.trend(district=district, year=year, schools=schools)
    counts = counts_table(rows, by=by, year=year, link=link)
    trend = trend_table(points)
    total = sum(r.enrolled for r in rows)
    bars = [
        Bar(label=str(label), value=pct(sum(r.flagged[key] for r in rows), total), n=total)
        for key, label in EarlyWarningFlag.Indicator.choices
    ]
    chart = bar_chart_svg(
        bars,
        title=_("Share of students flagged, by indicator"),
        id_prefix="ew-chart",
        max_value=100,
    )
    context.update(chart=chart, total=total)
    return _respond(request, "reports/early_warning.html", context, [counts, trend], what="early-warning dashboard")


def flags_table(flags, *, school) -> Table:
    table = Table(
        key="students",
        caption=_("Flagged students at %(school)s") % {"school": school.name},
        columns=[
            Column("student", _("Student")),
            Column("local_id", _("Local id")),
            Column("grade", _("Grade")),
            Column("indicator", _("Indicator")),
            Column("why", _("Why")),
            Column("since", _("Flagged since")),
            Column("status", _("Status")),
        ],
        empty=_("No flagged student you may see at this school."),
    )
    grades = dict(school.GRADE_CHOICES)
    for flag in flags:
        student = flag.student
        table.add(
            Cell(str(student), href=reverse("student_detail", args=[student.pk])),
            student.local_id,
            grades.get(student.grade, student.grade),
            flag.get_indicator_display(),
            flag.explanation,
            flag.first_flagged_on,
            flag.get_status_display(),
            student_id=student.pk,
        )
    return table


@district_member("may_view_early_warning")
def school_flags(request, school_id: int):
    """Drill-down: the flagged students of one school the member may see, with the review actions."""
    district, membership = request.district, request.membership
    school = selectors.report_school_get(district=district, membership=membership, school_id=school_id)
    years, year = _years(request)
    indicator = request.GET.get("indicator") or None
    if indicator not in (None, *EarlyWarningFlag.Indicator.values):
        indicator = None
    context = {"school": school, "year": year, "years": years, "indicator": indicator}
    if year is None:
        return _respond(request, "reports/early_warning_school.html", context, [], what="early-warning drill-down")
    flags = list(ew.drill_down(district=district, membership=membership, year=year, school=school, indicator=indicator))
    context.update(
        indicator_label=LABELS.get(indicator, _("All indicators")),
        to_review=[f for f in flags if f.status == EarlyWarningFlag.Status.OPEN],
        may_review=permissions.allowed(membership, "may_review_early_warning"),
        back=reverse("reports_early_warning") + _params(year),
        indicators=EarlyWarningFlag.Indicator.choices,
    )
    return _respond(
        request,
        "reports/early_warning_school.html",
        context,
        [flags_table(flags, school=school)],
        what=f"early-warning drill-down, school {school.pk}",
    )


@require_POST
@district_member("may_review_early_warning")
def flag_review(request, flag_id: int):
    flag = ew.flag_get(district=request.district, membership=request.membership, flag_id=flag_id)
    try:
        flag_decide(district=request.district, actor=request.user, flag=flag, status=request.POST.get("status", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Flag marked: %(status)s.") % {"status": flag.get_status_display()})
    return redirect(reverse("reports_early_warning_school", args=[flag.school_id]) + _params(flag.school_year))

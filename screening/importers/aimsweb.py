"""Pearson aimswebPlus score export ("ScoreExportFile"), comma- or tab-delimited.

One row per student and measure. Columns read: `SSID` (the student id the
district loads into aimswebPlus; else `Studentuid`), `StudentGrade`, `Period`
(Fall/Winter/Spring), `SchoolYear` (`'19-'20`), `MeasureName` ("Oral Reading
Fluency", "Maze" ...), `Score` (else `ScaledScore`), `CSEM`, `AdministrationDate`,
`Natl` (national percentile), `RiskStatus` (LOW/MODERATE/HIGH, kept as the
category) and `FormCode`.

`AdministrationDate` in these exports is day first with dashes (`06-01-2020` is
6 January 2020, in the Winter period); slashed dates are read month first, as in
students/importers/csvio.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from screening.importers.base import (
    ReadState,
    ScoreRecord,
    TableReader,
    number,
    parse_grade,
    parse_school_year,
    parse_season,
)
from students.importers.csvio import Column, CsvTable, ImportFileError, Row, parse_date

COLUMNS = [
    Column("SSID", aliases=("Student SSID",)),
    Column("Studentuid", aliases=("Student UID",)),
    Column("StudentGrade", aliases=("Student Grade",)),
    Column("Period", aliases=("Benchmark Period", "Season")),
    Column("SchoolYear", aliases=("School Year",)),
    Column("MeasureName", required=True, aliases=("Measure Name", "Measure")),
    Column("Score"),
    Column("ScaledScore", aliases=("Scaled Score",)),
    Column("CSEM"),
    Column("AdministrationDate", required=True, aliases=("Administration Date", "Date")),
    Column("Natl", aliases=("National Percentile", "NationalPercentile")),
    Column("RiskStatus", aliases=("Risk Status",)),
    Column("FormCode"),
]
_DAY_FIRST = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})(?:[T ].*)?$")


def aimsweb_date(text: str) -> dt.date:
    value = text.strip()
    if match := _DAY_FIRST.match(value):
        day, month, year = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise ValueError(f"{value!r} is not a date on the calendar (day-month-year)") from None
    return parse_date(value)


def _date(row: Row, column: str) -> dt.date | None:
    text = row.raw(column)
    if not text:
        row.reject(column, "a value is required")
        return None
    try:
        return aimsweb_date(text)
    except ValueError as error:
        row.reject(column, str(error))
        return None


class AimswebReader(TableReader):
    format = "aimsweb"
    label = "aimswebPlus score export"
    columns = COLUMNS

    def table_records(self, table: CsvTable, name: str, state: ReadState) -> Iterator[ScoreRecord]:
        if not {"SSID", "Studentuid"} & table.columns:
            raise ImportFileError(name, "the file needs an SSID (or Studentuid) column", line=1, column="SSID")
        if not {"Score", "ScaledScore"} & table.columns:
            raise ImportFileError(name, "the file needs a Score (or ScaledScore) column", line=1, column="Score")
        for row in table:
            student_column = "SSID" if row.raw("SSID") else "Studentuid"
            student = row.text(student_column)
            if not student:
                row.reject("SSID", "a value is required")
            score_column = "Score" if row.raw("Score") else "ScaledScore"
            score = number(row, score_column)
            percentile = number(row, "Natl", low=0, high=100)
            if score is None and percentile is None and not row.problems:
                state.skip("aimswebPlus rows without a score (not tested)")
                continue
            season = parse_season(row.raw("Period"))
            year = parse_school_year(row.raw("SchoolYear"))
            grade_text = row.raw("StudentGrade")
            yield ScoreRecord(
                name,
                row.line,
                student_key=student,
                student_column=student_column,
                measure=row.raw("MeasureName"),
                measure_column="MeasureName",
                test_date=_date(row, "AdministrationDate"),
                date_column="AdministrationDate",
                score=score,
                score_column=score_column,
                percentile=percentile,
                category=row.raw("RiskStatus")[:80],
                grade=parse_grade(grade_text) if grade_text else None,
                standard_error=number(row, "CSEM", low=0),
                external_id=row.raw("FormCode")[:80],
                term=(season, year) if season and year else None,
                problems=row.problems,
            )

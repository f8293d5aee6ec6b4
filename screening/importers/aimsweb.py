"""Pearson aimswebPlus score export ("ScoreExportFile"), comma- or tab-delimited.

One row per student and measure. Columns read: `SSID` (the student id the
district loads into aimswebPlus; else `Studentuid`), `StudentGrade`, `Period`
(Fall/Winter/Spring), `SchoolYear` (`'19-'20`), `MeasureName` ("Oral Reading
Fluency", "Maze" ...), `Score` (else `ScaledScore`), `CSEM`, `AdministrationDate`,
`Natl` (national percentile), `RiskStatus` (LOW/MODERATE/HIGH, kept as the
category) and `FormCode`.

`AdministrationDate` in these exports is day first with dashes (`06-01-2020` is
6 January 2020, in the Winter period); slashed dates are read month first. A file whose own
dates show the other order (`09-16-2019`) is read in that order throughout
(screening/importers/dates.py).

Which measure: `MeasureName` against the catalog's import names. aimswebPlus reports each
composite as its own row, named after the area: `Reading` and `Math` (grades 2-8),
`Early Literacy` and `Early Numeracy` (K-1); subtests such as `Concepts & Applications` or
`Vocabulary` are skipped (counted) unless the district adds them to its catalog.
"""

from __future__ import annotations

from collections.abc import Iterator

from screening.importers.base import (
    ReadState,
    ScoreRecord,
    TableReader,
    number,
    parse_grade,
    parse_school_year,
    parse_season,
    percentile,
)
from screening.importers.dates import DAY_FIRST, MONTH_FIRST
from students.importers.csvio import Column, CsvTable, ImportFileError

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


def _aimsweb_order(separator: str) -> str:
    # aimswebPlus writes `06-01-2020` for 6 January (a Winter test): dashes are day first
    # unless the file's own dates say otherwise; slashes follow the US order.
    return DAY_FIRST if separator in "-." else MONTH_FIRST


class AimswebReader(TableReader):
    format = "aimsweb"
    label = "aimswebPlus score export"
    columns = COLUMNS
    date_columns = ("AdministrationDate",)
    date_default = staticmethod(_aimsweb_order)

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
            natl = percentile(row, "Natl")
            if score is None and natl is None and not row.problems:
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
                test_date=self.dates.read(row, "AdministrationDate"),
                date_column="AdministrationDate",
                score=score,
                score_column=score_column,
                percentile=natl,
                category=row.raw("RiskStatus")[:80],
                grade=parse_grade(grade_text) if grade_text else None,
                standard_error=number(row, "CSEM", low=0),
                external_id=row.raw("FormCode")[:80],
                term=(season, year) if season and year else None,
                problems=row.problems,
            )

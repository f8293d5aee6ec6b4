"""Behavior screener results (issue #17, item 4): one row per student rated, one column per scale.

Both formats are "wide": a row carries several totals, and each total becomes one score of its
catalog measure (screening/catalog.py), banded by the policy's `rating_scale` rule
(screening/risk.py) and fed to the same pipeline, screening view and review queue as academic
screeners. A blank total is a scale the teacher did not rate (skipped for that row); a row with
no total at all is an error.

SRSS-IE (`srss-ie`), a generic CSV of the teacher ratings' subscale totals, as schools keep them
from the Ci3T scoring sheets: `Student ID` (local id, else state id), `Date` (the rating date),
optional `Grade`, `Season` and `School Year`, and any of `SRSS-E7`, `SRSS-E5`, `SRSS-I5`,
`SRSS-I6` (also `E7`, `E5`, `I5`, `I6`). Item-level sheets are not read: which items make each
total differs between elementary and secondary forms, so the file gives the totals.

SAEBRS (`saebrs`), the shape of a FastBridge screening export as documented in README "Behavior
screeners": `Local ID` (or `Student ID`; else `State ID`), `Grade`, `Assessment Date`, optional
`Season` and `School Year`, `Total Behavior`, `Social Behavior`, `Academic Behavior`, `Emotional
Behavior`, and for the total optionally `Total Behavior Percentile` and `Total Behavior Risk`
(FastBridge's "High Risk" / "Some Risk" / "Low Risk", kept as the score's category).
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
from students.importers.csvio import Column, CsvTable, ImportFileError


class WideBehaviorReader(TableReader):
    """A table with one column per scale; subclasses name the columns."""

    student_columns: tuple[str, ...] = ()
    date_column = ""
    # Column -> the measure's import name (screening/catalog.py).
    scales: dict[str, str] = {}
    percentile_of: dict[str, str] = {}  # scale column -> its percentile column
    category_of: dict[str, str] = {}  # scale column -> its risk-level column

    def table_records(self, table: CsvTable, name: str, state: ReadState) -> Iterator[ScoreRecord]:
        if not set(self.student_columns) & table.columns:
            raise ImportFileError(
                name, f"the file needs a {self.student_columns[0]} column", line=1, column=self.student_columns[0]
            )
        present = [column for column in self.scales if column in table.columns]
        if not present:
            wanted = ", ".join(self.scales)
            raise ImportFileError(name, f"the file has none of the columns {wanted}", line=1, column="")
        for row in table:
            student_column = next((c for c in self.student_columns if row.raw(c)), self.student_columns[0])
            student = row.text(student_column, required=True)
            date = self.dates.read(row, self.date_column)
            grade_text = row.raw("Grade")
            grade = parse_grade(grade_text) if grade_text else None
            if grade_text and grade is None:
                row.reject("Grade", f"{grade_text!r} is not a grade (K, 1-12)")
            season = parse_season(row.raw("Season"))
            year = parse_school_year(row.raw("School Year"))
            term = (season, year) if season and year else None
            scored = []
            for column in present:
                score = number(row, column)
                if score is not None:
                    scored.append((column, score))
            if not scored and not row.problems:
                row.reject(present[0], "the row has no score: give at least one of " + ", ".join(present))
            if row.problems:
                # One record carries the row's problems (they are the row's, not one scale's).
                yield ScoreRecord(name, row.line, problems=row.problems)
                continue
            for column, score in scored:
                yield ScoreRecord(
                    name,
                    row.line,
                    student_key=student,
                    student_column=student_column,
                    measure=self.scales[column],
                    measure_column=column,
                    test_date=date,
                    date_column=self.date_column,
                    score=score,
                    score_column=column,
                    percentile=percentile(row, self.percentile_of[column]) if column in self.percentile_of else None,
                    category=row.raw(self.category_of[column])[:80] if column in self.category_of else "",
                    grade=grade,
                    term=term,
                    problems=row.problems,
                )


_COMMON = [Column("Grade", aliases=("Student Grade",)), Column("Season"), Column("School Year", aliases=("Year",))]


class SrssIeReader(WideBehaviorReader):
    format = "srss-ie"
    label = "SRSS-IE ratings (subscale totals)"
    student_columns = ("Student ID", "State ID")
    date_column = "Date"
    scales = {"SRSS-E7": "SRSS-E7", "SRSS-E5": "SRSS-E5", "SRSS-I5": "SRSS-I5", "SRSS-I6": "SRSS-I6"}
    columns = [
        Column("Student ID", aliases=("StudentID", "Local ID", "Student Number")),
        Column("State ID", aliases=("SSID",)),
        Column("Date", required=True, aliases=("Rating Date", "Screening Date")),
        Column("SRSS-E7", aliases=("E7",)),
        Column("SRSS-E5", aliases=("E5",)),
        Column("SRSS-I5", aliases=("I5",)),
        Column("SRSS-I6", aliases=("I6",)),
        *_COMMON,
    ]
    date_columns = ("Date",)


class SaebrsReader(WideBehaviorReader):
    format = "saebrs"
    label = "FastBridge SAEBRS screening export"
    student_columns = ("Local ID", "State ID")
    date_column = "Assessment Date"
    scales = {
        "Total Behavior": "Total Behavior",
        "Social Behavior": "Social Behavior",
        "Academic Behavior": "Academic Behavior",
        "Emotional Behavior": "Emotional Behavior",
    }
    percentile_of = {"Total Behavior": "Total Behavior Percentile"}
    category_of = {"Total Behavior": "Total Behavior Risk"}
    columns = [
        Column("Local ID", aliases=("Student ID", "Local Student ID")),
        Column("State ID", aliases=("State Student ID",)),
        Column("Assessment Date", required=True, aliases=("Date", "Screening Date")),
        Column("Total Behavior", aliases=("SAEBRS Total", "Total Behavior Score")),
        Column("Social Behavior", aliases=("Social Behavior Score",)),
        Column("Academic Behavior", aliases=("Academic Behavior Score",)),
        Column("Emotional Behavior", aliases=("Emotional Behavior Score",)),
        Column("Total Behavior Percentile", aliases=("Percentile",)),
        Column("Total Behavior Risk", aliases=("Risk Level", "Total Behavior Risk Level")),
        *_COMMON,
    ]
    date_columns = ("Assessment Date",)

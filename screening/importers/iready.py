"""Curriculum Associates i-Ready Diagnostic results export (ELA or math, one file per subject).

Columns read: `Student ID`, `Student Grade`, `Academic Year`, `Completion Date`
(else `Start Date`), `Overall Scale Score`, `Overall Placement`, `Overall
Relative Placement` and `Percentile` when the export has them, `Rush Flag`,
`Activity Id`, and `Subject` when present. Without a `Subject` column the
subject comes from the domain columns: `Lexile Measure` / `Phonics Scale Score`
mean reading, `Quantile Measure` / `Number and Operations Scale Score` math
(the two files of the shared sample, Ed-Fi Starter Kit `SampleData/i-Ready/`).

The category a policy's `category` rule reads is `Overall Relative Placement`.
When the export lacks that column it is derived from `Overall Placement` and the
student's grade, in i-Ready's own words: a placement above the grade or at its
Mid/Late stage is "Mid or Above Grade Level", at its Early stage "Early On Grade
Level", one grade below "One Grade Level Below", two "Two Grade Levels Below",
three or more "Three or More Grade Levels Below".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from screening.importers.base import ReadState, ScoreRecord, TableReader, number, parse_grade
from screening.importers.base import percentile as percentile_of
from students.importers.csvio import Column, CsvTable, ImportFileError, Source

COLUMNS = [
    Column("Student ID", required=True),
    Column("Student Grade"),
    Column("Academic Year"),
    Column("Start Date"),
    Column("Completion Date"),
    Column("Overall Scale Score", required=True),
    Column("Overall Placement"),
    Column("Overall Relative Placement"),
    Column("Percentile", aliases=("Percentile Rank", "National Percentile")),
    Column("Rush Flag"),
    Column("Activity Id"),
    Column("Subject"),
    Column("Lexile Measure"),
    Column("Phonics Scale Score"),
    Column("Quantile Measure"),
    Column("Number and Operations Scale Score"),
]
READING_MARKERS = {"Lexile Measure", "Phonics Scale Score"}
MATH_MARKERS = {"Quantile Measure", "Number and Operations Scale Score"}
_PLACEMENT = re.compile(r"^(early|mid|late|level)\s+(k|\d{1,2})$", re.I)


def relative_placement(placement: str, grade: int | None) -> str:
    """i-Ready's relative placement from an `Overall Placement` and the student's grade ("" if unknown)."""
    text = placement.strip()
    if grade is None or not text:
        return ""
    if text.lower() == "max score":
        return "Mid or Above Grade Level"
    match = _PLACEMENT.match(text)
    if not match:
        return ""
    stage, level = match[1].lower(), match[2].lower()
    level_grade = 0 if level == "k" else int(level)
    behind = grade - level_grade
    if behind < 0 or (behind == 0 and stage != "early"):
        return "Mid or Above Grade Level"
    if behind == 0:
        return "Early On Grade Level"
    if behind == 1:
        return "One Grade Level Below"
    if behind == 2:
        return "Two Grade Levels Below"
    return "Three or More Grade Levels Below"


class IReadyReader(TableReader):
    format = "iready"
    label = "i-Ready Diagnostic results export (ELA or math)"
    columns = COLUMNS
    date_columns = ("Completion Date", "Start Date")

    def reads_file(self, source: Source, name: str) -> bool:
        return name.lower().endswith((".csv", ".txt")) or source.kind == "file"

    def table_records(self, table: CsvTable, name: str, state: ReadState) -> Iterator[ScoreRecord]:
        subject = self.measure
        if not subject and "Subject" not in table.columns:
            if READING_MARKERS & table.columns:
                subject = "Reading"
            elif MATH_MARKERS & table.columns:
                subject = "Math"
            else:
                raise ImportFileError(
                    name,
                    "cannot tell reading from math: the file has no Subject column and "
                    "no Lexile/Quantile columns; choose the measure",
                    line=1,
                    column="Subject",
                )
        if "Completion Date" not in table.columns and "Start Date" not in table.columns:
            raise ImportFileError(
                name, "the file needs a Completion Date or Start Date column", line=1, column="Completion Date"
            )
        derived = "Overall Relative Placement" not in table.columns
        for row in table:
            student = row.text("Student ID", required=True)
            date_column = "Completion Date" if row.raw("Completion Date") else "Start Date"
            date = self.dates.read(row, date_column)
            score = number(row, "Overall Scale Score", required=True, low=0, high=1000)
            percentile = percentile_of(row, "Percentile")
            grade = parse_grade(row.raw("Student Grade")) if row.raw("Student Grade") else None
            if row.raw("Student Grade") and grade is None:
                row.reject("Student Grade", f"{row.raw('Student Grade')!r} is not a grade (K, 1-12)")
            category = (
                relative_placement(row.raw("Overall Placement"), grade)
                if derived
                else row.raw("Overall Relative Placement")
            )
            if row.raw("Rush Flag"):
                state.note(
                    "rush",
                    f"{name} line {row.line}: {row.raw('Rush Flag')} (the student may have "
                    "rushed; the score is imported as given)",
                )
            measure = subject or row.raw("Subject")
            yield ScoreRecord(
                name,
                row.line,
                student_key=student,
                student_column="Student ID",
                measure=measure,
                measure_column="Subject",
                test_date=date,
                date_column=date_column,
                score=score,
                score_column="Overall Scale Score",
                percentile=percentile,
                category=category[:80],
                grade=grade,
                external_id=row.raw("Activity Id")[:80],
                problems=row.problems,
            )

"""Renaissance Star Reading / Star Math / Star Early Literacy data export (one file per test).

Columns read (Renaissance's data-export names; spaced spellings such as
`Scaled Score` match too): `StudentIdentifier` (the district's student id; else
`StudentStateID`), `CompletedDate`, `Grade` (else `CurrentGrade`), `ScaledScore`,
`StandardErrorOfMeasurement`, `PercentileRank`, `AssessmentID`, `SchoolYear`,
`ScreeningPeriodWindowName` (Fall/Winter/Spring), `DistrictBenchmarkCategoryName`
(else `RenaissanceBenchmarkCategoryName`: the category a policy's `category`
rule reads), `AssessmentStatus` (deactivated tests are skipped, with a count).

Which test: `--measure` (star-reading, star-math, star-early-literacy), else a
`Subject` / `AssessmentName` column, else the file's columns: reading exports
carry `InstructionalReadingLevel` / `Lexile` / `EstimatedOralReadingFluency`,
math exports `Quantile`, Early Literacy exports `LiteracyClassification`.
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
)
from students.importers.csvio import Column, CsvTable, ImportFileError

COLUMNS = [
    Column("StudentIdentifier", aliases=("Student ID", "StudentLocalID", "Student Local ID")),
    Column("StudentStateID", aliases=("Student State ID",)),
    Column("CompletedDate", aliases=("Completed Date", "Activity Completed Date", "AssessmentDate")),
    Column("CompletedDateLocal"),
    Column("Grade", aliases=("Grade Placement Level",)),
    Column("CurrentGrade"),
    Column("ScaledScore", required=True, aliases=("Scaled Score", "Unified Scaled Score")),
    Column("StandardErrorOfMeasurement", aliases=("SEM",)),
    Column("PercentileRank", aliases=("Percentile Rank", "PR")),
    Column("AssessmentID", aliases=("Assessment ID",)),
    Column("SchoolYear", aliases=("School Year",)),
    Column("ScreeningPeriodWindowName", aliases=("Screening Period Window Name",)),
    Column("DistrictBenchmarkCategoryName", aliases=("District Benchmark Category Name",)),
    Column("RenaissanceBenchmarkCategoryName", aliases=("Renaissance Benchmark Category Name",)),
    Column("AssessmentStatus", aliases=("Assessment Status",)),
    Column("Subject", aliases=("AssessmentName", "Assessment Name")),
    Column("InstructionalReadingLevel", aliases=("Instructional Reading Level",)),
    Column("Lexile"),
    Column("EstimatedOralReadingFluency"),
    Column("Quantile"),
    Column("LiteracyClassification", aliases=("Literacy Classification",)),
]


def _subject_of(columns: set[str]) -> str:
    if "LiteracyClassification" in columns:
        return "Star Early Literacy"
    if {"InstructionalReadingLevel", "Lexile", "EstimatedOralReadingFluency"} & columns:
        return "Star Reading"
    if "Quantile" in columns:
        return "Star Math"
    return ""


class StarReader(TableReader):
    format = "star"
    label = "Renaissance Star data export (Reading, Math, Early Literacy)"
    columns = COLUMNS

    def table_records(self, table: CsvTable, name: str, state: ReadState) -> Iterator[ScoreRecord]:
        columns = table.columns
        if not {"StudentIdentifier", "StudentStateID"} & columns:
            raise ImportFileError(
                name,
                "the file needs a StudentIdentifier (or StudentStateID) column",
                line=1,
                column="StudentIdentifier",
            )
        date_column = "CompletedDate" if "CompletedDate" in columns else "CompletedDateLocal"
        if date_column not in columns:
            raise ImportFileError(name, "the file needs a CompletedDate column", line=1, column="CompletedDate")
        subject = self.measure or _subject_of(columns)
        if not subject and "Subject" not in columns:
            raise ImportFileError(
                name,
                "cannot tell which Star test this is (no Subject column, no Lexile or "
                "Quantile columns); choose the measure",
                line=1,
                column="Subject",
            )
        grade_column = "Grade" if "Grade" in columns else "CurrentGrade"
        category_column = (
            "DistrictBenchmarkCategoryName"
            if "DistrictBenchmarkCategoryName" in columns
            else "RenaissanceBenchmarkCategoryName"
        )
        for row in table:
            if row.raw("AssessmentStatus").lower() == "deactivated":
                state.skip("deactivated Star tests")
                continue
            student_column = "StudentIdentifier" if row.raw("StudentIdentifier") else "StudentStateID"
            student = row.text(student_column)
            if not student:
                row.reject("StudentIdentifier", "a value is required")
            date = row.date(date_column, required=True)
            score = number(row, "ScaledScore", required=True, low=0, high=1500)
            grade_text = row.raw(grade_column)
            grade = parse_grade(grade_text) if grade_text else None
            season = parse_season(row.raw("ScreeningPeriodWindowName"))
            year = parse_school_year(row.raw("SchoolYear"))
            yield ScoreRecord(
                name,
                row.line,
                student_key=student,
                student_column=student_column,
                measure=subject or row.raw("Subject"),
                measure_column="Subject",
                test_date=date,
                date_column=date_column,
                score=score,
                score_column="ScaledScore",
                percentile=number(row, "PercentileRank", low=0, high=100),
                category=row.raw(category_column)[:80],
                grade=grade,
                standard_error=number(row, "StandardErrorOfMeasurement", low=0),
                external_id=row.raw("AssessmentID")[:80],
                term=(season, year) if season and year else None,
                problems=row.problems,
            )

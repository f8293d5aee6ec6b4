"""Renaissance Star Reading / Star Math / Star Early Literacy data export (one file per test).

Columns read (Renaissance's data-export names; spaced spellings such as
`Scaled Score` match too): `StudentIdentifier` (the district's student id; else
`StudentStateID`), `CompletedDate`, `Grade` (else `CurrentGrade`), `ScaledScore`,
`StandardErrorOfMeasurement`, `PercentileRank`, `AssessmentID`, `SchoolYear`,
`ScreeningPeriodWindowName` (Fall/Winter/Spring), `DistrictBenchmarkCategoryName`
(else `RenaissanceBenchmarkCategoryName`: the category a policy's `category`
rule reads), `AssessmentStatus` (deactivated tests are skipped, with a count).

Which test, per row: `--measure` (star-reading, star-math, star-early-literacy), else
the test's name in `Activity Type` (Renaissance's "Enterprise Assessment" layout:
"Star Math Enterprise Test"), `Subject`, `AssessmentName` or `Test Name`, read as
Star Reading, Star Math or Star Early Literacy when the name says so (a Spanish or CBM
test keeps its own name, and is skipped unless the catalog knows it). Only a file that
names no test anywhere falls back to its columns: `Quantile` means Star Math, `Lexile` /
`InstructionalReadingLevel` / `EstimatedOralReadingFluency` Star Reading, and
`LiteracyClassification` Star Early Literacy only when neither is there: the Enterprise
layout carries a `Literacy Classification` column in Reading and Math files too, and
reading it as Early Literacy stored 11 of 12 such files as the wrong test (issue #15).

Newer exports carry both `Scaled Score` and `Unified Scaled Score`: the scaled score is
read (the catalog's ranges are on that scale); the unified one only when it is alone.
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

COLUMNS = [
    Column("StudentIdentifier", aliases=("Student ID", "StudentLocalID", "Student Local ID")),
    Column("StudentStateID", aliases=("Student State ID",)),
    Column("CompletedDate", aliases=("Completed Date", "Activity Completed Date", "AssessmentDate")),
    Column("CompletedDateLocal"),
    Column("Grade", aliases=("Grade Placement Level",)),
    Column("CurrentGrade"),
    Column("ScaledScore", aliases=("Scaled Score",)),
    Column("UnifiedScaledScore", aliases=("Unified Scaled Score",)),
    Column("StandardErrorOfMeasurement", aliases=("SEM",)),
    Column("PercentileRank", aliases=("Percentile Rank", "PR")),
    Column("ActivityType", aliases=("Activity Type",)),
    Column("TestName", aliases=("Test Name",)),
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


NAME_COLUMNS = ("ActivityType", "Subject", "TestName")


def _subject_of(columns: set[str]) -> str:
    """The test a file's columns suggest, for files that name no test (module docstring)."""
    if "Quantile" in columns:
        return "Star Math"
    if {"InstructionalReadingLevel", "Lexile", "EstimatedOralReadingFluency"} & columns:
        return "Star Reading"
    if "LiteracyClassification" in columns:
        return "Star Early Literacy"
    return ""


def star_test(text: str) -> str:
    """A Star test's name as exports write it -> the catalog's name ("Star Math Enterprise Test" -> "Star Math")."""
    value = " ".join(text.lower().replace("_", " ").split())
    if not value or "spanish" in value or "cbm" in value or "custom" in value:
        return text.strip()
    if "early literacy" in value or value in ("sel", "el"):
        return "Star Early Literacy"
    if "math" in value or value == "sm":
        return "Star Math"
    if "reading" in value or value == "sr":
        return "Star Reading"
    return text.strip()


class StarReader(TableReader):
    format = "star"
    label = "Renaissance Star data export (Reading, Math, Early Literacy)"
    columns = COLUMNS
    date_columns = ("CompletedDate", "CompletedDateLocal")

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
        score_column = "ScaledScore" if "ScaledScore" in columns else "UnifiedScaledScore"
        if score_column not in columns:
            raise ImportFileError(name, "the file needs a ScaledScore column", line=1, column="ScaledScore")
        name_columns = [c for c in NAME_COLUMNS if c in columns]
        fallback = _subject_of(columns)
        if not self.measure and not name_columns and not fallback:
            raise ImportFileError(
                name,
                "cannot tell which Star test this is (no Activity Type, Subject or Test Name column, no "
                "Lexile or Quantile columns); choose the measure",
                line=1,
                column="Activity Type",
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
            date = self.dates.read(row, date_column)
            score = number(row, score_column, required=True, low=0, high=1500)
            subject, subject_column = self.measure, "Subject"
            if not subject:
                named = next((c for c in name_columns if row.raw(c)), None)
                if named is not None:
                    subject, subject_column = star_test(row.raw(named)), named
                else:
                    subject = fallback
                    if not subject:
                        row.reject(name_columns[0], "the row names no Star test")
            grade_text = row.raw(grade_column)
            grade = parse_grade(grade_text) if grade_text else None
            season = parse_season(row.raw("ScreeningPeriodWindowName"))
            year = parse_school_year(row.raw("SchoolYear"))
            yield ScoreRecord(
                name,
                row.line,
                student_key=student,
                student_column=student_column,
                measure=subject,
                measure_column=subject_column,
                test_date=date,
                date_column=date_column,
                score=score,
                score_column=score_column,
                percentile=percentile(row, "PercentileRank"),
                category=row.raw(category_column)[:80],
                grade=grade,
                standard_error=number(row, "StandardErrorOfMeasurement", low=0),
                external_id=row.raw("AssessmentID")[:80],
                term=(season, year) if season and year else None,
                problems=row.problems,
            )

"""NWEA MAP Growth Comprehensive Data File (CDF): AssessmentResults (+ StudentsBySchool).

A CDF is a zip or folder of CSV files; this reader uses two of them:

* `AssessmentResults.csv` (required): one row per test event. Columns read:
  `TermName` ("Fall 2013-2014"), `StudentID`, `MeasurementScale` ("Reading",
  "Mathematics"; newer files: `Course`, else `Discipline` / `Subject`),
  `TestStartDate` (or `TestDate`), `TestRITScore`, `TestStandardError`,
  `TestPercentile`, `TestID`, `GrowthMeasureYN`, and `Grade` when the file has it
  (newer CDFs). When a student tested more than once in a term, NWEA marks the
  event that counts with `GrowthMeasureYN` TRUE; the others are skipped (counted).
* `StudentsBySchool.csv` (optional): `TermName`, `StudentID`, `Grade`, the grade
  at test time. Without it (and without a `Grade` column) the roster's grade is used.

File names may carry a prefix (`Fall2013AssessmentResults.csv`, as in the shared
sample): any CSV whose name contains "AssessmentResults" / "StudentsBySchool".
A single CSV is read as AssessmentResults. Other CDF files (ClassAssignments,
AccommodationAssignment, ProgramAssignments) are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator

from screening.importers.base import (
    Reader,
    ReadState,
    ScoreRecord,
    ValueCache,
    fast_date,
    fast_number,
    parse_grade,
    parse_term,
    picker,
)
from students.importers.csvio import Column, ImportFileError, Source, open_csv, parse_date

RESULTS_COLUMNS = [
    Column("TermName", required=True),
    Column("StudentID", required=True, aliases=("Student ID",)),
    Column("SchoolName"),
    Column("MeasurementScale", aliases=("Course",)),
    Column("Discipline", aliases=("Subject",)),
    Column("TestStartDate", required=True, aliases=("TestDate",)),
    Column("TestRITScore", required=True, aliases=("RITScore", "RIT Score")),
    Column("TestStandardError"),
    Column("TestPercentile", aliases=("PercentileRank",)),
    Column("TestID"),
    Column("Grade"),
    Column("GrowthMeasureYN"),
]
STUDENTS_COLUMNS = [
    Column("TermName", required=True),
    Column("StudentID", required=True, aliases=("Student ID",)),
    Column("Grade", required=True),
]


def _term(text: str) -> tuple[str, str] | None:
    return parse_term(text)


def _find(source: Source, part: str) -> tuple[str, object] | None:
    names = [n for n in source.names() if part.lower() in n.lower() and n.lower().endswith(".csv")]
    return source.find(names[0]) if names else None


class NweaMapReader(Reader):
    format = "nwea-map"
    label = "NWEA MAP Growth Comprehensive Data File (AssessmentResults + StudentsBySchool)"

    def records(self, source: Source, state: ReadState) -> Iterator[ScoreRecord]:
        results = _find(source, "AssessmentResults")
        if results is None:
            if source.kind == "file":
                results = source.find(source.names()[0])
            else:
                raise ImportFileError(
                    source.label,
                    "no AssessmentResults CSV file in the folder or zip "
                    "(an NWEA MAP Comprehensive Data File needs one)",
                )
        grades = self._grades(source, state)
        name, opener = results
        with open_csv(opener, name=name, columns=RESULTS_COLUMNS) as table:
            state.table_opened(table)
            if not {"MeasurementScale", "Discipline"} & table.columns:
                raise ImportFileError(
                    name,
                    "the file has no MeasurementScale (or Course, Discipline, Subject) column",
                    line=1,
                    column="MeasurementScale",
                )
            has_grade = "Grade" in table.columns
            pick = picker(
                table,
                [
                    "GrowthMeasureYN",
                    "TermName",
                    "StudentID",
                    "MeasurementScale",
                    "Discipline",
                    "TestStartDate",
                    "TestRITScore",
                    "TestStandardError",
                    "TestPercentile",
                    "Grade",
                    "TestID",
                ],
            )
            dates, terms, grade_of = ValueCache(parse_date), ValueCache(_term), ValueCache(parse_grade)
            for row in table:
                (
                    growth,
                    term_text,
                    student,
                    scale,
                    discipline,
                    date_text,
                    rit,
                    sem_text,
                    percentile_text,
                    grade_text,
                    test_id,
                ) = pick(row)
                if growth and growth.lower() in ("false", "n", "no", "0"):
                    # NWEA marks one test event per student, subject and term as the one growth
                    # is measured from (GrowthMeasureYN = TRUE); the others are retests or
                    # abandoned events, not the term's result.
                    state.skip("other test events of the term (GrowthMeasureYN = FALSE)")
                    continue
                term = None
                if not term_text:
                    row.reject("TermName", "a value is required")
                else:
                    term = terms(term_text)
                    if term is None:
                        row.reject("TermName", f"{term_text!r} is not a term like 'Fall 2013-2014'")
                if not student:
                    row.reject("StudentID", "a value is required")
                measure_column = "MeasurementScale" if scale else "Discipline"
                measure = scale or discipline
                if not measure:
                    row.reject("MeasurementScale", "a value is required")
                date = fast_date(row, "TestStartDate", date_text, dates)
                score = fast_number(row, "TestRITScore", rit, required=True, low=0, high=400)
                sem = fast_number(row, "TestStandardError", sem_text, low=0, high=100) if sem_text else None
                percentile = (
                    fast_number(row, "TestPercentile", percentile_text, low=0, high=100) if percentile_text else None
                )
                grade = None
                if has_grade and grade_text:
                    grade = grade_of(grade_text)
                elif grades is not None:
                    grade = grades.get((student, term_text))
                if grade is None and (grade_text or (grades and (student, term_text) in grades)):
                    state.note("grade", f"{name} line {row.line}: grade not K-12; the roster's grade is used")
                yield ScoreRecord(
                    name,
                    row.line,
                    student_key=student,
                    student_column="StudentID",
                    measure=measure,
                    measure_column=measure_column,
                    test_date=date,
                    date_column="TestStartDate",
                    score=score,
                    score_column="TestRITScore",
                    percentile=percentile,
                    grade=grade,
                    standard_error=sem,
                    external_id=test_id[:80],
                    term=term,
                    problems=row.problems,
                )

    def _grades(self, source: Source, state: ReadState) -> dict | None:
        """(StudentID, TermName) -> grade from StudentsBySchool: one small entry per student and term."""
        found = _find(source, "StudentsBySchool")
        if found is None:
            return None
        name, opener = found
        grades: dict[tuple[str, str], int | None] = {}
        with open_csv(opener, name=name, columns=STUDENTS_COLUMNS) as table:
            state.table_opened(table)
            for row in table:
                grades[(row.raw("StudentID"), row.raw("TermName"))] = parse_grade(row.raw("Grade"))
        return grades

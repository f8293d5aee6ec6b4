"""NWEA MAP Growth Comprehensive Data File (CDF): AssessmentResults (+ StudentsBySchool).

A CDF is a zip or folder of CSV files; this reader uses two of them:

* `AssessmentResults.csv` (required): one row per test event. Columns read:
  `TermName` ("Fall 2013-2014"), `StudentID`, the measure from `MeasurementScale`
  ("Reading", "Mathematics"), else `Course`, else `Discipline`, else `Subject` (combined
  exports carry two or more of these side by side; each is its own column),
  `TestStartDate` (or `TestDate`), `TestRITScore`, `TestStandardError`,
  `TestPercentile`, `TestID`, `GrowthMeasureYN`, and `Grade` when the file has it
  (newer CDFs). When a student tested more than once in a term, NWEA marks the
  event that counts with `GrowthMeasureYN` TRUE; the others are skipped (counted).
* `StudentsBySchool.csv` (optional): `TermName`, `StudentID`, `Grade`, the grade
  at test time. Without it (and without a `Grade` column) the roster's grade is used.

File names may carry a prefix (`Fall2013AssessmentResults.csv`, as in the shared
sample): any CSV whose name contains "AssessmentResults" / "StudentsBySchool" (or the
singular "StudentBySchool" some exports write). A zip made by compressing the CDF's
folder holds the files under that folder: read the same (students/importers/csvio.py).
A single CSV is read as AssessmentResults. Other CDF files (ClassAssignments,
AccommodationAssignment, ProgramAssignments) are not used, and the import says so.
Dates follow the file's own day/month order (screening/importers/dates.py).
"""

from __future__ import annotations

import re
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
from screening.importers.base import percentile as percentile_of
from screening.importers.dates import FileDates, table_scan
from students.importers.csvio import Column, ImportFileError, Source, open_csv

RESULTS_COLUMNS = [
    Column("TermName", required=True),
    Column("StudentID", required=True, aliases=("Student ID",)),
    Column("SchoolName"),
    Column("MeasurementScale"),
    Column("Course"),
    Column("Discipline"),
    Column("Subject"),
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


MEASURE_COLUMNS = ("MeasurementScale", "Course", "Discipline", "Subject")
RESULTS_FILE = re.compile(r"assessmentresults", re.IGNORECASE)
STUDENTS_FILE = re.compile(r"students?byschool", re.IGNORECASE)


def _find(source: Source, pattern: re.Pattern) -> tuple[str, object] | None:
    names = [n for n in source.names() if pattern.search(n) and n.lower().endswith(".csv")]
    return source.find(names[0]) if names else None


class NweaMapReader(Reader):
    format = "nwea-map"
    label = "NWEA MAP Growth Comprehensive Data File (AssessmentResults + StudentsBySchool)"

    def records(self, source: Source, state: ReadState) -> Iterator[ScoreRecord]:
        results = _find(source, RESULTS_FILE)
        if results is None:
            if source.kind == "file":
                results = source.find(source.names()[0])
            else:
                held = ", ".join(source.names()[:8]) or "no files"
                raise ImportFileError(
                    source.label,
                    "no AssessmentResults CSV file in the folder or zip "
                    f"(an NWEA MAP Comprehensive Data File needs one; it holds {held})",
                )
        grades = self._grades(source, state)
        name, opener = results
        if source.kind != "file":
            unused = [n for n in source.names() if n != name and not STUDENTS_FILE.search(n)]
            if unused:
                state.note("files", f"files of the export not used: {', '.join(unused[:12])}")
        with open_csv(opener, name=name, columns=RESULTS_COLUMNS) as table:
            state.table_opened(table)
            measure_columns = [c for c in MEASURE_COLUMNS if c in table.columns]
            if not measure_columns:
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
                    "TestStartDate",
                    "TestRITScore",
                    "TestStandardError",
                    "TestPercentile",
                    "Grade",
                    "TestID",
                    *measure_columns,
                ],
            )
            file_dates = FileDates(
                name, scan=table_scan(opener, name=name, columns=RESULTS_COLUMNS, date_columns=["TestStartDate"])
            )
            dates, terms, grade_of = ValueCache(file_dates), ValueCache(_term), ValueCache(parse_grade)
            for row in table:
                (
                    growth,
                    term_text,
                    student,
                    date_text,
                    rit,
                    sem_text,
                    percentile_text,
                    grade_text,
                    test_id,
                    *measure_values,
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
                filled = next((i for i, value in enumerate(measure_values) if value), None)
                measure_column = measure_columns[filled or 0]
                measure = measure_values[filled] if filled is not None else ""
                if not measure:
                    row.reject(measure_column, "a value is required")
                date = fast_date(row, "TestStartDate", date_text, dates)
                score = fast_number(row, "TestRITScore", rit, required=True, low=0, high=400)
                sem = fast_number(row, "TestStandardError", sem_text, low=0, high=100) if sem_text else None
                percentile = percentile_of(row, "TestPercentile", percentile_text) if percentile_text else None
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
        found = _find(source, STUDENTS_FILE)
        if found is None:
            return None
        name, opener = found
        grades: dict[tuple[str, str], int | None] = {}
        with open_csv(opener, name=name, columns=STUDENTS_COLUMNS) as table:
            state.table_opened(table)
            for row in table:
                grades[(row.raw("StudentID"), row.raw("TermName"))] = parse_grade(row.raw("Grade"))
        return grades

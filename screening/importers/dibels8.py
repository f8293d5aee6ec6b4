"""DIBELS 8th Edition benchmark results: the Amplify mCLASS "Student Summary" export.

One row per student and benchmark period, with the composite and every subtest
side by side; each gives one score: the composite and LNF, PSF, NWF-CLS, NWF-WRC,
WRF, ORF accuracy, ORF and Maze. Columns read: `Student Primary ID` (else
`Primary ID - Student ID (District ID)`), `School Year`, `Assessment Grade`
(else `Enrollment Grade`), `Benchmark Period` (BOY = fall, MOY = winter,
EOY = spring), `Client Date` (the day tested; when it is blank, as it is for
results entered on the web, the row's `Sync Date`, with a count), `Assessment
Edition` (rows of other editions are skipped, with a count), and for each
measure `<name> - Score`, `<name> - Level` (the benchmark level, e.g. "Well Below
Benchmark": the category a `category` rule reads) and `<name> - National Norm
Percentile` (mCLASS prints the ends of the scale as `<1` and `>99`: stored as 1 and 99,
see base.percentile). A subtest the student did not take (blank, or "Discontinue") gives
no score. Other DIBELS exports (the UO DIBELS Data System) import with a saved
generic column mapping.
"""

from __future__ import annotations

from collections.abc import Iterator

from screening.importers.base import (
    NO_SCORE,
    ReadState,
    ScoreRecord,
    TableReader,
    number,
    parse_grade,
    parse_school_year,
    parse_season,
)
from screening.importers.base import percentile as percentile_of
from students.importers.csvio import Column, CsvTable, ImportFileError

# (measure name as in the export and the catalog's import_names, score range)
MEASURES = [
    ("Composite", 0, 1000),
    ("Letter Names (LNF)", 0, 200),
    ("Phonemic Awareness (PSF)", 0, 200),
    ("Letter Sounds (NWF-CLS)", 0, 400),
    ("Decoding (NWF-WRC)", 0, 200),
    ("Word Reading (WRF)", 0, 200),
    ("Reading Accuracy (ORF-Accu)", 0, 100),
    ("Reading Fluency (ORF)", 0, 400),
    ("Reading Comprehension (Maze)", 0, 100),
]


def _score(name: str) -> str:
    return f"{name} Score" if name == "Composite" else f"{name} - Score"


def _level(name: str) -> str:
    return f"{name} Level" if name == "Composite" else f"{name} - Level"


def _percentile(name: str) -> str:
    return f"{name} - National Norm Percentile"


COLUMNS = [
    Column("Student Primary ID", aliases=("Student ID",)),
    Column("Primary ID - Student ID (District ID)"),
    Column("School Year"),
    Column("Assessment Grade"),
    Column("Enrollment Grade"),
    Column("Benchmark Period", required=True),
    Column("Client Date", aliases=("Date",)),
    Column("Sync Date"),
    Column("Assessment Edition"),
] + [
    column
    for name, _, _ in MEASURES
    for column in (Column(_score(name)), Column(_level(name)), Column(_percentile(name)))
]


class Dibels8Reader(TableReader):
    format = "dibels8"
    label = "DIBELS 8th Edition (Amplify mCLASS Student Summary export)"
    columns = COLUMNS
    date_columns = ("Client Date", "Sync Date")

    def table_records(self, table: CsvTable, name: str, state: ReadState) -> Iterator[ScoreRecord]:
        columns = table.columns
        student_column = next(
            (c for c in ("Student Primary ID", "Primary ID - Student ID (District ID)") if c in columns), None
        )
        if student_column is None:
            raise ImportFileError(
                name, "the file needs a Student Primary ID column", line=1, column="Student Primary ID"
            )
        date_columns = [c for c in ("Client Date", "Sync Date") if c in columns]
        if not date_columns:
            raise ImportFileError(name, "the file needs a Client Date column", line=1, column="Client Date")
        measures = [m for m in MEASURES if _score(m[0]) in columns]
        if not measures:
            raise ImportFileError(
                name,
                "the file has no '<measure> - Score' columns (e.g. Composite Score)",
                line=1,
                column="Composite Score",
            )
        grade_column = "Assessment Grade" if "Assessment Grade" in columns else "Enrollment Grade"
        for row in table:
            edition = row.raw("Assessment Edition")
            if edition and "8" not in edition:
                state.skip(f"rows of {edition} (not DIBELS 8)")
                continue
            student = row.text(student_column, required=True)
            period = row.raw("Benchmark Period")
            season = parse_season(period)
            if period and season is None:
                row.reject("Benchmark Period", f"{period!r} is not BOY, MOY or EOY")
            date_column = next((c for c in date_columns if row.raw(c)), date_columns[0])
            if date_column == "Sync Date" and "Client Date" in columns:
                state.tally("rows without a Client Date: the Sync Date was used as the test date")
            date = self.dates.read(row, date_column)
            grade = parse_grade(row.raw(grade_column)) if row.raw(grade_column) else None
            year = parse_school_year(row.raw("School Year"))
            term = (season, year) if season and year else None
            shared = list(row.problems)
            for measure, low, high in measures:
                score_column = _score(measure)
                if row.raw(score_column).lower() in NO_SCORE:
                    continue  # not given (or discontinued): no score for this subtest
                row.problems = list(shared)
                score = number(row, score_column, low=low, high=high)
                percentile = percentile_of(row, _percentile(measure))
                yield ScoreRecord(
                    name,
                    row.line,
                    student_key=student,
                    student_column=student_column,
                    measure=measure,
                    measure_column=score_column,
                    test_date=date,
                    date_column=date_column,
                    score=score,
                    score_column=score_column,
                    percentile=percentile,
                    category=row.raw(_level(measure))[:80],
                    grade=grade,
                    term=term,
                    problems=row.problems,
                )
            if shared and not any(row.raw(_score(m[0])).lower() not in NO_SCORE for m in measures):
                # A broken row with no score at all still has to be reported.
                yield ScoreRecord(
                    name,
                    row.line,
                    student_key=student,
                    student_column=student_column,
                    measure="Composite",
                    measure_column=_score("Composite"),
                    test_date=date,
                    problems=shared,
                )

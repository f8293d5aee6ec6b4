"""Any CSV of scores, read through a column mapping the district saves once (ColumnMapping).

The mapping names, for each field below, the header of the district's file.
`student_id` and `date` are required, and at least one of `score`, `percentile`,
`level`, `category`. Dates follow the file's own day/month order
(screening/importers/dates.py). The measure comes from a `measure` column (a catalog key
such as `map-reading`, or a measure's name) or, when the file has none, from the
mapping's fixed measure. `season` + `school_year` name the window when the date
falls in none (a make-up test).
"""

from __future__ import annotations

from collections.abc import Iterator

from screening.importers.base import (
    Reader,
    ReadState,
    ScoreRecord,
    number,
    parse_grade,
    parse_level,
    parse_school_year,
    parse_season,
)
from screening.importers.base import percentile as percentile_of
from screening.importers.dates import FileDates, table_scan
from students.importers.csvio import Column, ImportFileError, Source, open_csv

FIELDS = {
    "student_id": "Student id (local or state id)",
    "date": "Test date",
    "score": "Score",
    "percentile": "Percentile",
    "level": "Performance level",
    "category": "Reported category",
    "measure": "Measure (catalog key or name)",
    "grade": "Grade when tested",
    "season": "Season (fall, winter, spring)",
    "school_year": "School year (2025-2026)",
    "standard_error": "Standard error",
    "external_id": "Test id",
}
REQUIRED = ("student_id", "date")
RESULT_FIELDS = ("score", "percentile", "level", "category")


def check_mapping(columns: dict, *, has_fixed_measure: bool) -> dict[str, str]:
    """Field-keyed problems of a mapping ({} when it can be used)."""
    problems = {}
    unknown = set(columns) - set(FIELDS)
    for name in sorted(unknown):
        problems[name] = f"unknown field {name!r}"
    for name in REQUIRED:
        if not str(columns.get(name) or "").strip():
            problems[name] = "map this field to a column of your file"
    if not any(str(columns.get(f) or "").strip() for f in RESULT_FIELDS):
        problems["score"] = "map at least one of score, percentile, level or category"
    if not str(columns.get("measure") or "").strip() and not has_fixed_measure:
        problems["measure"] = "map a measure column, or choose the measure every row is for"
    seen: dict[str, str] = {}
    for name, header in columns.items():
        header = str(header or "").strip()
        if header and header.lower() in seen:
            problems[name] = f"the column {header!r} is already mapped to {seen[header.lower()]}"
        elif header:
            seen[header.lower()] = name
    return problems


class GenericReader(Reader):
    format = "generic"
    label = "Generic CSV with a saved column mapping"
    needs_mapping = True

    def records(self, source: Source, state: ReadState) -> Iterator[ScoreRecord]:
        mapping = self.mapping
        if mapping is None:
            raise ImportFileError(source.label, "the generic format needs a saved column mapping (--mapping NAME)")
        headers = {field: str(header).strip() for field, header in mapping.columns.items() if str(header).strip()}
        fixed_measure = mapping.measure.key if mapping.measure_id else ""
        columns = [
            Column(header, required=field in REQUIRED or (field == "measure" and not fixed_measure))
            for field, header in headers.items()
        ]
        for name in source.names():
            _, opener = source.find(name)
            with open_csv(opener, name=name, columns=columns) as table:
                state.table_opened(table)
                self.dates = FileDates(
                    name, scan=table_scan(opener, name=name, columns=columns, date_columns=[headers["date"]])
                )
                if not any(headers.get(f) in table.columns for f in RESULT_FIELDS):
                    raise ImportFileError(
                        name,
                        "none of the mapped score, percentile, level or category columns is in the file",
                        line=1,
                        column=headers.get("score", ""),
                    )
                yield from self._rows(table, name, headers, fixed_measure)

    def _rows(self, table, name: str, headers: dict[str, str], fixed_measure: str) -> Iterator[ScoreRecord]:
        get = headers.get
        for row in table:
            student = row.text(get("student_id"), required=True)
            measure_column = get("measure", "")
            measure = row.raw(measure_column) if measure_column else ""
            if measure_column and not measure and not fixed_measure:
                row.reject(measure_column, "a value is required")
            measure = measure or fixed_measure
            date = self.dates.read(row, get("date"))
            score = number(row, get("score")) if get("score") else None
            percentile = percentile_of(row, get("percentile")) if get("percentile") else None
            level = None
            if get("level") and row.raw(get("level")):
                level = parse_level(row.raw(get("level")))
                if level is None:
                    row.reject(get("level"), f"{row.raw(get('level'))!r} is not a level number")
            category = row.raw(get("category"))[:80] if get("category") else ""
            grade = None
            if get("grade") and row.raw(get("grade")):
                grade = parse_grade(row.raw(get("grade")))
                if grade is None:
                    row.reject(get("grade"), f"{row.raw(get('grade'))!r} is not a grade (K, 1-12)")
            if score is None and percentile is None and level is None and not category and not row.problems:
                row.reject(
                    get("score") or get("percentile") or get("level") or get("category"),
                    "the row has no score, percentile, level or category",
                )
            season = parse_season(row.raw(get("season"))) if get("season") else None
            year = parse_school_year(row.raw(get("school_year"))) if get("school_year") else None
            yield ScoreRecord(
                name,
                row.line,
                student_key=student,
                student_column=get("student_id"),
                measure=measure,
                measure_column=measure_column or get("score", ""),
                test_date=date,
                date_column=get("date"),
                score=score,
                score_column=get("score", ""),
                percentile=percentile,
                level=level,
                category=category,
                grade=grade,
                standard_error=number(row, get("standard_error"), low=0) if get("standard_error") else None,
                external_id=row.raw(get("external_id"))[:80] if get("external_id") else "",
                term=(season, year) if season and year else None,
                problems=row.problems,
            )

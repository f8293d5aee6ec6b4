"""OneRoster 1.2 gradebook results as course-grade rows (issue #17, item 1: "OneRoster 1.2 gradebook
results where the SIS provides them; otherwise CSV").

A OneRoster package (a folder or zip, as the roster import reads it) carries the gradebook in
`results.csv` (one mark per student and line item), `lineItems.csv` (the gradebook columns, each
of a class and a grading period), `categories.csv`, `classes.csv`, `courses.csv` and
`academicSessions.csv`. A course grade is a *term mark*, not an assignment score, so only the
results of line items whose category (or, with no category, whose own title) names a term
mark are read: "Final", "Final Grade", "Term Grade", "Semester Grade", "Quarter Grade", "Report
Card", "Report Card Grade", "Grading Period Grade" (compared without regard to case). Assignment
results are skipped, with a count.

The mapping (README, "Course grades from a OneRoster gradebook"):

| course grade | from |
|---|---|
| student | `results.studentSourcedId` -> the student with that OneRoster sourcedId |
| term | the line item's grading period (`academicSessionSourcedId`, 1.1 `gradingPeriodSourcedId`) -> its `title` |
| school year | that session's `schoolYear` (`2027` is 2026-2027) |
| course code / name | the class -> `courses.courseCode` / `title` (else the class's `classCode` / `title`) |
| mark | `results.textScore` (a letter) when given, else `score` as a percentage of `resultValueMax` |
| school | the class's `schoolSourcedId` -> the school with that sourcedId (else the student's school) |
| credits | not in a OneRoster gradebook: 0 (import credits with the CSV) |

Only results with `scoreStatus` "fully graded" (or none) count; `status` "tobedeleted" rows are
skipped. Each row is handed to the course-grade importer as a csvio.Row named after results.csv
and its line, so every rule of that importer (all or nothing, dry run, idempotent, the grading
scale) applies, and an error names the results.csv line and its OneRoster column.
"""

from __future__ import annotations

from collections.abc import Iterator

from mtss.models import School
from students.importers.csvio import Column, ImportFileError, Row, Source, open_csv
from students.models import Student

TERM_MARK_CATEGORIES = frozenset(
    {
        "final",
        "final grade",
        "term grade",
        "semester grade",
        "quarter grade",
        "report card",
        "report card grade",
        "grading period grade",
    }
)
GRADED = {"", "fully graded"}
# The course-grade importer's columns (importers.GRADE_COLUMNS), in the order the rows carry them.
FIELDS = ("student_id", "school_year", "term", "course_code", "course_name", "mark", "school")
# A problem the course-grade importer finds in a field is named by the OneRoster column it came from.
SOURCE_COLUMNS = {
    "student_id": "studentSourcedId",
    "school_year": "lineItemSourcedId",
    "term": "lineItemSourcedId",
    "course_code": "lineItemSourcedId",
    "course_name": "lineItemSourcedId",
    "mark": "score",
    "school": "lineItemSourcedId",
}
_INDEX = {name: i for i, name in enumerate(FIELDS)}


class ResultRow(Row):
    """A results.csv line as a course-grade row; a field's problem names its OneRoster column, once."""

    __slots__ = ("settled",)

    def __init__(self, *args):
        super().__init__(*args)
        # Set once the adapter has read the row: a row it already refused (an unknown student or
        # line item) is not refused again for the blanks that left in its fields.
        self.settled = False

    def reject(self, column: str, reason: str) -> None:
        column = SOURCE_COLUMNS.get(column, column)
        if self.settled or any(existing == column for existing, _ in self.problems):
            return  # the adapter already said what is wrong with this row or column
        self.problems.append((column, reason))


def _table(source: Source, name: str, columns: list[Column], *, required: bool = True) -> dict[str, Row]:
    found = source.find(name)
    if found is None:
        if required:
            raise ImportFileError(source.label, f"the OneRoster package has no {name}", column="")
        return {}
    rows = {}
    with open_csv(found[1], name=name, columns=columns) as table:
        for row in table:
            rows[row.raw("sourcedId")] = row
    return rows


def _school_year(text: str) -> str:
    """OneRoster's `schoolYear` is the year the school year ends: 2027 -> "2026-2027"."""
    text = text.strip()
    return f"{int(text) - 1}-{text}" if text.isdigit() and len(text) == 4 else text


def result_rows(source: Source, *, district, skipped: dict[str, int]) -> Iterator[Row]:
    """The package's term marks as course-grade rows (see the module docstring); `skipped` counts the rest."""
    sid = Column("sourcedId", True)
    line_items = _table(
        source,
        "lineItems.csv",
        [
            sid,
            Column("title"),
            Column("classSourcedId", True),
            Column("categorySourcedId"),
            Column("academicSessionSourcedId", False, ("gradingPeriodSourcedId",)),
            Column("resultValueMax"),
        ],
    )
    categories = _table(source, "categories.csv", [sid, Column("title")], required=False)
    classes = _table(
        source,
        "classes.csv",
        [sid, Column("title"), Column("classCode"), Column("courseSourcedId"), Column("schoolSourcedId")],
    )
    courses = _table(source, "courses.csv", [sid, Column("title"), Column("courseCode")], required=False)
    sessions = _table(source, "academicSessions.csv", [sid, Column("title"), Column("schoolYear")])
    students = dict(Student.objects.filter(district=district, sourced_id__gt="").values_list("sourced_id", "local_id"))
    schools = dict(School.objects.filter(district=district, sourced_id__gt="").values_list("sourced_id", "code"))
    found = source.find("results.csv")
    if found is None:
        raise ImportFileError(source.label, "the OneRoster package has no results.csv (the gradebook)")
    columns = [
        sid,
        Column("status"),
        Column("lineItemSourcedId", True),
        Column("studentSourcedId", True),
        Column("scoreStatus"),
        Column("score"),
        Column("textScore"),
    ]
    with open_csv(found[1], name="results.csv", columns=columns) as table:
        for result in table:
            if result.raw("status").lower() == "tobedeleted":
                skipped["results marked tobedeleted"] = skipped.get("results marked tobedeleted", 0) + 1
                continue
            item = line_items.get(result.raw("lineItemSourcedId"))
            values = [""] * len(FIELDS)
            row = ResultRow(result.file, result.line, values, _INDEX)
            if item is None:
                row.reject("lineItemSourcedId", f"no line item {result.raw('lineItemSourcedId')!r} in lineItems.csv")
                row.settled = True
                yield row
                continue
            category = categories.get(item.raw("categorySourcedId"))
            kind = (category.raw("title") if category is not None else item.raw("title")).casefold()
            if kind not in TERM_MARK_CATEGORIES:
                skipped["assignment results (not a term mark)"] = (
                    skipped.get("assignment results (not a term mark)", 0) + 1
                )
                continue
            if result.raw("scoreStatus").casefold() not in GRADED:
                skipped["term marks not fully graded"] = skipped.get("term marks not fully graded", 0) + 1
                continue
            student = students.get(result.raw("studentSourcedId"))
            if student is None:
                row.reject(
                    "studentSourcedId",
                    f"no student of the district has the OneRoster sourcedId {result.raw('studentSourcedId')!r}",
                )
            session = sessions.get(item.raw("academicSessionSourcedId"))
            if session is None:
                row.reject(
                    "lineItemSourcedId",
                    f"the line item's grading period {item.raw('academicSessionSourcedId')!r} is not in "
                    "academicSessions.csv",
                )
            klass = classes.get(item.raw("classSourcedId"))
            if klass is None:
                row.reject(
                    "lineItemSourcedId", f"the line item's class {item.raw('classSourcedId')!r} is not in classes.csv"
                )
            course = courses.get(klass.raw("courseSourcedId")) if klass is not None else None
            values[_INDEX["student_id"]] = student or ""
            if session is not None:
                values[_INDEX["term"]] = session.raw("title")
                values[_INDEX["school_year"]] = _school_year(session.raw("schoolYear"))
            if klass is not None:
                values[_INDEX["course_code"]] = (
                    (course.raw("courseCode") if course is not None else "")
                    or klass.raw("classCode")
                    or klass.raw("sourcedId")
                )
                values[_INDEX["course_name"]] = (course.raw("title") if course is not None else "") or klass.raw(
                    "title"
                )
                values[_INDEX["school"]] = schools.get(klass.raw("schoolSourcedId"), "")
            values[_INDEX["mark"]] = _mark(result, item, row)
            row.settled = bool(row.problems)
            yield row


def _mark(result: Row, item: Row, row: Row) -> str:
    text = result.raw("textScore")
    if text:
        return text
    score = result.raw("score")
    if not score:
        row.reject("score", "a term mark needs a score or a textScore")
        return ""
    try:
        value = float(score)
        top = float(item.raw("resultValueMax") or 100)
    except ValueError:
        row.reject("score", f"{score!r} is not a number")
        return ""
    if top <= 0:
        row.reject("score", f"the line item's resultValueMax {item.raw('resultValueMax')!r} is not above 0")
        return ""
    return f"{100 * value / top:g}" if top != 100 else f"{value:g}"

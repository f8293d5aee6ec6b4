"""What every score reader shares: the record it yields and the value parsers.

A reader turns one vendor export into `ScoreRecord`s, one per score, streaming
(students/importers/csvio.py does the CSV reading: encodings, dialect, headers,
dates, line numbers). It checks what the file alone can tell (a date is a date, a
score is a number) and leaves everything that needs the district (which student,
which measure, which window, the risk level) to the pipeline
(screening/importers/pipeline.py).
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

from screening.importers.dates import MONTH_FIRST, FileDates, table_scan
from screening.scores import score_problem
from students.importers.csvio import CsvTable, Row, Source, header_key, open_csv


class ScoreRecord:
    """One score as read from a file. `problems` are (column, reason) pairs; a record
    with problems is rejected with them (and nothing else is checked)."""

    __slots__ = (
        "file",
        "line",
        "student_key",
        "student_column",
        "measure",
        "measure_column",
        "test_date",
        "date_column",
        "score",
        "score_column",
        "percentile",
        "level",
        "category",
        "grade",
        "standard_error",
        "external_id",
        "term",
        "problems",
        "student_pk",
    )

    def __init__(
        self,
        file: str,
        line: int,
        *,
        student_key: str = "",
        student_column: str = "",
        measure: str = "",
        measure_column: str = "",
        test_date: dt.date | None = None,
        date_column: str = "",
        score: float | None = None,
        score_column: str = "",
        percentile: float | None = None,
        level: int | None = None,
        category: str = "",
        grade: int | None = None,
        standard_error: float | None = None,
        external_id: str = "",
        term: tuple[str, str] | None = None,
        problems: list | None = None,
        student_pk: int | None = None,
    ):
        self.file = file
        self.line = line
        self.student_key = student_key
        self.student_column = student_column
        self.measure = measure
        self.measure_column = measure_column
        self.test_date = test_date
        self.date_column = date_column
        self.score = score
        self.score_column = score_column
        self.percentile = percentile
        self.level = level
        self.category = category
        self.grade = grade
        self.standard_error = standard_error
        self.external_id = external_id
        self.term = term  # (season, "2013-2014"): the file's own window, when it names one
        self.problems = problems if problems is not None else []
        self.student_pk = student_pk  # the API names students by id


NOTE_EXAMPLES = 3


@dataclass
class ReadState:
    """What a reader reports besides records: encodings, warnings, skipped rows."""

    encodings: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows
    noted: dict[str, int] = field(default_factory=dict)  # kind -> warnings of that kind
    tallied: dict[str, int] = field(default_factory=dict)  # what was done to some rows -> rows

    def note(self, kind: str, message: str) -> None:
        """A warning; the first few of a kind are kept as examples, the others counted (memory stays flat)."""
        kept = self.notes.setdefault(kind, [])
        if len(kept) < NOTE_EXAMPLES:
            kept.append(message)
        self.noted[kind] = self.noted.get(kind, 0) + 1

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def tally(self, what: str) -> None:
        """A row read in a way worth telling (imported all the same), counted."""
        self.tallied[what] = self.tallied.get(what, 0) + 1

    def table_opened(self, table) -> None:
        self.encodings[table.name] = table.encoding
        for raw, canonical in table.renamed:
            if header_key(raw) != header_key(canonical):
                self.note("renamed", f"{table.name}: column {raw!r} read as {canonical}")
        if table.ignored:
            more = len(table.ignored) - 12
            shown = ", ".join(table.ignored[:12]) + (f" and {more} more" if more > 0 else "")
            self.note("ignored", f"{table.name}: columns not used: {shown}")


class Reader(ABC):
    """A vendor format. Subclasses set `format`, `label` and implement `records`."""

    format = ""
    label = ""
    needs_mapping = False

    def __init__(self, *, mapping=None, measure: str = ""):
        self.mapping = mapping
        self.measure = measure

    @abstractmethod
    def records(self, source: Source, state: ReadState) -> Iterator[ScoreRecord]:
        """The file's rows as score records (each format says how)."""


class TableReader(Reader):
    """A format whose files are each one CSV table of score rows: `columns` says how to read
    a table, `table_records` turns its rows into score records (`reads_file` may skip a file).

    `self.dates` reads the current file's test dates in that file's own day/month order
    (screening/importers/dates.py); `date_columns` are the columns that decide it and
    `date_default` the order of a file where no date decides.
    """

    columns: list = []
    date_columns: tuple[str, ...] = ()
    date_default = MONTH_FIRST

    def reads_file(self, source: Source, name: str) -> bool:
        return True

    def records(self, source: Source, state: ReadState) -> Iterator[ScoreRecord]:
        for name in source.names():
            if not self.reads_file(source, name):
                continue
            _, opener = source.find(name)
            with open_csv(opener, name=name, columns=self.columns) as table:
                state.table_opened(table)
                self.dates = FileDates(
                    name,
                    scan=table_scan(opener, name=name, columns=self.columns, date_columns=list(self.date_columns)),
                    default=self.date_default,
                )
                yield from self.table_records(table, name, state)

    @abstractmethod
    def table_records(self, table: CsvTable, name: str, state: ReadState) -> Iterator[ScoreRecord]:
        """One opened table's rows as score records."""


# --- values ------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# Values vendors write where a score was not obtained (DIBELS "Discontinue", mCLASS "N/A").
NO_SCORE = {"", "n/a", "na", "-", "--", "discontinue", "discontinued", "not tested", "nt", "null", "none", "."}


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_number(text: str) -> float:
    value = text.strip()
    if _THOUSANDS.match(value):  # 1,234 (US thousands); a decimal comma is not accepted
        value = value.replace(",", "")
    if value.endswith("%"):
        value = value[:-1].strip()
    if not _NUMBER.match(value):
        raise ValueError(f"{text.strip()!r} is not a number")
    return float(value)


def number(
    row: Row, column: str, *, required: bool = False, low: float | None = None, high: float | None = None
) -> float | None:
    """A number from a column; blank and the vendors' "no score" words give None."""
    text = row.raw(column)
    if text.lower() in NO_SCORE:
        if required:
            row.reject(column, "a value is required")
        return None
    try:
        value = parse_number(text)
    except ValueError as error:
        row.reject(column, str(error))
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        row.reject(column, f"{text!r} is outside {low:g}..{high:g}")
        return None
    return value


_BOUND = re.compile(r"^(<=?|>=?|≤|≥)\s*(\d+(?:\.\d*)?)\s*%?$")


def percentile(row: Row, column: str, text: str | None = None) -> float | None:
    """A percentile rank, 0..100. Vendors print the ends of the scale as bounds (mCLASS `<1`,
    `>99`): a bound is stored as the bound itself (`<1` is 1, `>99` is 99), so a rule such as
    "below the 10th percentile" bands it as the vendor meant (README, "Score import")."""
    value = row.raw(column) if text is None else text
    if match := _BOUND.match(value):
        bound = float(match[2])
        if 0 <= bound <= 100:
            return bound
        row.reject(column, f"{value!r} is outside 0..100")
        return None
    if text is not None:
        return fast_number(row, column, text, low=0, high=100)
    return number(row, column, low=0, high=100)


_GRADE_WORDS = {
    "k": 0,
    "kg": 0,
    "kindergarten": 0,
    "0": 0,
    "00": 0,
    "pk": -1,
    "tk": -1,
    "prek": -1,
    "p": -1,
    "ps": -1,
    "pre-k": -1,
    "prekindergarten": -1,
}


def parse_grade(text: str) -> int | None:
    """K / KG -> 0, PK / TK -> -1, 1..12 (also 01, 1st, Grade 3); anything else (13, UG) -> None."""
    value = text.strip().lower()
    value = re.sub(r"^(grade|gr\.?)\s*", "", value)
    value = re.sub(r"(st|nd|rd|th)$", "", value)
    if value in _GRADE_WORDS:
        return _GRADE_WORDS[value]
    if value.isdigit() and 1 <= int(value) <= 12:
        return int(value)
    return None


_SEASONS = {
    "fall": "fall",
    "autumn": "fall",
    "boy": "fall",
    "beginning of year": "fall",
    "late fall": "fall",
    "winter": "winter",
    "moy": "winter",
    "middle of year": "winter",
    "mid year": "winter",
    "spring": "spring",
    "eoy": "spring",
    "end of year": "spring",
}


def parse_season(text: str) -> str | None:
    return _SEASONS.get(re.sub(r"\s+", " ", text.strip().lower()))


_YEAR_PAIR = re.compile(r"^(\d{4})\s*[-/]\s*(\d{2}|\d{4})$")
_SHORT_PAIR = re.compile(r"^'?(\d{2})\s*-\s*'?(\d{2})$")


def parse_school_year(text: str) -> str | None:
    """`2013-2014`, `2013-14`, `'19-'20`, `2014` (the year it ends) -> "2013-2014"."""
    value = text.strip()
    if match := _YEAR_PAIR.match(value):
        first, second = int(match[1]), match[2]
        end = int(second) if len(second) == 4 else (first // 100) * 100 + int(second)
        return f"{first}-{end}" if end == first + 1 else None
    if match := _SHORT_PAIR.match(value):
        first, second = 2000 + int(match[1]), 2000 + int(match[2])
        return f"{first}-{second}" if second == first + 1 else None
    if value.isdigit() and len(value) == 4:
        return f"{int(value) - 1}-{value}"
    return None


def parse_term(text: str) -> tuple[str, str] | None:
    """NWEA's TermName `Fall 2013-2014` -> ("fall", "2013-2014")."""
    parts = text.strip().split()
    if len(parts) >= 2:
        season, year = parse_season(" ".join(parts[:-1])), parse_school_year(parts[-1])
        if season and year:
            return season, year
    return None


def parse_level(text: str) -> int | None:
    """A performance level: `2`, `Level 2`, `L2`."""
    match = re.search(r"(\d+)", text)
    return int(match[1]) if match else None


# --- fast paths for big files --------------------------------------------------------------------
# A 100,000-row export repeats the same few dates, terms and measure names; parsing each
# distinct text once keeps the per-row cost to dictionary look-ups (benchmarks/bench_import.py).

CACHE_LIMIT = 20_000


class ValueCache:
    """Parsed values by their text, for one import. Bounded: cleared when it fills."""

    def __init__(self, parser):
        self.parser = parser
        self.values: dict[str, object] = {}

    def __call__(self, text: str):
        """The parsed value, or raises the parser's ValueError (not cached)."""
        try:
            return self.values[text]
        except KeyError:
            value = self.parser(text)
            if len(self.values) >= CACHE_LIMIT:
                self.values.clear()
            self.values[text] = value
            return value


def picker(table, columns: list[str]):
    """A function giving a row's stripped values of `columns` (blank for absent ones), in order.

    Reads the row's value list directly: one call per row instead of one per column.
    """
    positions = [table._index.get(column) for column in columns]
    present = [p for p in positions if p is not None]
    width = max(present) + 1 if present else 0

    def pick(row: Row) -> list[str]:
        values = row._values
        if len(values) < width:
            values = values + [""] * (width - len(values))
        return [values[p].strip() if p is not None else "" for p in positions]

    return pick


def fast_number(
    row: Row, column: str, text: str, *, required: bool = False, low: float | None = None, high: float | None = None
) -> float | None:
    """`number` for a value already read: plain numbers take the fast path."""
    try:
        value = float(text)
    except ValueError:
        return number(row, column, required=required, low=low, high=high)
    if score_problem(value) is not None:  # "nan", "inf" are not scores (screening/scores.py)
        row.reject(column, f"{text!r} is not a number")
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        row.reject(column, f"{text!r} is outside {low:g}..{high:g}")
        return None
    return value


def fast_date(row: Row, column: str, text: str, cache: ValueCache, *, required: bool = True) -> dt.date | None:
    if not text:
        if required:
            row.reject(column, "a value is required")
        return None
    try:
        return cache(text)
    except ValueError as error:
        row.reject(column, str(error))
        return None

"""The score import pipeline shared by every format, the API and the demo's norms.

Three steps, so that one bad row writes nothing (README, "Score import"):

1. `read`: the reader streams records; each is matched to the district (student by
   local id, else state id; catalog measure; screening window by test date, else
   by the file's own term), its risk level is computed from the policy in effect
   on the test date (screening/risk.py, rules compiled once per measure, grade and
   season), and the valid rows are streamed into a temporary staging table
   (PostgreSQL `COPY`; batched inserts elsewhere). Rejected rows are collected with
   file, line, column and reason. Python keeps no per-row state, so memory does not
   grow with the file: what it holds is sized by the district (its students,
   catalog, windows, norms), plus the rejected rows.
2. `resolve`: set-based SQL over the staging table finds repeats within the file
   (an identical repeat is skipped; a retest with a later date wins; two different
   results on the same day are rejected) and counts what would be created,
   updated or left unchanged. A dry run stops here.
3. `write`: one `INSERT ... SELECT ... ON CONFLICT DO UPDATE` from the staging
   table (only rows that changed, and never an older test over a newer one), then
   the review queue is refreshed for the windows touched.

Everything runs inside the caller's transaction and tenant context; the staging
table is temporary and dropped at the end.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django.utils import timezone

from mtss.models import District, PolicyVersion
from screening import risk
from screening.importers import FORMATS
from screening.importers.base import ReadState, ScoreRecord
from screening.models import Measure, NormPoint, Score, ScreeningWindow
from screening.scores import ScoreRange, score_problem
from students.importers.csvio import ErrorLog, ImportErrors, ImportFileError, RowError, header_key, open_source
from students.models import Student

STAGE = "screening_stage"
BATCH = 2000
UNMATCHED_LIMIT = 1000
# A test dated tomorrow may be today somewhere in the district's day (time zones, a late sync).
FUTURE_SLACK = dt.timedelta(days=1)
EXAMPLES_PER_WARNING = 3
ENTITY = "scores"
FLAG_FIELDS = tuple(risk.SUBGROUP_FIELDS.values())

# Staging columns, in COPY order. `seq` is the record's position (a DIBELS line gives several),
# `file_no` indexes the import's file names, and `result_id` the distinct risk results, which
# are staged once each in RESULTS: a row stays narrow (most of a row's bytes are its risk text).
STAGE_COLUMNS = (
    "seq",
    "line",
    "file_no",
    "student_id",
    "measure_id",
    "window_id",
    "school_id",
    "grade",
    "test_date",
    "score",
    "percentile",
    "level",
    "category",
    "standard_error",
    "external_id",
    "result_id",
)
STAGE_DDL = f"""CREATE TEMP TABLE {STAGE} (
    seq integer, line integer, file_no smallint, student_id bigint, measure_id bigint, window_id bigint,
    school_id bigint, grade smallint, test_date date, score double precision, percentile double precision,
    level smallint, category varchar(80), standard_error double precision, external_id varchar(80),
    result_id integer, status smallint DEFAULT 0)"""
RESULTS = "screening_stage_results"
RESULT_COLUMNS = ("id", "area", "tier", "risk_label", "risk_rule", "risk_values", "risk_explanation", "policy_label")
RESULTS_DDL = f"""CREATE TEMP TABLE {RESULTS} (
    id integer, area varchar(40), tier smallint, risk_label varchar(120), risk_rule varchar(200),
    risk_values text, risk_explanation text, policy_label varchar(120))"""
DATA_COLUMNS = (
    "student_id",
    "measure_id",
    "window_id",
    "school_id",
    "grade",
    "test_date",
    "score",
    "percentile",
    "level",
    "category",
    "standard_error",
    "external_id",
)
RISK_COLUMNS = RESULT_COLUMNS[1:]
# What a score holds (besides its key); a re-import that changes none of these is "unchanged".
VALUE_COLUMNS = (
    "school_id",
    "grade",
    "test_date",
    "score",
    "percentile",
    "level",
    "category",
    "standard_error",
    "external_id",
    "area",
    "tier",
    "risk_label",
    "risk_rule",
    "risk_explanation",
    "policy_label",
)
OK, DROPPED, REJECTED = 0, 1, 2


@dataclass(frozen=True)
class StudentInfo:
    pk: int
    school_id: int
    grade: int
    subgroups: frozenset[str]


# --- the district's side ------------------------------------------------------------------------


class PolicyTimeline:
    """Every policy version of the district; `at(day)` is the one in effect (as mtss.selectors.policy_current)."""

    def __init__(self, district: District):
        rows = list(
            PolicyVersion.objects.filter(district=district)
            .order_by("effective_from", "version")
            .values_list("pk", "version", "name", "effective_from", "document")
        )
        self._starts = [row[3] for row in rows]
        self._rows = rows
        self._documents: dict[int, object] = {}

    def at(self, day: dt.date):
        """(version id, label, PolicyDocument) in effect on `day`, or None."""
        i = bisect.bisect_right(self._starts, day) - 1
        if i < 0:
            return None
        pk, version, name, _, document = self._rows[i]
        if pk not in self._documents:
            from mtss.policy import validate_policy

            self._documents[pk] = validate_policy(document)
        return pk, f"{name}@{version}", self._documents[pk]

    @property
    def labels(self) -> dict[int, str]:
        return {row[0]: f"{row[2]}@{row[1]}" for row in self._rows}


class DistrictContext:
    """What validation and risk need from the district, loaded once (sized by the district, not the file)."""

    def __init__(self, district: District):
        self.district = district
        self.students: list[StudentInfo] = []
        self.by_local: dict[str, int] = {}
        self.by_state: dict[str, int] = {}
        self.by_pk: dict[int, int] = {}
        interned: dict[tuple, frozenset] = {}
        # A plain cursor: 50,000 rows through the ORM's values_list cost three times as much.
        columns = ", ".join(["id", "local_id", "state_id", "school_id", "grade", *FLAG_FIELDS])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {Student._meta.db_table} WHERE district_id = %s ORDER BY id", [district.pk]
            )
            while rows := cursor.fetchmany(5000):
                for pk, local_id, state_id, school_id, grade, *flags in rows:
                    flags = tuple(flags)
                    groups = interned.get(flags)
                    if groups is None:
                        groups = interned[flags] = risk.policy_subgroups(dict(zip(FLAG_FIELDS, flags, strict=False)))
                    index = len(self.students)
                    self.students.append(StudentInfo(pk, school_id, grade, groups))
                    self.by_local[local_id] = index
                    self.by_pk[pk] = index
                    if state_id:
                        self.by_state[state_id] = -1 if state_id in self.by_state else index
        self.measures = {m.pk: m for m in Measure.objects.filter(district=district).select_related("assessment")}
        windows = list(ScreeningWindow.objects.filter(district=district).select_related("school_year"))
        self.windows = sorted((w.start_date, w.end_date, w.pk, w.season, w.school_year.name) for w in windows)
        self.window_labels = {w[2]: f"{w[3]} {w[4]}" for w in self.windows}
        self.by_term = {(w[3], w[4]): w[2] for w in self.windows}
        # The school year of each term's window: a make-up test after the window closed still
        # counts for the term the file names, but only within that school year (issue #15: a
        # 2003 date in a 2019-20 file was accepted silently).
        self.term_years = {
            (w.season, w.school_year.name): (w.school_year.start_date, w.school_year.end_date) for w in windows
        }
        self.window_season = {w[2]: w[3] for w in self.windows}
        self.policies = PolicyTimeline(district)
        self._load_norms()
        self._rules: dict[tuple, tuple[risk.Rule, int]] = {}
        self._policy_measures: dict[tuple, risk.MeasurePolicy | None] = {}
        self._timelines: dict[dt.date, tuple | None] = {}
        self._day_rules: dict[tuple, tuple[risk.Rule, int]] = {}
        self._windows: dict[tuple, int | None] = {}
        self._results: dict[tuple, tuple[int, tuple]] = {}
        self.result_rows: list[tuple] = []  # (id, *banded) of every distinct result handed out
        self.version_pks: set[int] = set()

    def _load_norms(self) -> None:
        self.percentile_norms: dict[tuple[int, str], dict[tuple[int, str], list]] = {}
        self.cut_tables: dict[int, dict[tuple[int, str], list]] = {}
        self.norm_names: dict[tuple, str] = {}
        points = NormPoint.objects.filter(district=self.district).values_list(
            "table__measure_id",
            "table__kind",
            "table__norm",
            "table__name",
            "table__illustrative",
            "grade",
            "season",
            "percentile",
            "score",
            "label",
        )
        for measure_id, kind, norm, name, illustrative, grade, season, percentile, score, label in points:
            shown = f"{name} (illustrative)" if illustrative and "illustrative" not in name.lower() else name
            if kind == "percentile":
                self.percentile_norms.setdefault((measure_id, norm), {}).setdefault((grade, season), []).append(
                    (percentile, score)
                )
                self.norm_names[(measure_id, norm)] = shown
            else:
                self.cut_tables.setdefault(measure_id, {}).setdefault((grade, season), []).append(
                    (score, label or f"below {score:g}")
                )
                self.norm_names[(measure_id, "cut")] = shown

    # --- lookups ---------------------------------------------------------------------------------

    def student(self, key: str) -> StudentInfo | None | bool:
        """The student with this local id, else this state id; False when the state id is ambiguous."""
        index = self.by_local.get(key)
        if index is None:
            index = self.by_state.get(key)
            if index == -1:
                return False
        return None if index is None else self.students[index]

    def window(self, day: dt.date, term: tuple[str, str] | None) -> int | None:
        key = (day, term)
        if key in self._windows:
            return self._windows[key]
        found = next((pk for start, end, pk, _, _ in self.windows if start <= day <= end), None)
        if found is None and term and term in self.by_term:
            first, last = self.term_years[term]
            if first <= day <= last:
                found = self.by_term[term]
        self._windows[key] = found
        return found

    def timeline(self, day: dt.date):
        if day not in self._timelines:
            self._timelines[day] = self.policies.at(day)
        return self._timelines[day]

    def rule(self, day: dt.date, measure: Measure, grade: int, season: str) -> risk.Rule:
        return self._rule(day, measure, grade, season)[0]

    def _rule(self, day: dt.date, measure: Measure, grade: int, season: str) -> tuple[risk.Rule, int]:
        key = (day, measure.pk, grade, season)
        found = self._day_rules.get(key)
        if found is None:
            found = self._day_rules[key] = self._version_rule(day, measure, grade, season)
        return found

    def _version_rule(self, day: dt.date, measure: Measure, grade: int, season: str) -> tuple[risk.Rule, int]:
        timeline = self.timeline(day)
        version_pk = timeline[0] if timeline else None
        key = (version_pk, measure.pk, grade, season)
        found = self._rules.get(key)
        if found is None:
            found = (self._compile(timeline, measure, grade, season), len(self._rules))
            self._rules[key] = found
        return found

    def banded(
        self,
        day: dt.date,
        measure: Measure,
        grade: int,
        season: str,
        subgroups: frozenset,
        score,
        percentile,
        level,
        category,
    ) -> tuple:
        """(area, tier, level, rule, values as JSON, explanation, policy label) of one score."""
        return self._banded(day, measure, grade, season, subgroups, score, percentile, level, category)[1]

    def banded_id(
        self,
        day: dt.date,
        measure: Measure,
        grade: int,
        season: str,
        subgroups: frozenset,
        score,
        percentile,
        level,
        category,
    ) -> int:
        """The id of one score's result in `result_rows` (staged once per distinct result)."""
        return self._banded(day, measure, grade, season, subgroups, score, percentile, level, category)[0]

    def _banded(self, day, measure, grade, season, subgroups, score, percentile, level, category):
        # The same inputs give the same result: results are kept per rule and the inputs
        # the rule reads (`rule.key`), so a big file computes (and JSON-encodes) each once.
        rule, rule_id = self._rule(day, measure, grade, season)
        key = (rule_id, rule.key(score, percentile, level, category, subgroups))
        found = self._results.get(key)
        if found is None:
            result = rule(score=score, percentile=percentile, level=level, category=category, subgroups=subgroups)
            policy = result.values.get("policy") or ""
            if policy:
                timeline = self.timeline(day)
                if timeline:
                    self.version_pks.add(timeline[0])
            banded = (
                result.area[:40],
                result.tier,
                result.level[:120],
                result.rule[:200],
                json.dumps(result.values, default=str),
                result.explanation,
                policy[:120],
            )
            found = (len(self.result_rows), banded)
            self.result_rows.append((found[0], *banded))
            if len(self._results) >= 50_000:
                self._results.clear()
            self._results[key] = found
        return found

    def policy_measure(self, timeline, measure: Measure) -> risk.MeasurePolicy | None:
        key = (timeline[0], measure.pk)
        if key not in self._policy_measures:
            self._policy_measures[key] = risk.find_policy_measure(
                timeline[2], measure.policy_keys or [measure.key], policy_label=timeline[1]
            )
        return self._policy_measures[key]

    def _compile(self, timeline, measure: Measure, grade: int, season: str) -> risk.Rule:
        if timeline is None:
            return risk.compile_rule(
                None,
                grade=grade,
                season=season,
                no_policy_reason="no district policy version was in effect on the test date",
            )
        measure_policy = self.policy_measure(timeline, measure)
        if measure_policy is None:
            keys = ", ".join(measure.policy_keys or [measure.key])
            return risk.compile_rule(
                None,
                grade=grade,
                season=season,
                no_policy_reason=(
                    f"the district policy ({timeline[1]}) has no screening measure {keys} for {measure.name}"
                ),
            )
        rule = measure_policy.measure.risk
        norms = norm_name = None
        if rule.method == "percentile":
            norms = self.percentile_norms.get((measure.pk, rule.norm), {}).get((grade, season))
            norm_name = self.norm_names.get((measure.pk, rule.norm), "")
        cut_rows = self.cut_tables.get(measure.pk, {}).get((grade, season))
        return risk.compile_rule(
            measure_policy,
            grade=grade,
            season=season,
            subject=measure.subject,
            norms=norms,
            norm_name=norm_name or "",
            cut_rows=cut_rows,
            cut_name=self.norm_names.get((measure.pk, "cut"), ""),
        )


# --- staging ------------------------------------------------------------------------------------------


class Stager:
    """Rows into a temporary staging table: PostgreSQL COPY, or batched inserts elsewhere.

    `stream=True` keeps one COPY open while rows arrive (nothing else may use the
    connection meanwhile: the import's read loop runs no queries). `stream=False`
    sends each batch as its own COPY, for callers that read the database between rows.
    """

    def __init__(
        self, table: str = STAGE, ddl: str = STAGE_DDL, columns: tuple[str, ...] = STAGE_COLUMNS, *, stream: bool = True
    ):
        self.table, self.ddl, self.columns, self.stream = table, ddl, columns, stream
        self.postgres = connection.vendor == "postgresql"
        self._stack = ExitStack()
        self._copy = None
        self._batch: list[tuple] = []
        self.count = 0

    def __enter__(self) -> Stager:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
            cursor.execute(self.ddl)
        if self.postgres and self.stream:
            self._copy = self._stack.enter_context(self._open_copy())
        return self

    def _open_copy(self):
        cursor = self._stack.enter_context(connection.cursor())
        return cursor.cursor.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN")

    def add(self, row: tuple) -> None:
        self.count += 1
        if self._copy is not None:
            self._copy.write_row(row)
            return
        self._batch.append(row)
        if len(self._batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._batch:
            return
        if self.postgres:
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN") as copy,
            ):
                for row in self._batch:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(self.columns))
            rows = [tuple(v.isoformat() if isinstance(v, dt.date) else v for v in row) for row in self._batch]
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})", rows)
        self._batch = []

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.flush()
        self._stack.__exit__(*exc)
        if self.postgres and exc[0] is None:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {self.table}")


def drop_stage(table: str = STAGE) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


@contextmanager
def hash_joins():
    """PostgreSQL: plan the enclosed statements without nested loops.

    Right after a bulk load (seed_demo, an earlier import in the same transaction)
    tables have no statistics yet, and the application role may not ANALYZE tables it
    does not own. The planner then takes a table of 100,000 new rows for one row and
    picks a nested loop that rescans the other side per row: 48 s instead of 0.2 s
    (measured with benchmarks/bench_import.py). Hash and merge joins are linear
    whatever the estimates. `SET LOCAL` lasts until the transaction ends, so it is
    switched back explicitly.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_nestloop = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_nestloop = on")


def _distinct() -> str:
    return "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"


# --- the import -----------------------------------------------------------------------------------------


class ScoreImport(ImportErrors):
    """One score import: read (validate, stage), resolve (count), write. See the module docstring."""

    def __init__(
        self,
        district: District,
        *,
        format: str,
        path=None,
        records: Iterable[ScoreRecord] | None = None,
        mapping=None,
        measure: str = "",
        file_name: str = "",
    ):
        if format not in FORMATS and records is None:
            raise ValueError(f"unknown format {format!r}")
        self.district = district
        self.format = format
        self.path = path
        self._records = records
        self.mapping = mapping
        self.measure = measure
        self.file_name = file_name or (Path(path).name if path else format)
        self.state = ReadState()
        self.errors = ErrorLog(keep=100_000)
        self.file_errors: list[RowError] = []
        self.unmatched: Counter = Counter()
        self._unmatched_beyond: set[str] = set()
        self.unmatched_total = 0
        self.rows_read = 0
        self.today = timezone.localdate()
        self.staged = 0
        self.counts_ = {"created": 0, "updated": 0, "unchanged": 0, "older": 0, "repeats": 0}
        self.measure_counts: dict[str, int] = {}
        self.window_ids: list[int] = []
        self.policy_labels: list[str] = []
        self.review_items_created = 0
        self.review_items_withdrawn = 0
        self.file_numbers: dict[str, int] = {}
        self.written = False
        self.context: DistrictContext | None = None

    # --- reporting -----------------------------------------------------------------------------------

    @property
    def rejected_rows(self) -> int:
        return self.errors.rejected_rows(ENTITY)

    def counts(self) -> dict:
        c = self.counts_
        return {
            ENTITY: {
                "created": c["created"],
                "updated": c["updated"],
                "unchanged": c["unchanged"] + c["older"],
                "deleted": 0,
                "rejected": self.rejected_rows + len(self.file_errors),
            },
            "review_items": {
                "created": self.review_items_created,
                "updated": self.review_items_withdrawn,
                "unchanged": 0,
                "deleted": 0,
                "rejected": 0,
            },
        }

    @property
    def warnings(self) -> list[str]:
        out = []
        for kind, messages in self.state.notes.items():
            out.extend(messages[:EXAMPLES_PER_WARNING])
            more = self.state.noted.get(kind, len(messages)) - EXAMPLES_PER_WARNING
            if more > 0:
                out.append(f"... and {more} more like the one above")
        for reason, n in sorted(self.state.skipped.items()):
            out.append(f"skipped {n} row{'s' if n != 1 else ''}: {reason}")
        for what, n in sorted(self.state.tallied.items()):
            out.append(f"{what}: {n}")
        if self.state.skipped and not self.staged and not self.error_count:
            out.append("no score was imported: every row of the file was skipped (see above)")
        if self.counts_["repeats"]:
            out.append(
                f"{self.counts_['repeats']} repeated or superseded rows in the file were not imported "
                "(an identical repeat, or an earlier test replaced by a retest in the same window)"
            )
        if self.counts_["older"]:
            out.append(
                f"{self.counts_['older']} scores are older than the score already stored for that student, "
                "measure and window; the stored (later) test was kept"
            )
        return out

    def details(self) -> dict:
        context = self.context
        return {
            "format": self.format,
            "encodings": self.state.encodings,
            "skipped": self.state.skipped,
            "measures": self.measure_counts,
            "windows": [context.window_labels.get(pk, str(pk)) for pk in self.window_ids] if context else [],
            "policy_versions": self.policy_labels,
            "unmatched_students": [{"key": key, "rows": n} for key, n in self.unmatched.most_common(UNMATCHED_LIMIT)],
            "unmatched_total": self.unmatched_total,
            "review_items_created": self.review_items_created,
            "refused_whole": self.refused_whole,
        }

    # --- 1. read -------------------------------------------------------------------------------------

    def read(self) -> None:
        """Validate every record and stage the valid ones. Call inside a transaction and tenant context."""
        self.context = context = DistrictContext(self.district)
        reader = FORMATS[self.format](mapping=self.mapping, measure=self.measure) if self._records is None else None
        names = self._measure_names(context)
        with Stager() as stager:
            try:
                with ExitStack() as stack:
                    if reader is not None:
                        source = stack.enter_context(open_source(self.path))
                        _refuse_workbooks(source)
                        records = reader.records(source, self.state)
                    else:
                        records = self._records
                    for seq, record in enumerate(records):
                        self.rows_read += 1
                        row = self._validate(record, context, names)
                        if row is not None:
                            stager.add((seq, *row))
            except ImportFileError as error:
                # The COPY still ends cleanly (an aborted COPY would abort the transaction).
                self.file_errors.extend(error.errors)
        self.staged = stager.count
        if reader is not None and not self.file_errors and not self.rows_read and not self.state.skipped:
            # A header and nothing else is an export gone wrong (a filter, the wrong term), not a
            # success: it used to end with exit 0 and no word (issue #15).
            self.file_errors.append(
                RowError(
                    self.file_name,
                    None,
                    "",
                    "no rows: the file has a header but no scores; nothing was imported. "
                    "Check the export's filters (school, term, test) and export again.",
                )
            )
        if self.file_errors:
            drop_stage()
            return
        with Stager(RESULTS, RESULTS_DDL, RESULT_COLUMNS) as results:
            for row in context.result_rows:
                results.add(row)
        labels = context.policies.labels
        self.policy_labels = sorted(labels[pk] for pk in context.version_pks)

    @property
    def _vendor(self) -> bool:
        return self._records is None and self.format != "generic"

    def _measure_key(self, text: str) -> str:
        # A vendor's own names are matched loosely, like headers ("Reading - Maze" is "Reading Maze");
        # a district's file or the API names a catalog key or name exactly (but for case), so that a
        # typo ("aimsweb-mazze") is an error, not a near match.
        return header_key(text) if self._vendor else text.strip().casefold()

    def _measure_names(self, context: DistrictContext) -> dict[str, Measure]:
        """Measure names this import understands -> measure."""
        names: dict[str, Measure] = {}
        for measure in context.measures.values():
            if self._vendor and measure.assessment.format == self.format:
                for name in measure.import_names or []:
                    names.setdefault(self._measure_key(name), measure)
        for measure in context.measures.values():
            names.setdefault(self._measure_key(measure.key), measure)
            if not self._vendor:
                names.setdefault(self._measure_key(measure.name), measure)
        return names

    def _reject(self, record: ScoreRecord, column: str, reason: str) -> None:
        self.errors.add(record.file, record.line, column, reason, entity=ENTITY)

    def _validate(self, record: ScoreRecord, context: DistrictContext, names: dict):
        if record.problems:
            for column, reason in record.problems:
                self._reject(record, column, reason)
            return None
        measure = names.get(record.measure)
        if measure is None and record.measure and record.measure not in names:
            measure = names[record.measure] = names.get(self._measure_key(record.measure))
        if measure is None:
            if self._vendor:
                # A test the district's catalog does not track: counted, not an error (README).
                self.state.skip(f"measure {record.measure!r} is not in the district's catalog")
                return None
            self._reject(
                record,
                record.measure_column or "measure",
                f"unknown measure {record.measure!r}: use a catalog key such as map-reading",
            )
            return None
        ok = True
        if record.student_pk is not None:
            index = context.by_pk.get(record.student_pk)
            student = context.students[index] if index is not None else None
            if student is None:
                self._reject(record, record.student_column or "student", "unknown student")
                ok = False
        else:
            student = context.student(record.student_key)
            if student is False:
                self._reject(
                    record,
                    record.student_column,
                    f"state id {record.student_key} belongs to several students of the district",
                )
                ok = False
            elif student is None:
                self._reject(
                    record,
                    record.student_column,
                    f"no student with local id or state id {record.student_key} in the district's roster",
                )
                key = record.student_key
                if key in self.unmatched:
                    self.unmatched[key] += 1
                elif key not in self._unmatched_beyond:
                    self.unmatched_total += 1  # distinct ids, however many rows each has
                    if len(self.unmatched) < UNMATCHED_LIMIT:
                        self.unmatched[key] = 1
                    else:
                        # Counted beyond the limit, not listed. Only the id is kept (not its rows):
                        # without it each further row of an unlisted id counted again, and 24,000
                        # distinct ids were reported as 62,066 (issue #15).
                        self._unmatched_beyond.add(key)
                ok = False
        window_id = context.window(record.test_date, record.term)
        if self._records is None and record.test_date > self.today + FUTURE_SLACK:
            # A file's test cannot have happened yet: a typo, or a two-digit year read as 20YY.
            self._reject(
                record,
                record.date_column,
                f"{record.test_date:%Y-%m-%d} is in the future (today is {self.today:%Y-%m-%d}); check the date",
            )
            ok = False
        elif window_id is None and record.term and record.term in context.term_years:
            first, last = context.term_years[record.term]
            self._reject(
                record,
                record.date_column,
                (
                    f"{record.test_date:%Y-%m-%d} is outside the school year {record.term[1]} "
                    f"({first:%Y-%m-%d} to {last:%Y-%m-%d}) of the row's term ({record.term[0]} "
                    f"{record.term[1]}); check the date"
                ),
            )
            ok = False
        elif window_id is None:
            year = f" of {record.term[1]}" if record.term else ""
            self._reject(
                record,
                record.date_column,
                (
                    f"{record.test_date:%Y-%m-%d} falls in no screening window of the district; add the "
                    f"{record.term[0] + ' ' if record.term else ''}window{year} first (Screening > Windows)"
                ),
            )
            ok = False
        score = record.score
        # The one score rule of every entry path (screening/scores.py): finite, in the measure's range.
        problem = score_problem(score, ScoreRange.of(measure)) if score is not None else None
        if problem is not None:
            self._reject(record, record.score_column or "score", problem)
            ok = False
        if not ok:
            return None
        grade = record.grade if record.grade is not None else student.grade
        result_id = context.banded_id(
            record.test_date,
            measure,
            grade,
            context.window_season[window_id],
            student.subgroups,
            score,
            record.percentile,
            record.level,
            record.category,
        )
        file_no = self.file_numbers.get(record.file)
        if file_no is None:
            file_no = self.file_numbers[record.file] = len(self.file_numbers)
        return (
            record.line,
            file_no,
            student.pk,
            measure.pk,
            window_id,
            student.school_id,
            grade,
            record.test_date,
            score,
            record.percentile,
            record.level,
            record.category,
            record.standard_error,
            record.external_id,
            result_id,
        )

    # --- 2. resolve ----------------------------------------------------------------------------------

    def resolve(self) -> None:
        """Repeats within the file, then what would be created, updated or left unchanged."""
        if self.refused_whole:
            return
        self._repeats()
        with hash_joins(), connection.cursor() as cursor:
            distinct = _distinct()
            differs = " OR ".join(f"s.{c} {distinct} {'r' if c in RISK_COLUMNS else 'st'}.{c}" for c in VALUE_COLUMNS)
            cursor.execute(
                f"""
                SELECT
                  COUNT(*) FILTER (WHERE s.id IS NULL),
                  COUNT(*) FILTER (WHERE s.id IS NOT NULL AND s.test_date > st.test_date),
                  COUNT(*) FILTER (WHERE s.id IS NOT NULL AND s.test_date <= st.test_date AND ({differs})),
                  COUNT(*) FILTER (WHERE s.id IS NOT NULL AND s.test_date <= st.test_date AND NOT ({differs}))
                FROM {STAGE} st
                JOIN {RESULTS} r ON r.id = st.result_id
                LEFT JOIN {Score._meta.db_table} s ON s.district_id = %s AND s.student_id = st.student_id
                  AND s.measure_id = st.measure_id AND s.window_id = st.window_id
                WHERE st.status = {OK}""",
                [self.district.pk],
            )
            created, older, updated, unchanged = (n or 0 for n in cursor.fetchone())
            self.counts_.update(created=created, older=older, updated=updated, unchanged=unchanged)
            cursor.execute(f"SELECT measure_id, COUNT(*) FROM {STAGE} WHERE status = {OK} GROUP BY measure_id")
            keys = {pk: m.key for pk, m in self.context.measures.items()}
            self.measure_counts = {keys[pk]: n for pk, n in cursor.fetchall()}
            cursor.execute(f"SELECT DISTINCT window_id FROM {STAGE} WHERE status = {OK}")
            self.window_ids = sorted(pk for (pk,) in cursor.fetchall())

    def _repeats(self) -> None:
        """Several rows for one student, measure and window: keep one, report the others."""
        with connection.cursor() as cursor:
            cursor.execute(f"""
                SELECT seq, line, file_no, student_id, measure_id, window_id, test_date, score, percentile, level,
                       category
                FROM {STAGE}
                WHERE (student_id, measure_id, window_id) IN (
                  SELECT student_id, measure_id, window_id FROM {STAGE}
                  GROUP BY student_id, measure_id, window_id HAVING COUNT(*) > 1)
                ORDER BY student_id, measure_id, window_id, line, seq""")
            dropped, rejected = [], []
            group: list[tuple] = []
            for row in _chunks(cursor):
                if group and row[3:6] != group[0][3:6]:
                    self._settle(group, dropped, rejected)
                    group = []
                group.append(row)
            if group:
                self._settle(group, dropped, rejected)
        for status, seqs in ((DROPPED, dropped), (REJECTED, rejected)):
            for start in range(0, len(seqs), 500):
                part = seqs[start : start + 500]
                with connection.cursor() as cursor:
                    marks = ", ".join(["%s"] * len(part))
                    cursor.execute(f"UPDATE {STAGE} SET status = {status} WHERE seq IN ({marks})", part)
        self.counts_["repeats"] = len(dropped)

    def _settle(self, group: list[tuple], dropped: list[int], rejected: list[int]) -> None:
        names = {number: name for name, number in self.file_numbers.items()}
        group = [(row[0], row[1], names.get(row[2], ""), *row[3:]) for row in group]

        def day(row):
            value = row[6]
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)

        latest = max(day(r) for r in group)
        candidates = [r for r in group if day(r) == latest]
        keep = candidates[0]
        for row in group:
            if row is keep:
                continue
            if day(row) < latest:
                dropped.append(row[0])
                self.state.note(
                    "retest",
                    f"{row[2]} line {row[1]}: replaced by the later test on {latest} "
                    f"(line {keep[1]}) in the same window",
                )
            elif row[7:11] == keep[7:11]:
                dropped.append(row[0])
                self.state.note("repeat", f"{row[2]} line {row[1]} repeats line {keep[1]}; skipped")
            else:
                rejected.append(row[0])
                self.errors.add(
                    row[2],
                    row[1],
                    "",
                    f"another result for the same student, measure and day is on line {keep[1]} with other values",
                    entity=ENTITY,
                )

    # --- 3. write ------------------------------------------------------------------------------------

    def write(self, *, import_run_id: int | None) -> None:
        """Upsert the staged scores and refresh the review queue. Caller: transaction + tenant context."""
        if self.refused_whole:
            raise RuntimeError("an import whose file cannot be read cannot be written")
        table = Score._meta.db_table
        postgres = connection.vendor == "postgresql"
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        columns = [*DATA_COLUMNS, *RISK_COLUMNS]
        select = ", ".join(
            [
                *(f"st.{c}" for c in DATA_COLUMNS),
                *("r.risk_values::jsonb" if c == "risk_values" and postgres else f"r.{c}" for c in RISK_COLUMNS),
            ]
        )
        distinct = _distinct()
        changed = " OR ".join(f"{table}.{c} {distinct} excluded.{c}" for c in VALUE_COLUMNS)
        assign = ", ".join(
            f"{c} = excluded.{c}"
            for c in [*columns, "import_run_id", "updated_at"]
            if c not in ("student_id", "measure_id", "window_id")
        )
        with hash_joins(), connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table} (district_id, {", ".join(columns)}, import_run_id, created_at, updated_at)
                SELECT %s, {select}, %s, %s, %s FROM {STAGE} st JOIN {RESULTS} r ON r.id = st.result_id
                WHERE st.status = {OK}
                ON CONFLICT (district_id, student_id, measure_id, window_id) DO UPDATE SET {assign}
                WHERE {table}.test_date <= excluded.test_date AND ({changed})""",
                [self.district.pk, import_run_id, now, now],
            )
        drop_stage(RESULTS)
        drop_stage()
        from screening.services import review_queue_refresh

        created, withdrawn = review_queue_refresh(district=self.district, window_ids=self.window_ids)
        self.review_items_created, self.review_items_withdrawn = created, withdrawn
        self.written = True


def _refuse_workbooks(source) -> None:
    """An Excel workbook is a zip too; say what it is instead of failing on its XML parts."""
    names = {name.lower() for name in source.names()}
    if source.kind == "zip" and ("[content_types].xml" in names or "workbook.xml" in names):
        raise ImportFileError(
            source.label,
            "this is an Excel workbook (.xlsx), not a CSV file. Save or export it as CSV (UTF-8 or Windows-1252).",
        )
    if source.kind == "zip" and any(n.startswith("xl/") for n in names):
        raise ImportFileError(
            source.label,
            "this is an Excel workbook (.xlsx), not a CSV file. Save or export it as CSV (UTF-8 or Windows-1252).",
        )


def _chunks(cursor, size: int = 2000) -> Iterator[tuple]:
    while rows := cursor.fetchmany(size):
        yield from rows

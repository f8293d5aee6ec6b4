"""Importers of daily attendance, behaviour incidents and course grades (issue 17, item 1).

They follow the score importers' rules (README, "Attendance, incidents and grades"):

* **validate everything first**: the whole file is read and every row checked (student,
  date, code, type, mark) before anything is written; the valid rows stream into a
  temporary staging table (COPY on PostgreSQL), so memory does not grow with the file;
* **all or nothing**: one rejected row and nothing is written (status "refused"), every
  problem listed with its file, line, column and reason;
* **dry run**: reads, validates and counts what would be created, updated and left alone;
* **idempotent**: a second import of the same file changes nothing (upsert on the natural
  key: student and date; the incident id; student, year, term and course);
* **big changes need confirmation**: an attendance import that would change more than the
  policy's `early_warning.confirm_change_percent` of a school's recorded days is refused
  unless `confirm=True`, naming the school and the numbers;
* each is a service that takes ids and a path, so a background job can run it; the
  indicators are recomputed after every import that wrote (students.early_warning.tasks).

Attendance on a day without school (weekend, holiday, break) is a warning, not an error:
it is stored, and the chronic-absence count leaves it out (only instructional days count).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from mtss.calendars.selectors import non_instructional_by_school
from mtss.jobs import enqueue_on_commit
from mtss.models import District, School, SchoolYear, User
from mtss.policy.schema import EarlyWarning
from mtss.rules.early_warning import MarkError, grade_points
from mtss.selectors import policy_document
from mtss.services import audit
from mtss.tenancy import tenant_context
from students.early_warning import gradebook, tasks
from students.early_warning.models import AttendanceStatus, IncidentAction, IncidentType
from students.early_warning.staging import Stage, execute, fetchall
from students.importers.csvio import Column, ImportFileError, Row, RowError, open_csv, open_source, parse_date
from students.models import ImportRun, Student

WARNING_EXAMPLES = 5

# --- attendance codes and the SIS export shapes ---------------------------------------------------

#: Codes a file may use for each status (compared without regard to case). A district adds its
#: own with `codes=` (the command's --code A=absent_unexcused).
ATTENDANCE_CODES: dict[str, str] = {
    "p": AttendanceStatus.PRESENT,
    "present": AttendanceStatus.PRESENT,
    "a": AttendanceStatus.ABSENT_UNEXCUSED,
    "u": AttendanceStatus.ABSENT_UNEXCUSED,
    "au": AttendanceStatus.ABSENT_UNEXCUSED,
    "unexcused": AttendanceStatus.ABSENT_UNEXCUSED,
    "absent_unexcused": AttendanceStatus.ABSENT_UNEXCUSED,
    "absent": AttendanceStatus.ABSENT_UNEXCUSED,
    "e": AttendanceStatus.ABSENT_EXCUSED,
    "ae": AttendanceStatus.ABSENT_EXCUSED,
    "excused": AttendanceStatus.ABSENT_EXCUSED,
    "absent_excused": AttendanceStatus.ABSENT_EXCUSED,
    "t": AttendanceStatus.TARDY,
    "tardy": AttendanceStatus.TARDY,
    "h": AttendanceStatus.PARTIAL,
    "half": AttendanceStatus.PARTIAL,
    "partial": AttendanceStatus.PARTIAL,
}
# A partial day without a share in the file: half a day (the usual "half-day absence").
DEFAULT_PARTIAL_SHARE = Decimal("0.50")
ABSENT = {AttendanceStatus.ABSENT_EXCUSED, AttendanceStatus.ABSENT_UNEXCUSED}

#: Column names of the export shapes the README documents; a district's own file uses
#: `mapping=` (our column -> their header) on top of the generic names.
ATTENDANCE_SHAPES: dict[str, dict[str, tuple[str, ...]]] = {
    "generic": {},
    # PowerSchool-style daily attendance export (Student_Number, Att_Date, Att_Code, SchoolID).
    "powerschool": {
        "student_id": ("Student_Number",),
        "date": ("Att_Date",),
        "status": ("Att_Code",),
        "school": ("SchoolID",),
    },
    # Infinite Campus-style attendance extract (studentNumber, date, status A/T/P, excuse E/U).
    "infinite-campus": {
        "student_id": ("studentNumber",),
        "date": ("date",),
        "status": ("status",),
        "excuse": ("excuse",),
        "school": ("schoolNumber",),
        "absent_share": ("percentAbsent",),
    },
}


def _attendance_columns(shape: str, mapping: dict[str, str] | None) -> list[Column]:
    extra = ATTENDANCE_SHAPES[shape]
    mapped = mapping or {}

    def column(name: str, required: bool, *aliases: str) -> Column:
        spelled = (*aliases, *extra.get(name, ()), *([mapped[name]] if name in mapped else []))
        return Column(name, required, tuple(dict.fromkeys(spelled)))

    return [
        column("student_id", True, "local_id", "student_number", "student id", "studentnumber"),
        column("date", True, "attendance_date", "att_date", "day"),
        column("status", True, "code", "attendance_code", "att_code"),
        column("excuse", False, "excused"),
        column("absent_share", False, "portion_absent", "percent_absent", "share_absent"),
        column("school", False, "school_code", "school_id"),
    ]


# --- shared ---------------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    """What an import found: its counts, rejected rows, warnings and, for a big change, what to confirm."""

    file_name: str
    format: str
    errors: list[RowError] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    confirm: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def reject(self, row: Row) -> None:
        for column, reason in row.problems:
            self.errors.append(RowError(row.file, row.line, column, reason))


@dataclass
class _Students:
    """The district's students by local id (upper case): sized by the district, not the file."""

    by_local_id: dict[str, tuple[int, int]]

    @classmethod
    def load(cls, district: District) -> _Students:
        rows = Student.objects.filter(district=district).values_list("local_id", "pk", "school_id")
        return cls({local_id.upper(): (pk, school_id) for local_id, pk, school_id in rows})

    def get(self, row: Row, column: str = "student_id") -> tuple[int, int] | None:
        local_id = row.text(column, required=True)
        if not local_id:
            return None
        found = self.by_local_id.get(local_id.upper())
        if found is None:
            row.reject(column, f"no student of the district has the local id {local_id!r}")
        return found


def _schools(district: District) -> dict[str, int]:
    return {code.upper(): pk for code, pk in School.objects.filter(district=district).values_list("code", "pk")}


def _school_of(row: Row, schools: dict[str, int], default: int) -> int | None:
    code = row.raw("school")
    if not code:
        return default
    found = schools.get(code.upper())
    if found is None:
        row.reject("school", f"no school of the district has the code {code!r}")
    return found


def _policy(district: District) -> EarlyWarning:
    _version, policy = policy_document(district=district, as_of=timezone.localdate())
    return policy.early_warning if policy is not None else EarlyWarning()


class _DateCache(dict):
    """Attendance files repeat the same ~180 dates millions of times: parse each once."""

    def __init__(self, parse: Callable[[str], dt.date]):
        super().__init__()
        self.parse = parse

    def __missing__(self, text: str) -> dt.date | ValueError:
        try:
            value = self.parse(text)
        except ValueError as error:
            value = error
        self[text] = value
        return value


def _duplicates(stage: str, key: str, outcome: ImportOutcome, file_name: str, what: str) -> None:
    """Rows of the file that say different things about the same record are refused (line named)."""
    rows = fetchall(
        f"SELECT {key}, min(line), max(line), count(DISTINCT payload) FROM {stage} "
        f"GROUP BY {key} HAVING count(*) > 1 ORDER BY min(line) LIMIT {ImportRun.ERROR_LIMIT}"
    )
    for *_key, first, last, variants in rows:
        if variants > 1:
            outcome.errors.append(
                RowError(file_name, last, "", f"{what} already given differently on line {first} of the file")
            )


def _record(
    *,
    district: District,
    actor: User | None,
    kind: str,
    outcome: ImportOutcome,
    status: str,
    dry_run: bool,
    started,
    run: ImportRun | None = None,
) -> ImportRun:
    errors = [e.as_dict() for e in outcome.errors[: ImportRun.ERROR_LIMIT]]
    fields = dict(
        kind=kind,
        format=outcome.format,
        file_name=outcome.file_name[:255],
        started_by=actor,
        started_at=started,
        finished_at=timezone.now(),
        status=status,
        dry_run=dry_run,
        counts=outcome.counts,
        errors=errors,
        error_count=len(outcome.errors),
        warnings=outcome.warnings,
        details={**outcome.details, **({"needs_confirmation": outcome.confirm} if outcome.confirm else {})},
    )
    if run is None:
        return ImportRun.objects.create(district=district, **fields)
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=list(fields))
    return run


def _run(
    *,
    district: District,
    actor: User | None,
    kind: str,
    path,
    dry_run: bool,
    read: Callable[[ImportOutcome], Stage],
    resolve: Callable[[ImportOutcome], None],
    write: Callable[[ImportOutcome], None],
    fmt: str,
    run: ImportRun | None = None,
) -> ImportRun:
    """The shape every import shares: read and validate all, resolve, then write or refuse.

    Everything, the staging tables included, runs in one transaction, so a failure while
    writing leaves nothing behind; the ImportRun is recorded in every case.
    """
    queued = run  # a background job's run (screening.jobs) is filled in; otherwise a new one is recorded
    started = queued.started_at if queued is not None else timezone.now()
    outcome = ImportOutcome(file_name=Path(path).name, format=fmt)
    with tenant_context(district):
        with transaction.atomic():
            sid = transaction.savepoint()
            try:
                stage = read(outcome)
            except ImportFileError as error:
                outcome.errors.extend(error.errors)
                stage = None
            if stage is not None and not outcome.errors:
                resolve(outcome)
            if outcome.errors:
                status = ImportRun.Status.REFUSED
            elif outcome.confirm:
                status = ImportRun.Status.REFUSED
            elif dry_run:
                status = ImportRun.Status.DRY_RUN
            else:
                status = ImportRun.Status.SUCCEEDED
            if status == ImportRun.Status.SUCCEEDED:
                write(outcome)
            if stage is not None:
                stage.drop()
            if status != ImportRun.Status.SUCCEEDED:
                transaction.savepoint_rollback(sid)
            else:
                transaction.savepoint_commit(sid)
            run = _record(
                district=district,
                actor=actor,
                kind=kind,
                outcome=outcome,
                status=status,
                dry_run=dry_run,
                started=started,
                run=queued,
            )
            if status == ImportRun.Status.SUCCEEDED:
                audit(
                    district=district,
                    actor=actor,
                    verb=f"{kind}.import",
                    obj=run,
                    changes={"counts": outcome.counts, "format": fmt},
                )
                enqueue_on_commit(tasks.indicators_refresh, district.pk)
    run.outcome = outcome
    return run


def _counts(sql: str, params=()) -> dict:
    created, updated, unchanged = fetchall(sql, params)[0]
    return {"created": int(created or 0), "updated": int(updated or 0), "unchanged": int(unchanged or 0)}


# --- attendance -------------------------------------------------------------------------------


ATTENDANCE_STAGE = "ew_attendance_stage"


def attendance_import(
    *,
    district: District,
    actor: User | None,
    path,
    shape: str = "generic",
    mapping: dict[str, str] | None = None,
    codes: dict[str, str] | None = None,
    dry_run: bool = False,
    confirm: bool = False,
    run: ImportRun | None = None,
) -> ImportRun:
    """Import a daily-attendance CSV: one row per student and day (see the module docstring)."""
    if shape not in ATTENDANCE_SHAPES:
        raise ValueError(f"unknown attendance shape {shape!r}; known: {', '.join(ATTENDANCE_SHAPES)}")
    code_map = {**ATTENDANCE_CODES, **{k.lower(): AttendanceStatus(v) for k, v in (codes or {}).items()}}
    policy = _policy(district)
    columns = _attendance_columns(shape, mapping)
    state: dict = {}

    def read(outcome: ImportOutcome) -> Stage:
        students = _Students.load(district)
        schools = _schools(district)
        years = list(SchoolYear.objects.filter(district=district).values_list("start_date", "end_date"))
        if not years:
            raise ImportFileError(outcome.file_name, "the district has no school year: add one on the calendar page")
        first, last = min(y[0] for y in years), max(y[1] for y in years)
        off = non_instructional_by_school(
            district=district, school_ids=[None, *schools.values()], start=first, end=last
        )
        dates = _DateCache(parse_date)
        stage = Stage(
            ATTENDANCE_STAGE,
            [
                ("line", "integer"),
                ("student_id", "bigint"),
                ("school_id", "bigint"),
                ("day", "date"),
                ("status", "varchar(20)"),
                ("absent_share", "numeric(3,2)"),
                ("payload", "varchar(60)"),
            ],
        )
        stage.__enter__()
        off_days: list[tuple[int, str]] = []
        off_count = 0
        with open_source(path) as source:
            name = source.names()[0]
            with open_csv(source.find(name)[1], name=name, columns=columns) as table:
                outcome.details = {"shape": shape, "encoding": table.encoding, "ignored_columns": table.ignored}
                has_excuse, has_share = table.columns >= {"excuse"}, "absent_share" in table.columns
                for row in table:
                    student = students.get(row)
                    raw_date = row.raw("date")
                    day = dates[raw_date] if raw_date else None
                    if day is None:
                        row.reject("date", "a value is required")
                    elif isinstance(day, ValueError):
                        row.reject("date", str(day))
                        day = None
                    elif not first <= day <= last:
                        row.reject("date", f"{day.isoformat()} is in none of the district's school years")
                        day = None
                    code = row.raw("status")
                    status = code_map.get(code.lower()) if code else None
                    if not code:
                        row.reject("status", "a value is required")
                    elif status is None:
                        row.reject(
                            "status",
                            f"unknown attendance code {code!r} (known: {', '.join(sorted(code_map))}; "
                            "add the district's own codes with a code mapping)",
                        )
                    if has_excuse and status in ABSENT:
                        excuse = row.raw("excuse").lower()
                        if excuse in {"e", "excused", "y", "yes"}:
                            status = AttendanceStatus.ABSENT_EXCUSED
                        elif excuse in {"u", "unexcused", "n", "no"}:
                            status = AttendanceStatus.ABSENT_UNEXCUSED
                    share = _absent_share(row, status, has_share)
                    school_id = _school_of(row, schools, student[1] if student else 0)
                    if row.problems:
                        outcome.reject(row)
                        if len(outcome.errors) > ImportRun.ERROR_LIMIT * 10:
                            break  # enough to show; the file is refused anyway
                        continue
                    if day.weekday() >= 5 or day in off.get(school_id, off[None]):
                        off_count += 1
                        if len(off_days) < WARNING_EXAMPLES:
                            off_days.append((row.line, day.isoformat()))
                    stage.add((row.line, student[0], school_id, day, status, share, f"{school_id}|{status}|{share}"))
        stage.done()
        if off_count:
            examples = ", ".join(f"line {line} ({day})" for line, day in off_days)
            outcome.warnings.append(
                {
                    "code": "non_instructional_day",
                    "count": off_count,
                    "text": f"{off_count} rows record attendance on a day without school (weekend, holiday or "
                    f"break), e.g. {examples}; they are stored but do not count towards chronic absence",
                }
            )
        state["rows"] = stage.count
        return stage

    def resolve(outcome: ImportOutcome) -> None:
        _duplicates(
            ATTENDANCE_STAGE, "student_id, day", outcome, outcome.file_name, "this student's attendance that day is"
        )
        if outcome.errors:
            return
        # Compare with what is stored: the natural key (district, student, date).
        outcome.counts = {
            "attendance_days": _counts(
                f"""SELECT
                  sum(CASE WHEN a.id IS NULL THEN 1 ELSE 0 END),
                  sum(CASE WHEN a.id IS NOT NULL AND (a.status <> s.status OR a.absent_share <> s.absent_share
                      OR a.school_id <> s.school_id) THEN 1 ELSE 0 END),
                  sum(CASE WHEN a.id IS NOT NULL AND a.status = s.status AND a.absent_share = s.absent_share
                      AND a.school_id = s.school_id THEN 1 ELSE 0 END)
                FROM (SELECT DISTINCT student_id, school_id, day, status, absent_share FROM {ATTENDANCE_STAGE}) s
                LEFT JOIN students_attendanceday a
                  ON a.district_id = %s AND a.student_id = s.student_id AND a.date = s.day""",
                [district.pk],
            )
        }
        if confirm:
            return
        # The big-change guard: per school, the stored days this file would change.
        limit = policy.confirm_change_percent
        rows = fetchall(
            f"""SELECT sc.code, sc.name, changed.n, (SELECT count(*) FROM students_attendanceday h
                    WHERE h.district_id = %s AND h.school_id = changed.school_id) AS history
                FROM (SELECT a.school_id, count(*) AS n
                      FROM (SELECT DISTINCT student_id, school_id, day, status, absent_share FROM {ATTENDANCE_STAGE}) s
                      JOIN students_attendanceday a
                        ON a.district_id = %s AND a.student_id = s.student_id AND a.date = s.day
                      WHERE a.status <> s.status OR a.absent_share <> s.absent_share OR a.school_id <> s.school_id
                      GROUP BY a.school_id) changed
                JOIN mtss_school sc ON sc.id = changed.school_id
                ORDER BY sc.name""",
            [district.pk, district.pk],
        )
        for code, name, changed, history in rows:
            if history and changed / history * 100 > limit:
                outcome.confirm.append(
                    f"{name} ({code}): this import changes {changed} of the {history} attendance days recorded "
                    f"({changed / history * 100:.1f} %, more than the policy's {limit:g} %); confirm to import"
                )

    def write(outcome: ImportOutcome) -> None:
        # One set-based upsert; a row that says what is stored is left alone (idempotent).
        execute(
            f"""INSERT INTO students_attendanceday (district_id, student_id, school_id, date, status, absent_share)
                SELECT DISTINCT %s, student_id, school_id, day, status, absent_share FROM {ATTENDANCE_STAGE} WHERE true
                ON CONFLICT (district_id, student_id, date) DO UPDATE SET
                  school_id = excluded.school_id, status = excluded.status, absent_share = excluded.absent_share
                WHERE students_attendanceday.status <> excluded.status
                   OR students_attendanceday.absent_share <> excluded.absent_share
                   OR students_attendanceday.school_id <> excluded.school_id""",
            [district.pk],
        )

    return _run(
        district=district,
        run=run,
        actor=actor,
        kind=ImportRun.Kind.ATTENDANCE,
        path=path,
        dry_run=dry_run,
        read=read,
        resolve=resolve,
        write=write,
        fmt=f"attendance-{shape}",
    )


def _absent_share(row: Row, status: str | None, has_share: bool) -> Decimal:
    if status in ABSENT:
        return Decimal("1.00")
    if status != AttendanceStatus.PARTIAL:
        return Decimal("0.00")
    text = row.raw("absent_share") if has_share else ""
    if not text:
        return DEFAULT_PARTIAL_SHARE
    try:
        value = Decimal(text.rstrip("%"))
    except InvalidOperation:
        row.reject("absent_share", f"{text!r} is not a number (a share 0-1, or a percentage such as 50%)")
        return DEFAULT_PARTIAL_SHARE
    if text.endswith("%") or value > 1:
        value = value / 100
    if not 0 < value <= 1:
        row.reject("absent_share", f"{text!r}: a partial day misses more than nothing and at most the whole day")
        return DEFAULT_PARTIAL_SHARE
    return value.quantize(Decimal("0.01"))


# --- behaviour incidents --------------------------------------------------------------------------

INCIDENT_STAGE = "ew_incident_stage"
INCIDENT_COLUMNS = [
    Column("incident_id", False, ("incident_number", "incidentid", "reference")),
    Column("student_id", True, ("local_id", "student_number", "studentnumber")),
    Column("date", True, ("incident_date", "occurred_on")),
    Column("type", True, ("incident_type", "behavior", "behaviour", "code")),
    Column("location", False, ("place",)),
    Column("action", True, ("action_taken", "resolution", "consequence")),
    Column("suspension_days", False, ("days_suspended", "duration_days")),
    Column("school", False, ("school_code", "school_id")),
]
ACTION_CODES: dict[str, str] = {
    "none": IncidentAction.NONE,
    "classroom": IncidentAction.NONE,
    "minor": IncidentAction.NONE,
    "office_referral": IncidentAction.OFFICE_REFERRAL,
    "referral": IncidentAction.OFFICE_REFERRAL,
    "odr": IncidentAction.OFFICE_REFERRAL,
    "office referral": IncidentAction.OFFICE_REFERRAL,
    "in_school_suspension": IncidentAction.IN_SCHOOL_SUSPENSION,
    "in-school suspension": IncidentAction.IN_SCHOOL_SUSPENSION,
    "iss": IncidentAction.IN_SCHOOL_SUSPENSION,
    "out_of_school_suspension": IncidentAction.OUT_OF_SCHOOL_SUSPENSION,
    "out-of-school suspension": IncidentAction.OUT_OF_SCHOOL_SUSPENSION,
    "oss": IncidentAction.OUT_OF_SCHOOL_SUSPENSION,
    "expulsion": IncidentAction.EXPULSION,
    "exp": IncidentAction.EXPULSION,
}


def incidents_import(
    *, district: District, actor: User | None, path, dry_run: bool = False, run: ImportRun | None = None
) -> ImportRun:
    """Import behaviour incidents: the type must be one of the district's (IncidentType)."""

    def read(outcome: ImportOutcome) -> Stage:
        students = _Students.load(district)
        schools = _schools(district)
        types = {}
        for pk, code, name in IncidentType.objects.filter(district=district).values_list("pk", "code", "name"):
            types[code.lower()] = pk
            types.setdefault(name.lower(), pk)
        known_types = ", ".join(sorted(IncidentType.objects.filter(district=district).values_list("code", flat=True)))
        stage = Stage(
            INCIDENT_STAGE,
            [
                ("line", "integer"),
                ("reference", "varchar(100)"),
                ("student_id", "bigint"),
                ("school_id", "bigint"),
                ("day", "date"),
                ("type_id", "bigint"),
                ("location", "varchar(100)"),
                ("action", "varchar(30)"),
                ("suspension_days", "numeric(4,1)"),
                ("payload", "varchar(400)"),
            ],
        )
        stage.__enter__()
        with open_source(path) as source:
            name = source.names()[0]
            with open_csv(source.find(name)[1], name=name, columns=INCIDENT_COLUMNS) as table:
                for row in table:
                    student = students.get(row)
                    day = row.date("date", required=True)
                    type_text = row.text("type", required=True)
                    type_id = types.get(type_text.lower()) if type_text else None
                    if type_text and type_id is None:
                        row.reject(
                            "type",
                            f"unknown incident type {type_text!r}; the district's types: {known_types or 'none yet'}",
                        )
                    action_text = row.text("action", required=True)
                    action = ACTION_CODES.get(action_text.lower()) if action_text else None
                    if action_text and action is None:
                        row.reject(
                            "action",
                            f"unknown action {action_text!r} (known: office referral, ISS, OSS, expulsion, none)",
                        )
                    days = Decimal("0")
                    if row.raw("suspension_days"):
                        try:
                            days = Decimal(row.raw("suspension_days"))
                            if not 0 <= days <= 365:
                                raise InvalidOperation
                        except InvalidOperation:
                            row.reject("suspension_days", "a number of days from 0 to 365")
                    location = row.text("location", max_length=100)
                    school_id = _school_of(row, schools, student[1] if student else 0)
                    if row.problems:
                        outcome.reject(row)
                        continue
                    reference = row.text("incident_id", max_length=100)
                    if not reference:
                        # No incident id in the file: the row's own facts identify it.
                        digest = "|".join([str(student[0]), day.isoformat(), str(type_id), location, action])
                        reference = "row:" + hashlib.sha1(digest.encode()).hexdigest()[:20]
                    payload = f"{student[0]}|{day}|{type_id}|{location}|{action}|{days}|{school_id}"
                    stage.add(
                        (row.line, reference, student[0], school_id, day, type_id, location, action, days, payload)
                    )
        stage.done()
        return stage

    def resolve(outcome: ImportOutcome) -> None:
        _duplicates(INCIDENT_STAGE, "reference", outcome, outcome.file_name, "this incident is")
        if outcome.errors:
            return
        outcome.counts = {
            "incidents": _counts(
                f"""SELECT
                  sum(CASE WHEN i.id IS NULL THEN 1 ELSE 0 END),
                  sum(CASE WHEN i.id IS NOT NULL AND NOT ({_SAME_INCIDENT}) THEN 1 ELSE 0 END),
                  sum(CASE WHEN i.id IS NOT NULL AND ({_SAME_INCIDENT}) THEN 1 ELSE 0 END)
                FROM (SELECT DISTINCT reference, student_id, school_id, day, type_id, location, action, suspension_days
                      FROM {INCIDENT_STAGE}) s
                LEFT JOIN students_behaviorincident i ON i.district_id = %s AND i.reference = s.reference""",
                [district.pk],
            )
        }

    def write(outcome: ImportOutcome) -> None:
        execute(
            f"""INSERT INTO students_behaviorincident (district_id, reference, student_id, school_id, occurred_on,
                    incident_type_id, location, action, suspension_days)
                SELECT DISTINCT %s, reference, student_id, school_id, day, type_id, location, action, suspension_days
                FROM {INCIDENT_STAGE} WHERE true
                ON CONFLICT (district_id, reference) DO UPDATE SET
                  student_id = excluded.student_id, school_id = excluded.school_id,
                  occurred_on = excluded.occurred_on, incident_type_id = excluded.incident_type_id,
                  location = excluded.location, action = excluded.action, suspension_days = excluded.suspension_days""",
            [district.pk],
        )

    return _run(
        district=district,
        run=run,
        actor=actor,
        kind=ImportRun.Kind.INCIDENTS,
        path=path,
        dry_run=dry_run,
        read=read,
        resolve=resolve,
        write=write,
        fmt="incidents-csv",
    )


_SAME_INCIDENT = (
    "i.student_id = s.student_id AND i.school_id = s.school_id AND i.occurred_on = s.day "
    "AND i.incident_type_id = s.type_id AND i.location = s.location AND i.action = s.action "
    "AND i.suspension_days = s.suspension_days"
)


def incident_types_set(*, district: District, actor: User | None, types: Iterable[tuple[str, str]]) -> int:
    """Add or rename the district's incident types (code, name); returns how many were new."""
    created = 0
    with tenant_context(district), transaction.atomic():
        for code, name in types:
            code, name = code.strip(), name.strip() or code.strip()
            if not code:
                raise ValueError("an incident type needs a code")
            _obj, new = IncidentType.objects.update_or_create(district=district, code=code, defaults={"name": name})
            created += new
        audit(district=district, actor=actor, verb="incident_types.set", obj=district, changes={"created": created})
    return created


# --- course grades --------------------------------------------------------------------------------

GRADE_STAGE = "ew_grade_stage"
GRADE_COLUMNS = [
    Column("student_id", True, ("local_id", "student_number", "studentnumber")),
    Column("school_year", False, ("year", "schoolyear")),
    Column("term", True, ("grading_period", "term_name", "marking_period")),
    Column("course_code", True, ("course", "course_number", "coursecode")),
    Column("course_name", False, ("course_title", "title")),
    Column("mark", True, ("grade", "final_grade", "score")),
    Column("credits_attempted", False, ("credits", "credit_attempted")),
    Column("credits_earned", False, ("credit_earned", "earned_credits")),
    Column("school", False, ("school_code", "school_id")),
]


GRADE_SHAPES = ("csv", "oneroster")


@contextmanager
def _grade_rows(source, *, district: District, shape: str, outcome: ImportOutcome) -> Iterator[Iterable[Row]]:
    """The rows of a course-grade CSV, or of a OneRoster package's gradebook (gradebook.py)."""
    if shape == "oneroster":
        skipped: dict[str, int] = {}
        yield gradebook.result_rows(source, district=district, skipped=skipped)
        outcome.details["skipped"] = skipped
        return
    name = source.names()[0]
    with open_csv(source.find(name)[1], name=name, columns=GRADE_COLUMNS) as table:
        yield table


def grades_import(
    *,
    district: District,
    actor: User | None,
    path,
    dry_run: bool = False,
    shape: str = "csv",
    run: ImportRun | None = None,
) -> ImportRun:
    """Import course grades per term; a mark outside the policy's grading scale is refused.

    `shape` "csv" reads the course-grade CSV; "oneroster" the term marks of a OneRoster 1.2
    package's gradebook (results.csv and the files it refers to; students/early_warning/gradebook.py).
    """
    if shape not in GRADE_SHAPES:
        raise ValueError(f"unknown course-grade shape {shape!r}")
    scale = _policy(district).grading

    def read(outcome: ImportOutcome) -> Stage:
        students = _Students.load(district)
        schools = _schools(district)
        years = {
            name.upper(): pk for name, pk in SchoolYear.objects.filter(district=district).values_list("name", "pk")
        }
        today = timezone.localdate()
        current = (
            SchoolYear.objects.filter(district=district, start_date__lte=today).order_by("-start_date").first()
            or SchoolYear.objects.filter(district=district).order_by("start_date").first()
        )
        stage = Stage(
            GRADE_STAGE,
            [
                ("line", "integer"),
                ("student_id", "bigint"),
                ("school_id", "bigint"),
                ("year_id", "bigint"),
                ("term", "varchar(40)"),
                ("course_code", "varchar(40)"),
                ("course_name", "varchar(200)"),
                ("mark", "varchar(10)"),
                ("points", "numeric(3,2)"),
                ("failed", "boolean"),
                ("attempted", "numeric(4,2)"),
                ("earned", "numeric(4,2)"),
                ("payload", "varchar(400)"),
            ],
        )
        stage.__enter__()
        with open_source(path) as source:
            with _grade_rows(source, district=district, shape=shape, outcome=outcome) as table:
                for row in table:
                    student = students.get(row)
                    year_text = row.raw("school_year")
                    year_id = years.get(year_text.upper()) if year_text else (current.pk if current else None)
                    if year_id is None:
                        row.reject(
                            "school_year",
                            f"no school year named {year_text!r}" if year_text else "the district has no school year",
                        )
                    term = row.text("term", required=True, max_length=40)
                    course = row.text("course_code", required=True, max_length=40)
                    course_name = row.text("course_name", max_length=200)
                    mark = row.text("mark", required=True, max_length=10)
                    points, failed = Decimal("0"), False
                    if mark:
                        try:
                            points, failed, _letter = grade_points(
                                mark, letters=scale.letters, failing=scale.failing, percent_cuts=scale.percent_cuts
                            )
                        except MarkError as error:
                            row.reject("mark", f"outside the district's grading scale: {error}")
                    credits = []
                    for column in ("credits_attempted", "credits_earned"):
                        text = row.raw(column)
                        value = Decimal("0")
                        if text:
                            try:
                                value = Decimal(text)
                                if not 0 <= value <= 20:
                                    raise InvalidOperation
                            except InvalidOperation:
                                row.reject(column, f"{text!r}: credits are a number from 0 to 20")
                        credits.append(value)
                    school_id = _school_of(row, schools, student[1] if student else 0)
                    if row.problems:
                        outcome.reject(row)
                        continue
                    stage.add(
                        (
                            row.line,
                            student[0],
                            school_id,
                            year_id,
                            term,
                            course,
                            course_name,
                            mark,
                            points,
                            failed,
                            credits[0],
                            credits[1],
                            f"{mark}|{course_name}|{credits[0]}|{credits[1]}|{school_id}",
                        )
                    )
        stage.done()
        return stage

    def resolve(outcome: ImportOutcome) -> None:
        _duplicates(
            GRADE_STAGE, "student_id, year_id, term, course_code", outcome, outcome.file_name, "this course mark is"
        )
        if outcome.errors:
            return
        same = (
            "g.mark = s.mark AND g.course_name = s.course_name AND g.credits_attempted = s.attempted "
            "AND g.credits_earned = s.earned AND g.school_id = s.school_id"
        )
        outcome.counts = {
            "course_grades": _counts(
                f"""SELECT sum(CASE WHEN g.id IS NULL THEN 1 ELSE 0 END),
                  sum(CASE WHEN g.id IS NOT NULL AND NOT ({same}) THEN 1 ELSE 0 END),
                  sum(CASE WHEN g.id IS NOT NULL AND ({same}) THEN 1 ELSE 0 END)
                FROM (SELECT DISTINCT student_id, school_id, year_id, term, course_code, course_name, mark,
                      attempted, earned FROM {GRADE_STAGE}) s
                LEFT JOIN students_coursegrade g ON g.district_id = %s AND g.student_id = s.student_id
                  AND g.school_year_id = s.year_id AND g.term = s.term AND g.course_code = s.course_code""",
                [district.pk],
            )
        }

    def write(outcome: ImportOutcome) -> None:
        execute(
            f"""INSERT INTO students_coursegrade (district_id, student_id, school_id, school_year_id, term, course_code,
                    course_name, mark, grade_points, failed, credits_attempted, credits_earned)
                SELECT DISTINCT %s, student_id, school_id, year_id, term, course_code, course_name, mark, points,
                    failed, attempted, earned
                FROM {GRADE_STAGE} WHERE true
                ON CONFLICT (district_id, student_id, school_year_id, term, course_code) DO UPDATE SET
                  school_id = excluded.school_id, course_name = excluded.course_name, mark = excluded.mark,
                  grade_points = excluded.grade_points, failed = excluded.failed,
                  credits_attempted = excluded.credits_attempted, credits_earned = excluded.credits_earned""",
            [district.pk],
        )

    return _run(
        district=district,
        run=run,
        actor=actor,
        kind=ImportRun.Kind.GRADES,
        path=path,
        dry_run=dry_run,
        read=read,
        resolve=resolve,
        write=write,
        fmt="grades-oneroster" if shape == "oneroster" else "grades-csv",
    )


IMPORTERS = {"attendance": attendance_import, "incidents": incidents_import, "grades": grades_import}

"""Writes of screening: the catalog, windows, column mappings, norm tables, score
imports (files, API), risk recomputation and the review queue.

Each function takes the district first, validates before writing, runs in one
transaction and records an AuditEvent (counts and field names only, never
student values). Imports are also recorded as students.models.ImportRun rows,
including dry runs and refused ones.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mtss.models import District, SchoolYear, User
from mtss.services import audit
from mtss.tenancy import tenant_context
from screening import risk
from screening.catalog import STANDARD_CATALOG
from screening.importers.base import ReadState, ScoreRecord, parse_grade, parse_number, parse_season
from screening.importers.generic import check_mapping
from screening.importers.pipeline import RESULTS, DistrictContext, ScoreImport, Stager, drop_stage, hash_joins
from screening.models import (
    Assessment,
    ColumnMapping,
    ImportRowError,
    Measure,
    NormPoint,
    NormTable,
    ReviewItem,
    Score,
    ScreeningWindow,
    Season,
)
from students.importers import progress
from students.importers.csvio import Column, ErrorLog, ImportErrors, ImportFileError, RowError, open_csv, open_source
from students.importers.limits import check_limits
from students.models import ImportRun, Student
from students.services import import_run_save, roster_import

NORMS_FORMAT = "norms-csv"
NORMS_KIND = "norms"  # ImportRun.kind for norm tables (README: ask for ImportRun.Kind.NORMS)
UPLOAD_TTL = dt.timedelta(days=1)


# --- catalog ------------------------------------------------------------------------------------


@transaction.atomic
def catalog_ensure(*, district: District) -> int:
    """Add the standard catalog's assessments and measures the district lacks; returns how many measures.

    Idempotent, set-based: existing keys are left as the district edited them.
    """
    have_assessments = {a.key: a for a in Assessment.objects.filter(district=district)}
    new = [
        Assessment(
            district=district, key=spec.key, name=spec.name, vendor=spec.vendor, format=spec.format, kind=spec.kind
        )
        for spec in STANDARD_CATALOG
        if spec.key not in have_assessments
    ]
    Assessment.objects.bulk_create(new)
    assessments = {a.key: a for a in Assessment.objects.filter(district=district)}
    have_measures = set(Measure.objects.filter(district=district).values_list("key", flat=True))
    measures = [
        Measure(
            district=district,
            assessment=assessments[spec.key],
            key=m.key,
            name=m.name,
            subject=m.subject,
            score_type=m.score_type,
            grades=list(m.grades),
            import_names=list(m.import_names),
            policy_keys=list(m.policy_keys),
            min_score=m.min_score,
            max_score=m.max_score,
        )
        for spec in STANDARD_CATALOG
        for m in spec.measures
        if m.key not in have_measures
    ]
    Measure.objects.bulk_create(measures)
    if new or measures:
        audit(
            district=district,
            actor=None,
            verb="catalog.ensure",
            obj=None,
            changes={"assessments": len(new), "measures": len(measures)},
        )
    return len(measures)


@transaction.atomic
def measure_update(
    *,
    district: District,
    actor: User | None,
    measure: Measure,
    policy_keys: list[str] | None = None,
    import_names: list[str] | None = None,
) -> Measure:
    """Link a catalog measure to the policy's screening measures, or teach it the vendor's names.

    Import names are checked as the importers compare them (csvio.header_key: case, spaces and
    punctuation do not count): a name given twice is kept once, and a name another measure of
    the same vendor format already claims is refused, since a vendor row could then belong to
    either (screening/importers/pipeline.py, `_measure_names`).
    """
    if measure.district_id != district.pk:
        raise ValidationError(_("Unknown measure."))
    changed = []
    before = {"import_names": list(measure.import_names or []), "policy_keys": list(measure.policy_keys or [])}
    for name, value in (("policy_keys", policy_keys), ("import_names", import_names)):
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValidationError({name: _("Give a list of non-empty names.")})
        cleaned = [v.strip() for v in value]
        if name == "import_names":
            cleaned = _check_import_names(district, measure, cleaned)
        setattr(measure, name, cleaned)
        changed.append(name)
    measure.save(update_fields=changed or None)
    changes = {"fields": changed}
    if "import_names" in changed and before["import_names"] != measure.import_names:
        # Vendor test names, not student data: the audit keeps what was there and what is now.
        changes["import_names"] = {"before": before["import_names"], "after": measure.import_names}
    audit(district=district, actor=actor, verb="measure.update", obj=measure, changes=changes)
    if "policy_keys" in changed:
        risk_recompute(district=district, measure_ids=[measure.pk])
    return measure


IMPORT_NAME_MAX = 120
IMPORT_NAMES_MAX = 40


def _check_import_names(district: District, measure: Measure, names: list[str]) -> list[str]:
    """The names without repeats; ValidationError naming any name too long or claimed elsewhere."""
    from students.importers.csvio import header_key

    if len(names) > IMPORT_NAMES_MAX:
        raise ValidationError({"import_names": _("At most %(n)d names.") % {"n": IMPORT_NAMES_MAX}})
    kept, seen, problems = [], set(), []
    for name in names:
        key = header_key(name)
        if len(name) > IMPORT_NAME_MAX:
            problems.append(_("%(name)s: longer than %(n)d characters.") % {"name": name[:40], "n": IMPORT_NAME_MAX})
        elif not key:
            problems.append(_("%(name)s: a name needs letters or digits.") % {"name": name})
        elif key not in seen:
            seen.add(key)
            kept.append(name)
    others = Measure.objects.filter(district=district, assessment__format=measure.assessment.format).exclude(
        pk=measure.pk
    )
    for other in others.order_by("name"):
        for claimed in other.import_names or []:
            if header_key(claimed) in seen:
                problems.append(
                    _("%(name)s: %(other)s already reads this name; remove it there first.")
                    % {"name": next(n for n in kept if header_key(n) == header_key(claimed)), "other": other.name}
                )
    if problems:
        raise ValidationError({"import_names": problems})
    return kept


# --- windows ------------------------------------------------------------------------------------

# Default dates: the seasonal norm windows FastBridge publishes (RULES.md 1.8: "Fall Aug 1-Oct 31;
# Winter Jan 1-Feb 15; Spring Apr 15-May 31"), clipped to the district's school year.
DEFAULT_WINDOWS = {Season.FALL: ((8, 1), (10, 31)), Season.WINTER: ((1, 1), (2, 15)), Season.SPRING: ((4, 15), (5, 31))}


def _check_window(district: District, window: ScreeningWindow) -> None:
    errors = {}
    year = window.school_year
    if year.district_id != district.pk:
        raise ValidationError({"school_year": _("Select a valid school year.")})
    if window.season not in Season.values:
        errors["season"] = _("Choose fall, winter or spring.")
    if window.start_date and window.end_date and window.start_date > window.end_date:
        errors["end_date"] = _("The last day is before the first day.")
    for name in ("start_date", "end_date"):
        day = getattr(window, name)
        if day and not (year.start_date <= day <= year.end_date):
            errors[name] = _("%(d)s is outside the school year %(y)s (%(s)s to %(e)s).") % {
                "d": day,
                "y": year.name,
                "s": year.start_date,
                "e": year.end_date,
            }
    if errors:
        raise ValidationError(errors)
    if (
        ScreeningWindow.objects.filter(district=district, school_year=year, season=window.season)
        .exclude(pk=window.pk)
        .exists()
    ):
        raise ValidationError(
            {
                "season": _("%(y)s already has a %(s)s window.")
                % {"y": year.name, "s": window.get_season_display().lower()}
            }
        )
    overlap = (
        ScreeningWindow.objects.filter(
            district=district, start_date__lte=window.end_date, end_date__gte=window.start_date
        )
        .exclude(pk=window.pk)
        .first()
    )
    if overlap is not None:
        raise ValidationError(
            {
                "start_date": _("These dates overlap the %(w)s window (%(s)s to %(e)s).")
                % {"w": overlap, "s": overlap.start_date, "e": overlap.end_date}
            }
        )


@transaction.atomic
def window_save(
    *,
    district: District,
    actor: User | None,
    school_year: SchoolYear,
    season: str,
    start_date: dt.date,
    end_date: dt.date,
    window: ScreeningWindow | None = None,
) -> ScreeningWindow:
    window = window or ScreeningWindow(district=district)
    if window.district_id != district.pk:
        raise ValidationError(_("Unknown window."))
    if window.pk and window.season != season and Score.objects.filter(district=district, window=window).exists():
        raise ValidationError({"season": _("This window has scores; its season cannot change.")})
    window.school_year, window.season, window.start_date, window.end_date = school_year, season, start_date, end_date
    _check_window(district, window)
    created = window.pk is None
    try:
        with transaction.atomic():
            window.save()
    except IntegrityError:
        raise ValidationError(
            {"season": _("%(y)s already has a %(s)s window.") % {"y": school_year.name, "s": season}}
        ) from None
    audit(
        district=district,
        actor=actor,
        verb="window.create" if created else "window.update",
        obj=window,
        changes={"season": season, "start": str(start_date), "end": str(end_date)},
    )
    return window


@transaction.atomic
def windows_default(*, district: District, actor: User | None, school_year: SchoolYear) -> list[ScreeningWindow]:
    """Fall, winter and spring windows with the default dates, for the seasons the year lacks."""
    made = []
    have = set(
        ScreeningWindow.objects.filter(district=district, school_year=school_year).values_list("season", flat=True)
    )
    for season, ((m1, d1), (m2, d2)) in DEFAULT_WINDOWS.items():
        if season in have:
            continue
        year = school_year.start_date.year if m1 >= 7 else school_year.end_date.year
        start = max(dt.date(year, m1, d1), school_year.start_date)
        end = min(dt.date(year, m2, d2), school_year.end_date)
        if start > end:
            continue
        made.append(
            window_save(
                district=district, actor=actor, school_year=school_year, season=season, start_date=start, end_date=end
            )
        )
    return made


# --- column mappings ---------------------------------------------------------------------------------


@transaction.atomic
def mapping_save(
    *,
    district: District,
    actor: User | None,
    name: str,
    columns: dict,
    measure: Measure | None = None,
    mapping: ColumnMapping | None = None,
) -> ColumnMapping:
    mapping = mapping or ColumnMapping(district=district, created_by=actor)
    if mapping.district_id != district.pk or (measure is not None and measure.district_id != district.pk):
        raise ValidationError(_("Unknown mapping or measure."))
    name = (name or "").strip()
    errors = {
        f"columns.{k}" if k not in ("measure",) else "measure": v
        for k, v in check_mapping(columns, has_fixed_measure=measure is not None).items()
    }
    if not name:
        errors["name"] = _("Give the mapping a name.")
    elif ColumnMapping.objects.filter(district=district, name__iexact=name).exclude(pk=mapping.pk).exists():
        errors["name"] = _("The district already has a mapping named %(n)s.") % {"n": name}
    if errors:
        raise ValidationError(errors)
    mapping.name = name
    mapping.columns = {k: str(v).strip() for k, v in columns.items() if str(v or "").strip()}
    mapping.measure = measure
    created = mapping.pk is None
    mapping.save()
    audit(
        district=district,
        actor=actor,
        verb="column_mapping.create" if created else "column_mapping.update",
        obj=mapping,
        changes={"fields": sorted(mapping.columns)},
    )
    return mapping


# --- import runs --------------------------------------------------------------------------------------


def import_errors_store(*, district: District, run: ImportRun, errors: Iterable[RowError | dict]) -> int:
    """Keep every rejected row of a run for the CSV download (the run itself keeps the first 1,000)."""
    batch, count = [], 0
    for position, error in enumerate(errors):
        data = error.as_dict() if isinstance(error, RowError) else error
        batch.append(
            ImportRowError(
                district=district,
                run=run,
                position=position,
                file=str(data["file"])[:255],
                line=data.get("line"),
                column=str(data.get("column") or "")[:200],
                reason=str(data.get("reason") or ""),
            )
        )
        if len(batch) >= 5000:
            ImportRowError.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    ImportRowError.objects.bulk_create(batch)
    return count + len(batch)


def _status(plan, *, dry_run: bool, accept_valid_rows: bool) -> str:
    # As students.services.roster_import: rejected rows refuse the import unless accepted.
    if plan.refused_whole or (plan.error_count and not accept_valid_rows):
        return ImportRun.Status.REFUSED
    if dry_run:
        return ImportRun.Status.DRY_RUN
    return ImportRun.Status.PARTIAL if plan.error_count else ImportRun.Status.SUCCEEDED


def scores_import(
    *,
    district: District,
    actor: User | None,
    path=None,
    format: str,
    dry_run: bool = False,
    accept_valid_rows: bool = False,
    mapping: ColumnMapping | None = None,
    measure: str = "",
    file_name: str | None = None,
    records: Iterable[ScoreRecord] | None = None,
    run: ImportRun | None = None,
) -> ImportRun:
    """Import a score file (or API records) into the district; returns the ImportRun with `.plan`.

    Every row is validated before anything is written; rejected rows refuse the
    whole import (status "refused") unless `accept_valid_rows` ("partial"). A dry
    run writes only its ImportRun. See screening/importers/pipeline.py.
    """
    queued = run  # a job's run (screening.jobs) is filled in; otherwise a new run is recorded
    started = queued.started_at if queued is not None else timezone.now()
    plan = ScoreImport(
        district, format=format, path=path, records=records, mapping=mapping, measure=measure, file_name=file_name or ""
    )

    def record(status: str, errors: list[dict], error_count: int) -> ImportRun:
        fields = {
            "kind": ImportRun.Kind.SCORES,
            "format": format,
            "file_name": plan.file_name[:255],
            "started_by": actor,
            "started_at": started,
            "finished_at": timezone.now(),
            "status": status,
            "dry_run": dry_run,
            "counts": plan.counts(),
            "errors": errors[: ImportRun.ERROR_LIMIT],
            "error_count": error_count,
            "warnings": plan.warnings,
            "details": {**(queued.details if queued is not None else {}), **plan.details()},
        }
        return import_run_save(district=district, run=queued, fields=fields)

    if path is not None:
        try:
            progress.phase("reading", total=check_limits(path))  # caps before a row is parsed
        except ImportFileError as error:
            plan.file_errors.extend(error.errors)
    with tenant_context(district):
        catalog_ensure(district=district)
        run = None
        try:
            with transaction.atomic():
                if not plan.file_errors:
                    plan.read()
                    progress.phase("validating")
                    plan.resolve()
                job = progress.tracker()
                if job is not None:
                    job.phase("validated", validated=max(job.state["read"] - plan.error_count, 0))
                status = _status(plan, dry_run=dry_run, accept_valid_rows=accept_valid_rows)
                if status in (ImportRun.Status.SUCCEEDED, ImportRun.Status.PARTIAL):
                    progress.phase("writing")
                    run = record(status, [], 0)
                    plan.write(import_run_id=run.pk)
                    errors = [e.as_dict() for e in plan.all_errors[: ImportRun.ERROR_LIMIT]]
                    run.counts, run.details, run.warnings = plan.counts(), plan.details(), plan.warnings
                    run.errors, run.error_count, run.finished_at = errors, plan.error_count, timezone.now()
                    run.save(update_fields=["counts", "details", "warnings", "errors", "error_count", "finished_at"])
                    audit(
                        district=district,
                        actor=actor,
                        verb="scores.import",
                        obj=run,
                        changes={
                            "status": status,
                            "format": format,
                            "counts": run.counts,
                            "rejected_rows": plan.error_count,
                        },
                    )
                else:
                    drop_stage()
                    drop_stage(RESULTS)
            if run is None:
                errors = [e.as_dict() for e in plan.all_errors[: ImportRun.ERROR_LIMIT]]
                run = record(status, errors, plan.error_count)
        except Exception as error:
            failure = {
                "file": plan.file_name,
                "line": None,
                "column": "",
                "reason": f"writing failed ({type(error).__name__}); nothing was written",
            }
            plan.written = False
            failed = record(ImportRun.Status.REFUSED, [failure], plan.error_count + 1)
            import_errors_store(district=district, run=failed, errors=[failure, *plan.all_errors])
            raise
        import_errors_store(district=district, run=run, errors=plan.all_errors)
    run.plan = plan
    return run


def roster_import_run(
    *,
    district: District,
    actor: User | None,
    path,
    dry_run: bool = False,
    accept_valid_rows: bool = False,
    confirm_exits: int | None = None,
    run: ImportRun | None = None,
) -> ImportRun:
    """students.services.roster_import, keeping every rejected row for the CSV download."""
    run = roster_import(
        district=district,
        actor=actor,
        path=path,
        dry_run=dry_run,
        accept_valid_rows=accept_valid_rows,
        confirm_exits=confirm_exits,
        run=run,
    )
    with tenant_context(district):
        import_errors_store(district=district, run=run, errors=run.plan.all_errors)
    return run


# --- uploads kept between a dry run and the real import ------------------------------------------------


def _upload_dir(district: District) -> Path:
    # Keyed by the district (STYLE.md, Saleor): a path without the tenant is a leak waiting to happen.
    return Path(settings.MEDIA_ROOT) / "imports" / str(district.pk)


def upload_store(*, district: District, chunks: Iterable[bytes], suffix: str) -> str:
    """Write an uploaded file to the district's private import folder; returns its token."""
    folder = _upload_dir(district)
    folder.mkdir(parents=True, exist_ok=True)
    uploads_purge(district=district)
    suffix = suffix.lower() if suffix.lower() in (".csv", ".txt", ".zip", ".tsv") else ".csv"
    token = secrets.token_hex(16) + suffix
    with open(folder / token, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    return token


def upload_path(*, district: District, token: str) -> Path | None:
    if not token or "/" in token or "\\" in token or token.startswith("."):
        return None
    path = _upload_dir(district) / token
    return path if path.is_file() else None


def upload_delete(*, district: District, token: str) -> None:
    path = upload_path(district=district, token=token)
    if path is not None:
        path.unlink(missing_ok=True)


def uploads_purge(*, district: District) -> None:
    """Uploads are kept a day at most (they hold student data)."""
    folder = _upload_dir(district)
    if not folder.is_dir():
        return
    limit = time.time() - UPLOAD_TTL.total_seconds()
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


# --- API: scores in a request body ---------------------------------------------------------------------

API_FIELDS = (
    "student",
    "student_local_id",
    "measure",
    "date",
    "score",
    "percentile",
    "level",
    "category",
    "grade",
    "standard_error",
    "external_id",
)


def api_records(items: list[dict]) -> Iterable[ScoreRecord]:
    """API items -> records, checked like file rows; `line` is the item's index (0-based)."""
    for index, item in enumerate(items):
        problems = []
        if not isinstance(item, dict):
            yield ScoreRecord("request", index, problems=[("non_field_errors", "each score must be an object")])
            continue
        for name in sorted(set(item) - set(API_FIELDS)):
            problems.append((name, "unknown field"))
        student_pk, key = item.get("student"), str(item.get("student_local_id") or "").strip()
        if student_pk is not None and (not isinstance(student_pk, int) or isinstance(student_pk, bool)):
            problems.append(("student", "must be a student id (an integer)"))
            student_pk = None
        if student_pk is None and not key:
            problems.append(("student", "give the student's id or student_local_id"))
        day = None
        try:
            day = dt.date.fromisoformat(str(item.get("date") or ""))
        except ValueError:
            problems.append(("date", "must be a date (YYYY-MM-DD)"))
        values = {}
        for name in ("score", "percentile", "standard_error"):
            value = item.get(name)
            if value is None or value == "":
                values[name] = None
            elif isinstance(value, bool) or not isinstance(value, (int, float, str)):
                problems.append((name, "must be a number"))
            else:
                try:
                    values[name] = parse_number(str(value))
                except ValueError as error:
                    problems.append((name, str(error)))
        if values.get("percentile") is not None and not 0 <= values["percentile"] <= 100:
            problems.append(("percentile", "must be from 0 to 100"))
        level = item.get("level")
        if level is not None and (not isinstance(level, int) or isinstance(level, bool)):
            problems.append(("level", "must be a whole number"))
            level = None
        grade = None
        if item.get("grade") not in (None, ""):
            grade = parse_grade(str(item["grade"]))
            if grade is None:
                problems.append(("grade", "must be K, PK or 1-12"))
        category = str(item.get("category") or "")[:80]
        if all(values.get(n) is None for n in ("score", "percentile")) and level is None and not category:
            problems.append(("score", "give a score, percentile, level or category"))
        if not str(item.get("measure") or "").strip():
            problems.append(("measure", "give a catalog measure key such as map-reading"))
        yield ScoreRecord(
            "request",
            index,
            student_key=key,
            student_column="student_local_id" if key else "student",
            measure=str(item.get("measure") or ""),
            measure_column="measure",
            test_date=day,
            date_column="date",
            score=values.get("score"),
            score_column="score",
            percentile=values.get("percentile"),
            level=level,
            category=category,
            grade=grade,
            standard_error=values.get("standard_error"),
            external_id=str(item.get("external_id") or "")[:80],
            problems=problems,
            student_pk=student_pk if key == "" else None,
        )


def scores_create_bulk(*, district: District, actor: User | None, items: list[dict]) -> ImportRun:
    """Scores from the API, with the file import's validation: all or nothing, recorded as an ImportRun."""
    return scores_import(
        district=district, actor=actor, format="api", records=api_records(items), file_name="API request"
    )


# --- norm and cut tables ---------------------------------------------------------------------------------

NORM_COLUMNS = [
    Column("measure"),
    Column("grade", required=True),
    Column("season", required=True),
    Column("percentile"),
    Column("score", aliases=("below", "cut_score", "cut score")),
    Column("label"),
]


class NormsPlan(ImportErrors):
    def __init__(self, file_name: str):
        self.file_name = file_name
        self.errors = ErrorLog()
        self.file_errors: list[RowError] = []
        self.tables: dict[int, list[tuple]] = {}  # measure id -> [(grade, season, percentile, score, label)]
        self.state = ReadState()
        self.replaced = 0
        self.recomputed: dict = {}

    def counts(self) -> dict:
        created = sum(len(rows) for rows in self.tables.values())
        return {
            "norm_points": {
                "created": created,
                "updated": 0,
                "unchanged": 0,
                "deleted": self.replaced,
                "rejected": self.errors.rejected_rows(),
            }
        }


def _read_norms(district: District, path, *, measure: Measure | None, kind: str) -> NormsPlan:
    plan = NormsPlan(Path(path).name)
    measures = {m.key: m for m in Measure.objects.filter(district=district)}
    try:
        progress.phase("reading", total=check_limits(path))  # caps before a row is parsed
        with open_source(path) as source:
            if source.kind != "file":
                raise ImportFileError(source.label, "give one CSV file of norms")
            name, opener = source.find(source.names()[0])
            with open_csv(opener, name=name, columns=NORM_COLUMNS) as table:
                plan.state.table_opened(table)
                wanted = "percentile" if kind == NormTable.Kind.PERCENTILE else "label"
                if kind == NormTable.Kind.PERCENTILE and "percentile" not in table.columns:
                    raise ImportFileError(
                        name, "percentile norms need a percentile column", line=1, column="percentile"
                    )
                if "score" not in table.columns:
                    raise ImportFileError(
                        name,
                        f"the file needs a {'score' if wanted == 'percentile' else 'below'} column",
                        line=1,
                        column="score",
                    )
                if measure is None and "measure" not in table.columns:
                    raise ImportFileError(
                        name, "the file has no measure column: choose the measure", line=1, column="measure"
                    )
                seen: dict[tuple, int] = {}
                for row in table:
                    target = measure
                    if row.raw("measure"):
                        target = measures.get(row.raw("measure"))
                        if target is None:
                            row.reject("measure", f"unknown measure {row.raw('measure')!r}")
                    if target is None and not row.problems:
                        row.reject("measure", "a value is required")
                    grade = parse_grade(row.raw("grade"))
                    if grade is None:
                        row.reject("grade", f"{row.raw('grade')!r} is not a grade (K, 1-12)")
                    season = parse_season(row.raw("season"))
                    if season is None:
                        row.reject("season", f"{row.raw('season')!r} is not fall, winter or spring")
                    score = _norm_number(row, "score", required=True)
                    percentile = None
                    if kind == NormTable.Kind.PERCENTILE:
                        percentile = _norm_number(row, "percentile", required=True)
                        if percentile is not None and not 0 < percentile < 100:
                            row.reject("percentile", f"{percentile:g} is not between 0 and 100")
                    if row.problems:
                        plan.errors.add_row(row)
                        continue
                    key = (target.pk, grade, season, percentile if kind == "percentile" else score)
                    if key in seen:
                        plan.errors.add(
                            name,
                            row.line,
                            "percentile" if kind == "percentile" else "score",
                            f"repeats line {seen[key]}",
                        )
                        continue
                    seen[key] = row.line
                    plan.tables.setdefault(target.pk, []).append(
                        (grade, season, percentile, score, row.raw("label")[:80], row.line)
                    )
        if kind == NormTable.Kind.PERCENTILE:
            _check_monotonic(plan)
    except ImportFileError as error:
        plan.file_errors.extend(error.errors)
    return plan


def _norm_number(row, column: str, *, required: bool) -> float | None:
    text = row.raw(column)
    if not text:
        if required:
            row.reject(column, "a value is required")
        return None
    try:
        return parse_number(text)
    except ValueError as error:
        row.reject(column, str(error))
        return None


def _check_monotonic(plan: NormsPlan) -> None:
    """Within a grade and season, a higher percentile must not have a lower score."""
    for rows in plan.tables.values():
        by_key: dict[tuple, list] = {}
        for grade, season, percentile, score, _label, line in rows:
            by_key.setdefault((grade, season), []).append((percentile, score, line))
        for points in by_key.values():
            points.sort()
            for (p0, s0, l0), (p1, s1, l1) in zip(points, points[1:], strict=False):
                if s1 < s0:
                    plan.errors.add(
                        plan.file_name,
                        l1,
                        "score",
                        f"percentile {p1:g} has a lower score ({s1:g}) than percentile {p0:g} on line {l0} ({s0:g})",
                    )


def norms_import(
    *,
    district: District,
    actor: User | None,
    path,
    kind: str = NormTable.Kind.PERCENTILE,
    norm: str = NormTable.Norm.NATIONAL,
    measure: Measure | None = None,
    name: str = "",
    source: str = "",
    illustrative: bool = False,
    dry_run: bool = False,
    run: ImportRun | None = None,
) -> ImportRun:
    """Import a norm table (score per percentile) or cut-score table from CSV; replaces the measure's table.

    Columns: `measure` (a catalog key; optional when `measure` is given), `grade`,
    `season`, then `percentile` and `score` for norms, or `below` (or `score`) and
    `label` for cut scores. All or nothing; risk levels are recomputed after.
    """
    if kind not in NormTable.Kind.values:
        raise ValidationError({"kind": _("Choose percentile or cut_score.")})
    if norm not in NormTable.Norm.values:
        raise ValidationError({"norm": _("Choose national, state or local.")})
    started = timezone.now()
    with tenant_context(district):
        catalog_ensure(district=district)
        plan = _read_norms(district, path, measure=measure, kind=kind)
        status = _status(plan, dry_run=dry_run, accept_valid_rows=False)
        with transaction.atomic():
            if status == ImportRun.Status.SUCCEEDED:
                for measure_id, rows in sorted(plan.tables.items()):
                    target = Measure.objects.get(district=district, pk=measure_id)
                    table, _created = NormTable.objects.update_or_create(
                        district=district,
                        measure=target,
                        kind=kind,
                        norm=norm,
                        defaults={
                            "name": name or f"{target.name} {dict(NormTable.Kind.choices)[kind].lower()}",
                            "source": source,
                            "illustrative": illustrative,
                        },
                    )
                    plan.replaced += NormPoint.objects.filter(district=district, table=table).delete()[0]
                    NormPoint.objects.bulk_create(
                        [
                            NormPoint(
                                district=district, table=table, grade=g, season=s, percentile=p, score=v, label=lb
                            )
                            for g, s, p, v, lb, _line in rows
                        ]
                    )
            run = ImportRun.objects.update_or_create(
                district=district,
                pk=run.pk if run is not None else None,
                defaults=dict(
                    kind=NORMS_KIND,
                    format=NORMS_FORMAT,
                    file_name=plan.file_name[:255],
                    started_by=actor,
                    started_at=started,
                    finished_at=timezone.now(),
                    status=status,
                    dry_run=dry_run,
                    counts=plan.counts(),
                    errors=[e.as_dict() for e in plan.all_errors[: ImportRun.ERROR_LIMIT]],
                    error_count=plan.error_count,
                    warnings=[m for ms in plan.state.notes.values() for m in ms[:3]],
                    details={
                        "kind": kind,
                        "norm": norm,
                        "illustrative": illustrative,
                        "measures": sorted(Measure.objects.filter(pk__in=plan.tables).values_list("key", flat=True)),
                    },
                ),
            )[0]
            import_errors_store(district=district, run=run, errors=plan.all_errors)
            if status == ImportRun.Status.SUCCEEDED:
                audit(
                    district=district,
                    actor=actor,
                    verb="norms.import",
                    obj=run,
                    changes={"kind": kind, "norm": norm, "counts": run.counts},
                )
                plan.recomputed = risk_recompute(district=district, measure_ids=sorted(plan.tables))
    run.plan = plan
    return run


# --- risk recomputation ------------------------------------------------------------------------------------

RECOMPUTE_STAGE = "screening_recompute"
RECOMPUTE_COLUMNS = (
    "score_id",
    "area",
    "tier",
    "risk_label",
    "risk_rule",
    "risk_values",
    "risk_explanation",
    "policy_label",
)
RECOMPUTE_DDL = f"""CREATE TEMP TABLE {RECOMPUTE_STAGE} (
    score_id bigint, area varchar(40), tier smallint, risk_label varchar(120), risk_rule varchar(200),
    risk_values text, risk_explanation text, policy_label varchar(120))"""


def risk_recompute(*, district: District, since: dt.date | None = None, measure_ids: list[int] | None = None) -> dict:
    """Recompute stored scores' risk levels from the policy (and norms) now in the database.

    Set-based: scores stream from a server-side cursor, each is banded by the same
    compiled rules as an import, only changed ones are staged, and one UPDATE
    applies them; then the review queue follows. `since` limits it to scores tested
    on or after a date (a new policy version only affects scores from its
    effective date on). Call it when the policy changes (policy_version_create),
    when norms change (norms_import does), or when a measure's policy link changes.
    """
    checked = changed = 0
    windows: set[int] = set()
    with tenant_context(district), transaction.atomic():
        context = DistrictContext(district)
        scores = Score.objects.filter(district=district)
        if since is not None:
            scores = scores.filter(test_date__gte=since)
        if measure_ids is not None:
            scores = scores.filter(measure_id__in=measure_ids)
        rows = scores.values_list(
            "pk",
            "student_id",
            "measure_id",
            "window_id",
            "grade",
            "test_date",
            "score",
            "percentile",
            "level",
            "category",
            "area",
            "tier",
            "risk_label",
            "risk_rule",
            "risk_explanation",
            "policy_label",
        ).order_by("pk")
        with Stager(RECOMPUTE_STAGE, RECOMPUTE_DDL, RECOMPUTE_COLUMNS, stream=False) as stager:
            for (
                pk,
                student_id,
                measure_id,
                window_id,
                grade,
                day,
                score,
                percentile,
                level,
                category,
                *old,
            ) in rows.iterator(chunk_size=5000):
                checked += 1
                index = context.by_pk.get(student_id)
                measure = context.measures.get(measure_id)
                season = context.window_season.get(window_id)
                if index is None or measure is None or season is None:
                    continue
                area, tier, label, rule, values, explanation, policy = context.banded(
                    day, measure, grade, season, context.students[index].subgroups, score, percentile, level, category
                )
                if [area, tier, label, rule, explanation, policy] != old:
                    changed += 1
                    windows.add(window_id)
                    stager.add((pk, area, tier, label, rule, values, explanation, policy))
        if changed:
            table = Score._meta.db_table
            values = "s.risk_values::jsonb" if connection.vendor == "postgresql" else "s.risk_values"
            assign = ", ".join(f"{c} = s.{c}" for c in RECOMPUTE_COLUMNS[1:] if c != "risk_values")
            with hash_joins(), connection.cursor() as cursor:
                cursor.execute(
                    f"""UPDATE {table} SET {assign}, risk_values = {values}, updated_at = %s
                                   FROM {RECOMPUTE_STAGE} s
                                   WHERE {table}.id = s.score_id AND {table}.district_id = %s""",
                    [connection.ops.adapt_datetimefield_value(timezone.now()), district.pk],
                )
        drop_stage(RECOMPUTE_STAGE)
        created, withdrawn = review_queue_refresh(district=district, window_ids=sorted(windows))
        if changed:
            audit(
                district=district,
                actor=None,
                verb="scores.risk_recompute",
                obj=None,
                changes={
                    "checked": checked,
                    "changed": changed,
                    "review_items_created": created,
                    "review_items_withdrawn": withdrawn,
                },
            )
    return {
        "checked": checked,
        "changed": changed,
        "review_items_created": created,
        "review_items_withdrawn": withdrawn,
    }


# --- review queue -------------------------------------------------------------------------------------------


def first_required_measure_ids(*, district: District) -> set[int]:
    """Measures whose policy measure counts only the first required assessment
    (``screening.measures[].first_required_assessment_only``)."""
    from mtss.selectors import policy_document

    _version, policy = policy_document(district=district)
    if policy is None:
        return set()
    ids = set()
    for measure in Measure.objects.filter(district=district).only("pk", "key", "policy_keys"):
        found = risk.find_policy_measure(policy, measure.policy_keys or [measure.key])
        if found is not None and found.measure.first_required_assessment_only:
            ids.add(measure.pk)
    return ids


def review_queue_refresh(*, district: District, window_ids: list[int]) -> tuple[int, int]:
    """Queue newly flagged students of these windows; withdraw items whose score is no longer at risk.

    Newly flagged: an at-risk score (Tier 2 or 3) with no review item yet, of a
    student without an open placement above Tier 1 in the score's area (students
    already served are not queued). Set-based: one INSERT ... SELECT, two UPDATEs.
    """
    if not window_ids:
        return 0, 0
    now = timezone.now()
    items, scores = ReviewItem._meta.db_table, Score._meta.db_table
    # interventions.TierPlacement's table, reached through Student's reverse relation:
    # interventions sits above screening, so screening does not import it.
    placements = Student._meta.get_field("placements").related_model._meta.db_table
    marks = ", ".join(["%s"] * len(window_ids))
    # Holland Patent science Regents (seed 001): "Referrals must be completed for students scoring
    # below a 65% on the first required assessment only": a retake's score is not queued.
    first_only = first_required_measure_ids(district=district)
    first_only_sql, first_only_args = "", []
    if first_only:
        first_only_sql = f"""AND NOT (s.measure_id IN ({", ".join(["%s"] * len(first_only))}) AND EXISTS (
                SELECT 1 FROM {scores} e WHERE e.district_id = s.district_id AND e.student_id = s.student_id
                  AND e.measure_id = s.measure_id AND (e.test_date < s.test_date
                      OR (e.test_date = s.test_date AND e.id < s.id))))"""
        first_only_args = sorted(first_only)
    with hash_joins(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {items} (district_id, score_id, student_id, window_id, status, reason, created_at)
            SELECT s.district_id, s.id, s.student_id, s.window_id, %s, '', %s FROM {scores} s
            WHERE s.district_id = %s AND s.window_id IN ({marks}) AND s.tier >= 2
              AND NOT EXISTS (SELECT 1 FROM {items} r WHERE r.district_id = s.district_id AND r.score_id = s.id)
              AND NOT EXISTS (SELECT 1 FROM {placements} p WHERE p.district_id = s.district_id
                              AND p.student_id = s.student_id AND p.area = s.area AND p.end_date IS NULL
                              AND p.tier >= 2)
              {first_only_sql}""",
            [
                ReviewItem.Status.OPEN,
                connection.ops.adapt_datetimefield_value(now),
                district.pk,
                *window_ids,
                *first_only_args,
            ],
        )
        created = max(cursor.rowcount, 0)
        # Joins without nested loops (hash_joins): linear whatever the (possibly missing)
        # statistics of rows written earlier in this transaction.
        cursor.execute(
            f"""
            UPDATE {items} SET status = %s, decided_at = %s FROM {scores} s
            WHERE {items}.district_id = %s AND {items}.window_id IN ({marks}) AND {items}.status = %s
              AND s.id = {items}.score_id AND s.district_id = {items}.district_id AND (s.tier IS NULL OR s.tier < 2)""",
            [
                ReviewItem.Status.WITHDRAWN,
                connection.ops.adapt_datetimefield_value(now),
                district.pk,
                *window_ids,
                ReviewItem.Status.OPEN,
            ],
        )
        withdrawn = max(cursor.rowcount, 0)
        cursor.execute(
            f"""
            UPDATE {items} SET status = %s, decided_at = NULL FROM {scores} s
            WHERE {items}.district_id = %s AND {items}.window_id IN ({marks}) AND {items}.status = %s
              AND s.id = {items}.score_id AND s.district_id = {items}.district_id AND s.tier >= 2""",
            [ReviewItem.Status.OPEN, district.pk, *window_ids, ReviewItem.Status.WITHDRAWN],
        )
    return created, withdrawn


# "Start a plan" is not a decision of its own: the item is marked when the plan is saved
# (review_item_plan_saved, called by interventions.services.plan_create), so an abandoned
# plan form leaves it in the queue (issue 14).
REVIEW_ACTIONS = {
    "reviewed": ReviewItem.Status.REVIEWED,
    "dismiss": ReviewItem.Status.DISMISSED,
    "reopen": ReviewItem.Status.OPEN,
}


def review_item_plan_saved(*, district: District, actor: User | None, item_id: int, student_id: int) -> None:
    """Mark a review item "plan started" once its student's plan is saved. An item of another
    student or district, or one no longer in the queue, is left alone."""
    updated = ReviewItem.objects.filter(
        district=district,
        pk=item_id,
        student_id=student_id,
        status__in=[ReviewItem.Status.OPEN, ReviewItem.Status.REVIEWED],
    ).update(status=ReviewItem.Status.PLAN_STARTED, decided_by=actor, decided_at=timezone.now())
    if updated:
        audit(
            district=district,
            actor=actor,
            verb="review_item.plan",
            obj=ReviewItem(pk=item_id),
            changes={"status": ReviewItem.Status.PLAN_STARTED, "fields": []},
        )


@transaction.atomic
def review_item_decide(
    *, district: District, actor: User, item: ReviewItem, action: str, reason: str = ""
) -> ReviewItem:
    """Mark reviewed, plan started, dismissed (a reason is required) or open again."""
    if item.district_id != district.pk:
        raise ValidationError(_("Unknown review item."))
    status = REVIEW_ACTIONS.get(action)
    if status is None:
        raise ValidationError({"action": _("Choose reviewed or dismiss.")})
    reason = (reason or "").strip()
    if status == ReviewItem.Status.DISMISSED and not reason:
        raise ValidationError({"reason": _("Say why the student is dismissed from the queue.")})
    if len(reason) > 2000:
        raise ValidationError({"reason": _("Keep the reason under 2,000 characters.")})
    if item.status == ReviewItem.Status.WITHDRAWN:
        raise ValidationError({"action": _("The student is no longer flagged under the current policy.")})
    locked = ReviewItem.objects.select_for_update().get(district=district, pk=item.pk)
    locked.status = status
    locked.reason = reason if status == ReviewItem.Status.DISMISSED else (reason or locked.reason)
    locked.decided_by = actor if status != ReviewItem.Status.OPEN else None
    locked.decided_at = timezone.now() if status != ReviewItem.Status.OPEN else None
    locked.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    audit(
        district=district,
        actor=actor,
        verb=f"review_item.{action}",
        obj=locked,
        changes={"status": status, "fields": ["reason"] if reason else []},
    )
    return locked

"""Writes of students and guardians: validated, atomic, audited."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import get_perms_for_model

from mtss import events
from mtss.constraints import friendly_constraints
from mtss.jobs import enqueue
from mtss.models import District, School, User
from mtss.phones import phone_e164
from mtss.services import audit
from mtss.tenancy import tenant_context
from students.access import VIEW_STUDENT
from students.importers import progress
from students.importers.oneroster import read_roster, rest
from students.models import (
    Guardian,
    ImportRun,
    ParentConsultation,
    RosterSync,
    Student,
    StudentUserObjectPermission,
)

STUDENT_FIELDS = [
    "school",
    "local_id",
    "state_id",
    "sourced_id",
    "first_name",
    "middle_name",
    "last_name",
    "preferred_name",
    "birth_date",
    "grade",
    "gender",
    "race_ethnicity",
    "home_language",
    "entry_date",
    "exit_date",
    "english_learner",
    "standard_english_learner",
    "disability_iep",
    "section_504",
    "foster",
    "homeless",
    "socioeconomically_disadvantaged",
    "gifted",
    "expelled",
]


def _check_school(district: District, school: School) -> None:
    if school.district_id != district.pk:
        # Another district's school id must look exactly like a missing one.
        raise ValidationError({"school": _("Select a valid school.")})


# A student in grade g is usually g + 5 years old on September 1 (kindergarten at five; PK is
# grade -1). Two years younger (a skipped grade) to five years older (retention, late entry,
# special education to 21) is plausible; outside that a digit was mistyped (issue 14: a 2030
# birth date was accepted for a grade-3 student).
AGE_BELOW_TYPICAL, AGE_ABOVE_TYPICAL = 2, 5


def _check_birth_date(student: Student, today: dt.date) -> None:
    born = student.birth_date
    if born is None or student.grade is None:
        return
    if born >= today:
        raise ValidationError({"birth_date": _("The birth date %(d)s is not in the past.") % {"d": born}})
    september = dt.date(today.year if today.month >= 8 else today.year - 1, 9, 1)
    age = september.year - born.year - ((september.month, september.day) < (born.month, born.day))
    typical = student.grade + 5
    if not (typical - AGE_BELOW_TYPICAL <= age <= typical + AGE_ABOVE_TYPICAL):
        raise ValidationError(
            {
                "birth_date": _(
                    "A student in grade %(grade)s is usually about %(typical)s on September 1; this birth date "
                    "makes them %(age)s. Check the birth date and the grade."
                )
                % {"grade": student.get_grade_display(), "typical": typical, "age": age}
            }
        )


def _check_student(district: District, student: Student, *, dates_changed: bool = True) -> None:
    _check_school(district, student.school)
    if not (student.school.grade_low <= student.grade <= student.school.grade_high):
        raise ValidationError(
            {
                "grade": _("Grade %(grade)s is outside %(school)s's grade span (%(span)s).")
                % {
                    "grade": student.get_grade_display(),
                    "school": student.school.name,
                    "span": student.school.grade_span,
                }
            }
        )
    if dates_changed:  # after the grade span: a grade the school does not teach is the first thing to fix
        _check_birth_date(student, timezone.localdate())
    duplicate = Student.objects.filter(district=district, local_id=student.local_id).exclude(pk=student.pk)
    if duplicate.exists():
        raise ValidationError(
            {"local_id": _("Another student in this district already has local id %(id)s.") % {"id": student.local_id}}
        )
    student.full_clean(exclude=["district"], validate_unique=False)


def _save(district: District, student: Student) -> None:
    # Two people saving the same local id at once: the constraint decides, with its message on the field.
    with friendly_constraints():
        student.save()


@transaction.atomic
def student_create(*, district: District, actor: User | None, **fields) -> Student:
    student = Student(district=district, **fields)
    _check_student(district, student)
    _save(district, student)
    audit(district=district, actor=actor, verb="student.create", obj=student)
    # A student who enters after the year has begun gets the mid-year-entry letter (mtss/events.py).
    events.announce(events.STUDENTS_ENROLLED, district=district, student_ids=[student.pk], actor=actor)
    return student


@transaction.atomic
def student_update(*, district: District, actor: User | None, student: Student, **fields) -> Student:
    if student.district_id != district.pk:
        raise ValidationError(_("Unknown student."))
    changed = {}
    for name, value in fields.items():
        if name not in STUDENT_FIELDS:
            raise ValidationError({name: _("This field cannot be changed.")})
        old = getattr(student, name)
        if old != value:
            changed[name] = True  # which fields changed, never their (private) values
            setattr(student, name, value)
    if changed:
        # Records from before the birth-date check are checked when their birth date or grade changes.
        _check_student(district, student, dates_changed=bool({"birth_date", "grade"} & set(changed)))
        _save(district, student)
        audit(district=district, actor=actor, verb="student.update", obj=student, changes={"fields": sorted(changed)})
    return student


@transaction.atomic
def guardian_create(*, district: District, actor: User | None, student: Student, **fields) -> Guardian:
    if student.district_id != district.pk:
        raise ValidationError(_("Unknown student."))
    guardian = Guardian(district=district, student=student, **fields)
    guardian.phone = phone_e164(guardian.phone)
    guardian.full_clean(exclude=["district", "student"])
    with friendly_constraints():
        guardian.save()
    audit(district=district, actor=actor, verb="guardian.create", obj=guardian)
    # Letters recorded as "no recipient" for this student now have one (mtss/events.py).
    events.announce(events.GUARDIAN_ADDED, district=district, guardian=guardian, actor=actor)
    return guardian


@transaction.atomic
def consultation_record(
    *,
    district: District,
    actor: User | None,
    student: Student,
    held_on,
    method: str = ParentConsultation.Method.IN_PERSON,
    notes: str = "",
    guardian: Guardian | None = None,
    meeting_requested: bool = False,
) -> ParentConsultation:
    """Record a parent consultation (the policy's parent_contact.consultations_per_quarter counts them).

    A request for a team meeting is accepted only where the policy lets parents ask for one
    (parent_contact.may_request_meeting); the agenda builder then puts the student on the
    next meeting of the school.
    """
    from mtss.selectors import policy_document

    if student.district_id != district.pk:
        raise ValidationError({"student": _("Unknown student.")})
    errors = {}
    if held_on is None:
        errors["held_on"] = _("Give the date of the consultation.")
    elif held_on > timezone.localdate():
        errors["held_on"] = _("A consultation is recorded once it has taken place; the date is in the future.")
    if method not in ParentConsultation.Method.values:
        errors["method"] = _("Choose how the consultation took place.")
    if guardian is not None and (guardian.district_id != district.pk or guardian.student_id != student.pk):
        errors["guardian"] = _("Select one of this student's guardians.")
    if meeting_requested:
        _version, policy = policy_document(district=district, as_of=held_on)
        if policy is not None and not policy.parent_contact.may_request_meeting:
            errors["meeting_requested"] = _(
                "The district's policy does not provide for meetings at a parent's request; talk to the school's team."
            )
    if errors:
        raise ValidationError(errors)
    consultation = ParentConsultation.objects.create(
        district=district,
        student=student,
        guardian=guardian,
        held_on=held_on,
        method=method,
        notes=notes.strip(),
        meeting_requested=meeting_requested,
        recorded_by=actor,
    )
    audit(
        district=district,
        actor=actor,
        verb="consultation.record",
        obj=consultation,
        changes={"meeting_requested": meeting_requested},
    )
    return consultation


def _view_permission():
    return next(p for p in get_perms_for_model(Student) if p.codename == VIEW_STUDENT)


def student_grant_access(*, district: District, user: User, student_ids: list[int]) -> int:
    """Give a teacher (enrolled students) or specialist (caseload) `view_student`."""
    return student_grants_bulk(district=district, grants={user.pk: student_ids})


# Ids per query of a bulk grant: PostgreSQL takes at most 65,535 parameters in one statement.
GRANT_CHUNK = 10_000


def student_grants_bulk(*, district: District, grants: dict[int, list[int]]) -> int:
    """`view_student` for many users at once (a roster sync's teachers and their classes).

    Set-based whatever the number of users: the district's students and the users' existing grants
    are read in chunks of ids, and the new grants inserted in batches. A sync used to run three
    queries per teacher, 48,000 for a 400,000-student district, each planned against tables
    written in the same transaction and not yet analysed (benchmarks/bench_oneroster.py).
    """
    wanted = {user_id: set(ids) for user_id, ids in grants.items() if ids}
    if not wanted:
        return 0
    permission = _view_permission()
    every_id = sorted(set().union(*wanted.values()))
    valid: set[int] = set()
    for start in range(0, len(every_id), GRANT_CHUNK):
        chunk = every_id[start : start + GRANT_CHUNK]
        valid.update(Student.objects.filter(district=district, pk__in=chunk).order_by().values_list("pk", flat=True))
    users = sorted(wanted)
    existing: set[tuple[int, int]] = set()
    for start in range(0, len(users), GRANT_CHUNK):
        existing.update(
            StudentUserObjectPermission.objects.filter(
                district=district, permission=permission, user_id__in=users[start : start + GRANT_CHUNK]
            )
            .order_by()
            .values_list("user_id", "content_object_id")
        )
    new = [
        StudentUserObjectPermission(district=district, user_id=user_id, permission=permission, content_object_id=pk)
        for user_id in users
        for pk in sorted(wanted[user_id] & valid)
        if (user_id, pk) not in existing
    ]
    StudentUserObjectPermission.objects.bulk_create(new, batch_size=GRANT_CHUNK)
    return len(new)


def student_revoke_access(*, district: District, user: User, student_ids: list[int]) -> int:
    deleted, _ = StudentUserObjectPermission.objects.filter(
        district=district, user=user, permission__codename=VIEW_STUDENT, content_object_id__in=student_ids
    ).delete()
    return deleted


def import_run_save(*, district: District, run: ImportRun | None, fields: dict) -> ImportRun:
    """Record an import's outcome: a new run, or the queued job's own run filled in (screening.jobs)."""
    if run is None:
        return ImportRun.objects.create(district=district, **fields)
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=list(fields))
    return run


def roster_import(
    *,
    district: District,
    actor: User | None,
    path,
    dry_run: bool = False,
    accept_valid_rows: bool = False,
    confirm_exits: int | None = None,
    run: ImportRun | None = None,
):
    """Import a OneRoster 1.1/1.2 CSV roster (a folder or a zip) into the district.

    Every row is validated before anything is written. With rejected rows nothing is
    written (status "refused") unless `accept_valid_rows`, which writes the valid ones
    ("partial"). A dry run writes nothing but its ImportRun. Every run is recorded
    with its counts and rejected rows; a run that wrote is audited (counts only).
    A bulk roster that would exit more than ROSTER_EXIT_CONFIRM_PERCENT of the district's
    active students or staff is refused unless `confirm_exits` is exactly that number
    (roster_exit_check). `run`: a queued job's run to fill in (screening.jobs), else a new one.
    The returned run carries `.plan`, whose `all_errors` is the full list of
    rejected rows (the run stores the first ImportRun.ERROR_LIMIT).
    See students/importers/oneroster/ and README.md, "Roster import".
    """
    started = run.started_at if run is not None else timezone.now()

    def record(status: str, errors: list[dict], error_count: int) -> ImportRun:
        fields = {
            "kind": ImportRun.Kind.ROSTER,
            "format": plan.format,
            "file_name": plan.file_name[:255],
            "started_by": actor,
            "started_at": started,
            "finished_at": timezone.now(),
            "status": status,
            "dry_run": dry_run,
            "counts": plan.counts(),
            "errors": errors[: ImportRun.ERROR_LIMIT],
            "error_count": error_count,
            "warnings": plan.warnings + exit_warning,
            "details": {**(run.details if run is not None else {}), **plan.details(), "exits": exits},
        }
        return import_run_save(district=district, run=run, fields=fields)

    with tenant_context(district):
        plan = read_roster(district=district, path=path, actor=actor)
        errors = [e.as_dict() for e in plan.all_errors[: ImportRun.ERROR_LIMIT]]
        exits = roster_exit_check(district=district, plan=plan, confirm_exits=confirm_exits)
        exit_warning = [exits["message"]] if exits["needs_confirmation"] and dry_run else []
        if plan.refused_whole or (plan.error_count and not accept_valid_rows):
            status = ImportRun.Status.REFUSED
        elif dry_run:
            status = ImportRun.Status.DRY_RUN
        elif exits["refused"]:
            status = ImportRun.Status.REFUSED
            errors = [{"file": "users.csv", "line": None, "column": "", "reason": exits["message"]}, *errors]
        else:
            status = ImportRun.Status.PARTIAL if plan.error_count else ImportRun.Status.SUCCEEDED
        if status not in (ImportRun.Status.SUCCEEDED, ImportRun.Status.PARTIAL):
            run = record(status, errors, plan.error_count + int(exits["refused"] and not dry_run))
        else:
            progress.phase("writing")
            try:
                with transaction.atomic():
                    plan.write()
                    run = record(status, errors, plan.error_count)
                    created = [plan.student_ids[v["sourced_id"]] for v in plan.plans["students"].create]
                    if created:
                        events.announce(events.STUDENTS_ENROLLED, district=district, student_ids=created, actor=actor)
                    # Counts only: an audit event never carries names or other record values.
                    audit(
                        district=district,
                        actor=actor,
                        verb="roster.import",
                        obj=run,
                        changes={
                            "status": status,
                            "format": plan.format,
                            "counts": run.counts,
                            "rejected_rows": plan.error_count,
                            "exits_confirmed": exits["total"] if exits["needs_confirmation"] else None,
                        },
                    )
            except Exception as error:
                plan.written = False
                failure = {
                    "file": plan.file_name,
                    "line": None,
                    "column": "",
                    "reason": f"writing failed ({type(error).__name__}); nothing was written",
                }
                record(ImportRun.Status.REFUSED, [failure, *errors], plan.error_count + 1)
                raise
    run.plan = plan
    return run


def roster_exit_check(*, district: District, plan, confirm_exits: int | None) -> dict:
    """Would this roster exit a large share of the district? (issue 15, "Safety against destructive files").

    A header-only users.csv marked bulk once exited all 714 students of a district and
    ended with exit code 0. Above ROSTER_EXIT_CONFIRM_PERCENT of the active students or
    of the active staff memberships (and at least ROSTER_EXIT_CONFIRM_MIN exits in all: a
    handful of leavers in a small district is routine), the import needs the administrator to confirm the exact
    number of exits (students exited + memberships deactivated): a number, not a checkbox,
    so that it is read. `refused`: it needs confirmation and `confirm_exits` is not that number.
    """
    from mtss.models import Membership

    percent = settings.ROSTER_EXIT_CONFIRM_PERCENT
    students = len(plan.plans["students"].deactivate)
    staff = len(plan.plans["staff"].deactivate)
    active_students = active_staff = 0
    if students:
        active_students = Student.objects.filter(district=district, exit_date__isnull=True).count()
    if staff:
        active_staff = Membership.objects.filter(district=district, is_active=True).count()
    total = students + staff
    needs = total >= settings.ROSTER_EXIT_CONFIRM_MIN and (
        students * 100 > percent * active_students or staff * 100 > percent * active_staff
    )
    message = ""
    if needs:
        message = (
            f"This roster would exit {students} of the district's {active_students} active students and "
            f"deactivate {staff} of its {active_staff} active staff memberships: more than {percent}%. "
            f"If that is right, confirm the number {total} (type it on the import page, or pass "
            f"--confirm-exits {total} to import_roster)."
        )
    return {
        "students": students,
        "staff": staff,
        "active_students": active_students,
        "active_staff": active_staff,
        "percent": percent,
        "total": total,
        "needs_confirmation": needs,
        "confirmed": needs and confirm_exits == total,
        "refused": needs and confirm_exits != total,
        "message": message,
    }


# --- rostering sync from the SIS's OneRoster REST API (README, "Rostering sync") ----------------------

# A sync still "running" after this long died with its worker; the next one may start.
SYNC_STALE_AFTER = dt.timedelta(hours=2)


def roster_sync_save(*, district: District, actor: User, values: dict) -> RosterSync:
    """Create or change the district's sync settings (validated by the form); audited without the secret's name."""
    sync = RosterSync.objects.filter(district=district).first() or RosterSync(district=district)
    changed = sorted(name for name, value in values.items() if getattr(sync, name, None) != value)
    for name, value in values.items():
        setattr(sync, name, value)
    if {"base_url", "version"} & set(changed):
        # Another server or version: its dateLastModified clock is not ours to continue from.
        sync.modified_since = None
    sync.full_clean()
    sync.save()
    audit(district=district, actor=actor, verb="roster_sync.configure", obj=sync, changes={"fields": changed})
    return sync


def roster_sync_request(
    *, district: District, actor: User | None, full: bool = False, confirm_exits: int | None = None
) -> RosterSync | None:
    """Mark the district's sync queued (the caller then enqueues the job); None if one is already under way."""
    stale = timezone.now() - SYNC_STALE_AFTER
    claimed = (
        RosterSync.objects.filter(district=district)
        .exclude(state__in=[RosterSync.State.QUEUED, RosterSync.State.RUNNING], last_started_at__gt=stale)
        .update(
            state=RosterSync.State.QUEUED,
            full_requested=full,
            confirm_exits=confirm_exits,
            message="",
            last_started_at=timezone.now(),
        )
    )
    if not claimed:
        return None
    sync = RosterSync.objects.get(district=district)
    audit(
        district=district,
        actor=actor,
        verb="roster_sync.request",
        obj=sync,
        changes={"full": full, "confirm_exits": confirm_exits},
    )
    return sync


def roster_sync_enqueue(*, district: District) -> None:
    """Hand a queued sync to the workers. If the broker is down the sync stays "queued" and
    the page says so; the next request (or the nightly beat, once the claim is stale) retries."""
    from students.tasks import roster_sync

    if not enqueue(roster_sync, district.pk):
        RosterSync.objects.filter(district=district, state=RosterSync.State.QUEUED).update(
            message=_("The job queue is unavailable: try again in a few minutes.")
        )


def roster_sync_run(*, district: District, full: bool = False) -> RosterSync:
    """Pull the roster from the API into scratch CSV files and import them like an upload.

    Full the first time (and when asked): what the API no longer lists is
    deactivated. Then only what changed since the newest dateLastModified a
    successful pull saw. Nothing is written unless the pull completed and every row
    is valid (the CSV import's all-or-nothing rule); the high-water mark moves only then.
    """
    with tenant_context(district):
        sync = RosterSync.objects.get(district=district)
        full = full or sync.full_requested or sync.modified_since is None
        since = None if full else sync.modified_since
        sync.state = RosterSync.State.RUNNING
        sync.last_started_at = timezone.now()
        sync.progress = {"mode": "full" if full else "delta", "fetched": {}}
        sync.message = ""
        sync.save(update_fields=["state", "last_started_at", "progress", "message"])
        secret = os.environ.get(sync.client_secret_env, "")
        if not secret:
            return _sync_finish(
                sync,
                RosterSync.State.FAILED,
                _("The environment variable %(name)s is not set on the server: the client secret is missing.")
                % {"name": sync.client_secret_env},
            )
        connection = rest.Connection(
            base_url=sync.base_url,
            token_url=sync.token_url,
            client_id=sync.client_id,
            client_secret=secret,
            version=sync.version,
            timeout=settings.ONEROSTER_TIMEOUT_SECONDS,
            page_size=settings.ONEROSTER_PAGE_SIZE,
        )
        # Keyed by the district: scratch files of two districts never share a folder.
        with tempfile.TemporaryDirectory(prefix=f"mtss-roster-d{district.pk}-") as scratch:
            folder = Path(scratch) / f"oneroster-api-{'full' if full else 'delta'}"
            folder.mkdir()
            try:
                pulled = rest.pull(rest.OneRosterApi(connection), folder, since=since)
            except rest.RosterApiError as error:
                return _sync_finish(sync, RosterSync.State.FAILED, _("The API could not be read: %s") % error)
            sync.progress = {"mode": sync.progress["mode"], "fetched": pulled.counts, "skipped": pulled.skipped}
            sync.save(update_fields=["progress"])
            run = roster_import(district=district, actor=None, path=folder, confirm_exits=sync.confirm_exits)
        sync.last_run = run
        sync.confirm_exits = None  # a confirmation is for one sync
        exits = run.details.get("exits") or {}
        if exits.get("refused"):
            return _sync_finish(
                sync,
                RosterSync.State.REFUSED,
                _(
                    "This sync would exit %(students)s students and deactivate %(staff)s staff memberships, more "
                    "than %(percent)s%% of the district. Nothing was written. If that is right, type %(total)s "
                    "below and sync again."
                )
                % exits,
            )
        if run.status != ImportRun.Status.SUCCEEDED:
            return _sync_finish(
                sync,
                RosterSync.State.REFUSED,
                _("%(count)s rows were refused, so nothing was written: see the import run.")
                % {"count": run.error_count},
            )
        if pulled.newest is not None:
            sync.modified_since = pulled.newest
        sync.full_requested = False
        return _sync_finish(sync, RosterSync.State.SUCCEEDED, "")


def _sync_finish(sync: RosterSync, state: str, message: str) -> RosterSync:
    sync.state = state
    sync.message = message
    sync.last_finished_at = timezone.now()
    sync.save(
        update_fields=[
            "state",
            "message",
            "last_finished_at",
            "last_run",
            "modified_since",
            "full_requested",
            "confirm_exits",
        ]
    )
    audit(district=sync.district, actor=None, verb="roster_sync.finish", obj=sync, changes={"state": state})
    return sync

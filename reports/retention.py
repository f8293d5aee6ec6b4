"""Retention and deletion (issue 18, item 5): the district's schedule, a dry run, a counted purge.

The policy's `privacy.retention` says how long each kind of record is kept (mtss/policy/schema.py,
`Retention`). `retention_dry_run` counts what has expired and keeps the counts as a PurgeRun: the
report a person reads before anything goes. `retention_purge` deletes what that run counted, and
never more: when it finds more rows due than the dry run said (a roster exited students in between,
a schedule was shortened), it stops, deletes nothing, and records that it stopped. Each purge writes
one audit entry with its counts. The README says the product never deletes students *silently*:
student rows themselves stay (a roster exits them); what goes is their records, on a schedule the
district set, after a report, with an audit entry.

It lives in reports, the top layer, because one schedule spans interventions, screening,
notifications and the core's access log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from interventions.models import Decision, Plan, TierPlacement
from mtss.models import AccessLog, District, PurgeRun, User
from mtss.policy.schema import Retention
from mtss.selectors import policy_document
from mtss.services import audit
from notifications.models import Notice, StaffReminder
from screening.models import Score


@dataclass(frozen=True)
class Kind:
    """One kind of record of the schedule: the policy field with its years, and its expired rows."""

    key: str
    field: str
    querysets: Callable[[District, dt.date], list[QuerySet]]


def _after_exit(*models) -> Callable[[District, dt.date], list[QuerySet]]:
    # Records of students who exited on or before the cutoff: N years have passed since they left.
    return lambda district, cutoff: [
        m.objects.filter(district=district, student__exit_date__lte=cutoff).order_by() for m in models
    ]


def _created_before(model, field: str) -> Callable[[District, dt.date], list[QuerySet]]:
    return lambda district, cutoff: [
        model.objects.filter(district=district, **{f"{field}__lt": _start_of(district, cutoff)}).order_by()
    ]


# Order matters for the purge: plans go before the placements they point at (SET_NULL either way).
KINDS = (
    Kind("intervention_records", "intervention_records_years_after_exit", _after_exit(Plan, Decision, TierPlacement)),
    Kind("screening_scores", "screening_scores_years_after_exit", _after_exit(Score)),
    Kind("notices", "notices_years_after_exit", _after_exit(Notice)),
    Kind("access_log", "access_log_years", _created_before(AccessLog, "at")),
    Kind("staff_messages", "staff_messages_years", _created_before(StaffReminder, "created_at")),
)


class PurgeStopped(Exception):
    """More rows are due than the dry run counted: nothing is deleted."""

    def __init__(self, found: dict[str, int]):
        super().__init__(found)
        self.found = found


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, in a year that has none
        return day.replace(year=day.year - years, day=28)


def _start_of(district: District, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(district.timezone))


def retention_schedule(*, district: District, as_of: dt.date) -> tuple[dict[str, int], int | None]:
    """{kind: years} from the policy in effect on `as_of` (the schema's defaults without one)."""
    version, document = policy_document(district=district, as_of=as_of)
    retention = document.privacy.retention if document is not None else Retention()
    return {kind.key: getattr(retention, kind.field) for kind in KINDS}, (version.pk if version else None)


def automatic_purge(*, district: District, as_of: dt.date) -> bool:
    """Whether the nightly job purges after its dry run (the policy's `automatic_purge`; off by default)."""
    _, document = policy_document(district=district, as_of=as_of)
    return bool(document is not None and document.privacy.retention.automatic_purge)


def _due_counts(district: District, as_of: dt.date, schedule: dict[str, int]) -> dict[str, int]:
    counts = {}
    for kind in KINDS:
        cutoff = years_before(as_of, schedule[kind.key])
        counts[kind.key] = sum(qs.count() for qs in kind.querysets(district, cutoff))
    return counts


def retention_dry_run(*, district: District, actor: User | None, as_of: dt.date | None = None) -> PurgeRun:
    """Count, per kind, the rows the schedule says have expired on `as_of`; keep the counts as the report."""
    as_of = as_of or timezone.localdate()
    schedule, version_id = retention_schedule(district=district, as_of=as_of)
    return PurgeRun.objects.create(
        district=district,
        as_of=as_of,
        counts=_due_counts(district, as_of, schedule),
        schedule=schedule,
        policy_version_id=version_id,
        created_by=actor,
    )


def _purge_access_log(district: District, cutoff: dt.date, max_rows: int) -> int:
    """The access log is append-only for the application role; its purge goes through the one
    function the owner granted (mtss/migrations/0007_retention.py). It returns the rows due, and
    deletes nothing when they are more than max_rows (the caller then stops the purge)."""
    before = _start_of(district, cutoff)
    if connection.vendor != "postgresql":  # the SQLite demo has no roles
        return AccessLog.objects.filter(district=district, at__lt=before).delete()[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT mtss_accesslog_purge(%s, %s)", [before, max_rows])
        return cursor.fetchone()[0]


def retention_purge(*, district: District, run: PurgeRun, actor: User | None) -> PurgeRun:
    """Delete what the dry run `run` counted, never more; stop (deleting nothing) when more is due.

    Re-counted inside the purge's transaction with the run's own date and schedule, so the purge
    deletes exactly the rows a person read about. The row counts are of each kind's records; what
    hangs off them (a plan's sessions and probes, a notice's history) goes with them.
    """
    if run.district_id != district.pk or run.status != PurgeRun.Status.DRY_RUN:
        raise ValueError("Purge run: only a district's own dry run, not yet purged, can be purged.")
    try:
        with transaction.atomic():
            # One purge at a time per run: a second worker waits here, then finds it purged.
            locked = PurgeRun.objects.select_for_update().get(district=district, pk=run.pk)
            if locked.status != PurgeRun.Status.DRY_RUN:
                return locked
            found = _due_counts(district, locked.as_of, locked.schedule)
            if any(found[key] > locked.counts.get(key, 0) for key in found):
                raise PurgeStopped(found)
            deleted = {}
            for kind in KINDS:
                cutoff = years_before(locked.as_of, locked.schedule[kind.key])
                if kind.key == "access_log":
                    deleted[kind.key] = _purge_access_log(district, cutoff, locked.counts.get(kind.key, 0))
                    continue
                total = 0
                for qs in kind.querysets(district, cutoff):
                    _, per_model = qs.delete()
                    total += per_model.get(qs.model._meta.label, 0)
                deleted[kind.key] = total
            if any(deleted[key] > locked.counts.get(key, 0) for key in deleted):
                raise PurgeStopped(deleted)  # rows arrived between the count and the delete: roll back
            locked.status = PurgeRun.Status.PURGED
            locked.purged_counts = deleted
            locked.purged_at = timezone.now()
            locked.save(update_fields=["status", "purged_counts", "purged_at"])
            audit(
                district=district,
                actor=actor,
                verb="retention.purge",
                obj=locked,
                changes={"as_of": locked.as_of.isoformat(), "schedule": locked.schedule, "deleted": deleted},
            )
            return locked
    except PurgeStopped as stop:
        over = {key: n for key, n in stop.found.items() if n > run.counts.get(key, 0)}
        PurgeRun.objects.filter(district=district, pk=run.pk, status=PurgeRun.Status.DRY_RUN).update(
            status=PurgeRun.Status.STOPPED,
            purged_counts=stop.found,
            note="More rows are due than the dry run counted: " + ", ".join(f"{k} {n}" for k, n in over.items()),
        )
        run.refresh_from_db()
        audit(district=district, actor=actor, verb="retention.stopped", obj=run, changes={"found": stop.found})
        return run


def latest_dry_run(*, district: District) -> PurgeRun | None:
    return (
        PurgeRun.objects.filter(district=district, status=PurgeRun.Status.DRY_RUN)
        .order_by("-created_at", "-id")
        .first()
    )

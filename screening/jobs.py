"""Import jobs: every roster, score and norms upload is staged, then run by a Celery worker.

Issue 15, "Every import is a background job with a progress bar". A 25,000-student roster
once ran inside the request and hit the web server's 30 s timeout. Now the request only
stores the file in the district's private folder (services.upload_store) and records a
*queued* ImportRun; the worker claims it (queued -> running, a conditional update, so a
retried or duplicated task never runs an import twice), runs the same services as the
command line (roster_import, scores_import, norms_import), which fill in that run, and
reports progress (rows read, validated, written) through students.importers.progress.

The services keep their rules: everything is validated first and written in one transaction
(all or nothing), a dry run writes only its run, and a destructive roster needs its exits
confirmed. Without a broker (the embedded demo) Celery runs the job in-process, at once.

Staged uploads are kept for a day at most (UPLOAD_TTL): the hourly beat job
`import_uploads_purge_task` deletes older ones, and a run older than that no longer offers
"Import now".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from tempfile import TemporaryDirectory

from django.conf import settings
from django.utils import timezone

from mtss.jobs import enqueue_on_commit
from mtss.models import District, User
from mtss.tenancy import tenant_context
from screening import selectors, services
from screening.models import Measure
from students.importers import progress
from students.models import ImportRun

log = logging.getLogger(__name__)

# Student records (issue #17: "The importers ... run as background jobs"): the same staging, claim
# and progress as scores, through students.early_warning.importers.
RECORD_KINDS = (ImportRun.Kind.ATTENDANCE, ImportRun.Kind.INCIDENTS, ImportRun.Kind.GRADES)
KINDS = (ImportRun.Kind.ROSTER, ImportRun.Kind.SCORES, ImportRun.Kind.NORMS, *RECORD_KINDS)


def import_job_submit(
    *,
    district: District,
    actor: User | None,
    kind: str,
    chunks: Iterable[bytes],
    file_name: str,
    options: dict,
    dry_run: bool,
    accept_valid_rows: bool = False,
    confirm_exits: int | None = None,
) -> ImportRun:
    """Stage an uploaded file and queue its import; returns the queued run.

    `options`: what the kind needs (scores: format, mapping id, measure key; norms: kind,
    norm, measure id, name, source). Ids, never objects: the worker re-reads them.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    file_name = Path(file_name).name[:200] or "upload"
    token = services.upload_store(district=district, chunks=chunks, suffix=Path(file_name).suffix)
    return _queue(
        district=district,
        actor=actor,
        kind=kind,
        options={**options, "upload": token, "file_name": file_name},
        dry_run=dry_run,
        accept_valid_rows=accept_valid_rows,
        confirm_exits=confirm_exits,
    )


def import_job_again(
    *, district: District, actor: User | None, run: ImportRun, accept_valid_rows: bool, confirm_exits: int | None
) -> ImportRun | None:
    """ "Import now" after a dry run, or "Import the valid rows" after a refusal: a new job on the
    same staged file. None when the file is no longer kept (purged after a day, or imported)."""
    if not staged_upload_kept(district=district, run=run):
        return None
    return _queue(
        district=district,
        actor=actor,
        kind=run.kind,
        options={k: v for k, v in run.options.items() if k not in ("dry_run", "accept_valid_rows", "confirm_exits")},
        dry_run=False,
        accept_valid_rows=accept_valid_rows,
        confirm_exits=confirm_exits,
    )


def staged_upload_kept(*, district: District, run: ImportRun) -> bool:
    """Is the run's staged file still there and younger than a day (README: "for a day at most")?"""
    token = run.options.get("upload", "")
    if not token or run.started_at < timezone.now() - services.UPLOAD_TTL:
        return False
    return services.upload_path(district=district, token=token) is not None


def _queue(
    *,
    district: District,
    actor: User | None,
    kind: str,
    options: dict,
    dry_run: bool,
    accept_valid_rows: bool,
    confirm_exits: int | None,
) -> ImportRun:
    from screening.tasks import import_run_task

    run = ImportRun.objects.create(
        district=district,
        kind=kind,
        format=options.get("format") or ("oneroster" if kind == ImportRun.Kind.ROSTER else "csv"),
        file_name=options["file_name"],
        started_by=actor,
        started_at=timezone.now(),
        status=ImportRun.Status.QUEUED,
        dry_run=dry_run,
        options={
            **options,
            "dry_run": dry_run,
            "accept_valid_rows": accept_valid_rows,
            "confirm_exits": confirm_exits,
        },
        progress={"phase": "queued"},
    )
    args = (district.pk, run.pk)
    if settings.IMPORT_JOBS_IN_PROCESS:
        # The embedded demo has no broker: the job runs here, in-process, as the same task.
        import_run_task.apply(args=args)
        run.refresh_from_db()
    else:
        # The worker must find the run committed (ARCHITECTURE.md, Jobs: enqueue on commit).
        queue = settings.IMPORT_JOBS_QUEUE or None
        enqueue_on_commit(import_run_task, *args, queue=queue)
    return run


def import_job_run(*, district: District, run_id: int) -> ImportRun | None:
    """Run a queued import (the Celery task's body). None when it was already claimed."""
    with tenant_context(district):
        claimed = ImportRun.objects.filter(district=district, pk=run_id, status=ImportRun.Status.QUEUED).update(
            status=ImportRun.Status.RUNNING, progress={"phase": "running"}
        )
        if not claimed:
            return None
        run = ImportRun.objects.select_related("started_by").get(district=district, pk=run_id)
        tracker = progress.Tracker(district_id=district.pk, run_id=run.pk)
        tracker.phase("reading")
        try:
            with progress.tracking(tracker):
                run = _run(district=district, run=run)
        except Exception as error:
            # The services record a failed write themselves; anything else must not leave the run
            # "running" for ever. Only the error's type is logged: its text may quote a row.
            log.exception("import run %s failed (%s)", run_id, type(error).__name__)
            run.refresh_from_db()
            if not run.is_finished:
                run.status = ImportRun.Status.REFUSED
                run.finished_at = timezone.now()
                run.errors = [
                    {
                        "file": run.file_name,
                        "line": None,
                        "column": "",
                        "reason": f"the import failed ({type(error).__name__}); nothing was written",
                    }
                ]
                run.error_count = 1
                run.save(update_fields=["status", "finished_at", "errors", "error_count"])
        written = run.status in (ImportRun.Status.SUCCEEDED, ImportRun.Status.PARTIAL)
        if written:
            services.upload_delete(district=district, token=run.options.get("upload", ""))
        counts = run.counts or {}
        tracker.state["written"] = (
            sum(c.get("created", 0) + c.get("updated", 0) + c.get("deleted", 0) for c in counts.values())
            if written
            else 0
        )
        tracker.phase("done")
        run.progress = dict(tracker.state)
        run.save(update_fields=["progress"])
        return run


def _run(*, district: District, run: ImportRun) -> ImportRun:
    options = run.options
    path = services.upload_path(district=district, token=options.get("upload", ""))
    if path is None:
        raise FileNotFoundError("the staged upload is no longer kept")
    actor = run.started_by
    # Give the importers the file under its own name: it names the rows in error reports. The
    # scratch folder carries the district, as every per-district path does (STYLE.md).
    with TemporaryDirectory(prefix=f"mtss-import-d{district.pk}-") as folder:
        named = Path(folder) / (options.get("file_name") or path.name)
        named.symlink_to(path)
        if run.kind == ImportRun.Kind.ROSTER:
            result = services.roster_import_run(
                district=district,
                actor=actor,
                path=named,
                dry_run=options["dry_run"],
                accept_valid_rows=options["accept_valid_rows"],
                confirm_exits=options.get("confirm_exits"),
                run=run,
            )
        elif run.kind in RECORD_KINDS:
            result = _record_import(district=district, actor=actor, run=run, path=named)
        elif run.kind == ImportRun.Kind.NORMS:
            measure = Measure.objects.filter(district=district, pk=options.get("measure")).first()
            result = services.norms_import(
                district=district,
                actor=actor,
                path=named,
                kind=options["table"],
                norm=options["norm"],
                measure=measure,
                name=options.get("name", ""),
                source=options.get("source", ""),
                dry_run=options["dry_run"],
                run=run,
            )
        else:
            mapping = (
                selectors.mapping_get(district=district, mapping_id=options["mapping"])
                if options.get("mapping")
                else None
            )
            result = services.scores_import(
                district=district,
                actor=actor,
                path=named,
                format=options["format"],
                dry_run=options["dry_run"],
                accept_valid_rows=options["accept_valid_rows"],
                mapping=mapping,
                measure=options.get("measure") or "",
                file_name=options.get("file_name"),
                run=run,
            )
    refused_whole = bool(getattr(getattr(result, "plan", None), "refused_whole", False))
    if result.details.get("refused_whole") != refused_whole:
        result.details = {**result.details, "refused_whole": refused_whole}
        result.save(update_fields=["details"])
    return result


def _record_import(*, district: District, actor: User | None, run: ImportRun, path: Path) -> ImportRun:
    """An attendance, incident or course-grade upload: the command line's services, all or nothing."""
    from students.early_warning.importers import IMPORTERS

    options = run.options
    extra: dict = {}
    if run.kind == ImportRun.Kind.ATTENDANCE:
        extra = {"shape": options.get("shape") or "generic", "confirm": bool(options.get("confirm"))}
    elif run.kind == ImportRun.Kind.GRADES:
        extra = {"shape": options.get("shape") or "csv"}
    return IMPORTERS[run.kind](district=district, actor=actor, path=path, dry_run=options["dry_run"], run=run, **extra)


def import_progress(*, district: District, run: ImportRun) -> dict:
    """The run's progress: live from the cache while it runs, else the stored snapshot."""
    if run.is_finished:
        return run.progress or {"phase": "done"}
    live = progress.current_progress(district_id=district.pk, run_id=run.pk)
    return live or run.progress or {"phase": run.status}


def import_uploads_purge_all() -> int:
    """Delete every district's staged uploads older than a day; returns how many districts were swept."""
    swept = 0
    for district in District.objects.order_by("pk"):
        services.uploads_purge(district=district)
        swept += 1
    return swept

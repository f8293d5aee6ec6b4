"""OneRoster 1.1 and 1.2 CSV rosters into schools, school years, staff, students,
guardians, enrolments and teachers' grants (RULES.md 5.1; README.md, "Roster import").

Two phases, so that one bad row writes nothing:

1. `read_roster` streams every file and validates every row (reader.py, no database),
   loads what the district already has (a handful of set-based queries) and builds a
   plan (matcher.py, plan.py): for each kind
   of record, what would be created, updated, left unchanged or deactivated, and
   which rows are rejected (file, line, column, reason). Nothing is written; a dry
   run stops here.
2. `RosterPlan.write` (writer.py) applies the plan with bulk_create / bulk_update, inside the
   caller's transaction and tenant context. No query runs per row, nor per teacher: every
   teacher's grants are written together by `student_grants_bulk`.

Everything is keyed by OneRoster `sourcedId` within the district, so importing the
same files again finds every record unchanged. Records entered by hand are adopted
once when they match (a school by code, a school year by name, a student by local
id, staff by e-mail, a guardian by student and name) and keep the sourcedId after.

Bulk files replace what they cover: a record that carries a sourcedId, belongs to a
school the roster covers and is missing from a bulk file is deactivated, never
deleted (students get an exit date, memberships become inactive, guardians stop
receiving notices, enrolments get an end date, teachers lose grants to students no
longer in their classes). Delta files apply `status`: `tobedeleted` deactivates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mtss.models import District, User
from students.importers import progress
from students.importers.csvio import SAMPLE_SIZE, ImportFileError, Source, describe_binary, open_source
from students.importers.limits import check_limits
from students.importers.oneroster.matcher import RosterMatcher
from students.importers.oneroster.plan import RosterPlan


def read_roster(*, district: District, path, today: dt.date | None = None, actor: User | None = None) -> RosterPlan:
    """Validate a OneRoster folder or zip against the district and plan the import.

    Reads the database (call it inside the district's tenant context), writes
    nothing. Problems with whole files (missing, another format or encoding, a bad
    header) are in `plan.file_errors`; problems with rows in `plan.errors`.
    """
    source = None
    try:
        source = open_source(path, anchor="manifest.csv")
        root = Path(path)
        if source.kind == "file":
            source = _folder_of_manifest(source, root)
            root = root.parent
        lines = check_limits(root, anchor="manifest.csv")  # caps first: a zip bomb is refused after a few MB
    except ImportFileError as error:
        if source is not None:
            source.close()
        plan = RosterPlan(district, Path(path).name)
        plan.file_errors.extend(error.errors)
        return plan
    progress.phase("reading", total=lines)
    with source:
        reader = RosterMatcher(district, source, today=today, actor=actor)
        reader.read()
        if not reader.plan.refused_whole:
            progress.phase("validating")
            reader.build()
        job = progress.tracker()
        if job is not None:
            job.phase("validated", validated=max(job.state["read"] - reader.plan.error_count, 0))
        return reader.plan


def _folder_of_manifest(source: Source, path: Path) -> Source:
    """A roster is a folder or a zip; given its manifest.csv, read the folder around it."""
    if path.name.lower() == "manifest.csv":
        return open_source(path.parent)
    with path.open("rb") as handle:
        what = describe_binary(handle.read(SAMPLE_SIZE))
    looks = f"; it looks like {what}" if what else ""
    raise ImportFileError(
        path.name,
        f"a OneRoster roster is a folder or a zip archive holding manifest.csv and its "
        f"CSV files, not a single file{looks}",
    )


__all__ = ["RosterPlan", "read_roster"]

"""What the import commands (import_roster, import_scores) share: resolving --district,
--user and the path, the counts table and how a run ends (the rejected rows as CSV, and
the exit code)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from mtss.models import District, User
from students.importers.csvio import write_errors_csv


def resolve(*, district: str, user: str | None, path: str) -> tuple[District, User | None]:
    """The district (by slug) and the user recorded as running the import; exit 2 when one is unknown."""
    found = District.objects.filter(slug=district).first()
    if found is None:
        raise CommandError(f"--district: no district with slug {district!r}", returncode=2)
    actor = None
    if user:
        actor = User.objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"--user: no user {user!r}", returncode=2)
    if not Path(path).exists():
        raise CommandError(f"{path}: no such file or folder", returncode=2)
    return found, actor


def write_counts(out, counts: dict, keys: list[str], labels: dict[str, str] | None = None) -> None:
    """A table of counts: one row per kind of record, one column per outcome."""
    labels = labels or {}
    header = ["", *[labels.get(k, k) for k in keys]]
    rows = [[entity.replace("_", " "), *[str(c.get(k, 0)) for k in keys]] for entity, c in counts.items()]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        out.write("  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)))


def finish(command, run, *, errors_csv: str | None, accept_valid_rows: bool, noun: str) -> None:
    """Write the rejected rows if asked; exit 2 for an unreadable file, 1 for rejected rows."""
    plan = run.plan
    if errors_csv:
        with open(errors_csv, "w", newline="", encoding="utf-8") as handle:
            count = write_errors_csv(plan.all_errors, handle)
        command.stdout.write(f"{count} rejected rows written to {errors_csv}")
    if plan.refused_whole:
        raise CommandError(f"the {noun} cannot be read; nothing was written (see above)", returncode=2)
    if run.error_count and not accept_valid_rows:
        raise CommandError(
            f"{run.error_count} problems in the {noun}; nothing was written. Fix them, or run "
            "again with --accept-valid-rows to import the valid rows.",
            returncode=1,
        )

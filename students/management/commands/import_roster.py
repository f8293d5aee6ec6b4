"""Import a OneRoster 1.1/1.2 CSV roster: import_roster --district SLUG PATH [--dry-run] [--accept-valid-rows]."""

from django.core.management.base import BaseCommand, CommandError

from students.importers.cli import finish, resolve, write_counts
from students.models import ImportRun
from students.services import roster_import

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = (
        "Import a OneRoster 1.1 or 1.2 CSV roster (a folder or a zip holding manifest.csv). Nothing is written "
        "if any row is rejected, unless --accept-valid-rows. Exit status: 0 imported (or a clean dry run), "
        "1 rows rejected, 2 unusable input (district, path, format)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="folder or .zip with manifest.csv and the OneRoster CSV files")
        parser.add_argument("--district", required=True, help="district slug")
        parser.add_argument("--dry-run", action="store_true", help="validate and count; write nothing")
        parser.add_argument(
            "--accept-valid-rows", action="store_true", help="import the valid rows even when some are rejected"
        )
        parser.add_argument("--errors-csv", metavar="FILE", help="write the rejected rows to FILE as CSV")
        parser.add_argument("--user", help="username recorded as the one who ran the import")
        parser.add_argument(
            "--confirm-exits",
            type=int,
            metavar="N",
            help="confirm that the roster exits N students and staff, when that is more than "
            "ROSTER_EXIT_CONFIRM_PERCENT of the district's (a dry run prints N)",
        )

    def handle(self, *args, path, district, dry_run, accept_valid_rows, errors_csv, user, confirm_exits, **options):
        found, actor = resolve(district=district, user=user, path=path)

        run = roster_import(
            district=found,
            actor=actor,
            path=path,
            dry_run=dry_run,
            accept_valid_rows=accept_valid_rows,
            confirm_exits=confirm_exits,
        )
        self._summary(run)
        exits = run.details.get("exits") or {}
        if exits.get("refused") and not dry_run and not run.plan.refused_whole:
            raise CommandError(f"{exits['message']} Nothing was written.", returncode=1)
        finish(self, run, errors_csv=errors_csv, accept_valid_rows=accept_valid_rows, noun="roster")

    def _summary(self, run: ImportRun) -> None:
        out = self.stdout
        out.write(f"{run.file_name}: {run.format}, {run.get_status_display()} (import run {run.pk})")
        modes = ", ".join(
            f"{name} {mode}" for name, mode in run.details.get("manifest", {}).items() if mode != "absent"
        )
        if modes:
            out.write(f"files: {modes}")
        if run.plan.refused_whole:
            self._errors(run)
            return
        write_counts(
            out,
            run.counts,
            ["created", "updated", "unchanged", "deleted", "rejected"],
            labels={"deleted": "deactivated"},
        )
        if run.details.get("accounts_created"):
            out.write(f"new staff accounts: {run.details['accounts_created']}")
        unmatched = run.details.get("unmatched_total", 0)
        if unmatched:
            out.write(f"students no roster record matched: {unmatched}")
            for student in run.details.get("unmatched_students", [])[:SHOWN_ERRORS]:
                out.write(f"  student {student['id']} (local id {student['local_id']}): {student['action']}")
        for warning in run.warnings:
            out.write(self.style.WARNING(f"warning: {warning}"))
        self._errors(run)

    def _errors(self, run: ImportRun) -> None:
        out = self.stdout
        errors = run.plan.all_errors
        if errors:
            out.write(self.style.ERROR(f"{run.error_count} problem{'s' if run.error_count != 1 else ''}:"))
            for error in errors[:SHOWN_ERRORS]:
                where = error.file + (f" line {error.line}" if error.line else "")
                column = f" [{error.column}]" if error.column else ""
                out.write(self.style.ERROR(f"  {where}{column}: {error.reason}"))
            if run.error_count > SHOWN_ERRORS:
                out.write(f"  ... and {run.error_count - SHOWN_ERRORS} more (--errors-csv FILE writes them all)")

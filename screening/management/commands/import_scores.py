"""Import assessment scores: import_scores --district SLUG --format FORMAT FILE [--dry-run] [--accept-valid-rows]."""

from django.core.management.base import BaseCommand, CommandError

from mtss.tenancy import tenant_context
from screening.importers import FORMATS
from screening.models import ColumnMapping
from screening.services import scores_import
from students.importers.cli import finish, resolve, write_counts

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = (
        "Import assessment scores (NWEA MAP, i-Ready, Star, aimswebPlus, DIBELS 8, or a generic CSV with a saved "
        "column mapping). Nothing is written if any row is rejected, unless --accept-valid-rows. Exit status: "
        "0 imported (or a clean dry run), 1 rows rejected, 2 unusable input (district, path, format, mapping)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="the export: a CSV file, or a folder or zip (an NWEA MAP Comprehensive Data File)"
        )
        parser.add_argument("--district", required=True, help="district slug")
        parser.add_argument("--format", required=True, choices=sorted(FORMATS), help="the export's format")
        parser.add_argument("--mapping", help="the saved column mapping's name (generic format)")
        parser.add_argument("--measure", default="", help="measure key when the file does not say (Star, i-Ready)")
        parser.add_argument("--dry-run", action="store_true", help="validate and count; write nothing")
        parser.add_argument(
            "--accept-valid-rows", action="store_true", help="import the valid rows even when some are rejected"
        )
        parser.add_argument("--errors-csv", metavar="FILE", help="write the rejected rows to FILE as CSV")
        parser.add_argument("--user", help="username recorded as the one who ran the import")

    def handle(
        self, *args, path, district, format, mapping, measure, dry_run, accept_valid_rows, errors_csv, user, **options
    ):
        found, actor = resolve(district=district, user=user, path=path)
        saved = None
        if FORMATS[format].needs_mapping:
            if not mapping:
                raise CommandError("--mapping: the generic format needs a saved column mapping", returncode=2)
            with tenant_context(found):
                saved = ColumnMapping.objects.filter(district=found, name=mapping).select_related("measure").first()
            if saved is None:
                raise CommandError(f"--mapping: the district has no column mapping named {mapping!r}", returncode=2)

        run = scores_import(
            district=found,
            actor=actor,
            path=path,
            format=format,
            dry_run=dry_run,
            accept_valid_rows=accept_valid_rows,
            mapping=saved,
            measure=measure,
        )
        self._summary(run)
        finish(self, run, errors_csv=errors_csv, accept_valid_rows=accept_valid_rows, noun="file")

    def _summary(self, run) -> None:
        out = self.stdout
        out.write(f"{run.file_name}: {run.format}, {run.get_status_display()} (import run {run.pk})")
        if not run.plan.refused_whole:
            write_counts(out, run.counts, ["created", "updated", "unchanged", "rejected"])
            details = run.details
            if details.get("measures"):
                out.write("measures: " + ", ".join(f"{k} {n}" for k, n in sorted(details["measures"].items())))
            if details.get("windows"):
                out.write("windows: " + ", ".join(details["windows"]))
            if details.get("policy_versions"):
                out.write("risk levels from policy " + ", ".join(details["policy_versions"]))
            if details.get("unmatched_total"):
                out.write(f"student ids that match no student of the roster: {details['unmatched_total']}")
                for item in details.get("unmatched_students", [])[:SHOWN_ERRORS]:
                    out.write(f"  {item['key']} ({item['rows']} rows)")
            for warning in run.warnings:
                out.write(self.style.WARNING(f"warning: {warning}"))
        errors = run.plan.all_errors
        if errors:
            out.write(self.style.ERROR(f"{run.error_count} problem{'s' if run.error_count != 1 else ''}:"))
            for error in errors[:SHOWN_ERRORS]:
                where = error.file + (f" line {error.line}" if error.line else "")
                column = f" [{error.column}]" if error.column else ""
                out.write(self.style.ERROR(f"  {where}{column}: {error.reason}"))
            if run.error_count > SHOWN_ERRORS:
                out.write(f"  ... and {run.error_count - SHOWN_ERRORS} more (--errors-csv FILE writes them all)")

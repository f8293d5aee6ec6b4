"""The retention schedule by hand: a dry run (the report), then a purge of exactly what it counted.

    manage.py retention --district SLUG --dry-run
    manage.py retention --district SLUG --purge --confirm N     # N: the dry run's total

The purge takes the district's latest dry run not yet purged, refuses unless N is its total, and
stops (deleting nothing) when more rows are due than it counted (reports/retention.py).
"""

from django.core.management.base import BaseCommand, CommandError

from mtss.models import District, PurgeRun
from mtss.tenancy import tenant_context
from reports.retention import latest_dry_run, retention_dry_run, retention_purge


class Command(BaseCommand):
    help = "Retention: --dry-run counts what the district's schedule says has expired; --purge --confirm N deletes it."

    def add_arguments(self, parser):
        parser.add_argument("--district", required=True, help="district slug")
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--dry-run", action="store_true", help="count what has expired; delete nothing")
        mode.add_argument("--purge", action="store_true", help="delete what the latest dry run counted")
        parser.add_argument("--confirm", type=int, help="with --purge: the latest dry run's total, typed back")

    def handle(self, *args, district, dry_run, purge, confirm, **options):
        found = District.objects.filter(slug=district).first()
        if found is None:
            raise CommandError(f"--district: no district with slug {district!r}", returncode=2)
        with tenant_context(found):
            if dry_run:
                run = retention_dry_run(district=found, actor=None)
                self._report(run, "Dry run")
                self.stdout.write(
                    f"To purge: manage.py retention --district {found.slug} --purge --confirm {run.total}"
                )
                return
            run = latest_dry_run(district=found)
            if run is None:
                raise CommandError("--purge: the district has no dry run to purge; run --dry-run first", returncode=2)
            if confirm != run.total:
                raise CommandError(
                    f"--confirm: the latest dry run (#{run.pk}, as of {run.as_of}) counted {run.total} rows; "
                    f"type --confirm {run.total} to purge them",
                    returncode=2,
                )
            run = retention_purge(district=found, run=run, actor=None)
        if run.status == PurgeRun.Status.STOPPED:
            self._report(run, "Stopped")
            raise CommandError(f"Purge stopped, nothing deleted: {run.note}", returncode=3)
        self._report(run, "Purged")

    def _report(self, run: PurgeRun, title: str) -> None:
        self.stdout.write(f"{title}: purge run #{run.pk}, {run.district.slug}, as of {run.as_of}")
        for kind, count in run.counts.items():
            years = run.schedule.get(kind)
            done = f", deleted {run.purged_counts[kind]}" if kind in run.purged_counts else ""
            self.stdout.write(f"  {kind}: {count} due (kept {years} years){done}")
        self.stdout.write(f"  total: {run.total}")

"""A district leaves: export everything it owns, then purge it on request (reports/offboard.py).

    manage.py district_offboard --district SLUG --export DIR
    manage.py district_offboard --district SLUG --purge --confirm SLUG --export-manifest DIR/....manifest.json

The purge refuses (exit 2) unless --confirm is the slug, and (exit 3, nothing deleted) when the
database no longer holds exactly what the manifest counted. Its final report goes to stdout and to a
JSON file beside the manifest, which outlives the district's data.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mtss.models import District
from reports.offboard import OffboardRefused, export_district, purge_district


class Command(BaseCommand):
    help = "Offboard a district: --export DIR writes a zip of CSVs and a manifest; --purge deletes all its rows."

    def add_arguments(self, parser):
        parser.add_argument("--district", required=True, help="district slug")
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--export", metavar="DIR", help="write the district's zip of CSVs and its manifest here")
        mode.add_argument("--purge", action="store_true", help="delete every row of the district")
        parser.add_argument("--confirm", help="with --purge: the district's slug, typed back")
        parser.add_argument("--export-manifest", metavar="PATH", help="with --purge: the export's manifest")

    def handle(self, *args, district, export, purge, confirm, export_manifest, **options):
        found = District.objects.filter(slug=district).first()
        if found is None:
            raise CommandError(f"--district: no district with slug {district!r}", returncode=2)
        if export:
            done = export_district(district=found, directory=Path(export))
            self.stdout.write(f"Exported {found.slug}: {done.zip_path} (sha256 {done.manifest['zip']['sha256']})")
            for name, entry in done.manifest["tables"].items():
                self.stdout.write(f"  {name}: {entry['rows']} rows")
            self.stdout.write(f"  total: {done.manifest['total_rows']} rows")
            self.stdout.write(
                f"To purge: manage.py district_offboard --district {found.slug} --purge "
                f"--confirm {found.slug} --export-manifest {done.manifest_path}"
            )
            return
        if not export_manifest:
            raise CommandError("--export-manifest: the purge needs the manifest of the district's export", returncode=2)
        try:
            report = purge_district(district=found, confirm=confirm, manifest_path=Path(export_manifest))
        except OffboardRefused as refused:
            code = 2 if str(refused).startswith("--") else 3
            raise CommandError(f"Purge refused, nothing deleted: {refused}", returncode=code) from refused
        self.stdout.write(f"Purged {found.slug} (district #{found.pk}) as {report['database_role']}")
        for name, count in report["deleted"].items():
            self.stdout.write(f"  {name}: {count} deleted, 0 left")
        self.stdout.write(f"  total: {report['total_deleted']} rows deleted")
        self.stdout.write(f"Report: {report['report']['file']} (sha256 {report['report']['sha256']})")

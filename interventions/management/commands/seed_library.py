"""Add the programs the source documents name to one district's intervention library."""

from django.core.management.base import BaseCommand, CommandError

from interventions.library.seed import library_seed
from mtss.models import District
from mtss.tenancy import tenant_context


class Command(BaseCommand):
    help = "Seed a district's intervention library with the named programs: seed_library --district SLUG"

    def add_arguments(self, parser):
        parser.add_argument("--district", required=True, help="district slug")

    def handle(self, *args, district, **options):
        found = District.objects.filter(slug=district).first()
        if found is None:
            raise CommandError(f"--district: no district with slug {district!r}", returncode=2)
        with tenant_context(found):
            created = library_seed(district=found)
        self.stdout.write(f"{found.slug}: {created} program(s) added to the library.")

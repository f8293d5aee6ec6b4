"""Create an API token for one user in one district; the key is printed once."""

from django.core.management.base import BaseCommand, CommandError

from mtss.models import District, Membership, User
from mtss.services import api_token_create
from mtss.tenancy import tenant_context


class Command(BaseCommand):
    help = "Create a district-scoped API token: create_api_token --district SLUG --user USERNAME [--name NAME]"

    def add_arguments(self, parser):
        parser.add_argument("--district", required=True, help="district slug")
        parser.add_argument("--user", required=True, help="username of a member of that district")
        parser.add_argument("--name", default="api", help="a label for the token")

    def handle(self, *args, district, user, name, **options):
        found = District.objects.filter(slug=district).first()
        if found is None:
            raise CommandError(f"--district: no district with slug {district!r}", returncode=2)
        account = User.objects.filter(username=user).first()
        with tenant_context(found):
            if account is None or not Membership.objects.filter(district=found, user=account, is_active=True).exists():
                raise CommandError(f"--user: {user!r} is not an active member of {district}", returncode=2)
            _, key = api_token_create(district=found, user=account, name=name)
        self.stdout.write(key)

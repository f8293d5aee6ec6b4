"""`flush` (used by transactional tests), run as the owning login role."""

from django.core.management.commands.flush import Command as FlushCommand

from mtss.tenancy import owner_mode


class Command(FlushCommand):
    def handle(self, *args, **options):
        with owner_mode():
            return super().handle(*args, **options)

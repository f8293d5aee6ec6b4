"""`migrate`, run as the owning login role (the app role may not create tables)."""

from django.core.management.commands.migrate import Command as MigrateCommand

from mtss.tenancy import owner_mode


class Command(MigrateCommand):
    def handle(self, *args, **options):
        with owner_mode():
            return super().handle(*args, **options)

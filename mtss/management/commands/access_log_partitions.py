"""Create the access log's monthly partitions ahead, and drop whole months past retention.

Runs as the owner (MIGRATE_DATABASE_URL, like `migrate`): the deployment runs it after its
migrations and monthly (README, Production, "Access log retention"; mtss.access_log_partitions).
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from mtss import access_log_partitions as parts


class Command(BaseCommand):
    help = "access_log_partitions [--months-ahead N] [--drop-before YYYY-MM-DD]"

    def add_arguments(self, parser):
        parser.add_argument("--months-ahead", type=int, default=3, help="months to create after this one")
        parser.add_argument("--drop-before", default="", help="drop the months that end on or before this date")

    def handle(self, *args, months_ahead, drop_before, **options):
        if not 0 <= months_ahead <= 24:
            raise CommandError("--months-ahead: a number from 0 to 24", returncode=2)
        cutoff = None
        if drop_before:
            try:
                cutoff = dt.date.fromisoformat(drop_before)
            except ValueError:
                raise CommandError(f"--drop-before: {drop_before!r} is not a date (YYYY-MM-DD)", returncode=2) from None
        today = dt.datetime.now(dt.UTC).date()
        through = parts.month_start(today)
        for _ in range(months_ahead):
            through = parts.next_month(through)
        for name in parts.ensure_partitions(through=through):
            self.stdout.write(f"created {name}")
        if cutoff is not None:
            for name in parts.access_log_drop_before(cutoff):
                self.stdout.write(f"dropped {name}")

"""Record a mail provider's bounce: the letter goes on the notices page's "to call" list.

    manage.py notice_bounced --district SLUG --notice ID [--reason "550 mailbox unavailable"]

A provider's bounce webhook calls the same service (notifications.delivery.notice_bounced) with
the notice id it was given as the message's metadata when the e-mail was sent (README, Delivery
tracking).
"""

from django.core.management.base import BaseCommand, CommandError

from mtss.models import District
from mtss.tenancy import tenant_context
from notifications.delivery import notice_bounced
from notifications.models import Channel, Notice


class Command(BaseCommand):
    help = "Record that a notice's e-mail bounced: notice_bounced --district SLUG --notice ID [--reason TEXT]"

    def add_arguments(self, parser):
        parser.add_argument("--district", required=True, help="district slug")
        parser.add_argument("--notice", required=True, type=int, help="the notice id")
        parser.add_argument("--reason", default="", help="the provider's reason, e.g. its SMTP reply")

    def handle(self, *args, district, notice, reason, **options):
        found = District.objects.filter(slug=district).first()
        if found is None:
            raise CommandError(f"--district: no district with slug {district!r}", returncode=2)
        with tenant_context(found):
            row = Notice.objects.filter(district=found, pk=notice, channel=Channel.EMAIL).first()
            if row is None:
                raise CommandError(f"--notice: the district has no e-mailed notice {notice}", returncode=2)
            new = notice_bounced(found, row, reason=reason)
        self.stdout.write("Recorded." if new else "Already recorded.")

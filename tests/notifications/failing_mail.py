"""An e-mail backend whose server is down (the outside world, mocked)."""

from django.core.mail.backends.base import BaseEmailBackend


class Backend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")

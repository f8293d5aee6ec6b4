"""Settings for the test suite: pyproject.toml names this module for pytest-django.

They are the production settings in test mode (mtss/settings.py reads MTSS_TESTING):
the demo secret key, fast password hashing, no HTTPS-only cookies, static files from
the finders. Test mode is switched on here, by the test configuration only, never by
whatever a process happens to import. A subprocess that sets MTSS_TESTING=0 itself (the
production checks in tests/test_accounts.py) keeps the production settings.
"""

import os

os.environ.setdefault("MTSS_TESTING", "1")

from mtss.settings import *  # noqa: E402,F403

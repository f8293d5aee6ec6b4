"""Browser tests: Playwright on Debian's Chromium against pytest-django's live_server."""

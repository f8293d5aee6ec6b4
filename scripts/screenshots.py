"""Take the README's screenshots from a running demo (`make demo` in another shell).

    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000]

Uses Debian's Chromium through Playwright; writes docs/screenshots/*.png.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "demo-password-2026"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def sign_in(page, username):
    page.goto(f"{BASE}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def shot(page, name):
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
    print("wrote", OUT / f"{name}.png")


def main():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(page, "specialist.loudon")
        page.goto(f"{BASE}/interventions/caseload/")
        shot(page, "caseload")
        page.locator("#caseload tbody tr a").first.click()
        page.wait_for_load_state()
        shot(page, "plan-progress")
        page.goto(f"{BASE}/interventions/groups/")
        page.locator("table a").first.click()
        page.wait_for_load_state()
        shot(page, "session-log")
        page.context.clear_cookies()
        sign_in(page, "principal.loudon")
        page.goto(f"{BASE}/students/")
        shot(page, "students-list")
        page.context.clear_cookies()
        sign_in(page, "admin.loudon")
        page.goto(f"{BASE}/policy/")
        shot(page, "policy")
        browser.close()


if __name__ == "__main__":
    main()

"""Browser-test infrastructure: Playwright driving Debian's Chromium against live_server.

What a browser test gets:

* ``browser``: one headless Chromium for the whole browser suite (package scope:
  torn down right after the last test under tests/browser/, see below).
* ``page``: a fresh browser context and page per test, with ``base_url`` set to
  the live server, so ``page.goto("/students/")`` works. Requesting it also
  starts ``live_server`` and so makes the test's database transactional: create
  data (e.g. the ``world`` fixture) *before* the browser drives the page; it is
  committed and the server thread sees it. pytest-django flushes afterwards.
* helpers, each of which runs an axe-core scan of the page it lands on unless
  told ``axe=False``:

  - ``visit(page, url, status=200)``: navigate, check the status, scan;
  - ``follow(page, locator, status=200)``: click a link/button that navigates, scan;
  - ``htmx_submit(page, action)``: trigger an htmx request, wait for the swap, check
    the page did not reload, scan;
  - ``sign_in(page, live_server, user)``: the real login form, then scan the landing page;
  - ``axe_check(page)``: scan now; fails listing every serious/critical violation;
  - ``screenshot(page, name)``: docs/screenshots/<name>.png, only when SCREENSHOTS=1.

A test that fails leaves a full-page screenshot in var/browser-failures/.
Uncaught JavaScript errors and failed /static/ requests fail the test.

Chromium missing is a test *error* with a clear message, never a skip: CI
installs Debian's ``chromium`` (.ci/run). CHROMIUM_PATH overrides the binary.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

# Playwright's sync API keeps an asyncio loop "running" in this thread while it is
# started, which makes Django refuse ORM calls; tests/conftest.py sets this too.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
AXE_JS = HERE / "axe.min.js"
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"
FAILURE_DIR = ROOT / "var" / "browser-failures"

CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000
BLOCKING_IMPACTS = ("serious", "critical")

_REPORTS = pytest.StashKey[dict]()


# --- collection and reporting ---------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Everything under tests/browser/ is a browser test (so `-m "not browser"` works)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


# --- browser and page -------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for all browser tests.

    Package scope rather than session scope: the sync Playwright driver leaves an
    asyncio loop marked as running in the main thread until it stops, which would
    break any later non-browser test using asyncio/async_to_sync. Package scope
    stops it right after the last test in tests/browser/ (sub-packages included),
    and still launches Chromium once.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. Browser tests need Debian's `chromium` package "
            "(apt-get install chromium) or CHROMIUM_PATH set to a Chromium binary. "
            "They are never skipped: CI installs it (.ci/run).",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - the dev extra installs it
        pytest.fail(f"Python Playwright is not installed ({error}); run `make venv`.", pytrace=False)
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as error:
        playwright.stop()
        pytest.fail(f"Chromium at {CHROMIUM} did not start: {error}", pytrace=False)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page(browser, live_server, request):
    """A fresh context (cookies, storage) and page for one test, pointed at live_server."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=VIEWPORT,
        locale="en-US",
        timezone_id="America/New_York",
        reduced_motion="reduce",
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    js_errors: list[str] = []
    static_failures: list[str] = []
    tab.on("pageerror", lambda error: js_errors.append(str(error)))
    tab.on(
        "response",
        lambda response: (
            static_failures.append(f"{response.status} {response.url}")
            if "/static/" in response.url and response.status >= 400
            else None
        ),
    )
    yield tab
    call = request.node.stash.get(_REPORTS, {}).get("call")
    if call is not None and call.failed and not tab.is_closed():
        FAILURE_DIR.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
        try:
            tab.screenshot(path=str(FAILURE_DIR / f"{name}.png"), full_page=True)
        except Exception:  # noqa: BLE001 - a debugging aid must not mask the failure
            pass
    context.close()
    assert not js_errors, "uncaught JavaScript errors in the page:\n" + "\n".join(js_errors)
    assert not static_failures, "static files failed to load:\n" + "\n".join(static_failures)


# --- helpers ---------------------------------------------------------------------------------

_AXE_RUN = """async ([selector, disabled]) => {
  const options = {resultTypes: ['violations']};
  if (disabled.length) {
    options.rules = Object.fromEntries(disabled.map((id) => [id, {enabled: false}]));
  }
  const results = await axe.run(selector ? document.querySelector(selector) : document, options);
  const target = (t) => t.map((part) => Array.isArray(part) ? part.join(' >>> ') : part).join(' ');
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: target(n.target), summary: n.failureSummary || ''})),
  }));
}"""


def _format_violations(page, violations: list[dict]) -> str:
    lines = [
        f"axe-core found {len(violations)} serious/critical accessibility violation(s) on {page.url} "
        f"({page.title()!r}):"
    ]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']}  ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            parts = [line.strip() for line in node["summary"].splitlines() if line.strip()]
            summary = "; ".join(parts).replace(":;", ":")
            lines.append(f"    {node['target']}  -- {summary[:300]}")
        if len(v["nodes"]) > 10:
            lines.append(f"    ... and {len(v['nodes']) - 10} more element(s)")
    return "\n".join(lines)


def axe_check(
    page, *, within: str | None = None, disable: tuple[str, ...] = (), impacts: tuple[str, ...] = BLOCKING_IMPACTS
) -> list[dict]:
    """Scan the page (or the element matching the CSS selector `within`) with axe-core.

    Fails with one readable line per serious/critical violation (rule id, impact,
    help, then each offending element's selector). Returns every violation found,
    minor and moderate included, for tests that want to look closer. `disable`
    turns rules off by id: use it only with a comment saying why.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Served from the page's own origin, so the app's Content-Security-Policy
        # (script-src 'self', no inline scripts) stays on while axe runs.
        if page.url.startswith("about:"):
            # A page made with set_content has no origin and no policy: inline the script.
            page.add_script_tag(path=str(AXE_JS))
        else:
            page.context.route(
                "**/__axe__.js", lambda route: route.fulfill(path=str(AXE_JS), content_type="application/javascript")
            )
            page.add_script_tag(url="/__axe__.js")
    violations = page.evaluate(_AXE_RUN, [within, list(disable)])
    blocking = [v for v in violations if v["impact"] in impacts]
    for v in violations:  # the rest is printed: shown with -s, or with a failure's captured output
        if v not in blocking:
            print(
                f"axe [{v['impact']}] {v['id']} on {page.url}: {v['help']} "
                f"({', '.join(n['target'] for n in v['nodes'][:5])})"
            )
    if blocking:
        pytest.fail(_format_violations(page, blocking), pytrace=False)
    return violations


def visit(page, url: str, *, status: int = 200, axe: bool = True):
    """Open `url` (absolute or relative to live_server), check the status, scan with axe."""
    response = page.goto(url)
    assert response is not None, f"no response for {url}"
    assert response.status == status, f"GET {url} answered {response.status}, expected {status}"
    if axe:
        axe_check(page)
    return response


def follow(page, locator, *, status: int = 200, axe: bool = True):
    """Click something that navigates (a link, a plain form's button), check the status, scan."""
    with page.expect_navigation() as navigation:
        locator.click()
    response = navigation.value
    assert response is not None, f"no response after clicking {locator}"
    assert response.status == status, (
        f"{response.request.method} {response.url} answered {response.status}, expected {status}"
    )
    page.wait_for_load_state("load")
    if axe:
        axe_check(page)
    return response


_HTMX_IDLE = """() => !document.querySelector(
  '.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"""


def htmx_submit(page, action, *, axe: bool = True):
    """Run `action` (a click or key press that fires an htmx request) and wait for the swap.

    Checks that htmx handled it (HX-Request header, no full page reload) and that
    the response was 2xx, then scans the updated page.
    """
    page.evaluate("() => { window.__mtssNoReload = true; }")
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true") as info:
        action()
    response = info.value
    assert response.ok, f"htmx {response.request.method} {response.url} answered {response.status}"
    page.wait_for_function(_HTMX_IDLE)
    assert page.evaluate("() => window.__mtssNoReload === true"), "the page reloaded: htmx did not handle the request"
    if axe:
        axe_check(page)
    return response


def sign_in(page, live_server, user, password: str = PASSWORD, *, success: bool = True, axe: bool = True):
    """Sign in through the real login form; scan the login page and the page it lands on.

    With success=False the form is expected to come back with an error.
    """
    login_url = live_server.url + reverse("login")
    visit(page, login_url, axe=axe)
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    response = follow(page, page.get_by_role("button", name="Sign in"), axe=axe)
    if success:
        assert not page.url.startswith(login_url), (
            f"sign-in as {user.username} failed: {page.locator('main').inner_text()[:300]}"
        )
    else:
        assert page.url.startswith(login_url), f"sign-in as {user.username} unexpectedly succeeded"
    return response


def screenshot(page, name: str) -> Path | None:
    """Save docs/screenshots/<name>.png (full page) when SCREENSHOTS=1; otherwise do nothing."""
    if os.environ.get("SCREENSHOTS") != "1":
        return None
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

"""The notices pages in the browser, scanned with axe-core: the list, a letter's preview in
Arabic (right to left) and Spanish, the student's letter history, print batches and the
district's letter settings."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, visit
from tests.notifications.helpers import add_progress, all_language_policy, sample_notice, use_policy
from tests.program import program  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def test_staff_preview_and_follow_a_notice(page, live_server, program):  # noqa: F811
    side = program["side"]
    use_policy(side.district, all_language_policy())
    for plan in program["plans"]:
        add_progress(plan)
    student = program["plans"][0].student
    notice = sample_notice(
        district=side.district, student=student, letter_type="placement_start", language="ar", save=True
    )
    sign_in(page, live_server, side.district_admin)
    visit(page, "/notices/")
    expect(page.locator("main")).to_contain_text(student.last_name)
    visit(page, f"/notices/{notice.pk}/")
    preview = page.locator("main [lang=ar][dir=rtl]").first
    expect(preview).to_be_visible()  # the Arabic letter reads right to left
    visit(page, f"/notices/{notice.pk}/?lang=es")
    visit(page, f"/notices/students/{student.pk}/")
    expect(page.locator("main")).to_contain_text("Start of services")
    visit(page, "/notices/print/")
    visit(page, "/notices/settings/")
    pdf = page.request.get(f"{live_server.url}/notices/{notice.pk}/pdf/")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

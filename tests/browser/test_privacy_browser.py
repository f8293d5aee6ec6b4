"""Issue 18: the privacy page, a student's record of disclosures and the copies of the record,
each scanned by axe (tests/browser/conftest.py `visit`, at desktop and 768 px)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mtss.tenancy import tenant_context
from students.models import Guardian
from students.privacy.models import DisclosureChannel
from students.privacy.services import copy_request_create, disclosures_record
from tests.browser.conftest import sign_in, visit

pytestmark = pytest.mark.browser


def test_a_principal_reads_the_privacy_page_disclosures_and_copy_requests(page, live_server, world):
    side = world.a
    student = side.students[0]
    with tenant_context(side.district):
        disclosures_record(
            district=side.district,
            student_ids=[student.pk],
            channel=DisclosureChannel.EXPORT,
            recipient="Pat Principal (download)",
            purpose="fidelity report",
            what="plans (csv)",
            actor=side.principal,
        )
        guardian = Guardian.objects.get(district=side.district, student=student)
        copy_request_create(side.district, guardian, student)
    sign_in(page, live_server, side.principal)
    visit(page, f"{live_server.url}/privacy/")
    expect(page.locator("#collected tbody tr")).to_have_count(8)
    visit(page, f"{live_server.url}/students/{student.pk}/disclosures/")
    expect(page.locator("#disclosures tbody tr")).to_have_count(1)
    expect(page.locator("#disclosures")).to_contain_text("fidelity report")
    visit(page, f"{live_server.url}/students/{student.pk}/record-copies/")
    expect(page.locator("#record-copies tbody tr")).to_have_count(1)
    expect(page.get_by_role("button", name="Approve")).to_be_visible()

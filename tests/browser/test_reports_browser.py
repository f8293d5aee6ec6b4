"""A principal opens the fidelity dashboard, drills down to a plan and exports the table;
the district dashboard and the compliance reports pass axe-core too."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from mtss.tenancy import tenant_context
from reports.services import dashboard_refresh
from tests.browser.conftest import follow, screenshot, sign_in, visit
from tests.reports.cases import access_logs, fidelity_case

pytestmark = pytest.mark.browser


def test_a_principal_drills_down_to_a_plan_and_exports_the_table(page, live_server, world):
    case = fidelity_case(world)
    side = case["side"]
    sign_in(page, live_server, side.principal)
    visit(page, f"/reports/fidelity/{case['school'].pk}/?start={case['start']}&end={case['end']}")
    expect(page.locator("h1")).to_contain_text(case["school"].name)
    expect(page.locator("#sessions-share")).to_have_text("65%")  # 44 of 68 planned sessions
    expect(page.locator("#by-provider")).to_contain_text("Alex Archer")
    expect(page.locator("#summary")).to_contain_text("too few to judge")  # 2 of 4 plans: n < 10
    screenshot(page, "fidelity-dashboard")

    # Drill down: the plans with no session in 14 days, then the plan itself.
    follow(page, page.locator("#summary tbody tr").nth(7).get_by_role("link").first)
    plans = page.locator("#plans tbody tr")
    expect(plans).to_have_count(1)
    expect(plans.first).to_contain_text("Diaz")
    expect(page.locator("#sessions tbody tr")).to_have_count(2)
    drill_url = page.url
    follow(page, plans.first.get_by_role("link", name="Diaz"))
    expect(page.locator("h1")).to_contain_text("Diaz")

    # Back on the drill-down: export the plans table as CSV and as XLSX.
    visit(page, drill_url)
    with page.expect_download() as download:
        page.locator("#table-plans a[data-export='csv']").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Student" and len(rows) == 2 and rows[1][0].startswith("Diaz")
    with page.expect_download() as download:
        page.locator("#table-plans a[data-export='xlsx']").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    assert sheet["A2"].value.startswith("Diaz") and sheet["I2"].value == 2  # two sessions attended
    exports = access_logs(side.district, action="export")
    assert [log.student_ids for log in exports] == [[case["plans"]["P4"].student_id]] * 2


def test_the_principal_subscribes_to_the_weekly_pdf(page, live_server, world):
    case = fidelity_case(world)
    sign_in(page, live_server, case["side"].principal)
    visit(page, f"/reports/fidelity/{case['school'].pk}/?start={case['start']}&end={case['end']}")
    follow(page, page.get_by_role("button", name="E-mail me this summary every Monday"))
    expect(page.get_by_role("status")).to_contain_text("Subscribed")
    expect(page.get_by_role("button", name="Stop the weekly e-mail")).to_be_visible()
    visit(page, "/reports/subscriptions/")
    expect(page.locator("#subscriptions")).to_contain_text(case["school"].name)


def test_the_district_dashboard_and_compliance_reports_are_accessible(page, live_server, world):
    case = fidelity_case(world)
    # The dashboard reads the nightly snapshot of its counts: take it, as the nightly job would.
    district = case["side"].district
    with tenant_context(district):
        dashboard_refresh(district=district)
    sign_in(page, live_server, case["side"].district_admin)
    visit(page, "/reports/district/")
    expect(page.locator("#tier-chart")).to_be_visible()
    expect(page.locator("#tiers")).to_contain_text("All schools")
    screenshot(page, "district-dashboard")
    for url in (
        "/reports/compliance/building-log/",
        "/reports/compliance/emis/",
        "/reports/compliance/rimp/",
        "/reports/compliance/referral-readiness/",
        "/reports/compliance/program-evaluation/",
        "/reports/",
    ):
        visit(page, url)
        expect(page.locator("h1")).to_be_visible()

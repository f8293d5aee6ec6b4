"""The family portal on a phone (375 px), scanned with axe-core on every page: a Spanish-speaking
guardian accepts an invitation, reads the progress graph, acknowledges a letter and writes to
the team; staff see the message and answer it; an Arabic-speaking guardian reads right to left."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_check, sign_in, visit
from tests.notifications.helpers import add_progress, all_language_policy, use_policy
from tests.notifications.portal_helpers import PASSWORD, invite, sent_letter
from tests.program import program  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}


def test_a_spanish_family_joins_reads_acknowledges_and_writes_and_staff_answer(page, live_server, program):  # noqa: F811
    side = program["side"]
    use_policy(side.district, all_language_policy())
    for plan in program["plans"]:
        add_progress(plan)
    student = program["plans"][0].student
    _invitation, token, _code = invite(side, student)
    letter = sent_letter(side, student)
    page.set_viewport_size(PHONE)
    # The first page of a session loads the stylesheets cold; on a loaded machine that can take
    # longer than a navigation's usual 10 s (the page itself is checked right after).
    page.goto("/family/sign-in/", timeout=60_000)

    visit(page, f"/family/join/{token}/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_label("Correo electrónico").fill("familia@example.org")
    page.get_by_label("Elija una contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Crear mi cuenta").click()
    page.wait_for_url(f"**/family/children/{student.pk}/")
    axe_check(page)
    main = page.locator("main")
    expect(main.locator("figure svg").first).to_be_visible()  # the progress graph
    expect(main).to_contain_text(f"{student.first_name} está creciendo")
    expect(main).to_contain_text("Nivel 2")

    page.get_by_role("button", name="Recibí esta carta").click()
    page.wait_for_url(f"**/family/children/{student.pk}/#letters")
    expect(main).to_contain_text("Usted confirmó que recibió esta carta.")
    axe_check(page)

    page.get_by_label("Escribir al equipo").fill("¿Cómo va la lectura en casa?")
    page.get_by_role("button", name="Enviar", exact=True).click()
    page.wait_for_url(f"**/family/children/{student.pk}/#messages")
    expect(main).to_contain_text("¿Cómo va la lectura en casa?")
    axe_check(page)
    page.get_by_role("button", name="Cerrar sesión").click()

    sign_in(page, live_server, side.district_admin)
    visit(page, "/notices/family-messages/")
    expect(page.locator("main")).to_contain_text("¿Cómo va la lectura en casa?")
    visit(page, f"/notices/students/{student.pk}/family/")
    page.locator("main textarea").first.fill("Va muy bien, gracias.")
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url(f"**/notices/students/{student.pk}/family/")
    expect(page.locator("main")).to_contain_text("Va muy bien, gracias.")
    axe_check(page)
    visit(page, f"/notices/students/{student.pk}/")
    expect(page.locator("main")).to_contain_text("acknowledged by the family in the portal")
    assert letter.pk


def test_an_arabic_family_sees_the_portal_right_to_left(page, live_server, program):  # noqa: F811
    side = program["side"]
    student = program["plans"][0].student
    _invitation, token, _code = invite(side, student)
    page.set_viewport_size(PHONE)
    visit(page, f"/family/join/{token}/?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("#accept-email").fill("ar@example.org")
    page.locator("#accept-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"**/family/children/{student.pk}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    axe_check(page)

"""PDFs rendered in the request: cached, and limited per user (mtss.pdf, mtss.throttles).

Issue 16, web hardening: referral packets, recaps and fidelity summaries were rendered
in the request without limit; four renders at once made a cheap API call take 8 s.
"""

from __future__ import annotations

import uuid

import pytest

from mtss import pdf
from mtss.tenancy import tenant_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders(settings, monkeypatch):
    """Count WeasyPrint renders, with a cache namespace of this test's own."""
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "KEY_PREFIX": uuid.uuid4().hex}}
    calls = []
    original = pdf.render_pdf

    def counting(template, context):
        calls.append(template)
        return original(template, context)

    monkeypatch.setattr(pdf, "render_pdf", counting)
    return calls


def _packet(client, student):
    return client.get(f"/interventions/students/{student.pk}/referral-packet.pdf")


def test_a_repeat_download_comes_from_the_cache_until_the_student_changes(world, login, renders):
    client = login(world.a.district_admin)
    student = world.a.students[0]
    first, second = _packet(client, student), _packet(client, student)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first.content.startswith(b"%PDF")
    assert "no-store" in first["Cache-Control"]
    assert len(renders) == 1
    with tenant_context(world.a.district):
        student.first_name = "Renamed"
        student.save(update_fields=["first_name"])
    assert _packet(client, student).status_code == 200
    assert len(renders) == 2


def test_it_limits_renders_per_user_with_a_clear_429(world, login, renders, settings):
    settings.PDF_RATE_PER_USER = "2/m"
    client = login(world.a.district_admin)
    a, b, c = world.a.students[:3]
    assert _packet(client, a).status_code == 200
    assert _packet(client, b).status_code == 200
    refused = _packet(client, c)
    assert refused.status_code == 429
    assert "downloaded many documents in a short time" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert len(renders) == 2
    assert _packet(client, a).status_code == 200  # cached: not a render, not counted
    other = login(world.a.principal)
    assert _packet(other, c).status_code == 200  # another user has a budget of their own
    assert len(renders) == 3


def test_the_recap_and_the_fidelity_summary_are_limited_too(world, login, renders, settings):
    from tests.interventions.tenancy_objects import _objects

    settings.PDF_RATE_PER_USER = "1/m"
    client = login(world.a.district_admin)
    meeting = _objects(world.a)["meeting"]
    assert client.get(f"/interventions/meetings/{meeting.pk}/recap.pdf").status_code == 200
    assert client.get(f"/reports/fidelity/{world.a.school.pk}/summary.pdf").status_code == 429

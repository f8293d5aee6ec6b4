"""The district's privacy page (issue 18, item 5): how long comes from the policy's retention
schedule, who processes from its sub-processors; each district sees its own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from mtss.policy import preset_data
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context

pytestmark = pytest.mark.django_db


def test_the_privacy_page_reads_the_districts_retention_and_sub_processors(world, login):
    document = preset_data("loudon-county-tn")
    document["privacy"] = {
        "retention": {"intervention_records_years_after_exit": 7, "access_log_years": 3},
        "sub_processors": [{"name": "Mailco", "purpose": "Sends the e-mailed letters", "location": "USA"}],
        "contact": "privacy@district-a.example",
    }
    with tenant_context(world.a.district):
        policy_version_create(
            district=world.a.district, actor=world.a.district_admin, data=document, effective_from=dt.date(2020, 1, 1)
        )
    page = login(world.a.teacher).get(reverse("privacy"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "7 years after the student leaves" in text
    assert "3 years" in text
    assert "5 years after the student leaves" in text  # the screening scores' default
    assert "Mailco" in text and "privacy@district-a.example" in text
    other = login(world.b.teacher).get(reverse("privacy")).content.decode()
    assert "Mailco" not in other and "7 years after" not in other


def test_the_privacy_page_needs_a_member(client):
    response = client.get(reverse("privacy"))
    assert response.status_code == 302

"""JIT compilation is off on the app's connections, in and out of a tenant's transaction
(issue 16, item 7: one district-dashboard query spent 8.4 s compiling at 10,000 students)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from mtss.tenancy import tenant_context
from tests.factories import make_district

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _jit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        return cursor.fetchone()[0]


def test_jit_is_off_on_a_new_connection_and_in_a_tenant_transaction():
    connection.close()
    assert _jit() == "off"
    district = make_district("jit-a")
    with tenant_context(district), transaction.atomic():
        assert _jit() == "off"


def test_a_transaction_sets_it_again_after_a_session_change():
    # What a transaction pooler does: the server connection may carry another client's setting.
    with connection.cursor() as cursor:
        cursor.execute("SET jit = on")
    district = make_district("jit-b")
    with tenant_context(district), transaction.atomic():
        assert _jit() == "off"

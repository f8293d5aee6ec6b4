"""Row-level security on the screening tables (the routes are in tests/test_tenancy_urls.py's walk)."""

import pytest

from mtss.tenancy import tenant_context
from screening.models import ReviewItem, Score
from tests.screening.helpers import screened_side


@pytest.mark.postgres
@pytest.mark.django_db
def test_row_level_security_hides_another_districts_scores(world):
    a, b = screened_side(world.a), screened_side(world.b)
    with tenant_context(world.a.district):
        # No district filter at all: the database itself shows only district a's rows.
        assert set(Score.objects.values_list("pk", flat=True)) == set(
            Score.objects.filter(district=world.a.district).values_list("pk", flat=True)
        )
        assert not Score.objects.filter(pk=b["score"].pk).exists()
        assert not ReviewItem.objects.filter(pk=b["item"].pk).exists()
        assert ReviewItem.objects.filter(pk=a["item"].pk).exists()
    with tenant_context(None):
        assert Score.objects.count() == 0

"""The risk recomputation job on a real Celery worker and Redis (deselected only without them)."""

import datetime as dt

import pytest
from django.conf import settings

from mtss.policy import preset_data
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context
from screening import services
from screening.models import Score
from screening.tasks import risk_recompute_task
from tests.screening.helpers import score_items, setup_district
from tests.test_jobs import QUEUE, worker  # noqa: F401  (fixture: a Celery worker process on the test database)

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.mark.django_db(transaction=True)
def test_a_worker_recomputes_risk_levels_after_a_policy_change(world, worker):  # noqa: F811
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    side = world.a
    setup_district(side)
    services.scores_create_bulk(district=side.district, actor=None, items=score_items(side, {0: 20, 1: 60}))
    data = preset_data("loudon-county-tn")
    data["screening"]["measures"][1]["risk"]["bands"] = [{"label": "well below", "below_percentile": 70}]
    with tenant_context(side.district):
        policy_version_create(district=side.district, actor=None, data=data, effective_from=dt.date(2026, 9, 1))

    result = risk_recompute_task.apply_async(args=[side.district.pk, "2026-09-01"], queue=QUEUE).get(timeout=60)

    assert result["changed"] == 2 and result["review_items_created"] == 1
    with tenant_context(side.district):
        labels = set(Score.objects.filter(district=side.district).values_list("risk_label", "policy_label"))
    assert labels == {("well below", "loudon-county-tn@2")}

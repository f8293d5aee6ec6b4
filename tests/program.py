"""Shared fixture `program`: a Loudon-policy district with a specialist's Tier 2 group of three plans."""

import datetime as dt

import pytest

from interventions.models import Intervention
from interventions.services import group_create, plan_create
from mtss.policy import preset_data
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context

START = dt.date(2026, 9, 7)  # a Monday


@pytest.fixture
def program(world):
    """Loudon's policy, a library entry and a Tier 2 reading group of three students."""
    side = world.a
    with tenant_context(side.district):
        policy_version_create(
            district=side.district, actor=None, data=preset_data("loudon-county-tn"), effective_from=dt.date(2026, 8, 1)
        )
        intervention = Intervention.objects.create(
            district=side.district,
            name="Fundations",
            area="reading",
            tiers=[2, 3],
            sessions_per_week=4,
            minutes_per_session=30,
        )
        group = group_create(
            district=side.district,
            actor=side.district_admin,
            school=side.school,
            provider=side.intervention_specialist,
            name="Grade 2 fluency",
            area="reading",
            tier=2,
            intervention=intervention,
            sessions_per_week=4,
            minutes_per_session=30,
        )
        plans = []
        for student in side.students[:3]:
            plan, _ = plan_create(
                district=side.district,
                actor=side.intervention_specialist,
                student=student,
                area="reading",
                tier=2,
                intervention=intervention,
                provider=side.intervention_specialist,
                group=group,
                start_date=START,
                expected_end_date=START + dt.timedelta(weeks=12),
                goal_measure="R-CBM WRC",
                goal_target=90,
                goal_target_date=START + dt.timedelta(weeks=12),
                sessions_per_week=4,
                minutes_per_session=30,
                baseline_probes=[
                    (START - dt.timedelta(days=3), 40),
                    (START - dt.timedelta(days=2), 44),
                    (START - dt.timedelta(days=1), 42),
                ],
            )
            plans.append(plan)
        # The plans stand for services already running when a test starts: the start-of-services
        # letters their creation queued (notifications/triggers.py, PLACEMENT_STARTED) are not the
        # subject of the tests that use this fixture (tests/notifications/test_triggers.py is).
        from notifications.models import Notice

        Notice.objects.filter(district=side.district).delete()
    return {"side": side, "intervention": intervention, "group": group, "plans": plans}

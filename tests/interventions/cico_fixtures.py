"""Shared fixture `cico`: an LAUSD-policy district (it has a behavior area) with a Tier 2
check-in/check-out plan whose point card has three periods and two goals."""

from __future__ import annotations

import datetime as dt

import pytest

from interventions.cico.services import point_card_setup_save
from interventions.models import Intervention
from interventions.services import plan_create
from mtss.policy import preset_data
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context
from students.services import student_grant_access

START = dt.date(2026, 9, 7)  # a Monday
PERIODS = ["Check-in", "Period 1", "Period 2"]
GOALS = ["Be safe", "Be respectful"]


@pytest.fixture
def cico(world):
    side = world.a
    with tenant_context(side.district):
        policy_version_create(
            district=side.district, actor=None, data=preset_data("lausd-secondary"), effective_from=dt.date(2026, 8, 1)
        )
        intervention = Intervention.objects.create(
            district=side.district, name="Check-in/check-out", area="behavior", tiers=[2], sessions_per_week=5
        )
        plan, _warnings = plan_create(
            district=side.district,
            actor=side.intervention_specialist,
            student=side.students[0],
            area="behavior",
            tier=2,
            intervention=intervention,
            provider=side.intervention_specialist,
            start_date=START,
            expected_end_date=START + dt.timedelta(weeks=10),
            goal_measure="Daily point card %",
            goal_target=80,
            goal_target_date=START + dt.timedelta(weeks=10),
            sessions_per_week=5,
            minutes_per_session=10,
        )
        setup = point_card_setup_save(
            district=side.district, actor=None, plan=plan, periods=PERIODS, goals=GOALS, daily_goal_percent=80
        )
        # The student's teacher sees the student (a teacher of an enrolled student, students/services.py).
        student_grant_access(district=side.district, user=side.teacher, student_ids=[plan.student_id])
        from notifications.models import Notice

        Notice.objects.filter(district=side.district).delete()
    return {"side": side, "plan": plan, "setup": setup, "intervention": intervention, "world": world}

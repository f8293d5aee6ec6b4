"""Builders for notices tests: a policy that offers every letter language, probes and
sessions on a plan so progress letters have a graph, and a full event context."""

from __future__ import annotations

import copy
import datetime as dt

from mtss.policy import preset_data
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context
from notifications.languages import CATALOGUED
from notifications.models import Channel, LetterType, Notice
from notifications.services import LETTER_BLOCKS, required_blocks

# The context a meeting decision passes (the meetings code's shape), complete for every block.
FULL_CONTEXT = {
    "reason": "Below the 25th percentile on the fall screening",
    "from_tier": 2,
    "to_tier": 3,
    "decision": "intensify",
    "summary": "Two more sessions a week.",
    "meeting": {"date": "2026-10-05", "time": "15:30", "place": "Room 12", "purpose": "S-Team review"},
    "screening": [{"measure": "aimsweb R-CBM", "score": 41, "at_risk": True}],
    "deficiency": "phonics",
    "proposed_services": ["Small-group phonics, 30 minutes daily"],
    "teacher_recommendation": "Continue in Tier 1 with monitoring",
    "criteria": "Three scores above the aim line",
    "plan_sections": {"rimp": ["The student's specific reading deficiencies", "Continued progress monitoring"]},
}


def all_language_policy(preset: str = "loudon-county-tn") -> dict:
    data = copy.deepcopy(preset_data(preset))
    data["parent_contact"]["languages"] = list(CATALOGUED)
    return data


def policy_without(language: str, preset: str = "loudon-county-tn") -> dict:
    """The preset with one letter language taken out (the presets offer every catalogued one)."""
    data = copy.deepcopy(preset_data(preset))
    contact = data["parent_contact"]
    contact["languages"] = [code for code in contact["languages"] if code != language]
    contact["send_unreviewed_letters"] = [
        code for code in contact.get("send_unreviewed_letters", []) if code != language
    ]
    return data


def use_policy(district, data: dict, effective_from=dt.date(2026, 8, 1)):
    with tenant_context(district):
        return policy_version_create(district=district, actor=None, data=data, effective_from=effective_from)


def sample_notice(
    *,
    district,
    student,
    letter_type: str,
    language: str,
    guardian=None,
    blocks=None,
    context=None,
    period_key="sample",
    save=False,
) -> Notice:
    """A notice as notices_for_event would write it, for one letter type."""
    policy_blocks = {
        "placement_start": ["data_to_be_collected", "strategies_for_rate_of_learning", "right_to_request_evaluation"],
        "placement_end": ["teacher_recommendation"],
        "not_on_track": ["retention_possible"],
        "screening_results": ["program_overview", "team_invitation"],
    }.get(letter_type, [])
    notice = Notice(
        district=district,
        student=student,
        school=student.school,
        guardian=guardian,
        recipient_key=f"guardian:{guardian.pk}" if guardian else "student",
        recipient_name=f"{guardian.first_name} {guardian.last_name}" if guardian else student.full_name,
        email="",
        address="Alex Example\n1 Main St\nTown, TN 37774",
        notice_key=f"sample-{letter_type}",
        letter_type=letter_type,
        trigger="",
        title=letter_type,
        content_blocks=blocks if blocks is not None else required_blocks(letter_type, policy_blocks),
        period_key=period_key,
        language=language,
        channel=Channel.PRINT,
        context=dict(FULL_CONTEXT if context is None else context),
        tier=2 if letter_type == LetterType.PLACEMENT_END else 3,
        due_date=dt.date(2026, 12, 4),
    )
    if letter_type == LetterType.RIMP:
        notice.notice_key = "rimp"
    if letter_type == LetterType.POINT_CARD_SUMMARY and context is None:
        # The week of the student's check-in/check-out card (add_point_cards), as the evening job writes it.
        from interventions.cico.models import PointCard

        card = PointCard.objects.filter(district=district, plan__student=student).order_by("date").first()
        if card is not None:
            notice.context.update(
                point_card_plan=card.plan_id,
                start=card.date.isoformat(),
                end=(card.date + dt.timedelta(days=4)).isoformat(),
            )
    if save:
        with tenant_context(district):
            notice.save()
    return notice


def add_progress(plan, *, weeks: int = 6, start=None):
    """Weekly probes and four sessions a week (one absence) on a plan."""
    from interventions.models import Attendance, InterventionSession, Probe

    start = start or plan.start_date
    with tenant_context(plan.district_id):
        for week in range(weeks):
            day = start + dt.timedelta(weeks=week, days=4)
            Probe.objects.create(district_id=plan.district_id, plan=plan, date=day, score=45 + 3 * week)
            for offset in range(4):
                session_day = start + dt.timedelta(weeks=week, days=offset)
                session, _ = InterventionSession.objects.get_or_create(
                    district_id=plan.district_id,
                    group=plan.group,
                    date=session_day,
                    defaults={"minutes": 30, "provider_id": plan.provider_id},
                )
                Attendance.objects.get_or_create(
                    district_id=plan.district_id,
                    session=session,
                    plan=plan,
                    defaults={
                        "status": Attendance.Status.STUDENT_ABSENT
                        if (week, offset) == (1, 2)
                        else Attendance.Status.PRESENT
                    },
                )


def add_point_cards(plan, *, start=None, days: int = 5):
    """A check-in/check-out card on a plan (its setup written directly: the letter, not the area
    check, is under test) with ``days`` school days of ratings: 10, 9, 8 ... of 12 points."""
    from interventions.cico.models import PointCard, PointCardSetup, PointRating

    start = start or plan.start_date
    periods, goals = ["Check-in", "Period 1", "Period 2"], ["Be safe", "Be respectful"]
    with tenant_context(plan.district_id):
        PointCardSetup.objects.create(district_id=plan.district_id, plan=plan, periods=periods, goals=goals)
        for day in range(days):
            earned = 10 - day
            card = PointCard.objects.create(
                district_id=plan.district_id,
                plan=plan,
                date=start + dt.timedelta(days=day),
                points_earned=earned,
                points_possible=12,
            )
            values = [2] * (earned // 2) + [1] * (earned % 2)
            values += [0] * (6 - len(values))
            cells = [(p, g) for p in periods for g in goals]
            PointRating.objects.bulk_create(
                PointRating(district_id=plan.district_id, card=card, period=p, goal=g, rating=v)
                for (p, g), v in zip(cells, values, strict=True)
            )


ALL_TYPES = list(LETTER_BLOCKS)

"""The live product reads the district's policy (issue 12, items 5 and 7): meeting rules and
review cadences by tier and grade band, parent consultations, duration limits, referral
conditions and exceptions, tier meanings in decisions, notice timing."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from interventions.meetings import cadence
from interventions.meetings.services import agenda_add, agenda_build, decision_apply, decision_record, meeting_create
from interventions.models import AgendaItem, Plan, TierPlacement
from interventions.services import plan_create
from mtss.policy import preset_data
from mtss.policy.adapters import rule_config
from mtss.policy.schema import validate_policy
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context
from notifications.services import _due_date
from students.selectors import consultations_due, quarter_of
from students.services import consultation_record
from tests.factories import make_student
from tests.program import START

HP = validate_policy(preset_data("holland-patent-ny"))
LOUDON = validate_policy(preset_data("loudon-county-tn"))


def _dates(tier, grade, start, last=None, recommendation=""):
    return cadence.StudentDates(
        tier=tier, grade=grade, tier_start=start, last_reviewed=last, recommendation=recommendation
    )


# --- meeting rules and review cadences (pure) -----------------------------------------------------


def test_holland_patent_reviews_grades_4_to_8_after_two_quarters_and_high_school_twice_a_year():
    start = dt.date(2026, 9, 8)
    before, after = start + dt.timedelta(weeks=17), start + dt.timedelta(weeks=18)
    middle = cadence.meeting_rule_reasons(HP, team_type="sbit", area="ela", dates=_dates(2, 6, start), as_of=after)
    assert [r["rule"] for r in middle] == ["continuation-after-two-quarters"]
    assert "2 quarters" in middle[0]["text"]
    assert cadence.meeting_rule_reasons(HP, team_type="sbit", area="ela", dates=_dates(2, 6, start), as_of=before) == []
    # Reviewed since the rule fell due: not again.
    assert (
        cadence.meeting_rule_reasons(
            HP, team_type="sbit", area="ela", dates=_dates(2, 6, start, last=after), as_of=after
        )
        == []
    )
    high = cadence.meeting_rule_reasons(HP, team_type="sbit", area="ela", dates=_dates(2, 10, start), as_of=after)
    assert [r["rule"] for r in high] == ["high-school-ais-plan"]
    # Semi-annual: due again two quarters after the last review.
    reviewed = cadence.meeting_rule_reasons(
        HP, team_type="sbit", area="ela", dates=_dates(2, 10, start, last=after), as_of=after + dt.timedelta(weeks=17)
    )
    assert reviewed == []
    assert cadence.meeting_rule_reasons(HP, team_type="sbit", area="ela", dates=_dates(2, 2, start), as_of=after) == []
    # Another team's meeting does not pick up the SBIT's rules.
    assert cadence.meeting_rule_reasons(HP, team_type="tbt", area="ela", dates=_dates(2, 6, start), as_of=after) == []
    # Holland Patent's SBIT reviews are held without the parents (parents_invited: false).
    assert "invite" not in middle[0]


def test_loudon_referral_meeting_invites_parents_and_the_school_psychologist():
    reasons = cadence.meeting_rule_reasons(
        LOUDON,
        team_type="s_team",
        area="reading",
        dates=_dates(3, 2, dt.date(2026, 9, 8), last=dt.date(2026, 10, 1), recommendation="refer_evaluation"),
        as_of=dt.date(2026, 11, 2),
    )
    referral = next(r for r in reasons if r["rule"] == "final-s-team")
    assert referral["invite"][0] == "parents" and "school psychologist" in referral["invite"]
    assert "school psychologist" in referral["text"]


def test_a_review_past_the_tiers_window_is_overdue():
    finding = SimpleNamespace(status="due", values={"last_scheduled": "2026-11-02"}, explanation="due")
    within = cadence.review_reason(LOUDON, tier=2, finding=finding, as_of=dt.date(2026, 11, 20))
    late = cadence.review_reason(LOUDON, tier=2, finding=finding, as_of=dt.date(2026, 11, 24))
    assert within["code"] == "review_due" and "2026-11-23" in within["text"]  # 9 weeks + the 3-week window
    assert late["code"] == "review_overdue"


def test_the_review_schedule_has_the_weekly_data_check():
    schedule = cadence.review_schedule(
        LOUDON, tier=2, tier_start=dt.date(2026, 9, 7), last_reviewed=None, as_of=dt.date(2026, 9, 16)
    )
    assert schedule["review_due"] == dt.date(2026, 11, 9)
    assert schedule["review_by"] == dt.date(2026, 11, 30)
    assert schedule["next_data_check"] == dt.date(2026, 9, 21)


# --- tier meanings (item 5) ---------------------------------------------------------------------------


def test_tier_moves_follow_the_policys_tier_meanings():
    # Holland Patent: Tier 3 is the top general tier; Tier 4 is special education.
    assert cadence.decided_tier(HP, tier=2, area="ela", kind="intensify") == 3
    assert cadence.decided_tier(HP, tier=3, area="ela", kind="intensify") == 3  # never into special education
    assert cadence.decided_tier(HP, tier=4, area="ela", kind="intensify") == 4
    assert cadence.decided_tier(HP, tier=4, area="ela", kind="exit") == 4  # the IEP team decides
    assert cadence.decided_tier(LOUDON, tier=2, area="reading", kind="intensify") == 3
    assert cadence.decided_tier(LOUDON, tier=2, area="reading", kind="exit") == 1


# --- duration limits -----------------------------------------------------------------------------------


def test_duration_limits_come_from_the_tier_or_its_monitoring_period():
    assert rule_config(HP, tier=2, area="ela").duration_max_weeks == 20  # "ten to twenty weeks"
    tier1 = rule_config(HP, tier=1, area="ela")  # whole school year: no upper limit
    assert tier1.duration_max_weeks is None and tier1.duration_min_weeks == 5
    data = preset_data("loudon-county-tn")
    data["tiers"][0].pop("expected_duration_weeks", None)
    data["notes"] = {k: v for k, v in data["notes"].items() if not k.startswith("tiers.0.expected_duration_weeks")}
    assert rule_config(validate_policy(data), tier=1, area="reading").duration_max_weeks == 8  # "6-8 weeks"


# --- notices ---------------------------------------------------------------------------------------------


def test_notice_timing_sets_when_the_letter_is_due():
    today = dt.date(2026, 10, 1)
    before = SimpleNamespace(timing="before", within_days=2)
    assert _due_date(before, today, {"start_date": "2026-10-12"}) == dt.date(2026, 10, 10)
    assert _due_date(SimpleNamespace(timing="immediately", within_days=30), today, {}) == today
    assert _due_date(SimpleNamespace(timing="after", within_days=5), today, {}) == dt.date(2026, 10, 6)


def test_quarters_are_nine_weeks_from_the_first_day_of_school():
    assert quarter_of(dt.date(2026, 11, 10), dt.date(2026, 9, 1))[:2] == (2, dt.date(2026, 11, 3))
    assert quarter_of(dt.date(2026, 11, 10), None)[1:] == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))


# --- the live product (database) --------------------------------------------------------------------------


def _policy(side, **changes):
    data = preset_data("loudon-county-tn")
    for path, value in changes.items():
        node = data
        *parents, last = path.split(".")
        for part in parents:
            node = node[part]
        node[last] = value
    with tenant_context(side.district):
        policy_version_create(district=side.district, actor=None, data=data, effective_from=dt.date(2026, 8, 2))


def _tier3_plan(program, student):
    side = program["side"]
    with tenant_context(side.district):
        plan, _ = plan_create(
            district=side.district,
            actor=side.intervention_specialist,
            student=student,
            area="reading",
            tier=3,
            intervention=program["intervention"],
            provider=side.intervention_specialist,
            start_date=START,
            expected_end_date=START + dt.timedelta(weeks=12),
            goal_measure="R-CBM WRC",
            goal_target=90,
            goal_target_date=START + dt.timedelta(weeks=12),
            sessions_per_week=4,
            minutes_per_session=30,
            baseline_probes=[(START - dt.timedelta(days=3), 40)],
        )
    return plan


@pytest.mark.django_db
def test_intensify_at_the_top_general_tier_follows_top_tier_intensify(program):
    side = program["side"]
    plan = _tier3_plan(program, make_student(side.district, side.school))
    with tenant_context(side.district):
        meeting = meeting_create(
            district=side.district,
            actor=side.principal,
            school=side.school,
            team_type="s_team",
            starts_at=timezone.now(),
        )[0]
        item = agenda_add(
            district=side.district,
            actor=side.principal,
            meeting=meeting,
            student=plan.student,
            reason="review",
            area="reading",
        )
        # Loudon: not responding at Tier III means a referral, so "intensify" is refused with why.
        with pytest.raises(ValidationError, match="referral"):
            decision_record(
                district=side.district, actor=side.principal, item=item, kind="intensify", override_reason="test"
            )
    _policy(side, **{"decision_rules.top_tier_intensify": "intensify_within_tier"})
    with tenant_context(side.district):
        decision = decision_record(
            district=side.district, actor=side.principal, item=item, kind="intensify", override_reason="team judgement"
        )
        from notifications.models import Notice

        assert decision_apply(district=side.district, actor=side.principal, decision=decision)
        placements = list(
            TierPlacement.objects.filter(student=plan.student, end_date__isnull=True).values_list("tier", flat=True)
        )
        plan.refresh_from_db()
        # Within the tier: the plan goes on and no change-of-tier letter is queued.
        assert plan.status == Plan.Status.ACTIVE and 4 not in placements
        # (The plan's own start notice, period "placement-<id>", was queued when the plan was made.)
        assert not Notice.objects.filter(
            student=plan.student, trigger="tier_start", period_key__startswith=f"meeting-{meeting.pk}"
        ).exists()


@pytest.mark.django_db
def test_a_special_education_student_is_never_referred(program):
    side = program["side"]
    data = preset_data("loudon-county-tn")
    data["tiers"].append(
        {
            "number": 4,
            "name": "Tier IV: special education",
            "description": "Services per the IEP.",
            "special_education": True,
        }
    )
    with tenant_context(side.district):
        policy_version_create(district=side.district, actor=None, data=data, effective_from=dt.date(2026, 8, 2))
        plan, _ = plan_create(
            district=side.district,
            actor=side.intervention_specialist,
            student=make_student(side.district, side.school),
            area="reading",
            tier=4,
            intervention=program["intervention"],
            provider=side.intervention_specialist,
            start_date=START,
            expected_end_date=START + dt.timedelta(weeks=12),
            goal_measure="R-CBM WRC",
            goal_target=90,
            goal_target_date=START + dt.timedelta(weeks=12),
            sessions_per_week=4,
            minutes_per_session=30,
            baseline_probes=[(START - dt.timedelta(days=3), 40)],
        )
        meeting = meeting_create(
            district=side.district,
            actor=side.principal,
            school=side.school,
            team_type="s_team",
            starts_at=timezone.now(),
        )[0]
        item = agenda_add(
            district=side.district,
            actor=side.principal,
            meeting=meeting,
            student=plan.student,
            reason="review",
            area="reading",
        )
        with pytest.raises(ValidationError, match="special education"):
            decision_record(
                district=side.district, actor=side.principal, item=item, kind="refer_evaluation", override_reason="test"
            )


@pytest.mark.django_db
def test_parent_consultations_due_and_a_parents_request_reaches_the_agenda(program):
    side = program["side"]
    _policy(side, **{"parent_contact.consultations_per_quarter": 1})
    students = [p.student for p in program["plans"]]
    today = timezone.localdate()
    with tenant_context(side.district):
        from students.models import Student

        queryset = Student.objects.filter(pk__in=[s.pk for s in students])
        assert {
            row.student.pk for row in consultations_due(district=side.district, students=queryset, as_of=today)
        } == {s.pk for s in students}
        consultation_record(
            district=side.district,
            actor=side.principal,
            student=students[0],
            held_on=today,
            notes="Talked about reading at home",
            meeting_requested=True,
        )
        with pytest.raises(ValidationError, match="future"):
            consultation_record(
                district=side.district, actor=side.principal, student=students[1], held_on=today + dt.timedelta(days=3)
            )
        due = {row.student.pk for row in consultations_due(district=side.district, students=queryset, as_of=today)}
        assert due == {students[1].pk, students[2].pk}
        meeting = meeting_create(
            district=side.district,
            actor=side.principal,
            school=side.school,
            team_type="s_team",
            starts_at=timezone.now(),
        )[0]
        agenda_build(district=side.district, actor=side.principal, meeting=meeting)
        reasons = AgendaItem.objects.get(meeting=meeting, student=students[0]).reasons
    request = next(r for r in reasons if r["code"] == "parent_request")
    assert request["rule"] == "parent-request" and "asked for a team meeting" in request["text"]


@pytest.mark.django_db
def test_a_policy_without_parent_requests_refuses_them(program):
    side = program["side"]
    _policy(side, **{"parent_contact.may_request_meeting": False})
    with tenant_context(side.district), pytest.raises(ValidationError, match="request"):
        consultation_record(
            district=side.district,
            actor=side.principal,
            student=program["plans"][0].student,
            held_on=timezone.localdate(),
            meeting_requested=True,
        )


@pytest.mark.django_db
def test_the_agenda_names_the_meeting_rule_and_the_duration_limit(program):
    side, plans = program["side"], program["plans"]
    with tenant_context(side.district):
        meeting = meeting_create(
            district=side.district,
            actor=side.principal,
            school=side.school,
            team_type="s_team",
            starts_at=timezone.now(),
        )[0]
        agenda_build(district=side.district, actor=side.principal, meeting=meeting)
        reasons = {i.student_id: i.reasons for i in AgendaItem.objects.filter(meeting=meeting)}
    codes = {r["code"] for r in reasons[plans[0].student_id]}
    rules = {r.get("rule") for r in reasons[plans[0].student_id]}
    # Loudon: "S-Team when a student enters Tier II" (never discussed since the placement started).
    assert "s-team-placement" in rules
    # Tier II since 2026-09-07, 12 weeks at most ("9-12 weeks"): past it by December.
    assert "past_duration_limit" in codes

"""The plan form redesigned (issue 14, item 4): choices from the policy, defaults from the flagged
screening score and the norms, one plan per submitted form, friendly constraint messages, the
edit screen (a new phase) and the end screen (a reason, the tier_end notices)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from interventions import selectors, services
from interventions.models import Plan, PlanPhase, Probe, TierPlacement
from mtss.models import AuditEvent
from mtss.rules.norms import NormPoint, suggested_goal
from mtss.tenancy import tenant_context
from notifications.models import LetterType, Notice
from tests.interventions.plan_form_fixtures import LOUDON_DOSAGE, MAZE, NORMS
from tests.screening.helpers import FALL_DAY

pytestmark = pytest.mark.django_db


def _url(flagged, **query):
    url = reverse("plan_create", args=[flagged["student"].pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _post_data(form) -> dict:
    """What the browser sends back when the user accepts every default."""
    data = {}
    for name in form.fields:
        value = form[name].value()  # the initial value, a callable's (the one-time token) evaluated
        if value is None:
            continue
        data[name] = value.isoformat() if isinstance(value, dt.date) else value
    return data


def test_the_form_starts_from_the_flagged_score_and_the_norms(flagged, login):
    side, score = flagged["side"], flagged["score"]
    response = login(side.intervention_specialist).get(_url(flagged, review_item=flagged["item"].pk))
    assert response.status_code == 200
    form = response.context["form"]
    initial = form.initial
    assert initial["area"] == "reading" and initial["tier"] == score.tier
    assert initial["goal_measure"] == MAZE
    assert initial["baseline"] == "2026-09-15, 30"
    sessions, minutes = LOUDON_DOSAGE[score.tier]
    assert (initial["sessions_per_week"], initial["minutes_per_session"]) == (sessions, minutes)
    # The goal: the 25th percentile in the goal date's season (Loudon Tier II/III: 9 weeks at least).
    today = timezone.localdate()
    goal_date = today + dt.timedelta(weeks=9)
    assert initial["goal_target_date"] == goal_date
    expected = suggested_goal(
        [NormPoint(2, s, p, v) for (s, p), v in NORMS.items()],
        grade=2,
        baseline=30,
        start=today,
        goal_date=goal_date,
        table_name="Test maze norms",
    )
    assert expected.rule == "benchmark" and initial["goal_target"] == expected.target
    page = response.content.decode()
    # The rule that produced the goal is cited on the form.
    assert "Suggested goal:" in page and "25th percentile of Test maze norms" in page
    assert "Started from the flagged screening score" in page
    assert "Dosage from the policy" in page
    # Choices, not free text: the policy's areas; measures from the policy and the catalog; names and roles.
    assert form.fields["area"].choices == [("reading", "Reading")]
    measures = [value for _group, options in form.fields["goal_measure"].choices[1:] for value, _label in options]
    assert MAZE in measures and "aimsweb one-minute oral reading fluency probe" in measures
    label = form.fields["provider"].label_from_instance
    with tenant_context(side.district):
        specialist = form.fields["provider"].queryset.get(pk=side.intervention_specialist.pk)
    assert label(specialist) == f"Pat {specialist.last_name} (Intervention specialist)"
    assert f">{side.intervention_specialist.username}<" not in page
    # Four groups of fields, not one column.
    assert page.count('<fieldset class="plan-fieldset"') == 4


def test_a_recent_at_risk_score_is_found_without_the_review_queue(flagged):
    side, student = flagged["side"], flagged["student"]
    with tenant_context(side.district):
        found = selectors.flagged_score(district=side.district, student=student, today=FALL_DAY + dt.timedelta(days=30))
        stale = selectors.flagged_score(
            district=side.district, student=student, today=FALL_DAY + dt.timedelta(days=200)
        )
        other = selectors.flagged_score(district=side.district, student=side.students[0], today=FALL_DAY)
    assert found == flagged["score"] and stale is None and other is None


def test_accepting_the_defaults_creates_the_plan_with_the_screening_baseline(flagged, login):
    side, student = flagged["side"], flagged["student"]
    client = login(side.intervention_specialist)
    form = client.get(_url(flagged, review_item=flagged["item"].pk)).context["form"]
    data = _post_data(form)
    data["intervention"] = flagged["program"].pk
    response = client.post(_url(flagged), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    with tenant_context(side.district):
        plan = Plan.objects.get(district=side.district, student=student)
        baseline = list(Probe.objects.filter(plan=plan, is_baseline=True).values_list("date", "score"))
    assert response["Location"] == reverse("plan_detail", args=[plan.pk])
    assert baseline == [(FALL_DAY, 30.0)] and plan.goal_measure == MAZE
    assert plan.goal_target == form.initial["goal_target"]


def test_a_resubmitted_form_creates_one_plan(flagged, login):
    side, student = flagged["side"], flagged["student"]
    client = login(side.intervention_specialist)
    form = client.get(_url(flagged)).context["form"]
    data = dict(_post_data(form), intervention=flagged["program"].pk)
    assert data["submission"]  # the one-time token of every data-entry form (mtss/idempotency.py)
    first = client.post(_url(flagged), data)
    again = client.post(_url(flagged), data)  # Back, then submit again
    with tenant_context(side.district):
        plans = list(Plan.objects.filter(district=side.district, student=student))
    assert len(plans) == 1
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    assert "already saved" in str(list(again.wsgi_request._messages))
    # Back may fetch the form again (a new token): the identical plan, by the same person,
    # minutes later, is still the plan already saved.
    fresh = client.get(_url(flagged)).context["form"]
    fresh_token = str(_post_data(fresh)["submission"])
    assert fresh_token != str(data["submission"])
    third = client.post(_url(flagged), dict(data, submission=fresh_token))
    assert third.status_code == 302 and third["Location"] == first["Location"]
    with tenant_context(side.district):
        assert Plan.objects.filter(district=side.district, student=student).count() == 1


def test_the_plan_form_says_the_date_rule_in_words(flagged, login):
    side = flagged["side"]
    client = login(side.intervention_specialist)
    form = client.get(_url(flagged)).context["form"]
    data = dict(_post_data(form), intervention=flagged["program"].pk)
    data["expected_end_date"] = data["start_date"]  # the plan_dates constraint
    data["goal_target"], data["goal_roi"] = "", ""  # plan_goal_target_or_roi
    response = client.post(_url(flagged), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["expected_end_date"] == ["The expected end must be after the start."]
    assert errors["goal_target"] == ["Give a goal score or a goal rate of improvement."]
    assert "Constraint" not in response.content.decode()
    with tenant_context(side.district):
        assert not Plan.objects.filter(district=side.district, student=flagged["student"]).exists()


def test_a_database_refusal_names_the_field(program):
    """The last line: a row that skipped the checks is refused by PostgreSQL; the message is words."""
    side, plan = program["side"], program["plans"][0]
    with tenant_context(side.district), pytest.raises(IntegrityError) as caught, transaction.atomic():
        Plan.objects.filter(pk=plan.pk).update(expected_end_date=plan.start_date)
    assert services.constraint_errors(caught.value) == {
        "expected_end_date": ["The expected end must be after the start."]
    }


def test_changing_the_goal_starts_a_new_phase_and_keeps_the_first(program, login):
    side, plan = program["side"], program["plans"][0]
    client = login(side.intervention_specialist)
    url = reverse("plan_edit", args=[plan.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Phases so far" in page.content.decode()
    data = _post_data(page.context["form"])
    data.update(goal_target="95", reason="", phase_start=(plan.start_date + dt.timedelta(weeks=4)).isoformat())
    refused = client.post(url, data)
    assert refused.status_code == 200 and "reason" in refused.context["form"].errors
    data["reason"] = "Ahead of the aim line: raise the goal"
    assert client.post(url, data).status_code == 302
    with tenant_context(side.district):
        phases = list(PlanPhase.objects.filter(plan=plan).order_by("number"))
        plan.refresh_from_db()
    assert [p.number for p in phases] == [1, 2]
    assert phases[0].goal_target == 90 and phases[1].goal_target == 95
    assert phases[1].reason == "Ahead of the aim line: raise the goal" and plan.goal_target == 95
    # Only the schedule changes: no new phase, the change is audited.
    data.update(minutes_per_session="40", reason="")
    assert client.post(url, data).status_code == 302
    with tenant_context(side.district):
        assert PlanPhase.objects.filter(plan=plan).count() == 2
        plan.refresh_from_db()
        assert plan.minutes_per_session == 40
        assert AuditEvent.objects.filter(district=side.district, verb="plan.update").count() == 2


def test_ending_a_plan_records_the_reason_ends_the_tier_and_queues_the_letter(program, login):
    side, plan = program["side"], program["plans"][0]
    client = login(side.intervention_specialist)
    url = reverse("plan_end", args=[plan.pk])
    assert client.get(url).status_code == 200
    today = timezone.localdate().isoformat()
    mismatch = client.post(url, {"outcome": "completed", "reason": "student_left", "end_date": today})
    assert mismatch.status_code == 200 and "reason" in mismatch.context["form"].errors
    other = client.post(url, {"outcome": "discontinued", "reason": "other", "note": "", "end_date": today})
    assert "note" in other.context["form"].errors
    done = client.post(url, {"outcome": "completed", "reason": "goal_met", "note": "Read 92 WRC", "end_date": today})
    assert done.status_code == 302
    with tenant_context(side.district):
        plan.refresh_from_db()
        placement = TierPlacement.objects.get(district=side.district, student=plan.student, area="reading")
        letters = Notice.objects.filter(
            district=side.district, student=plan.student, letter_type=LetterType.PLACEMENT_END
        )
        assert letters.exists()  # Loudon's policy sends an end-of-services letter (tier_end)
    assert (plan.status, plan.end_reason, plan.end_note) == ("completed", "goal_met", "Read 92 WRC")
    assert placement.end_date == timezone.localdate()
    page = client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert "Goal met: Read 92 WRC" in page and "End the plan" not in page
    # Ending twice does nothing more.
    assert client.get(url).status_code == 302


def test_other_schools_cannot_edit_or_end(program, login, world):
    side, plan = program["side"], program["plans"][0]
    teacher = login(side.teacher)  # sees no plan of the school's specialist: 404
    assert teacher.get(reverse("plan_edit", args=[plan.pk])).status_code == 404
    assert teacher.post(reverse("plan_end", args=[plan.pk]), {"outcome": "completed"}).status_code == 404
    assert login(world.b.principal).get(reverse("plan_end", args=[plan.pk])).status_code == 404


def test_a_new_plan_says_how_much_data_it_needs(program, login):
    side, plan = program["side"], program["plans"][0]
    page = login(side.intervention_specialist).get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert "not enough data yet (0 of 3 points)" in page
    # Findings in words, never the engine's codes.
    assert "(insufficient_data)" not in page and "(not_compliant)" not in page and "(not_applicable)" not in page
    assert "(not enough data yet)" in page


@pytest.mark.parametrize("bad", ["inf", "nan", "-inf", "999999999"])
def test_the_plan_forms_baseline_refuses_non_finite_and_huge_scores(flagged, login, bad):
    """The plan form's baseline box is one more entry path of the one score rule (issue 14)."""
    side, student = flagged["side"], flagged["student"]
    client = login(side.intervention_specialist)
    form = client.get(_url(flagged)).context["form"]
    data = dict(_post_data(form), intervention=flagged["program"].pk, baseline=f"{FALL_DAY.isoformat()}, {bad}")
    response = client.post(_url(flagged), data)
    assert response.status_code == 200
    errors = str(response.context["form"].errors.get("baseline") or response.context["form"].errors)
    assert "not a number" in errors or "outside the range" in errors, errors
    with tenant_context(side.district):
        assert not Plan.objects.filter(district=side.district, student=student).exists()

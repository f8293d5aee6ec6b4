"""Special-education referrals carry their evidence (issue 13, item 3).

Loudon (seed 002): "The log is a requirement for all RTI referrals to special education and is
reviewed by the school psychologist." A referral without a plan, a session log or progress data is
blocked; only the policy's reviewing role signs it off, or overrides with a reason that the
referral packet prints.
"""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from interventions.meetings.services import agenda_add, decision_record, meeting_close, meeting_create
from interventions.models import Referral
from interventions.referrals.evidence import referral_evidence
from interventions.referrals.services import referral_override, referral_recheck, referral_request, referral_review
from interventions.services import group_log_week, probes_add
from mtss.tenancy import tenant_context
from tests import factories as f
from tests.program import START

pytestmark = pytest.mark.django_db


def _deliver(program, weeks=11):
    side = program["side"]
    for week in range(weeks):
        group_log_week(
            district=side.district, actor=None, group=program["group"], week_start=START + dt.timedelta(weeks=week)
        )


def _progress(program, plan_index=0):
    side, plan = program["side"], program["plans"][plan_index]
    probes_add(
        district=side.district,
        actor=None,
        plan=plan,
        probes=[(START + dt.timedelta(weeks=w, days=1), 42 + (w % 2)) for w in range(1, 11)],
    )


def _membership(user, district):
    return f.membership_of(user, district)


def test_a_student_with_no_plan_is_blocked_not_recorded_unblocked(world):
    side = world.a
    with tenant_context(side.district):
        # world.a has no policy: the log is still required (the safe default) and so is a plan.
        referral = referral_request(district=side.district, actor=side.principal, student=side.students[0])
    assert referral.status == Referral.Status.BLOCKED
    assert any("No intervention plan" in m for m in referral.missing)


def test_an_empty_log_blocks_and_a_log_with_progress_data_unblocks(program):
    side, plan = program["side"], program["plans"][0]
    with tenant_context(side.district):
        referral = referral_request(
            district=side.district, actor=side.principal, student=plan.student, area="reading", reason="No progress"
        )
        blocked = (referral.status, list(referral.missing))
        _deliver(program)
        _progress(program)
        referral = referral_recheck(district=side.district, actor=side.principal, referral=referral)
    assert blocked[0] == Referral.Status.BLOCKED
    assert any("No session log" in m and "reviewed by the school psychologist" in m for m in blocked[1])
    assert any("No progress data" in m for m in blocked[1])
    assert referral.status == Referral.Status.REQUESTED and referral.missing == []
    assert referral.reviewer_role == "psychologist"  # Loudon's policy names the school psychologist


def test_the_evidence_counts_sessions_and_minutes_against_planned_with_dates(program):
    side, plan = program["side"], program["plans"][0]
    with tenant_context(side.district):
        _deliver(program, weeks=11)
        evidence = referral_evidence(
            district=side.district, student=plan.student, area="reading", as_of=START + dt.timedelta(weeks=11)
        )
    (row,) = evidence.plans
    # 11 weeks x 4 sessions x 30 minutes, all delivered: 44 of 44 sessions, 1320 of 1320 minutes.
    assert row.sessions_delivered == 44 and row.sessions_planned == 44
    assert row.minutes_delivered == 1320 and row.minutes_planned == 1320
    assert row.first_session >= START and len(row.log) == 44
    assert row.last_session < START + dt.timedelta(weeks=11)


def test_only_the_reviewing_role_signs_off(program):
    side, plan = program["side"], program["plans"][0]
    with tenant_context(side.district):
        _deliver(program)
        _progress(program)
        referral = referral_request(district=side.district, actor=side.principal, student=plan.student, area="reading")
        for user in (side.principal, side.intervention_specialist, side.district_admin, side.teacher):
            with pytest.raises(PermissionDenied):
                referral_review(
                    district=side.district,
                    actor=user,
                    membership=_membership(user, side.district),
                    referral=referral,
                    notes="looks fine",
                )
        referral = referral_review(
            district=side.district,
            actor=side.psychologist,
            membership=_membership(side.psychologist, side.district),
            referral=referral,
            notes="Completed as written.",
        )
        with pytest.raises(ValidationError, match="signed off meanwhile"):
            referral_review(
                district=side.district,
                actor=side.psychologist,
                membership=_membership(side.psychologist, side.district),
                referral=referral,
            )
    assert referral.status == Referral.Status.REVIEWED and referral.reviewed_by == side.psychologist
    (snapshot,) = referral.evidence["plans"]
    assert snapshot["sessions_delivered"] == 44 and len(snapshot["log"]) == 44


def test_review_is_refused_while_evidence_is_missing(program):
    side, plan = program["side"], program["plans"][0]
    with tenant_context(side.district):
        referral = referral_request(district=side.district, actor=side.principal, student=plan.student, area="reading")
        with pytest.raises(ValidationError, match="override with a reason"):
            referral_review(
                district=side.district,
                actor=side.psychologist,
                membership=_membership(side.psychologist, side.district),
                referral=referral,
            )
        referral.refresh_from_db()
    assert referral.status == Referral.Status.BLOCKED


def test_an_override_needs_the_reviewing_role_and_a_reason(program):
    side, plan = program["side"], program["plans"][0]
    psychologist = _membership(side.psychologist, side.district)
    with tenant_context(side.district):
        referral = referral_request(district=side.district, actor=side.principal, student=plan.student, area="reading")
        with pytest.raises(PermissionDenied):
            referral_override(
                district=side.district,
                actor=side.principal,
                membership=_membership(side.principal, side.district),
                referral=referral,
                reason="The parents asked for an evaluation in writing",
            )
        for reason in ("", "x", "ok fine"):
            with pytest.raises(ValidationError, match="at least 3 words"):
                referral_override(
                    district=side.district,
                    actor=side.psychologist,
                    membership=psychologist,
                    referral=referral,
                    reason=reason,
                )
        referral = referral_override(
            district=side.district,
            actor=side.psychologist,
            membership=psychologist,
            referral=referral,
            reason="The parents asked for an evaluation in writing (34 CFR 300.301(b)).",
        )
    assert referral.status == Referral.Status.OVERRIDDEN
    assert referral.override_reason.startswith("The parents asked")
    assert any("No session log" in m for m in referral.missing)  # what was missing stays on record


def test_an_override_is_refused_when_the_evidence_is_complete(program):
    side, plan = program["side"], program["plans"][0]
    with tenant_context(side.district):
        _deliver(program)
        _progress(program)
        referral = referral_request(district=side.district, actor=side.principal, student=plan.student, area="reading")
        with pytest.raises(ValidationError, match="review and sign the referral off instead"):
            referral_override(
                district=side.district,
                actor=side.psychologist,
                membership=_membership(side.psychologist, side.district),
                referral=referral,
                reason="Just to be quick about it",
            )


def test_the_policy_exceptions_are_read_and_matched_to_the_student(program):
    side, plan = program["side"], program["plans"][0]
    student = plan.student
    with tenant_context(side.district):
        student.english_learner = True
        student.disability_iep = True
        student.entry_date = START - dt.timedelta(days=800)
        student.save()
        evidence = referral_evidence(
            district=side.district, student=student, area="reading", as_of=timezone.localdate()
        )
    by_key = {e.key: e for e in evidence.exceptions}
    # Loudon names three exceptions; all are shown, whether they apply or not.
    assert set(by_key) == {
        "special-education-or-504-in-other-areas",
        "english-learners-after-one-year",
        "two-tier-2-interventions-with-regression",
    }
    # students_with_disabilities (the policy's key) is the student's disability_iep flag.
    assert by_key["special-education-or-504-in-other-areas"].applies
    assert by_key["special-education-or-504-in-other-areas"].handled_by == "IEP or Section 504 team"
    # An English learner enrolled over a year, in Tier 2 (the exception's refer_from_tier).
    assert by_key["english-learners-after-one-year"].applies
    # No Tier II intervention ended without progress.
    assert not by_key["two-tier-2-interventions-with-regression"].applies


def test_the_refer_decision_creates_and_links_a_blocked_referral(program):
    side, plan = program["side"], program["plans"][0]
    with tenant_context(side.district):
        meeting = meeting_create(
            district=side.district,
            actor=side.principal,
            school=side.school,
            team_type="s_team",
            starts_at=timezone.now(),
        )[0]
        item = agenda_add(
            district=side.district, actor=side.principal, meeting=meeting, student=plan.student, reason="Tier III"
        )
        # The meeting's override text lets the decision be recorded, not the referral through.
        decision = decision_record(
            district=side.district,
            actor=side.principal,
            item=item,
            kind="refer_evaluation",
            override_reason="x",
        )
        meeting_close(district=side.district, actor=side.principal, meeting=meeting)
        referrals = list(Referral.objects.filter(district=side.district, student=plan.student))
    (referral,) = referrals
    assert referral.decision_id == decision.pk
    assert referral.status == Referral.Status.BLOCKED


def test_a_second_request_links_to_the_open_referral(program):
    side, plan = program["side"], program["plans"][0]
    with tenant_context(side.district):
        first = referral_request(district=side.district, actor=side.principal, student=plan.student, area="reading")
        second = referral_request(district=side.district, actor=side.principal, student=plan.student, area="reading")
        count = Referral.objects.filter(district=side.district, student=plan.student).count()
    assert first.pk == second.pk and count == 1


# --- pages --------------------------------------------------------------------------------------------


def test_the_psychologist_reviews_on_the_page_and_the_packet_records_it(program, login):
    side, plan = program["side"], program["plans"][0]
    with tenant_context(side.district):
        referral = referral_request(district=side.district, actor=side.principal, student=plan.student, area="reading")
    url = reverse("referral_detail", args=[referral.pk])
    page = login(side.principal).get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert "No session log" in content and "School psychologist" in content
    assert "Sign off the referral" not in content and "Override" not in content  # not the principal's to do
    # The principal posting an override anyway: 404 (the pages' convention), nothing changes.
    assert (
        login(side.principal).post(url, {"action": "override", "override_reason": "because I say so"}).status_code
        == 404
    )
    client = login(side.psychologist)
    assert "Override: refer without the complete evidence" in client.get(url).content.decode()
    bad = client.post(url, {"action": "override", "override_reason": "ok"})
    assert bad.status_code == 400 and "at least 3 words" in bad.content.decode()
    done = client.post(url, {"action": "override", "override_reason": "Parents requested the evaluation in writing"})
    assert done.status_code == 302
    with tenant_context(side.district):
        referral.refresh_from_db()
    assert referral.status == Referral.Status.OVERRIDDEN
    pdf = client.get(reverse("referral_packet", args=[plan.student_id]))
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert "Parents requested the evaluation in writing" in text
    assert "Overridden by" in text and "No session log" in text


def test_the_list_requests_a_referral_and_hides_what_others_may_not_see(program, world, login):
    side, plan = program["side"], program["plans"][1]
    client = login(side.intervention_specialist)
    response = client.post(
        reverse("referral_list"), {"student": plan.student_id, "area": "reading", "reason": "Tier III"}
    )
    assert response.status_code == 302
    with tenant_context(side.district):
        referral = Referral.objects.get(district=side.district, student=plan.student)
    assert referral.requested_by == side.intervention_specialist
    assert plan.student.last_name in client.get(reverse("referral_list")).content.decode()
    # A teacher does not use the referral pages; another district's member gets 404.
    assert login(side.teacher).get(reverse("referral_list")).status_code == 404
    assert login(world.b.psychologist).get(reverse("referral_detail", args=[referral.pk])).status_code == 404
    # A student of another district cannot be chosen.
    other = login(world.b.principal).post(reverse("referral_list"), {"student": plan.student_id, "area": "reading"})
    assert other.status_code == 400 and "Select a valid choice" in other.content.decode()

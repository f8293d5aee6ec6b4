"""Ohio's Third Grade Reading Guarantee: the fall determination, the RIMP, its approval and letter,
and the RIMP report's states (RULES.md 4.5; seed 003 section D)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from interventions.models import ReadingDetermination, Rimp
from interventions.rimp.rules import rimp_state
from interventions.rimp.services import reading_determinations_record, rimp_approve, rimp_create
from mtss import events
from mtss.models import Role, SchoolYear
from mtss.tenancy import tenant_context
from notifications.models import Notice
from reports import compliance
from students.models import ParentConsultation
from tests import factories as f
from tests.interventions.rimp_cases import SECTIONS, ohio_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def ohio(world):
    return ohio_case(world)


@pytest.fixture
def announced():
    """The NOT_ON_TRACK_DETERMINED events announced during the test (this branch subscribes nothing)."""
    seen = []

    def handler(**kwargs):
        seen.append(kwargs)

    events.subscribe(events.NOT_ON_TRACK_DETERMINED, handler)
    yield seen
    events._handlers[events.NOT_ON_TRACK_DETERMINED].remove(handler)


def _determine(ohio, actor=None):
    side = ohio["side"]
    with tenant_context(side.district):
        return reading_determinations_record(district=side.district, school_year=ohio["year"], actor=actor)


def _create(ohio, name="Kim", **extra):
    side = ohio["side"]
    with tenant_context(side.district):
        return rimp_create(
            district=side.district,
            actor=side.intervention_specialist,
            student=ohio["kids"][name],
            **{**SECTIONS, **extra},
        )


def _approve(ohio, rimp, user):
    side = ohio["side"]
    with tenant_context(side.district):
        return rimp_approve(
            district=side.district, membership=f.membership_of(user, side.district), actor=user, rimp=rimp
        )


# --- the determination -----------------------------------------------------------------------------


def test_it_rates_k3_readers_from_the_fall_diagnostic_once_and_announces_the_not_on_track(ohio, announced):
    side, today, kids = ohio["side"], ohio["today"], ohio["kids"]
    assert _determine(ohio) == {"created": 3, "not_on_track": 2}
    with tenant_context(side.district):
        rows = {
            d.student.last_name: d
            for d in ReadingDetermination.objects.filter(district=side.district).select_related("student")
        }
    assert set(rows) == {"Kim", "Lee", "Max"}  # Ned is in grade 5, Oli has no diagnostic
    assert rows["Kim"].status == rows["Max"].status == "not_on_track"
    assert rows["Lee"].status == "on_track" and rows["Lee"].rimp_due is None
    # "within 60 days of receiving the student's diagnostic result" (RULES.md 4.5).
    assert rows["Kim"].rimp_due == today - dt.timedelta(days=20) + dt.timedelta(days=60)
    assert rows["Max"].rimp_due == today - dt.timedelta(days=10)
    assert sorted(e["student"].last_name for e in announced) == ["Kim", "Max"]
    assert {e["school_year_key"] for e in announced} == {"2026-2027"}
    assert all(e["district"] == side.district for e in announced)
    # Idempotent: a second run records and announces nothing.
    assert _determine(ohio) == {"created": 0, "not_on_track": 0}
    assert len(announced) == 2
    with tenant_context(side.district):
        assert ReadingDetermination.objects.filter(district=side.district, student=kids["Kim"]).count() == 1


def test_a_district_without_the_reading_guarantee_gets_no_determinations(world):
    side = world.b  # no policy requiring a plan on not_on_track
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district, name="2026-2027")
        assert reading_determinations_record(district=side.district, school_year=year) == {
            "created": 0,
            "not_on_track": 0,
        }


def test_another_districts_year_is_refused(ohio, world):
    with tenant_context(world.b.district):
        other_year = SchoolYear.objects.get(district=world.b.district, name="2026-2027")
    with tenant_context(ohio["side"].district), pytest.raises(ValidationError):
        reading_determinations_record(district=ohio["side"].district, school_year=other_year)


# --- the RIMP --------------------------------------------------------------------------------------


def test_a_rimp_needs_a_not_on_track_determination_and_its_sections(ohio):
    with pytest.raises(ValidationError) as error:
        _create(ohio)  # nothing determined yet
    assert "not-on-track reading determination" in str(error.value)
    _determine(ohio)
    with pytest.raises(ValidationError) as error:
        _create(ohio, name="Lee")  # on track
    assert "not-on-track" in str(error.value)
    with pytest.raises(ValidationError) as error:
        _create(ohio, monitoring="  ")
    assert set(error.value.message_dict) == {"monitoring"}


def test_a_rimp_records_the_consultation_and_is_one_per_year(ohio):
    _determine(ohio)
    day = ohio["today"] - dt.timedelta(days=2)
    rimp = _create(ohio, consultation_held_on=day, consultation_notes="Phone call with the mother.")
    assert (rimp.status, rimp.approver_role) == ("draft", Role.PRINCIPAL)
    with tenant_context(ohio["side"].district):
        consultation = ParentConsultation.objects.get(pk=rimp.consultation_id)
    assert (consultation.student_id, consultation.held_on) == (ohio["kids"]["Kim"].pk, day)
    with pytest.raises(ValidationError) as error:
        _create(ohio)
    assert "already has a RIMP for 2026-2027" in str(error.value)


def test_only_the_principal_of_the_school_approves_and_the_letter_is_queued(ohio, world):
    side = ohio["side"]
    _determine(ohio)
    rimp = _create(ohio)
    other_principal = f.make_member(side.district, Role.PRINCIPAL, schools=[side.other_school], username="p-other")
    for user in (side.teacher, side.intervention_specialist, side.district_admin, side.psychologist, other_principal):
        with pytest.raises(PermissionDenied) as error:
            _approve(ohio, rimp, user)
        assert "Only the principal" in str(error.value)
    with tenant_context(side.district):
        assert Rimp.objects.get(pk=rimp.pk).status == "draft"
        assert not Notice.objects.filter(district=side.district, letter_type="rimp").exists()
    approved = _approve(ohio, rimp, side.principal)
    assert approved.status == "approved" and approved.approved_by == side.principal
    with tenant_context(side.district):
        letters = list(Notice.objects.filter(district=side.district, letter_type="rimp"))
    assert len(letters) == 1  # the one guardian
    letter = letters[0]
    assert (letter.student_id, letter.period_key, letter.notice_key) == (ohio["kids"]["Kim"].pk, "2026-2027", "rimp")
    assert "retention_possible" in letter.content_blocks
    sections = letter.context["plan_sections"]["rimp"]
    # The heading is a key the letter translates; the text is the plan's own words (issue 18 item 6).
    assert {"heading": "monitoring", "text": SECTIONS["monitoring"]} in sections
    assert letter.context["plan_approved_by"]["rimp"] == "principal"


def test_a_second_approval_is_refused_with_a_message_and_queues_nothing(ohio):
    side = ohio["side"]
    _determine(ohio)
    rimp = _create(ohio)
    _approve(ohio, rimp, side.principal)
    with pytest.raises(ValidationError) as error:
        _approve(ohio, rimp, side.principal)
    assert "already approved on" in str(error.value)
    with tenant_context(side.district):
        assert Notice.objects.filter(district=side.district, letter_type="rimp").count() == 1


# --- pages -----------------------------------------------------------------------------------------


def test_the_pages_create_and_approve_a_rimp(ohio, login):
    side, kim = ohio["side"], ohio["kids"]["Kim"]
    _determine(ohio)
    client = login(side.principal)
    form = client.get(reverse("rimp_create", kwargs={"student_id": kim.pk}))
    assert form.status_code == 200 and "Fall diagnostic (ORF 40" in form.content.decode()
    bad = client.post(reverse("rimp_create", kwargs={"student_id": kim.pk}), {**SECTIONS, "deficiency": ""})
    assert bad.status_code == 400 and "Describe the student" in bad.content.decode()
    response = client.post(reverse("rimp_create", kwargs={"student_id": kim.pk}), SECTIONS)
    assert response.status_code == 302
    with tenant_context(side.district):
        rimp = Rimp.objects.get(district=side.district, student=kim)
    assert response.url == reverse("rimp_detail", kwargs={"rimp_id": rimp.pk})
    page = client.get(response.url).content.decode()
    assert 'id="approve-rimp"' in page and SECTIONS["parent_involvement"] in page
    teacher = login(side.teacher).post(reverse("rimp_approve", kwargs={"rimp_id": rimp.pk}))
    # The teacher does not see Kim (no roster grant): 404, like a missing plan.
    assert teacher.status_code == 404
    # The psychologist sees the school's students: refused with the reason, 403.
    refused = login(side.psychologist).post(reverse("rimp_approve", kwargs={"rimp_id": rimp.pk}))
    assert refused.status_code == 403 and "Only the principal" in refused.content.decode()
    with tenant_context(side.district):
        rimp.refresh_from_db()
    assert rimp.status == "draft"
    approved = login(side.principal).post(reverse("rimp_approve", kwargs={"rimp_id": rimp.pk}))
    assert approved.status_code == 302
    page = client.get(approved.url).content.decode()
    assert 'id="rimp-letter"' in page and 'id="approve-rimp"' not in page
    again = client.post(reverse("rimp_approve", kwargs={"rimp_id": rimp.pk}))
    assert again.status_code == 409 and "already approved on" in again.content.decode()


def test_another_districts_principal_gets_404(ohio, world, login):
    _determine(ohio)
    rimp = _create(ohio)
    client = login(world.b.principal)
    assert client.get(reverse("rimp_detail", kwargs={"rimp_id": rimp.pk})).status_code == 404
    assert client.post(reverse("rimp_approve", kwargs={"rimp_id": rimp.pk})).status_code == 404
    assert client.get(reverse("rimp_create", kwargs={"student_id": rimp.student_id})).status_code == 404


def test_the_rimp_pages_log_the_student_read(ohio, login):
    from mtss.models import AccessLog

    _determine(ohio)
    rimp = _create(ohio)
    login(ohio["side"].principal).get(reverse("rimp_detail", kwargs={"rimp_id": rimp.pk}))
    with tenant_context(ohio["side"].district):
        entry = AccessLog.objects.filter(district=ohio["side"].district, what="RIMP").latest("at")
    assert entry.student_ids == [rimp.student_id]


# --- the report ------------------------------------------------------------------------------------


def test_the_state_rule():
    today = dt.date(2026, 12, 1)
    due, past = today + dt.timedelta(days=5), today - dt.timedelta(days=1)
    assert rimp_state(due=due, today=today, status=None, letter_sent=False) == "due"
    assert rimp_state(due=due, today=today, status="draft", letter_sent=False) == "created"
    assert rimp_state(due=past, today=today, status="draft", letter_sent=False) == "overdue"
    assert rimp_state(due=past, today=today, status=None, letter_sent=False) == "overdue"
    assert rimp_state(due=past, today=today, status="approved", letter_sent=False) == "approved"
    assert rimp_state(due=past, today=today, status="approved", letter_sent=True) == "sent"


def test_the_report_shows_each_state_with_counts(ohio, login):
    side, today = ohio["side"], ohio["today"]
    membership = f.membership_of(side.principal, side.district)

    def states():
        with tenant_context(side.district):
            result = compliance.rimp_status(
                district=side.district, membership=membership, year=ohio["year"], today=today
            )
        return {r.emis.student.split(",")[0]: r.state for r in result["rows"]}, result

    found, result = states()  # before the determinations: rated from the scores, not yet determined
    assert found == {"Kim": "due", "Max": "overdue"} and result["undetermined"] == 2
    response = login(side.principal).post(reverse("reports_rimp_determine"), {"year": ohio["year"].pk})
    assert response.status_code == 302
    rimp = _create(ohio)
    found, result = states()
    assert found == {"Kim": "created", "Max": "overdue"} and result["undetermined"] == 0
    _approve(ohio, rimp, side.principal)
    assert states()[0]["Kim"] == "approved"
    with tenant_context(side.district):
        Notice.objects.filter(district=side.district, letter_type="rimp").update(status="sent", sent_at=timezone.now())
    found, result = states()
    assert found["Kim"] == "sent"
    assert result["counts"] == {"due": 0, "created": 0, "approved": 0, "sent": 1, "overdue": 1}
    page = login(side.principal).get(reverse("reports_rimp"), {"year": ohio["year"].pk}).content.decode()
    assert "1 student is past the deadline." in page
    assert reverse("rimp_detail", kwargs={"rimp_id": rimp.pk}) in page
    max_id = ohio["kids"]["Max"].pk
    assert reverse("rimp_create", kwargs={"student_id": max_id}) in page

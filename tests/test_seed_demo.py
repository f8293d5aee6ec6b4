"""`manage.py seed_demo`: four deterministic, idempotent demo districts (demo/districts.py).

Reads of district-owned rows run inside `tenant_context`, so the tests pass on
PostgreSQL under row-level security as well as on SQLite.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from demo import districts as demo
from interventions.models import TierPlacement
from mtss.models import (
    AccessLog,
    District,
    Membership,
    MembershipSchool,
    PolicyVersion,
    Role,
    School,
    SchoolYear,
    User,
)
from mtss.policy import validate_policy
from mtss.tenancy import tenant_context
from students.access import visible_students
from students.models import Enrollment, Guardian, Student, StudentUserObjectPermission

SCALE = 0.2  # 52-80 students a district: enough for every role, quick to build
SLUGS = [spec.slug for spec in demo.SPECS]
MODELS = [
    School,
    SchoolYear,
    Membership,
    MembershipSchool,
    Student,
    Guardian,
    Enrollment,
    TierPlacement,
    StudentUserObjectPermission,
    PolicyVersion,
]


def _seed(**kwargs):
    return demo.seed_demo(scale=SCALE, **kwargs)


def _districts() -> dict[str, District]:
    return {d.slug: d for d in District.objects.filter(slug__in=SLUGS)}


def _counts() -> dict:
    counts = {"users": User.objects.filter(email__endswith="@" + demo.DEMO_EMAIL_DOMAIN).count()}
    for slug, district in _districts().items():
        with tenant_context(district):
            for model in MODELS:
                counts[slug, model.__name__] = model.objects.filter(district=district).count()
    return counts


def _roster(district: District) -> list[tuple]:
    with tenant_context(district):
        return list(
            Student.objects.filter(district=district)
            .order_by("local_id")
            .values_list("local_id", "first_name", "last_name", "birth_date", "grade", "home_language")
        )


@pytest.fixture
def seeded(db):
    return _seed()


def test_it_creates_the_four_demo_districts(seeded):
    districts = _districts()
    assert sorted(districts) == sorted(SLUGS)
    assert {d.slug: d.state for d in districts.values()} == {
        "loudon-county-tn": "TN",
        "holland-patent-ny": "NY",
        "ohio-virtual-academy": "OH",
        "lausd-secondary": "CA",
    }
    assert all(d.name.endswith("(demo)") for d in districts.values())
    assert [r.action for r in seeded] == ["created"] * 4


def test_it_gives_schools_plausible_grade_spans_and_two_school_years(seeded):
    districts = _districts()

    def spans(slug):
        with tenant_context(districts[slug]):
            return {(s.grade_low, s.grade_high) for s in School.objects.filter(district=districts[slug])}

    assert all(low >= 6 and high <= 12 for low, high in spans("lausd-secondary"))
    assert all(low >= 0 and high <= 8 for low, high in spans("loudon-county-tn"))
    assert {high for _, high in spans("holland-patent-ny")} >= {5, 8, 12}
    assert (0, 5) in spans("ohio-virtual-academy") and (9, 12) in spans("ohio-virtual-academy")
    for district in districts.values():
        with tenant_context(district):
            years = {y.name: y for y in SchoolYear.objects.filter(district=district)}
            assert set(years) == {"2026-2027", "2025-2026"}
            assert years["2026-2027"].start_date.month == 8 and years["2026-2027"].end_date.month == 6


def test_it_gives_every_district_every_role_and_a_principal_per_school(seeded):
    for district in _districts().values():
        with tenant_context(district):
            roles = set(Membership.objects.filter(district=district).values_list("role", flat=True))
            assert roles == set(Role.values)
            for school in School.objects.filter(district=district):
                assert school.principal is not None
                membership = Membership.objects.get(district=district, user=school.principal)
                assert membership.role == Role.PRINCIPAL
                assert list(membership.schools.all()) == [school]


def test_it_creates_the_demo_logins_with_the_demo_password(seeded):
    table = demo.login_table()
    assert len(table) == 4 * len(Role.values)
    for row in table:
        user = User.objects.get(username=row["username"])
        assert user.email == f"{row['username']}@demo.mtss.invalid"
        assert user.check_password(demo.DEMO_PASSWORD)
    loudon = _districts()["loudon-county-tn"]
    with tenant_context(loudon):
        expected = {f"{short}.loudon": role for role, short in demo.ROLE_LOGINS}
        found = dict(
            Membership.objects.filter(district=loudon, user__username__in=expected).values_list(
                "user__username", "role"
            )
        )
        assert found == expected


def test_every_student_has_guardians_and_an_enrolment_that_fit(seeded):
    for district in _districts().values():
        with tenant_context(district):
            current = SchoolYear.objects.get(district=district, name="2026-2027")
            guardians = Counter(Guardian.objects.filter(district=district).values_list("student_id", flat=True))
            enrolled = {
                (e.student_id, e.school_id, e.grade)
                for e in Enrollment.objects.filter(district=district, school_year=current)
            }
            students = list(Student.objects.filter(district=district).select_related("school"))
            assert students
            for student in students:
                assert 1 <= guardians[student.pk] <= 2
                assert (student.pk, student.school_id, student.grade) in enrolled
                assert student.school.grade_low <= student.grade <= student.school.grade_high
                age = 2026 - student.birth_date.year - ((student.birth_date.month, student.birth_date.day) > (9, 1))
                assert age in (student.grade + 5, student.grade + 6)
                assert student.entry_date <= date(2026, 11, 1)


def test_home_languages_follow_the_district(seeded):
    districts = _districts()

    def languages(slug):
        with tenant_context(districts[slug]):
            return Counter(Student.objects.filter(district=districts[slug]).values_list("home_language", flat=True))

    lausd = languages("lausd-secondary")
    assert lausd["es"] > lausd["en"] * 0.8
    assert len(lausd) >= 4
    holland_patent = languages("holland-patent-ny")
    assert holland_patent["en"] / sum(holland_patent.values()) > 0.85


def test_tiers_have_the_80_15_5_shape(seeded):
    closed = 0
    for spec in demo.SPECS:
        district = District.objects.get(slug=spec.slug)
        area = spec.areas[0][0]  # reading or ELA
        with tenant_context(district):
            total = Student.objects.filter(district=district).count()
            open_reading = Counter(
                TierPlacement.objects.filter(district=district, area=area, end_date__isnull=True).values_list(
                    "tier", flat=True
                )
            )
            closed += TierPlacement.objects.filter(district=district, end_date__isnull=False).count()
        tier2 = open_reading[2] / total
        tier3_up = sum(n for tier, n in open_reading.items() if tier >= 3) / total
        assert 0.10 <= tier2 <= 0.20, (district.slug, open_reading)
        assert 0.03 <= tier3_up <= 0.08, (district.slug, open_reading)
        assert 0.72 <= 1 - tier2 - tier3_up <= 0.87
    assert closed > 0  # some history


def test_it_counts_the_district_dashboards_snapshot(seeded):
    # The district dashboard reads its counts from the nightly snapshot; the demo takes one.
    from reports.models import DashboardCount, DashboardSnapshot

    for spec in demo.SPECS:
        district = District.objects.get(slug=spec.slug)
        with tenant_context(district):
            current = Student.objects.filter(district=district, exit_date__isnull=True).count()
            assert DashboardSnapshot.objects.get(district=district).students == current
            tiers = DashboardCount.objects.filter(district=district, section="tier", area="")
            assert sum(tiers.values_list("n", flat=True)) == current


def test_teachers_see_their_grade_and_specialists_a_caseload(seeded):
    loudon = _districts()["loudon-county-tn"]
    teacher = User.objects.get(username="teacher.loudon")
    specialist = User.objects.get(username="specialist.loudon")
    with tenant_context(loudon):
        membership = Membership.objects.get(district=loudon, user=teacher)
        school = membership.schools.get()
        grade_ids = set(Student.objects.filter(school=school, grade=3).values_list("pk", flat=True))
        assert grade_ids
        granted = set(
            StudentUserObjectPermission.objects.filter(user=teacher).values_list("content_object_id", flat=True)
        )
        assert granted == grade_ids
        assert set(visible_students(district=loudon, membership=membership).values_list("pk", flat=True)) == grade_ids
        caseload = StudentUserObjectPermission.objects.filter(user=specialist).count()
        assert 1 <= caseload <= 60


def test_placement_areas_and_tiers_are_those_of_the_districts_policy(seeded):
    for spec in demo.SPECS:
        district = District.objects.get(slug=spec.slug)
        with tenant_context(district):
            version = PolicyVersion.objects.get(district=district)
            document = validate_policy(version.document)
            used = set(TierPlacement.objects.filter(district=district).values_list("area", "tier"))
        assert version.name == spec.slug
        assert {area for area, _ in used} <= {a.key for a in document.areas}
        assert max(tier for _, tier in used) <= len(document.tiers)


def test_full_size_specialist_caseloads_hold_40_to_60_students():
    for spec in demo.SPECS:
        plan = demo.build_district(spec, spec.default_students)
        sizes = [len(row.caseload) for row in plan.staff if row.role == Role.INTERVENTION_SPECIALIST]
        assert sizes and all(40 <= n <= 70 for n in sizes), (spec.slug, sizes)
        assert len(plan.students) == spec.default_students


def test_running_twice_creates_nothing(seeded):
    before = _counts()
    again = _seed()
    assert [r.action for r in again] == ["kept"] * 4
    assert _counts() == before


def test_the_same_seed_builds_the_same_district():
    spec = demo.SPEC_BY_SLUG["lausd-secondary"]
    one, two = demo.build_district(spec, 120, seed=7), demo.build_district(spec, 120, seed=7)

    def key(plan):
        return [(s.local_id, s.first_name, s.last_name, s.birth_date, s.school) for s in plan.students]

    assert key(one) == key(two)
    assert [r.username for r in one.staff] == [r.username for r in two.staff]
    assert key(demo.build_district(spec, 120, seed=8)) != key(one)


def test_reset_rebuilds_the_same_rows_and_keeps_the_access_log(seeded):
    district = _districts()["ohio-virtual-academy"]
    roster = _roster(district)
    before = _counts()
    with tenant_context(district):
        AccessLog.objects.create(
            district=district, action="view", what="student", path="/students/1/", student_ids=[1], student_count=1
        )
    results = _seed(reset=True)
    assert [r.action for r in results] == ["rebuilt"] * 4
    assert _districts()["ohio-virtual-academy"].pk == district.pk
    assert _roster(district) == roster
    assert _counts() == before
    with tenant_context(district):
        assert AccessLog.objects.filter(district=district).count() == 1
    connection.check_constraints()  # the deferred foreign keys hold after the purge


def test_students_option_scales_one_district(db):
    out = io.StringIO()
    call_command("seed_demo", students=1200, district="holland-patent-ny", scale=SCALE, stdout=out)
    districts = _districts()
    holland_patent, loudon = districts["holland-patent-ny"], districts["loudon-county-tn"]
    with tenant_context(holland_patent):
        assert Student.objects.filter(district=holland_patent).count() == 1200
        assert School.objects.filter(district=holland_patent).count() == 4  # ~400 students a school: its 4 suffice
    with tenant_context(loudon):
        assert Student.objects.filter(district=loudon).count() == round(320 * SCALE)
    # Same request again: nothing to do. Another size needs --reset.
    call_command("seed_demo", students=1200, district="holland-patent-ny", scale=SCALE, stdout=io.StringIO())
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", students=1300, district="holland-patent-ny", scale=SCALE, stdout=io.StringIO())


def test_scaling_up_adds_schools_with_valid_spans():
    spec = demo.SPEC_BY_SLUG["loudon-county-tn"]
    plan = demo.build_district(spec, 5000)
    assert len(plan.schools) == 13  # one school per ~400 students: ceil(5000 / 400)
    assert len({s.code for s in plan.schools}) == 13
    spans = {s.code: (s.grade_low, s.grade_high) for s in plan.schools}
    assert all(spans[st.school][0] <= st.grade <= spans[st.school][1] for st in plan.students)
    assert len({st.local_id for st in plan.students}) == 5000


def test_it_prints_the_logins_and_no_student_names(db):
    out = io.StringIO()
    call_command("seed_demo", scale=SCALE, stdout=out)
    text = out.getvalue()
    for username in ("principal.loudon", "specialist.hollandpatent", "teacher.ohva", "readonly.lausd"):
        assert username in text
    assert demo.DEMO_PASSWORD in text
    for district in _districts().values():
        with tenant_context(district):
            for first, last in Student.objects.filter(district=district).values_list("first_name", "last_name"):
                assert f"{first} {last}" not in text and f"{last}, {first}" not in text


def test_it_refuses_to_touch_a_district_that_is_not_a_demo(db):
    District.objects.create(name="Los Angeles Unified", slug="lausd-secondary", state="CA")
    with pytest.raises(demo.DemoError, match="not a demo district"):
        _seed()
    assert not District.objects.filter(slug="loudon-county-tn").exists()


def test_every_loudon_plan_with_norms_is_checked_for_dual_discrepancy(seeded):
    """Issue 12: on the demo, every Loudon plan whose grade and measure have norms shows a
    dual-discrepancy finding with its numbers (none reads "not checked")."""
    from interventions.models import InterventionSession, Plan
    from interventions.selectors import evaluate_plans
    from mtss.calendars.models import CalendarEvent

    district = _districts()["loudon-county-tn"]
    with tenant_context(district):
        plans = list(
            Plan.objects.filter(district=district, status=Plan.Status.ACTIVE).select_related("student", "placement")
        )
        results = evaluate_plans(district=district, plans=plans)
        breaks = list(
            CalendarEvent.objects.filter(district=district, school__isnull=True).values_list("start_date", "end_date")
        )
        session_days = set(InterventionSession.objects.filter(district=district).values_list("date", flat=True))
    assert plans and breaks
    with_norms = [r for r in results.values() if r.norms.missing is None]
    assert with_norms, "no Loudon plan found its norms"
    for result in with_norms:
        finding = result.finding("dual_discrepancy")
        assert finding.values["level_cut"] is not None and finding.values["roi_cut"] is not None
        assert "not checked" not in finding.explanation
        assert "Illustrative norms" in finding.values["norms_source"]
    # Only kindergarten (aimsweb R-CBM starts in grade 1) lacks norms.
    assert {r.plan.student.grade for r in results.values() if r.norms.missing is not None} <= {0}
    # No session on a day without school, none today.
    assert not any(first <= day <= last for day in session_days for first, last in breaks)
    assert timezone.localdate() not in session_days


def test_loudon_has_a_reviewed_referral_and_lausd_a_pdsa_cycle(seeded):
    """Issue 13, item 6: Loudon's referral with its log reviewed by the school psychologist (and one
    blocked for want of a log); LAUSD's PDSA cycle on an intervention, studied and decided."""
    from interventions.models import PdsaCycle, Referral

    districts = _districts()
    loudon, lausd = districts["loudon-county-tn"], districts["lausd-secondary"]
    with tenant_context(loudon):
        referrals = {r.status: r for r in Referral.objects.filter(district=loudon).select_related("reviewed_by")}
    reviewed = referrals["reviewed"]
    assert reviewed.reviewed_by.username == "psych.loudon" and reviewed.reviewer_role == "psychologist"
    assert reviewed.evidence["plans"] and all(p["log"] for p in reviewed.evidence["plans"] if p["sessions_delivered"])
    assert any("No session log" in m for m in referrals["blocked"].missing)
    with tenant_context(lausd):
        (cycle,) = PdsaCycle.objects.filter(district=lausd)
        linked = cycle.interventions.count()
    assert cycle.decision == "adapt" and cycle.what_was_learned and linked == 1


def test_each_district_has_the_letters_of_its_own_process(seeded):
    """Issue 13, item 6 (demo/stories.py): the letters exist because the services made them.
    Loudon: the fall screening letters (the at-risk one to the families below the 25th percentile),
    the invitations of the scheduled S-Team meeting and the outcome letters of the closed one.
    Holland Patent: start and end notices carrying the content 8 NYCRR 100.2(ii) requires."""
    from interventions.models import Meeting
    from notifications.models import Notice

    districts = _districts()
    loudon, holland = districts["loudon-county-tn"], districts["holland-patent-ny"]
    with tenant_context(loudon):
        meetings = {m.status: m for m in Meeting.objects.filter(district=loudon)}
        letters = list(Notice.objects.filter(district=loudon))
    assert meetings["scheduled"].team_type == "s_team" and meetings["scheduled"].starts_at > timezone.now()
    assert meetings["closed"].starts_at < timezone.now()
    by_trigger = Counter(n.trigger for n in letters)
    assert by_trigger["screening_at_risk"] and by_trigger["screening_completed"]
    at_risk = [n for n in letters if n.trigger == "screening_at_risk"]
    assert all(any(row["at_risk"] for row in n.context["screening"]) for n in at_risk)
    invitations = [n for n in letters if n.trigger == "meeting_scheduled"]
    assert invitations and {n.meeting_id for n in invitations} == {meetings["scheduled"].pk}
    outcomes = [n for n in letters if n.trigger == "meeting_outcome"]
    assert outcomes and {n.meeting_id for n in outcomes} == {meetings["closed"].pk}
    with tenant_context(holland):
        notices = list(Notice.objects.filter(district=holland))
    starts = [n for n in notices if n.trigger == "tier_start"]
    ends = [n for n in notices if n.trigger == "tier_end"]
    assert starts and ends
    # The policy's required blocks travel with each letter (the letter refuses to render without them).
    assert all(n.content_blocks for n in starts + ends)
    assert all(n.context.get("teacher_recommendation") for n in ends)


def test_ohio_leaves_students_at_each_rimp_state_and_only_the_seeded_ones_overdue(db):
    """Ohio's reading guarantee (demo/reading.py): due, created, approved, sent, and overdue only for
    the students left without a plan on purpose. 150 Ohio students: enough K-3 readers not on track."""
    from reports.compliance import rimp_status

    results = demo.seed_demo(sizes={"ohio-virtual-academy": 150}, scale=0.05)
    seeded = next(r.counts for r in results if r.slug == "ohio-virtual-academy")
    district = _districts()["ohio-virtual-academy"]
    with tenant_context(district):
        admin = Membership.objects.filter(district=district, role=Role.DISTRICT_ADMIN).first()
        year = SchoolYear.objects.get(district=district, name="2026-2027")
        result = rimp_status(district=district, membership=admin, year=year, today=timezone.localdate())
    counts = result["counts"]
    assert all(counts[state] >= 1 for state in ("due", "created", "approved", "sent", "overdue")), counts
    assert counts["overdue"] == seeded["rimp_overdue"] <= 3
    assert (counts["due"], counts["created"], counts["approved"], counts["sent"]) == (
        seeded["rimp_due"],
        seeded["rimp_created"],
        seeded["rimp_approved"],
        seeded["rimp_sent"],
    )
    assert result["undetermined"] == 0
    # Every overdue student is one the seed left without a RIMP.
    assert all(r.rimp_id is None for r in result["rows"] if r.state == "overdue")


def test_lausd_behavior_plans_have_a_few_weeks_of_check_in_check_out_cards(seeded):
    """Issue 17, item 3 (demo/cico.py): LAUSD's behavior plans carry point cards, each card's
    percentage is its probe's score, and every rating is 0, 1 or 2."""
    from interventions.cico.models import PointCard, PointCardSetup, PointRating

    lausd = _districts()["lausd-secondary"]
    with tenant_context(lausd):
        setups = PointCardSetup.objects.filter(district=lausd).select_related("plan")
        assert setups.exists() and {s.plan.area for s in setups} == {"behavior"}
        cards = list(PointCard.objects.filter(district=lausd).select_related("probe"))
        assert len(cards) >= 5 * setups.count()  # about 4 weeks of school days each
        assert all(card.probe.score == card.percent and card.probe.plan_id == card.plan_id for card in cards)
        ratings = set(PointRating.objects.filter(district=lausd).values_list("rating", flat=True))
        assert ratings <= {0, 1, 2} and len(ratings) == 3

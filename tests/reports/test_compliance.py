"""Compliance reports against hand-computed expectations: the AIS/RtI building log, the
EMIS on-track export, RIMP status, referral readiness and the program evaluation."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from interventions.models import AgendaItem, Decision, Intervention, Meeting, TierPlacement
from interventions.services import plan_create, probes_add
from mtss.models import SchoolYear
from mtss.tenancy import tenant_context
from reports import compliance
from tests import factories as f
from tests.reports.cases import _sessions, access_logs, load_policy

D = dt.date


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --- Holland Patent: the AIS/RtI building log -----------------------------------------------------


@pytest.fixture
def building(world):
    """Year 2026-2027 (Aug 1 - Jun 30). Expected log, by building, grade, name:

    | student | placements                                                  | initial    | ELA | math | SS | sci | dismiss    |
    | Ames    | ela T2 from 2026-09-15 (open); math T2 2026-10-01..2026-12-15 | 2026-09-15 | T2  | T2   |    |     |            |
    | Baker   | science T2 2026-09-20..11-30, then T3 12-01..2027-02-01       | 2026-09-20 |     |      |    | T3  | 2027-02-01 |
    | Cole    | social studies T2 2025-10-01..2026-09-30 (from last year)     | 2025-10-01 |     |      | T2 |     | 2026-09-30 |
    Not in it: Dunn (T2 ended 2026-06-01, before the year), Eads (Tier 1 only), Fox at
    the other school for a principal of this school, district B's students.
    """
    side = world.a
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district, name="2026-2027")

    def student(name, school=None, grade=2):
        return f.make_student(side.district, school or side.school, last_name=name, grade=grade)

    people = {n: student(n) for n in ("Ames", "Baker", "Cole", "Dunn", "Eads")}
    people["Fox"] = student("Fox", side.other_school, grade=7)
    rows = [
        ("Ames", "ela", 2, D(2026, 9, 15), None),
        ("Ames", "math", 2, D(2026, 10, 1), D(2026, 12, 15)),
        ("Baker", "science", 2, D(2026, 9, 20), D(2026, 11, 30)),
        ("Baker", "science", 3, D(2026, 12, 1), D(2027, 2, 1)),
        ("Cole", "social-studies", 2, D(2025, 10, 1), D(2026, 9, 30)),
        ("Dunn", "ela", 2, D(2025, 11, 1), D(2026, 6, 1)),
        ("Eads", "ela", 1, D(2026, 9, 1), None),
        ("Fox", "math", 2, D(2026, 9, 10), None),
    ]
    with tenant_context(side.district):
        TierPlacement.objects.bulk_create(
            [
                TierPlacement(district=side.district, student=people[n], area=a, tier=t, start_date=s, end_date=e)
                for n, a, t, s, e in rows
            ]
        )
    b = world.b
    foreign = f.make_student(b.district, b.school, last_name="Other")
    with tenant_context(b.district):
        TierPlacement.objects.create(district=b.district, student=foreign, area="ela", tier=2, start_date=D(2026, 9, 1))
    return {"side": side, "year": year, "people": people}


def test_the_building_log_matches_the_hand_computed_rows(building, login):
    side, year = building["side"], building["year"]
    client = login(side.principal)
    response = client.get(reverse("reports_building_log"), {"year": year.pk, "export": "building-log", "format": "csv"})
    rows = _csv(response)
    assert rows[0] == [
        "Year",
        "Building",
        "Grade",
        "Student",
        "Initial date",
        "ELA",
        "Math",
        "Social studies",
        "Science",
        "Dismiss date",
    ]
    school = side.school.name
    assert rows[1:] == [
        [
            "2026-2027",
            school,
            "2",
            f"Ames, {building['people']['Ames'].first_name}",
            "2026-09-15",
            "Tier 2",
            "Tier 2",
            "",
            "",
            "",
        ],
        [
            "2026-2027",
            school,
            "2",
            f"Baker, {building['people']['Baker'].first_name}",
            "2026-09-20",
            "",
            "",
            "",
            "Tier 3",
            "2027-02-01",
        ],
        [
            "2026-2027",
            school,
            "2",
            f"Cole, {building['people']['Cole'].first_name}",
            "2025-10-01",
            "",
            "",
            "Tier 2",
            "",
            "2026-09-30",
        ],
    ]
    [log] = access_logs(side.district, action="export")
    assert set(log.student_ids) == {building["people"][n].pk for n in ("Ames", "Baker", "Cole")}


def test_a_district_admin_sees_every_building_and_the_xlsx_matches(building, login):
    side, year = building["side"], building["year"]
    client = login(side.district_admin)
    page = client.get(reverse("reports_building_log"), {"year": year.pk})
    assert page.status_code == 200
    names = [row[3].text.split(",")[0] for row in page.context["tables"]["building_log"].rows]
    assert names == ["Ames", "Baker", "Cole", "Fox"]  # the middle school's Fox too; never district B's
    response = client.get(
        reverse("reports_building_log"), {"year": year.pk, "export": "building-log", "format": "xlsx"}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Year" and len(values) == 5
    assert values[4][1] == side.other_school.name and values[4][6] == "Tier 2"


def test_an_unknown_year_answers_400(building, login):
    response = login(building["side"].principal).get(reverse("reports_building_log"), {"year": "999999"})
    assert response.status_code == 400
    assert "Unknown school year" in response.content.decode()


# --- Ohio: EMIS on track / not on track, and the RIMP -------------------------------------------


@pytest.fixture
def ohio(world):
    """K-3 reading diagnostics in the fall window, under Ohio's policy (RIMP due in 60 days).

    | student   | grade | diagnostic (days before today) | tier | rating       | reading plan | RIMP letter          |
    | Adams     | 1     | 100                             | 2    | not on track | Fundations   | sent 45 days ago     |
    | Brooks    | 2     | 90                              | 1    | on track     |              |                      |
    | Carter    | 3     | none                            |      | not assessed |              |                      |
    | Dale      | 0 (K) | 20                              | 3    | not on track |              | none                 |
    | Eaton     | 2     | 70                              | 2    | not on track |              | pending (not sent)   |
    | Ford      | 5     | 100                             | 2    | (not K-3: left out)                                  |
    RIMP: Adams due on day -40, given on day -45: on time. Dale due in 40 days: due.
    Eaton due 10 days ago, letter not sent: past the deadline by 10 days.
    """
    from notifications.models import Notice
    from screening.models import Assessment, Measure, Score, ScreeningWindow

    side = world.a
    load_policy(side, "ohio-virtual-academy")
    today = timezone.localdate()
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district, name="2026-2027")
        assessment = Assessment.objects.create(district=side.district, key="aimsweb", name="aimswebPlus")
        measure = Measure.objects.create(
            district=side.district,
            assessment=assessment,
            key="orf",
            name="Oral Reading Fluency",
            subject="reading",
            score_type="raw",
        )
        window = ScreeningWindow.objects.create(
            district=side.district,
            school_year=year,
            season="fall",
            start_date=today - dt.timedelta(days=120),
            end_date=today - dt.timedelta(days=10),
        )
    kids = {}
    for name, grade in (("Adams", 1), ("Brooks", 2), ("Carter", 3), ("Dale", 0), ("Eaton", 2), ("Ford", 5)):
        kids[name] = f.make_student(side.district, side.school, last_name=name, grade=grade)
    fundations = None
    with tenant_context(side.district):
        for name, days, tier in (
            ("Adams", 100, 2),
            ("Brooks", 90, 1),
            ("Dale", 20, 3),
            ("Eaton", 70, 2),
            ("Ford", 100, 2),
        ):
            Score.objects.create(
                district=side.district,
                student=kids[name],
                measure=measure,
                window=window,
                school=side.school,
                grade=kids[name].grade,
                test_date=today - dt.timedelta(days=days),
                score=30 + tier,
                tier=tier,
                risk_label="at risk" if tier > 1 else "",
            )
        fundations = Intervention.objects.create(
            district=side.district, name="Fundations", area="reading", tiers=[2, 3]
        )
    start = today - dt.timedelta(days=95)
    with tenant_context(side.district):
        plan_create(
            district=side.district,
            actor=None,
            student=kids["Adams"],
            area="reading",
            tier=2,
            intervention=fundations,
            provider=side.intervention_specialist,
            start_date=start,
            expected_end_date=start + dt.timedelta(weeks=20),
            goal_measure="ORF",
            goal_target=60,
            goal_target_date=start + dt.timedelta(weeks=20),
            sessions_per_week=3,
            minutes_per_session=30,
        )

        def notice(student, status, sent_days_ago=None):
            sent = _noon(today - dt.timedelta(days=sent_days_ago)) if sent_days_ago is not None else None
            return Notice.objects.create(
                district=side.district,
                student=student,
                school=side.school,
                recipient_key="guardian:1",
                recipient_name="Parent",
                notice_key="rimp",
                letter_type="rimp",
                title="RIMP",
                period_key="2026",
                language="en",
                channel="email",
                status=status,
                sent_at=sent,
            )

        notice(kids["Adams"], "sent", 45)
        notice(kids["Eaton"], "pending")
    return {"side": side, "year": year, "kids": kids, "today": today}


def test_the_emis_export_rates_each_k3_student_and_lists_the_interventions(ohio, login):
    side = ohio["side"]
    client = login(side.principal)
    response = client.get(reverse("reports_emis"), {"year": ohio["year"].pk, "export": "emis", "format": "csv"})
    rows = {r[2].split(",")[0]: r for r in _csv(response)[1:]}
    world_kids = {s.last_name for s in side.students[:3]}  # the world's grade-2 students: no diagnostic
    assert set(rows) == {"Adams", "Brooks", "Carter", "Dale", "Eaton"} | world_kids  # Ford is in grade 5
    assert [rows[n][9] for n in ("Adams", "Brooks", "Carter", "Dale", "Eaton")] == [
        "Not on track",
        "On track",
        "Not assessed",
        "Not on track",
        "Not on track",
    ]
    assert rows["Adams"][10] == "Fundations"
    assert rows["Brooks"][10] == ""
    assert rows["Dale"][3] == "K"
    assert rows["Adams"][6] == "Oral Reading Fluency"
    assert rows["Adams"][7] == (ohio["today"] - dt.timedelta(days=100)).isoformat()
    page = client.get(reverse("reports_emis"), {"year": ohio["year"].pk})
    assert "1 on track, 3 not on track, 4 not assessed." in page.content.decode()


def test_rimp_status_finds_who_is_past_the_sixty_day_deadline(ohio):
    side, today = ohio["side"], ohio["today"]
    membership = f.membership_of(side.principal, side.district)
    with tenant_context(side.district):
        result = compliance.rimp_status(district=side.district, membership=membership, year=ohio["year"], today=today)
    assert result["within_days"] == 60
    rows = {r.emis.student.split(",")[0]: r for r in result["rows"]}
    assert set(rows) == {"Adams", "Dale", "Eaton"}
    assert rows["Adams"].due_date == today - dt.timedelta(days=40)
    assert (rows["Adams"].state, rows["Adams"].given_on) == ("sent", today - dt.timedelta(days=45))
    assert (rows["Dale"].state, rows["Dale"].due_date) == ("due", today + dt.timedelta(days=40))
    # No RIMP 10 days after the deadline (a pending letter is not a plan): overdue.
    assert (rows["Eaton"].state, rows["Eaton"].days_late) == ("overdue", 10)
    assert result["counts"] == {"due": 1, "created": 0, "approved": 0, "sent": 1, "overdue": 1}
    assert result["rows"][0].emis.student.startswith("Eaton")  # the late ones first


def test_the_rimp_page_says_how_many_are_late(ohio, login):
    response = login(ohio["side"].principal).get(reverse("reports_rimp"), {"year": ohio["year"].pk})
    assert response.status_code == 200
    assert "1 student is past the deadline." in response.content.decode()
    rows = _csv(
        login(ohio["side"].principal).get(
            reverse("reports_rimp"), {"year": ohio["year"].pk, "export": "rimp", "format": "csv"}
        )
    )
    eaton = next(r for r in rows if r[0].startswith("Eaton"))
    assert eaton[5] == "Overdue" and eaton[8] == "10"


# --- special-education referral readiness -------------------------------------------------------


@pytest.fixture
def referral(world):
    """Loudon (referral from Tier III, at least 45 sessions; fidelity 80 %, minutes must match).

    Three Tier III plans started 70 days ago, 5 x 60 min a week: scheduled sessions are the school
    days of those 71 days (50 or 51, by the weekday the test runs on; no calendar events).
    | student | delivered (60 min) | fidelity           | parents notified       | ready |
    | Gray    | 46                 | 90-92 % adequate   | tier letter sent       | yes   |
    | Hale    | 30                 | 59-60 % low        | no                     | no    |
    | Irwin   | 46                 | 90-92 % adequate   | letter pending only    | no    |
    Irwin was referred at a meeting already (shown, not a condition).
    """
    from notifications.models import Notice

    side = world.a
    load_policy(side)
    today = timezone.localdate()
    start = today - dt.timedelta(days=70)
    kids = {n: f.make_student(side.district, side.school, last_name=n, grade=3) for n in ("Gray", "Hale", "Irwin")}
    # Hale is an English learner in the district for two years (Loudon's ELL referral exception).
    with tenant_context(side.district):
        type(kids["Hale"]).objects.filter(pk=kids["Hale"].pk).update(
            english_learner=True, entry_date=today - dt.timedelta(days=800)
        )
        kids["Hale"].refresh_from_db()
    plans = {}
    with tenant_context(side.district):
        lexia = Intervention.objects.create(district=side.district, name="Lexia", area="reading", tiers=[3])
        for name, count in (("Gray", 46), ("Hale", 30), ("Irwin", 46)):
            plan, _ = plan_create(
                district=side.district,
                actor=None,
                student=kids[name],
                area="reading",
                tier=3,
                intervention=lexia,
                provider=side.intervention_specialist,
                start_date=start,
                expected_end_date=start + dt.timedelta(weeks=18),
                goal_measure="ORF",
                goal_target=80,
                goal_target_date=start + dt.timedelta(weeks=18),
                sessions_per_week=5,
                minutes_per_session=60,
                baseline_probes=[(start - dt.timedelta(days=1), 30)],
            )
            days = [start + dt.timedelta(days=d) for d in range(71) if (start + dt.timedelta(days=d)).weekday() < 5]
            _sessions(
                side.district,
                plan=plan,
                provider=side.intervention_specialist,
                day_minutes=[(d, 60) for d in days[:count]],
                attendance={plan: ["present"] * count},
            )
            plans[name] = plan
            # Flat weekly probes far below the aim line: the decision rules say "not responding".
            probes_add(
                district=side.district,
                actor=None,
                plan=plan,
                probes=[(start + dt.timedelta(weeks=w, days=1), 30 + (w % 2)) for w in range(1, 10)],
            )
        for name, status in (("Gray", "sent"), ("Irwin", "pending")):
            Notice.objects.create(
                district=side.district,
                student=kids[name],
                school=side.school,
                recipient_key="guardian:1",
                recipient_name="Parent",
                notice_key="tier-start",
                letter_type="placement_start",
                title="Start of services",
                period_key="t3",
                language="en",
                channel="email",
                status=status,
                sent_at=_noon(today - dt.timedelta(days=60)) if status == "sent" else None,
            )
        meeting = Meeting.objects.create(
            district=side.district, school=side.school, team_type="s_team", starts_at=timezone.now()
        )
        item = AgendaItem.objects.create(district=side.district, meeting=meeting, student=kids["Irwin"], area="reading")
        Decision.objects.create(
            district=side.district,
            item=item,
            meeting=meeting,
            student=kids["Irwin"],
            plan=plans["Irwin"],
            kind=Decision.Kind.REFER,
        )
    return {"side": side, "kids": kids, "plans": plans, "today": today}


def test_referral_readiness_checks_sessions_fidelity_and_parent_notice(referral, login):
    side = referral["side"]
    membership = f.membership_of(side.psychologist, side.district)
    with tenant_context(side.district):
        result = compliance.referral_readiness(district=side.district, membership=membership, today=referral["today"])
    rows = {r.student.split(",")[0]: r for r in result["rows"]}
    assert result["from_tier"] == 3
    assert (rows["Gray"].sessions, rows["Gray"].min_sessions, rows["Gray"].sessions_met) == (46, 45, True)
    start = referral["today"] - dt.timedelta(days=70)
    scheduled = sum(1 for d in range(71) if (start + dt.timedelta(days=d)).weekday() < 5)
    assert rows["Gray"].fidelity_status == "adequate" and rows["Gray"].sessions_pct == pytest.approx(
        100 * 46 / scheduled
    )
    assert rows["Gray"].notified_on == referral["today"] - dt.timedelta(days=60)
    assert rows["Gray"].ready
    assert (rows["Hale"].sessions_met, rows["Hale"].fidelity_met, rows["Hale"].notified) == (False, False, False)
    assert rows["Hale"].sessions_pct == pytest.approx(100 * 30 / scheduled)
    assert (rows["Irwin"].sessions_met, rows["Irwin"].fidelity_met, rows["Irwin"].notified) == (True, True, False)
    assert rows["Irwin"].referred_on == timezone.localdate()
    assert [r.ready for r in result["rows"]] == [True, False, False]  # ready ones first
    # The policy's conditions, each met or not (special_education_referral, fidelity.log_required_for_referral).
    gray = {c.key: c.met for c in rows["Gray"].conditions}
    assert gray == {
        "minimum_sessions": True,
        "when": True,
        "not_responding": True,
        "fidelity_log": True,
        "fidelity": True,
        "notified": True,
    }
    assert set(rows["Hale"].unmet) >= {"minimum sessions", "fidelity met", "parents notified"}
    # Exceptions that apply to the student: Loudon's English learners (entry at Tier II).
    assert (
        len(rows["Hale"].exceptions) == 1
        and "ELL" in rows["Hale"].exceptions[0]
        or "English learners" in rows["Hale"].exceptions[0]
    )
    assert "May start in Tier 2" in rows["Hale"].exceptions[0] and rows["Gray"].exceptions == []
    response = login(side.psychologist).get(reverse("reports_referral"))
    assert "1 plan meets all the policy's conditions." in response.content.decode()


def test_referral_readiness_agrees_with_the_plan_pages_engine(referral):
    """The batch path (interventions.batch_evaluation) gives each plan the same fidelity and recommendation
    as the pure-Python path the plan page uses (interventions.selectors.evaluate_plans)."""
    from interventions.batch_evaluation import evaluate
    from interventions.models import Plan
    from interventions.selectors import evaluate_plans

    side = referral["side"]
    with tenant_context(side.district):
        plans = list(Plan.objects.filter(district=side.district).select_related("student", "placement"))
        engine = evaluate_plans(district=side.district, plans=plans, as_of=referral["today"])
        for mode in ("rows", "totals"):
            batch = evaluate(
                district=side.district,
                plans=Plan.objects.filter(district=side.district),
                as_of=referral["today"],
                sessions=mode,
            )
            for plan in plans:
                result = engine[plan.pk]
                assert batch.loc[plan.pk, "recommendation"] == result.evaluation.recommendation, (mode, plan.pk)
                assert batch.loc[plan.pk, "status_fidelity"] == result.finding("fidelity").status, (mode, plan.pk)
                assert batch.loc[plan.pk, "sessions_delivered"] == result.finding("fidelity").values.get(
                    "sessions_delivered", batch.loc[plan.pk, "sessions_delivered"]
                )


def test_a_teacher_cannot_open_compliance_reports(referral, login):
    client = login(referral["side"].teacher)
    for name in (
        "reports_referral",
        "reports_building_log",
        "reports_emis",
        "reports_rimp",
        "reports_program_evaluation",
    ):
        assert client.get(reverse(name)).status_code == 404, name


# --- program evaluation per benchmark window ---------------------------------------------------------


def test_the_program_evaluation_reports_each_window(ohio, login):
    """Fall window (ends 10 days ago): 6 enrolled at the school... plus the world's 3; 5 screened, 4 at risk."""
    side = ohio["side"]
    membership = f.membership_of(side.principal, side.district)
    with tenant_context(side.district):
        points = compliance.program_evaluation(
            district=side.district, membership=membership, year=ohio["year"], today=ohio["today"]
        )
    fall = points[0]
    assert fall.day == ohio["today"] - dt.timedelta(days=10)
    assert fall.enrolled == 3 + 6  # the world's three students at the school and the six of this case
    assert (fall.screened, fall.at_risk) == (5, 4)
    assert fall.tiers.get(2) == 1  # Adams's plan opened a Tier 2 placement 95 days ago
    assert fall.effect.plans == 1
    assert points[-1].label in ("Year to date", "End of year")
    response = login(side.principal).get(reverse("reports_program_evaluation"), {"year": ohio["year"].pk})
    assert response.status_code == 200
    table = response.context["tables"]["program_evaluation"]
    assert table.rows[0][3].text == "5" and table.rows[0][4].text == "too few to judge"  # 5 of 9: n < 10


def _noon(day: dt.date) -> dt.datetime:
    """Noon of a school day, in the school's time zone: "60 days ago" counted on the calendar,
    so a daylight-saving change between then and now cannot move it to another day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))

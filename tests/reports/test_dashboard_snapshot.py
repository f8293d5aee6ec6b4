"""The district dashboard's snapshot (reports.models.DashboardCount; issue 16, item 7): its
numbers equal the live selectors' on a seeded district, the page reads it in the same
number of queries however many students there are, a principal's read keeps their
schools, and the refresh is an administrator's action that queues the job."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interventions.models import TierPlacement
from mtss.models import AuditEvent, SchoolYear
from mtss.tenancy import tenant_context
from reports import selectors, tasks
from reports.models import DashboardCount, DashboardSnapshot
from reports.services import dashboard_refresh
from screening.models import Assessment, Measure, Score, ScreeningWindow
from students.models import SUBGROUPS
from tests import factories as f

D = dt.date
AREAS = ("reading", "math")


def _seed(side, *, students: int, seed: int) -> None:
    """Students in both schools with random subgroup flags, exits and late entries; per area
    0-4 placements in a row (tiers 1-4, gaps of 0-20 days, the last one maybe still open),
    spanning the two school years; three screening windows with scores for some students."""
    rng = random.Random(seed)
    with tenant_context(side.district):
        years = list(SchoolYear.objects.filter(district=side.district).order_by("start_date"))
        windows = list(ScreeningWindow.objects.filter(district=side.district).order_by("start_date"))
        measure = Measure.objects.get(district=side.district, key="orf")
    placements, scores = [], []
    for i in range(students):
        school = side.school if i % 3 else side.other_school
        flags = {key: rng.random() < 0.3 for key in SUBGROUPS}
        entry = rng.choice([D(2025, 8, 20), D(2026, 8, 15), D(2026, 10, 1)])
        exit_date = rng.choice([None, None, None, D(2026, 9, 20), D(2026, 12, 1)])
        if exit_date is not None and exit_date < entry:
            exit_date = None
        student = f.make_student(
            side.district, school, last_name=f"Seed{seed}-{i}", entry_date=entry, exit_date=exit_date, **flags
        )
        for area in AREAS:
            day = D(2025, 9, 1) + dt.timedelta(days=rng.randrange(0, 400))
            for k in range(rng.randrange(0, 5)):
                length = rng.randrange(20, 200)
                last = k == 3 or rng.random() < 0.15
                end = None if last and rng.random() < 0.6 else day + dt.timedelta(days=length)
                placements.append(
                    TierPlacement(
                        district=side.district,
                        student=student,
                        area=area,
                        tier=rng.choice([1, 2, 2, 3, 4]),
                        start_date=day,
                        end_date=end,
                    )
                )
                if end is None or last:
                    break
                day = end + dt.timedelta(days=rng.choice([0, 1, 3, 7, 8, 20]))
        for window in windows:
            if rng.random() < 0.6:
                scores.append(
                    Score(
                        district=side.district,
                        student=student,
                        measure=measure,
                        window=window,
                        school=school,
                        grade=2,
                        test_date=window.start_date,
                        score=40,
                    )
                )
    with tenant_context(side.district):
        TierPlacement.objects.bulk_create(placements)
        Score.objects.bulk_create(scores)
    assert years


@pytest.fixture
def seeded(world):
    side = world.a
    with tenant_context(side.district):
        earlier = SchoolYear.objects.create(
            district=side.district, name="2025-2026", start_date=D(2025, 8, 1), end_date=D(2026, 6, 30)
        )
        year = SchoolYear.objects.get(district=side.district, name="2026-2027")
        assessment = Assessment.objects.create(district=side.district, key="aimsweb", name="aimswebPlus")
        Measure.objects.create(
            district=side.district, assessment=assessment, key="orf", name="ORF", subject="reading", score_type="raw"
        )
        for school_year, season, start, end in [
            (earlier, "spring", D(2026, 4, 1), D(2026, 4, 30)),
            (year, "fall", D(2026, 9, 1), D(2026, 9, 30)),
            (year, "winter", D(2026, 12, 1), D(2026, 12, 20)),
        ]:
            ScreeningWindow.objects.create(
                district=side.district, school_year=school_year, season=season, start_date=start, end_date=end
            )
    _seed(side, students=60, seed=16)
    return {"side": side, "years": [earlier, year]}


def _movement(m):
    return dataclasses.asdict(m)


def _live(side, membership, year, area):
    tiers = selectors.tier_distribution(district=side.district, membership=membership, area=area)
    movement = selectors.tier_movement(district=side.district, membership=membership, year=year, area=area)
    participation = selectors.screening_participation(district=side.district, membership=membership, year=year)
    return tiers, movement, participation


def _same(live, snap):
    tiers, movement, participation = live
    assert [(s.pk, c) for s, c in snap["tiers"]["schools"]] == [(s.pk, dict(c)) for s, c in tiers["schools"]]
    assert snap["tiers"]["subgroups"] == tiers["subgroups"]
    assert _movement(snap["movement"]["total"]) == _movement(movement["total"])
    assert [(s.pk, _movement(m)) for s, m in snap["movement"]["schools"]] == [
        (s.pk, _movement(m)) for s, m in movement["schools"]
    ]
    assert {k: _movement(m) for k, m in snap["movement"]["subgroups"].items()} == {
        k: _movement(m) for k, m in movement["subgroups"].items()
    }
    got, want = snap["participation"]["windows"], participation["windows"]
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a["window"].pk == b["window"].pk
        assert (a["enrolled"], a["screened"]) == (b["enrolled"], b["screened"])
        assert [(s.pk, n, k) for s, n, k in a["schools"]] == [(s.pk, n, k) for s, n, k in b["schools"]]
        assert a["subgroups"] == b["subgroups"]


def test_the_snapshot_equals_the_live_counts(seeded):
    side = seeded["side"]
    admin = f.membership_of(side.district_admin, side.district)
    with tenant_context(side.district):
        assert dashboard_refresh(district=side.district) > 0
        moved = dict.fromkeys(("entries", "exits", "up", "down"), 0)
        for year in seeded["years"]:
            for area in (None, *AREAS):
                live = _live(side, admin, year, area)
                snap = selectors.dashboard_counts(district=side.district, membership=admin, year=year, area=area)
                _same(live, snap)
                if area is None:
                    for kind, n in _movement(snap["movement"]["total"]).items():
                        moved[kind] += n
        # The seed is not trivial: every kind of move happened, and some students were screened.
        assert all(n > 0 for n in moved.values()), moved
        assert 0 < snap["participation"]["windows"][0]["screened"] < snap["participation"]["windows"][0]["enrolled"]
        assert snap["computed_at"] is not None


def test_refreshing_replaces_the_snapshot(seeded):
    side = seeded["side"]
    with tenant_context(side.district):
        first = dashboard_refresh(district=side.district)
        assert dashboard_refresh(district=side.district) == first
        assert DashboardCount.objects.filter(district=side.district).count() == first
        assert DashboardSnapshot.objects.filter(district=side.district).count() == 1


def test_the_read_touches_no_student_row_and_a_principal_sees_only_their_school(seeded):
    side = seeded["side"]
    principal = f.membership_of(side.principal, side.district)
    year = seeded["years"][1]
    with tenant_context(side.district):
        dashboard_refresh(district=side.district)
        with CaptureQueriesContext(connection) as queries:
            snap = selectors.dashboard_counts(district=side.district, membership=principal, year=year, area=None)
        assert not any("students_student" in q["sql"] for q in queries.captured_queries)
        live = _live(side, principal, year, None)
        _same(live, snap)
        assert {s.pk for s, _c in snap["tiers"]["schools"]} == {side.school.pk}
        assert all(s.pk == side.school.pk for w in snap["participation"]["windows"] for s, _n, _k in w["schools"])
        # A role that sees only some students of a school is given no per-school count.
        specialist = f.membership_of(side.intervention_specialist, side.district)
        none = selectors.dashboard_counts(district=side.district, membership=specialist, year=year, area=None)
        assert none["tiers"]["schools"] == [] and none["tiers"]["subgroups"]["all"] == {1: 0, 2: 0, 3: 0}


def _page_queries(client, year) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reports_district"), {"year": year.pk})
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_page_runs_the_same_queries_when_the_district_grows(seeded, login):
    side = seeded["side"]
    client = login(side.district_admin)
    year = seeded["years"][1]
    with tenant_context(side.district):
        dashboard_refresh(district=side.district)
    before = _page_queries(client, year)
    _seed(side, students=90, seed=17)
    with tenant_context(side.district):
        dashboard_refresh(district=side.district)
        grown = DashboardSnapshot.objects.get(district=side.district).students
    assert grown > 60
    assert _page_queries(client, year) == before


def test_without_a_snapshot_the_page_says_so_and_offers_the_count(seeded, login):
    side = seeded["side"]
    response = login(side.district_admin).get(reverse("reports_district"), {"year": seeded["years"][1].pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert "have not been counted yet" in page
    assert "Count now" in page
    with tenant_context(side.district):
        dashboard_refresh(district=side.district)
    page = login(side.district_admin).get(reverse("reports_district"), {"year": seeded["years"][1].pk})
    assert "Tiers, movement and screening participation as of" in page.content.decode()


def test_only_an_administrator_may_ask_for_the_count(seeded, login, monkeypatch):
    side = seeded["side"]
    calls = []
    monkeypatch.setattr(tasks.refresh_evaluations, "apply_async", lambda args, **options: calls.append(tuple(args)))
    assert login(side.principal).post(reverse("reports_refresh")).status_code == 404
    assert calls == []
    assert login(side.district_admin).post(reverse("reports_refresh")).status_code == 302
    assert calls == [(side.district.pk, side.district_admin.pk)]


def test_the_job_counts_the_dashboard_and_records_who_asked(seeded):
    side = seeded["side"]
    tasks.refresh_evaluations(side.district.pk, side.district_admin.pk)
    with tenant_context(side.district):
        assert DashboardSnapshot.objects.filter(district=side.district).exists()
        assert DashboardCount.objects.filter(district=side.district, section="participation").exists()
        assert AuditEvent.objects.filter(
            district=side.district, verb="report.dashboard_refresh", actor=side.district_admin
        ).exists()

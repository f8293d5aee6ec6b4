"""Screening services: risk recomputed when the policy or norms change, norm tables, windows,
column mappings, the review queue's decisions, the catalog."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from interventions.services import placement_set
from mtss.models import AuditEvent, SchoolYear
from mtss.policy import preset_data
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context
from screening import services
from screening.catalog import standard_measure_keys
from screening.models import Measure, NormTable, ReviewItem, Score, ScreeningWindow
from students.models import ImportRun
from tests.screening.helpers import FALL_DAY, csv_bytes, score_items, setup_district


def _scores(side):
    with tenant_context(side.district):
        return {s.student_id: s for s in Score.objects.filter(district=side.district)}


@pytest.mark.django_db
def test_a_new_policy_version_recomputes_risk_levels_with_its_label(world):
    side = world.a
    setup_district(side)
    services.scores_create_bulk(district=side.district, actor=None, items=score_items(side, {0: 20, 1: 30, 2: 60}))
    before = _scores(side)
    assert [before[s.pk].tier for s in side.students[:3]] == [2, 1, 1]
    assert before[side.students[0].pk].policy_label == "loudon-county-tn@1"

    data = preset_data("loudon-county-tn")
    data["screening"]["measures"][1]["risk"]["bands"] = [
        {"label": "well below", "below_percentile": 11},
        {"label": "below", "below_percentile": 35},
    ]
    with tenant_context(side.district):
        policy_version_create(district=side.district, actor=None, data=data, effective_from=dt.date(2026, 9, 1))
    result = services.risk_recompute(district=side.district, since=dt.date(2026, 9, 1))

    assert result["checked"] == 3 and result["changed"] == 3
    after = _scores(side)
    assert [(after[s.pk].tier, after[s.pk].risk_label) for s in side.students[:3]] == [
        (2, "below"),
        (2, "below"),
        (1, "not at risk"),
    ]
    assert {a.policy_label for a in after.values()} == {"loudon-county-tn@2"}
    with tenant_context(side.district):
        assert ReviewItem.objects.filter(district=side.district, status="open").count() == 2
        assert AuditEvent.objects.filter(district=side.district, verb="scores.risk_recompute").exists()
    again = services.risk_recompute(district=side.district)
    assert again["changed"] == 0


@pytest.mark.django_db
def test_scores_before_a_new_versions_effective_date_keep_their_version(world):
    side = world.a
    setup_district(side)
    services.scores_create_bulk(district=side.district, actor=None, items=score_items(side, {0: 20}))
    data = preset_data("loudon-county-tn")
    data["screening"]["measures"][1]["risk"]["bands"] = [{"label": "below", "below_percentile": 10}]
    with tenant_context(side.district):
        policy_version_create(district=side.district, actor=None, data=data, effective_from=dt.date(2026, 10, 1))
    assert services.risk_recompute(district=side.district)["changed"] == 0  # tested 15 Sept, under version 1
    assert _scores(side)[side.students[0].pk].policy_label == "loudon-county-tn@1"


@pytest.mark.django_db
def test_a_student_already_served_is_not_queued_and_an_unflagged_item_is_withdrawn(world):
    side = world.a
    setup_district(side)
    s0, s1 = side.students[:2]
    with tenant_context(side.district):
        placement_set(
            district=side.district, actor=None, student=s1, area="reading", tier=2, start_date=dt.date(2026, 9, 1)
        )
    services.scores_create_bulk(district=side.district, actor=None, items=score_items(side, {0: 5, 1: 5}))
    with tenant_context(side.district):
        assert list(ReviewItem.objects.filter(district=side.district).values_list("student_id", flat=True)) == [s0.pk]
    data = preset_data("loudon-county-tn")
    data["screening"]["measures"][1]["risk"]["bands"] = [{"label": "below", "below_percentile": 2}]
    with tenant_context(side.district):
        policy_version_create(district=side.district, actor=None, data=data, effective_from=dt.date(2026, 8, 1))
    result = services.risk_recompute(district=side.district)
    assert result["review_items_withdrawn"] == 1
    with tenant_context(side.district):
        assert ReviewItem.objects.get(district=side.district).status == ReviewItem.Status.WITHDRAWN


@pytest.mark.django_db
def test_norm_tables_import_band_scores_and_replace_the_old_table(world, tmp_path):
    side = world.a
    setup_district(side)
    items = [
        {"student": side.students[i].pk, "measure": "aimsweb-maze", "date": FALL_DAY.isoformat(), "score": sc}
        for i, sc in enumerate([5, 12, 20])
    ]
    services.scores_create_bulk(district=side.district, actor=None, items=items)
    assert {s.tier for s in _scores(side).values()} == {None}  # no percentile, no norms yet
    rows = [["grade", "season", "percentile", "score"]] + [
        ["2", "fall", str(p), str(v)] for p, v in ((10, 6), (25, 10), (50, 14), (75, 18), (90, 22))
    ]
    path = tmp_path / "norms.csv"
    path.write_bytes(csv_bytes(rows))

    with tenant_context(side.district):
        maze = Measure.objects.get(district=side.district, key="aimsweb-maze")
    run = services.norms_import(
        district=side.district,
        actor=side.district_admin,
        path=path,
        measure=maze,
        name="Local norms 2026",
        source="District study",
    )

    assert run.status == ImportRun.Status.SUCCEEDED and run.kind == "norms"
    assert run.counts["norm_points"]["created"] == 5 and run.plan.recomputed["changed"] == 3
    banded = _scores(side)
    low = banded[side.students[0].pk]
    assert (low.tier, low.risk_values["percentile"]) == (2, 9.5)
    assert "Local norms 2026" in low.risk_explanation
    assert banded[side.students[2].pk].tier == 1
    again = services.norms_import(district=side.district, actor=None, path=path, measure=maze)
    assert again.counts["norm_points"] == {"created": 5, "updated": 0, "unchanged": 0, "deleted": 5, "rejected": 0}
    with tenant_context(side.district):
        assert NormTable.objects.filter(district=side.district).count() == 1


@pytest.mark.django_db
def test_a_norm_table_with_bad_rows_is_refused_whole(world, tmp_path):
    side = world.a
    setup_district(side)
    rows = [
        ["measure", "grade", "season", "percentile", "score"],
        ["aimsweb-maze", "2", "fall", "10", "6"],
        ["aimsweb-maze", "2", "fall", "25", "4"],
        ["aimsweb-maze", "14", "autumnal", "50", "x"],
        ["nope", "2", "fall", "50", "9"],
    ]
    path = tmp_path / "norms.csv"
    path.write_bytes(csv_bytes(rows))
    run = services.norms_import(district=side.district, actor=None, path=path)
    assert run.status == ImportRun.Status.REFUSED
    reasons = {(e["line"], e["column"]) for e in run.errors}
    assert reasons == {(3, "score"), (4, "grade"), (4, "season"), (4, "score"), (5, "measure")}
    with tenant_context(side.district):
        assert not NormTable.objects.filter(district=side.district).exists()


@pytest.mark.django_db
def test_windows_are_checked(world):
    side = world.a
    window = setup_district(side)
    with tenant_context(side.district):
        year = window.school_year
        winter = ScreeningWindow.objects.get(district=side.district, season="winter")
        winter_dates = (winter.start_date, winter.end_date)
        winter.delete()
        with pytest.raises(ValidationError) as overlap:
            services.window_save(
                district=side.district,
                actor=None,
                school_year=year,
                season="winter",
                start_date=dt.date(2026, 10, 15),
                end_date=dt.date(2026, 11, 15),
            )
        assert "overlap" in str(overlap.value.message_dict["start_date"])
        with pytest.raises(ValidationError) as outside:
            services.window_save(
                district=side.district,
                actor=None,
                school_year=year,
                season="fall",
                start_date=dt.date(2026, 7, 1),
                end_date=dt.date(2026, 7, 20),
                window=window,
            )
        assert "outside the school year" in str(outside.value.message_dict["start_date"])
        with pytest.raises(ValidationError) as twice:
            services.window_save(
                district=side.district,
                actor=None,
                school_year=year,
                season="fall",
                start_date=dt.date(2026, 11, 1),
                end_date=dt.date(2026, 11, 20),
            )
        assert "already has a fall window" in str(twice.value.message_dict["season"])
        services.window_save(
            district=side.district,
            actor=None,
            school_year=year,
            season="winter",
            start_date=winter_dates[0],
            end_date=winter_dates[1],
        )
        windows = list(
            ScreeningWindow.objects.filter(district=side.district)
            .order_by("start_date")
            .values_list("season", "start_date", "end_date")
        )
    assert windows == [
        ("fall", dt.date(2026, 8, 1), dt.date(2026, 10, 31)),
        ("winter", dt.date(2027, 1, 1), dt.date(2027, 2, 15)),
        ("spring", dt.date(2027, 4, 15), dt.date(2027, 5, 31)),
    ]
    other_year = world.b.district
    with tenant_context(other_year):
        foreign = SchoolYear.objects.get(district=other_year)
    with tenant_context(side.district), pytest.raises(ValidationError) as foreign_year:
        services.window_save(
            district=side.district,
            actor=None,
            school_year=foreign,
            season="fall",
            start_date=dt.date(2026, 9, 1),
            end_date=dt.date(2026, 9, 30),
        )
    assert "school_year" in foreign_year.value.message_dict


@pytest.mark.django_db
def test_a_mapping_names_what_is_missing(world):
    side = world.a
    with tenant_context(side.district), pytest.raises(ValidationError) as error:
        services.mapping_save(district=side.district, actor=None, name="", columns={"score": "S", "grade": "S"})
    problems = error.value.message_dict
    assert set(problems) == {"name", "columns.student_id", "columns.date", "measure", "columns.grade"}
    assert "already mapped" in problems["columns.grade"][0]


@pytest.mark.django_db
def test_review_decisions(world):
    side = world.a
    setup_district(side)
    services.scores_create_bulk(district=side.district, actor=None, items=score_items(side, {0: 5, 1: 6, 2: 7}))
    with tenant_context(side.district):
        first, second, third = ReviewItem.objects.filter(district=side.district).order_by("student_id")
        with pytest.raises(ValidationError) as no_reason:
            services.review_item_decide(district=side.district, actor=side.principal, item=first, action="dismiss")
        assert "reason" in no_reason.value.message_dict
        dismissed = services.review_item_decide(
            district=side.district,
            actor=side.principal,
            item=first,
            action="dismiss",
            reason="New to the country; EL screening first",
        )
        assert (dismissed.status, dismissed.decided_by) == (ReviewItem.Status.DISMISSED, side.principal)
        services.review_item_decide(district=side.district, actor=side.principal, item=second, action="reviewed")
        # "Plan started" is no longer a decision: the plan's save marks it (issue 14).
        with pytest.raises(ValidationError):
            services.review_item_decide(district=side.district, actor=side.principal, item=third, action="plan")
        services.review_item_plan_saved(
            district=side.district, actor=side.principal, item_id=third.pk, student_id=third.student_id
        )
        statuses = dict(ReviewItem.objects.filter(district=side.district).values_list("student_id", "status"))
        event = AuditEvent.objects.filter(district=side.district, verb="review_item.dismiss").get()
    assert statuses == {
        side.students[0].pk: "dismissed",
        side.students[1].pk: "reviewed",
        side.students[2].pk: "plan_started",
    }
    assert event.changes == {"status": "dismissed", "fields": ["reason"]}  # never the reason's text


@pytest.mark.django_db
def test_the_catalog_is_added_once_and_kept_as_edited(world):
    side = world.a
    with tenant_context(side.district):
        assert services.catalog_ensure(district=side.district) == len(standard_measure_keys())
        maze = Measure.objects.get(district=side.district, key="aimsweb-maze")
        services.measure_update(district=side.district, actor=None, measure=maze, policy_keys=["my-maze"])
        assert services.catalog_ensure(district=side.district) == 0
        assert Measure.objects.get(pk=maze.pk).policy_keys == ["my-maze"]
    with tenant_context(world.b.district):
        assert not Measure.objects.filter(district=world.b.district).exists()


@pytest.mark.django_db
def test_the_recompute_task_takes_ids(world):
    from screening.tasks import risk_recompute_task

    side = world.a
    setup_district(side)
    services.scores_create_bulk(district=side.district, actor=None, items=score_items(side, {0: 20}))
    data = preset_data("loudon-county-tn")
    data["screening"]["measures"][1]["risk"]["bands"] = [{"label": "below", "below_percentile": 10}]
    with tenant_context(side.district):
        policy_version_create(district=side.district, actor=None, data=data, effective_from=dt.date(2026, 8, 1))
    result = risk_recompute_task(side.district.pk, "2026-08-01")
    assert result["changed"] == 1 and _scores(side)[side.students[0].pk].tier == 1

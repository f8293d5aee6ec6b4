"""Behavior screeners (issue #17, item 4): SRSS-IE and SAEBRS results, banded by the policy's
rating_scale rule (higher is riskier on the SRSS-IE, lower on SAEBRS), through the score pipeline
into the screening view and review queue."""

from __future__ import annotations

import pytest

from mtss.policy import load_preset, preset_data, validate_policy
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context
from screening import risk, services
from screening.models import ReviewItem, Score
from students.models import ImportRun
from tests import factories as f
from tests.screening.helpers import csv_bytes, setup_district

SRSS_HEADER = ["Student ID", "Date", "SRSS-E5", "SRSS-I6"]


def _rating_policy(bands, *, direction="higher_is_riskier", grades=tuple(range(0, 13))):
    data = preset_data("lausd-secondary")
    data["grades"] = list(range(0, 13))
    measure = {
        "key": "srss-e7",
        "name": "SRSS-E7",
        "kind": "universal_screener",
        "areas": ["behavior"],
        "grades": list(grades),
        "seasons": ["fall", "winter", "spring"],
        "risk": {"method": "rating_scale", "direction": direction, "bands": bands},
    }
    data["screening"]["measures"] = [measure]
    data["notes"] = {}
    return validate_policy(data)


def _level(policy, score, grade=3):
    measure = risk.find_policy_measure(policy, ["srss-e7"], policy_label="test@1")
    return risk.risk_level(measure, score=score, grade=grade, season="fall", subject="behavior")


def test_higher_is_riskier_bands_are_inclusive_and_the_most_severe_is_tier_3():
    # SRSS-E7: low 0-3, moderate 4-8, high 9-21 (Lane, Oakes et al.).
    policy = _rating_policy([{"label": "moderate risk", "cut": 4}, {"label": "high risk", "cut": 9}])
    assert (_level(policy, 3).tier, _level(policy, 3).level) == (1, risk.NOT_AT_RISK)
    assert (_level(policy, 4).tier, _level(policy, 4).level) == (2, "moderate risk")
    assert (_level(policy, 8).tier, _level(policy, 8).level) == (2, "moderate risk")
    high = _level(policy, 9)
    assert (high.tier, high.level) == (3, "high risk")
    assert "at or above 9" in high.explanation and high.values["direction"] == "higher_is_riskier"


def test_lower_is_riskier_reads_a_saebrs_total():
    # SAEBRS Total Behavior: at risk at or below 36 (FastBridge).
    policy = _rating_policy([{"label": "at risk", "cut": 36}], direction="lower_is_riskier")
    assert (_level(policy, 36).tier, _level(policy, 36).level) == (2, "at risk")
    assert _level(policy, 37).tier == 1
    assert "above 36" in _level(policy, 37).explanation


def test_bands_can_differ_between_elementary_and_secondary_grades():
    # One scale, two sets of published cut points (SRSS-I5 elementary high 4+; SRSS-I6 secondary high 6+).
    elementary, secondary = list(range(0, 6)), list(range(6, 13))
    policy = _rating_policy(
        [
            {"label": "high risk", "cut": 4, "grades": elementary},
            {"label": "moderate risk", "cut": 2, "grades": elementary},
            {"label": "high risk", "cut": 6, "grades": secondary},
            {"label": "moderate risk", "cut": 4, "grades": secondary},
        ]
    )
    assert _level(policy, 4, grade=3).level == "high risk"
    assert _level(policy, 4, grade=8).level == "moderate risk"
    assert _level(policy, 3, grade=8).tier == 1


def test_a_policy_with_two_bands_at_the_same_cut_for_a_grade_is_refused():
    from mtss.policy import PolicyValidationError

    with pytest.raises(PolicyValidationError, match="two bands with the same cut"):
        _rating_policy([{"label": "high", "cut": 4}, {"label": "moderate", "cut": 4}])


def test_lausd_screens_behavior_with_the_srss_ie_among_its_multiple_measures():
    policy = load_preset("lausd-secondary")
    behavior = {m.key: m for m in policy.screening.measures if "behavior" in m.areas}
    assert set(behavior) == {"srss-e5", "srss-i6"}
    assert [(b.label, b.cut) for b in behavior["srss-e5"].risk.bands] == [("high risk", 7), ("moderate risk", 5)]
    assert behavior["srss-e5"].risk.direction == "higher_is_riskier"
    assert "instruction and behavior" in policy.note_for("screening.measures.1.areas").quotes[0]


# --- imports ---------------------------------------------------------------------------------------


@pytest.fixture
def lausd(world, tmp_path):
    side = world.a
    window = setup_district(side, preset="lausd-secondary")
    school = side.other_school
    for local_id in ("B1", "B2", "B3"):
        f.make_student(side.district, school, local_id=local_id, grade=7)
    return side, window, tmp_path


def _write(tmp_path, rows, name="srss.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return path


def _scores(district):
    with tenant_context(district):
        return {
            (s.student.local_id, s.measure.key): s
            for s in Score.objects.filter(district=district).select_related("student", "measure")
        }


@pytest.mark.django_db
def test_srss_ie_totals_are_banded_by_lausd_and_at_risk_students_reach_the_review_queue(lausd):
    side, window, tmp_path = lausd
    path = _write(
        tmp_path,
        [
            SRSS_HEADER,
            ["B1", "09/15/2026", "7", "0"],  # E5 high (7-15)
            ["B2", "09/15/2026", "5", "4"],  # E5 moderate (5-6), I6 moderate (4-5)
            ["B3", "09/15/2026", "4", ""],  # E5 low (0-4); I6 not rated
        ],
    )
    dry = services.scores_import(district=side.district, actor=None, path=path, format="srss-ie", dry_run=True)
    assert dry.status == ImportRun.Status.DRY_RUN, dry.errors
    assert _scores(side.district) == {}

    run = services.scores_import(district=side.district, actor=None, path=path, format="srss-ie")
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.details["measures"] == {"srss-e5": 3, "srss-i6": 2}
    scores = _scores(side.district)
    assert {key: (s.tier, s.risk_label) for key, s in scores.items()} == {
        ("B1", "srss-e5"): (3, "high risk"),
        ("B1", "srss-i6"): (1, risk.NOT_AT_RISK),
        ("B2", "srss-e5"): (2, "moderate risk"),
        ("B2", "srss-i6"): (2, "moderate risk"),
        ("B3", "srss-e5"): (1, risk.NOT_AT_RISK),
    }
    assert scores[("B1", "srss-e5")].area == "behavior"
    with tenant_context(side.district):
        flagged = set(
            ReviewItem.objects.filter(district=side.district, window=window).values_list(
                "student__local_id", "score__measure__key"
            )
        )
    assert flagged == {("B1", "srss-e5"), ("B2", "srss-e5"), ("B2", "srss-i6")}

    again = services.scores_import(district=side.district, actor=None, path=path, format="srss-ie")
    assert again.counts["scores"]["unchanged"] == 5 and again.counts["scores"]["created"] == 0


@pytest.mark.django_db
def test_a_bad_srss_ie_file_writes_nothing_and_names_line_and_column(lausd):
    side, _, tmp_path = lausd
    path = _write(
        tmp_path,
        [
            SRSS_HEADER,
            ["B1", "09/15/2026", "7", "0"],
            ["B2", "09/15/2026", "16", "2"],  # E5 is 0-15
            ["B3", "09/15/2026", "", ""],  # nothing rated
            ["NOBODY", "09/15/2026", "1", "1"],
            ["B1", "13/45/2026", "1", "1"],
        ],
    )
    run = services.scores_import(district=side.district, actor=None, path=path, format="srss-ie")
    assert run.status == ImportRun.Status.REFUSED
    errors = {(e["line"], e["column"]) for e in run.errors}
    assert {(3, "SRSS-E5"), (4, "SRSS-E5"), (5, "Student ID"), (6, "Date")} <= errors
    assert (2, "SRSS-E5") not in errors
    assert _scores(side.district) == {}


@pytest.mark.django_db
def test_an_srss_ie_file_without_any_scale_column_is_refused_by_name(lausd):
    side, _, tmp_path = lausd
    path = _write(tmp_path, [["Student ID", "Date", "Total"], ["B1", "09/15/2026", "3"]])
    run = services.scores_import(district=side.district, actor=None, path=path, format="srss-ie")
    assert run.status == ImportRun.Status.REFUSED
    assert "SRSS-E7, SRSS-E5, SRSS-I5, SRSS-I6" in run.errors[0]["reason"]


@pytest.mark.django_db
def test_a_saebrs_export_is_banded_lower_is_riskier_and_keeps_fastbridge_risk_level(lausd):
    side, _, tmp_path = lausd
    data = preset_data("lausd-secondary")
    data["screening"]["measures"].append(
        {
            "key": "saebrs-total",
            "name": "SAEBRS Total Behavior",
            "kind": "universal_screener",
            "areas": ["behavior"],
            "grades": list(range(6, 13)),
            "seasons": ["fall", "winter", "spring"],
            "risk": {
                "method": "rating_scale",
                "direction": "lower_is_riskier",
                "bands": [{"label": "at risk", "cut": 36}],
            },
        }
    )
    data["version"] = "2025-2026-saebrs"
    import datetime as dt

    with tenant_context(side.district):
        policy_version_create(district=side.district, actor=None, data=data, effective_from=dt.date(2026, 9, 1))
    path = _write(
        tmp_path,
        [
            [
                "Local ID",
                "Grade",
                "Assessment Date",
                "Total Behavior",
                "Social Behavior",
                "Academic Behavior",
                "Emotional Behavior",
                "Total Behavior Percentile",
                "Total Behavior Risk",
            ],
            ["B1", "7", "09/15/2026", "30", "9", "10", "11", "2", "High Risk"],
            ["B2", "7", "09/15/2026", "48", "15", "16", "17", "60", "Low Risk"],
        ],
        name="saebrs.csv",
    )
    run = services.scores_import(district=side.district, actor=None, path=path, format="saebrs")
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    scores = _scores(side.district)
    total = scores[("B1", "saebrs-total")]
    assert (total.score, total.tier, total.risk_label, total.category, total.percentile) == (
        30,
        2,
        "at risk",
        "High Risk",
        2,
    )
    assert scores[("B2", "saebrs-total")].tier == 1
    assert scores[("B1", "saebrs-social")].score == 9
    # The policy has no rule for the subscales: kept, not banded.
    assert scores[("B1", "saebrs-social")].tier is None


@pytest.mark.django_db
def test_the_review_queue_and_breakdown_show_the_srss_ie_bands(lausd, client):
    side, window, tmp_path = lausd
    path = _write(tmp_path, [SRSS_HEADER, ["B1", "09/15/2026", "9", "0"]])
    run = services.scores_import(district=side.district, actor=None, path=path, format="srss-ie")
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    client.force_login(side.district_admin)
    queue = client.get(f"/screening/review/?window={window.pk}")
    assert queue.status_code == 200
    body = queue.content.decode()
    assert "high risk" in body and "is at or above 7" in body
    overview = client.get(f"/screening/?window={window.pk}")
    measures = {row.measure.key for row in overview.context["result"].rows}
    assert {"srss-e5", "srss-i6"} <= measures

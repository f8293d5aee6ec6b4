"""Risk banding (screening/risk.py): plain functions over the presets' screening rules, no database."""

from __future__ import annotations

import copy
import datetime as dt
import random

import pytest

from mtss.policy import load_preset, preset_data, validate_policy
from screening import risk

LOUDON = load_preset("loudon-county-tn")
LAUSD = load_preset("lausd-secondary")
HOLLAND = load_preset("holland-patent-ny")
OHIO = load_preset("ohio-virtual-academy")


def measure(policy, key, label="policy@1"):
    found = risk.find_policy_measure(policy, [key], policy_label=label)
    assert found is not None, key
    return found


def test_it_bands_loudon_below_the_25th_percentile_as_tier_2():
    maze = measure(LOUDON, "aimsweb-maze-benchmark", "loudon-county-tn@3")
    below = risk.risk_level(maze, score=9, percentile=24, grade=3, season="fall")
    assert (below.tier, below.level) == (2, "below the 25th national percentile")
    assert below.rule == "screening.measures[1].risk"
    assert below.values["percentile"] == 24 and below.values["below_percentile"] == 25
    assert "loudon-county-tn@3" in below.explanation and "24" in below.explanation and below.area == "reading"
    at = risk.risk_level(maze, score=12, percentile=25, grade=3, season="fall")
    assert (at.tier, at.level) == (1, risk.NOT_AT_RISK)


def test_it_puts_the_lowest_of_several_bands_in_tier_3():
    screener = measure(LAUSD, "universal-screener")
    assert risk.risk_level(screener, percentile=10, grade=7, season="winter").tier == 3
    assert risk.risk_level(screener, percentile=11, grade=7, season="winter").level == "below average"
    assert risk.risk_level(screener, percentile=25.9, grade=7, season="winter").tier == 2
    assert risk.risk_level(screener, percentile=26, grade=7, season="winter").tier == 1


def test_it_maps_the_measure_subject_to_the_policy_area():
    screener = measure(LAUSD, "universal-screener")
    assert risk.risk_level(screener, percentile=50, grade=7, season="fall", subject="reading").area == "ela"
    assert risk.risk_level(screener, percentile=50, grade=7, season="fall", subject="math").area == "math"


def test_it_takes_the_percentile_from_the_norm_table_when_the_file_has_none():
    maze = measure(LOUDON, "aimsweb-maze-benchmark")
    norms = [(10, 6.0), (25, 10.0), (50, 14.0), (75, 18.0), (90, 22.0)]
    result = risk.risk_level(maze, score=8, grade=3, season="fall", norms=norms, norm_name="Local table 2026")
    assert result.values["percentile"] == 17.5  # halfway between P10 (6) and P25 (10)
    assert result.tier == 2 and "from Local table 2026" in result.explanation
    assert "Score 8" in result.explanation
    low = risk.risk_level(maze, score=3, grade=3, season="fall", norms=norms)
    assert low.tier == 2 and "under 10 (the table's lowest)" in low.explanation
    high = risk.risk_level(maze, score=30, grade=3, season="fall", norms=norms)
    assert high.tier == 1 and "over 90" in high.explanation


def test_without_a_percentile_or_norms_it_says_why_it_computes_nothing():
    maze = measure(LOUDON, "aimsweb-maze-benchmark")
    result = risk.risk_level(maze, score=8, grade=3, season="fall")
    assert result.tier is None and result.level == risk.NOT_COMPUTED
    assert "no national percentile" in result.explanation and "grade 3 fall" in result.explanation


def test_a_local_norm_rule_ignores_the_vendors_national_percentile():
    data = preset_data("lausd-secondary")
    data["screening"]["measures"][0]["risk"]["norm"] = "local"
    local = measure(validate_policy(data), "universal-screener")
    assert risk.risk_level(local, score=200, percentile=5, grade=7, season="fall").tier is None
    norms = [(10, 190.0), (25, 200.0), (50, 210.0)]
    assert risk.risk_level(local, score=195, percentile=99, grade=7, season="fall", norms=norms).tier == 2
    assert risk.risk_level(local, score=185, percentile=99, grade=7, season="fall", norms=norms).tier == 3


def test_cut_scores_come_from_the_policy_or_the_districts_table():
    data = preset_data("ohio-virtual-academy")
    aims = data["screening"]["measures"][1]
    aims["risk"]["rows"] = [{"grade": 1, "season": "fall", "below": 40, "label": "below target"}]
    with_rows = measure(validate_policy(data), "aimsweb-plus")
    assert risk.risk_level(with_rows, score=39, grade=1, season="fall").tier == 2
    assert risk.risk_level(with_rows, score=40, grade=1, season="fall").tier == 1

    from_table = measure(OHIO, "aimsweb-plus")
    missing = risk.risk_level(from_table, score=39, grade=1, season="fall")
    assert missing.tier is None and "import it with import_norms" in missing.explanation
    rows = [(20.0, "well below"), (35.0, "below")]
    assert risk.risk_level(from_table, score=19, grade=1, season="fall", cut_rows=rows).tier == 3
    below = risk.risk_level(from_table, score=34, grade=1, season="fall", cut_rows=rows, cut_name="OVA targets")
    assert (below.tier, below.level) == (2, "below") and "OVA targets" in below.explanation
    assert risk.risk_level(from_table, score=35, grade=1, season="fall", cut_rows=rows).tier == 1


def test_new_york_levels_pass_marks_and_the_safety_net():
    nys = measure(HOLLAND, "nys-ela")
    assert risk.risk_level(nys, level=2, grade=5, season="spring").tier == 2
    assert risk.risk_level(nys, level=3, grade=5, season="spring").tier == 1
    assert risk.risk_level(nys, grade=5, season="spring").tier is None
    regents = measure(HOLLAND, "algebra-regents")
    plain = risk.risk_level(regents, score=60, grade=10, season="spring")
    assert plain.tier == 2 and "exemption" not in plain.values
    swd = risk.risk_level(regents, score=60, grade=10, season="spring", subgroups=["students_with_disabilities"])
    assert swd.tier == 2 and swd.values["exemption"] == "New York safety net"
    assert "may be exempt: New York safety net" in swd.explanation
    assert risk.risk_level(regents, score=65, grade=10, season="spring").tier == 1


def test_categories_match_without_regard_to_case():
    star = measure(HOLLAND, "star-ela")
    assert risk.risk_level(star, category="Low Cohort", grade=2, season="fall").tier == 2
    assert risk.risk_level(star, category="middle cohort", grade=2, season="fall").tier == 1
    assert risk.risk_level(star, grade=2, season="fall").tier is None


def test_a_grade_or_season_the_measure_does_not_screen_is_not_banded():
    fluency = measure(LOUDON, "aimsweb-fluency-benchmark")
    result = risk.risk_level(fluency, score=5, percentile=1, grade=4, season="fall")
    assert result.tier is None and result.level == risk.NOT_SCREENED and "grades 1" in result.explanation
    assert risk.risk_level(None, percentile=1, grade=4, season="fall").level == risk.NOT_COMPUTED


def test_equal_rule_keys_give_equal_results():
    """The import computes one result per distinct key (rule.key): the key must cover every input used."""
    rng = random.Random(7)
    cases = [
        (measure(LOUDON, "aimsweb-maze-benchmark"), [(10, 6.0), (25, 10.0), (50, 14.0)], None),
        (measure(LAUSD, "universal-screener"), None, None),
        (measure(OHIO, "aimsweb-plus"), None, [(20.0, "well below"), (35.0, "below")]),
        (measure(HOLLAND, "algebra-regents"), None, None),
        (measure(HOLLAND, "star-ela"), None, None),
        (measure(HOLLAND, "nys-ela"), None, None),
    ]
    for policy_measure, norms, cuts in cases:
        grade = policy_measure.measure.grades[0]
        season = policy_measure.measure.seasons[0]
        rule = risk.compile_rule(policy_measure, grade=grade, season=season, norms=norms, cut_rows=cuts)
        seen = {}
        for _ in range(400):
            inputs = (
                rng.choice([None, *range(0, 80, 7)]),
                rng.choice([None, 5, 10, 24, 25, 26, 60]),
                rng.choice([None, 1, 2, 3, 4]),
                rng.choice(["", "low cohort", "high cohort"]),
                frozenset(rng.sample(["students_with_disabilities", "english_learner", "homeless"], rng.randint(0, 2))),
            )
            result = rule(
                score=inputs[0], percentile=inputs[1], level=inputs[2], category=inputs[3], subgroups=inputs[4]
            )
            key = rule.key(*inputs)
            if key in seen:
                assert seen[key] == result, (policy_measure.measure.key, inputs)
            seen[key] = result


def test_percentile_interpolation():
    points = [(10, 6.0), (25, 10.0), (50, 14.0)]
    assert risk.percentile_of(6.0, points) == (10, "")
    assert risk.percentile_of(12.0, points) == (37.5, "")
    assert risk.percentile_of(5.0, points) == (9.5, "below")
    assert risk.percentile_of(20.0, points) == (50.5, "above")
    assert risk.percentile_of(10.0, [(10, 10.0), (25, 10.0), (50, 14.0)]) == (25, "")


WINDOWS = [
    (dt.date(2026, 8, 1), dt.date(2026, 10, 31), "fall"),
    (dt.date(2027, 1, 1), dt.date(2027, 2, 15), "winter"),
    (dt.date(2027, 4, 15), dt.date(2027, 5, 31), "spring"),
]


@pytest.mark.parametrize(
    "entry, today, expected",
    [
        (dt.date(2026, 7, 30), dt.date(2026, 11, 20), None),  # before the first window: screened with everyone
        (dt.date(2026, 11, 20), dt.date(2026, 11, 25), "due"),  # winter is 6 weeks away: screen now
        (dt.date(2026, 12, 10), dt.date(2026, 12, 20), None),  # winter within 4 weeks: screened then
        (dt.date(2026, 12, 10), dt.date(2027, 2, 20), "overdue"),  # ... but the winter window passed without a score
    ],
)
def test_loudon_screens_new_entrants_unless_a_benchmark_is_within_4_weeks(entry, today, expected):
    status = risk.mid_year_screening_due(
        entry_date=entry, windows=WINDOWS, screened_since_entry=False, rule=LOUDON.mid_year_entry, today=today
    )
    if expected is None:
        assert status is None
    else:
        assert status is not None and status.overdue == (expected == "overdue")
        assert f"entered {entry:%Y-%m-%d}" in status.reason


def test_ohio_screens_new_entrants_within_30_days():
    status = risk.mid_year_screening_due(
        entry_date=dt.date(2026, 11, 2),
        windows=WINDOWS,
        screened_since_entry=False,
        rule=OHIO.mid_year_entry,
        today=dt.date(2026, 11, 20),
    )
    assert status.due == dt.date(2026, 12, 2) and not status.overdue
    late = risk.mid_year_screening_due(
        entry_date=dt.date(2026, 11, 2),
        windows=WINDOWS,
        screened_since_entry=False,
        rule=OHIO.mid_year_entry,
        today=dt.date(2026, 12, 3),
    )
    assert late.overdue
    assert (
        risk.mid_year_screening_due(
            entry_date=dt.date(2026, 11, 2),
            windows=WINDOWS,
            screened_since_entry=True,
            rule=OHIO.mid_year_entry,
            today=dt.date(2026, 12, 3),
        )
        is None
    )
    rule = copy.copy(OHIO.mid_year_entry)
    object.__setattr__(rule, "screen_new_entrants", False)
    assert (
        risk.mid_year_screening_due(
            entry_date=dt.date(2026, 11, 2),
            windows=WINDOWS,
            screened_since_entry=False,
            rule=rule,
            today=dt.date(2026, 12, 3),
        )
        is None
    )


def test_tier_shares_against_the_guideline():
    shares = risk.tier_shares({1: 70, 2: 20, 3: 10})
    assert [t["share"] for t in shares["tiers"]] == [70.0, 20.0, 10.0]
    assert [t["verdict"] for t in shares["tiers"]] == ["below", "above", "above"]
    assert [t["verdict"] for t in risk.tier_shares({1: 82, 2: 14, 3: 4})["tiers"]] == ["meets"] * 3
    assert risk.tier_shares({})["total"] == 0

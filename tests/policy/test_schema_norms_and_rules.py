"""Policy fields of issue 12: norm tables, progress test, median rule, school week; references checked."""

from __future__ import annotations

import copy

from mtss.policy import load_preset, preset_data
from mtss.policy.adapters import instructional_weekdays, measures_combine, rule_config
from tests.policy.test_schema import errors_of


def loudon() -> dict:
    return preset_data("loudon-county-tn")


def test_a_norm_table_naming_a_missing_measure_is_refused_with_the_field_named():
    data = loudon()
    data["progress_monitoring"]["norm_tables"][0]["measure"] = "dibels-orf"
    errors = errors_of(data)
    assert "progress_monitoring.norm_tables[0].measure" in errors
    assert "no progress-monitoring measure 'dibels-orf'" in errors["progress_monitoring.norm_tables[0].measure"]


def test_a_measure_or_rule_naming_a_missing_norm_table_is_refused():
    data = loudon()
    data["progress_monitoring"]["measures"][1]["norm_table"] = "easycbm"
    data["decision_rules"]["dual_discrepancy"]["norm_table"] = "fastbridge"
    errors = errors_of(data)
    assert "no norm table 'easycbm'" in errors["progress_monitoring.measures[1].norm_table"]
    assert "no norm table 'fastbridge'" in errors["decision_rules.dual_discrepancy.norm_table"]


def test_norm_points_and_weekdays_are_checked():
    data = loudon()
    table = data["progress_monitoring"]["norm_tables"][0]
    table["points"] = [
        {"grade": 3, "season": "fall", "percentile": 25, "score": 55},
        {"grade": 3, "season": "fall", "percentile": 25, "score": 56},
    ]
    data["calendar"] = {"instructional_weekdays": ["mon", "tue", "mon"]}
    errors = errors_of(data)
    assert "already has a score" in errors["progress_monitoring.norm_tables[0].points[1]"]
    assert "listed twice" in errors["calendar.instructional_weekdays[2]"]
    table["points"][1]["season"] = "summer"
    assert "progress_monitoring.norm_tables[0].points[1].season" in errors_of(data)


def test_the_new_fields_reach_the_engine():
    policy = load_preset("ohio-virtual-academy")
    config = rule_config(policy, tier=3, area="reading")
    assert (config.progress_test, config.progress_confidence) == ("slope_bound", 0.975)
    assert config.top_tier_intensify == "refer_evaluation" and config.is_top_tier
    assert instructional_weekdays(policy) == (0, 1, 2, 3, 4)
    assert measures_combine(load_preset("lausd-secondary")) == "most_intensive"
    holland = rule_config(load_preset("holland-patent-ny"), tier=2, area="ela")
    assert (holland.duration_min_weeks, holland.duration_max_weeks) == (10, 20)
    data = copy.deepcopy(preset_data("ohio-virtual-academy"))
    data["decision_rules"]["median_three"]["drives_recommendation"] = True
    data["decision_rules"]["progress_test"] = {"method": "roi_threshold", "confidence_percent": 90}
    from mtss.policy import validate_policy

    changed = rule_config(validate_policy(data), tier=2, area="reading")
    assert "median_three" in changed.decision_rules and changed.progress_test == "roi_threshold"

"""From a policy document to the decision-rule engine's RuleConfig."""

import pytest

from mtss.policy import load_preset
from mtss.policy.adapters import rule_config
from mtss.rules.config import RuleConfig


def test_loudon_tier_2_reading():
    config = rule_config(load_preset("loudon-county-tn"), tier=2, area="reading")
    assert isinstance(config, RuleConfig)
    assert config.label == "loudon-county-tn@2010-03-05"
    assert (config.sessions_per_week, config.minutes_per_session) == (4, 30)
    assert config.min_sessions_before_decision == 40
    assert config.pm_every_days == 7
    assert (config.review_after_weeks, config.review_every_weeks) == (9, 9)
    assert config.dd_combine == "both_below"
    # "The amount of time must match the recommended intervention time".
    assert config.session_minutes_must_match_dosage
    # Loudon decides on the trend and on level and rate, not on consecutive points.
    assert config.decision_rules == ("trend", "dual_discrepancy")
    # "A student is making adequate progress if ... either the performance level OR the rate of growth":
    # with norms, level and rate alone decide; without them, the trend.
    assert config.dd_decides
    assert not config.is_top_tier


def test_loudon_tier_3_is_the_top_tier():
    config = rule_config(load_preset("loudon-county-tn"), tier=3, area="reading")
    assert config.is_top_tier
    assert (config.sessions_per_week, config.minutes_per_session, config.min_sessions_before_decision) == (5, 60, 45)


def test_holland_patent_counts_sessions_on_a_six_day_cycle():
    config = rule_config(load_preset("holland-patent-ny"), tier=2, area="math")
    assert (config.sessions_per_week, config.sessions_per_cycle, config.cycle_days) == (None, 3, 6)
    assert (config.pm_every_sessions, config.pm_every_days) == (10, 35)
    assert config.review_every_weeks == 5
    assert config.dd_combine == "either_below"
    # "and/or ... levels of performance ... rate of learning": every driving rule decides.
    assert not config.dd_decides


def test_holland_patent_tier_3_refers_to_special_education():
    policy = load_preset("holland-patent-ny")
    assert rule_config(policy, tier=3, area="ela").is_top_tier
    assert not rule_config(policy, tier=2, area="ela").is_top_tier


def test_ohio_tier_3_probes_every_session():
    config = rule_config(load_preset("ohio-virtual-academy"), tier=3, area="reading")
    assert (config.pm_every_sessions, config.pm_every_days) == (1, 14)
    assert (config.review_after_weeks, config.review_every_weeks) == (6, 6)


def test_a_tier_without_a_set_dosage_leaves_it_to_the_plan():
    config = rule_config(load_preset("ohio-virtual-academy"), tier=2, area="math")
    assert (config.sessions_per_week, config.sessions_per_cycle, config.minutes_per_session) == (None, None, None)


def test_the_measure_sets_its_own_parallel_tolerance():
    policy = load_preset("loudon-county-tn")
    assert rule_config(policy, tier=2, area="reading", measure="aimsweb-rcbm").parallel_tolerance_abs == 0.5
    assert rule_config(policy, tier=2, area="reading", measure="aimsweb-maze").parallel_tolerance_abs == 0
    # Grade 1 has one measure (oral reading fluency): it applies without naming it.
    assert rule_config(policy, tier=2, area="reading", grade=1).parallel_tolerance_abs == 0.5


def test_the_stored_version_wins():
    config = rule_config(load_preset("lausd-secondary"), tier=2, area="ela", version="7")
    assert config.label == "lausd-secondary@7"


@pytest.mark.parametrize("name", ["holland-patent-ny", "lausd-secondary", "loudon-county-tn", "ohio-virtual-academy"])
def test_every_tier_and_area_of_every_preset_gives_a_config(name):
    policy = load_preset(name)
    for tier in policy.tiers:
        for area in policy.areas:
            assert rule_config(policy, tier=tier.number, area=area.key).tier == tier.number


def test_loudon_lets_dual_discrepancy_decide_in_every_tier():
    loudon = load_preset("loudon-county-tn")
    assert all(rule_config(loudon, tier=tier.number, area="reading").dd_decides for tier in loudon.tiers)


@pytest.mark.parametrize("name", ["holland-patent-ny", "lausd-secondary", "ohio-virtual-academy"])
def test_the_other_presets_keep_every_driving_rule_deciding(name):
    policy = load_preset(name)
    assert not any(
        rule_config(policy, tier=tier.number, area=area.key).dd_decides
        for tier in policy.tiers
        for area in policy.areas
    )


def test_unknown_tier_area_or_measure_is_a_lookup_error():
    policy = load_preset("loudon-county-tn")
    with pytest.raises(LookupError, match="no tier 4"):
        rule_config(policy, tier=4, area="reading")
    with pytest.raises(LookupError, match="no area 'math'"):
        rule_config(policy, tier=2, area="math")
    with pytest.raises(LookupError, match="no progress-monitoring measure 'dibels'"):
        rule_config(policy, tier=2, area="reading", measure="dibels")

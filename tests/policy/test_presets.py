"""The four built-in presets: valid, fully annotated, quoting their sources verbatim."""

from pathlib import Path

import pytest

from mtss.policy import leaf_paths, load_preset, preset_data, preset_names, validate_policy

PRESETS = ["holland-patent-ny", "lausd-secondary", "loudon-county-tn", "ohio-virtual-academy"]
# The four source documents, copied into the repository (see tests/data/seeds/README.md).
SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"


def test_the_four_presets_are_built_in():
    assert preset_names() == PRESETS


@pytest.mark.parametrize("name", PRESETS)
def test_it_validates(name):
    policy = validate_policy(preset_data(name))
    assert policy.name == name
    assert load_preset(name) == policy


@pytest.mark.parametrize("name", PRESETS)
def test_every_value_has_a_note(name):
    data = preset_data(name)
    policy = load_preset(name)
    unexplained = [path for path in leaf_paths(data) if policy.note_for(path) is None]
    assert unexplained == []


@pytest.mark.parametrize("name", PRESETS)
def test_every_quote_is_verbatim_in_its_source(name):
    assert SEEDS.is_dir(), f"source documents not found at {SEEDS}"
    policy = load_preset(name)
    texts = {source.id: (SEEDS / source.id).read_text(encoding="utf-8") for source in policy.sources}
    missing = [
        (path, quote) for path, note in policy.notes.items() for quote in note.quotes if quote not in texts[note.source]
    ]
    assert missing == []


@pytest.mark.parametrize("name", PRESETS)
def test_each_preset_cites_its_own_source_and_marks_its_defaults(name):
    policy = load_preset(name)
    kinds = {"quote" if note.source else "default" for note in policy.notes.values()}
    assert kinds == {"quote", "default"}
    assert all(note.why for note in policy.notes.values() if note.default)


def test_preset_data_is_a_fresh_copy():
    data = preset_data("loudon-county-tn")
    data["tiers"].clear()
    assert len(preset_data("loudon-county-tn")["tiers"]) == 3


def test_an_unknown_preset_is_named():
    with pytest.raises(LookupError, match="no policy preset 'springfield'"):
        preset_data("springfield")


# --- the sources' numbers -------------------------------------------------------------------


def test_loudon_county():
    policy = load_preset("loudon-county-tn")
    assert [tier.number for tier in policy.tiers] == [1, 2, 3]
    assert [area.key for area in policy.areas] == ["reading"]

    tier2, tier3 = policy.tier(2), policy.tier(3)
    assert (tier2.dosage.minutes_per_session, tier2.dosage.sessions_per_week) == (30, 4)
    assert (tier2.max_group_size, tier2.min_sessions_before_decision) == (5, 40)
    assert (tier3.dosage.minutes_per_session, tier3.dosage.sessions_per_week) == (60, 5)
    assert (tier3.max_group_size, tier3.min_sessions_before_decision) == (3, 45)
    assert all(tier.progress_monitoring.every_weeks == 1 for tier in policy.tiers)
    # S-Team after 9-12 weeks of progress monitoring.
    assert (tier2.review.team, tier2.review.first_after_weeks, tier2.review.window_weeks) == ("s-team", 9, 3)

    for measure in policy.screening.measures:
        assert measure.risk.method == "percentile" and measure.risk.norm == "national"
        assert measure.risk.bands[-1].below_percentile == 25
    dual = policy.decision_rules.dual_discrepancy
    assert (dual.level_percentile, dual.growth_percentile, dual.non_responder_when) == (25, 25, "both_below")
    assert dual.decides_when_applicable
    assert policy.note_for("decision_rules.dual_discrepancy.decides_when_applicable").quotes == [
        "A student is making adequate progress if his or her scores are at or above the established criterion "
        "for either the performance level OR the rate of growth.",
        "A student is NOT making adequate progress if his or her scores fall below the criteria for both the "
        "performance level AND the rate of growth.",
    ]
    assert policy.mid_year_entry.skip_if_benchmark_within_weeks == 4
    assert policy.parent_contact.progress_reports[0].every_weeks == 3
    assert policy.special_education_referral.when == "tier_midpoint"
    assert policy.fidelity.log_required_for_referral


def test_loudon_tier_2_numbers_cite_the_sentence_they_come_from():
    policy = load_preset("loudon-county-tn")
    note = policy.note_for("tiers.1.dosage.sessions_per_week")
    assert note.quotes == [
        "four sessions per week (minimum of 40 sessions for TIER II) with a maximum of five students per group"
    ]


def test_holland_patent():
    policy = load_preset("holland-patent-ny")
    assert [tier.number for tier in policy.tiers] == [1, 2, 3, 4]
    assert policy.tier(4).special_education and policy.special_education_referral.special_education_tier == 4
    assert {area.key for area in policy.areas} == {"ela", "math", "science", "social-studies"}

    tier2 = policy.tier(2)
    assert (tier2.dosage.sessions_per_cycle, tier2.dosage.cycle_days) == (3, 6)
    assert (tier2.dosage.minutes_per_session, tier2.dosage.minutes_per_session_max) == (20, 30)
    assert (tier2.progress_monitoring.every_sessions, tier2.progress_monitoring.every_weeks) == (10, 5)
    assert tier2.review.every_weeks == 5 and policy.tier(3).review.every_weeks == 5
    assert policy.tier(3).progress_monitoring.every_weeks == 2

    risks = {measure.key: measure.risk for measure in policy.screening.measures}
    assert risks["nys-ela"].method == "performance_level" and risks["nys-ela"].below_level == 3
    assert risks["algebra-regents"].method == "pass_mark" and risks["algebra-regents"].below == 65
    safety_net = policy.screening.measures[
        [m.key for m in policy.screening.measures].index("algebra-regents")
    ].exemptions
    assert safety_net[0].subgroups == ["students_with_disabilities"]
    assert {group.key for group in policy.screening.eligibility_groups} >= {
        "limited-english-ela",
        "homeless",
        "bilingual-native-language",
    }

    notices = {notice.key: notice for notice in policy.parent_contact.notices}
    assert notices["rti-start"].translated and notices["rti-end"].translated
    assert notices["rti-start"].also_to_students_older_than == 17
    assert notices["rti-start"].from_role == "principal"
    assert notices["rti-start"].content_blocks[:3] == [
        "summary_of_services",
        "reason_for_services",
        "consequences_of_not_meeting_levels",
    ]
    assert notices["rti-end"].content_blocks[:2] == ["criteria_for_ending", "performance_levels_obtained"]
    assert [schedule.times_per_quarter for schedule in policy.parent_contact.progress_reports] == [1, 1]


def test_ohio_virtual_academy():
    policy = load_preset("ohio-virtual-academy")
    for tier in policy.tiers:
        assert (tier.review.team, tier.review.first_after_weeks) == ("tbt", 6)
    tier3 = policy.tier(3)
    assert (tier3.grouping, tier3.max_group_size) == ("individual", 1)
    assert (tier3.dosage.sessions_per_week, tier3.dosage.minutes_per_session) == (3, 30)
    assert tier3.progress_monitoring.every_sessions == 1

    rimp = policy.required_plans[0]
    assert (rimp.key, rimp.due_within_days, rimp.approved_by) == ("rimp", 60, "principal")
    notice = policy.parent_contact.notices[0]
    assert (notice.trigger, notice.timing, notice.delivery, notice.grades) == (
        "not_on_track",
        "immediately",
        ["email"],
        [0, 1, 2, 3],
    )
    assert policy.mid_year_entry.screen_within_days_of_enrollment == 30


def test_lausd_secondary():
    policy = load_preset("lausd-secondary")
    assert policy.grades == list(range(6, 13))
    assert set(policy.reporting.subgroups) >= {
        "english_learner",
        "standard_english_learner",
        "students_with_disabilities",
        "foster_youth",
        "homeless",
        "gifted",
    }
    assert "pdsa-data-review" in {meeting.key for meeting in policy.meetings}
    # The handbook sets no dosage: the value is there, marked as a default.
    assert policy.tier(2).dosage.sessions_per_week == 3
    assert policy.note_for("tiers.1.dosage.sessions_per_week").default is True

"""The policy document schema: valid documents pass, bad ones name the field."""

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from mtss.policy import PolicyValidationError, leaf_paths, validate_policy
from mtss.policy.schema import format_path


def minimal_policy() -> dict[str, Any]:
    return {
        "schema_version": 1,
        "name": "test-district",
        "title": "Test district",
        "sources": [{"id": "plan.txt", "title": "The district plan"}],
        "areas": [{"key": "reading", "name": "Reading"}],
        "teams": [{"key": "s-team", "name": "S-Team"}],
        "tiers": [
            {"number": 1, "name": "Tier 1", "description": "Core instruction."},
            {
                "number": 2,
                "name": "Tier 2",
                "description": "Small-group intervention.",
                "dosage": {"sessions_per_week": 4, "minutes_per_session": 30},
                "progress_monitoring": {"every_weeks": 1},
                "review": {"team": "s-team", "every_weeks": 3},
            },
            {
                "number": 3,
                "name": "Tier 3",
                "description": "Intensive intervention on a 6-day cycle.",
                "dosage": {"sessions_per_cycle": 6, "cycle_days": 6, "minutes_per_session": 30},
            },
        ],
        "screening": {
            "measures": [
                {
                    "key": "benchmark",
                    "name": "Reading benchmark",
                    "kind": "universal_screener",
                    "areas": ["reading"],
                    "grades": [1, 2, 3],
                    "seasons": ["fall", "winter", "spring"],
                    "risk": {"method": "percentile", "bands": [{"label": "at risk", "below_percentile": 25}]},
                }
            ]
        },
        "parent_contact": {
            "languages": ["en", "es"],
            "notices": [
                {
                    "key": "tier-start",
                    "title": "Start",
                    "trigger": "tier_start",
                    "tiers": [2, 3],
                    "content_blocks": ["summary_of_services", "reason_for_services"],
                },
            ],
            "progress_reports": [{"every_weeks": 3}],
        },
        "special_education_referral": {"from_tier": 3},
        "notes": {
            "tiers.1.dosage.minutes_per_session": {"source": "plan.txt", "quote": "30 minutes"},
            "parent_contact.languages": {"default": True, "why": "The plan names no languages."},
        },
    }


def errors_of(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(PolicyValidationError) as raised:
        validate_policy(data)
    return {error.path: error.message for error in raised.value.errors}


def changed(**paths: Any) -> dict[str, Any]:
    """A minimal policy with values set at dotted paths ("tiers.1.dosage.cycle_days")."""
    data = minimal_policy()
    for dotted, value in paths.items():
        *parents, last = dotted.split("__")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value
    return data


def test_it_accepts_a_minimal_document():
    policy = validate_policy(minimal_policy())
    assert policy.tier(2).dosage.minutes_per_session == 30
    assert policy.tier(3).dosage.cycle_days == 6
    # Defaults fill what the document leaves out.
    assert policy.fidelity.threshold_percent == 80
    assert policy.decision_rules.four_point.consecutive_points == 4


def test_it_names_an_unknown_key_and_suggests_the_right_one():
    data = minimal_policy()
    data["tiers"][1]["dosage"]["minutes_per_sesion"] = 30
    assert errors_of(data) == {
        "tiers[1].dosage.minutes_per_sesion": "unknown field; did you mean 'minutes_per_session'?"
    }


def test_it_lists_the_allowed_fields_when_nothing_is_close():
    data = minimal_policy()
    data["screening"]["measures"][0]["risk"]["bands"][0]["colour"] = "red"
    message = errors_of(data)["screening.measures[0].risk.bands[0].colour"]
    assert message == "unknown field; allowed here: label, below_percentile"


def test_it_rejects_an_unknown_top_level_key():
    data = minimal_policy()
    data["tier_count"] = 3
    assert "tier_count" in errors_of(data)


def test_it_names_a_field_of_the_wrong_type():
    data = changed(tiers__1__dosage__minutes_per_session="thirty")
    assert errors_of(data) == {"tiers[1].dosage.minutes_per_session": "must be a whole number, got 'thirty'"}


def test_numbers_written_as_text_are_errors():
    data = changed(tiers__1__dosage__minutes_per_session="30")
    assert errors_of(data) == {"tiers[1].dosage.minutes_per_session": "must be a whole number, got '30'"}


def test_it_names_a_missing_required_field():
    data = minimal_policy()
    del data["tiers"][0]["description"]
    assert errors_of(data) == {"tiers[0].description": "required field is missing"}


def test_it_rejects_a_gap_in_tier_numbers():
    data = changed(tiers__2__number=4)
    errors = errors_of(data)
    assert errors["tiers[2].number"] == "tiers are numbered 1, 2, 3 ... in order; expected 3, got 4"


def test_tiers_must_start_at_one():
    data = minimal_policy()
    for tier in data["tiers"]:
        tier["number"] += 1
    errors = errors_of(data)
    assert errors["tiers[0].number"].startswith("tiers are numbered 1, 2, 3")


def test_it_rejects_a_percent_of_120():
    data = minimal_policy()
    data["fidelity"] = {"threshold_percent": 120}
    assert errors_of(data) == {"fidelity.threshold_percent": "must be a percentage from 0 to 100, got 120"}


def test_it_rejects_a_percentile_band_below_zero():
    data = changed(screening__measures__0__risk__bands__0__below_percentile=-5)
    # The union tag ("percentile") pydantic adds is not in the path: the author never wrote it.
    assert errors_of(data) == {
        "screening.measures[0].risk.bands[0].below_percentile": "must be a percentage from 0 to 100, got -5"
    }


def test_it_rejects_an_unknown_language_code():
    data = changed(parent_contact__languages=["en", "english"])
    message = errors_of(data)["parent_contact.languages[1]"]
    assert message.startswith("unknown language code 'english'")


def test_language_codes_may_carry_a_script_or_region_and_are_stored_in_lowercase():
    data = changed(parent_contact__languages=["en", "zh-Hant", "pt-BR", "es-419", "hmn"])
    # Lowercase like Django's language codes and a guardian's preferred language.
    assert validate_policy(data).parent_contact.languages == ["en", "zh-hant", "pt-br", "es-419", "hmn"]


def test_the_default_language_must_be_offered():
    data = changed(parent_contact__default_language="fr")
    assert errors_of(data) == {
        "parent_contact.default_language": "'fr' must also be listed in parent_contact.languages"
    }


def test_a_cycle_cannot_hold_more_sessions_than_days():
    data = changed(tiers__2__dosage={"sessions_per_cycle": 7, "cycle_days": 6, "minutes_per_session": 30})
    assert errors_of(data) == {
        "tiers[2].dosage.cycle_days": "a 6-day cycle cannot hold 7 sessions (one session a day at most)"
    }


def test_a_cycle_dosage_needs_cycle_days():
    data = changed(tiers__2__dosage={"sessions_per_cycle": 3, "minutes_per_session": 30})
    assert "tiers[2].dosage.cycle_days" in errors_of(data)


def test_a_dosage_says_how_often():
    data = changed(tiers__1__dosage={"minutes_per_session": 30})
    assert errors_of(data) == {"tiers[1].dosage": "give sessions_per_week, or sessions_per_cycle with cycle_days"}


def test_a_dosage_is_per_week_or_per_cycle_not_both():
    data = changed(
        tiers__1__dosage={"sessions_per_week": 4, "sessions_per_cycle": 3, "cycle_days": 6, "minutes_per_session": 30}
    )
    assert "tiers[1].dosage.sessions_per_cycle" in errors_of(data)


def test_a_minutes_range_goes_up():
    data = changed(tiers__1__dosage={"sessions_per_week": 4, "minutes_per_session": 30, "minutes_per_session_max": 20})
    assert errors_of(data) == {"tiers[1].dosage.minutes_per_session_max": "must be at least minutes_per_session (30)"}


def test_a_referenced_tier_must_exist():
    data = changed(special_education_referral={"from_tier": 5})
    assert errors_of(data) == {"special_education_referral.from_tier": "no tier 5 in this policy (tiers: 1, 2, 3)"}


def test_a_tier_in_a_notice_must_exist():
    data = changed(parent_contact__notices__0__tiers=[2, 7])
    assert errors_of(data) == {"parent_contact.notices[0].tiers[1]": "no tier 7 in this policy (tiers: 1, 2, 3)"}


def test_a_referenced_area_must_exist():
    data = changed(screening__measures__0__areas=["math"])
    assert errors_of(data) == {"screening.measures[0].areas[0]": "no area 'math' in this policy (areas: reading)"}


def test_a_referenced_team_must_exist():
    data = changed(tiers__1__review={"team": "sbit", "every_weeks": 5})
    assert errors_of(data) == {"tiers[1].review.team": "no team 'sbit' in this policy (teams: s-team)"}


def test_keys_are_unique_in_their_list():
    data = minimal_policy()
    data["areas"].append({"key": "reading", "name": "Reading again"})
    assert errors_of(data) == {"areas[1].key": "'reading' is used twice in this list"}


def test_an_unknown_risk_method_is_named():
    data = changed(screening__measures__0__risk={"method": "z_score", "below": -1})
    message = errors_of(data)["screening.measures[0].risk"]
    assert message.startswith("unknown method 'z_score'; expected one of 'percentile'")


def test_an_unknown_content_block_is_named_with_a_suggestion():
    data = changed(parent_contact__notices__0__content_blocks=["summary_of_service"])
    message = errors_of(data)["parent_contact.notices[0].content_blocks[0]"]
    assert "did you mean 'summary_of_services'?" in message


def test_four_point_rule_needs_its_points():
    data = minimal_policy()
    data["decision_rules"] = {"four_point": {"consecutive_points": 4, "min_points": 3}}
    assert errors_of(data) == {"decision_rules.four_point.min_points": "must be at least consecutive_points (4)"}


def test_one_decision_rule_must_drive_the_recommendation():
    data = minimal_policy()
    data["decision_rules"] = {
        name: {"drives_recommendation": False} for name in ("four_point", "trend", "dual_discrepancy")
    }
    assert "decision_rules" in errors_of(data)


def test_dual_discrepancy_does_not_decide_alone_by_default():
    assert validate_policy(minimal_policy()).decision_rules.dual_discrepancy.decides_when_applicable is False


def test_dual_discrepancy_can_only_decide_if_it_drives_the_recommendation():
    data = minimal_policy()
    data["decision_rules"] = {"dual_discrepancy": {"drives_recommendation": False, "decides_when_applicable": True}}
    assert errors_of(data) == {
        "decision_rules.dual_discrepancy.decides_when_applicable": "dual discrepancy can only decide if it drives "
        "the recommendation: set drives_recommendation: true, or decides_when_applicable: false"
    }


def test_decides_when_applicable_is_true_or_false():
    data = minimal_policy()
    data["decision_rules"] = {"dual_discrepancy": {"decides_when_applicable": "yes"}}
    assert errors_of(data) == {
        "decision_rules.dual_discrepancy.decides_when_applicable": "must be true or false, got 'yes'"
    }


def test_a_progress_report_schedule_says_how_often():
    data = changed(parent_contact__progress_reports=[{"grades": [1, 2]}])
    assert errors_of(data) == {
        "parent_contact.progress_reports[0]": "give every_weeks or times_per_quarter (one of them)"
    }


def test_a_note_must_name_a_value_of_the_document():
    data = minimal_policy()
    data["notes"]["tiers.7.name"] = {"default": True, "why": "typo in the path"}
    assert errors_of(data) == {'notes["tiers.7.name"]': "does not name a value in this document"}


def test_a_note_cites_a_declared_source():
    data = minimal_policy()
    data["notes"]["tiers.1.name"] = {"source": "other.txt", "quote": "Tier 2"}
    assert errors_of(data) == {
        'notes["tiers.1.name"].source': "'other.txt' is not one of the document's sources (plan.txt)"
    }


def test_a_note_is_a_quote_or_a_default():
    data = minimal_policy()
    data["notes"]["tiers.1.name"] = {"default": True}
    data["notes"]["tiers.2.name"] = {"source": "plan.txt"}
    errors = errors_of(data)
    assert errors['notes["tiers.1.name"]'].startswith('a default note needs "why"')
    assert errors['notes["tiers.2.name"]'].startswith('a note needs "source" and "quote"')


def test_a_note_path_uses_dots_for_list_positions():
    data = minimal_policy()
    data["notes"]["tiers[1].name"] = {"default": True, "why": "x"}
    assert errors_of(data)['notes["tiers[1].name"]'].startswith("write list positions as dotted numbers")


def test_a_quote_is_text_or_a_list_of_text():
    data = minimal_policy()
    data["notes"]["tiers.1.name"] = {"source": "plan.txt", "quote": 3}
    assert errors_of(data) == {'notes["tiers.1.name"].quote': "must be text or a list, got 3"}


def test_every_problem_is_reported_one_per_line():
    data = minimal_policy()
    data["tiers"][1]["dosage"]["minutes_per_session"] = "thirty"
    data["parent_contact"]["languages"] = ["xx"]
    data["name"] = "Not A Slug"
    with pytest.raises(PolicyValidationError) as raised:
        validate_policy(data)
    lines = str(raised.value).splitlines()
    assert len(lines) == 3
    assert "tiers[1].dosage.minutes_per_session: must be a whole number, got 'thirty'" in lines
    assert any(line.startswith("parent_contact.languages[0]: unknown language code 'xx'") for line in lines)
    assert any(line.startswith("name: must be a key of lowercase letters") for line in lines)


def test_a_document_must_be_an_object():
    with pytest.raises(PolicyValidationError) as raised:
        validate_policy(["not", "an", "object"])
    assert str(raised.value) == "(document): a policy document is a JSON object, got a list"


def test_the_schema_version_is_checked():
    data = changed(schema_version=2)
    assert errors_of(data) == {"schema_version": "must be one of 1, got 2"}


def test_format_path_writes_positions_and_odd_keys():
    assert format_path(("tiers", 1, "dosage", "minutes_per_session")) == "tiers[1].dosage.minutes_per_session"
    assert format_path(("notes", "tiers.1.name", "quote")) == 'notes["tiers.1.name"].quote'
    assert format_path(()) == "(document)"


def test_leaf_paths_skip_meta_and_keys_and_list_each_item():
    paths = leaf_paths(minimal_policy())
    assert "tiers.1.dosage.minutes_per_session" in paths
    assert "parent_contact.languages.1" in paths
    assert not any(path.startswith(("notes", "sources", "name", "title")) for path in paths)
    assert not any(path.endswith(".key") for path in paths)


def test_a_list_of_values_shares_its_lists_note():
    policy = validate_policy(minimal_policy())
    assert policy.note_for("parent_contact.languages.1").why == "The plan names no languages."
    assert policy.note_for("tiers.1.dosage.minutes_per_session").quotes == ["30 minutes"]
    assert policy.note_for("tiers.1.name") is None


def test_lookups_say_what_exists():
    policy = validate_policy(minimal_policy())
    with pytest.raises(LookupError, match=r"no tier 9 \(tiers: 1, 2, 3\)"):
        policy.tier(9)
    with pytest.raises(LookupError, match="no area 'math'"):
        policy.area("math")


def test_the_top_general_education_tier_is_the_last_before_special_education():
    data = minimal_policy()
    assert validate_policy(data).is_top_tier(3)
    assert not validate_policy(data).is_top_tier(2)
    data["tiers"].append(
        {"number": 4, "name": "Tier 4", "description": "Special education.", "special_education": True}
    )
    data["special_education_referral"]["special_education_tier"] = 4
    policy = validate_policy(data)
    assert policy.is_top_tier(3) and policy.is_top_tier(4)


def test_special_education_tiers_are_the_highest():
    data = minimal_policy()
    data["tiers"][1]["special_education"] = True
    assert errors_of(data)["tiers"] == "special-education tiers must be the highest tiers"


def test_a_validated_document_is_immutable():
    policy = validate_policy(minimal_policy())
    with pytest.raises(ValidationError):
        policy.name = "other"  # type: ignore[misc]


def test_validation_does_not_change_the_input():
    data = minimal_policy()
    before = copy.deepcopy(data)
    validate_policy(data)
    assert data == before

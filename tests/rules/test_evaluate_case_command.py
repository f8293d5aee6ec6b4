"""``manage.py evaluate_case``: prints the result JSON; bad input exits 2 naming the field."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]

TINY_POLICY = {
    "schema_version": 1,
    "name": "tiny-district",
    "title": "Tiny district",
    "areas": [{"key": "reading", "name": "Reading"}],
    "tiers": [
        {"number": 1, "name": "Tier 1", "description": "Core instruction"},
        {
            "number": 2,
            "name": "Tier 2",
            "description": "Small group",
            "dosage": {"sessions_per_week": 4, "minutes_per_session": 30},
            "progress_monitoring": {"every_weeks": 1},
        },
        {
            "number": 3,
            "name": "Tier 3",
            "description": "Intensive",
            "dosage": {"sessions_per_week": 5, "minutes_per_session": 60},
        },
    ],
    "screening": {
        "measures": [
            {
                "key": "screener",
                "name": "Screener",
                "kind": "universal_screener",
                "areas": ["reading"],
                "grades": [3],
                "seasons": ["fall"],
                "risk": {"method": "percentile", "bands": [{"label": "at risk", "below_percentile": 25}]},
            }
        ]
    },
    "parent_contact": {"languages": ["en"]},
    "special_education_referral": {"from_tier": 3},
}


def case_data(**changes) -> dict:
    weeks = [44, 45, 47, 46, 48, 49, 50, 50]
    data = {
        "policy": TINY_POLICY,
        "as_of": "2025-03-07",
        "student": {"grade": 3, "area": "reading", "tier": 2, "subgroups": []},
        "plan": {
            "start": "2025-01-06",
            "sessions_per_week": 4,
            "minutes_per_session": 30,
            "goal": {"measure": "", "target": 90, "target_date": "2025-05-26", "direction": "up"},
        },
        "baseline_probes": [
            {"date": "2025-01-02", "score": 41},
            {"date": "2025-01-03", "score": 40},
            {"date": "2025-01-06", "score": 45},
        ],
        "probes": [
            {"date": f"2025-{1 + (13 + 7 * i) // 31:02d}-{(13 + 7 * i) % 31 or 31:02d}", "score": s}
            for i, s in enumerate(weeks)
        ],
        "sessions": [{"date": f"2025-01-{d:02d}", "minutes": 30, "status": "delivered"} for d in range(6, 31)],
    }
    data.update(changes)
    return data


def run(tmp_path: Path, data, *, raw: str | None = None) -> dict:
    path = tmp_path / "CASE.json"
    path.write_text(raw if raw is not None else json.dumps(data), encoding="utf-8")
    out = io.StringIO()
    call_command("evaluate_case", str(path), stdout=out)
    return json.loads(out.getvalue())


def error_of(tmp_path: Path, data=None, *, raw: str | None = None) -> CommandError:
    with pytest.raises(CommandError) as caught:
        run(tmp_path, data, raw=raw)
    assert caught.value.returncode == 2
    return caught.value


def test_it_prints_the_result_json(tmp_path):
    result = run(tmp_path, case_data())
    # Issue 12 adds the tier the recommendation leads to, whether it changes, and warnings.
    assert set(result) == {
        "recommendation",
        "findings",
        "baseline",
        "goal_roi",
        "roi",
        "policy",
        "recommended_tier",
        "changes_tier",
        "warnings",
    }
    assert result["policy"] == "tiny-district@inline"
    assert result["baseline"] == 41
    assert result["goal_roi"] == pytest.approx((90 - 41) / 20)
    assert result["recommendation"] in {"modify", "intensify", "low_fidelity"}
    rules = [finding["rule"] for finding in result["findings"]]
    assert rules[:3] == ["baseline", "goal", "four_point"] and rules[-1] == "recommendation"
    for finding in result["findings"]:
        assert set(finding) == {"rule", "status", "values", "explanation"}
        assert finding["explanation"]


def test_an_inline_policy_with_a_version_reports_it(tmp_path):
    result = run(tmp_path, case_data(policy={**TINY_POLICY, "version": "2025-08"}))
    assert result["policy"] == "tiny-district@2025-08"


def test_the_tier_and_dosage_come_from_the_policy_when_the_plan_has_none(tmp_path):
    data = case_data()
    del data["plan"]["sessions_per_week"], data["plan"]["minutes_per_session"]
    data["student"]["tier"] = 3
    fidelity = next(f for f in run(tmp_path, data)["findings"] if f["rule"] == "fidelity")
    assert fidelity["values"]["minutes_scheduled"] == fidelity["values"]["sessions_scheduled"] * 60


def test_stdin_and_compact_output(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(case_data())))
    out = io.StringIO()
    call_command("evaluate_case", "-", "--compact", stdout=out)
    assert out.getvalue().count("\n") <= 1
    assert json.loads(out.getvalue())["policy"] == "tiny-district@inline"


def test_an_unknown_key_is_an_error_naming_it(tmp_path):
    data = case_data()
    data["plan"]["goal"]["tagret"] = 95
    error = error_of(tmp_path, data)
    assert "plan.goal.tagret: unknown key; did you mean 'target'?" in str(error)


def test_an_unknown_top_level_key_lists_the_allowed_ones(tmp_path):
    error = error_of(tmp_path, case_data(colour="red"))
    assert "colour: unknown key; allowed here: policy, as_of" in str(error)


def test_a_bad_date_is_an_error_naming_it(tmp_path):
    data = case_data()
    data["probes"][2]["date"] = "2025-02-30"
    assert "probes[2].date: is not a calendar date: '2025-02-30'" in str(error_of(tmp_path, data))
    data["probes"][2]["date"] = "03/01/2025"
    assert "probes[2].date: must be a date written YYYY-MM-DD" in str(error_of(tmp_path, data))
    assert "as_of: must be a date" in str(error_of(tmp_path, case_data(as_of=20250307)))


def test_a_number_written_as_text_is_an_error(tmp_path):
    data = case_data()
    data["sessions"][0]["minutes"] = "30"
    assert "sessions[0].minutes: must be a number" in str(error_of(tmp_path, data))


def test_a_bad_session_status_is_an_error(tmp_path):
    data = case_data()
    data["sessions"][1]["status"] = "sick"
    assert "sessions[1].status: must be one of" in str(error_of(tmp_path, data))


def test_a_goal_needs_target_or_roi(tmp_path):
    data = case_data()
    data["plan"]["goal"]["roi"] = 1.5
    assert "plan.goal: give exactly one of target" in str(error_of(tmp_path, data))


def test_invalid_json_says_line_and_column(tmp_path):
    error = error_of(tmp_path, raw='{\n  "as_of": "2025-03-07",\n  "policy": ,\n}')
    assert "invalid JSON at line 3, column 13" in str(error)


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("evaluate_case", str(tmp_path / "nope.json"))
    assert caught.value.returncode == 2 and "cannot read" in str(caught.value)


def test_a_case_that_is_not_an_object_is_an_error(tmp_path):
    assert "must be a JSON object" in str(error_of(tmp_path, raw="[1, 2]"))


def test_an_unknown_preset_is_an_error(tmp_path):
    assert "policy: no policy preset 'atlantis'" in str(error_of(tmp_path, case_data(policy="atlantis")))


def test_an_invalid_inline_policy_names_the_policy_field(tmp_path):
    policy = json.loads(json.dumps(TINY_POLICY))
    policy["tiers"][1]["dosage"]["minutes_per_session"] = "thirty"
    error = error_of(tmp_path, case_data(policy=policy))
    assert "policy.tiers[1].dosage.minutes_per_session" in str(error)


def test_a_tier_or_area_the_policy_lacks_is_an_error(tmp_path):
    data = case_data()
    data["student"]["tier"] = 7
    assert "student.tier: " in str(error_of(tmp_path, data))
    data = case_data()
    data["student"]["area"] = "math"
    assert "student.area: " in str(error_of(tmp_path, data))


def test_the_command_line_exits_2_without_a_traceback(tmp_path):
    data = case_data()
    data["plan"]["strat"] = "2025-01-06"
    path = tmp_path / "CASE.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    # A fresh process is not under pytest: MTSS_TESTING lets settings use the test key.
    env = {
        **os.environ,
        "MTSS_TESTING": "1",
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "mtss.settings"),
    }
    completed = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "evaluate_case", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    assert "plan.strat: unknown key; did you mean 'start'?" in completed.stderr

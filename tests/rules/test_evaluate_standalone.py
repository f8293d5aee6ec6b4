"""``python -m mtss.rules.evaluate`` works on a fresh clone without a secret (issue 12, item 8),
and the example cases of docs/cases/ (one per preset, in the README) run and say what they say."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "docs" / "cases"
EXPECTED = {
    "loudon-county-tn": ("intensify", {"dual_discrepancy": "non_responder", "fidelity": "adequate"}),
    "holland-patent-ny": ("raise_goal", {"dual_discrepancy": "adequate", "progress": "adequate_progress"}),
    "lausd-secondary": ("intensify", {"median_three": "behind", "progress": "no_progress"}),
    "ohio-virtual-academy": ("refer_evaluation", {"progress": "no_progress", "fidelity": "adequate"}),
}


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    # A bare environment: no SECRET_KEY, no DJANGO_DEBUG, no DJANGO_SETTINGS_MODULE, no database.
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "mtss.rules.evaluate", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_there_is_an_example_case_for_each_preset():
    from mtss.policy import preset_names

    assert sorted(path.stem for path in CASES.glob("*.json")) == preset_names() == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_example_case_runs_without_a_secret(name):
    done = run(str(CASES / f"{name}.json"))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    recommendation, statuses = EXPECTED[name]
    assert result["recommendation"] == recommendation
    found = {finding["rule"]: finding["status"] for finding in result["findings"]}
    assert {rule: found[rule] for rule in statuses} == statuses


def test_the_calendar_and_norms_of_the_case_reach_the_findings():
    result = json.loads(run(str(CASES / "loudon-county-tn.json")).stdout)
    findings = {finding["rule"]: finding for finding in result["findings"]}
    dual = findings["dual_discrepancy"]
    assert (dual["values"]["level_cut"], dual["values"]["roi_cut"]) == (73, 1.0)
    assert "25th percentile" in dual["values"]["norms_source"]
    assert "criterion 73" in dual["explanation"]
    # The winter break schedules no sessions: every school-day session delivered is adequate.
    assert findings["fidelity"]["status"] == "adequate"
    assert result["changes_tier"] is True and result["recommended_tier"] == 3


def test_an_unknown_measure_is_a_warning_and_a_bad_file_names_the_field():
    case = json.loads((CASES / "loudon-county-tn.json").read_text())
    case["plan"]["goal"]["measure"] = "DIBELS ORF"
    case.pop("norms")
    done = run("-", stdin=json.dumps(case))
    assert done.returncode == 0
    result = json.loads(done.stdout)
    assert "'DIBELS ORF' is not a measure of this policy" in result["warnings"][0]
    case["calendar"]["breaks"].append({"start": "2024-12-30", "end": "2025-01-10"})
    bad = run("-", stdin=json.dumps(case))
    assert bad.returncode == 2
    assert "calendar: breaks overlap: 2024-12-23..2025-01-03 and 2024-12-30..2025-01-10" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_case_with_no_instructional_day_is_refused_with_the_dates():
    case = json.loads((CASES / "ohio-virtual-academy.json").read_text())
    case["plan"]["start"], case["as_of"] = "2025-03-17", "2025-03-21"  # the spring break
    bad = run("-", stdin=json.dumps(case))
    assert bad.returncode == 2 and "no instructional day from 2025-03-17 to 2025-03-21" in bad.stderr


def test_it_imports_no_pandas_weasyprint_or_models():
    code = (
        "import sys, runpy; sys.argv = ['x', 'docs/cases/ohio-virtual-academy.json'];\n"
        "import io, contextlib\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    from mtss.rules.evaluate import main; main(sys.argv[1:])\n"
        "print(sorted(m for m in ('pandas', 'weasyprint', 'mtss.models', 'django.db.models')"
        " if m in sys.modules))"
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr

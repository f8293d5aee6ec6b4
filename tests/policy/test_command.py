"""`manage.py policy validate FILE`: OK and exit 0, or field-pointed errors and exit 2."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from mtss.policy import preset_data

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def run_validate(path: Path) -> str:
    out = StringIO()
    call_command("policy", "validate", str(path), stdout=out)
    return out.getvalue()


def test_it_prints_ok_for_a_valid_document(tmp_path):
    path = write(tmp_path, preset_data("holland-patent-ny"))
    assert run_validate(path) == "OK holland-patent-ny\n"


def test_it_lists_the_problems_and_exits_2(tmp_path):
    data = preset_data("loudon-county-tn")
    data["tiers"][1]["dosage"]["minutes_per_session"] = "thirty"
    data["parent_contact"]["languages"].append("klingon")
    path = write(tmp_path, data)
    with pytest.raises(CommandError) as raised:
        run_validate(path)
    assert raised.value.returncode == 2
    lines = str(raised.value).splitlines()
    assert lines[0] == f"{path}: 2 problems"
    assert "  tiers[1].dosage.minutes_per_session: must be a whole number, got 'thirty'" in lines
    index = len(data["parent_contact"]["languages"]) - 1  # the presets list every letter language
    assert any(
        line.startswith(f"  parent_contact.languages[{index}]: unknown language code 'klingon'") for line in lines
    )


def test_invalid_json_gives_line_and_column(tmp_path):
    text = '{\n  "name": "x",\n  "tiers": [1, 2,]\n}\n'
    path = write(tmp_path, text)
    with pytest.raises(CommandError) as raised:
        run_validate(path)
    assert raised.value.returncode == 2
    # The parser's own position (its wording and column differ between Python versions).
    with pytest.raises(json.JSONDecodeError) as parsed:
        json.loads(text)
    assert parsed.value.lineno == 3
    assert str(raised.value).startswith(
        f"{path}: invalid JSON at line {parsed.value.lineno}, column {parsed.value.colno}:"
    )


def test_a_missing_file_exits_2(tmp_path):
    with pytest.raises(CommandError) as raised:
        run_validate(tmp_path / "absent.json")
    assert raised.value.returncode == 2
    assert "cannot read the file" in str(raised.value)


def manage(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mtss.settings", "MTSS_TESTING": "1"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_from_the_shell_exit_codes_are_0_and_2_without_a_traceback(tmp_path):
    good = write(tmp_path, preset_data("ohio-virtual-academy"))
    result = manage("policy", "validate", str(good))
    assert (result.returncode, result.stdout) == (0, "OK ohio-virtual-academy\n")

    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "tiers": [}', encoding="utf-8")
    result = manage("policy", "validate", str(bad))
    assert result.returncode == 2
    assert "invalid JSON at line 1, column 33" in result.stderr
    assert "Traceback" not in result.stderr

    data = preset_data("ohio-virtual-academy")
    data["fidelity"]["threshold_percent"] = 120
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = manage("policy", "validate", str(bad))
    assert result.returncode == 2
    assert "fidelity.threshold_percent: must be a percentage from 0 to 100, got 120" in result.stderr
    assert "Traceback" not in result.stderr

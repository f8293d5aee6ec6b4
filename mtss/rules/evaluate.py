"""Evaluate one case from the command line, without a database or a SECRET_KEY.

    python -m mtss.rules.evaluate CASE.json        (or - for stdin)
    python -m mtss.rules.evaluate --compact CASE.json

The same as ``manage.py evaluate_case`` (README.md, "Evaluating one case"), but
it needs no Django project settings: the engine only uses Django's gettext, so
this configures the bare minimum (no translation) when nothing is configured.
Nothing here imports pandas, WeasyPrint or the ORM models, so it starts fast.
Exit codes: 0 ok, 2 a bad file (the message names the field).
"""

from __future__ import annotations

import argparse
import json
import sys


def _configure_django() -> None:
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False)


def run(case_file: str, *, compact: bool = False) -> tuple[int, str]:
    """``(exit code, text)``: the result JSON, or a message naming the bad field."""
    _configure_django()
    from mtss.rules.case_io import CaseError, evaluation_to_json, load_case
    from mtss.rules.engine import evaluate

    name = "stdin" if case_file == "-" else case_file
    try:
        if case_file == "-":
            text = sys.stdin.read()
        else:
            with open(case_file, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        return 2, f"{name}: cannot read the file ({exc})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return 2, f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    try:
        loaded = load_case(data)
    except CaseError as exc:
        return 2, f"{name} is not a valid case:\n{exc}"
    result = evaluation_to_json(evaluate(loaded.config, loaded.case), loaded.policy_label, loaded)
    return 0, json.dumps(result, indent=None if compact else 2, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mtss.rules.evaluate", description="Evaluate one progress-monitoring case and print JSON."
    )
    parser.add_argument("case_file", metavar="CASE.json", help="the case file, or - for stdin")
    parser.add_argument("--compact", action="store_true", help="print the JSON on one line")
    options = parser.parse_args(argv)
    code, text = run(options.case_file, compact=options.compact)
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())

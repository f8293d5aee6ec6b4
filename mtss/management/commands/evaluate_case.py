"""``manage.py evaluate_case CASE.json``: run the decision rules on one case, print JSON.

The format is documented in README.md, "Evaluating one case". Any problem with the file is a
``CommandError`` with exit code 2 that names the field, never a traceback.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from mtss.rules.case_io import CaseError, evaluation_to_json, load_case
from mtss.rules.engine import evaluate


class Command(BaseCommand):
    help = "Evaluate one progress-monitoring case (CASE.json, or - for stdin) and print the result as JSON."

    def add_arguments(self, parser):
        parser.add_argument("case_file", metavar="CASE.json")
        parser.add_argument("--compact", action="store_true", help="print the JSON on one line")

    def handle(self, *args, case_file: str, compact: bool = False, **options):
        name = "stdin" if case_file == "-" else case_file
        try:
            if case_file == "-":
                text = sys.stdin.read()
            else:
                with open(case_file, encoding="utf-8") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{name}: cannot read the file ({exc})", returncode=2) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", returncode=2
            ) from None
        try:
            loaded = load_case(data)
        except CaseError as exc:
            raise CommandError(f"{name} is not a valid case:\n{exc}", returncode=2) from None
        evaluation = evaluate(loaded.config, loaded.case)
        result = evaluation_to_json(evaluation, loaded.policy_label, loaded)
        self.stdout.write(json.dumps(result, indent=None if compact else 2, ensure_ascii=False))

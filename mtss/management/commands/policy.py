"""`policy validate FILE`: check a district policy document before loading it.

Prints ``OK <name>`` and exits 0, or prints one line per problem, each naming the
field ("tiers[1].dosage.minutes_per_session: must be a whole number, got 'thirty'"),
and exits 2. Invalid JSON is reported with its line and column; never a traceback.
"""
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mtss.policy import PolicyValidationError, validate_policy

INVALID = 2


class Command(BaseCommand):
    help = "Work with district policy documents (see docs/policy-format.md)."
    # Validation reads one file and touches neither the database nor the apps.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        validate = subcommands.add_parser("validate", help="Check a policy JSON file; exit 2 when it is invalid.")
        validate.add_argument("file", help="path to the policy document (JSON)")

    def handle(self, *args, **options) -> None:
        if options["subcommand"] == "validate":
            self.validate(Path(options["file"]))

    def validate(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{path}: cannot read the file ({exc.strerror or exc})", returncode=INVALID) from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text (byte {exc.start})", returncode=INVALID) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", returncode=INVALID
            ) from None
        try:
            policy = validate_policy(data)
        except PolicyValidationError as exc:
            count = len(exc.errors)
            lines = [f"{path}: {count} problem{'s' if count != 1 else ''}"]
            lines += [f"  {error}" for error in exc.errors]
            raise CommandError("\n".join(lines), returncode=INVALID) from None
        self.stdout.write(f"OK {policy.name}")

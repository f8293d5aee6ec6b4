"""District policy documents from the command line.

- `policy validate FILE`: check a document before loading it.
- `policy load --district SLUG (--preset NAME | FILE) [--effective-from DATE] [--note TEXT]`:
  store it as the district's next version.
- `policy show --district SLUG [--as-of DATE]`: print the version in effect as JSON.

`validate`
Prints ``OK <name>`` and exits 0, or prints one line per problem, each naming the
field ("tiers[1].dosage.minutes_per_session: must be a whole number, got 'thirty'"),
and exits 2. Invalid JSON is reported with its line and column; never a traceback.
"""

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from mtss.models import District
from mtss.policy import PolicyValidationError, preset_data, preset_names, validate_policy
from mtss.selectors import policy_current
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context

INVALID = 2


class Command(BaseCommand):
    help = "Work with district policy documents (see the README, 'The district policy document')."
    # Validation reads one file and touches neither the database nor the apps.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        validate = subcommands.add_parser("validate", help="Check a policy JSON file; exit 2 when it is invalid.")
        validate.add_argument("file", help="path to the policy document (JSON)")
        load = subcommands.add_parser("load", help="Store a document as the district's next policy version.")
        load.add_argument("--district", required=True, help="district slug")
        source = load.add_mutually_exclusive_group(required=True)
        source.add_argument("--preset", help="a built-in preset name")
        source.add_argument("file", nargs="?", help="path to a policy document (JSON)")
        load.add_argument("--effective-from", help="YYYY-MM-DD (default: today)")
        load.add_argument("--note", default="", help="what changed and why")
        show = subcommands.add_parser("show", help="Print the district's policy in effect as JSON.")
        show.add_argument("--district", required=True, help="district slug")
        show.add_argument("--as-of", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, **options) -> None:
        if options["subcommand"] == "validate":
            self.validate(Path(options["file"]))
        elif options["subcommand"] == "load":
            self.load(options)
        elif options["subcommand"] == "show":
            self.show(options)

    @staticmethod
    def _district(slug: str):
        district = District.objects.filter(slug=slug).first()
        if district is None:
            raise CommandError(f"--district: no district with slug {slug!r}", returncode=INVALID)
        return district

    @staticmethod
    def _date(value: str | None, option: str) -> dt.date | None:
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"{option}: {value!r} is not a date (YYYY-MM-DD)", returncode=INVALID) from None

    def load(self, options) -> None:
        district = self._district(options["district"])
        effective = self._date(options["effective_from"], "--effective-from") or timezone.localdate()
        if options["preset"]:
            if options["preset"] not in preset_names():
                raise CommandError(
                    f"--preset: unknown preset {options['preset']!r}; one of {', '.join(preset_names())}",
                    returncode=INVALID,
                )
            data = preset_data(options["preset"])
        else:
            data = self.read(Path(options["file"]))
        try:
            with tenant_context(district):
                version = policy_version_create(
                    district=district, actor=None, data=data, effective_from=effective, note=options["note"]
                )
        except PolicyValidationError as exc:
            raise CommandError(
                "\n".join(["policy not loaded:"] + [f"  {e}" for e in exc.errors]), returncode=INVALID
            ) from None
        self.stdout.write(f"loaded {version.label} for {district.slug}, effective {version.effective_from}")

    def show(self, options) -> None:
        district = self._district(options["district"])
        with tenant_context(district):
            version = policy_current(district=district, as_of=self._date(options["as_of"], "--as-of"))
        if version is None:
            raise CommandError(f"{district.slug} has no policy in effect on that date", returncode=INVALID)
        self.stdout.write(
            json.dumps(
                {
                    "version": version.label,
                    "effective_from": version.effective_from.isoformat(),
                    "document": version.document,
                },
                indent=2,
                ensure_ascii=False,
            )
        )

    def read(self, path: Path) -> dict:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{path}: cannot read the file ({exc.strerror or exc})", returncode=INVALID) from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text (byte {exc.start})", returncode=INVALID) from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", returncode=INVALID
            ) from None

    def validate(self, path: Path) -> None:
        data = self.read(path)
        try:
            policy = validate_policy(data)
        except PolicyValidationError as exc:
            count = len(exc.errors)
            lines = [f"{path}: {count} problem{'s' if count != 1 else ''}"]
            lines += [f"  {error}" for error in exc.errors]
            raise CommandError("\n".join(lines), returncode=INVALID) from None
        self.stdout.write(f"OK {policy.name}")

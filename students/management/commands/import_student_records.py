"""Import attendance, behaviour incidents or course grades, or set the district's incident types:

    import_student_records attendance --district SLUG FILE [--shape powerschool] [--map date=Att_Date]
                                      [--code X=absent_excused] [--dry-run] [--confirm]
    import_student_records incidents  --district SLUG FILE [--dry-run]
    import_student_records grades     --district SLUG FILE [--shape oneroster] [--dry-run]
    import_student_records incident-types --district SLUG FILE   (CSV: code,name)

Thin: parsing and printing; the services are students.early_warning.importers (README,
"Attendance, incidents and grades"). Exit status: 0 imported (or a clean dry run), 1 rows
rejected or a big change to confirm, 2 unusable input.
"""

import csv

from django.core.management.base import BaseCommand, CommandError

from students.early_warning.importers import ATTENDANCE_SHAPES, GRADE_SHAPES, IMPORTERS, incident_types_set
from students.early_warning.models import AttendanceStatus
from students.importers.cli import resolve, write_counts
from students.importers.csvio import write_errors_csv
from students.models import ImportRun

SHOWN_ERRORS = 20


def _pairs(values: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for value in values or []:
        key, sep, target = value.partition("=")
        if not sep or not key.strip() or not target.strip():
            raise CommandError(f"--{what} {value!r}: write it as KEY=VALUE", returncode=2)
        pairs[key.strip()] = target.strip()
    return pairs


class Command(BaseCommand):
    help = "Import daily attendance, behaviour incidents or course grades (all or nothing), or set incident types."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[*IMPORTERS, "incident-types"])
        parser.add_argument("path", help="the CSV file")
        parser.add_argument("--district", required=True, help="district slug")
        parser.add_argument("--user", help="username recorded as the one who ran the import")
        parser.add_argument("--dry-run", action="store_true", help="validate and count; write nothing")
        parser.add_argument("--errors-csv", metavar="FILE", help="write the rejected rows to FILE as CSV")
        parser.add_argument(
            "--shape",
            default="generic",
            choices=list(dict.fromkeys([*ATTENDANCE_SHAPES, *GRADE_SHAPES])),
            help="attendance: the SIS export's shape; grades: oneroster reads a OneRoster 1.2 package's gradebook",
        )
        parser.add_argument(
            "--map", action="append", metavar="COLUMN=HEADER", help="attendance: our column = the file's header"
        )
        parser.add_argument(
            "--code",
            action="append",
            metavar="CODE=STATUS",
            help=f"attendance: a district code and its status ({', '.join(AttendanceStatus.values)})",
        )
        parser.add_argument(
            "--confirm", action="store_true", help="attendance: accept a change above the policy's share"
        )

    def handle(self, *args, kind, path, district, user, dry_run, errors_csv, shape, map, code, confirm, **options):
        found, actor = resolve(district=district, user=user, path=path)
        if kind == "incident-types":
            with open(path, newline="", encoding="utf-8-sig") as handle:
                rows = [(r.get("code", ""), r.get("name", "")) for r in csv.DictReader(handle)]
            try:
                created = incident_types_set(district=found, actor=actor, types=rows)
            except ValueError as error:
                raise CommandError(str(error), returncode=2) from None
            self.stdout.write(f"{len(rows)} incident types ({created} new).")
            return
        options = {"dry_run": dry_run}
        if kind == "attendance":
            codes = _pairs(code, "code")
            unknown = set(codes.values()) - set(AttendanceStatus.values)
            if unknown:
                raise CommandError(f"--code: unknown status {sorted(unknown)}", returncode=2)
            if shape not in ATTENDANCE_SHAPES:
                raise CommandError(f"--shape {shape}: attendance reads {', '.join(ATTENDANCE_SHAPES)}", returncode=2)
            options.update(shape=shape, mapping=_pairs(map, "map"), codes=codes, confirm=confirm)
        elif kind == "grades":
            options["shape"] = "oneroster" if shape == "oneroster" else "csv"
        run = IMPORTERS[kind](district=found, actor=actor, path=path, **options)
        self.stdout.write(f"{run.file_name}: {run.format}, {run.get_status_display()} (import run {run.pk})")
        if run.counts:
            write_counts(self.stdout, run.counts, ["created", "updated", "unchanged"])
        for warning in run.warnings:
            self.stdout.write(self.style.WARNING(warning["text"]))
        for message in run.details.get("needs_confirmation", []):
            self.stdout.write(self.style.WARNING(message))
        errors = run.outcome.errors
        for error in errors[:SHOWN_ERRORS]:
            self.stdout.write(f"{error.file}, line {error.line}, {error.column or 'row'}: {error.reason}")
        if len(errors) > SHOWN_ERRORS:
            self.stdout.write(f"... and {len(errors) - SHOWN_ERRORS} more")
        if errors_csv and errors:
            with open(errors_csv, "w", newline="", encoding="utf-8") as handle:
                write_errors_csv(errors, handle)
        if run.status == ImportRun.Status.REFUSED:
            reason = "a big change to confirm (--confirm)" if not errors else f"{len(errors)} problems"
            raise CommandError(f"{reason}; nothing was written.", returncode=1)

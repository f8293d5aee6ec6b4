"""Import a norm table or cut-score table: import_norms --district SLUG [--measure KEY] [--kind ...] FILE."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from mtss.models import District, User
from mtss.tenancy import tenant_context
from screening.models import Measure, NormTable
from screening.services import catalog_ensure, norms_import

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = (
        "Import a district's norm table (score at each percentile, by grade and season) or cut-score table "
        "from CSV, replacing the measure's table of that kind and norm group; risk levels are recomputed. "
        "Columns: measure (optional with --measure), grade, season, then percentile and score (norms), or "
        "below and label (cut scores). Published tables are copyrighted: import only what the district may "
        "use. Exit status: 0 imported, 1 rows rejected (nothing written), 2 unusable input."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file")
        parser.add_argument("--district", required=True, help="district slug")
        parser.add_argument("--measure", help="catalog measure key, when the file has no measure column")
        parser.add_argument("--kind", choices=NormTable.Kind.values, default=NormTable.Kind.PERCENTILE)
        parser.add_argument("--norm", choices=NormTable.Norm.values, default=NormTable.Norm.NATIONAL)
        parser.add_argument("--name", default="", help="the table's name")
        parser.add_argument("--source", default="", help="where the values come from (publisher, licence, year)")
        parser.add_argument("--illustrative", action="store_true", help="synthetic values (demo only)")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--user", help="username recorded as the one who ran the import")

    def handle(self, *args, path, district, measure, kind, norm, name, source, illustrative, dry_run, user, **options):
        found = District.objects.filter(slug=district).first()
        if found is None:
            raise CommandError(f"--district: no district with slug {district!r}", returncode=2)
        actor = User.objects.filter(username=user).first() if user else None
        if user and actor is None:
            raise CommandError(f"--user: no user {user!r}", returncode=2)
        if not Path(path).is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        target = None
        if measure:
            with tenant_context(found):
                catalog_ensure(district=found)
                target = Measure.objects.filter(district=found, key=measure).first()
            if target is None:
                raise CommandError(f"--measure: the district's catalog has no measure {measure!r}", returncode=2)
        try:
            run = norms_import(
                district=found,
                actor=actor,
                path=path,
                kind=kind,
                norm=norm,
                measure=target,
                name=name,
                source=source,
                illustrative=illustrative,
                dry_run=dry_run,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages), returncode=2) from None
        plan = run.plan
        counts = run.counts.get("norm_points", {})
        self.stdout.write(
            f"{run.file_name}: {run.get_status_display()} (import run {run.pk}); rows "
            f"{counts.get('created', 0)}, replaced {counts.get('deleted', 0)}, "
            f"measures {', '.join(run.details.get('measures', [])) or '-'}"
        )
        if plan.recomputed:
            self.stdout.write(
                f"risk levels recomputed: {plan.recomputed['changed']} of {plan.recomputed['checked']} scores changed"
            )
        for error in plan.all_errors[:SHOWN_ERRORS]:
            where = error.file + (f" line {error.line}" if error.line else "")
            self.stdout.write(
                self.style.ERROR(f"  {where}{' [' + error.column + ']' if error.column else ''}: {error.reason}")
            )
        if plan.refused_whole:
            raise CommandError("the file cannot be read; nothing was written", returncode=2)
        if run.error_count:
            raise CommandError(f"{run.error_count} problems; nothing was written", returncode=1)

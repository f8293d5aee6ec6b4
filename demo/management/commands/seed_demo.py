"""`manage.py seed_demo`: the four demo districts, deterministic and idempotent.

Thin: parsing and printing only; the generator is demo.districts.
"""

from django.core.management.base import BaseCommand, CommandError

from demo import districts as demo


class Command(BaseCommand):
    help = (
        "Create deterministic synthetic data for four demo districts (Loudon County, Holland Patent, "
        "Ohio Virtual Academy, LAUSD secondary). Safe to re-run: existing demo districts are kept "
        "unless --reset. Prints the demo logins (demo password only, never for real accounts)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--students",
            type=int,
            metavar="N",
            help="Build the district named by --district with exactly N students (e.g. 50000 for benchmarks).",
        )
        parser.add_argument(
            "--district",
            default=demo.SPECS[0].slug,
            choices=[spec.slug for spec in demo.SPECS],
            help="The district that --students scales (default: %(default)s).",
        )
        parser.add_argument(
            "--only",
            action="store_true",
            help="With --students: build only the district named by --district, leave the others alone.",
        )
        parser.add_argument("--reset", action="store_true", help="Delete and recreate the demo districts.")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="Random seed (default: %(default)s).")
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply every district's default size (about 250-400 students) by this factor.",
        )

    def handle(
        self, *args, students=None, district=None, reset=False, seed=demo.DEFAULT_SEED, scale=1.0, only=False, **options
    ):
        if students is not None and not 1 <= students <= 2_000_000:
            raise CommandError("--students must be between 1 and 2,000,000.")
        if only and students is None:
            raise CommandError("--only needs --students (the size of the one district to build).")
        if scale <= 0:
            raise CommandError("--scale must be positive.")
        sizes = {district: students} if students else {}
        verbose = options.get("verbosity", 1) >= 1
        try:
            results = demo.seed_demo(
                sizes=sizes,
                scale=scale,
                reset=reset,
                seed=seed,
                log=self.stdout.write if verbose else None,
                only=only,
                verbose_steps=options.get("verbosity", 1) >= 2,
            )
        except demo.DemoError as error:
            raise CommandError(str(error)) from None

        if not verbose:
            return
        for result in results:
            if result.action == "kept":
                line = f"{result.slug}: already present ({result.counts['students']} students); kept."
            else:
                counts = ", ".join(f"{value} {name}" for name, value in result.counts.items())
                line = f"{result.slug}: {result.action} in {result.seconds:.1f} s ({counts})."
            self.stdout.write(line)
        if all(result.action == "kept" for result in results):
            self.stdout.write("Nothing to do (use --reset to rebuild the demo districts).")

        rows = demo.login_table()
        keys = ["username", "role", "district", "password"]
        widths = {key: max(len(key), *(len(row[key]) for row in rows)) for key in keys}
        self.stdout.write("")
        self.stdout.write(
            self.style.WARNING(
                f"Demo logins (fictional data; the password {demo.DEMO_PASSWORD!r} is for this demo only):"
            )
        )
        for cells in [dict(zip(keys, keys, strict=False)), {key: "-" * widths[key] for key in keys}, *rows]:
            self.stdout.write("  ".join(cells[key].ljust(widths[key]) for key in keys).rstrip())

from django.core.management.base import BaseCommand, CommandError

from threats.interchange.reserve_package import PackageError, reserve_package_import


class Command(BaseCommand):
    help = "Create a reserve from a reserve package folder (format: docs/reserve-package.md)."

    def add_arguments(self, parser):
        parser.add_argument("folder")
        parser.add_argument("--slug", required=True, help="slug of the new reserve")
        parser.add_argument("--resolution", type=float, default=50.0, help="terrain cell size for dem.tif, m")

    def handle(self, *args, folder: str, slug: str, resolution: float, **options):
        try:
            report = reserve_package_import(folder=folder, slug=slug, resolution_m=resolution)
        except PackageError as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{n} {k}" for k, n in sorted(report.counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Imported reserve '{slug}': {counts}"))
        for note in report.notes:
            self.stdout.write(f"  {note}")

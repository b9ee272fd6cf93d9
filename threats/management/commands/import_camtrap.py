from django.core.management.base import BaseCommand, CommandError

from patrol.reserves.models import Reserve
from threats.interchange.reserve_package import PackageError, camtrap_import


class Command(BaseCommand):
    help = "Import a Camtrap DP package (1.0; 0.1.6 column names too) into a reserve. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--reserve", required=True, help="reserve slug")
        parser.add_argument("folder", help="folder holding datapackage.json")

    def handle(self, *args, reserve: str, folder: str, **options):
        target = Reserve.objects.filter(slug=reserve).first()
        if target is None:
            raise CommandError(f"No reserve with slug {reserve!r}.")
        try:
            report = camtrap_import(reserve=target, folder=folder)
        except PackageError as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{n} {k}" for k, n in sorted(report.counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Imported into '{reserve}': {counts}"))
        for note in report.notes:
            self.stdout.write(f"  {note}")

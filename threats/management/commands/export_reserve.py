from django.core.management.base import BaseCommand, CommandError

from patrol.reserves.models import Reserve
from threats.interchange.reserve_package import reserve_package_export


class Command(BaseCommand):
    help = "Write a reserve as a reserve package folder. It holds exact sensitive locations: keep it safe."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("folder")

    def handle(self, *args, slug: str, folder: str, **options):
        reserve = Reserve.objects.filter(slug=slug).first()
        if reserve is None:
            raise CommandError(f"No reserve with slug {slug!r}.")
        reserve_package_export(reserve=reserve, folder=folder)
        self.stdout.write(f"Wrote reserve '{slug}' to {folder} (it holds exact locations of sensitive species).")

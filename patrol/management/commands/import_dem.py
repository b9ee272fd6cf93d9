from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from patrol.reserves.models import Reserve
from patrol.terrain.services import DEFAULT_RESOLUTION_M, terrain_import


class Command(BaseCommand):
    help = "Import a DEM GeoTIFF (any CRS) for a reserve: resample it to the reserve's CRS and derive terrain layers."

    def add_arguments(self, parser):
        parser.add_argument("--reserve", required=True, help="reserve slug")
        parser.add_argument("file", help="GeoTIFF elevation model")
        parser.add_argument("--resolution", type=float, default=DEFAULT_RESOLUTION_M, help="planning cell size, m")

    def handle(self, *args, reserve: str, file: str, resolution: float, **options):
        target = Reserve.objects.filter(slug=reserve).first()
        if target is None:
            raise CommandError(f"No reserve with slug {reserve!r}.")
        if not Path(file).is_file():
            raise CommandError(f"{file}: no such file.")
        try:
            grid = terrain_import(reserve=target, path=file, resolution_m=resolution)
        except ValidationError as exc:
            raise CommandError("; ".join(m for messages in exc.message_dict.values() for m in messages)) from exc
        with open(file, "rb") as handle:
            target.dem.save(Path(file).name, File(handle), save=True)
        self.stdout.write(
            f"{target.slug}: {grid.width} x {grid.height} cells of {grid.resolution_m:g} m in EPSG:{grid.srid}, "
            f"elevation {grid.elevation_min_m:.0f}-{grid.elevation_max_m:.0f} m, "
            f"{target.valley_reaches.count()} valley reaches"
        )

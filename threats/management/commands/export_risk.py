"""Export a risk layer of the reserve's latest finished run as a GeoTIFF on its terrain grid.

    python manage.py export_risk --reserve SLUG --layer LAYER --out FILE.tif [--compute]

LAYER is snares, leopard, uncertainty, leopard_uncertainty or effort.

The file shares the grid of the reserve's TerrainGrid elevation, so `plan_route --dem <elevation>
--risk FILE.tif` accepts it as it is. With --compute the risk is computed first (in this process).
"""

from __future__ import annotations

import shutil

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from threats.management.commands._reserve import reserve_with_terrain
from threats.risk.compute import LAYERS, risk_compute_now
from threats.risk.selectors import risk_run_latest


class Command(BaseCommand):
    help = "Write a risk layer of the latest finished run as a GeoTIFF on the reserve's terrain grid."

    def add_arguments(self, parser):
        parser.add_argument("--reserve", required=True, help="reserve slug")
        parser.add_argument("--layer", choices=LAYERS, default="snares")
        parser.add_argument("--out", required=True, help="output GeoTIFF path")
        parser.add_argument("--compute", action="store_true", help="compute the risk now first")

    def handle(self, *args, **options):
        reserve, terrain = reserve_with_terrain(options["reserve"])
        if options["compute"]:
            run = risk_compute_now(reserve=reserve)
            if run.status != run.Status.DONE:
                raise CommandError(f"The risk computation failed: {run.error}")
        run = risk_run_latest(reserve=reserve)
        if run is None:
            raise CommandError(
                f"{reserve.slug} has no finished risk computation yet: run with --compute, or wait for the "
                "worker (a recompute is queued after new data and every night)."
            )
        same_grid = (run.grid_srid, run.grid_width, run.grid_height) == (terrain.srid, terrain.width, terrain.height)
        if not same_grid or not np.allclose(run.grid_geotransform, terrain.geotransform, rtol=0, atol=1e-6):
            raise CommandError(
                f"The latest risk run (#{run.pk}) was computed on an earlier terrain grid of {reserve.slug}: "
                "run with --compute to recompute it on the current one."
            )
        with getattr(run, options["layer"]).open("rb") as source, open(options["out"], "wb") as target:
            shutil.copyfileobj(source, target)
        self.stdout.write(
            f"{reserve.slug}: {options['layer']} of risk run #{run.pk} (data {run.inputs_start:%Y-%m-%d} to "
            f"{run.inputs_end:%Y-%m-%d}) -> {options['out']} ({terrain.width} x {terrain.height} cells of "
            f"{terrain.resolution_m:g} m, EPSG:{terrain.srid})"
        )

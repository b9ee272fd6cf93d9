"""Plan a patrol route from files, without a database.

    python manage.py plan_route --dem DEM.tif --risk RISK.tif --start X,Y [--end X,Y] \
        --hours H [--radius M] [--max-slope DEG] --out ROUTE.geojson

X,Y are in the DEM's CRS. The risk raster must share the DEM's grid. Planning happens on the
DEM's own grid; the output Feature's properties (cells, duration_h, covered_risk, length_km...)
are computed with the model in patrol/terrain/graph.py and patrol/routing/planner.py.
"""

from __future__ import annotations

import json
import re

from django.core.management.base import BaseCommand, CommandError

from patrol.routing.export import route_feature
from patrol.routing.planner import DEFAULT_DETECTION_RADIUS_M, RoutePlanningError, plan_route
from patrol.terrain.graph import DEFAULT_MAX_SLOPE_DEG, build_terrain_graph
from patrol.terrain.raster_io import RasterError, read_raster


def _point(text: str, option: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise CommandError(f"{option} must be X,Y in the DEM's CRS, got {text!r}") from None
    return x, y


class Command(BaseCommand):
    help = "Plan a patrol route covering the most risk within a time budget (file based, no database)."

    def add_arguments(self, parser):
        # argparse takes "-97.5,33.2" for an option because only plain negative numbers look like values
        # to it: let coordinate pairs with a leading minus be values too (`--start -97.5,33.2`).
        parser._negative_number_matcher = re.compile(r"^-\d*\.?\d+(,\s*-?\d*\.?\d+)*$")
        parser.add_argument("--dem", required=True, help="elevation GeoTIFF (any CRS)")
        parser.add_argument("--risk", required=True, help="risk GeoTIFF on the DEM's grid")
        parser.add_argument("--start", required=True, help="X,Y in the DEM's CRS")
        parser.add_argument("--end", help="X,Y in the DEM's CRS (default: back to the start)")
        parser.add_argument("--hours", required=True, type=float, help="walking-time budget in hours")
        parser.add_argument("--radius", type=float, default=DEFAULT_DETECTION_RADIUS_M, help="detection radius, m")
        parser.add_argument(
            "--max-slope", type=float, default=DEFAULT_MAX_SLOPE_DEG, help="steepest passable slope, degrees"
        )
        parser.add_argument("--out", required=True, help="output GeoJSON Feature path")

    def handle(self, *args, **options):
        if options["hours"] <= 0:
            raise CommandError("--hours must be positive")
        if options["radius"] < 0:
            raise CommandError("--radius must not be negative")
        if not 0 < options["max_slope"] < 90:
            raise CommandError("--max-slope must be between 0 and 90 degrees")
        try:
            dem = read_raster(options["dem"])
            risk = read_raster(options["risk"])
        except RasterError as exc:
            raise CommandError(str(exc)) from exc
        if not dem.same_grid_as(risk):
            raise CommandError(
                f"risk raster {options['risk']} is not on the DEM's grid: shape {risk.shape} vs {dem.shape}, "
                f"EPSG:{risk.srid} vs EPSG:{dem.srid}, geotransform {risk.geotransform} vs {dem.geotransform}"
            )
        cells = {}
        for option in ("start", "end"):
            if options[option] is None:
                continue
            x, y = _point(options[option], f"--{option}")
            row, col = dem.grid.cell_of(x, y)
            if not dem.grid.contains(row, col):
                raise CommandError(f"--{option} {x},{y} lies outside the DEM (EPSG:{dem.srid})")
            cells[option] = (row, col)
        dx, dy = dem.cell_sizes_m()
        graph = build_terrain_graph(dem.data, dx_m=dx, dy_m=dy, max_slope_deg=options["max_slope"])
        try:
            result = plan_route(
                graph, risk.data, start=cells["start"], end=cells.get("end"),
                budget_h=options["hours"], radius_m=options["radius"],
            )  # fmt: skip
        except RoutePlanningError as exc:
            raise CommandError(str(exc)) from exc
        feature = route_feature(
            result, grid=dem.grid, srid=dem.srid, is_geographic=dem.is_geographic,
            extra_properties={"radius_m": options["radius"], "max_slope_deg": options["max_slope"],
                              "dem_srid": dem.srid},
        )  # fmt: skip
        with open(options["out"], "w", encoding="utf-8") as fh:
            json.dump(feature, fh)
        self.stdout.write(
            f"{options['out']}: {len(result.cells)} cells, {result.duration_h:.2f} h, "
            f"{result.length_km:.2f} km, covered risk {result.covered_risk:.3f}"
        )

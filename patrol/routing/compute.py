"""Route plans computed by the worker on the reserve's terrain and risk surface.

The risk model lives in threats, which builds on patrol: the surface comes in as an argument or
through IRBIS_RISK_SURFACE (patrol.reserves.risk), never by importing threats.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _
from scipy import ndimage

from patrol.jobs.runner import job_run
from patrol.patrols.models import Patrol
from patrol.reserves.risk import risk_surface_for
from patrol.routing.export import route_feature_collection, route_gpx, route_kml
from patrol.routing.models import RoutePlan
from patrol.routing.planner import RoutePlanningError, plan_alternative_routes, plan_multiday_route, plan_route
from patrol.terrain.graph import build_terrain_graph
from patrol.terrain.models import TerrainGrid
from patrol.terrain.raster_io import Raster, transform_points
from patrol.terrain.services import grid_cell_of, grid_raster, no_go_mask


def recent_coverage(grid: TerrainGrid, *, days: int, radius_m: float) -> np.ndarray:
    """1 where a patrol track of the last `days` days passed within `radius_m`, else 0."""
    covered = np.zeros((grid.height, grid.width), dtype=bool)
    if days <= 0:
        return covered.astype(float)
    since = timezone.now() - timedelta(days=days)
    cells = grid.grid
    tracks = Patrol.objects.filter(reserve_id=grid.reserve_id, actual_start__gte=since, track__isnull=False)
    for track in tracks.values_list("track", flat=True):
        points = np.array([c for line in track.coords for c in line], dtype=float)
        xy = transform_points(points, from_srid=4326, to_srid=grid.srid)
        covered |= cells.rasterise_points(xy[:, 0], xy[:, 1]) > 0
    radius_cells = max(int(round(radius_m / cells.dx)), 0)
    if radius_cells:
        yy, xx = np.mgrid[-radius_cells : radius_cells + 1, -radius_cells : radius_cells + 1]
        covered = ndimage.binary_dilation(covered, structure=(xx**2 + yy**2) <= radius_cells**2)
    return covered.astype(float)


def route_plan_compute(*, plan_id: int, risk: np.ndarray | None = None, risk_source: str = "") -> RoutePlan | None:
    """Plan the route(s) of a queued RoutePlan and store them (a job: claimed once, with a heartbeat).
    A plan that cannot be made is marked failed with the reason; any other error fails it with its
    message. Safe to run twice: a plan already claimed or finished is left as it is.

    The risk surface is the caller's (`risk`, on the terrain grid) or, by default, the risk model's
    current one, asked for through IRBIS_RISK_SURFACE (patrol.reserves.risk)."""

    def work(plan: RoutePlan) -> dict[str, Any]:
        surface, source = risk, risk_source
        grid = TerrainGrid.objects.get(reserve=plan.reserve)
        dem = grid_raster(grid)
        if surface is None:
            surface, source = risk_surface_for(grid)
        return {"routes": _plan(plan, grid, dem, surface), "risk_source": source}

    return job_run(RoutePlan, plan_id, work, expected=(RoutePlanningError,))


def _plan(plan: RoutePlan, grid: TerrainGrid, dem: Raster, risk: np.ndarray) -> list[dict]:
    dx, dy = dem.cell_sizes_m()
    graph = build_terrain_graph(dem.data, dx_m=dx, dy_m=dy, max_slope_deg=plan.max_slope_deg,
                                no_go=no_go_mask(grid), mode=plan.transport)  # fmt: skip
    cells = {}
    for name, post in (("start", plan.start_post), ("end", plan.end_post or plan.start_post)):
        row, col = grid_cell_of(grid, post.location.x, post.location.y)
        if not grid.grid.contains(row, col):
            raise RoutePlanningError(_("%(post)s lies outside the reserve's terrain.") % {"post": post.name})
        cells[name] = (row, col)
    common = {
        "start": cells["start"],
        "end": cells["end"],
        "radius_m": plan.radius_m,
        "recent_coverage": recent_coverage(grid, days=plan.avoid_recent_days, radius_m=plan.radius_m),
    }
    if plan.days > 1:
        results = [plan_multiday_route(graph, risk, days=plan.days, hours_per_day=plan.hours, **common)]
    elif plan.alternatives > 1:
        results = plan_alternative_routes(graph, risk, k=plan.alternatives, budget_h=plan.hours, **common)
    else:
        results = [plan_route(graph, risk, budget_h=plan.hours, **common)]
    name = f"{plan.reserve.name}: {plan.start_post.name}"
    return [
        {
            "feature_collection": route_feature_collection(result, grid=dem.grid, srid=dem.srid),
            "gpx": route_gpx(result, grid=dem.grid, srid=dem.srid, name=f"{name} #{k + 1}"),
            "kml": route_kml(result, grid=dem.grid, srid=dem.srid, name=f"{name} #{k + 1}"),
        }
        for k, result in enumerate(results)
    ]

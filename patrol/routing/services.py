"""Route plans: requested by managers, computed by the worker on the reserve's terrain and risk."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from scipy import ndimage

from patrol.jobs.runner import job_enqueue, job_run
from patrol.patrols.models import Patrol
from patrol.reserves.access import require_manager
from patrol.reserves.models import Post, Reserve
from patrol.reserves.selectors import User
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
    x0, dx, _skew_x, y0, _skew_y, dy = grid.geotransform
    tracks = Patrol.objects.filter(reserve_id=grid.reserve_id, actual_start__gte=since, track__isnull=False)
    for track in tracks.values_list("track", flat=True):
        points = np.array([c for line in track.coords for c in line], dtype=float)
        xy = transform_points(points, from_srid=4326, to_srid=grid.srid)
        rows = np.floor((xy[:, 1] - y0) / dy).astype(int)
        cols = np.floor((xy[:, 0] - x0) / dx).astype(int)
        inside = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
        covered[rows[inside], cols[inside]] = True
    radius_cells = max(int(round(radius_m / abs(dx))), 0)
    if radius_cells:
        yy, xx = np.mgrid[-radius_cells : radius_cells + 1, -radius_cells : radius_cells + 1]
        covered = ndimage.binary_dilation(covered, structure=(xx**2 + yy**2) <= radius_cells**2)
    return covered.astype(float)


@transaction.atomic
def route_plan_request(*, actor: User, reserve: Reserve, start_post: Post, end_post: Post | None = None,
                       **options: Any) -> RoutePlan:  # fmt: skip
    """Managers ask for a route suggestion; it is computed in the background (route_plan_compute)."""
    plan = RoutePlan(reserve=reserve, requested_by=actor, start_post=start_post, end_post=end_post, **options)
    return route_plan_submit(actor=actor, plan=plan)


def route_plan_check(*, reserve: Reserve, start_post: Post | None, end_post: Post | None) -> None:
    """The posts must be the reserve's, and the reserve must have terrain (raises ValidationError)."""
    for name, post in (("start_post", start_post), ("end_post", end_post)):
        if post is not None and post.reserve_id != reserve.pk:
            raise ValidationError({name: [_("This post belongs to another reserve.")]})
    if not TerrainGrid.objects.filter(reserve=reserve).exists():
        raise ValidationError({"reserve": [_("This reserve has no terrain yet: import a DEM first (import_dem).")]})


@transaction.atomic
def route_plan_submit(*, actor: User, plan: RoutePlan) -> RoutePlan:
    """Check and store a new, unsaved plan and queue its computation on commit (the API builds the plan
    from its fields, the admin from its form). Superusers (the admin) need no membership."""
    if not actor.is_superuser:
        require_manager(user=actor, reserve=plan.reserve)
    route_plan_check(reserve=plan.reserve, start_post=plan.start_post, end_post=plan.end_post)
    plan.requested_by = plan.requested_by or actor
    plan.status = RoutePlan.Status.QUEUED
    plan.full_clean()
    plan.save()
    job_enqueue(plan)
    return plan


def route_plan_compute(*, plan_id: int, risk: np.ndarray | None = None, risk_source: str = "") -> RoutePlan | None:
    """Plan the route(s) of a queued RoutePlan and store them (a job: claimed once, with a heartbeat).
    A plan that cannot be made is marked failed with the reason; any other error fails it with its
    message. Safe to run twice: a plan already claimed or finished is left as it is."""

    def work(plan: RoutePlan) -> dict[str, Any]:
        surface, source = risk, risk_source
        grid = TerrainGrid.objects.get(reserve=plan.reserve)
        dem = grid_raster(grid)
        if surface is None:
            from threats.risk.surface import current_risk_surface

            surface, source = current_risk_surface(grid)
        return {"routes": _plan(plan, grid, dem, surface), "risk_source": source}

    return job_run(RoutePlan, plan_id, work, expected=(RoutePlanningError,))


def _plan(plan: RoutePlan, grid: TerrainGrid, dem: Raster, risk: np.ndarray) -> list[dict]:
    dx, dy = dem.cell_sizes_m()
    graph = build_terrain_graph(dem.data, dx_m=dx, dy_m=dy, max_slope_deg=plan.max_slope_deg,
                                no_go=no_go_mask(grid), mode=plan.transport)  # fmt: skip
    cells = {}
    for name, post in (("start", plan.start_post), ("end", plan.end_post or plan.start_post)):
        row, col = grid_cell_of(grid, post.location.x, post.location.y)
        if not (0 <= row < grid.height and 0 <= col < grid.width):
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
            "feature_collection": route_feature_collection(result, geotransform=dem.geotransform, srid=dem.srid),
            "gpx": route_gpx(result, geotransform=dem.geotransform, srid=dem.srid, name=f"{name} #{k + 1}"),
            "kml": route_kml(result, geotransform=dem.geotransform, srid=dem.srid, name=f"{name} #{k + 1}"),
        }
        for k, result in enumerate(results)
    ]

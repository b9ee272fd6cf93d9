"""Route plans computed by the worker on the reserve's terrain and risk surface.

The risk model lives in threats, which builds on patrol: the surface comes in as an argument or
through IRBIS_RISK_SURFACE (patrol.reserves.risk), never by importing threats.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from scipy import ndimage

from patrol.jobs.runner import job_run
from patrol.patrols.models import Patrol
from patrol.reserves.risk import risk_surface_for
from patrol.routing.constraints import (
    ViaUnreachable,
    avoid_mask,
    plan_alternatives_via,
    plan_multiday_via,
    valleys_passed,
)
from patrol.routing.export import route_feature_collection, route_gpx, route_kml
from patrol.routing.models import RoutePlan
from patrol.routing.planner import RoutePlanningError
from patrol.terrain.graph import build_terrain_graph
from patrol.terrain.models import TerrainGrid, ValleyReach
from patrol.terrain.raster_io import Raster, transform_points
from patrol.terrain.selectors import reach_ids_by_name, reach_labels, valley_names
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
    message. Safe to run twice: a plan already claimed or finished is left as it is. Alternatives are
    stored one by one as they are ready (with `progress`), so that the planning page shows the first
    while the others compute.

    The risk surface is the caller's (`risk`, on the terrain grid) or, by default, the risk model's
    current one, asked for through IRBIS_RISK_SURFACE (patrol.reserves.risk)."""

    def work(plan: RoutePlan) -> dict[str, Any]:
        with translation.override(plan.language or None):  # messages in the requester's language
            return compute(plan)

    def compute(plan: RoutePlan) -> dict[str, Any]:
        surface, source = risk, risk_source
        grid = TerrainGrid.objects.get(reserve=plan.reserve)
        dem = grid_raster(grid)
        if surface is None:
            surface, source = risk_surface_for(grid)
        _progress(plan, progress=10)
        return {"routes": _plan(plan, grid, dem, surface), "risk_source": source, "progress": 100}

    return job_run(RoutePlan, plan_id, work, expected=(RoutePlanningError,))


# The worker keeps the last few terrain graphs (a second or more to build on a large grid, about 100 MB
# each for 640,000 cells): the planning page's re-plans on one reserve reuse them.
GRAPH_CACHE_SIZE = 2
_graphs: OrderedDict[tuple, Any] = OrderedDict()


def _cached(key: tuple, make: Callable[[], Any]) -> Any:
    if key in _graphs:
        _graphs.move_to_end(key)
        return _graphs[key]
    value = make()
    _graphs[key] = value
    while len(_graphs) > GRAPH_CACHE_SIZE:
        _graphs.popitem(last=False)
    return value


def _progress(plan: RoutePlan, **fields: Any) -> None:
    """Store partial results while the claim holds (a lost claim writes nothing)."""
    RoutePlan.objects.filter(pk=plan.pk, status=RoutePlan.Status.RUNNING, attempts=plan.attempts).update(**fields)


def _valley_masks(plan: RoutePlan, labels: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The must-pass valleys' cells (one mask each, in the plan's order) and the cells to avoid."""
    ids = reach_ids_by_name(reserve_id=plan.reserve_id)
    for name in [*plan.must_pass, *plan.avoid]:
        if name not in ids:
            raise RoutePlanningError(_("There is no valley named %(name)s in this reserve.") % {"name": name})
    via = [np.isin(labels, ids[name]) for name in plan.must_pass]
    avoid = avoid_mask(labels, [i for name in plan.avoid for i in ids[name]])
    return via, avoid


def _plan(plan: RoutePlan, grid: TerrainGrid, dem: Raster, risk: np.ndarray) -> list[dict]:
    dx, dy = dem.cell_sizes_m()
    labels = reach_labels(grid)
    via, avoid = _valley_masks(plan, labels)
    cells = {}
    for name, post in (("start", plan.start_post), ("end", plan.end_post or plan.start_post)):
        row, col = grid_cell_of(grid, post.location.x, post.location.y)
        if not grid.grid.contains(row, col):
            raise RoutePlanningError(_("%(post)s lies outside the reserve's terrain.") % {"post": post.name})
        if avoid[row, col]:
            raise RoutePlanningError(_("%(post)s lies in a valley the route is to avoid.") % {"post": post.name})
        cells[name] = (row, col)
    no_go = no_go_mask(grid) | avoid
    blocked = hashlib.blake2b(np.packbits(no_go)).digest()
    key = (grid.pk, grid.elevation.name, plan.max_slope_deg, plan.transport, blocked)
    graph = _cached(key, lambda: build_terrain_graph(dem.data, dx_m=dx, dy_m=dy, max_slope_deg=plan.max_slope_deg,
                                                     no_go=no_go, mode=plan.transport))  # fmt: skip
    risk = np.where(avoid, 0.0, np.nan_to_num(np.asarray(risk, dtype=np.float64), nan=0.0))
    common = {
        "start": cells["start"],
        "end": cells["end"],
        "radius_m": plan.radius_m,
        "recent_coverage": recent_coverage(grid, days=plan.avoid_recent_days, radius_m=plan.radius_m),
        "via_masks": via,
    }
    names = valley_names(reserve_id=plan.reserve_id)
    title = f"{plan.reserve.name}: {plan.start_post.name}"
    done: list[dict] = []

    def store(k: int, result) -> None:
        passed = [names.get(i, ValleyReach.code(i)) for i in valleys_passed(result.cells, labels)]
        done.append(_route_record(result, dem, f"{title} #{k + 1}", list(dict.fromkeys(passed))))
        _progress(plan, routes=done, progress=10 + int(90 * len(done) / max(plan.alternatives, 1)) - 1)

    try:
        if plan.days > 1:
            store(0, plan_multiday_via(graph, risk, days=plan.days, hours_per_day=plan.hours, **common))
        else:
            plan_alternatives_via(graph, risk, k=plan.alternatives, budget_h=plan.hours, on_route=store, **common)
    except ViaUnreachable as exc:
        raise RoutePlanningError(_("%(valley)s cannot be reached and left within the time given.")
                                 % {"valley": plan.must_pass[exc.index]}) from exc  # fmt: skip
    return done


def _route_record(result, dem: Raster, name: str, valleys: list[str]) -> dict:
    collection = route_feature_collection(result, grid=dem.grid, srid=dem.srid)
    for feature in collection["features"]:
        if feature["properties"].get("kind") == "route":
            feature["properties"]["valleys"] = valleys
    return {
        "feature_collection": collection,
        "gpx": route_gpx(result, grid=dem.grid, srid=dem.srid, name=name),
        "kml": route_kml(result, grid=dem.grid, srid=dem.srid, name=name),
    }

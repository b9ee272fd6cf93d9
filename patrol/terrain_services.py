"""Writes for terrain and route planning: importing a reserve's DEM, and computing route suggestions.

The numerical work lives in patrol.raster_io, patrol.terrain and patrol.routing (arrays in, arrays
out); this module moves data between them and the database.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.geos import LineString
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from scipy import ndimage

from patrol.access import require_manager
from patrol.models import Patrol, Post, Reserve, RoutePlan, TerrainGrid, ValleyReach, Zone
from patrol.raster_io import Raster, RasterError, read_dem, read_raster, transform_points, write_geotiff
from patrol.route_export import route_feature_collection, route_gpx, route_kml
from patrol.routing import RoutePlanningError, plan_alternative_routes, plan_multiday_route, plan_route
from patrol.selectors import User
from patrol.terrain import build_terrain_graph, hillshade, slope_degrees, valley_network

DEFAULT_RESOLUTION_M = 50.0
VALLEY_REACH_DISTANCE_M = 500.0  # cells this close to a reach's floor count towards that valley
MIN_CATCHMENT_KM2 = 5.0


def _geotiff_bytes(data: np.ndarray, raster: Raster, dtype: str = "float32") -> bytes:
    handle, path = tempfile.mkstemp(suffix=".tif")
    os.close(handle)
    try:
        write_geotiff(path, data, geotransform=raster.geotransform, srid=raster.srid, dtype=dtype)
        return Path(path).read_bytes()
    finally:
        os.unlink(path)


def _reach_labels(shape: tuple[int, int], reaches: list[tuple[int, list]], resolution_m: float) -> np.ndarray:
    """Each cell's nearest reach (by its floor cells), if within VALLEY_REACH_DISTANCE_M; else 0."""
    floor = np.zeros(shape, dtype=np.int32)
    for reach_id, cells in reaches:
        rows, cols = np.asarray(cells, dtype=np.int64).reshape(-1, 2).T
        floor[rows, cols] = reach_id
    distance, (near_r, near_c) = ndimage.distance_transform_edt(floor == 0, return_indices=True)
    labels = floor[near_r, near_c]
    labels[distance * resolution_m > VALLEY_REACH_DISTANCE_M] = 0
    return labels


@transaction.atomic
def terrain_import(*, reserve: Reserve, path: str | os.PathLike, resolution_m: float = DEFAULT_RESOLUTION_M,
                   actor: User | None = None) -> TerrainGrid:  # fmt: skip
    """Resample a DEM (any CRS) into the reserve's projected CRS and derive slope, hillshade and valleys.

    Raises ValidationError with a message naming the file for corrupt, empty, unsupported or
    misplaced DEMs; the previous terrain stays as it was.
    """
    if actor is not None:
        require_manager(user=actor, reserve=reserve)
    if not 5 <= resolution_m <= 1000:
        raise ValidationError({"resolution_m": _("The planning resolution must be between 5 and 1000 m.")})
    try:
        dem = read_dem(path, target_srid=reserve.projected_epsg, resolution_m=resolution_m)
    except RasterError as exc:
        raise ValidationError({"dem": [str(exc)]}) from exc
    if np.isnan(dem.data).all():
        raise ValidationError({"dem": [_("%(name)s has no elevation values.") % {"name": Path(path).name}]})
    _check_overlap(reserve, dem, Path(path).name)

    dx, dy = dem.cell_sizes_m()
    slope = slope_degrees(dem.data, dx_m=dx, dy_m=dy)
    shade = hillshade(dem.data, dx_m=dx, dy_m=dy)
    min_cells = max(int(MIN_CATCHMENT_KM2 * 1e6 / (resolution_m * resolution_m)), 4)
    valleys = valley_network(np.nan_to_num(dem.data, nan=float(np.nanmin(dem.data))), dx_m=dx, dy_m=dy,
                             min_catchment_cells=min_cells, geotransform=dem.geotransform)  # fmt: skip
    reach_edges = [data for _, _, data in valleys.network.edges(data=True) if len(data["cells"]) >= 2]
    labels = _reach_labels(dem.shape, [(e["reach_id"], e["cells"]) for e in reach_edges], resolution_m)

    TerrainGrid.objects.filter(reserve=reserve).delete()
    stem = f"{reserve.slug}-{int(resolution_m)}m"
    grid = TerrainGrid(
        reserve=reserve, source_name=Path(path).name, srid=dem.srid, resolution_m=resolution_m,
        geotransform=list(dem.geotransform), width=dem.shape[1], height=dem.shape[0],
        elevation_min_m=float(np.nanmin(dem.data)), elevation_max_m=float(np.nanmax(dem.data)),
    )  # fmt: skip
    grid.elevation.save(f"{stem}-elevation.tif", ContentFile(_geotiff_bytes(dem.data, dem)), save=False)
    grid.slope.save(f"{stem}-slope.tif", ContentFile(_geotiff_bytes(slope, dem)), save=False)
    grid.hillshade.save(f"{stem}-hillshade.tif", ContentFile(_geotiff_bytes(shade, dem)), save=False)
    grid.flow_accumulation.save(f"{stem}-accumulation.tif", ContentFile(_geotiff_bytes(valleys.accumulation, dem)),
                                save=False)  # fmt: skip
    grid.reach_labels.save(f"{stem}-reaches.tif", ContentFile(_geotiff_bytes(labels, dem, dtype="int32")),
                           save=False)  # fmt: skip
    grid.full_clean()
    grid.save()

    ValleyReach.objects.filter(reserve=reserve).delete()
    cell_km2 = resolution_m * resolution_m / 1e6
    rows = []
    for edge in reach_edges:
        lonlat = transform_points(np.asarray(edge["coords"], dtype=float), from_srid=dem.srid, to_srid=4326)
        rows.append(ValleyReach(
            reserve=reserve, reach_id=edge["reach_id"], name=edge["name"],
            geometry=LineString([tuple(p) for p in lonlat.tolist()], srid=4326), length_m=float(edge["length_m"]),
            catchment_km2=round(float(edge["catchment_cells"]) * cell_km2, 3),
        ))  # fmt: skip
    ValleyReach.objects.bulk_create(rows)
    return grid


def _check_overlap(reserve: Reserve, dem: Raster, name: str) -> None:
    boundary = reserve.boundary.transform(dem.srid, clone=True)
    x0, dx, _skew_x, y0, _skew_y, dy = dem.geotransform
    x1, y1 = x0 + dx * dem.shape[1], y0 + dy * dem.shape[0]
    dem_box = shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    if not dem_box.intersects(shapely.from_wkb(bytes(boundary.wkb))):
        raise ValidationError({"dem": [_("%(name)s does not overlap the reserve %(reserve)s.")
                                       % {"name": name, "reserve": reserve.name}]})  # fmt: skip


def grid_raster(grid: TerrainGrid, layer: str = "elevation") -> Raster:
    return read_raster(getattr(grid, layer).path)


def grid_cell_of(grid: TerrainGrid, lon: float, lat: float) -> tuple[int, int]:
    x, y = transform_points(np.array([[lon, lat]]), from_srid=4326, to_srid=grid.srid)[0]
    x0, dx, _skew_x, y0, _skew_y, dy = grid.geotransform
    return int(np.floor((y - y0) / dy)), int(np.floor((x - x0) / dx))


def cell_centres_xy(grid: TerrainGrid) -> tuple[np.ndarray, np.ndarray]:
    x0, dx, _skew_x, y0, _skew_y, dy = grid.geotransform
    cols, rows = np.meshgrid(np.arange(grid.width), np.arange(grid.height))
    return x0 + (cols + 0.5) * dx, y0 + (rows + 0.5) * dy


def no_go_mask(grid: TerrainGrid) -> np.ndarray:
    """Cells whose centre lies in one of the reserve's no-go zones: impassable for planning."""
    mask = np.zeros((grid.height, grid.width), dtype=bool)
    zones = list(Zone.objects.filter(reserve_id=grid.reserve_id, kind=Zone.Kind.NO_GO))
    if not zones:
        return mask
    xs, ys = cell_centres_xy(grid)
    for zone in zones:
        polygon = shapely.from_wkb(bytes(zone.area.transform(grid.srid, clone=True).wkb))
        mask |= shapely.contains_xy(polygon, xs, ys)
    return mask


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
    require_manager(user=actor, reserve=reserve)
    for name, post in (("start_post", start_post), ("end_post", end_post)):
        if post is not None and post.reserve_id != reserve.pk:
            raise ValidationError({name: [_("This post belongs to another reserve.")]})
    if not TerrainGrid.objects.filter(reserve=reserve).exists():
        raise ValidationError({"reserve": [_("This reserve has no terrain yet: import a DEM first (import_dem).")]})
    plan = RoutePlan(reserve=reserve, requested_by=actor, start_post=start_post, end_post=end_post, **options)
    plan.full_clean()
    plan.save()
    from patrol.tasks import route_plan_compute_task

    transaction.on_commit(lambda: route_plan_compute_task.delay(plan.pk))
    return plan


def route_plan_compute(*, plan_id: int, risk: np.ndarray | None = None, risk_source: str = "") -> RoutePlan:
    """Plan the route(s) of a RoutePlan and store them; a plan that cannot be made is marked failed
    with the reason. Safe to run twice: a finished plan is left as it is."""
    plan = RoutePlan.objects.select_related("reserve", "start_post", "end_post").get(pk=plan_id)
    if plan.status in (RoutePlan.Status.DONE, RoutePlan.Status.FAILED):
        return plan
    RoutePlan.objects.filter(pk=plan.pk).update(status=RoutePlan.Status.RUNNING)
    grid = TerrainGrid.objects.get(reserve=plan.reserve)
    dem = grid_raster(grid)
    if risk is None:
        from threats.risk_surface import current_risk_surface

        risk, risk_source = current_risk_surface(grid)
    try:
        routes = _plan(plan, grid, dem, risk)
    except RoutePlanningError as exc:
        plan.status, plan.error = RoutePlan.Status.FAILED, str(exc)
    else:
        plan.status, plan.routes, plan.error = RoutePlan.Status.DONE, routes, ""
    plan.risk_source = risk_source
    plan.finished_at = timezone.now()
    plan.save(update_fields=["status", "error", "routes", "risk_source", "finished_at"])
    return plan


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

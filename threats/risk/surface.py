"""The risk surface the route planner uses for a reserve's terrain grid.

When the effort-corrected risk model has a finished run on this very grid (threats.RiskRun), the
planner uses its snares layer (expected snare lines set per cell per year). Until then, or when the
DEM was re-imported since, the planner falls back to a simple, documented surface: recent snare
finds (count-weighted, half-life 90 days) smoothed over a few hundred metres, plus incidents. It says which one
it used (`risk_source`).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from django.utils import timezone
from scipy import ndimage

from patrol.terrain.models import TerrainGrid
from patrol.terrain.raster_io import read_raster, transform_points
from threats.records.models import Incident, SnareFind
from threats.risk.models import RiskRun

FALLBACK_WINDOW_DAYS = 365
FALLBACK_HALF_LIFE_DAYS = 90.0
FALLBACK_SMOOTHING_M = 250.0
INCIDENT_WEIGHT = 2.0  # a poacher camp or carcass says more than one snare


def recent_finds_surface(grid: TerrainGrid, *, now=None) -> np.ndarray:
    now = now or timezone.now()
    since = now - timedelta(days=FALLBACK_WINDOW_DAYS)
    lonlat, weights = [], []
    for model, time_field, weight_of in ((SnareFind, "found_at", "count"), (Incident, "occurred_at", None)):
        rows = model.objects.filter(reserve_id=grid.reserve_id, **{f"{time_field}__gte": since}).values_list(
            "location", time_field, *([weight_of] if weight_of else [])
        )  # fmt: skip
        rows = list(rows)
        if not rows:
            continue
        lonlat.append(np.array([(r[0].x, r[0].y) for r in rows]))
        age_days = np.array([(now - r[1]).total_seconds() / 86400.0 for r in rows])
        base = np.array([r[2] for r in rows], dtype=float) if weight_of else np.full(len(rows), INCIDENT_WEIGHT)
        weights.append(base * 0.5 ** (age_days / FALLBACK_HALF_LIFE_DAYS))
    surface = np.zeros((grid.height, grid.width))
    if lonlat:  # finds, then incidents: summed per cell in that order
        xy = transform_points(np.vstack(lonlat), from_srid=4326, to_srid=grid.srid)
        surface = grid.grid.rasterise_points(xy[:, 0], xy[:, 1], np.concatenate(weights))
    sigma_cells = FALLBACK_SMOOTHING_M / grid.resolution_m
    return ndimage.gaussian_filter(surface, sigma=sigma_cells, mode="constant")


def model_risk_surface(grid: TerrainGrid) -> tuple[np.ndarray, str] | None:
    """The snares layer of the latest finished risk run computed on this grid, or None."""
    runs = RiskRun.objects.filter(reserve_id=grid.reserve_id, status=RiskRun.Status.DONE).exclude(snares="")
    run = runs.order_by("-finished_at", "-pk").first()
    if run is None or (run.grid_srid, run.grid_width, run.grid_height) != (grid.srid, grid.width, grid.height):
        return None
    if not np.allclose(run.grid_geotransform, grid.geotransform, rtol=0, atol=1e-6):
        return None
    surface = np.nan_to_num(read_raster(run.snares.path).data, nan=0.0)
    return surface, (
        f"risk model run #{run.pk} ({run.model_version.split(' ')[0]}, data "
        f"{run.inputs_start:%Y-%m-%d} to {run.inputs_end:%Y-%m-%d}): expected snare lines per cell per year"
    )


def current_risk_surface(grid: TerrainGrid) -> tuple[np.ndarray, str]:
    """The risk surface for planning on this grid, and a short description of where it came from."""
    model = model_risk_surface(grid)
    if model is not None:
        return model
    return recent_finds_surface(grid), (
        f"recent finds and incidents (last {FALLBACK_WINDOW_DAYS} days, half-life {FALLBACK_HALF_LIFE_DAYS:g} d, "
        f"smoothed {FALLBACK_SMOOTHING_M:g} m)"
    )

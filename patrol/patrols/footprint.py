"""Where a patrol went, on the terrain grid (*pure*: shapely geometries and arrays in, arrays out).

All geometries are in the grid's projected CRS (metres). A cell counts as covered by a path when its
centre lies within `radius_m` of the path (the route planner's rule, 100 m by default), once per path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from patrol.terrain.grid import Grid

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

DETECTION_RADIUS_M = 100.0
FOLLOW_BUFFER_M = 100.0
HIGH_RISK_QUANTILE = 0.9  # high-risk cells: the top 10 % of the cells with any risk


def cells_near(grid: Grid, geometry: BaseGeometry | None, radius_m: float = DETECTION_RADIUS_M) -> np.ndarray:
    """Flat indices (sorted) of the cells whose centre lies within `radius_m` of the geometry.

    The path is sampled every cell (`step`); a cell whose centre is within the radius of a sample
    is in, one farther than radius + step / 2 from every sample is out (no point of the path lies more
    than step / 2 from a sample), and only the thin band between gets the exact test (shapely.dwithin):
    a 25 km track costs a few milliseconds.
    """
    import shapely  # in the function: the web process imports this module and starts without shapely

    if geometry is None or geometry.is_empty:
        return np.zeros(0, dtype=np.int64)
    step = min(grid.dx, grid.dy)
    xy = shapely.get_coordinates(shapely.segmentize(geometry, step))
    reach_c = int(np.ceil((radius_m + step) / grid.dx)) + 1
    reach_r = int(np.ceil((radius_m + step) / grid.dy)) + 1
    rows, cols = grid.rowcol(xy[:, 0], xy[:, 1])
    dr, dc = np.mgrid[-reach_r : reach_r + 1, -reach_c : reach_c + 1]
    # Only offsets that can hold a candidate: a sample lies within half a cell's diagonal of its cell's centre.
    disc = np.hypot(dr * grid.dy, dc * grid.dx) <= radius_m + step / 2 + np.hypot(grid.dx, grid.dy) / 2 + 1e-6
    dr, dc = dr[disc], dc[disc]
    cand_r = (rows[:, None] + dr[None, :]).ravel()
    cand_c = (cols[:, None] + dc[None, :]).ravel()
    cx, cy = grid.xy_of(cand_r, cand_c)
    sample = np.repeat(np.arange(len(xy)), dr.size)
    distance = np.hypot(cx - xy[sample, 0], cy - xy[sample, 1])
    inside = grid.contains(cand_r, cand_c)
    flat = cand_r * grid.shape[1] + cand_c
    sure = np.unique(flat[inside & (distance <= radius_m)])
    band = np.setdiff1d(flat[inside & (distance > radius_m) & (distance <= radius_m + step / 2 + 1e-6)], sure)
    if band.size:
        bx, by = grid.xy_of(band // grid.shape[1], band % grid.shape[1])
        band = band[shapely.dwithin(geometry, shapely.points(bx, by), radius_m)]
    return np.union1d(sure, band)


def high_risk_mask(risk: np.ndarray, quantile: float = HIGH_RISK_QUANTILE) -> np.ndarray:
    """Cells at or above the `quantile` of the positive risk values (none when nothing has risk)."""
    risk = np.nan_to_num(np.asarray(risk, dtype=np.float64), nan=0.0)
    positive = risk[risk > 0]
    if positive.size == 0:
        return np.zeros(risk.shape, dtype=bool)
    return risk >= np.quantile(positive, quantile)


def share_followed(planned: BaseGeometry, track: BaseGeometry | None, buffer_m: float = FOLLOW_BUFFER_M) -> float:
    """The share (0..1) of the planned route's length that lies within `buffer_m` of the track."""
    if planned is None or planned.is_empty or planned.length == 0:
        return 0.0
    if track is None or track.is_empty:
        return 0.0
    return float(planned.intersection(track.buffer(buffer_m)).length / planned.length)


def visit_counts(grid: Grid, paths: Iterable[BaseGeometry], radius_m: float = DETECTION_RADIUS_M) -> np.ndarray:
    """Per cell, how many of the paths came within `radius_m` of its centre (each path counts once)."""
    counts = np.zeros(grid.n_cells, dtype=np.int64)
    for path in paths:
        counts[cells_near(grid, path, radius_m)] += 1
    return counts.reshape(grid.shape)

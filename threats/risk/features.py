"""Terrain features of the risk model: walking time from access points, valleys, catchments, ruggedness, cliffs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy import ndimage
from scipy.sparse.csgraph import dijkstra

from patrol.terrain import graph as terrain
from patrol.terrain.grid import Grid


@dataclass
class TerrainFeatures:
    """Static per-cell layers of a reserve; compute once per DEM and access-point set, reuse per fit."""

    grid: Grid
    elevation: np.ndarray
    slope_deg: np.ndarray
    valley_distance_m: np.ndarray
    walking_hours: np.ndarray  # from the nearest access point, through the terrain graph
    reach_labels: np.ndarray  # int, the valley reach each cell drains into (0 = none)
    zone: np.ndarray  # int zone code per cell (0 = the reference zone)
    inside: np.ndarray  # bool: cells with data
    valleys: nx.DiGraph  # terrain.valley_network reaches
    ruggedness_m: np.ndarray | None = None  # mean |elevation difference| to the 8 neighbours (None: not computed)
    cliff_distance_m: np.ndarray | None = None  # to the nearest cell steeper than the walkable limit


def build_terrain_features(
    elevation: np.ndarray,
    *,
    grid: Grid,
    access_xy: np.ndarray,
    zone: np.ndarray | None = None,
    valley_min_catchment_km2: float = 25.0,
    max_slope_deg: float = terrain.DEFAULT_MAX_SLOPE_DEG,
) -> TerrainFeatures:
    """Slope, valley network and distance to it, walking time from access points, reach catchments.

    Valleys come from D8 flow accumulation of the DEM (streams draining at least
    ``valley_min_catchment_km2``): a real reserve has a DEM, not a drawn valley map.
    Walking time: multi-source Dijkstra from the access points' cells over the directed Tobler
    graph (hours to walk *from* an access point *to* the cell).
    """
    z = np.asarray(elevation, dtype=np.float64)
    if z.shape != grid.shape:
        raise ValueError(f"elevation shape {z.shape} differs from grid {grid.shape}")
    inside = np.isfinite(z)
    slope = terrain.slope_degrees(z, dx_m=grid.cell_m, dy_m=grid.cell_m)
    min_cells = max(2, int(round(valley_min_catchment_km2 * 1e6 / grid.cell_m**2)))
    layers = terrain.valley_network(z, dx_m=grid.cell_m, dy_m=grid.cell_m, min_catchment_cells=min_cells, grid=grid)
    stream = np.zeros(grid.n_cells, dtype=np.int64)
    for _, _, data in layers.network.edges(data=True):
        for r, c in data["cells"]:
            if stream[r * grid.shape[1] + c] == 0:  # a confluence cell keeps the upstream reach that reached it first
                stream[r * grid.shape[1] + c] = data["reach_id"]
    stream_grid = stream.reshape(grid.shape)
    if (stream_grid > 0).any():
        valley_distance = ndimage.distance_transform_edt(stream_grid == 0) * grid.cell_m
    else:
        valley_distance = np.full(grid.shape, 0.0)
    reach_labels = reach_catchment_labels(layers.receiver, stream).reshape(grid.shape)
    hours = walking_hours_from(z, grid=grid, sources_xy=access_xy, max_slope_deg=max_slope_deg)
    zone_grid = np.zeros(grid.shape, dtype=np.int64) if zone is None else np.asarray(zone, dtype=np.int64)
    return TerrainFeatures(
        grid, z, np.nan_to_num(slope, nan=0.0), valley_distance, hours, reach_labels, zone_grid, inside, layers.network,
        ruggedness_m=terrain_ruggedness(z), cliff_distance_m=cliff_distance(slope, grid.cell_m, max_slope_deg),
    )  # fmt: skip


def terrain_ruggedness(elevation: np.ndarray) -> np.ndarray:
    """Terrain ruggedness index: mean absolute elevation difference (m) between a cell and its 8 neighbours.

    Edge cells average over the neighbours they have; NaN neighbours (nodata) are left out.
    """
    z = np.asarray(elevation, dtype=np.float64)
    padded = np.pad(z, 1, constant_values=np.nan)
    total = np.zeros(z.shape)
    count = np.zeros(z.shape)
    rows, cols = z.shape
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == 0 and dc == 0:
                continue
            diff = np.abs(padded[1 + dr : 1 + dr + rows, 1 + dc : 1 + dc + cols] - z)
            ok = np.isfinite(diff)
            total += np.where(ok, diff, 0.0)
            count += ok
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def cliff_distance(
    slope_deg: np.ndarray, cell_m: float, max_slope_deg: float = terrain.DEFAULT_MAX_SLOPE_DEG
) -> np.ndarray:
    """Distance (m, centre to centre) to the nearest cliff cell: slope above the walkable limit of the
    terrain graph. Without any cliff, every cell gets the grid's diagonal (as far as it can be)."""
    cliff = np.nan_to_num(np.asarray(slope_deg, dtype=np.float64), nan=0.0) > max_slope_deg
    if not cliff.any():
        return np.full(cliff.shape, float(np.hypot(*cliff.shape)) * cell_m)
    return ndimage.distance_transform_edt(~cliff) * cell_m


def reach_catchment_labels(receiver: np.ndarray, stream_reach: np.ndarray) -> np.ndarray:
    """Label every cell with the reach of the first stream cell downstream of it (0 if none).

    Pointer jumping over the D8 receivers: each round doubles how far a cell looks downstream,
    so it takes log2(longest flow path) vectorised rounds instead of a Python loop per cell.
    """
    label = np.asarray(stream_reach, dtype=np.int64).ravel().copy()
    pointer = np.asarray(receiver, dtype=np.int64).ravel().copy()
    pointer[label > 0] = -1  # stream cells are their own answer
    while True:
        pending = (label == 0) & (pointer >= 0)
        if not pending.any():
            return label
        idx = np.flatnonzero(pending)
        target = pointer[idx]
        label[idx] = label[target]
        pointer[idx] = np.where(label[idx] > 0, -1, pointer[target])


def walking_hours_from(
    elevation: np.ndarray, *, grid: Grid, sources_xy: np.ndarray, max_slope_deg: float = terrain.DEFAULT_MAX_SLOPE_DEG
) -> np.ndarray:
    """Hours to walk from the nearest source point to each cell; cells it cannot reach get the largest finite time.

    A source on an impassable cell (steep ground) starts from the nearest passable one.
    """
    graph = terrain.build_terrain_graph(elevation, dx_m=grid.cell_m, dy_m=grid.cell_m, max_slope_deg=max_slope_deg)
    sources_xy = np.asarray(sources_xy, dtype=np.float64).reshape(-1, 2)
    if len(sources_xy) == 0:
        return np.zeros(grid.shape)
    has_edges = graph.slot_mask > 0
    edge_rows, edge_cols = np.divmod(np.flatnonzero(has_edges), grid.shape[1])
    sx, sy = grid.centres()
    sources = []
    for x, y in sources_xy:
        d2 = (sx.ravel()[has_edges] - x) ** 2 + (sy.ravel()[has_edges] - y) ** 2
        k = int(np.argmin(d2))
        sources.append(int(edge_rows[k] * grid.shape[1] + edge_cols[k]))
    hours = dijkstra(graph.forward, directed=True, indices=sorted(set(sources)), min_only=True)
    finite = np.isfinite(hours)
    hours[~finite] = hours[finite].max() if finite.any() else 0.0
    return hours.reshape(grid.shape)


# A kernel wider than this many cells is applied on a grid coarsened so that it spans COARSE_CELLS there, then
# interpolated back: the home-range scale (9 km) on a 50 m grid took 0.9 s a filter, coarsened 0.06 s, off by
# 0.3-0.5 % on average where it matters (6 % at most, at the kernel's cut-off).
COARSEN_ABOVE_CELLS = 120.0
COARSE_CELLS = 12.0


def kernel_sum(values: np.ndarray, bandwidth_m: float, cell_m: float) -> np.ndarray:
    """Sum of values weighted by exp(-d^2 / 2h^2) (peak 1), i.e. a Gaussian kernel sum, not a mean."""
    sigma = bandwidth_m / cell_m
    if sigma <= COARSEN_ABOVE_CELLS:
        return ndimage.gaussian_filter(values, sigma=sigma, mode="constant", truncate=3.0) * (2.0 * math.pi * sigma**2)
    factor = int(sigma // COARSE_CELLS)
    coarse_sigma = sigma / factor
    smooth = ndimage.gaussian_filter(block_sum(values, factor), sigma=coarse_sigma, mode="constant", truncate=3.0)
    return coarse_to_fine(smooth * (2.0 * math.pi * coarse_sigma**2), factor, values.shape)


def block_sum(values: np.ndarray, factor: int) -> np.ndarray:
    """Sums over blocks of factor x factor cells (the last row and column of blocks padded with zeros)."""
    rows, cols = values.shape
    padded = np.zeros((-(-rows // factor) * factor, -(-cols // factor) * factor))
    padded[:rows, :cols] = values
    return padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor).sum(axis=(1, 3))


def coarse_to_fine(coarse: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    """A layer on block_sum's blocks, interpolated (bilinear) back to the cells of ``shape``."""
    at = np.meshgrid((np.arange(shape[0]) - (factor - 1) / 2) / factor,
                     (np.arange(shape[1]) - (factor - 1) / 2) / factor, indexing="ij")  # fmt: skip
    return ndimage.map_coordinates(coarse, at, order=1, mode="nearest")

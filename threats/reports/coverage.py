"""Area covered by patrols (pure: geometries in, counts out): the cells within a radius of any track.

Cells are squares of `cell_m` in the reserve's projected CRS; a cell counts when a point of a track lies
within `radius_m` of it, measured as the square of side 2 x radius around each point (tracks densified
every `step_m`). Each cell counts once per group however many patrols crossed it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_BITMAP_CELLS = 50_000_000


def covered_cells(
    keys: Sequence[str], wkbs: Sequence[bytes], *, cell_m: float, radius_m: float, step_m: float
) -> dict[str, int]:
    """{key: distinct cells} for tracks (WKB, projected metres) labelled with group keys."""
    import shapely  # in the function: the web process imports this module and starts without shapely

    if not wkbs:
        return {}
    names = sorted(set(keys))
    key_index = {k: i for i, k in enumerate(names)}
    dense = shapely.segmentize(shapely.from_wkb(list(wkbs)), step_m)
    coords, which = shapely.get_coordinates(dense, return_index=True)
    group = np.array([key_index[k] for k in keys], dtype=np.int64)[which]
    lo_x = np.floor((coords[:, 0] - radius_m) / cell_m).astype(np.int64)
    lo_y = np.floor((coords[:, 1] - radius_m) / cell_m).astype(np.int64)
    hi_x = np.floor((coords[:, 0] + radius_m) / cell_m).astype(np.int64)
    hi_y = np.floor((coords[:, 1] + radius_m) / cell_m).astype(np.int64)
    x0, y0 = int(lo_x.min()), int(lo_y.min())
    shape = (len(names), int(hi_y.max()) - y0 + 1, int(hi_x.max()) - x0 + 1)
    if shape[0] * shape[1] * shape[2] > MAX_BITMAP_CELLS:  # a stray fix far away: sort instead
        ids = [(group << 42) | ((xs - x0) << 21) | (ys - y0) for xs in (lo_x, hi_x) for ys in (lo_y, hi_y)]
        unique = np.unique(np.concatenate(ids))
        counts = np.bincount(unique >> 42, minlength=len(names))
        return {name: int(counts[i]) for i, name in enumerate(names) if counts[i]}
    # A bitmap over the tracks' extent (a reserve is some hundred cells across): no sorting needed.
    seen = np.zeros(shape, dtype=bool)
    for xs in (lo_x, hi_x):
        for ys in (lo_y, hi_y):
            seen[group, ys - y0, xs - x0] = True
    counts = seen.reshape(len(names), -1).sum(axis=1)
    return {name: int(counts[i]) for i, name in enumerate(names) if counts[i]}


def cell_patrols(wkbs: Sequence[bytes], *, cell_m: float, radius_m: float, step_m: float) -> list[tuple[int, int, int]]:
    """(column, row, patrols) of every covered cell: how many of the tracks came within the radius of it.
    Cell (column, row) spans [column * cell_m, (column + 1) * cell_m) in x and likewise in y."""
    import shapely  # in the function: the web process imports this module and starts without shapely

    if not wkbs:
        return []
    dense = shapely.segmentize(shapely.from_wkb(list(wkbs)), step_m)
    coords, which = shapely.get_coordinates(dense, return_index=True)
    xs = [np.floor((coords[:, 0] + dx) / cell_m).astype(np.int64) for dx in (-radius_m, radius_m)]
    ys = [np.floor((coords[:, 1] + dy) / cell_m).astype(np.int64) for dy in (-radius_m, radius_m)]
    x0, y0 = int(xs[0].min()), int(ys[0].min())
    track = which.astype(np.int64) << 42
    ids = np.unique(np.concatenate([track | ((x - x0) << 21) | (y - y0) for x in xs for y in ys]))
    cells, patrols = np.unique(ids & ((1 << 42) - 1), return_counts=True)
    return [(int(c >> 21) + x0, int(c & ((1 << 21) - 1)) + y0, int(n)) for c, n in zip(cells, patrols, strict=True)]

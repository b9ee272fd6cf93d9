"""Synthetic rasters and an independent route checker for the terrain/routing tests.

The checker re-derives walking time and coverage from a route's cells with plain Python loops,
straight from the written model (Tobler, per-row metres per degree, detection disk), sharing no
code with patrol/terrain.py or patrol/routing.py.
"""

from __future__ import annotations

import math

import numpy as np

from patrol.terrain.raster_io import write_geotiff

UTM_11N = 32611


def write_grid(path, data, *, cell_m=30.0, origin=(400_000.0, 3_800_000.0), srid=UTM_11N, nodata=float("nan")):
    geotransform = (origin[0], cell_m, 0.0, origin[1], 0.0, -cell_m)
    write_geotiff(path, data, geotransform=geotransform, srid=srid, nodata=nodata, dtype="float64")
    return geotransform


def rolling_terrain(shape=(60, 70), seed=3) -> np.ndarray:
    """Smooth hills, 300-700 m, gentle enough that most edges are passable."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    z = 500.0 + 2.0 * yy
    for _ in range(6):
        r0, c0, s = rng.uniform(0, shape[0]), rng.uniform(0, shape[1]), rng.uniform(5, 15)
        z += rng.uniform(-80, 80) * np.exp(-((yy - r0) ** 2 + (xx - c0) ** 2) / (2 * s * s))
    return z


def hotspot_risk(shape=(60, 70), seed=5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    risk = np.zeros(shape)
    for _ in range(8):
        r0, c0, s = rng.uniform(0, shape[0]), rng.uniform(0, shape[1]), rng.uniform(2, 6)
        risk += np.exp(-((yy - r0) ** 2 + (xx - c0) ** 2) / (2 * s * s))
    return risk


def row_cell_sizes(geotransform, rows, *, geographic):
    """East-west metres per cell for each row, and north-south metres per cell."""
    x0, pw, _, y0, _, ph = geotransform
    if not geographic:
        return [abs(pw)] * rows, abs(ph)
    ew = [111_320.0 * math.cos(math.radians(y0 + (r + 0.5) * ph)) * abs(pw) for r in range(rows)]
    return ew, 110_574.0 * abs(ph)


def check_route(cells, elevation, risk, *, dx_rows, dy, radius_m, max_slope_deg=40.0):
    """Recompute (duration_h, covered_risk, length_km) from the visited (row, col) cells.

    Asserts each step goes to an 8-neighbour over a passable edge.
    """
    hours = 0.0
    length_m = 0.0
    for (r1, c1), (r2, c2) in zip(cells[:-1], cells[1:], strict=True):
        assert max(abs(r2 - r1), abs(c2 - c1)) == 1, f"step {(r1, c1)} -> {(r2, c2)} is not an 8-neighbour move"
        ew = abs(c2 - c1) * (dx_rows[r1] + dx_rows[r2]) / 2
        ns = abs(r2 - r1) * dy
        dist = math.hypot(ew, ns)
        dh = float(elevation[r2][c2]) - float(elevation[r1][c1])
        assert math.degrees(math.atan(abs(dh) / dist)) <= max_slope_deg, "route crosses a too-steep edge"
        speed = 6.0 * math.exp(-3.5 * abs(dh / dist + 0.05))
        hours += dist / 1000.0 / speed
        length_m += dist
    rows, cols = len(elevation), len(elevation[0])
    covered = set()
    for r, c in {tuple(cell) for cell in cells}:
        reach_r = int(radius_m // dy) + 1
        reach_c = int(radius_m // dx_rows[r]) + 1
        for i in range(max(0, r - reach_r), min(rows, r + reach_r + 1)):
            for j in range(max(0, c - reach_c), min(cols, c + reach_c + 1)):
                if ((i - r) * dy) ** 2 + ((j - c) * dx_rows[r]) ** 2 <= radius_m**2:
                    covered.add((i, j))
    covered_risk = sum(float(risk[i][j]) for i, j in covered if not math.isnan(risk[i][j]))
    return hours, covered_risk, length_m / 1000.0

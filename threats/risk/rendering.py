"""Risk layers as map images: colour ramps and the PNG overlays of a run, drawn when the run is computed.

Warping and PNG encoding are patrol.terrain.web_map's (the hillshade basemap uses them too).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from django.core.files.base import ContentFile

from config.storage import private_storage
from patrol.reserves.models import Reserve
from patrol.terrain.models import TerrainGrid
from patrol.terrain.raster_io import METRES_PER_DEGREE_NS
from patrol.terrain.web_map import png_bytes, to_web_mercator
from threats.records.selectors import sensitive_grid_degrees
from threats.risk.models import RiskRun, risk_layer_folder

RAMPS = {
    "snares": [(255, 255, 178), (254, 204, 92), (253, 141, 60), (240, 59, 32), (189, 0, 38)],
    "leopard": [(247, 244, 249), (212, 185, 218), (201, 148, 199), (221, 28, 119), (103, 0, 31)],
    "uncertainty": [(242, 240, 247), (203, 201, 226), (158, 154, 200), (117, 107, 177), (84, 39, 143)],
    "leopard_uncertainty": [(242, 240, 247), (203, 201, 226), (158, 154, 200), (117, 107, 177), (84, 39, 143)],
    "effort": [(239, 243, 255), (189, 215, 231), (107, 174, 214), (49, 130, 189), (8, 81, 156)],
}


UNITS = {
    "snares": "snare lines set per cell per year",
    "uncertainty": "standard deviation, snare lines per cell per year",
    "leopard": "snare lines per cell per year x P(leopard)",
    "leopard_uncertainty": "standard deviation of the leopard risk",
    "effort": "km of patrol track within 100 m (recency-weighted)",
}


LEOPARD_LAYERS = ("leopard", "leopard_uncertainty")  # generalised for people without clearance


def colour_scale(values: np.ndarray) -> tuple[float, float]:
    """A log colour scale from the median to the 99.5th percentile of the positive values."""
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return 0.0, 1.0
    lo, hi = float(np.percentile(positive, 50)), float(np.percentile(positive, 99.5))
    if not hi > lo * (1 + 1e-9):  # a (nearly) uniform layer: percentiles a rounding error apart
        hi = lo * 10 if lo > 0 else 1.0
    return lo, hi


def colourise(values: np.ndarray, ramp: list[tuple[int, int, int]], lo: float, hi: float) -> np.ndarray:
    """RGBA: transparent for nodata and zero, the ramp on log(value / lo) / log(hi / lo) above it."""
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v) & (v > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        span = math.log(hi / lo) if hi > lo > 0 else 0.0
        t = np.where(finite, np.log(np.maximum(v, 1e-30) / lo) / span if span > 0 else 1.0, 0.0)
    t = np.clip(t, 0.0, 1.0)
    stops = np.asarray(ramp, dtype=np.float64)
    pos = t * (len(stops) - 1)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    frac = (pos - i)[..., None]
    rgb = stops[i] * (1 - frac) + stops[i + 1] * frac
    alpha = np.where(finite, 70 + 160 * t, 0)
    return np.dstack([rgb, alpha]).round().astype(np.uint8)


def generalise_layer(data: np.ndarray, block_cells: int) -> np.ndarray:
    """Block means over block_cells x block_cells cells (NaN stays NaN): a leopard layer for people
    without clearance, as coarse as the reserve's sensitive-species grid."""
    if block_cells <= 1:
        return data
    h, w = data.shape
    out = np.full(data.shape, np.nan)
    for r in range(0, h, block_cells):
        for c in range(0, w, block_cells):
            block = data[r : r + block_cells, c : c + block_cells]
            if np.isfinite(block).any():
                out[r : r + block_cells, c : c + block_cells] = np.where(np.isfinite(block), np.nanmean(block), np.nan)
    return out


def sensitive_block_cells(reserve: Reserve, terrain: TerrainGrid) -> int:
    """How many cells one sensitive-grid step (degrees of latitude) spans on the terrain grid."""
    return max(1, int(round(sensitive_grid_degrees(reserve) * METRES_PER_DEGREE_NS / terrain.resolution_m)))


def overlay_path(run: RiskRun, layer: str, generalised: bool = False) -> str:
    return f"{risk_layer_folder(run)}/{layer}{'-generalised' if generalised else ''}.png"


def render_run_overlays(run: RiskRun, terrain: TerrainGrid, layers: dict[str, np.ndarray]) -> dict[str, Any]:
    """Write a PNG per layer (and generalised ones of the leopard layers) next to the run; return bounds and scales."""
    meta: dict[str, Any] = {"layers": {}}
    block = sensitive_block_cells(run.reserve, terrain)
    variants = [(name, data, False) for name, data in layers.items()]
    variants += [(name, generalise_layer(layers[name], block), True) for name in LEOPARD_LAYERS if name in layers]
    for name, data, generalised in variants:
        warped, bounds = to_web_mercator(data, grid=terrain.grid, srid=terrain.srid)
        lo, hi = colour_scale(np.asarray(data))
        path = overlay_path(run, name, generalised)
        if private_storage.exists(path):
            private_storage.delete(path)
        private_storage.save(path, ContentFile(png_bytes(colourise(warped, RAMPS[name], lo, hi))))
        meta["bounds"] = bounds
        key = f"{name}-generalised" if generalised else name
        meta["layers"][key] = {"lo": lo, "hi": hi, "unit": UNITS[name]}
    meta["sensitive_block_cells"] = block
    return meta

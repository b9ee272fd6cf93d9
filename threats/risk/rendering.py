"""Risk layers as map images: colour ramps, Web Mercator warping, PNG overlays and the hillshade."""

from __future__ import annotations

import math
import struct
import zlib
from typing import Any

import numpy as np
from django.core.files.base import ContentFile

from config.storage import private_storage
from patrol.reserves.models import Reserve
from patrol.terrain.models import TerrainGrid
from patrol.terrain.raster_io import transform_points, warp_raster
from patrol.terrain.services import grid_raster
from threats.risk.models import RiskRun, risk_layer_folder

RAMPS = {
    "snares": [(255, 255, 178), (254, 204, 92), (253, 141, 60), (240, 59, 32), (189, 0, 38)],
    "leopard": [(247, 244, 249), (212, 185, 218), (201, 148, 199), (221, 28, 119), (103, 0, 31)],
    "uncertainty": [(242, 240, 247), (203, 201, 226), (158, 154, 200), (117, 107, 177), (84, 39, 143)],
    "effort": [(239, 243, 255), (189, 215, 231), (107, 174, 214), (49, 130, 189), (8, 81, 156)],
}


UNITS = {
    "snares": "snare lines set per cell per year",
    "uncertainty": "standard deviation, snare lines per cell per year",
    "leopard": "snare lines per cell per year x P(leopard)",
    "effort": "km of patrol track within 100 m (recency-weighted)",
}


def png_rgba(rgba: np.ndarray) -> bytes:
    """Encode an (h, w, 4) uint8 array as a PNG (no Pillow: zlib + the PNG chunk format)."""
    h, w, _ = rgba.shape
    raw = np.zeros((h, w * 4 + 1), dtype=np.uint8)  # each row: filter byte 0, then RGBA
    raw[:, 1:] = np.ascontiguousarray(rgba, dtype=np.uint8).reshape(h, w * 4)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def colour_scale(values: np.ndarray) -> tuple[float, float]:
    """A log colour scale from the median to the 99.5th percentile of the positive values."""
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return 0.0, 1.0
    lo, hi = float(np.percentile(positive, 50)), float(np.percentile(positive, 99.5))
    if hi <= lo:
        hi = lo * 10 if lo > 0 else 1.0
    return lo, hi


def colourise(values: np.ndarray, ramp: list[tuple[int, int, int]], lo: float, hi: float) -> np.ndarray:
    """RGBA: transparent for nodata and zero, the ramp on log(value / lo) / log(hi / lo) above it."""
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v) & (v > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(finite, np.log(np.maximum(v, 1e-30) / lo) / math.log(hi / lo), 0.0)
    t = np.clip(t, 0.0, 1.0)
    stops = np.asarray(ramp, dtype=np.float64)
    pos = t * (len(stops) - 1)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    frac = (pos - i)[..., None]
    rgb = stops[i] * (1 - frac) + stops[i + 1] * frac
    alpha = np.where(finite, 70 + 160 * t, 0)
    return np.dstack([rgb, alpha]).round().astype(np.uint8)


def grey_rgba(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    lo, hi = (np.nanmin(v), np.nanmax(v)) if finite.any() else (0.0, 1.0)
    g = np.where(finite, (v - lo) / max(hi - lo, 1e-9) * 255, 0)
    return np.dstack([g, g, g, np.where(finite, 255, 0)]).round().astype(np.uint8)


def to_web_mercator(data: np.ndarray, terrain: TerrainGrid) -> tuple[np.ndarray, list[list[float]]]:
    """The layer warped to EPSG:3857 at about its own ground resolution, and its [[south, west], [north, east]]."""
    from patrol.terrain.raster_io import Raster

    raster = Raster(np.asarray(data, dtype=np.float64), tuple(terrain.geotransform), terrain.srid, False)
    x0, dx, _skew_x, y0, _skew_y, dy = terrain.geotransform
    centre = transform_points(
        np.array([[x0 + dx * terrain.width / 2, y0 + dy * terrain.height / 2]]), from_srid=terrain.srid, to_srid=4326
    )[0]
    warped = warp_raster(raster, target_srid=3857, resolution_m=abs(dx) / math.cos(math.radians(centre[1])))
    wx0, wdx, _skew_x, wy0, _skew_y, wdy = warped.geotransform
    corners = np.array([[wx0, wy0 + wdy * warped.shape[0]], [wx0 + wdx * warped.shape[1], wy0]])
    (west, south), (east, north) = transform_points(corners, from_srid=3857, to_srid=4326)
    return warped.data, [[float(south), float(west)], [float(north), float(east)]]


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
    return max(1, int(round(reserve.sensitive_grid_degrees * 110_574.0 / terrain.resolution_m)))


def overlay_path(run: RiskRun, layer: str, generalised: bool = False) -> str:
    return f"{risk_layer_folder(run)}/{layer}{'-generalised' if generalised else ''}.png"


def render_run_overlays(run: RiskRun, terrain: TerrainGrid, layers: dict[str, np.ndarray]) -> dict[str, Any]:
    """Write a PNG per layer (and a generalised leopard one) next to the run; return bounds and scales."""
    meta: dict[str, Any] = {"layers": {}}
    block = sensitive_block_cells(run.reserve, terrain)
    variants = [(name, data, False) for name, data in layers.items()]
    variants.append(("leopard", generalise_layer(layers["leopard"], block), True))
    for name, data, generalised in variants:
        warped, bounds = to_web_mercator(data, terrain)
        lo, hi = colour_scale(np.asarray(data))
        path = overlay_path(run, name, generalised)
        if private_storage.exists(path):
            private_storage.delete(path)
        private_storage.save(path, ContentFile(png_rgba(colourise(warped, RAMPS[name], lo, hi))))
        meta["bounds"] = bounds
        key = f"{name}-generalised" if generalised else name
        meta["layers"][key] = {"lo": lo, "hi": hi, "unit": UNITS[name]}
    meta["sensitive_block_cells"] = block
    return meta


def hillshade_png(terrain: TerrainGrid) -> tuple[str, list[list[float]]]:
    """The terrain's hillshade as a grey PNG in Web Mercator (the map's basemap), cached per grid."""
    path = f"risk/reserve-{terrain.reserve_id}/hillshade-{terrain.pk}-{int(terrain.created_at.timestamp())}.png"
    bounds_path = path + ".bounds"
    if not (private_storage.exists(path) and private_storage.exists(bounds_path)):
        warped, bounds = to_web_mercator(grid_raster(terrain, "hillshade").data, terrain)
        for stale in (path, bounds_path):
            if private_storage.exists(stale):
                private_storage.delete(stale)
        private_storage.save(path, ContentFile(png_rgba(grey_rgba(warped))))
        private_storage.save(bounds_path, ContentFile(" ".join(repr(v) for pair in bounds for v in pair).encode()))
    with private_storage.open(bounds_path) as handle:
        s, w, n, e = (float(v) for v in handle.read().split())
    return path, [[s, w], [n, e]]

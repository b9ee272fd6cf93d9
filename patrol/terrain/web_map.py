"""Rasters as web map images: warping to Web Mercator, RGBA to PNG (Pillow), the hillshade basemap.

Images are drawn when their data are made (the hillshade when the terrain is imported, risk
overlays when a run is computed) and only read by the web views, so a GET never writes.
"""

from __future__ import annotations

import io
import math

import numpy as np
from django.core.files.base import ContentFile
from django.urls import NoReverseMatch, reverse

from config.storage import private_storage
from patrol.terrain.grid import Grid
from patrol.terrain.models import TerrainGrid
from patrol.terrain.raster_io import Raster, read_raster, transform_points, warp_raster

Bounds = list[list[float]]  # [[south, west], [north, east]]


def png_bytes(rgba: np.ndarray) -> bytes:
    """Encode an (h, w, 4) uint8 RGBA array as a PNG."""
    buffer = io.BytesIO()
    from PIL import Image  # when a PNG is drawn, not when the web process starts

    Image.fromarray(np.ascontiguousarray(rgba, dtype=np.uint8)).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def grey_rgba(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    lo, hi = (np.nanmin(v), np.nanmax(v)) if finite.any() else (0.0, 1.0)
    g = np.where(finite, (v - lo) / max(hi - lo, 1e-9) * 255, 0)
    return np.dstack([g, g, g, np.where(finite, 255, 0)]).round().astype(np.uint8)


def to_web_mercator(data: np.ndarray, *, grid: Grid, srid: int) -> tuple[np.ndarray, Bounds]:
    """The layer warped to EPSG:3857 at about its own ground resolution, and its [[south, west], [north, east]]."""
    raster = Raster(np.asarray(data, dtype=np.float64), grid.geotransform, srid, False)
    centre_xy = np.array([[grid.x0 + grid.dx * grid.shape[1] / 2, grid.y0 - grid.dy * grid.shape[0] / 2]])
    centre = transform_points(centre_xy, from_srid=srid, to_srid=4326)[0]
    warped = warp_raster(raster, target_srid=3857, resolution_m=grid.dx / math.cos(math.radians(centre[1])))
    min_x, min_y, max_x, max_y = warped.grid.bounds
    (west, south), (east, north) = transform_points(np.array([[min_x, min_y], [max_x, max_y]]), from_srid=3857,
                                                    to_srid=4326)  # fmt: skip
    return warped.data, [[float(south), float(west)], [float(north), float(east)]]


def _hillshade_folder(terrain: TerrainGrid) -> str:
    return f"terrain/reserve-{terrain.reserve_id}"


def hillshade_png_path(terrain: TerrainGrid) -> str:
    return f"{_hillshade_folder(terrain)}/hillshade-{terrain.pk}.png"


def hillshade_render(terrain: TerrainGrid) -> str:
    """Draw the terrain's hillshade as a grey PNG in Web Mercator (the maps' basemap), with its bounds
    beside it; earlier terrains' images of the reserve are removed. Returns the PNG's storage path."""
    warped, bounds = to_web_mercator(read_raster(terrain.hillshade.path).data, grid=terrain.grid, srid=terrain.srid)
    path = hillshade_png_path(terrain)
    folder = _hillshade_folder(terrain)
    if private_storage.exists(folder):
        for name in private_storage.listdir(folder)[1]:
            if name.startswith("hillshade-"):
                private_storage.delete(f"{folder}/{name}")
    private_storage.save(path, ContentFile(png_bytes(grey_rgba(warped))))
    private_storage.save(path + ".bounds", ContentFile(" ".join(repr(v) for pair in bounds for v in pair).encode()))
    return path


def hillshade_png_get(terrain: TerrainGrid) -> tuple[str, Bounds] | None:
    """The stored hillshade PNG's path and bounds, or None when it has not been drawn (read only)."""
    path = hillshade_png_path(terrain)
    if not (private_storage.exists(path) and private_storage.exists(path + ".bounds")):
        return None
    with private_storage.open(path + ".bounds") as handle:
        s, w, n, e = (float(v) for v in handle.read().split())
    return path, [[s, w], [n, e]]


def reserve_hillshade_get(reserve) -> tuple[TerrainGrid, str, Bounds] | None:
    """The reserve's terrain with its stored hillshade's path and bounds, or None (no terrain, or not drawn)."""
    terrain = TerrainGrid.objects.filter(reserve=reserve).first()
    stored = hillshade_png_get(terrain) if terrain is not None else None
    return (terrain, *stored) if stored is not None else None


def risk_basemap(reserve, terrain: TerrainGrid | None = None) -> dict | None:
    """The hillshade the web maps draw under their layers: where the risk map serves it (to the roles it
    serves it to) and its bounds; None until drawn. ``terrain``: the reserve's, when the caller has it."""
    if terrain is None:
        found = reserve_hillshade_get(reserve)
        stored = found[1:] if found is not None else None
    else:
        stored = hillshade_png_get(terrain)
    if stored is None:
        return None
    try:  # the risk map's URLs are threats' (patrol never imports threats); absent in a patrol-only setup
        url = reverse("risk-hillshade", kwargs={"slug": reserve.slug})
    except NoReverseMatch:
        return None
    return {"url": url, "bounds": stored[1]}

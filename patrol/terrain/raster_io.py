"""GeoTIFF reading, writing and reprojection for terrain and risk layers.

Pure I/O on top of Django's ctypes GDAL binding (``GDALRaster``): no database, no web layer.
Arrays come back as float64 with ``NaN`` where the file has nodata, so the numerical modules
never see a sentinel value.
"""

from __future__ import annotations

import math
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.contrib.gis.gdal import CoordTransform, GDALException, GDALRaster, OGRGeometry, SpatialReference

from patrol.terrain.grid import Grid

DEFAULT_RESOLUTION_M = 50.0

# Metres per degree used for geographic (lon/lat) rasters; shared with terrain.py and tests.
METRES_PER_DEGREE_EW_AT_EQUATOR = 111_320.0
METRES_PER_DEGREE_NS = 110_574.0

_GDT_FLOAT32 = 6
_GDT_FLOAT64 = 7
_GDT_INT32 = 5


class RasterError(Exception):
    """A raster file cannot be used; the message names the file and what is wrong with it."""


@dataclass(frozen=True)
class Raster:
    """A single-band raster on a north-up grid.

    ``geotransform`` is GDAL's (origin_x, pixel_w, 0, origin_y, 0, pixel_h) with pixel_h < 0;
    ``grid`` answers every question about cells and coordinates (patrol.terrain.grid).
    """

    data: np.ndarray  # float64, NaN = nodata
    geotransform: tuple[float, float, float, float, float, float]
    srid: int
    is_geographic: bool
    source: str = ""

    @property
    def shape(self) -> tuple[int, int]:
        return self.data.shape

    @property
    def grid(self) -> Grid:
        return Grid.from_geotransform(self.geotransform, self.shape)

    def cell_sizes_m(self) -> tuple[np.ndarray, float]:
        """(east-west metres per cell for each row, north-south metres per cell)."""
        return cell_sizes_m(self.grid, is_geographic=self.is_geographic)

    def same_grid_as(self, other: Raster) -> bool:
        return (
            self.shape == other.shape
            and self.srid == other.srid
            and np.allclose(
                self.geotransform, other.geotransform, rtol=0, atol=1e-9 * max(1.0, abs(self.geotransform[0]))
            )
        )


def cell_sizes_m(grid: Grid, *, is_geographic: bool) -> tuple[np.ndarray, float]:
    """Cell size in metres: an east-west size per row and one north-south size.

    Geographic grids: 111,320 * cos(latitude of the row centre) m per degree east-west and
    110,574 m per degree north-south (the project's agreed approximation).
    """
    rows = grid.shape[0]
    if not is_geographic:
        return np.full(rows, grid.dx, dtype=np.float64), float(grid.dy)
    _, latitudes = grid.xy_of(np.arange(rows), 0)
    dx = METRES_PER_DEGREE_EW_AT_EQUATOR * np.cos(np.radians(latitudes)) * grid.dx
    return dx.astype(np.float64), float(METRES_PER_DEGREE_NS * grid.dy)


def _open(path: str | os.PathLike) -> GDALRaster:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise RasterError(f"{path}: file does not exist")
    if os.path.getsize(path) == 0:
        raise RasterError(f"{path}: file is empty")
    try:
        source = GDALRaster(path)
    except GDALException as exc:
        raise RasterError(f"{path}: not a readable raster ({exc})") from exc
    if source.driver.name != "GTiff":
        raise RasterError(f"{path}: unsupported format {source.driver.name!r}, expected a GeoTIFF")
    return source


def _checked_srid(source: GDALRaster, path: str) -> tuple[int, bool]:
    try:
        srs = source.srs
    except GDALException:
        srs = None
    if srs is None:
        raise RasterError(f"{path}: no coordinate reference system")
    srid = srs.srid
    if srid is None:
        raise RasterError(f"{path}: coordinate reference system has no EPSG code")
    return int(srid), bool(srs.geographic)


# The largest raster read into memory (cells): a float64 copy of it is 8 bytes a cell, and the terrain
# import makes several. A header may declare any size, so this is checked before any data is read.
MAX_RASTER_CELLS = 25_000_000


def _checked_header(source: GDALRaster, path: str, *, band: int = 1, max_cells: int = MAX_RASTER_CELLS) -> None:
    if source.width < 1 or source.height < 1 or len(source.bands) < band:
        raise RasterError(f"{path}: raster has no cells or no band {band}")
    if source.width * source.height > max_cells:
        raise RasterError(
            f"{path}: {source.width:,} x {source.height:,} cells is more than the {max_cells:,} this server reads; "
            "clip the DEM to the reserve or coarsen it first"
        )
    gt = tuple(float(v) for v in source.geotransform)
    if gt[2] != 0.0 or gt[4] != 0.0:
        raise RasterError(f"{path}: rotated/skewed rasters are not supported")
    if gt[1] <= 0 or gt[5] >= 0:
        raise RasterError(f"{path}: only north-up rasters (positive pixel width, negative height) are supported")


def raster_header_check(
    source: str | os.PathLike | bytes, *, name: str = "", max_cells: int = MAX_RASTER_CELLS
) -> None:
    """Check a GeoTIFF from its header alone (format, size, orientation, CRS) before anyone reads it:
    a small upload may declare 100,000 x 100,000 cells. `source` is a path or the file's bytes."""
    if isinstance(source, bytes | bytearray):
        label = name or "upload"
        if not source:
            raise RasterError(f"{label}: file is empty")
        try:
            opened = GDALRaster(bytes(source))
        except GDALException as exc:
            raise RasterError(f"{label}: not a readable raster ({exc})") from exc
        if opened.driver.name != "GTiff":
            raise RasterError(f"{label}: unsupported format {opened.driver.name!r}, expected a GeoTIFF")
    else:
        label = name or os.fspath(source)
        opened = _open(source)
    _checked_header(opened, label, max_cells=max_cells)
    _checked_srid(opened, label)


def read_raster(path: str | os.PathLike, *, band: int = 1) -> Raster:
    """Read one band of a GeoTIFF as float64 with NaN for nodata. Raises RasterError."""
    path = os.fspath(path)
    source = _open(path)
    _checked_header(source, path, band=band)
    gt = tuple(float(v) for v in source.geotransform)
    srid, is_geographic = _checked_srid(source, path)
    gdal_band = source.bands[band - 1]
    try:
        values = gdal_band.data()
    except GDALException as exc:
        raise RasterError(f"{path}: cell data cannot be read, the file is corrupt or truncated ({exc})") from exc
    if values is None or values.shape != (source.height, source.width):
        raise RasterError(f"{path}: cell data cannot be read")
    data = np.asarray(values, dtype=np.float64).copy()
    nodata = gdal_band.nodata_value
    if nodata is not None:
        data[data == nodata] = np.nan
    if not np.isfinite(data).any():
        raise RasterError(f"{path}: every cell is nodata")
    return Raster(data=data, geotransform=gt, srid=srid, is_geographic=is_geographic, source=path)


def read_dem(
    path: str | os.PathLike,
    *,
    target_srid: int | None = None,
    resolution_m: float = DEFAULT_RESOLUTION_M,
) -> Raster:
    """Read an elevation model; with ``target_srid`` resample it (bilinear) into that projected
    CRS at ``resolution_m``. Without it the DEM's own grid is returned unchanged."""
    dem = read_raster(path)
    if target_srid is None:
        return dem
    return warp_raster(dem, target_srid=target_srid, resolution_m=resolution_m)


def _to_gdal(raster: Raster, *, name: str = "", driver: str = "MEM") -> GDALRaster:
    grid = raster.grid
    return GDALRaster(
        {
            "driver": driver,
            "name": name,
            "width": grid.shape[1],
            "height": grid.shape[0],
            "srid": raster.srid,
            "origin": [grid.x0, grid.y0],
            "scale": [grid.dx, -grid.dy],
            "skew": [0.0, 0.0],
            "datatype": _GDT_FLOAT64,
            "bands": [{"data": raster.data, "nodata_value": float("nan")}],
        }
    )


def warp_raster(raster: Raster, *, target_srid: int, resolution_m: float, resampling: str = "Bilinear") -> Raster:
    """Reproject onto a north-up grid in ``target_srid`` (a projected CRS) with square cells of
    ``resolution_m``. Cells outside the source or next to its nodata become NaN."""
    if resolution_m <= 0:
        raise RasterError(f"{raster.source or 'raster'}: resolution must be positive, got {resolution_m}")
    target_srs = SpatialReference(target_srid)
    if target_srs.geographic:
        raise RasterError(f"EPSG:{target_srid} is geographic; planning needs a projected CRS in metres")
    grid = raster.grid
    x0, y0 = grid.x0, grid.y0
    x1, y1 = x0 + grid.shape[1] * grid.dx, y0 - grid.shape[0] * grid.dy
    # Densified outline, so curved edges after reprojection are inside the envelope.
    steps = 32
    ring = (
        [(x0 + (x1 - x0) * i / steps, y0) for i in range(steps)]
        + [(x1, y0 + (y1 - y0) * i / steps) for i in range(steps)]
        + [(x1 - (x1 - x0) * i / steps, y1) for i in range(steps)]
        + [(x0, y1 - (y1 - y0) * i / steps) for i in range(steps)]
    )
    ring.append(ring[0])
    wkt = "POLYGON((" + ",".join(f"{x!r} {y!r}" for x, y in ring) + "))"
    outline = OGRGeometry(wkt, srs=SpatialReference(raster.srid))
    # GDAL 3 honours authority axis order for EPSG:4326 (lat, lon); keep x = lon.
    outline.transform(CoordTransform(_traditional_srs(raster.srid), _traditional_srs(target_srid)))
    min_x, min_y, max_x, max_y = outline.extent
    width = max(1, math.ceil((max_x - min_x) / resolution_m))
    height = max(1, math.ceil((max_y - min_y) / resolution_m))
    source = _to_gdal(raster)
    warped = source.warp(
        {
            "driver": "MEM",
            "name": "",
            "srid": target_srid,
            "origin": [min_x, max_y],
            "scale": [resolution_m, -resolution_m],
            "skew": [0.0, 0.0],
            "width": width,
            "height": height,
            "datatype": _GDT_FLOAT64,
        },
        resampling=resampling,
    )
    data = np.asarray(warped.bands[0].data(), dtype=np.float64).copy()
    gt = tuple(float(v) for v in warped.geotransform)
    return Raster(data=data, geotransform=gt, srid=int(target_srid), is_geographic=False, source=raster.source)


def _traditional_srs(srid: int) -> SpatialReference:
    srs = SpatialReference(srid)
    srs.axis_order = _traditional_axis_order()
    return srs


def _traditional_axis_order():
    from django.contrib.gis.gdal.srs import AxisOrder

    return AxisOrder.TRADITIONAL


def transform_points(points: np.ndarray, *, from_srid: int, to_srid: int) -> np.ndarray:
    """Transform an (n, 2) array of x, y (lon, lat for geographic) between EPSG codes."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if from_srid == to_srid or len(points) == 0:
        return points.copy()
    transform = CoordTransform(_traditional_srs(from_srid), _traditional_srs(to_srid))
    if len(points) == 1:
        geom = OGRGeometry(f"POINT({float(points[0, 0])!r} {float(points[0, 1])!r})", srs=_traditional_srs(from_srid))
        geom.transform(transform)
        return np.array([[geom.x, geom.y]])
    # WKB in and out through numpy buffers: text (WKT) or per-point objects cost seconds on long tracks.
    header = struct.pack("<BII", 1, 2, len(points))  # little-endian LineString of n points
    geom = OGRGeometry(memoryview(header + points.astype("<f8").tobytes()), srs=_traditional_srs(from_srid))
    geom.transform(transform)
    wkb = bytes(geom.wkb)
    return (
        np.frombuffer(wkb, dtype="<f8", offset=9).reshape(-1, 2).copy()
        if wkb[0] == 1
        else (np.frombuffer(wkb, dtype=">f8", offset=9).reshape(-1, 2).astype(np.float64))
    )


def lonlat_to_xy(grid_srid: int, lon: float, lat: float) -> tuple[float, float]:
    x, y = transform_points(np.array([[lon, lat]]), from_srid=4326, to_srid=grid_srid)[0]
    return float(x), float(y)


def lonlat_to_cell(grid: Grid, grid_srid: int, lon: float, lat: float) -> tuple[int, int]:
    """(row, col) of the grid's cell containing lon/lat; may lie outside the grid (`grid.contains`)."""
    return grid.cell_of(*lonlat_to_xy(grid_srid, lon, lat))


def cell_to_lonlat(grid: Grid, grid_srid: int, row: int, col: int) -> tuple[float, float]:
    """lon/lat of the cell's centre."""
    x, y = grid.xy_of(row, col)
    lon, lat = transform_points(np.array([[x, y]]), from_srid=grid_srid, to_srid=4326)[0]
    return float(lon), float(lat)


def geotiff_bytes(
    data: np.ndarray, *, grid: Grid, srid: int, nodata: float | None = float("nan"), dtype: str = "float32"
) -> bytes:
    """A single-band, deflate-compressed GeoTIFF of ``data`` on ``grid``: the one GeoTIFF writer.

    NaN cells are written as ``nodata``. ``dtype="int32"`` writes labels (e.g. valley reach IDs);
    there nodata must be a number or None. GDAL's GTiff driver writes to a file: a temporary one.
    """
    array = np.asarray(data)
    if array.ndim != 2 or array.size == 0:
        raise RasterError(f"need a non-empty 2-D array, got shape {array.shape}")
    if array.shape != grid.shape:
        raise RasterError(f"array of shape {array.shape} on a grid of shape {grid.shape}")
    datatype = {"float32": _GDT_FLOAT32, "float64": _GDT_FLOAT64, "int32": _GDT_INT32}[dtype]
    if dtype == "int32" and nodata is not None and math.isnan(nodata):
        nodata = None
    array = array.astype(dtype)
    if nodata is not None and not math.isnan(nodata) and array.dtype.kind == "f":
        array = np.where(np.isnan(array), nodata, array)
    band = {"data": array}
    if nodata is not None:
        band["nodata_value"] = nodata
    handle, path = tempfile.mkstemp(suffix=".tif")
    os.close(handle)
    try:
        target = GDALRaster(
            {
                "driver": "GTiff",
                "name": path,
                "width": grid.shape[1],
                "height": grid.shape[0],
                "srid": srid,
                "origin": [grid.x0, grid.y0],
                "scale": [grid.dx, -grid.dy],
                "skew": [0.0, 0.0],
                "datatype": datatype,
                "bands": [band],
                "papsz_options": {"compress": "deflate"},
            }
        )
        target._flush()  # GDALRaster has no public flush; data reaches disk when closed or flushed.
        del target
        return Path(path).read_bytes()
    finally:
        os.unlink(path)


def write_geotiff(
    path: str | os.PathLike,
    data: np.ndarray,
    *,
    geotransform: tuple[float, ...],
    srid: int,
    nodata: float | None = float("nan"),
    dtype: str = "float32",
) -> None:
    """`geotiff_bytes` written to ``path``."""
    array = np.asarray(data)
    if array.ndim != 2 or array.size == 0:
        raise RasterError(f"{os.fspath(path)}: need a non-empty 2-D array, got shape {array.shape}")
    grid = Grid.from_geotransform(geotransform, array.shape)
    Path(path).write_bytes(geotiff_bytes(array, grid=grid, srid=srid, nodata=nodata, dtype=dtype))

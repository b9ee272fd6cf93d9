"""The one grid module: a raster grid's geotransform, cells to coordinates and back, rasterising.

A `Grid` is north-up: (x0, y0) is the north-west corner, cells are `dx` wide and `dy` high in the
grid's CRS units (metres for the projected grids the models use; degrees for a geographic DEM read
as it is). Cell (row, col) spans x0 + [col, col + 1) * dx and y0 - [row, row + 1) * dy; its centre is
at +0.5. Turning lon/lat into the grid's CRS needs GDAL and lives in patrol.terrain.raster_io
(`lonlat_to_cell`, `cell_to_lonlat`); GeoTIFF bytes too (`geotiff_bytes`).

Pure numpy and shapely: no Django.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import shapely


@dataclass(frozen=True)
class Grid:
    x0: float
    y0: float
    dx: float  # cell width, > 0
    dy: float  # cell height, > 0 (GDAL's pixel height is -dy)
    shape: tuple[int, int]  # (rows, cols)

    @classmethod
    def square(cls, x0: float, y0: float, cell_m: float, shape: tuple[int, int]) -> Grid:
        return cls(float(x0), float(y0), float(cell_m), float(cell_m), (int(shape[0]), int(shape[1])))

    @classmethod
    def from_geotransform(cls, geotransform: Sequence[float], shape: tuple[int, int]) -> Grid:
        """From GDAL's (x0, pixel width, 0, y0, 0, pixel height < 0)."""
        x0, pixel_w, skew_x, y0, skew_y, pixel_h = (float(v) for v in geotransform)
        if skew_x or skew_y or pixel_w <= 0 or pixel_h >= 0:
            raise ValueError(f"need a north-up grid without rotation, got geotransform {tuple(geotransform)}")
        return cls(x0, y0, pixel_w, -pixel_h, (int(shape[0]), int(shape[1])))

    @property
    def geotransform(self) -> tuple[float, float, float, float, float, float]:
        return (self.x0, self.dx, 0.0, self.y0, 0.0, -self.dy)

    @property
    def cell_m(self) -> float:
        """The side of a square cell (the risk model's grids); ValueError for rectangular cells."""
        if not math.isclose(self.dx, self.dy, rel_tol=1e-9):
            raise ValueError(f"need square cells, got {self.dx} x {self.dy}")
        return self.dx

    @property
    def n_cells(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min x, min y, max x, max y) of the grid's outer edges."""
        return (self.x0, self.y0 - self.shape[0] * self.dy, self.x0 + self.shape[1] * self.dx, self.y0)

    def rowcol(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cells containing the points (may lie outside the grid)."""
        col = np.floor((np.asarray(x, dtype=np.float64) - self.x0) / self.dx).astype(np.int64)
        row = np.floor((self.y0 - np.asarray(y, dtype=np.float64)) / self.dy).astype(np.int64)
        return row, col

    def cell_of(self, x: float, y: float) -> tuple[int, int]:
        """(row, col) of the cell containing one point; may lie outside the grid (see `contains`)."""
        row, col = self.rowcol(x, y)
        return int(row), int(col)

    def contains(self, row: np.ndarray | int, col: np.ndarray | int) -> np.ndarray | bool:
        return (row >= 0) & (row < self.shape[0]) & (col >= 0) & (col < self.shape[1])

    def flat_index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(flat cell index, inside-grid mask); the index is 0 where the point is outside."""
        row, col = self.rowcol(x, y)
        inside = self.contains(row, col)
        return np.where(inside, row * self.shape[1] + col, 0), inside

    def xy_of(self, row: np.ndarray | int, col: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
        """Centres of the given cells, in the grid's CRS."""
        return self.x0 + (np.asarray(col) + 0.5) * self.dx, self.y0 - (np.asarray(row) + 0.5) * self.dy

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y of every cell centre, each of the grid's shape."""
        rows, cols = np.indices(self.shape)
        return self.xy_of(rows, cols)

    def rasterise_points(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | float = 1.0) -> np.ndarray:
        """Per cell, the sum of the weights (default: the count) of the points inside it; points
        outside the grid are dropped."""
        x = np.asarray(x, dtype=np.float64)
        row, col = self.rowcol(x, y)
        inside = self.contains(row, col)
        weights = np.broadcast_to(np.asarray(weights, dtype=np.float64), x.shape)
        out = np.zeros(self.shape)
        np.add.at(out, (row[inside], col[inside]), weights[inside])
        return out

    def rasterise_polygons(self, shapes: Iterable[tuple[shapely.Geometry, int]]) -> np.ndarray:
        """Per cell, the value of the last polygon (in the grid's CRS) whose interior holds the cell's
        centre, else 0 (int64)."""
        import shapely  # here, not at the top: the models import the grid, and processes start without shapely

        out = np.zeros(self.shape, dtype=np.int64)
        xs, ys = None, None
        for polygon, value in shapes:
            if xs is None:
                xs, ys = self.centres()
            out[shapely.contains_xy(polygon, xs, ys)] = value
        return out

"""The one grid module: a raster grid's geotransform, cells to coordinates and back, rasterising.

Pure numpy: no Django."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grid:
    """A north-up grid of square cells in projected metres; (x0, y0) is the north-west corner."""

    x0: float
    y0: float
    cell_m: float
    shape: tuple[int, int]

    @classmethod
    def from_geotransform(cls, geotransform: Sequence[float], shape: tuple[int, int]) -> Grid:
        x0, pixel_w, _, y0, _, pixel_h = geotransform
        if not math.isclose(pixel_w, -pixel_h, rel_tol=1e-9):
            raise ValueError(f"the risk model needs square cells, got {pixel_w} x {-pixel_h} m")
        return cls(float(x0), float(y0), float(pixel_w), (int(shape[0]), int(shape[1])))

    @property
    def geotransform(self) -> tuple[float, float, float, float, float, float]:
        return (self.x0, self.cell_m, 0.0, self.y0, 0.0, -self.cell_m)

    @property
    def n_cells(self) -> int:
        return self.shape[0] * self.shape[1]

    def rowcol(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cells containing the points (may lie outside the grid)."""
        col = np.floor((np.asarray(x, dtype=np.float64) - self.x0) / self.cell_m).astype(np.int64)
        row = np.floor((self.y0 - np.asarray(y, dtype=np.float64)) / self.cell_m).astype(np.int64)
        return row, col

    def flat_index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(flat cell index, inside-grid mask); the index is 0 where the point is outside."""
        row, col = self.rowcol(x, y)
        inside = (row >= 0) & (row < self.shape[0]) & (col >= 0) & (col < self.shape[1])
        return np.where(inside, row * self.shape[1] + col, 0), inside

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = np.indices(self.shape)
        return self.x0 + (cols + 0.5) * self.cell_m, self.y0 - (rows + 0.5) * self.cell_m

    def coarsened(self, factor: int) -> Grid:
        return Grid(self.x0, self.y0, self.cell_m * factor, (self.shape[0] // factor, self.shape[1] // factor))


def coarsen_mean(values: np.ndarray, factor: int) -> np.ndarray:
    """Block mean over factor x factor cells (trailing rows/columns that do not fill a block are dropped)."""
    if factor == 1:
        return np.asarray(values, dtype=np.float64)
    rows, cols = values.shape[0] // factor, values.shape[1] // factor
    blocks = np.asarray(values, dtype=np.float64)[: rows * factor, : cols * factor]
    return blocks.reshape(rows, factor, cols, factor).mean(axis=(1, 3))

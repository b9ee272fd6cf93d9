"""The one grid module: geotransform, cells to coordinates and back, rasterising, GeoTIFF bytes."""

import numpy as np
import pytest
import shapely

from patrol.terrain.grid import Grid
from patrol.terrain.raster_io import (
    RasterError,
    cell_to_lonlat,
    geotiff_bytes,
    lonlat_to_cell,
    read_raster,
)

GRID = Grid.square(1000.0, 2000.0, 25.0, (4, 6))  # x 1000..1150, y 1900..2000


def test_geotransform_round_trip_and_bounds():
    assert GRID.geotransform == (1000.0, 25.0, 0.0, 2000.0, 0.0, -25.0)
    assert Grid.from_geotransform(GRID.geotransform, (4, 6)) == GRID
    assert GRID.bounds == (1000.0, 1900.0, 1150.0, 2000.0)
    assert (GRID.cell_m, GRID.n_cells) == (25.0, 24)


def test_rectangular_cells_of_a_geographic_grid():
    grid = Grid.from_geotransform((87.0, 0.01, 0.0, 50.5, 0.0, -0.005), (100, 50))
    assert (grid.dx, grid.dy) == (0.01, 0.005)
    assert grid.cell_of(87.015, 50.4999) == (0, 1)
    with pytest.raises(ValueError, match="square cells"):
        _ = grid.cell_m
    with pytest.raises(ValueError, match="north-up"):
        Grid.from_geotransform((0, 1, 0.5, 0, 0, -1), (2, 2))


def test_cell_of_a_point_and_the_centre_of_a_cell():
    assert GRID.cell_of(1012.5, 1987.5) == (0, 0)
    assert GRID.cell_of(1149.9, 1900.1) == (3, 5)
    assert GRID.cell_of(999.0, 2001.0) == (-1, -1)
    assert not GRID.contains(-1, -1) and GRID.contains(3, 5) and not GRID.contains(4, 0)
    assert GRID.xy_of(3, 5) == (1137.5, 1912.5)
    xs, ys = GRID.centres()
    assert xs.shape == ys.shape == (4, 6)
    rows, cols = GRID.rowcol(xs, ys)
    assert (rows == np.indices((4, 6))[0]).all() and (cols == np.indices((4, 6))[1]).all()
    index, inside = GRID.flat_index(np.array([1137.5, 5000.0]), np.array([1912.5, 1950.0]))
    assert index.tolist() == [23, 0] and inside.tolist() == [True, False]


def test_rasterising_points_sums_weights_and_drops_outsiders():
    counts = GRID.rasterise_points([1010.0, 1020.0, 1140.0, 9999.0], [1990.0, 1980.0, 1910.0, 1910.0])
    assert counts[0, 0] == 2 and counts[3, 5] == 1 and counts.sum() == 3
    weighted = GRID.rasterise_points([1010.0, 1020.0], [1990.0, 1980.0], np.array([0.5, 2.0]))
    assert weighted[0, 0] == 2.5


def test_rasterising_polygons_by_cell_centre_later_polygons_win():
    west = shapely.box(1000.0, 1900.0, 1060.0, 2000.0)  # holds the centres of columns 0 and 1
    top = shapely.box(1000.0, 1950.0, 1150.0, 2000.0)  # rows 0 and 1
    labels = GRID.rasterise_polygons([(west, 1), (top, 2)])
    assert labels.dtype == np.int64
    assert labels.tolist() == [[2] * 6, [2] * 6, [1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0]]
    assert (GRID.rasterise_polygons([]) == 0).all()


def test_geotiff_bytes_read_back_on_the_same_grid(tmp_path):
    data = np.arange(24, dtype=np.float64).reshape(4, 6)
    data[1, 2] = np.nan
    path = tmp_path / "layer.tif"
    path.write_bytes(geotiff_bytes(data, grid=GRID, srid=32611))
    raster = read_raster(path)
    assert raster.grid == GRID and raster.srid == 32611
    assert np.array_equal(raster.data, data, equal_nan=True)
    labels = tmp_path / "labels.tif"
    labels.write_bytes(geotiff_bytes(np.arange(24).reshape(4, 6), grid=GRID, srid=32611, dtype="int32"))
    assert read_raster(labels).data[3, 5] == 23
    with pytest.raises(RasterError, match="shape"):
        geotiff_bytes(np.zeros((2, 2)), grid=GRID, srid=32611)


def test_lonlat_to_cell_and_back():
    grid = Grid.square(400_000.0, 3_800_000.0, 30.0, (60, 70))
    lon, lat = cell_to_lonlat(grid, 32611, 30, 20)
    assert lonlat_to_cell(grid, 32611, lon, lat) == (30, 20)
    assert -118.2 < lon < -118.0 and 34.3 < lat < 34.4

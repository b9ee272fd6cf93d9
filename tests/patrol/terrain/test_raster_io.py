import math
import shutil

import numpy as np
import pytest

from patrol.terrain.raster_io import RasterError, read_dem, read_raster, transform_points, write_geotiff
from tests.patrol.terrain.helpers import write_grid
from tests.shared_data import DEM_DIR

ZION = str(DEM_DIR / "zion-srtm-90m.tif")
BIGTUJUNGA = str(DEM_DIR / "bigtujunga-srtm-30m.tif")


def test_write_then_read_round_trip_keeps_grid_and_nodata(tmp_path):
    data = np.arange(12, dtype=np.float64).reshape(3, 4)
    data[1, 2] = np.nan
    path = tmp_path / "grid.tif"
    geotransform = write_grid(path, data, cell_m=25.0, origin=(1000.0, 2000.0))
    raster = read_raster(path)
    assert raster.shape == (3, 4)
    assert raster.srid == 32611 and not raster.is_geographic
    assert raster.geotransform == geotransform
    assert np.array_equal(np.isnan(raster.data), np.isnan(data))
    assert np.array_equal(np.nan_to_num(raster.data), np.nan_to_num(data))
    assert raster.grid.xy_of(0, 0) == (1012.5, 1987.5)
    assert raster.grid.cell_of(1012.5, 1987.5) == (0, 0)


def test_integer_nodata_sentinel_becomes_nan(tmp_path):
    path = tmp_path / "sentinel.tif"
    write_geotiff(path, np.array([[1.0, -9999.0]]), geotransform=(0, 30, 0, 0, 0, -30), srid=32611, nodata=-9999.0)
    raster = read_raster(path)
    assert raster.data[0, 0] == 1.0 and math.isnan(raster.data[0, 1])


def test_real_dems_read_with_their_crs():
    zion = read_raster(ZION)
    assert zion.shape == (457, 465) and zion.srid == 4326 and zion.is_geographic
    tujunga = read_raster(BIGTUJUNGA)
    assert tujunga.shape == (643, 1197) and tujunga.srid == 32611
    assert np.nanmin(tujunga.data) == 315.0 and np.nanmax(tujunga.data) == 2295.0


def test_dem_resampled_into_projected_crs_at_planning_resolution():
    dem = read_dem(ZION, target_srid=32612, resolution_m=50.0)
    assert dem.srid == 32612 and not dem.is_geographic
    assert dem.geotransform[1] == 50.0 and dem.geotransform[5] == -50.0
    assert dem.shape == (861, 706)
    assert 1020 < np.nanmin(dem.data) and np.nanmax(dem.data) < 2900
    assert np.isnan(dem.data[0, 0])  # corner outside the rotated source footprint


def test_truncated_geotiff_fails_cleanly(tmp_path):
    broken = tmp_path / "truncated.tif"
    with open(ZION, "rb") as source:
        payload = source.read()
    broken.write_bytes(payload[: len(payload) // 2])
    with pytest.raises(RasterError, match=r"truncated\.tif: cell data cannot be read"):
        read_raster(broken)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "file is empty"), (b"not a raster at all", "not a readable raster")],
)
def test_empty_or_foreign_files_fail_cleanly(tmp_path, content, message):
    path = tmp_path / "bad.tif"
    path.write_bytes(content)
    with pytest.raises(RasterError, match=f"bad.tif: {message}"):
        read_raster(path)


def test_missing_file_and_unsupported_format(tmp_path):
    with pytest.raises(RasterError, match="missing.tif: file does not exist"):
        read_raster(tmp_path / "missing.tif")
    copy = tmp_path / "copy.tif"
    shutil.copy(ZION, copy)
    assert read_raster(copy).shape == (457, 465)


def test_transform_points_lon_lat_order():
    xy = transform_points(np.array([[-111.0, 0.0]]), from_srid=4326, to_srid=32612)
    assert xy[0, 0] == pytest.approx(500_000.0, abs=1e-6)
    assert xy[0, 1] == pytest.approx(0.0, abs=1e-6)

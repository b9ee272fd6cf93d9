import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from patrol.terrain.raster_io import read_raster, write_geotiff
from tests.patrol.terrain.helpers import check_route, hotspot_risk, rolling_terrain, row_cell_sizes, write_grid
from tests.shared_data import DEM_DIR

ZION = str(DEM_DIR / "zion-srtm-90m.tif")


@pytest.fixture
def synthetic_files(tmp_path):
    dem, risk = tmp_path / "dem.tif", tmp_path / "risk.tif"
    z = rolling_terrain()
    z[0:3, 0:3] = np.nan
    geotransform = write_grid(dem, z)
    write_grid(risk, hotspot_risk())
    return dem, risk, geotransform


def _centre(geotransform, row, col):
    x0, pw, _, y0, _, ph = geotransform
    return f"{x0 + (col + 0.5) * pw},{y0 + (row + 0.5) * ph}"


def _check(out, dem_path, risk_path, *, radius_m, geographic):
    feature = json.loads(out.read_text())
    props = feature["properties"]
    dem, risk = read_raster(dem_path), read_raster(risk_path)
    dx_rows, dy = row_cell_sizes(dem.geotransform, dem.shape[0], geographic=geographic)
    hours, covered, length_km = check_route(
        props["cells"], dem.data, risk.data, dx_rows=dx_rows, dy=dy, radius_m=radius_m
    )
    assert props["duration_h"] == pytest.approx(hours, rel=1e-9)
    assert props["covered_risk"] == pytest.approx(covered, rel=1e-9)
    assert props["length_km"] == pytest.approx(length_km, rel=1e-9)
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "LineString"
    assert len(feature["geometry"]["coordinates"]) == len(props["cells"])
    return props


def test_plan_route_end_to_end_on_synthetic_geotiff(synthetic_files, tmp_path):
    dem, risk, geotransform = synthetic_files
    out = tmp_path / "route.geojson"
    call_command(
        "plan_route", "--dem", str(dem), "--risk", str(risk), "--start", _centre(geotransform, 30, 35),
        "--end", _centre(geotransform, 50, 10), "--hours", "1.5", "--out", str(out),
    )  # fmt: skip
    props = _check(out, dem, risk, radius_m=100.0, geographic=False)
    assert props["cells"][0] == [30, 35] and props["cells"][-1] == [50, 10]
    assert props["duration_h"] <= 1.5
    assert props["covered_risk"] > 0


def test_plan_route_end_to_end_on_zion_geographic(tmp_path):
    dem = read_raster(ZION)
    rng = np.random.default_rng(7)
    risk = np.zeros(dem.shape)
    risk[200:260, 200:260] = rng.random((60, 60))
    risk_path, out = tmp_path / "risk.tif", tmp_path / "route.geojson"
    write_geotiff(risk_path, risk, geotransform=dem.geotransform, srid=4326, dtype="float64")
    x, y = dem.grid.xy_of(230, 230)
    assert x < 0  # Utah: a negative longitude, written as --start -113.0,37.2
    call_command(
        "plan_route", "--dem", ZION, "--risk", str(risk_path), "--start", f"{x},{y}", "--hours", "3",
        "--radius", "150", "--max-slope", "35", "--out", str(out),
    )  # fmt: skip
    props = _check(out, ZION, risk_path, radius_m=150.0, geographic=True)
    assert props["cells"][0] == props["cells"][-1] == [230, 230]
    assert props["duration_h"] <= 3.0
    assert props["max_slope_deg"] == 35.0


def test_risk_on_another_grid_is_rejected(synthetic_files, tmp_path):
    dem, _, geotransform = synthetic_files
    other = tmp_path / "other.tif"
    write_grid(other, np.zeros((60, 71)))
    with pytest.raises(CommandError, match="is not on the DEM's grid"):
        call_command(
            "plan_route", "--dem", str(dem), "--risk", str(other), "--start", _centre(geotransform, 30, 35),
            "--hours", "1", "--out", str(tmp_path / "x.geojson"),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("option", "cell", "message"),
    [
        ("--start", (-5, 3), "lies outside the DEM"),
        ("--start", (1, 1), r"start cell \(1, 1\) is impassable"),
        ("--end", (30, 90), "lies outside the DEM"),
    ],
)
def test_bad_start_or_end_is_a_clear_error(synthetic_files, tmp_path, option, cell, message):
    dem, risk, geotransform = synthetic_files
    points = {"--start": _centre(geotransform, 30, 35)}
    points[option] = _centre(geotransform, *cell)
    args = [f"{name}={value}" for name, value in points.items()]
    with pytest.raises(CommandError, match=message):
        call_command(
            "plan_route", "--dem", str(dem), "--risk", str(risk), *args, "--hours", "1",
            "--out", str(tmp_path / "x.geojson"),
        )  # fmt: skip
    assert not (tmp_path / "x.geojson").exists()


def test_corrupt_dem_is_a_clear_error(tmp_path, synthetic_files):
    _, risk, geotransform = synthetic_files
    broken = tmp_path / "broken.tif"
    with open(ZION, "rb") as source:
        broken.write_bytes(source.read()[:5000])
    with pytest.raises(CommandError, match="broken.tif"):
        call_command(
            "plan_route", "--dem", str(broken), "--risk", str(risk), "--start", _centre(geotransform, 3, 3),
            "--hours", "1", "--out", str(tmp_path / "x.geojson"),
        )  # fmt: skip

import math

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from patrol.terrain.graph import (
    build_terrain_graph,
    edge_walking_hours,
    fill_depressions,
    hillshade,
    slope_degrees,
    tobler_speed_kmh,
    valley_network,
)
from patrol.terrain.grid import Grid
from patrol.terrain.raster_io import read_raster
from tests.shared_data import DEM_DIR as SHARED_DEM_DIR

DEM_DIR = str(SHARED_DEM_DIR)


@pytest.mark.parametrize(
    ("gradient", "expected_kmh"),
    [(-0.05, 6.0), (0.0, 6.0 * math.exp(-0.175)), (0.1, 6.0 * math.exp(-0.525)), (-0.1, 6.0 * math.exp(-0.175))],
)
def test_tobler_speed_values(gradient, expected_kmh):
    assert tobler_speed_kmh(gradient) == pytest.approx(expected_kmh, rel=1e-12)


def test_tobler_is_fastest_slightly_downhill_and_asymmetric():
    assert tobler_speed_kmh(-0.05) > tobler_speed_kmh(0.0)
    assert tobler_speed_kmh(-0.2) > tobler_speed_kmh(0.2)


def test_edge_time_uphill_differs_from_downhill():
    # One row climbing 10 m per 30 m cell eastwards.
    z = np.array([[100.0, 110.0]])
    graph = build_terrain_graph(z, dx_m=30.0, dy_m=30.0)
    up = graph.forward[0, 1]
    down = graph.forward[1, 0]
    assert up == pytest.approx(0.03 / (6 * math.exp(-3.5 * abs(10 / 30 + 0.05))), rel=1e-12)
    assert down == pytest.approx(0.03 / (6 * math.exp(-3.5 * abs(-10 / 30 + 0.05))), rel=1e-12)
    assert up > down


def test_diagonal_edge_uses_diagonal_distance():
    z = np.zeros((2, 2))
    graph = build_terrain_graph(z, dx_m=30.0, dy_m=40.0)
    assert graph.forward[0, 3] == pytest.approx(0.05 / (6 * math.exp(-3.5 * 0.05)), rel=1e-12)


def test_speed_factor_per_transport_mode():
    z = np.zeros((1, 2))
    foot = build_terrain_graph(z, dx_m=30.0, dy_m=30.0, mode="foot").forward[0, 1]
    horse = build_terrain_graph(z, dx_m=30.0, dy_m=30.0, mode="horse").forward[0, 1]
    assert horse == pytest.approx(foot / 1.5, rel=1e-12)
    with pytest.raises(ValueError, match="unknown transport mode"):
        build_terrain_graph(z, dx_m=30.0, dy_m=30.0, mode="balloon")


def test_cliff_is_never_crossed():
    # West half at 0 m, east half at 100 m: a 100 m step over 30 m is ~73 degrees.
    z = np.zeros((20, 20))
    z[:, 10:] = 100.0
    graph = build_terrain_graph(z, dx_m=30.0, dy_m=30.0, max_slope_deg=40.0)
    dist = dijkstra(graph.forward, indices=graph.index(10, 2))
    assert np.isfinite(dist.reshape(20, 20)[:, :10]).all()
    assert np.isinf(dist.reshape(20, 20)[:, 10:]).all()


def test_slope_limit_is_configurable():
    z = np.array([[0.0, 30.0]])  # 45 degrees
    assert build_terrain_graph(z, dx_m=30.0, dy_m=30.0, max_slope_deg=45.1).forward.nnz == 2
    assert build_terrain_graph(z, dx_m=30.0, dy_m=30.0, max_slope_deg=44.9).forward.nnz == 0


def test_no_go_and_nodata_cells_have_no_edges():
    z = np.zeros((5, 5))
    z[0, 0] = np.nan
    no_go = np.zeros((5, 5), dtype=bool)
    no_go[2, 2] = True
    graph = build_terrain_graph(z, dx_m=30.0, dy_m=30.0, no_go=no_go)
    for r, c in [(0, 0), (2, 2)]:
        i = graph.index(r, c)
        assert graph.forward[i].nnz == 0
        assert graph.backward[i].nnz == 0
    assert not graph.passable[0, 0] and not graph.passable[2, 2]
    assert graph.forward[graph.index(1, 1)].nnz == 6  # 8 minus the nodata and no-go neighbours


def test_edge_hours_per_row_cell_sizes_for_geographic_grids():
    z = np.zeros((2, 2))
    hours = edge_walking_hours(z, np.array([70.0, 80.0]), 90.0)
    flat = 6 * math.exp(-3.5 * 0.05)
    assert hours[0, 0, 4] == pytest.approx(0.070 / flat, rel=1e-12)  # east along row 0
    assert hours[1, 0, 4] == pytest.approx(0.080 / flat, rel=1e-12)  # east along row 1
    assert hours[0, 0, 7] == pytest.approx(math.hypot(75.0, 90.0) / 1000 / flat, rel=1e-12)  # diagonal


def test_slope_and_hillshade_of_a_plane():
    yy, xx = np.mgrid[0:10, 0:10]
    z = 0.1 * 30.0 * xx  # rises 10% eastwards
    slope = slope_degrees(z, dx_m=30.0, dy_m=30.0)
    assert slope[5, 5] == pytest.approx(math.degrees(math.atan(0.1)), rel=1e-12)
    shade = hillshade(np.zeros((4, 4)), dx_m=30.0, dy_m=30.0)
    assert shade.dtype == np.uint8
    assert (shade == round(255 * math.cos(math.radians(45)))).all()


def test_fill_depressions_removes_a_pit():
    z = np.full((5, 5), 10.0)
    z[2, 2] = 1.0
    filled = fill_depressions(z)
    assert filled[2, 2] > 10.0
    assert filled[0, 0] == 10.0


def test_v_shaped_valley_is_one_reach_along_its_floor():
    rows, cols = 60, 41
    yy, xx = np.mgrid[0:rows, 0:cols]
    z = 1000.0 - 5.0 * yy + 20.0 * np.abs(xx - 20)  # floor in column 20, draining south
    layers = valley_network(z, dx_m=30.0, dy_m=30.0, min_catchment_cells=150, grid=Grid.square(0, 0, 30, z.shape))
    network = layers.network
    assert network.number_of_edges() == 1
    (_, _, reach), = network.edges(data=True)  # fmt: skip
    assert {c for _, c in reach["cells"]} == {20}
    assert reach["cells"][-1] == (59, 20)
    rows_in_reach = [r for r, _ in reach["cells"]]
    assert rows_in_reach == list(range(rows_in_reach[0], 60))
    assert reach["length_m"] == pytest.approx(30.0 * (len(rows_in_reach) - 1), rel=1e-12)
    assert reach["name"] == "V001" and reach["reach_id"] == 1
    assert reach["coords"][-1] == (615.0, -1785.0)
    assert layers.accumulation[59, 20] == rows * cols  # the whole grid drains through the outlet


def test_real_dem_zion_geographic_graph():
    dem = read_raster(f"{DEM_DIR}/zion-srtm-90m.tif")
    dx, dy = dem.cell_sizes_m()
    assert dem.shape == (457, 465) and dem.is_geographic
    lat0 = dem.geotransform[3] + 0.5 * dem.geotransform[5]
    assert dx[0] == pytest.approx(111_320 * math.cos(math.radians(lat0)) * dem.geotransform[1], rel=1e-12)
    assert dy == pytest.approx(110_574 * 0.000833333333278, rel=1e-9)
    graph = build_terrain_graph(dem.data, dx_m=dx, dy_m=dy)
    assert graph.forward.shape == (457 * 465, 457 * 465)
    assert 0 < graph.forward.nnz < 8 * 457 * 465
    assert (graph.forward.data > 0).all()


def test_real_dem_bigtujunga_valleys():
    dem = read_raster(f"{DEM_DIR}/bigtujunga-srtm-30m.tif")
    dx, dy = dem.cell_sizes_m()
    assert dem.shape == (643, 1197) and dem.srid == 32611 and dx[0] == 30.0
    crop = dem.data[:200, :200]
    layers = valley_network(crop, dx_m=30.0, dy_m=30.0, min_catchment_cells=500)
    assert layers.network.number_of_edges() > 0
    assert layers.accumulation.sum() > crop.size
    for _, _, reach in layers.network.edges(data=True):
        steps = np.abs(np.diff(np.array(reach["cells"]), axis=0)).max(axis=1)
        assert (steps == 1).all()


def test_reverse_ratio_is_one_on_flat_ground_and_toblers_bound_on_slopes():
    flat = build_terrain_graph(np.full((6, 7), 500.0), dx_m=30.0, dy_m=30.0)
    assert flat.reverse_ratio == 1.0
    ramp = build_terrain_graph(np.add.outer(np.zeros(6), np.arange(7) * 3.0), dx_m=30.0, dy_m=30.0)
    # Straight up a 10 % ramp against straight down it: exp(3.5 * (0.15 - 0.05)), the largest ratio here.
    assert ramp.reverse_ratio == pytest.approx(math.exp(0.35), rel=1e-12)
    rng = np.random.default_rng(3)
    rough = build_terrain_graph(rng.normal(0.0, 8.0, (20, 20)), dx_m=30.0, dy_m=30.0)
    assert 1.0 < rough.reverse_ratio <= math.exp(0.35) * (1 + 1e-12)


def test_reverse_ratio_bounds_every_round_trip_way_back():
    rng = np.random.default_rng(5)
    graph = build_terrain_graph(np.cumsum(rng.normal(0.0, 4.0, (25, 25)), axis=1), dx_m=30.0, dy_m=30.0)
    out = dijkstra(graph.forward, indices=12 * 25 + 12)
    back = dijkstra(graph.backward, indices=12 * 25 + 12)
    reached = np.isfinite(out) & (out > 0)
    assert reached.sum() > 500
    assert (out[reached] <= graph.reverse_ratio * back[reached] * (1 + 1e-12)).all()
    assert (out[reached] > back[reached]).any() and (out[reached] < back[reached]).any()

import json
import math
import xml.etree.ElementTree as ET

import gpxpy
import numpy as np
import pytest

from patrol.routing.export import route_feature, route_feature_collection, route_gpx, route_kml
from patrol.routing.planner import (
    CoverageModel,
    RoutePlanningError,
    covered_risk,
    plan_alternative_routes,
    plan_multiday_route,
    plan_route,
    split_into_days,
)
from patrol.terrain.graph import build_terrain_graph
from patrol.terrain.grid import Grid
from tests.patrol.terrain.helpers import check_route, hotspot_risk, rolling_terrain

CELL = 30.0


@pytest.fixture(scope="module")
def terrain():
    z = rolling_terrain()
    return z, build_terrain_graph(z, dx_m=CELL, dy_m=CELL)


def _flat(graph, cells):
    return cells[:, 0] * graph.shape[1] + cells[:, 1]


@pytest.mark.parametrize("budget_h", [0.5, 1.5, 3.0])
@pytest.mark.parametrize("radius_m", [0.0, 100.0])
def test_budget_holds_and_route_matches_independent_check(terrain, budget_h, radius_m):
    z, graph = terrain
    risk = hotspot_risk()
    route = plan_route(graph, risk, start=(30, 35), budget_h=budget_h, radius_m=radius_m)
    cells = route.cells.tolist()
    assert cells[0] == [30, 35] and cells[-1] == [30, 35]
    assert route.duration_h <= budget_h
    hours, risk_sum, length_km = check_route(cells, z, risk, dx_rows=[CELL] * 60, dy=CELL, radius_m=radius_m)
    assert route.duration_h == pytest.approx(hours, rel=1e-9)
    assert route.covered_risk == pytest.approx(risk_sum, rel=1e-9)
    assert route.length_km == pytest.approx(length_km, rel=1e-9)
    assert route.covered_risk > 0


def test_start_and_end_are_honoured(terrain):
    _, graph = terrain
    route = plan_route(graph, hotspot_risk(), start=(5, 5), end=(50, 60), budget_h=2.0)
    assert route.cells[0].tolist() == [5, 5] and route.cells[-1].tolist() == [50, 60]
    steps = np.abs(np.diff(route.cells, axis=0)).max(axis=1)
    assert (steps == 1).all()


def test_more_time_covers_at_least_as_much(terrain):
    _, graph = terrain
    risk = hotspot_risk()
    short = plan_route(graph, risk, start=(30, 35), budget_h=1.0)
    long = plan_route(graph, risk, start=(30, 35), budget_h=3.0)
    assert long.covered_risk > short.covered_risk


def test_coverage_counts_each_cell_once():
    coverage = CoverageModel.build((3, 5), np.full(3, 10.0), 10.0, 10.0)
    risk = np.arange(15, dtype=np.float64).reshape(3, 5)
    there = np.array([[1, 1], [1, 2]])
    there_and_back = np.array([[1, 1], [1, 2], [1, 1], [1, 2], [1, 1]])
    # Disks of radius one cell around (1,1) and (1,2): the plus shapes overlap in two cells.
    expected = sum(risk[r, c] for r, c in [(0, 1), (1, 0), (1, 1), (1, 2), (2, 1), (0, 2), (1, 3), (2, 2)])
    assert covered_risk(there, risk, coverage) == expected == 52.0
    assert covered_risk(there_and_back, risk, coverage) == 52.0


def test_cliff_is_never_crossed_by_a_route():
    z = np.zeros((30, 30))
    z[:, 15:] = 200.0
    graph = build_terrain_graph(z, dx_m=CELL, dy_m=CELL)
    risk = np.zeros((30, 30))
    risk[:, 15:] = 10.0  # all the risk lies beyond the cliff
    risk[0, 0] = 1.0
    route = plan_route(graph, risk, start=(15, 5), budget_h=2.0, radius_m=0.0)
    assert route.cells[:, 1].max() < 15
    with pytest.raises(RoutePlanningError, match="cannot be reached"):
        plan_route(graph, risk, start=(15, 5), end=(15, 20), budget_h=2.0)


@pytest.mark.parametrize(
    ("start", "message"),
    [((-1, 3), "outside the 60x70 grid"), ((10, 70), "outside the 60x70 grid")],
)
def test_start_outside_grid_is_rejected(terrain, start, message):
    _, graph = terrain
    with pytest.raises(RoutePlanningError, match=message):
        plan_route(graph, hotspot_risk(), start=start, budget_h=1.0)


@pytest.mark.parametrize("budget", [0.0, -1.0, float("nan"), float("inf")])
def test_a_budget_that_is_not_a_positive_number_of_hours_is_rejected(terrain, budget):
    _, graph = terrain
    with pytest.raises(RoutePlanningError, match="time budget must be a positive number of hours"):
        plan_route(graph, hotspot_risk(), start=(30, 35), budget_h=budget)


def test_start_on_no_go_cell_is_rejected():
    z = rolling_terrain()
    no_go = np.zeros(z.shape, dtype=bool)
    no_go[10:20, 10:20] = True
    graph = build_terrain_graph(z, dx_m=CELL, dy_m=CELL, no_go=no_go)
    with pytest.raises(RoutePlanningError, match=r"start cell \(15, 15\) is impassable"):
        plan_route(graph, hotspot_risk(), start=(15, 15), budget_h=1.0)
    route = plan_route(graph, hotspot_risk(), start=(30, 30), budget_h=2.0)
    assert not no_go[route.cells[:, 0], route.cells[:, 1]].any()


def test_recent_patrols_push_the_route_elsewhere(terrain):
    _, graph = terrain
    risk = hotspot_risk()
    first = plan_route(graph, risk, start=(30, 35), budget_h=1.5)
    second = plan_route(graph, risk, start=(30, 35), budget_h=1.5, recent_coverage=first.covered.astype(float))
    overlap = (first.covered & second.covered).sum() / second.covered.sum()
    assert overlap < 0.5


def test_alternative_routes_overlap_little(terrain):
    _, graph = terrain
    routes = plan_alternative_routes(graph, hotspot_risk(), k=3, start=(30, 35), budget_h=0.75)
    assert len(routes) == 3
    for a in range(3):
        for b in range(a + 1, 3):
            shared = (routes[a].covered & routes[b].covered).sum()
            assert shared / routes[b].covered.sum() < 0.6  # the shared start area aside, little overlap


def test_multiday_route_keeps_each_day_within_its_hours(terrain):
    _, graph = terrain
    route = plan_multiday_route(graph, hotspot_risk(), days=2, hours_per_day=1.5, start=(30, 35))
    flat = _flat(graph, route.cells)
    assert route.day_ends[-1] == len(flat) - 1 and len(route.day_ends) <= 2
    bounds = [0] + route.day_ends
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        assert graph.path_hours(flat[a : b + 1]) <= 1.5
    assert route.duration_h > 1.5  # really uses the second day


def test_split_into_days_is_greedy():
    z = np.zeros((1, 5))
    graph = build_terrain_graph(z, dx_m=1000.0, dy_m=1000.0)
    step = 1.0 / (6 * math.exp(-3.5 * 0.05))
    ends = split_into_days(graph, np.arange(5), hours_per_day=2.5 * step)
    assert ends == [2, 4]


def test_exports_geojson_gpx_kml(terrain):
    _, graph = terrain
    route = plan_route(graph, hotspot_risk(), start=(30, 35), budget_h=1.0)
    grid = Grid.square(400_000.0, 3_800_000.0, CELL, hotspot_risk().shape)
    feature = json.loads(json.dumps(route_feature(route, grid=grid, srid=32611)))
    coords = feature["geometry"]["coordinates"]
    assert len(coords) == len(route.cells)
    assert -120 < coords[0][0] < -116 and 33 < coords[0][1] < 35  # UTM 11N, near Los Angeles
    assert feature["properties"]["cells"] == route.cells.tolist()
    assert 2 <= len(feature["properties"]["simplified"]["coordinates"]) <= len(coords)
    collection = route_feature_collection(route, grid=grid, srid=32611)
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert kinds[:2] == ["route", "route_simplified"] and kinds.count("waypoint") == len(route.waypoints)
    gpx = gpxpy.parse(route_gpx(route, grid=grid, srid=32611))
    assert len(gpx.tracks[0].segments[0].points) == len(route.cells)
    assert len(gpx.waypoints) == len(route.waypoints)
    kml = ET.fromstring(route_kml(route, grid=grid, srid=32611))
    line = kml.find(".//{http://www.opengis.net/kml/2.2}LineString/{http://www.opengis.net/kml/2.2}coordinates")
    assert len(line.text.split()) == len(route.cells)

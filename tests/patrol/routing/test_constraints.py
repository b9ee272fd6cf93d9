"""Routes through valleys that must be passed, around valleys to avoid, and the valleys a route passes
(pure: no database)."""

import numpy as np
import pytest

from patrol.routing.constraints import (
    ViaUnreachable,
    avoid_mask,
    plan_alternatives_via,
    plan_multiday_via,
    plan_route_via,
    valleys_passed,
)
from patrol.routing.planner import plan_route, split_into_days
from patrol.terrain.graph import build_terrain_graph
from tests.patrol.terrain.helpers import check_route, hotspot_risk, rolling_terrain

CELL = 30.0
START = (30, 20)


@pytest.fixture(scope="module")
def terrain():
    z = rolling_terrain()
    return z, build_terrain_graph(z, dx_m=CELL, dy_m=CELL)


def _block(rows, cols, shape=(60, 70)):
    mask = np.zeros(shape, dtype=bool)
    mask[rows[0] : rows[1], cols[0] : cols[1]] = True
    return mask


def _visits(route, mask):
    return bool(mask[route.cells[:, 0], route.cells[:, 1]].any())


FAR_CORNER = _block((2, 8), (60, 68))  # north-east, away from where the risk draws a free route
WEST_EDGE = _block((40, 50), (1, 5))


def test_a_route_passes_the_valley_it_must_and_keeps_its_budget(terrain):
    z, graph = terrain
    risk = hotspot_risk()
    free = plan_route(graph, risk, start=START, budget_h=2.0)
    assert not _visits(free, FAR_CORNER)  # the constraint, not the risk, takes the route there
    route = plan_route_via(graph, risk, start=START, budget_h=2.0, via_masks=[FAR_CORNER])
    assert _visits(route, FAR_CORNER)
    assert tuple(route.cells[0]) == START and tuple(route.cells[-1]) == START
    hours, covered, km = check_route([tuple(c) for c in route.cells.tolist()], z, risk, dx_rows=[CELL] * 60, dy=CELL,
                                     radius_m=100.0)  # fmt: skip
    assert route.duration_h <= 2.0
    assert hours == pytest.approx(route.duration_h, rel=1e-9)
    assert covered == pytest.approx(route.covered_risk, rel=1e-9)
    assert km == pytest.approx(route.length_km, rel=1e-9)
    assert route.covered_risk > 0


def test_several_valleys_are_passed_in_the_order_given(terrain):
    _z, graph = terrain
    route = plan_route_via(graph, hotspot_risk(), start=START, end=(30, 40), budget_h=3.0,
                           via_masks=[WEST_EDGE, FAR_CORNER])  # fmt: skip
    first = lambda mask: int(np.flatnonzero(mask[route.cells[:, 0], route.cells[:, 1]])[0])  # noqa: E731
    assert first(WEST_EDGE) < first(FAR_CORNER)
    assert tuple(route.cells[-1]) == (30, 40)
    assert route.duration_h <= 3.0


def test_a_valley_out_of_reach_is_named_by_its_index(terrain):
    _z, graph = terrain
    with pytest.raises(ViaUnreachable) as caught:
        plan_route_via(graph, hotspot_risk(), start=START, budget_h=0.3, via_masks=[WEST_EDGE, FAR_CORNER])
    assert caught.value.index in (0, 1)
    with pytest.raises(ViaUnreachable) as caught:
        plan_route_via(graph, hotspot_risk(), start=START, budget_h=0.3, via_masks=[FAR_CORNER])
    assert caught.value.index == 0


def test_without_valleys_it_is_the_plain_planner(terrain):
    _z, graph = terrain
    risk = hotspot_risk()
    a = plan_route_via(graph, risk, start=START, budget_h=1.5)
    b = plan_route(graph, risk, start=START, budget_h=1.5)
    assert np.array_equal(a.cells, b.cells) and a.covered_risk == b.covered_risk


def test_alternatives_and_expeditions_pass_the_valley_too(terrain):
    _z, graph = terrain
    ready = []
    routes = plan_alternatives_via(graph, hotspot_risk(), k=2, start=START, budget_h=2.0, via_masks=[FAR_CORNER],
                                   on_route=lambda i, r: ready.append(i))  # fmt: skip
    assert ready == [0, 1]
    assert all(_visits(r, FAR_CORNER) and r.duration_h <= 2.0 for r in routes)
    trip = plan_multiday_via(graph, hotspot_risk(), days=2, hours_per_day=1.5, start=START, via_masks=[FAR_CORNER])
    assert _visits(trip, FAR_CORNER)
    flat = trip.cells[:, 0] * graph.shape[1] + trip.cells[:, 1]
    assert split_into_days(graph, flat, 1.5) == trip.day_ends and len(trip.day_ends) <= 2


def test_avoided_cells_are_never_entered(terrain):
    z, _graph = terrain
    labels = np.zeros(z.shape, dtype=np.int64)
    labels[:, 25:28] = 7  # a valley across the whole grid, east of the start
    labels[10:12, 10:12] = 3
    blocked = avoid_mask(labels, [7])
    assert blocked.sum() == 60 * 3 and not blocked[10, 10]
    graph = build_terrain_graph(z, dx_m=CELL, dy_m=CELL, no_go=blocked)
    route = plan_route(graph, np.where(blocked, 0.0, hotspot_risk()), start=START, budget_h=2.0)
    assert not _visits(route, blocked)
    assert route.cells[:, 1].max() < 25  # the valley cuts the grid: everything east is out of reach
    assert not avoid_mask(labels, [7], keep=[(5, 26)])[5, 26]


def test_valleys_passed_in_the_order_entered():
    labels = np.zeros((10, 10), dtype=np.int64)
    labels[0, :] = 5
    labels[1, :] = 2
    labels[2, :3] = 9  # only three cells of it: passing by, not through
    cells = np.array([(1, c) for c in range(6)] + [(0, c) for c in range(6)] + [(2, 0), (2, 1), (2, 2)])
    assert valleys_passed(cells, labels) == [2, 5]
    assert valleys_passed(cells, labels, min_cells=3) == [2, 5, 9]
    assert valleys_passed(np.array([(5, 5)]), labels) == []

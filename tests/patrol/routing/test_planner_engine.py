"""The planner's engine pieces: region searches, compact trees, incremental gains, walks through hubs."""

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from patrol.routing.coverage import CoverageLedger, CoverageModel
from patrol.routing.dijkstra import Searcher
from patrol.routing.insertion import Planner
from patrol.routing.planner import DEFAULT_GAIN_POWERS, plan_route
from patrol.routing.search import SearchTree, _trace_backward
from patrol.terrain.graph import build_terrain_graph
from tests.patrol.terrain.helpers import check_route, hotspot_risk, rolling_terrain

CELL = 30.0


@pytest.fixture(scope="module")
def terrain():
    z = rolling_terrain()
    return z, build_terrain_graph(z, dx_m=CELL, dy_m=CELL)


def _planner(graph, risk, *, start, budget_h, search_cap_h=None):
    coverage = CoverageModel.build(graph.shape, graph.dx_rows, graph.dy_m, 100.0)
    s = start[0] * graph.shape[1] + start[1]
    return Planner(graph, risk, coverage, s, s, budget_h, 40_000, 1, search_cap_h, DEFAULT_GAIN_POWERS)


def test_searches_on_the_reachable_region_give_the_full_graph_times(terrain):
    _, graph = terrain
    start, budget = 30 * 70 + 35, 0.4
    d_start, _ = dijkstra(graph.forward, indices=start, limit=budget, return_predecessors=True)
    d_end, _ = dijkstra(graph.backward, indices=start, limit=budget, return_predecessors=True)
    region = np.flatnonzero(d_start + d_end <= budget)
    sub_of = np.full(graph.n_cells, -1)
    sub_of[region] = np.arange(len(region))
    sub = graph.forward[region][:, region]
    assert 0 < len(region) < graph.n_cells
    nodes, times, _ = Searcher(sub).run(int(sub_of[start]), budget)
    # Every shortest path to a region cell stays in the region: the same times to the last bit.
    assert sorted(nodes.tolist()) == list(range(len(region)))
    assert (times == d_start[region][nodes]).all()


@pytest.mark.parametrize("limit", [0.0, 0.1, 0.5, np.inf])
def test_the_searcher_finds_scipys_times_and_a_shortest_path_tree(terrain, limit):
    _, graph = terrain
    searcher = Searcher(graph.backward)
    source = 20 * 70 + 20
    for _ in range(2):  # the second search starts from the work arrays the first one reset
        nodes, times, pred = searcher.run(source, limit)
        want = dijkstra(graph.backward, indices=source, limit=limit)
        assert nodes[0] == source and times[0] == 0.0 and pred[0] == -1
        assert sorted(nodes.tolist()) == np.flatnonzero(np.isfinite(want)).tolist()
        assert (times == want[nodes]).all()
        assert (np.diff(times) >= 0).all()  # settled in order of time
        # Each node's time is its predecessor's plus the edge between them.
        edge = np.asarray(graph.backward[pred[1:], nodes[1:]]).ravel()
        at = {node: t for node, t in zip(nodes.tolist(), times.tolist(), strict=True)}
        assert (np.array([at[p] for p in pred[1:].tolist()]) + edge == times[1:]).all()


def test_a_source_outside_the_graph_is_refused_before_the_compiled_search(terrain):
    _, graph = terrain
    searcher = Searcher(graph.forward)
    for source in (-1, graph.n_cells):
        with pytest.raises(IndexError, match=f"source {source} is not a node"):
            searcher.run(source, 1.0)
    nodes, _, _ = searcher.run(0, 0.2)  # the work arrays were left as they were
    assert nodes[0] == 0 and len(nodes) == (dijkstra(graph.forward, indices=0, limit=0.2) < np.inf).sum()


def test_search_tree_keeps_the_paths_of_a_limited_search(terrain):
    _, graph = terrain
    root = 20 * 70 + 20
    dist, pred = dijkstra(graph.forward, indices=root, limit=0.3, return_predecessors=True)
    nodes, _, preds = Searcher(graph.forward).run(root, 0.3)
    tree = SearchTree(nodes, preds, root, backward=False)
    reached = np.flatnonzero(np.isfinite(dist))
    assert tree.size == len(reached)
    for cell in reached[::17].tolist():
        assert graph.path_hours(tree.path(cell)) == pytest.approx(dist[cell], rel=1e-12)
        assert tree.path(cell)[0] == root and tree.path(cell)[-1] == cell
        assert tree.reaches(cell)
    far = int(np.flatnonzero(~np.isfinite(dist))[0])
    assert not tree.reaches(far)
    bdist, bpred = dijkstra(graph.backward, indices=root, limit=0.3, return_predecessors=True)
    nodes, _, preds = Searcher(graph.backward).run(root, 0.3)
    btree = SearchTree(nodes, preds, root, backward=True)
    cell = int(np.flatnonzero(np.isfinite(bdist))[-1])
    assert len(btree.path(cell)) == len(_trace_backward(bpred, root, cell))
    assert btree.path(cell)[0] == cell and btree.path(cell)[-1] == root
    assert graph.path_hours(btree.path(cell)) == pytest.approx(bdist[cell], rel=1e-12)


def test_searches_on_two_threads_plan_the_route_one_thread_plans(terrain, monkeypatch):
    from patrol.routing import insertion

    _, graph = terrain
    risk = hotspot_risk()
    monkeypatch.setattr(insertion, "SEARCH_THREADS", 2)
    both = plan_route(graph, risk, start=(30, 35), budget_h=3.0, search_cap_h=0.1)
    monkeypatch.setattr(insertion, "SEARCH_THREADS", 1)
    one = plan_route(graph, risk, start=(30, 35), budget_h=3.0, search_cap_h=0.1)
    assert insertion.SEARCH_THREADS == 1 and both.cells.tolist() == one.cells.tolist()
    assert both.covered_risk == one.covered_risk


def test_incremental_gains_equal_a_full_recount(terrain):
    _, graph = terrain
    risk = hotspot_risk().ravel()
    coverage = CoverageModel.build(graph.shape, graph.dx_rows, graph.dy_m, 100.0)
    cand = np.flatnonzero(risk > 0)[::3]
    r, c = np.divmod(cand, graph.shape[1])
    dr, dc = coverage.offsets[0]
    rr, cc = r[:, None] + dr[None, :], c[:, None] + dc[None, :]
    inside = (rr >= 0) & (rr < graph.shape[0]) & (cc >= 0) & (cc < graph.shape[1])
    disk = np.where(inside, rr * graph.shape[1] + cc, graph.n_cells)
    cand_at = np.full(graph.n_cells, -1)
    cand_at[cand] = np.arange(len(cand))
    ledger = CoverageLedger(coverage, risk, disk, cand_at)
    legs = [np.arange(10 * 70 + 5, 10 * 70 + 40), np.arange(5, 55) * 70 + 30, np.arange(40 * 70, 40 * 70 + 69)]
    steps = [((), (0,)), ((), (1, 2)), ((0,), ()), ((1,), (0,)), ((2, 0), ())]
    on_route = []
    for removed, added in steps:
        ledger.change(removed=[legs[k] for k in removed], added=[legs[k] for k in added])
        on_route = [k for k in on_route if k not in removed] + list(added)
        counted = np.zeros(graph.n_cells, dtype=np.int32)
        for k in on_route:
            np.add.at(counted, coverage.disk_indices(legs[k]), 1)
        assert (ledger.count == counted).all()
        uncovered = np.append(np.where(counted > 0, 0.0, risk), 0.0)
        assert (ledger.gain == uncovered[disk].sum(axis=1)).all()  # bit for bit
        assert (ledger.covered == (counted > 0)).all()
    assert on_route == [] and (ledger.gain == np.append(risk, 0.0)[disk].sum(axis=1)).all()
    assert ledger.objective() == 0.0


def test_walks_through_hubs_take_the_times_the_planner_used(terrain):
    z, graph = terrain
    risk = hotspot_risk()
    planner = _planner(graph, risk, start=(30, 35), budget_h=3.0, search_cap_h=0.1)
    planner.run()
    checked = 0
    for waypoint, via in planner.fvia.items():
        if via is None:
            continue
        for pos in np.flatnonzero((via[0] >= 0) & np.isfinite(planner.fwd[waypoint]))[::7].tolist():
            cell = int(planner.cand[pos])
            walk = planner._walk_from(waypoint, cell)
            assert walk[0] == waypoint and walk[-1] == cell
            assert graph.path_hours(walk) == pytest.approx(planner.fwd[waypoint][pos], rel=1e-9)
            checked += 1
    for waypoint, via in planner.bvia.items():
        if via is None:
            continue
        for pos in np.flatnonzero((via[0] >= 0) & np.isfinite(planner.bwd[waypoint]))[::7].tolist():
            cell = int(planner.cand[pos])
            walk = planner._walk_to(waypoint, cell)
            assert walk[0] == cell and walk[-1] == waypoint
            assert graph.path_hours(walk) == pytest.approx(planner.bwd[waypoint][pos], rel=1e-9)
            checked += 1
    assert checked > 20  # hubs were used, so the check could fail


def test_a_plan_with_hubs_keeps_the_budget_and_matches_the_independent_check(terrain):
    z, graph = terrain
    risk = hotspot_risk()
    route = plan_route(graph, risk, start=(30, 35), budget_h=3.0, search_cap_h=0.1)
    hours, risk_sum, _ = check_route(route.cells.tolist(), z, risk, dx_rows=[CELL] * 60, dy=CELL, radius_m=100.0)
    assert route.duration_h <= 3.0
    assert route.duration_h == pytest.approx(hours, rel=1e-9)
    assert route.covered_risk == pytest.approx(risk_sum, rel=1e-9)
    assert (np.abs(np.diff(route.cells, axis=0)).max(axis=1) == 1).all()


def test_the_region_graphs_are_the_extracted_subgraphs(terrain):
    _, graph = terrain
    planner = _planner(graph, hotspot_risk(), start=(30, 35), budget_h=0.4)
    region = np.flatnonzero(np.arange(graph.n_cells) % 3 != 0)
    planner._restrict_to(region)
    for got, full in ((planner.sub_forward, graph.forward), (planner.sub_backward, graph.backward)):
        want = full[region][:, region]
        assert (got.indptr == want.indptr).all() and (got.indices == want.indices).all()
        assert (np.asarray(got.data) == want.data).all()


def test_a_round_trip_searches_less_than_its_budget_and_plans_the_same_route(terrain):
    _, graph = terrain
    risk = hotspot_risk()
    planner = _planner(graph, risk, start=(30, 35), budget_h=3.0)
    assert planner._full_search_reach() == pytest.approx(3.0 * graph.reverse_ratio / (1 + graph.reverse_ratio))
    shortened = plan_route(graph, risk, start=(30, 35), budget_h=3.0)
    unbounded = build_terrain_graph(terrain[0], dx_m=CELL, dy_m=CELL)
    unbounded.reverse_ratio = np.inf  # as for a graph with one-way edges: the searches go the whole budget
    assert _planner(unbounded, risk, start=(30, 35), budget_h=3.0)._full_search_reach() == pytest.approx(3.0)
    full = plan_route(unbounded, risk, start=(30, 35), budget_h=3.0)
    assert (shortened.cells == full.cells).all()
    assert shortened.covered_risk == full.covered_risk

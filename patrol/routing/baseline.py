"""Reference planner: OR-Tools prize-collecting routing over hotspot targets.

Used by benchmarks/bench_route_quality.py to judge patrol/routing.py. Targets are the strongest
hotspots (local maxima of risk within the detection radius, non-overlapping disks); travel
times between them are grid shortest paths on the TerrainGraph; OR-Tools chooses which targets
to visit (each has a disjunction whose penalty is its risk) under the time budget with guided
local search; the route is then stitched from the grid shortest paths and scored with the same
coverage model as the main planner. Needs ``ortools`` (not a runtime dependency).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.ndimage as ndi
from scipy.sparse.csgraph import dijkstra

from patrol.routing.planner import CoverageModel, RouteResult, _trace, _validate_cell, describe_route
from patrol.terrain.graph import TerrainGraph

_SECONDS = 3600.0


def hotspot_targets(disk_risk: np.ndarray, reachable: np.ndarray, *, count: int, separation_cells: int) -> np.ndarray:
    """Flat indices of up to ``count`` hotspot peaks, at least ``separation_cells`` apart."""
    peaks = ndi.maximum_filter(disk_risk, size=2 * separation_cells + 1, mode="constant")
    is_peak = (disk_risk >= peaks) & (disk_risk > 0) & reachable
    flat = np.flatnonzero(is_peak.ravel())
    order = np.argsort(-disk_risk.ravel()[flat], kind="stable")
    return flat[order[:count]]


def plan_route_ortools(
    graph: TerrainGraph,
    risk: np.ndarray,
    *,
    start: tuple[int, int],
    end: tuple[int, int] | None = None,
    budget_h: float,
    radius_m: float = 100.0,
    n_targets: int = 60,
    time_limit_s: float = 10.0,
) -> RouteResult:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    risk = np.nan_to_num(np.asarray(risk, dtype=np.float64), nan=0.0).clip(min=0.0)
    s = _validate_cell(graph, start, "start")
    e = s if end is None else _validate_cell(graph, end, "end")
    coverage = CoverageModel.build(graph.shape, graph.dx_rows, graph.dy_m, radius_m)
    disk_risk = coverage.disk_sums(risk)
    d_s = dijkstra(graph.forward, indices=s, limit=budget_h)
    d_e = dijkstra(graph.backward, indices=e, limit=budget_h)
    reachable = (d_s + d_e <= budget_h).reshape(graph.shape)
    separation = max(1, round(2 * radius_m / min(graph.dy_m, float(graph.dx_rows.min()))))
    targets = hotspot_targets(disk_risk, reachable, count=n_targets, separation_cells=separation)
    nodes = [s] + [int(t) for t in targets if t not in (s, e)] + ([e] if e != s else [])
    dists, preds = dijkstra(graph.forward, indices=nodes, limit=budget_h, return_predecessors=True)
    # Ceil to whole seconds: stitched grid paths can then never exceed the budget.
    times = np.ceil(np.where(np.isfinite(dists[:, nodes]), dists[:, nodes], 10 * budget_h) * _SECONDS).astype(np.int64)
    n = len(nodes)
    end_node = n - 1 if e != s else 0
    manager = pywrapcp.RoutingIndexManager(n, 1, [0], [end_node])
    routing = pywrapcp.RoutingModel(manager)

    def transit(i, j):
        return int(times[manager.IndexToNode(i), manager.IndexToNode(j)])

    callback = routing.RegisterTransitCallback(transit)
    routing.SetArcCostEvaluatorOfAllVehicles(callback)
    routing.AddDimension(callback, 0, int(math.floor(budget_h * _SECONDS)), True, "time")
    prize_scale = 1e7 / max(disk_risk.ravel()[nodes].max(), 1e-12)
    for k in range(1, n):
        if k == end_node:
            continue
        routing.AddDisjunction([manager.NodeToIndex(k)], int(disk_risk.ravel()[nodes[k]] * prize_scale))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    solution = routing.SolveWithParameters(params)
    order = [0]
    if solution is not None:
        index = routing.Start(0)
        order = []
        while not routing.IsEnd(index):
            order.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        order.append(manager.IndexToNode(index))
    else:
        order = [0, end_node]
    pieces = [np.array([nodes[order[0]]])]
    for a, b in zip(order[:-1], order[1:], strict=True):
        if nodes[a] == nodes[b]:
            continue
        pieces.append(_trace(preds[a], nodes[a], nodes[b])[1:])
    path = np.concatenate(pieces)
    cols = graph.shape[1]
    visited = [nodes[k] for k in order[1:-1]]
    return describe_route(
        graph, path, risk, coverage, budget_h=budget_h,
        waypoints=np.array([divmod(v, cols) for v in visited], dtype=np.int64).reshape(-1, 2),
        waypoint_gain=disk_risk.ravel()[visited],
    )  # fmt: skip

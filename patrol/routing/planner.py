"""Patrol route planning: cover the most snare risk within a walking-time budget.

The problem is an orienteering problem with coverage: a route (start -> end over 8-neighbour
steps of a TerrainGraph) covers every cell whose centre lies within the detection radius of a
visited cell's centre, and scores the risk of covered cells once each.

Method (see docs/adr/0002): greedy insertion of waypoints, where the candidate set is a lattice
over all cells reachable within the budget and the insertion cost of every candidate on every
route segment is read from one forward and one backward Dijkstra per waypoint (scipy.sparse);
gains are re-evaluated against the true current coverage after each insertion. Then segments are
re-routed over a risk-discounted graph (so legs between waypoints bend through uncovered risk)
and the freed or left-over time is refilled by insertion again. The engine is `insertion.Planner`
(how its searches are kept short: its docstring and ADR 0002); coverage in `coverage.py`.

Pure numerical module: arrays in, arrays and dataclasses out.
"""

from __future__ import annotations

import numpy as np

from patrol.routing.coverage import (  # noqa: F401  (re-exported: the planner's public names)
    CoverageModel,
    RouteResult,
    covered_risk,
    describe_route,
    horizontal_distance_steps,
)
from patrol.routing.insertion import REROUTE_DISCOUNT, Planner  # noqa: F401
from patrol.routing.search import RoutePlanningError, _trace, _trace_backward  # noqa: F401
from patrol.terrain.graph import TerrainGraph

DEFAULT_DETECTION_RADIUS_M = 100.0
MAX_CANDIDATES = 40_000
# Insertion score = gain ** power / extra time. Power 1 (the textbook ratio) crawls through
# weak nearby risk; higher powers reach for strong hotspots first. Measured on the quality
# benchmark: 0.87x the OR-Tools reference at power 1, 1.4-1.8x at 3-6; no single power wins on
# every instance, so the planner runs each and keeps the best route.
DEFAULT_GAIN_POWERS: tuple[float, ...] = (3.0, 6.0)


def _validate_cell(graph: TerrainGraph, cell: tuple[int, int], what: str) -> int:
    r, c = int(cell[0]), int(cell[1])
    rows, cols = graph.shape
    if not (0 <= r < rows and 0 <= c < cols):
        raise RoutePlanningError(f"{what} cell ({r}, {c}) is outside the {rows}x{cols} grid")
    if not graph.passable[r, c] or graph.slot_mask[r * cols + c] == 0:
        raise RoutePlanningError(f"{what} cell ({r}, {c}) is impassable (nodata, no-go or enclosed by cliffs)")
    return r * cols + c


def plan_route(
    graph: TerrainGraph,
    risk: np.ndarray,
    *,
    start: tuple[int, int],
    end: tuple[int, int] | None = None,
    budget_h: float,
    radius_m: float = DEFAULT_DETECTION_RADIUS_M,
    recent_coverage: np.ndarray | None = None,
    max_candidates: int = MAX_CANDIDATES,
    reroute_passes: int = 1,
    search_cap_h: float | None = None,
    gain_powers: tuple[float, ...] = DEFAULT_GAIN_POWERS,
    coverage: CoverageModel | None = None,
    search_cache: dict | None = None,
) -> RouteResult:
    """Plan a route from ``start`` to ``end`` (default: back to start) covering the most risk.

    ``risk`` is on the graph's grid (NaN and negatives count as 0). ``recent_coverage`` in
    [0, 1] per cell (1 = patrolled yesterday) discounts risk there by that fraction so routes
    favour cells nobody looked at recently; ``covered_risk`` is reported on the discounted risk.
    ``search_cache``: a dict kept by the caller across plans on the same graph (searches from posts).
    """
    if not 0 < budget_h < float("inf"):  # NaN too
        raise RoutePlanningError("time budget must be a positive number of hours")
    risk = np.asarray(risk, dtype=np.float64)
    if risk.shape != graph.shape:
        raise RoutePlanningError(f"risk grid {risk.shape} differs from the terrain grid {graph.shape}")
    risk = np.nan_to_num(risk, nan=0.0).clip(min=0.0)
    if recent_coverage is not None:
        risk = risk * (1.0 - np.clip(np.asarray(recent_coverage, dtype=np.float64), 0.0, 1.0))
    s = _validate_cell(graph, start, "start")
    e = s if end is None else _validate_cell(graph, end, "end")
    if coverage is None:
        coverage = CoverageModel.build(graph.shape, graph.dx_rows, graph.dy_m, radius_m)
    planner = Planner(graph, risk, coverage, s, e, budget_h, max_candidates, reroute_passes, search_cap_h, gain_powers,
                       search_cache)  # fmt: skip
    path, chosen, gains = planner.run()
    cols = graph.shape[1]
    order = {cell: k for k, cell in enumerate(path.tolist())}
    ranked = sorted(zip(chosen, gains, strict=True), key=lambda cg: order.get(cg[0], 0))
    waypoints = np.array([divmod(c, cols) for c, _ in ranked], dtype=np.int64).reshape(-1, 2)
    result = describe_route(
        graph, path, risk, coverage, budget_h=budget_h, waypoints=waypoints,
        waypoint_gain=np.array([g for _, g in ranked]),
    )  # fmt: skip
    result.day_ends = [len(path) - 1]
    return result


def plan_alternative_routes(
    graph: TerrainGraph,
    risk: np.ndarray,
    *,
    k: int,
    overlap_discount: float = 0.8,
    plan=plan_route,
    on_route=None,
    **kwargs,
) -> list[RouteResult]:
    """``k`` routes (each planned with ``plan``) that overlap little: each later route sees the risk of cells
    covered by the earlier ones reduced by ``overlap_discount`` (``covered_risk`` on ``risk``); then on_route."""
    risk = np.nan_to_num(np.asarray(risk, dtype=np.float64), nan=0.0).clip(min=0.0)
    seen = np.zeros(graph.shape, dtype=bool)
    routes = []
    for i in range(k):
        route = plan(graph, np.where(seen, risk * (1.0 - overlap_discount), risk), **kwargs)
        route.covered_risk = float(risk[route.covered].sum())
        seen |= route.covered
        routes.append(route)
        if on_route is not None:
            on_route(i, route)
    return routes


def split_into_days(graph: TerrainGraph, path: np.ndarray, hours_per_day: float) -> list[int]:
    """Greedy camp placement: walk each day as far as possible within ``hours_per_day``.

    Returns the path index where each day ends (the last one is the route end). Greedy is
    optimal for the number of days along a fixed path.
    """
    steps = graph.step_hours(path[:-1], path[1:])
    ends, day = [], 0.0
    for k, h in enumerate(steps.tolist()):
        if h > hours_per_day:
            raise RoutePlanningError("a single step is longer than a day")
        if day + h > hours_per_day:
            ends.append(k)
            day = 0.0
        day += h
    ends.append(len(path) - 1)
    return ends


def plan_multiday_route(
    graph: TerrainGraph,
    risk: np.ndarray,
    *,
    days: int,
    hours_per_day: float,
    plan=plan_route,
    **kwargs,
) -> RouteResult:
    """A patrol of ``days`` days of at most ``hours_per_day`` walking, camping anywhere.

    Plans one route for the whole time (with ``plan``, e.g. constraints.plan_route_via) then places camps
    greedily; if the day boundaries waste too much time, the budget shrinks and the route is planned again.
    """
    budget = days * hours_per_day
    for _ in range(8):
        route = plan(graph, risk, budget_h=budget, **kwargs)
        flat = route.cells[:, 0] * graph.shape[1] + route.cells[:, 1]
        ends = split_into_days(graph, flat, hours_per_day)
        if len(ends) <= days:
            route.day_ends = ends
            route.budget_h = days * hours_per_day
            return route
        budget -= 0.5 * max(route.duration_h - (days - 0.5) * hours_per_day, hours_per_day / 20)
    raise RoutePlanningError("could not fit the route into the given days")

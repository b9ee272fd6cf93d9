"""Routes that must pass through given valleys, and the valleys a route passes.

The planner (planner.py) covers the most risk between a start and an end. A route that must pass
through valleys is planned here as legs start -> via_1 -> ... -> end: each via is the cell of its
valley (a boolean mask) with the most risk within the detection radius among those the route can
still afford to reach, each leg is a `plan_route` with its shortest time plus an equal share of the
slack (time a leg leaves unused passes to the next), and later legs see the cells covered by earlier
legs as covered already. A valley to avoid is handled before the graph is built: its cells are
impassable (like a no-go zone) and count no risk (see `avoid_mask`).

Pure numerical module: arrays in, arrays and RouteResults out.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import dijkstra

from patrol.routing.planner import (
    DEFAULT_DETECTION_RADIUS_M,
    CoverageModel,
    RoutePlanningError,
    RouteResult,
    describe_route,
    plan_alternative_routes,
    plan_multiday_route,
    plan_route,
)
from patrol.terrain.graph import TerrainGraph

# Of the time left, the share a via may take to reach and leave (the rest is for covering risk).
VIA_DETOUR_SHARE = 0.6
# A route passes a valley when it walks at least this many cells of it.
MIN_CELLS_IN_VALLEY = 4


class ViaUnreachable(RoutePlanningError):
    """A valley that must be passed cannot be reached (and left for the end) within the budget."""

    def __init__(self, index: int) -> None:
        super().__init__(f"must-pass valley #{index} cannot be reached within the time budget")
        self.index = index


def avoid_mask(labels: np.ndarray, reach_ids: list[int], *, keep: list[tuple[int, int]] = ()) -> np.ndarray:
    """Cells labelled with any of ``reach_ids`` (a reach-label grid, 0 = no reach), except ``keep``."""
    mask = np.isin(np.asarray(labels, dtype=np.int64), np.asarray(list(reach_ids), dtype=np.int64))
    for r, c in keep:
        mask[r, c] = False
    return mask


def valleys_passed(cells_rc: np.ndarray, labels: np.ndarray, *, min_cells: int = MIN_CELLS_IN_VALLEY) -> list[int]:
    """Reach labels a route walks through (at least ``min_cells`` of its cells), in the order it enters them."""
    cells_rc = np.asarray(cells_rc, dtype=np.int64).reshape(-1, 2)
    seq = np.asarray(labels, dtype=np.int64)[cells_rc[:, 0], cells_rc[:, 1]]
    seq = seq[seq > 0]
    if seq.size == 0:
        return []
    ids, first, counts = np.unique(seq, return_index=True, return_counts=True)
    keep = counts >= min_cells
    return [int(i) for i in ids[keep][np.argsort(first[keep])]]


def _flat(graph: TerrainGraph, cell: tuple[int, int]) -> int:
    return int(cell[0]) * graph.shape[1] + int(cell[1])


def _choose_vias(graph, disk_risk, masks, s, e, budget) -> list[int]:
    """One cell per valley mask, in the order the masks come, each reachable with time to spare."""
    d_end = dijkstra(graph.backward, indices=e, limit=budget)
    vias: list[int] = []
    current, used = s, 0.0
    for index, mask in enumerate(masks):
        d_cur = dijkstra(graph.forward, indices=current, limit=budget - used)
        inside = np.flatnonzero(np.asarray(mask, dtype=bool).ravel() & graph.passable.ravel())
        reach = d_cur[inside] + d_end[inside]
        ok = np.isfinite(reach) & (used + reach <= budget)
        if not ok.any():
            raise ViaUnreachable(index)
        affordable = ok & (used + reach <= used + VIA_DETOUR_SHARE * (budget - used))
        pick = affordable if affordable.any() else ok
        candidates = inside[pick]
        score = disk_risk[candidates] - 1e-9 * reach[pick]  # most risk, then the shorter detour
        via = int(candidates[int(np.argmax(score))])
        used += float(d_cur[via])
        vias.append(via)
        current = via
    return vias


def plan_route_via(
    graph: TerrainGraph,
    risk: np.ndarray,
    *,
    start: tuple[int, int],
    end: tuple[int, int] | None = None,
    budget_h: float,
    via_masks: list[np.ndarray] = (),
    radius_m: float = DEFAULT_DETECTION_RADIUS_M,
    recent_coverage: np.ndarray | None = None,
    **kwargs,
) -> RouteResult:
    """`plan_route`, passing through a cell of each boolean mask in ``via_masks`` in that order.

    Raises ViaUnreachable (with the mask's index) when a valley cannot be reached in the budget."""
    if not len(via_masks):
        return plan_route(graph, risk, start=start, end=end, budget_h=budget_h, radius_m=radius_m,
                          recent_coverage=recent_coverage, **kwargs)  # fmt: skip
    if not 0 < budget_h < float("inf"):  # NaN too
        raise RoutePlanningError("time budget must be a positive number of hours")
    risk = np.nan_to_num(np.asarray(risk, dtype=np.float64), nan=0.0).clip(min=0.0)
    if recent_coverage is not None:
        risk = risk * (1.0 - np.clip(np.asarray(recent_coverage, dtype=np.float64), 0.0, 1.0))
    coverage = kwargs.pop("coverage", None) or CoverageModel.build(graph.shape, graph.dx_rows, graph.dy_m, radius_m)
    end = start if end is None else end
    s, e = _flat(graph, start), _flat(graph, end)
    vias = _choose_vias(graph, coverage.disk_sums(risk).ravel(), via_masks, s, e, budget_h)
    stops = [s, *vias, e]
    shortest = []
    for a, b in zip(stops[:-1], stops[1:], strict=True):
        d = dijkstra(graph.forward, indices=a, limit=budget_h)
        shortest.append(float(d[b]))
    slack = max(budget_h - sum(shortest), 0.0) / len(shortest)
    cols = graph.shape[1]
    seen = np.zeros(graph.shape)
    path: list[np.ndarray] = []
    waypoints, gains = [], []
    carried = 0.0
    for (a, b), base in zip(zip(stops[:-1], stops[1:], strict=True), shortest, strict=True):
        leg_budget = base + slack + carried
        leg = plan_route(graph, risk, start=divmod(a, cols), end=divmod(b, cols), budget_h=leg_budget,
                         radius_m=radius_m, recent_coverage=seen, coverage=coverage, **kwargs)  # fmt: skip
        carried = max(leg_budget - leg.duration_h, 0.0)
        seen = np.maximum(seen, leg.covered)
        flat = leg.cells[:, 0] * cols + leg.cells[:, 1]
        path.append(flat if not path else flat[1:])
        waypoints.extend(leg.waypoints.tolist() + ([list(divmod(b, cols))] if b != e else []))
        gains.extend(leg.waypoint_gain.tolist() + ([0.0] if b != e else []))
    route = describe_route(graph, np.concatenate(path), risk, coverage, budget_h=budget_h,
                           waypoints=np.array(waypoints, dtype=np.int64).reshape(-1, 2),
                           waypoint_gain=np.array(gains))  # fmt: skip
    route.day_ends = [len(route.cells) - 1]
    return route


def plan_alternatives_via(graph: TerrainGraph, risk: np.ndarray, *, k: int, **kwargs) -> list[RouteResult]:
    """``k`` routes that overlap little (planner.plan_alternative_routes), each through the vias;
    ``on_route(i, route)`` is called as each is ready (to show routes while the others compute)."""
    return plan_alternative_routes(graph, risk, k=k, plan=plan_route_via, **kwargs)


def plan_multiday_via(graph: TerrainGraph, risk: np.ndarray, *, days: int, hours_per_day: float,
                      **kwargs) -> RouteResult:  # fmt: skip
    """A route of ``days`` days (as planner.plan_multiday_route), through the vias."""
    return plan_multiday_route(graph, risk, days=days, hours_per_day=hours_per_day, plan=plan_route_via, **kwargs)

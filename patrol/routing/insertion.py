"""The greedy insertion engine behind ``planner.plan_route`` (the method is in the planner's docstring).

Where the time goes on large grids is the searches from each new waypoint (a forward and a backward
Dijkstra over the region a route can reach). They are kept short three ways: they reach at most
LEG_CAP_SHARE of the budget past the waypoint's reach (a long leg to the next waypoint is traced from
that waypoint's own search); a waypoint next to a hub (a waypoint that did the full search) searches
only its neighbourhood and reaches further candidates by walking through the hub, an upper bound that
comes with its path, so a chosen insertion still fits the budget; and a search done for one gain power
serves the other. The searches themselves (`dijkstra.Searcher`) cost what they reach, not the region's
size, and a waypoint's forward and backward searches run at the same time on two cores. Candidates' gains
are kept incrementally (`coverage.CoverageLedger`).

Pure numerical module: arrays in, arrays out.
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import scipy.ndimage as ndi
import scipy.sparse as sp

from patrol.routing.coverage import CoverageLedger, add_at
from patrol.routing.dijkstra import Searcher, subgraph
from patrol.routing.search import RoutePlanningError, SearchTree

# How strongly re-routed legs are drawn through uncovered risk (0 = plain shortest paths).
REROUTE_DISCOUNT = 0.6
# Safety margin so float round-off in summing edge times can never push a route over budget.
_BUDGET_SLACK_REL = 1e-9
# A new waypoint's searches reach past its reach by at most this share of the budget (1.5 h of 8 h),
# not by the whole leg to the next waypoint: the leg is then traced from that waypoint's own search.
# Measured: the same covered risk on the 12 quality instances, the same or more on the 9 Big Tujunga
# plans of bench_route_plan; at 0.156 one quality instance lost 6 %, at 0.09 a Big Tujunga plan 8 %.
LEG_CAP_SHARE = 0.1875
# Hubs (see Planner._searches_of): a waypoint within HUB_SHARE * search_cap of a hub searches only
# NEAR_SHARE * search_cap and walks through the hub beyond. Measured like LEG_CAP_SHARE: 0.2 and 2 keep
# every instance's covered risk; a hub radius of 1/3 lost 3 % on one Big Tujunga plan.
HUB_SHARE = 0.2
NEAR_SHARE = 2.0
# A waypoint's forward and backward searches are independent and release the GIL: on two cores or more
# they run at the same time.
SEARCH_THREADS = 2 if (os.cpu_count() or 1) > 1 else 1


def _power(x: np.ndarray, p: float) -> np.ndarray:
    """x ** p; by multiplications for a small whole p (the gain powers 3 and 6), 20x faster than pow on the
    40,000 candidates the insertion loop scores once per waypoint."""
    if p != int(p) or not 1 <= p <= 8:
        return x**p
    out, base, k = None, x, int(p)
    while k:
        if k & 1:
            out = base if out is None else out * base
        k >>= 1
        if k:
            base = base * base
    return out


def warm_up() -> float:
    """Load (or, the first time on a machine, compile) the planner's compiled code; returns the seconds it
    took. A process pays this once, at its first plan: benchmarks call it first so plans are timed as in a
    worker that has planned before."""
    started = time.perf_counter()
    pair = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    nodes, _, preds = Searcher(subgraph(pair, np.arange(2), np.arange(2))).run(0, np.inf)
    SearchTree(nodes, preds, 0, backward=False).path(1)
    add_at(np.zeros(2, dtype=np.int32), np.arange(2), 1)
    return time.perf_counter() - started


class Planner:
    """State of one planning run."""

    def __init__(
        self, graph, risk, coverage, start, end, budget_h, max_candidates, reroute_passes, search_cap_h, gain_powers,
        search_cache=None,
    ):  # fmt: skip
        self.graph = graph
        self.search_cache = search_cache
        self.coverage = coverage
        self.n = graph.n_cells
        self.risk_flat = np.nan_to_num(np.asarray(risk, dtype=np.float64), nan=0.0).ravel().clip(min=0.0)
        self.start, self.end = start, end
        self.budget = budget_h * (1.0 - _BUDGET_SLACK_REL)
        self.max_candidates = max_candidates
        self.reroute_passes = reroute_passes
        self.gain_powers = gain_powers
        self.search_cap = search_cap_h if search_cap_h is not None else max(0.25, budget_h / 24.0)
        self.leg_cap = LEG_CAP_SHARE * budget_h
        self._searches: dict = {}  # (cell, backward) -> (limit, times over candidates, tree), this plan only
        self._pool = None  # a thread for the second of two searches, while run() runs

    # searches -------------------------------------------------------------------------
    def _both(self, forward, backward):
        """Run two independent searches (callables), the second on the pool's thread when there is one."""
        if self._pool is None:
            return forward(), backward()
        try:
            later = self._pool.submit(backward)
        except RuntimeError:  # no thread to be had (near the worker's address-space cap): one after the other
            return forward(), backward()
        return forward(), later.result()

    def _full_searches(self, limit: float):
        """The whole graph's Dijkstra from the start and to the end, which find the region, side by side."""
        return self._both(partial(self._full_search, self.start, False, limit),
                          partial(self._full_search, self.end, True, limit))  # fmt: skip

    def _full_search(self, source: int, backward: bool, limit: float):
        """(times over all cells, inf where not reached; the search's tree). Independent of the risk, so
        cached across plans from the same posts when a cache is given (a wider one serves)."""
        cache = self.search_cache
        hit = cache.get((source, backward)) if cache is not None else None
        if hit is not None and hit[0] >= limit:
            return hit[1], hit[2]
        matrix = self.graph.backward if backward else self.graph.forward
        nodes, times, pred = Searcher(matrix).run(source, limit)
        dist = np.full(self.n, np.inf)
        dist[nodes] = times
        tree = SearchTree(nodes, pred, source, backward=backward)
        if cache is not None:
            cache[(source, backward)] = (limit, dist, tree)
        return dist, tree

    def _restrict_to(self, region: np.ndarray) -> None:
        """Later searches run on the subgraph of the cells with d(start, x) + d(x, end) within the budget:
        every route that fits the budget lies in it, so routes are the same, and scipy's Dijkstra pays
        O(cells) per call however short the search. Independent of the risk, so cached like the searches."""
        key = ("region", self.start, self.end, self.budget)
        cached = self.search_cache.get(key) if self.search_cache is not None else None
        if cached is None:
            sub_of = np.full(self.n, -1, dtype=np.int64)
            sub_of[region] = np.arange(len(region))
            forward, backward = self._both(
                lambda: subgraph(self.graph.forward, region, sub_of),
                lambda: subgraph(self.graph.backward, region, sub_of),
            )
            cached = (region, sub_of, forward, backward)
            if self.search_cache is not None:
                self.search_cache[key] = cached
        self.region, self.sub_of, self.sub_forward, self.sub_backward = cached  # region: full-grid index per node
        # Searchers keep work arrays over the region: one per direction, so the two can run at once.
        self.searchers = {False: Searcher(self.sub_forward), True: Searcher(self.sub_backward)}

    def _full_search_reach(self) -> float:
        """How far the searches from the start and to the end must go to find every cell a route can visit.

        A route A -> x -> B fits only if d(A, x) + d(x, B) <= budget. For a round trip, d(x, A) >= d(A, x) / r
        (r: the graph's reverse_ratio), so d(A, x) <= budget * r / (1 + r): 0.59 of the budget on Tobler's
        slopes, about a third fewer cells searched on Big Tujunga. Other trips search the whole budget."""
        ratio = self.graph.reverse_ratio
        if self.start != self.end or not math.isfinite(ratio):
            return self.budget
        return self.budget * ratio / (1.0 + ratio) * (1.0 + 1e-9)

    def _waypoint_search(self, cell: int, *, backward: bool, limit: float):
        """Times over the candidates from (or to) a waypoint within ``limit`` (infinite beyond), and the
        search's tree; a wider search from the same cell earlier in this plan serves, cut at ``limit``."""
        hit = self._searches.get((cell, backward))
        if hit is None or hit[0] < limit:
            s = int(self.sub_of[cell])
            nodes, times, pred = self.searchers[backward].run(s, limit)
            tree = SearchTree(nodes, pred, s, backward=backward, to_full=self.region,
                                           of_full=self.sub_of)  # fmt: skip
            at = self.cand_of_sub[nodes]
            on_cand = at >= 0
            cand_times = np.full(len(self.cand), np.inf)
            cand_times[at[on_cand]] = times[on_cand]
            hit = (limit, cand_times, tree)
            self._searches[(cell, backward)] = hit
        times = hit[1] if hit[0] == limit else np.where(hit[1] <= limit, hit[1], np.inf)
        return times, hit[2]

    # the run ----------------------------------------------------------------------------
    def run(self) -> tuple[np.ndarray, list[int], list[float]]:
        if SEARCH_THREADS < 2:
            return self._run()
        with ThreadPoolExecutor(max_workers=1) as pool:
            self._pool = pool
            try:
                return self._run()
            finally:
                self._pool = None

    def _run(self) -> tuple[np.ndarray, list[int], list[float]]:
        (d_start, self.start_tree), (d_end, self.end_tree) = self._full_searches(self._full_search_reach())
        if not np.isfinite(d_start[self.end]) or d_start[self.end] > self.budget:
            raise RoutePlanningError(f"the end cell cannot be reached from the start within {self.budget:.2f} h")
        feasible = np.flatnonzero(d_start + d_end <= self.budget)
        self._restrict_to(feasible)
        self._choose_candidates(feasible)
        self.d_start = (d_start[self.cand], float(d_start[self.start]), float(d_start[self.end]))
        self.d_end = (d_end[self.cand], float(d_end[self.start]), float(d_end[self.end]))
        first_leg = self.start_tree.path(self.end)
        best = None
        for power in self.gain_powers:
            self._reset(first_leg)
            self.gain_power = power
            self._insert_loop()
            if best is None or self.objective() > best[0]:
                best = (self.objective(), self._snapshot())
        self._restore(best[1])
        for _ in range(self.reroute_passes):
            if not self._reroute_pass():
                break
            self._insert_loop()
        path = np.concatenate([self.seg_path[0]] + [p[1:] for p in self.seg_path[1:]])
        return path, self.chosen, self.chosen_gain

    def objective(self) -> float:
        return self.ledger.objective()

    def _reset(self, first_leg: np.ndarray) -> None:
        s, e = self.start, self.end
        self.route = [s, e]
        self.fwd, self.bwd = {s: self.d_start[0]}, {e: self.d_end[0]}
        self.ftree, self.btree = {s: self.start_tree}, {e: self.end_tree}
        self.fvia, self.bvia = {}, {}
        self.fhubs, self.bhubs = [s], [e]
        if s == e:
            self.fwd[e], self.bwd[s] = self.d_start[0], self.d_end[0]
            self.ftree[e], self.btree[s] = self.start_tree, self.end_tree
        self.seg_path = [first_leg]
        self.seg_time = [self.graph.path_hours(first_leg)]
        self.ledger = CoverageLedger(self.coverage, self.risk_flat, self.cand_disk, self.cand_at)
        self.ledger.change(added=[first_leg])
        self.chosen = []
        self.chosen_gain = []
        self._extra = [self._segment_extra(0)]

    _STATE = ("route", "fwd", "bwd", "ftree", "btree", "fvia", "bvia", "fhubs", "bhubs", "seg_path", "seg_time",
              "chosen", "chosen_gain", "_extra", "ledger")  # fmt: skip

    def _snapshot(self) -> dict:
        return {name: getattr(self, name) for name in self._STATE}

    def _restore(self, state: dict) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    def _choose_candidates(self, feasible: np.ndarray) -> None:
        cols = self.graph.shape[1]
        disk_risk = self.coverage.disk_sums(self.risk_flat.reshape(self.graph.shape)).ravel()
        useful = feasible[disk_risk[feasible] > 0]
        if len(useful) > self.max_candidates:
            # A lattice keeps candidates evenly spread; hotspot peaks are always kept.
            stride = math.ceil(math.sqrt(len(useful) / self.max_candidates))
            r, c = np.divmod(useful, cols)
            on_lattice = (r % stride == 0) & (c % stride == 0)
            peaks = ndi.maximum_filter(disk_risk.reshape(self.graph.shape), size=2 * stride + 1).ravel()
            is_peak = disk_risk[useful] >= peaks[useful]
            useful = useful[on_lattice | is_peak]
        self.cand = useful
        self.cand_sub = self.sub_of[useful]
        self.cand_of_sub = np.full(len(self.region), -1, dtype=np.int64)
        self.cand_of_sub[self.cand_sub] = np.arange(len(useful))
        self.cand_pos = {int(c): i for i, c in enumerate(useful.tolist())}
        self.cand_at = np.full(self.n, -1, dtype=np.int64)
        self.cand_at[useful] = np.arange(len(useful))
        # Covered-cell indices of each candidate, padded with n (a zero-risk sentinel).
        r, c = np.divmod(useful, cols)
        groups = self.coverage.row_group[r]
        width = max(len(dr) for dr, _ in self.coverage.offsets)
        disk = np.full((len(useful), width), self.n, dtype=np.int64)
        rows_n, cols_n = self.graph.shape
        for g, (dr, dc) in enumerate(self.coverage.offsets):
            pick = np.flatnonzero(groups == g)
            rr = r[pick, None] + dr[None, :]
            cc = c[pick, None] + dc[None, :]
            ok = (rr >= 0) & (rr < rows_n) & (cc >= 0) & (cc < cols_n)
            block = np.where(ok, rr * cols_n + cc, self.n)
            disk[pick, : len(dr)] = block
        self.cand_disk = disk

    # insertion --------------------------------------------------------------------------
    def _segment_extra(self, i: int) -> np.ndarray:
        a, b = self.route[i], self.route[i + 1]
        return self.fwd[a] + self.bwd[b] - self.seg_time[i]

    def _total_time(self) -> float:
        return math.fsum(self.seg_time)

    def _refresh_best_segment(self) -> None:
        matrix = np.vstack(self._extra)
        self.best_seg = np.argmin(matrix, axis=0)
        self.best_extra = matrix[self.best_seg, np.arange(len(self.cand))]

    def _recompute_columns(self, cols: np.ndarray) -> None:
        if len(cols):
            sub = np.vstack([row[cols] for row in self._extra])
            arg = np.argmin(sub, axis=0)
            self.best_seg[cols] = arg
            self.best_extra[cols] = sub[arg, np.arange(len(cols))]

    def _insert_loop(self) -> None:
        if len(self.cand) == 0:
            return
        self._refresh_best_segment()
        while True:
            slack = self.budget - self._total_time()
            if slack <= 0:
                return
            gain = self.ledger.gain
            ok = (self.best_extra <= slack) & (gain > 0)
            if not ok.any():
                return
            score = np.where(ok, _power(gain, self.gain_power) / np.maximum(self.best_extra, 1e-6), -1.0)
            best = int(np.argmax(score))
            i = int(self.best_seg[best])
            if not self._insert(int(self.cand[best]), i, slack, float(gain[best])):
                return
            # Segment i became segments i and i+1; later ones shift by one. Candidates with no finite time
            # on any segment stay so unless the new segments give one (the loop below).
            stale = (self.best_seg == i) & np.isfinite(self.best_extra)
            self.best_seg[self.best_seg > i] += 1
            for j in (i, i + 1):
                better = self._extra[j] < self.best_extra
                self.best_extra[better] = self._extra[j][better]
                self.best_seg[better] = j
            self._recompute_columns(np.flatnonzero(stale))

    def _insert(self, cell: int, i: int, slack: float, gain: float) -> bool:
        a, b = self.route[i], self.route[i + 1]
        pos = self.cand_pos[cell]
        to_b = float(self.bwd[b][pos])
        from_a = float(self.fwd[a][pos])
        slack_after = slack - (from_a + to_b - self.seg_time[i])
        # Searches from a new waypoint stop at search_cap beyond the leg they serve (at most leg_cap of it;
        # near a hub, at its neighbourhood): far candidates stay reachable through the start/end and the
        # hubs, and short searches keep the cost per insertion small on large grids.
        reach = min(slack_after, self.search_cap) + 1e-9
        (d_fwd, t_fwd, via_f), (d_bwd, t_bwd, via_b) = self._both(
            lambda: self._searches_of(cell, backward=False, limit=min(to_b, self.leg_cap) + reach),
            lambda: self._searches_of(cell, backward=True, limit=min(from_a, self.leg_cap) + reach),
        )
        # The legs: the new waypoint's own shortest path when its search reached the neighbour, else the walk
        # whose time chose this insertion (the neighbour's shortest path, or through a hub).
        first = t_bwd.path(a) if t_bwd.reaches(a) else self._walk_from(a, cell)
        second = t_fwd.path(b) if t_fwd.reaches(b) else self._walk_to(b, cell)
        t1, t2 = self.graph.path_hours(first), self.graph.path_hours(second)
        if self._total_time() - self.seg_time[i] + t1 + t2 > self.budget:
            return False
        self.ledger.change(removed=[self.seg_path[i]], added=[first, second])
        self.fwd[cell], self.bwd[cell] = d_fwd, d_bwd
        self.ftree[cell], self.btree[cell] = t_fwd, t_bwd
        self.fvia[cell], self.bvia[cell] = via_f, via_b
        self.route.insert(i + 1, cell)
        self.seg_path[i : i + 1] = [first, second]
        self.seg_time[i : i + 1] = [t1, t2]
        self._extra[i : i + 1] = [self._segment_extra(i), self._segment_extra(i + 1)]
        self.chosen.append(cell)
        self.chosen_gain.append(gain)
        return True

    # hubs -----------------------------------------------------------------------------
    def _searches_of(self, cell: int, *, backward: bool, limit: float):
        """A new waypoint's times over the candidates (from it, or to it when ``backward``) up to ``limit``.

        Long searches are what a plan spends its time on, and waypoints come in clusters around hotspots. So
        a waypoint within HUB_SHARE * search_cap of a hub (a waypoint that did search to its whole limit; the
        start and end are hubs) searches only NEAR_SHARE * search_cap; further, its time is the walk through
        the nearest such hubs (an upper bound within twice the hop). Returns (times, tree, via), via None for
        a hub, else (hub number per candidate, -1 for its own time; the hubs)."""
        near = NEAR_SHARE * self.search_cap
        hubs = self.bhubs if backward else self.fhubs
        if limit > near:
            pos = self.cand_pos[cell]
            hop_of = self.fwd if backward else self.bwd  # time from the hub to the cell, or from the cell to it
            close = [(w, float(hop_of[w][pos])) for w in hubs if w != cell and w in hop_of]
            close = [(w, hop) for w, hop in close if hop <= HUB_SHARE * self.search_cap]
            if close:
                times, tree = self._waypoint_search(cell, backward=backward, limit=near)
                out, via, through = times.copy(), np.full(len(times), -1, dtype=np.int16), []
                known = self.bwd if backward else self.fwd
                for w, hop in close:
                    others = known[w] + hop
                    better = others < out
                    out[better], via[better] = others[better], len(through)
                    through.append(w)
                out[out > limit] = np.inf
                return out, tree, (via, through)
        times, tree = self._waypoint_search(cell, backward=backward, limit=limit)
        if limit > near:
            hubs.append(cell)
        return times, tree, None

    def _walk_from(self, w: int, cell: int) -> np.ndarray:
        """The walk w -> cell whose time is fwd[w] at the cell."""
        via = self.fvia.get(w)
        k = -1 if via is None else int(via[0][self.cand_pos[cell]])
        if k < 0:
            return self.ftree[w].path(cell)
        hub = via[1][k]
        head, tail = self._walk_to(hub, w), self.ftree[hub].path(cell)
        return np.concatenate([head, tail[1:]])

    def _walk_to(self, w: int, cell: int) -> np.ndarray:
        """The walk cell -> w whose time is bwd[w] at the cell."""
        via = self.bvia.get(w)
        k = -1 if via is None else int(via[0][self.cand_pos[cell]])
        if k < 0:
            return self.btree[w].path(cell)
        hub = via[1][k]
        head, tail = self.btree[hub].path(cell), self._walk_from(hub, w)
        return np.concatenate([head, tail[1:]])

    # re-routing -------------------------------------------------------------------------
    def _reroute_pass(self) -> bool:
        """Re-route each leg over a graph made cheaper where uncovered risk lies; keep a new leg
        when it fits the budget and raises the objective."""
        uncovered = np.where(self.ledger.covered, 0.0, self.risk_flat).reshape(self.graph.shape)
        pull = self.coverage.disk_sums(uncovered).ravel()
        top = pull.max()
        if top <= 0:
            return False
        # Entering a cell costs less the more uncovered risk it would add; weights stay > 0.
        forward = self.sub_forward
        weighted = forward.__class__(forward.shape, dtype=forward.dtype)
        weighted.indices, weighted.indptr = forward.indices, forward.indptr
        weighted.data = np.asarray(forward.data) * (1.0 - REROUTE_DISCOUNT * pull[self.region] / top)[forward.indices]
        searcher = Searcher(weighted)
        improved = False
        current = self.objective()
        for i in range(len(self.seg_path)):
            a, b = self.route[i], self.route[i + 1]
            if a == b:
                continue
            slack = self.budget - self._total_time()
            limit = self.seg_time[i] + min(slack, self.search_cap) + 1e-9
            sa = int(self.sub_of[a])
            nodes, _, pred = searcher.run(sa, limit)
            tree = SearchTree(nodes, pred, sa, backward=False, to_full=self.region,
                                           of_full=self.sub_of)  # fmt: skip
            if not tree.reaches(b):
                continue
            path = tree.path(b)
            old = self.seg_path[i]
            if len(path) == len(old) and (path == old).all():
                continue  # the same leg: nothing to gain
            t = self.graph.path_hours(path)
            if self._total_time() - self.seg_time[i] + t > self.budget:
                continue
            self.ledger.change(removed=[old], added=[path])
            after = self.objective()
            if after > current + 1e-12:
                self.seg_path[i] = path
                self.seg_time[i] = t
                self._extra[i] = self._segment_extra(i)
                current = after
                improved = True
            else:
                self.ledger.change(removed=[path], added=[old])
        return improved

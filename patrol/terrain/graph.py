"""Terrain analysis on elevation grids: slope, hillshade, D8 flow, valley network, walking graph.

Pure numerical code: takes numpy arrays (elevation in metres, NaN = nodata) and cell sizes in
metres, returns arrays, scipy sparse graphs and NetworkX graphs. No database, no web imports.

Grid conventions: row 0 is the northern edge; cell (row, col) has flat index row * cols + col.
Cell sizes: ``dx_m`` is the east-west size, either one number or one value per row (geographic
grids shrink towards the poles); ``dy_m`` the north-south size.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np
import scipy.sparse as sp

from patrol.terrain.grid import Grid

# Speed relative to walking, applied on top of Tobler's function. Deliberately conservative
# cross-country figures (no roads in the graph): ski touring gains on descents and loses on
# climbs, about a quarter faster overall; a horse at a walk over broken ground 1.5x; a 4x4 or
# snowmobile off-track 3x. Steep-slope limits still come from ``max_slope_deg``.
TRANSPORT_SPEED_FACTORS: dict[str, float] = {"foot": 1.0, "ski": 1.25, "horse": 1.5, "vehicle": 3.0}

DEFAULT_MAX_SLOPE_DEG = 40.0

# The 8 neighbours in increasing flat-index order, so CSR column indices come out sorted.
NEIGHBOUR_OFFSETS: tuple[tuple[int, int], ...] = (
    (-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1),
)  # fmt: skip


def tobler_speed_kmh(gradient: np.ndarray | float) -> np.ndarray | float:
    """Tobler's hiking function; ``gradient`` = dh/dx signed in the direction of travel."""
    return 6.0 * np.exp(-3.5 * np.abs(np.asarray(gradient) + 0.05))


def _row_dx(dx_m: float | np.ndarray, rows: int) -> np.ndarray:
    dx = np.asarray(dx_m, dtype=np.float64)
    if dx.ndim == 0:
        return np.full(rows, float(dx))
    if dx.shape != (rows,):
        raise ValueError(f"dx_m must be a number or one value per row ({rows}), got shape {dx.shape}")
    return dx


def horizontal_distance_m(dx_rows: np.ndarray, dy_m: float, row: np.ndarray, drow: int, dcol: int) -> np.ndarray:
    """Distance between the centres of (row, c) and (row + drow, c + dcol) for |drow|,|dcol| <= 1.

    The east-west part uses the mean of the two rows' east-west cell sizes.
    """
    ew = abs(dcol) * 0.5 * (dx_rows[row] + dx_rows[row + drow])
    ns = abs(drow) * dy_m
    return np.hypot(ew, ns)


@dataclass
class TerrainGraph:
    """Directed 8-neighbour walking graph; edge weights are walking hours.

    ``forward[u, v]`` is the time from u to v; ``backward`` is its transpose (for "time to reach
    v from everywhere" searches). Impassable cells have no edges at all.
    """

    shape: tuple[int, int]
    forward: sp.csr_matrix
    backward: sp.csr_matrix
    elevation: np.ndarray
    passable: np.ndarray  # bool, shape = grid shape
    dx_rows: np.ndarray
    dy_m: float
    max_slope_deg: float
    speed_factor: float
    slot_mask: np.ndarray  # uint8 per cell: bit k set when the edge to NEIGHBOUR_OFFSETS[k] exists

    @property
    def n_cells(self) -> int:
        return self.shape[0] * self.shape[1]

    @cached_property
    def reverse_ratio(self) -> float:
        """The largest ratio of an edge's time back to its time forth (inf when some edge is one-way).

        It bounds how much a round trip's way back can differ from its way out: d(x, s) >= d(s, x) / ratio
        (the reverse of the shortest x -> s walk is an s -> x walk), which is what lets the planner stop its
        search from a round trip's start at budget * ratio / (1 + ratio). Tobler's function gives at most
        exp(0.35) = 1.42 on any slope; measured on the graph, so any other cost model stays safe."""
        f, b = self.forward, self.backward
        if f.nnz == 0:
            return 1.0
        if not (np.array_equal(f.indptr, b.indptr) and np.array_equal(f.indices, b.indices)):
            return math.inf  # some edge has no reverse: no bound
        # backward[u, v] = forward[v, u]: with the same pattern, entry k pairs an edge with its reverse.
        return float(np.max(np.asarray(b.data) / np.asarray(f.data)))

    def index(self, row: int, col: int) -> int:
        return int(row) * self.shape[1] + int(col)

    def rowcol(self, index: int | np.ndarray):
        return np.divmod(index, self.shape[1])

    def path_hours(self, path: np.ndarray) -> float:
        """Total walking time along consecutive flat indices; inf if any step is not an edge."""
        path = np.asarray(path, dtype=np.int64)
        if len(path) < 2:
            return 0.0
        return math.fsum(self.step_hours(path[:-1], path[1:]).tolist())

    def step_hours(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Edge weights for pairs of flat indices (inf where there is no edge)."""
        sources = np.asarray(sources, dtype=np.int64)
        targets = np.asarray(targets, dtype=np.int64)
        cols = self.shape[1]
        dr = targets // cols - sources // cols
        dc = targets % cols - sources % cols
        slot = _SLOT_OF_OFFSET[(dr + 1).clip(0, 2), (dc + 1).clip(0, 2)]
        valid = (np.abs(dr) <= 1) & (np.abs(dc) <= 1) & (slot >= 0)
        slot = np.where(valid, slot, 0).astype(np.uint8)
        present = ((self.slot_mask[sources] >> slot) & 1).astype(bool) & valid
        below = self.slot_mask[sources] & ((np.uint8(1) << slot) - np.uint8(1)).astype(np.uint8)
        position = self.forward.indptr[sources] + np.bitwise_count(below)
        out = np.full(len(sources), np.inf)
        out[present] = self.forward.data[position[present]]
        return out


_SLOT_OF_OFFSET = np.full((3, 3), -1, dtype=np.int64)
for _k, (_dr, _dc) in enumerate(NEIGHBOUR_OFFSETS):
    _SLOT_OF_OFFSET[_dr + 1, _dc + 1] = _k


def edge_walking_hours(
    elevation: np.ndarray,
    dx_m: float | np.ndarray,
    dy_m: float,
    *,
    max_slope_deg: float = DEFAULT_MAX_SLOPE_DEG,
    speed_factor: float = 1.0,
) -> np.ndarray:
    """Walking hours for every cell and each of the 8 NEIGHBOUR_OFFSETS, shape (rows, cols, 8).

    inf where the move leaves the grid, touches a nodata cell or is steeper than the limit.
    """
    rows, cols = elevation.shape
    dx_rows = _row_dx(dx_m, rows)
    z = np.asarray(elevation, dtype=np.float64)
    hours = np.full((rows, cols, 8), np.inf)
    max_gradient = math.tan(math.radians(max_slope_deg))
    for k, (dr, dc) in enumerate(NEIGHBOUR_OFFSETS):
        src_r = slice(max(0, -dr), rows - max(0, dr))
        src_c = slice(max(0, -dc), cols - max(0, dc))
        dst_r = slice(max(0, dr), rows + min(0, dr))
        dst_c = slice(max(0, dc), cols + min(0, dc))
        row_ids = np.arange(src_r.start, src_r.stop)
        dist = horizontal_distance_m(dx_rows, dy_m, row_ids, dr, dc)[:, None]
        gradient = (z[dst_r, dst_c] - z[src_r, src_c]) / dist
        with np.errstate(invalid="ignore"):
            h = (dist / 1000.0) / (tobler_speed_kmh(gradient) * speed_factor)
            h[~(np.abs(gradient) <= max_gradient)] = np.inf  # also drops NaN (nodata) edges
        hours[src_r, src_c, k] = h
    return hours


def build_terrain_graph(
    elevation: np.ndarray,
    *,
    dx_m: float | np.ndarray,
    dy_m: float,
    max_slope_deg: float = DEFAULT_MAX_SLOPE_DEG,
    no_go: np.ndarray | None = None,
    mode: str = "foot",
) -> TerrainGraph:
    """Directed walking graph (CSR, hours) over the grid.

    An edge exists between 8-neighbours when both cells have data, neither is in ``no_go`` and
    the slope between their centres is at most ``max_slope_deg``.
    """
    if mode not in TRANSPORT_SPEED_FACTORS:
        raise ValueError(f"unknown transport mode {mode!r}; choose from {sorted(TRANSPORT_SPEED_FACTORS)}")
    elevation = np.asarray(elevation, dtype=np.float64)
    rows, cols = elevation.shape
    n = rows * cols
    dx_rows = _row_dx(dx_m, rows)
    passable = np.isfinite(elevation)
    if no_go is not None:
        if no_go.shape != elevation.shape:
            raise ValueError(f"no_go mask shape {no_go.shape} differs from elevation {elevation.shape}")
        passable &= ~no_go.astype(bool)
    z = np.where(passable, elevation, np.nan)  # a no-go cell behaves like nodata
    speed_factor = TRANSPORT_SPEED_FACTORS[mode]
    hours = edge_walking_hours(z, dx_rows, dy_m, max_slope_deg=max_slope_deg, speed_factor=speed_factor)
    hours = hours.reshape(n, 8)
    present = np.isfinite(hours)
    # Build CSR directly: row u's edges are its finite neighbour slots in offset order.
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(present.sum(axis=1), out=indptr[1:])
    flat_offsets = np.array([dr * cols + dc for dr, dc in NEIGHBOUR_OFFSETS], dtype=np.int64)
    targets = (np.arange(n, dtype=np.int64)[:, None] + flat_offsets[None, :])[present]
    index_dtype = np.int32 if n < 2**31 - 1 and len(targets) < 2**31 - 1 else np.int64
    forward = sp.csr_matrix((hours[present], targets.astype(index_dtype), indptr.astype(index_dtype)), shape=(n, n))
    forward.has_sorted_indices = True
    backward = forward.T.tocsr()
    return TerrainGraph(
        shape=(rows, cols),
        forward=forward,
        backward=backward,
        elevation=elevation,
        passable=passable,
        dx_rows=dx_rows,
        dy_m=float(dy_m),
        max_slope_deg=float(max_slope_deg),
        speed_factor=speed_factor,
        slot_mask=(present.astype(np.uint8) << np.arange(8, dtype=np.uint8)).sum(axis=1).astype(np.uint8),
    )


# --- derived layers -------------------------------------------------------------------------


def _gradients(elevation: np.ndarray, dx_m: float | np.ndarray, dy_m: float) -> tuple[np.ndarray, np.ndarray]:
    """dz/dx (east) and dz/dy (north) by central differences (one-sided at edges and nodata)."""
    rows = elevation.shape[0]
    dx_rows = _row_dx(dx_m, rows)
    dz_dcol = np.gradient(elevation, axis=1)
    dz_drow = np.gradient(elevation, axis=0)
    return dz_dcol / dx_rows[:, None], -dz_drow / dy_m  # row index grows southwards


def slope_degrees(elevation: np.ndarray, *, dx_m: float | np.ndarray, dy_m: float) -> np.ndarray:
    """Slope in degrees (NaN next to nodata)."""
    gx, gy = _gradients(np.asarray(elevation, dtype=np.float64), dx_m, dy_m)
    return np.degrees(np.arctan(np.hypot(gx, gy)))


def hillshade(
    elevation: np.ndarray,
    *,
    dx_m: float | np.ndarray,
    dy_m: float,
    azimuth_deg: float = 315.0,
    altitude_deg: float = 45.0,
) -> np.ndarray:
    """Hillshade in [0, 255] (uint8; 0 also for nodata), sun from ``azimuth_deg`` clockwise from north."""
    gx, gy = _gradients(np.asarray(elevation, dtype=np.float64), dx_m, dy_m)
    slope = np.arctan(np.hypot(gx, gy))
    aspect = np.arctan2(-gx, -gy)  # direction the slope faces (downhill), clockwise from north
    zenith = math.radians(90.0 - altitude_deg)
    azimuth = math.radians(azimuth_deg)
    shade = math.cos(zenith) * np.cos(slope) + math.sin(zenith) * np.sin(slope) * np.cos(azimuth - aspect)
    shade = np.nan_to_num(np.clip(shade, 0.0, 1.0), nan=0.0)
    return np.round(shade * 255).astype(np.uint8)


# The DEM import and the risk model's terrain features both fill the same DEM, often in one process
# (the demo seed, a worker importing then recomputing); the fill is seconds of Python on a large grid.
_FILLED_CACHE: OrderedDict[tuple, np.ndarray] = OrderedDict()
_FILLED_CACHE_SIZE = 2


def fill_depressions(elevation: np.ndarray, *, epsilon: float = 1e-4) -> np.ndarray:
    """Priority-flood depression filling (Barnes et al. 2014, +epsilon variant).

    Every cell with data gets a strictly descending path to the grid edge or to nodata, so D8
    flow never stops in a pit or on a flat. Nodata stays NaN. The last few results are remembered
    (keyed by the elevation's bytes); a copy is returned each time.
    """
    z = np.asarray(elevation, dtype=np.float64)
    key = (z.shape, epsilon, hashlib.blake2b(np.ascontiguousarray(z).tobytes(), digest_size=16).digest())
    if key in _FILLED_CACHE:
        _FILLED_CACHE.move_to_end(key)
        return _FILLED_CACHE[key].copy()
    filled = _priority_flood(z, epsilon)
    _FILLED_CACHE[key] = filled.copy()
    while len(_FILLED_CACHE) > _FILLED_CACHE_SIZE:
        _FILLED_CACHE.popitem(last=False)
    return filled


def _priority_flood(z: np.ndarray, epsilon: float) -> np.ndarray:
    rows, cols = z.shape
    filled = z.copy()
    has_data = np.isfinite(z)
    seeds = np.zeros_like(has_data)
    seeds[[0, -1], :] = True
    seeds[:, [0, -1]] = True
    nodata = ~has_data
    if nodata.any():  # cells next to nodata drain into it
        grown = nodata.copy()
        grown[1:, :] |= nodata[:-1, :]
        grown[:-1, :] |= nodata[1:, :]
        grown[:, 1:] |= nodata[:, :-1]
        grown[:, :-1] |= nodata[:, 1:]
        seeds |= grown
    seeds &= has_data
    visited = ~has_data
    heap: list[tuple[float, int]] = []
    flat = filled.ravel()
    visited_flat = visited.ravel()
    for idx in np.flatnonzero(seeds.ravel()).tolist():
        heap.append((flat[idx], idx))
        visited_flat[idx] = True
    heapq.heapify(heap)
    offsets = [(dr, dc) for dr, dc in NEIGHBOUR_OFFSETS]
    while heap:
        level, idx = heapq.heappop(heap)
        r, c = divmod(idx, cols)
        for dr, dc in offsets:
            rr, cc = r + dr, c + dc
            if 0 <= rr < rows and 0 <= cc < cols:
                j = rr * cols + cc
                if not visited_flat[j]:
                    visited_flat[j] = True
                    if flat[j] <= level:
                        flat[j] = level + epsilon
                    heapq.heappush(heap, (flat[j], j))
    return filled


def flow_directions_d8(filled: np.ndarray, *, dx_m: float | np.ndarray, dy_m: float) -> np.ndarray:
    """Flat index of each cell's steepest-descent neighbour (D8), or -1 for outlets and nodata."""
    z = np.asarray(filled, dtype=np.float64)
    rows, cols = z.shape
    dx_rows = _row_dx(dx_m, rows)
    best_drop = np.zeros((rows, cols))
    receiver = np.full((rows, cols), -1, dtype=np.int64)
    index = np.arange(rows * cols, dtype=np.int64).reshape(rows, cols)
    for dr, dc in NEIGHBOUR_OFFSETS:
        src_r = slice(max(0, -dr), rows - max(0, dr))
        src_c = slice(max(0, -dc), cols - max(0, dc))
        dst_r = slice(max(0, dr), rows + min(0, dr))
        dst_c = slice(max(0, dc), cols + min(0, dc))
        dist = horizontal_distance_m(dx_rows, dy_m, np.arange(src_r.start, src_r.stop), dr, dc)[:, None]
        with np.errstate(invalid="ignore"):
            drop = (z[src_r, src_c] - z[dst_r, dst_c]) / dist
        better = drop > best_drop[src_r, src_c]  # NaN compares False
        best_drop[src_r, src_c] = np.where(better, drop, best_drop[src_r, src_c])
        receiver[src_r, src_c] = np.where(better, index[dst_r, dst_c], receiver[src_r, src_c])
    return receiver


def flow_accumulation(receiver: np.ndarray, filled: np.ndarray) -> np.ndarray:
    """Number of cells (itself included) draining through each cell; 0 for nodata."""
    z = np.asarray(filled, dtype=np.float64).ravel()
    rcv = np.asarray(receiver).ravel()
    has_data = np.isfinite(z)
    acc = has_data.astype(np.float64)
    order = np.flatnonzero(has_data)
    order = order[np.argsort(-z[order], kind="stable")]  # highest first: donors before receivers
    acc_list = acc.tolist()
    rcv_list = rcv.tolist()
    for idx in order.tolist():
        target = rcv_list[idx]
        if target >= 0:
            acc_list[target] += acc_list[idx]
    return np.asarray(acc_list).reshape(np.shape(filled))


@dataclass(frozen=True)
class ValleyLayers:
    filled: np.ndarray
    receiver: np.ndarray
    accumulation: np.ndarray
    network: nx.DiGraph


def valley_network(
    elevation: np.ndarray,
    *,
    dx_m: float | np.ndarray,
    dy_m: float,
    min_catchment_cells: int = 200,
    grid: Grid | None = None,
) -> ValleyLayers:
    """Stream reaches from D8 flow accumulation as a directed NetworkX graph.

    Nodes are reach ends (channel heads, confluences, outlets), keyed by flat cell index with
    ``row``/``col``/``kind``. Each edge (upstream end -> downstream end) is one reach with
    ``reach_id`` (int), ``name`` ("V001"...), ``cells`` (list of (row, col), upstream first),
    ``coords`` (cell centres in the grid's CRS when ``grid`` is given), ``length_m``
    and ``catchment_cells`` at its downstream end. Rank risk per valley by ``reach_id``.
    """
    z = np.asarray(elevation, dtype=np.float64)
    rows, cols = z.shape
    dx_rows = _row_dx(dx_m, rows)
    filled = fill_depressions(z)
    receiver = flow_directions_d8(filled, dx_m=dx_rows, dy_m=dy_m)
    acc = flow_accumulation(receiver, filled)
    rcv = receiver.ravel()
    stream = acc.ravel() >= min_catchment_cells
    stream_ids = np.flatnonzero(stream)
    # Upstream stream neighbours per stream cell: a head has none, a confluence two or more.
    donors = rcv[stream_ids]
    donor_to_stream = donors >= 0
    inflow = np.zeros(rows * cols, dtype=np.int64)
    np.add.at(inflow, donors[donor_to_stream], 1)
    graph = nx.DiGraph()

    def kind_of(idx: int) -> str:
        if inflow[idx] == 0:
            return "head"
        if inflow[idx] >= 2:
            return "confluence"
        return "outlet" if rcv[idx] < 0 else "reach"

    starts = [int(i) for i in stream_ids if inflow[i] != 1]  # heads and confluences start reaches
    starts.sort(key=lambda i: -filled.ravel()[i])
    reach_id = 0
    for start in starts:
        cells = [start]
        current = start
        while True:
            nxt = int(rcv[current])
            if nxt < 0:
                break
            cells.append(nxt)
            if inflow[nxt] != 1:  # reached a confluence
                break
            current = nxt
        end = cells[-1]
        if len(cells) < 2:
            continue  # a head that is also an outlet: no reach
        reach_id += 1
        rc = [divmod(c, cols) for c in cells]
        length = 0.0
        for (r0, c0), (r1, c1) in zip(rc[:-1], rc[1:], strict=True):
            length += float(horizontal_distance_m(dx_rows, dy_m, np.array([r0]), r1 - r0, c1 - c0)[0])
        coords = None
        if grid is not None:
            xs, ys = grid.xy_of(np.array([r for r, _c in rc]), np.array([c for _r, c in rc]))
            coords = list(zip(xs.tolist(), ys.tolist(), strict=True))
        for node in (start, end):
            r, c = divmod(node, cols)
            graph.add_node(node, row=r, col=c, kind=kind_of(node) if node != end or rcv[end] >= 0 else "outlet")
        graph.add_edge(
            start,
            end,
            reach_id=reach_id,
            name=f"V{reach_id:03d}",
            cells=[(int(r), int(c)) for r, c in rc],
            coords=coords,
            length_m=length,
            catchment_cells=int(acc.ravel()[end]),
        )
    return ValleyLayers(filled=filled, receiver=receiver, accumulation=acc, network=graph)

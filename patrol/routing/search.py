"""Shortest-path searches of the route planner: predecessor trees kept compactly, paths traced from them.

The planner keeps, for every waypoint of a route, the tree of its last forward and backward search, so a
leg between two waypoints can be traced from either end's tree. A tree is stored as the sorted reached
node ids and their predecessors (a limited search reaches a small part of the graph).

Pure numerical module: arrays in, arrays out.
"""

from __future__ import annotations

import numpy as np


class RoutePlanningError(ValueError):
    """The request cannot be planned (bad start/end, end unreachable within the budget, ...)."""


def _trace(pred: np.ndarray, source: int, target: int) -> np.ndarray:
    """Path source -> target from a forward Dijkstra's predecessor array rooted at source."""
    out = [target]
    node = target
    while node != source:
        node = int(pred[node])
        if node < 0:
            raise RoutePlanningError("internal error: broken predecessor chain")
        out.append(node)
    return np.asarray(out[::-1], dtype=np.int64)


def _trace_backward(pred: np.ndarray, target: int, source: int) -> np.ndarray:
    """Path source -> target from a backward (transposed) Dijkstra rooted at target."""
    out = [source]
    node = source
    while node != target:
        node = int(pred[node])
        if node < 0:
            raise RoutePlanningError("internal error: broken predecessor chain")
        out.append(node)
    return np.asarray(out, dtype=np.int64)


class SearchTree:
    """The predecessor tree of one Dijkstra run (scipy's ``pred``: -9999 where not reached).

    ``to_full``: full-grid index of each node of the graph the search ran on (None: it ran on the full grid);
    ``of_full``: the inverse (node of each full-grid index, -1 outside), needed when ``to_full`` is given.
    ``backward``: the search ran on the transposed graph, so the tree leads from any reached node to the root.
    """

    def __init__(self, pred: np.ndarray, root: int, *, backward: bool, dist=None, to_full=None, of_full=None) -> None:
        self.nodes = np.flatnonzero(pred >= 0)  # int64: searchsorted with a Python int then casts nothing
        self.preds = pred[self.nodes]
        self.dists = None if dist is None else dist[self.nodes]
        self.root = int(root)  # in the search's own index space
        self.backward = backward
        self.to_full, self.of_full = to_full, of_full

    @property
    def size(self) -> int:
        return len(self.nodes)

    def _find(self, node: int) -> int:
        k = int(np.searchsorted(self.nodes, node))
        return k if k < len(self.nodes) and self.nodes[k] == node else -1

    def _pred(self, node: int) -> int:
        k = self._find(node)
        return int(self.preds[k]) if k >= 0 else -1

    def time_to(self, cell: int) -> float:
        """The search's time between the root and a full-grid cell (inf when not reached); needs ``dist``."""
        node = self._local(cell)
        if node == self.root:
            return 0.0
        k = self._find(node) if node >= 0 else -1
        return float(self.dists[k]) if k >= 0 else float("inf")

    def _local(self, cell: int) -> int:
        return int(cell) if self.of_full is None else int(self.of_full[cell])

    def reaches(self, cell: int) -> bool:
        node = self._local(cell)
        return node == self.root or (node >= 0 and self._pred(node) >= 0)

    def path(self, cell: int) -> np.ndarray:
        """Full-grid path root -> cell (forward tree) or cell -> root (backward tree)."""
        node = self._local(cell)
        out = [node]
        while node != self.root:
            node = self._pred(node)
            if node < 0:
                raise RoutePlanningError("internal error: broken predecessor chain")
            out.append(node)
        local = np.asarray(out if self.backward else out[::-1], dtype=np.int64)
        return local if self.to_full is None else self.to_full[local]


class _NonNegative(np.ndarray):
    """Edge weights known to be >= 0. scipy's ``dijkstra`` checks ``(data < 0).any()`` on every call, a pass
    over all edges (1.5-2 ms on a 3.5M-edge region) that outweighs a short limited search; this answers
    that one comparison without the pass. Every other operation is numpy's."""

    def __lt__(self, other):
        if np.isscalar(other) and other == 0:
            return np.False_
        return super().__lt__(other)


def nonnegative_weights(matrix):
    """The same CSR graph (sharing its arrays) whose weights skip scipy's per-search negativity scan.
    The caller vouches that no weight is negative (walking times are > 0)."""
    out = matrix.__class__(matrix.shape, dtype=matrix.dtype)
    out.data, out.indices, out.indptr = matrix.data.view(_NonNegative), matrix.indices, matrix.indptr
    return out

"""Shortest-path searches of the route planner: predecessor trees kept compactly, paths traced from them.

The planner keeps, for every waypoint of a route, the tree of its last forward and backward search, so a
leg between two waypoints can be traced from either end's tree. A tree is stored as the sorted reached
node ids and their predecessors (a limited search reaches a small part of the graph).

Pure numerical module: arrays in, arrays out.
"""

from __future__ import annotations

import numpy as np

from patrol.routing.dijkstra import sort_settled, trace


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
    """The predecessor tree of one ``dijkstra.Searcher`` run, from its settled nodes and their predecessors
    (-1 at the root); the times are not kept (the planner keeps them over its candidates).

    ``to_full``: full-grid index of each node of the graph the search ran on (None: it ran on the full grid);
    ``of_full``: the inverse (node of each full-grid index, -1 outside), needed when ``to_full`` is given.
    ``backward``: the search ran on the transposed graph, so the tree leads from any reached node to the root.
    """

    def __init__(self, nodes, preds, root: int, *, backward: bool, to_full=None, of_full=None) -> None:
        order = sort_settled(nodes)
        self.nodes, self.preds = nodes[order], preds[order]  # int32: a plan keeps hundreds of trees
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

    def _local(self, cell: int) -> int:
        return int(cell) if self.of_full is None else int(self.of_full[cell])

    def reaches(self, cell: int) -> bool:
        node = self._local(cell)
        return node == self.root or (node >= 0 and self._pred(node) >= 0)

    def path(self, cell: int) -> np.ndarray:
        """Full-grid path root -> cell (forward tree) or cell -> root (backward tree)."""
        local = trace(self.nodes, self.preds, self._local(cell), self.root)
        if len(local) == 0:
            raise RoutePlanningError("internal error: broken predecessor chain")
        local = local if self.backward else local[::-1]
        return local if self.to_full is None else self.to_full[local]

"""Speed and memory of one 8-hour plan on Big Tujunga (30 m, 1197x643 = 769,671 cells).

Three synthetic risk surfaces (`_common.risk_surface`): smooth (60 broad Gaussian hotspots on a weak
noisy background), patchy (1,500 small sharp-edged patches on zero) and sharp (5 narrow high peaks on a
near-zero background). Round trips from three starts, 100 m detection radius. Each surface runs in its
own process so its peak RSS is its own; the search code is loaded (numba's cache, or compiled the first
time) before the plans, once per process as in a worker, and its time printed. Per plan: plan time,
covered risk, and, measured just before in the same process, one full single-source shortest-path tree
on the same graph (scipy `dijkstra` from the start cell with predecessors, no limit) and the ratio
plan / SSSP.
Goal: every plan < 2 s or <= 4x the SSSP of the same run, and peak RSS < 1 GB on the 2-core machine.

    .venv/bin/python benchmarks/bench_route_plan.py [--hours 8] [--repeat 3] [--surface smooth|patchy|sharp]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from _common import BIGTUJUNGA, RISK_SURFACES, peak_rss_mb, risk_surface
from scipy.sparse.csgraph import dijkstra

from patrol.routing.insertion import warm_up
from patrol.routing.planner import plan_route
from patrol.terrain.graph import build_terrain_graph
from patrol.terrain.raster_io import read_raster


def run_surface(kind: str, hours: float, repeat: int) -> None:
    t0 = time.perf_counter()
    dem = read_raster(BIGTUJUNGA)
    t1 = time.perf_counter()
    dx, dy = dem.cell_sizes_m()
    graph = build_terrain_graph(dem.data, dx_m=dx, dy_m=dy)
    t2 = time.perf_counter()
    risk = risk_surface(kind, dem.shape, seed=0)
    rows, cols = dem.shape
    load = warm_up()  # a process's first search loads (or compiles) the search code
    print(f"[{kind}] grid: {rows}x{cols} = {rows * cols:,} cells, {graph.forward.nnz:,} directed edges")
    print(f"[{kind}] read DEM: {t1 - t0:.2f} s   build terrain graph: {t2 - t1:.2f} s   "
          f"load search code (once per process): {load:.2f} s")  # fmt: skip
    worst = 0.0
    for k in range(repeat):
        start = [(rows // 2, cols // 2), (rows // 4, cols // 4), (3 * rows // 4, 3 * cols // 4)][k % 3]
        t = time.perf_counter()
        dijkstra(graph.forward, indices=start[0] * cols + start[1], return_predecessors=True)
        sssp = time.perf_counter() - t
        t = time.perf_counter()
        route = plan_route(graph, risk, start=start, budget_h=hours)
        elapsed = time.perf_counter() - t
        ratio = elapsed / sssp
        met = elapsed < 2.0 or ratio <= 4.0
        worst = max(worst, min(elapsed / 2.0, ratio / 4.0))
        print(
            f"[{kind}] plan {hours:g} h from {start}: {elapsed:.2f} s, SSSP {sssp:.2f} s, plan/SSSP {ratio:.1f}x "
            f"({'met' if met else 'MISSED'}) -> {route.duration_h:.3f} h, {route.length_km:.1f} km, "
            f"covered risk {route.covered_risk:.2f}, {len(route.waypoints)} waypoints"
        )
    rss = peak_rss_mb()
    print(f"[{kind}] peak RSS: {rss:.0f} MB ({'met' if rss < 1024 else 'MISSED'}: < 1 GB)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--surface", choices=RISK_SURFACES, help="one surface here (default: each in its own process)")
    args = parser.parse_args()
    if args.surface:
        run_surface(args.surface, args.hours, args.repeat)
        return
    for kind in RISK_SURFACES:
        cmd = [sys.executable, __file__, "--surface", kind, "--hours", str(args.hours), "--repeat", str(args.repeat)]
        subprocess.run(cmd, check=True)  # noqa: S603
    print("goal: each plan < 2 s or <= 4x the same run's SSSP; peak RSS < 1 GB")


if __name__ == "__main__":
    main()

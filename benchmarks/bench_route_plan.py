"""Speed and memory of one 8-hour plan on Big Tujunga (30 m, 1197x643 = 769,671 cells).

Synthetic risk surface (seeded Gaussian hotspots), round trip from the grid centre, 100 m
detection radius. Prints DEM read, graph build and plan times and peak RSS.
Goal: plan < 5 s and peak RSS < 1 GB on the 2-core machine.

    .venv/bin/python benchmarks/bench_route_plan.py [--hours 8] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

from _common import BIGTUJUNGA, peak_rss_mb, synthetic_risk

from patrol.routing.planner import plan_route
from patrol.terrain.graph import build_terrain_graph
from patrol.terrain.raster_io import read_raster


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    dem = read_raster(BIGTUJUNGA)
    t1 = time.perf_counter()
    dx, dy = dem.cell_sizes_m()
    graph = build_terrain_graph(dem.data, dx_m=dx, dy_m=dy)
    t2 = time.perf_counter()
    risk = synthetic_risk(dem.shape, seed=0, blobs=60)
    rows, cols = dem.shape
    print(f"grid: {rows}x{cols} = {rows * cols:,} cells, {graph.forward.nnz:,} directed edges")
    print(f"read DEM: {t1 - t0:.2f} s   build terrain graph: {t2 - t1:.2f} s")
    for k in range(args.repeat):
        start = [(rows // 2, cols // 2), (rows // 4, cols // 4), (3 * rows // 4, 3 * cols // 4)][k % 3]
        t = time.perf_counter()
        route = plan_route(graph, risk, start=start, budget_h=args.hours)
        elapsed = time.perf_counter() - t
        print(
            f"plan {args.hours:g} h from {start}: {elapsed:.2f} s  -> {route.duration_h:.3f} h, "
            f"{route.length_km:.1f} km, covered risk {route.covered_risk:.1f}, {len(route.waypoints)} waypoints"
        )
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

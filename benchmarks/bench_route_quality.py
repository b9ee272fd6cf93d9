"""Covered risk of patrol.routing.plan_route vs the OR-Tools prize-collecting reference.

Instances: 200x200-cell crops of the real DEMs (Big Tujunga at its native 30 m, Zion resampled
to 50 m in UTM 12N) with seeded synthetic hotspot surfaces, budgets of 3-6 h, 100 m detection
radius, round trips from a passable cell near the crop centre. Both routes are scored by the same
coverage model. Prints a per-instance table and the mean ratio.

    .venv/bin/python benchmarks/bench_route_quality.py [--time-limit SECONDS]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import BIGTUJUNGA, ZION, synthetic_risk

from patrol.routing.baseline import plan_route_ortools
from patrol.routing.insertion import warm_up
from patrol.routing.planner import plan_route
from patrol.terrain.graph import build_terrain_graph
from patrol.terrain.raster_io import read_dem

CROP = 200


def instances():
    tujunga = read_dem(BIGTUJUNGA)
    zion = read_dem(ZION, target_srid=32612, resolution_m=50.0)
    specs = [
        ("tujunga", tujunga, (100, 200), 3.0, 11), ("tujunga", tujunga, (100, 500), 4.0, 12),
        ("tujunga", tujunga, (300, 300), 6.0, 13), ("tujunga", tujunga, (350, 800), 4.0, 14),
        ("tujunga", tujunga, (200, 950), 5.0, 15), ("tujunga", tujunga, (420, 600), 3.0, 16),
        ("zion", zion, (150, 150), 4.0, 21), ("zion", zion, (300, 300), 6.0, 22),
        ("zion", zion, (500, 250), 3.0, 23), ("zion", zion, (400, 450), 5.0, 24),
        ("zion", zion, (600, 400), 4.0, 25), ("zion", zion, (250, 480), 6.0, 26),
    ]  # fmt: skip
    for name, dem, (r0, c0), hours, seed in specs:
        z = dem.data[r0 : r0 + CROP, c0 : c0 + CROP]
        dx, dy = dem.cell_sizes_m()
        graph = build_terrain_graph(z, dx_m=float(dx[0]), dy_m=dy)
        risk = synthetic_risk(z.shape, seed=seed, blobs=25)
        # start: the passable cell nearest the crop centre
        rr, cc = np.nonzero(graph.passable & (graph.slot_mask.reshape(z.shape) > 0))
        k = np.argmin((rr - CROP // 2) ** 2 + (cc - CROP // 2) ** 2)
        yield f"{name}@{r0},{c0}", graph, risk, (int(rr[k]), int(cc[k])), hours


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-limit", type=float, default=10.0, help="OR-Tools search time per instance (s)")
    parser.add_argument("--targets", type=int, default=60, help="hotspot targets offered to OR-Tools")
    args = parser.parse_args()
    print(f"OR-Tools reference: {args.targets} hotspot targets, {args.time_limit:g} s guided local search")
    print(f"our search code loaded in {warm_up():.2f} s (once per process, before the timings)")
    print(
        f"{'instance':<18}{'budget_h':>9}{'ours':>10}{'ortools':>10}{'ratio':>8}{'ours_s':>8}{'ort_s':>8}{'ours_h':>8}{'ort_h':>8}"
    )
    ratios = []
    for label, graph, risk, start, hours in instances():
        t0 = time.perf_counter()
        ours = plan_route(graph, risk, start=start, budget_h=hours)
        t1 = time.perf_counter()
        ref = plan_route_ortools(
            graph, risk, start=start, budget_h=hours, time_limit_s=args.time_limit, n_targets=args.targets
        )
        t2 = time.perf_counter()
        assert ours.duration_h <= hours and ref.duration_h <= hours
        ratio = ours.covered_risk / ref.covered_risk
        ratios.append(ratio)
        print(
            f"{label:<18}{hours:>9.1f}{ours.covered_risk:>10.1f}{ref.covered_risk:>10.1f}{ratio:>8.3f}"
            f"{t1 - t0:>8.2f}{t2 - t1:>8.2f}{ours.duration_h:>8.2f}{ref.duration_h:>8.2f}"
        )
    ratios = np.array(ratios)
    print(
        f"instances: {len(ratios)}  mean ratio: {ratios.mean():.3f}  min: {ratios.min():.3f}  "
        f"at or above reference on {int((ratios >= 1).sum())}/{len(ratios)}"
    )


if __name__ == "__main__":
    main()

"""Time of the coverage layer (patrols per cell, patrol/patrols/footprint.py) for a year of a reserve's patrols.

An 800 x 800 grid of 50 m (the demo reserve's 40 x 40 km), 600 random-walk tracks of about 25 km
(400 steps of about 60 m): every cell whose centre lies within 100 m of a track counts once per
track. The coverage page and `coverage_gaps` run this over the patrols of the period they show.
Goal: a year of patrols in under 5 s on 2 cores.

    .venv/bin/python benchmarks/bench_coverage.py [--tracks 600]
"""

from __future__ import annotations

import argparse
import time

import _common  # noqa: F401 - puts the repository on sys.path
import numpy as np
import shapely

from patrol.patrols.footprint import visit_counts
from patrol.terrain.grid import Grid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tracks", type=int, default=600)
    args = parser.parse_args()
    grid = Grid.square(0, 40_000, 50, (800, 800))
    rng = np.random.default_rng(1)
    paths = []
    for _ in range(args.tracks):
        start = rng.uniform(5_000, 35_000, 2)
        paths.append(shapely.LineString(start + rng.normal(0, 1, (400, 2)).cumsum(axis=0) * 50))
    started = time.perf_counter()
    counts = visit_counts(grid, paths)
    seconds = time.perf_counter() - started
    km = sum(p.length for p in paths) / 1000
    print(
        f"{args.tracks} tracks, {km:,.0f} km: {seconds:.2f} s ({1000 * seconds / args.tracks:.1f} ms per track); "
        f"{int((counts > 0).sum()):,} cells patrolled, at most {int(counts.max())} patrols in one cell"
    )


if __name__ == "__main__":
    main()

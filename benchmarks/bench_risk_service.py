"""The risk model's database path on the demo reserve: build inputs from the records, fit, store.

Seeds the demo reserve (patrol.demo, seed 1, 800 x 800 cells of 50 m) into the benchmark database
(irbis_bench, as the sync benchmarks; the dev database is never touched) unless it is there, then
times `risk_inputs_build`, the terrain features (cold, then cached), `fit_risk`, and two full
recomputes through `risk_compute_now` (inputs + features + two fits + layers + valleys + PNGs).

Usage: .venv/bin/python benchmarks/bench_risk_service.py [--end-date 2026-11-15]
Goal: a recompute well under a minute on 2 cores (the debounce is 5 minutes).
"""

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _common import peak_rss_mb  # noqa: E402
from bench_sync_ingest import setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--end-date", default="2026-11-15")
    args = parser.parse_args()
    os.environ.setdefault("IRBIS_PRIVATE_ROOT", str(REPO / "var" / "bench-private"))
    setup_django()
    from patrol.reserves.models import Reserve
    from patrol.terrain.models import TerrainGrid
    from threats.interchange.demo_seed import demo_reserve_seed
    from threats.risk import compute as risk_compute
    from threats.risk import inputs as risk_inputs
    from threats.risk.model import fit_risk

    slug = "risk-bench"
    end = datetime.fromisoformat(args.end_date).replace(tzinfo=UTC)
    reserve = Reserve.objects.filter(slug=slug).first()
    if reserve is None:
        t = time.perf_counter()
        reserve = demo_reserve_seed(seed=1, end=end, slug=slug)
        print(f"seeded {slug} in {time.perf_counter() - t:.1f} s")
    terrain = TerrainGrid.objects.get(reserve=reserve)
    now = end + timedelta(days=1)

    t = time.perf_counter()
    inputs = risk_inputs.risk_inputs_build(reserve=reserve, terrain=terrain, start=now - timedelta(days=730), end=now)
    t_inputs = time.perf_counter() - t
    risk_inputs._FEATURES_CACHE.clear()
    t = time.perf_counter()
    features = risk_inputs.terrain_features_for(terrain)
    t_cold = time.perf_counter() - t
    t = time.perf_counter()
    risk_inputs.terrain_features_for(terrain)
    t_warm = time.perf_counter() - t
    t = time.perf_counter()
    fit_risk(inputs.window(risk_inputs.first_patrol_time(reserve.pk).timestamp(), now.timestamp()), features)
    t_fit = time.perf_counter() - t
    print(f"cells {terrain.width * terrain.height:,}; finds {len(inputs.snare_finds)}, tracks {len(inputs.tracks)}")
    print(f"build inputs from the database  {t_inputs:6.2f} s")
    print(f"terrain features cold / cached  {t_cold:6.2f} s / {t_warm:.2f} s")
    print(f"fit_risk                        {t_fit:6.2f} s")
    for label in ("full recompute (warm cache)", "full recompute (again)"):
        t = time.perf_counter()
        run = risk_compute.risk_compute_now(reserve=reserve, end=now)
        print(f"{label:<31} {time.perf_counter() - t:6.2f} s  status {run.status}  stages {run.summary.get('timings')}")
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

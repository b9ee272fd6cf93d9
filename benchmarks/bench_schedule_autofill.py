"""Auto-fill one month on the demo reserve: 4 teams, 3 posts, 60 patrol-days of 8 hours.

Seeds the demo reserve (seed 1, 800 x 800 cells of 50 m) into the benchmark database (IRBIS_BENCH_DB,
default irbis_bench; the dev database is never touched) unless it is there, computes its risk model once,
then times `schedule_plan` (terrain, risk surface, graph, slots and 60 routes) and the baseline (each
post's single best route, repeated on all its patrol days), and checks the constraints.

Usage: .venv/bin/python benchmarks/bench_schedule_autofill.py [--seed 1] [--start 2026-12-01]
Goal: under 60 s (aim 20 s) on 2 cores; covered_risk_distinct at least 1.5x the baseline.
"""

import argparse
import os
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _common import peak_rss_mb  # noqa: E402
from bench_sync_ingest import setup_django  # noqa: E402

SLUG = "schedule-bench"
PATROL_DAYS = 60
DAYS = 30
HOURS = 8.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="auto-fill seed")
    parser.add_argument("--start", default="2026-12-01", help="first day of the month")
    parser.add_argument("--end-date", default="2026-11-15", help="end of the demo's seeded history")
    parser.add_argument("--months", type=int, default=1,
                        help="months (seeds seed..seed+N-1) pooled for the weekday-valley association")  # fmt: skip
    args = parser.parse_args()
    os.environ.setdefault("IRBIS_PRIVATE_ROOT", str(REPO / "var" / "bench-private"))
    setup_django()
    from patrol.reserves.models import Reserve
    from patrol.scheduling.autofill import baseline_distinct, dominant_label, weekday_association
    from patrol.scheduling.compute import schedule_plan
    from patrol.terrain.models import TerrainGrid
    from patrol.terrain.raster_io import read_raster
    from threats.interchange.demo_seed import demo_reserve_seed
    from threats.risk import compute as risk_compute
    from threats.risk.models import RiskRun

    reserve = Reserve.objects.filter(slug=SLUG).first()
    if reserve is None:
        t = time.perf_counter()
        reserve = demo_reserve_seed(seed=1, end=datetime.fromisoformat(args.end_date).replace(tzinfo=UTC), slug=SLUG)
        print(f"seeded {SLUG} in {time.perf_counter() - t:.1f} s")
    if not RiskRun.objects.filter(reserve=reserve, status=RiskRun.Status.DONE).exists():
        t = time.perf_counter()
        end = datetime.fromisoformat(args.end_date).replace(tzinfo=UTC) + timedelta(days=1)
        risk_compute.risk_compute_now(reserve=reserve, end=end)
        print(f"risk model computed in {time.perf_counter() - t:.1f} s")

    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    plan = schedule_plan(reserve=reserve, start=date.fromisoformat(args.start), days=DAYS, hours=HOURS,
                         seed=args.seed, max_patrol_days=PATROL_DAYS)  # fmt: skip
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    t_base = time.perf_counter()
    baseline = baseline_distinct(plan.graph, plan.risk, plan.result, budget_h=HOURS)
    t_base = time.perf_counter() - t_base

    patrols = plan.result.patrols
    slots = [(p.slot.team, p.slot.day) for p in patrols]
    assert len(patrols) == PATROL_DAYS, len(patrols)
    assert len(set(slots)) == len(slots), "a team booked twice"
    assert max(p.route.duration_h for p in patrols) <= HOURS, "a route over its budget"
    distinct = plan.result.covered_risk_distinct
    rows, cols = plan.graph.shape
    print(f"reserve {reserve.slug}: {rows} x {cols} cells; risk surface: {plan.risk_source}")
    print(f"teams {len(plan.teams)}, posts {len(plan.posts)}, days {DAYS}, patrol-days {len(patrols)}, "
          f"{HOURS:g} h each, seed {args.seed}")  # fmt: skip
    print(f"patrols per team {sorted(Counter(p.slot.team for p in patrols).values())}, "
          f"per post {sorted(Counter(p.slot.post for p in patrols).values())}")  # fmt: skip
    print(f"auto-fill (schedule_plan)       {wall:6.1f} s wall, {cpu:.1f} s CPU (load average before {load:.1f})")
    print(f"baseline (3 best routes)        {t_base:6.1f} s")
    print(f"longest route                   {max(p.route.duration_h for p in patrols):.2f} h of {HOURS:g} h")
    print(f"covered_risk_distinct           {distinct:.2f}")
    print(f"baseline_covered_risk_distinct  {baseline:.2f}")
    print(f"ratio                           {distinct / baseline:.2f}x (goal >= 1.5x)")
    print(f"sum of per-patrol covered risk  {sum(p.covered_risk for p in patrols):.2f} (cells counted once per patrol)")
    # Unpredictability (docs/scheduling.md): weekday of each patrol against the valley reach holding most of
    # the risk it covers, bias-corrected Cramér's V (0: the weekday tells nothing; 1: a fixed rotation).
    reaches = read_raster(TerrainGrid.objects.get(reserve=reserve).reach_labels.path).data.astype("int64")
    reaches[reaches <= 0] = -1
    start = date.fromisoformat(args.start)
    weekdays, valleys = [], []
    for month in range(args.months):
        result = plan.result
        if month:
            result = schedule_plan(reserve=reserve, start=start, days=DAYS, hours=HOURS, seed=args.seed + month,
                                   max_patrol_days=PATROL_DAYS).result  # fmt: skip
        for p in result.patrols:
            weekdays.append((start + timedelta(days=p.slot.day)).weekday())
            valleys.append(dominant_label(p.route.covered, plan.risk, reaches))
    print(f"weekday-valley association      {weekday_association(weekdays, valleys):.3f} "
          f"(bias-corrected Cramér's V, {len(valleys)} patrols in {args.months} month(s), "
          f"{len(set(valleys))} dominant reaches)")  # fmt: skip
    print(f"peak RSS {peak_rss_mb():.0f} MB")
    print(f"time goal (< 60 s wall): {'met' if wall < 60 else 'NOT met'} ({wall:.0f} s wall, {cpu:.0f} s CPU); "
          f"coverage goal (>= 1.5x): {'met' if distinct >= 1.5 * baseline else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()

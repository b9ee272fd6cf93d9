"""The annual report of a reserve with 100,000 snare finds and 5,000 patrols: seconds, beside a baseline.

Builds (once; reused while its counts match) a 40 x 40 km reserve in the Altai with 5,000 patrols in 2025
(12 km random-walk tracks of 60 vertices, four teams, a few crossing into 2024 and 2026), 100,000 snare finds,
2,000 incidents, 5,000 detections, 40 camera deployments, 600 enforcement actions and 200 cases, inserted in
bulk. Then times, three times each (the best shown):
- the baseline: a plain count and sum over the same rows (finds and patrols of the year), two queries;
- the annual report (`report_build`: every figure for 2025 beside 2024);
- the same grouped by month (the web page's table), and by team.
The ratio to the baseline says what the report's figures cost beyond reading the rows at all.
Uses the benchmark database (IRBIS_BENCH_DB, default irbis_bench), never the dev data.

Usage: .venv/bin/python benchmarks/bench_annual_report.py [--finds 100000] [--patrols 5000]
Goal: the annual report under 3 s (aim 1 s) on 2 cores.
"""

import argparse
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_sync_ingest import setup_django  # noqa: E402

SLUG = "report-bench"
X0, Y0, SIDE = 480_000.0, 5_530_000.0, 40_000.0  # UTM 45N


def _tracks(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    out = []
    for _ in range(n):
        start = rng.uniform([X0 + 2000, Y0 + 2000], [X0 + SIDE - 2000, Y0 + SIDE - 2000])
        heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.3, 60))
        steps = np.column_stack([np.cos(heading), np.sin(heading)]) * 200.0  # 60 x 200 m = 12 km
        xy = np.clip(start + np.cumsum(steps, axis=0), [X0 + 10, Y0 + 10], [X0 + SIDE - 10, Y0 + SIDE - 10])
        out.append(xy)
    return out


def build(finds: int, patrols: int) -> object:
    from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Point, Polygon
    from django.db import transaction

    from patrol.patrols.models import Patrol
    from patrol.reserves.models import Post, Reserve, Team, Zone
    from threats.enforcement.models import Case, EnforcementAction
    from threats.records.models import CameraDeployment, Detection, Incident, SnareFind, Species

    reserve = Reserve.objects.filter(slug=SLUG).first()
    if reserve and reserve.snare_finds.count() == finds and reserve.patrols.count() == patrols:
        return reserve
    t = time.perf_counter()
    if reserve:
        reserve.delete()
    rng = np.random.default_rng(11)
    box = Polygon.from_bbox((X0, Y0, X0 + SIDE, Y0 + SIDE))
    box.srid = 32645
    box.transform(4326)
    with transaction.atomic():
        reserve = Reserve.objects.create(name="Report bench", slug=SLUG, boundary=MultiPolygon(box, srid=4326),
                                         projected_epsg=32645, timezone="Asia/Barnaul")  # fmt: skip
        posts = [Post.objects.create(reserve=reserve, name=f"Post {i}", location=box.centroid) for i in range(3)]
        teams = [Team.objects.create(reserve=reserve, name=f"Team {i}", home_post=posts[i % 3]) for i in range(4)]
        for i, (x, y) in enumerate([(X0, Y0), (X0 + SIDE / 2, Y0 + SIDE / 2)]):
            area = Polygon.from_bbox((x, y, x + SIDE / 2, y + SIDE / 2))
            area.srid = 32645
            area.transform(4326)
            Zone.objects.create(reserve=reserve, name=f"Zone {i}", kind=Zone.Kind.CORE, area=area)
        year = datetime(2025, 1, 1, tzinfo=UTC)
        starts = year - timedelta(days=3) + timedelta(days=1) * rng.uniform(0, 368, patrols)
        rows = []
        for i, xy in enumerate(_tracks(rng, patrols)):
            line = LineString(*map(tuple, xy), srid=32645)
            line.transform(4326)
            start = starts[i]
            rows.append(Patrol(reserve=reserve, team=teams[i % 4], status=Patrol.Status.COMPLETED,
                               actual_start=start, actual_end=start + timedelta(hours=float(rng.uniform(6, 60))),
                               track=MultiLineString(line, srid=4326), track_length_km=12.0))  # fmt: skip
        patrol_objs = Patrol.objects.bulk_create(rows, batch_size=1000)
        pts = rng.uniform([X0, Y0], [X0 + SIDE, Y0 + SIDE], (finds, 2))
        lonlat = MultiLineString(LineString(*map(tuple, pts), srid=32645), srid=32645)
        lonlat.transform(4326)
        coords = lonlat[0].coords
        musk = Species.objects.get(scientific_name="Moschus moschiferus")
        materials, states = list(SnareFind.Material.values), list(SnareFind.State.values)
        placements, actions = list(SnareFind.Placement.values), list(SnareFind.Action.values)
        SnareFind.objects.bulk_create(
            [SnareFind(reserve=reserve, patrol=patrol_objs[i % patrols], location=Point(*coords[i], srid=4326),
                       found_at=year + timedelta(seconds=float(rng.uniform(0, 365 * 86400))),
                       count=int(rng.integers(1, 4)), material=materials[i % 4], state=states[i % 3],
                       placement=placements[i % 3], action=actions[i % 3],
                       catch_species=musk if i % 50 == 0 else None, catch_condition="dead" if i % 50 == 0 else "none")
             for i in range(finds)], batch_size=5000)  # fmt: skip
        kinds = list(Incident.Kind.values)
        Incident.objects.bulk_create(
            [Incident(reserve=reserve, patrol=patrol_objs[i], location=Point(*coords[i], srid=4326),
                      kind=kinds[i % len(kinds)], occurred_at=year + timedelta(hours=i * 4)) for i in range(2000)],
            batch_size=2000)  # fmt: skip
        cams = CameraDeployment.objects.bulk_create(
            [CameraDeployment(reserve=reserve, deployment_id=f"CT{i}", location=Point(*coords[i], srid=4326),
                              start=year + timedelta(days=i * 5), end=year + timedelta(days=i * 5 + 90))
             for i in range(40)])  # fmt: skip
        leopard = Species.objects.get(scientific_name="Panthera uncia")
        Detection.objects.bulk_create(
            [Detection(reserve=reserve, species=leopard, method=Detection.Method.CAMERA_TRAP, deployment=cams[i % 40],
                       location=Point(*coords[i], srid=4326), observed_at=year + timedelta(hours=i * 1.7))
             for i in range(5000)], batch_size=5000)  # fmt: skip
        action_kinds = list(EnforcementAction.Kind.values)
        EnforcementAction.objects.bulk_create(
            [EnforcementAction(reserve=reserve, kind=action_kinds[i % 7], team=teams[i % 4],
                               location=Point(*coords[i], srid=4326), taken_at=year + timedelta(hours=i * 14))
             for i in range(600)])  # fmt: skip
        Case.objects.bulk_create(
            [Case(reserve=reserve, number=f"{i}/2025", agency="Police", opened_on=date(2025, 1, 1) + timedelta(days=i),
                  status=Case.Status.CLOSED if i % 2 else Case.Status.OPEN,
                  closed_on=date(2025, 3, 1) + timedelta(days=i) if i % 2 else None,
                  verdict=Case.Verdict.CONVICTED if i % 4 == 1 else Case.Verdict.ACQUITTED if i % 2 else "")
             for i in range(200)])  # fmt: skip
    print(f"built {SLUG}: {patrols:,} patrols, {finds:,} snare finds in {time.perf_counter() - t:.1f} s")
    return reserve


def best_of(n: int, fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(n):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--finds", type=int, default=100_000)
    parser.add_argument("--patrols", type=int, default=5_000)
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from threats.reports.build import report_build
    from threats.reports.periods import year_period

    reserve = build(args.finds, args.patrols)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    period = year_period(2025)
    start, end = period.bounds(reserve.timezone)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), sum(count) FROM threats_snarefind WHERE reserve_id = %s "
                           "AND found_at >= %s AND found_at < %s", [reserve.pk, start, end])  # fmt: skip
            finds = cursor.fetchone()
            cursor.execute("SELECT count(*), sum(track_length_km) FROM patrol_patrol WHERE reserve_id = %s "
                           "AND actual_start < %s AND actual_end > %s", [reserve.pk, end, start])  # fmt: skip
            return finds, cursor.fetchone()

    t_base, (finds, patrols) = best_of(3, baseline)
    print(f"rows: {finds[0]:,} finds ({finds[1]:,} snares), {patrols[0]:,} patrols overlapping 2025")
    print(f"baseline count/sum                {t_base:7.3f} s")
    t_report, report = best_of(3, lambda: report_build(reserve=reserve, period=period))
    totals = report["totals"]
    print(f"annual report (2025 beside 2024)  {t_report:7.3f} s  ratio {t_report / t_base:6.1f}x  goal < 3 s (aim 1 s)")
    print(f"  patrols {totals['patrols']:,}, patrol-days {totals['patrol_days']:,}, km {totals['distance_km']:,}, "
          f"cells {totals['area_cells']:,}, snares {totals['snares']:,}, "
          f"CPUE {totals['cpue_per_100km']}/100 km")  # fmt: skip
    for by in ("month", "team"):
        t_by, _ = best_of(3, lambda by=by: report_build(reserve=reserve, period=period, by=by))
        print(f"annual report by {by:<6}           {t_by:7.3f} s  ratio {t_by / t_base:6.1f}x")
    print("PASS" if t_report < 3.0 else "FAIL: over 3 s")


if __name__ == "__main__":
    main()

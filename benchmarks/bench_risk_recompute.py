"""Time and peak memory of a full risk recompute on a 260,000-cell reserve with 100,000 finds and 5,000 tracks.

Inputs: the demo generator's terrain, access points and cameras at 25.5 km x 25.5 km on its 50 m
grid (510 x 510 = 260,100 cells), then densified: 5,000 patrol tracks resampled from the demo's
own (a random demo patrol, shifted to a random start in the year, with fresh GPS wander), and
100,000 finds drawn along those tracks (within the detection radius) in proportion to the hidden
intensity, at the time the track passed. Musk deer and leopard records are resampled 10x.

Prints the time of each stage: terrain features (slope, valley network, walking-time Dijkstra;
computed once per DEM and access-point set and cached in production), the effort
rasterisation and the full ``fit_risk`` (effort + prey + leopard + snare models + uncertainty),
and the process's peak RSS. The goal is < 30 s and < 2 GB for terrain + fit.

    .venv/bin/python benchmarks/bench_risk_recompute.py [--tracks 5000] [--finds 100000]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np
from _common import peak_rss_mb
from scipy import ndimage

from threats.interchange import demo
from threats.interchange.demo_inputs import demo_access_xy, risk_inputs_from_demo
from threats.risk import data as risk_data
from threats.risk import effort as risk_effort
from threats.risk import features as risk_features
from threats.risk import model as risk_model

SIZE_M = 25_500.0  # 510 x 510 cells of 50 m


def synthetic_inputs(n_tracks: int, n_finds: int, seed: int = 7):
    reserve = demo.generate(seed=seed, end=datetime(2025, 1, 1, tzinfo=UTC), size_m=SIZE_M)
    base = risk_inputs_from_demo(reserve)
    rng = np.random.default_rng(seed)
    year = base.end - base.start
    tracks = []
    for i in range(n_tracks):
        src = base.tracks[int(rng.integers(len(base.tracks)))]
        shift = base.start + rng.uniform(0, year - (src.t[-1] - src.t[0])) - src.t[0]
        wander = ndimage.gaussian_filter1d(rng.normal(0, 60, size=src.xy.shape), sigma=4, axis=0)
        tracks.append(risk_data.PatrolTrack(i, src.xy + wander, src.t + shift))
    # finds: points near the tracks, accepted in proportion to the hidden intensity there
    truth = reserve.truth_intensity.astype(np.float64).ravel()
    accept_scale = truth.max()
    xs, ys, ts = [], [], []
    while len(xs) < n_finds:
        k = rng.integers(len(tracks), size=20_000)
        fx, fy, ft = [], [], []
        for j in k:
            tr = tracks[int(j)]
            p = int(rng.integers(len(tr.t)))
            fx.append(tr.xy[p, 0])
            fy.append(tr.xy[p, 1])
            ft.append(tr.t[p])
        angle, dist = rng.uniform(0, 2 * np.pi, len(k)), 100.0 * np.sqrt(rng.uniform(0, 1, len(k)))
        fx = np.array(fx) + dist * np.cos(angle)
        fy = np.array(fy) + dist * np.sin(angle)
        cell, ok = base.grid.flat_index(fx, fy)
        keep = ok & (rng.uniform(0, accept_scale, len(k)) < truth[cell])
        xs.extend(fx[keep])
        ys.extend(fy[keep])
        ts.extend(np.array(ft)[keep])
    finds = risk_data.PointEvents.create(xs[:n_finds], ys[:n_finds], ts[:n_finds])

    def resample(events: risk_data.PointEvents, times: int) -> risk_data.PointEvents:
        idx = np.repeat(np.arange(len(events)), times)
        return risk_data.PointEvents.create(
            events.x[idx] + rng.normal(0, 30, len(idx)), events.y[idx] + rng.normal(0, 30, len(idx)), events.t[idx]
        )

    prey = risk_data.SpeciesDetections(resample(base.prey.camera, 10), resample(base.prey.sign, 10))
    leopard = risk_data.SpeciesDetections(resample(base.leopard.camera, 10), resample(base.leopard.sign, 10))
    inputs = risk_data.RiskInputs(
        grid=base.grid,
        start=base.start,
        end=base.end,
        snare_finds=finds,
        tracks=tracks,
        prey=prey,
        leopard=leopard,
        cameras=base.cameras,
        incidents=base.incidents,
    )
    return reserve, inputs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tracks", type=int, default=5000)
    parser.add_argument("--finds", type=int, default=100_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    reserve, inputs = synthetic_inputs(args.tracks, args.finds)
    n_points = sum(len(tr.t) for tr in inputs.tracks)
    km = sum(float(np.hypot(*np.diff(tr.xy, axis=0).T).sum()) for tr in inputs.tracks) / 1000.0
    print(
        f"inputs: {inputs.grid.shape[0]}x{inputs.grid.shape[1]} = {inputs.grid.n_cells:,} cells of "
        f"{inputs.grid.cell_m:.0f} m, {len(inputs.snare_finds):,} finds, {len(inputs.tracks):,} tracks "
        f"({n_points:,} fixes, {km:,.0f} km), {len(inputs.prey.camera) + len(inputs.prey.sign):,} musk deer and "
        f"{len(inputs.leopard.camera) + len(inputs.leopard.sign):,} leopard records; "
        f"generated in {time.perf_counter() - t0:.1f} s; RSS so far {peak_rss_mb():.0f} MB"
    )

    t1 = time.perf_counter()
    features = risk_features.build_terrain_features(
        reserve.elevation, grid=inputs.grid, access_xy=demo_access_xy(reserve)
    )
    t2 = time.perf_counter()
    effort = risk_effort.patrol_effort(
        inputs.grid, inputs.tracks, start=inputs.start, end=inputs.end, cameras=inputs.cameras
    )
    t3 = time.perf_counter()
    result = risk_model.fit_risk(inputs, features)
    t4 = time.perf_counter()
    print(f"terrain features (once per DEM): {t2 - t1:.1f} s")
    print(f"effort rasterisation alone:      {t3 - t2:.1f} s ({int((effort.visits > 0).sum()):,} patrolled cells)")
    print(f"fit_risk (effort + all models):  {t4 - t3:.1f} s (k = {result.detection_rate})")
    print(f"recompute total (terrain + fit): {t2 - t1 + t4 - t3:.1f} s")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

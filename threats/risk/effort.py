"""Patrol effort and exposure: visits per cell counted once per patrol, recency, camera trap-days."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from patrol.terrain.grid import Grid
from threats.risk.data import SECONDS_PER_DAY, SECONDS_PER_YEAR, CameraDeployments, PatrolTrack, PointEvents


@dataclass
class EffortLayers:
    visits: np.ndarray  # recency-weighted patrols passing within the detection radius (each patrol once)
    distance_km: np.ndarray  # km of patrol track within the detection radius (each patrol once)
    hours: np.ndarray  # hours on patrol within the detection radius (rests/camps excluded)
    trap_days: np.ndarray  # camera-trap days in the cell
    weighted_years: float  # the window's length in years, recency-weighted like the visits

    @property
    def patrolled(self) -> np.ndarray:
        return self.visits > 0


def recency_weights(t: np.ndarray, *, reference: float, half_life_days: float) -> np.ndarray:
    """0.5 ** (age / half-life); records after the reference time weigh 1. An infinite half-life weighs all 1."""
    if math.isinf(half_life_days):
        return np.ones(np.shape(t))
    age_days = np.maximum(reference - np.asarray(t, dtype=np.float64), 0.0) / SECONDS_PER_DAY
    return np.power(0.5, age_days / half_life_days)


def weighted_years(start: float, end: float, *, reference: float, half_life_days: float) -> float:
    """Integral of the recency weight over [start, end), in years."""
    if end <= start:
        return 0.0
    if math.isinf(half_life_days):
        return (end - start) / SECONDS_PER_YEAR
    rate = math.log(2.0) / (half_life_days * SECONDS_PER_DAY)
    a, b = max(reference - end, 0.0), max(reference - start, 0.0)
    return (math.exp(-rate * a) - math.exp(-rate * b)) / rate / SECONDS_PER_YEAR


def disk_offsets(radius_m: float, cell_m: float) -> np.ndarray:
    """(drow, dcol) of the cells whose centre is within radius of a cell's centre (always includes (0, 0))."""
    reach = int(math.floor(radius_m / cell_m))
    dr, dc = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    keep = np.hypot(dr, dc) * cell_m <= radius_m + 1e-9
    return np.column_stack([dr[keep], dc[keep]])


def _track_pieces(track: PatrolTrack, step_m: float, max_gap_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Midpoints, lengths (m) and durations (s) of pieces no longer than step_m along a track.

    A GPS track is a polyline, not a set of points: fixes 300 m apart still swept the ground
    between them. Gaps longer than max_gap_s (rests, camps, lost signal) count as distance but
    not as patrol time.
    """
    xy = np.asarray(track.xy, dtype=np.float64)
    t = np.asarray(track.t, dtype=np.float64)
    if len(xy) < 2:
        return np.zeros((len(xy), 2)) + xy, np.zeros(len(xy)), np.zeros(len(xy))
    seg = np.diff(xy, axis=0)
    length = np.hypot(seg[:, 0], seg[:, 1])
    dt = np.diff(t)
    dt = np.where((dt > max_gap_s) | (dt < 0), 0.0, dt)
    n_sub = np.maximum(np.ceil(length / step_m).astype(np.int64), 1)
    seg_of_piece = np.repeat(np.arange(len(seg)), n_sub)
    first_piece = np.cumsum(n_sub) - n_sub
    within = np.arange(len(seg_of_piece)) - first_piece[seg_of_piece]
    frac = (within + 0.5) / n_sub[seg_of_piece]
    mid = xy[:-1][seg_of_piece] + frac[:, None] * seg[seg_of_piece]
    return mid, (length / n_sub)[seg_of_piece], (dt / n_sub)[seg_of_piece]


def _unique_sorted(keys: np.ndarray) -> np.ndarray:
    """np.unique for int64 keys by sorting (numpy 2's hash-based unique is several times slower here)."""
    if len(keys) == 0:
        return keys
    ordered = np.sort(keys)
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def _unique_with_inverse(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def patrol_effort(
    grid: Grid,
    tracks: Sequence[PatrolTrack],
    *,
    start: float,
    end: float,
    detection_radius_m: float = 100.0,
    half_life_days: float = 365.0,
    max_fix_gap_hours: float = 1.0,
    cameras: CameraDeployments | None = None,
    patrols_per_batch: int = 400,
) -> EffortLayers:
    """Rasterise GPS tracks into per-cell effort within the detection radius, each patrol counted once.

    Each track is cut into pieces of at most half a cell, so every cell it crosses is hit. A
    patrol's tracks (several devices or segments) are merged per cell by taking the largest
    distance/time and a single visit: four rangers with four phones are one patrol. The
    detection radius is applied by spreading each touched cell over the cells whose centre lies
    within the radius (exact to half a cell). Visits are recency-weighted by the patrol's mid time.
    """
    n = grid.n_cells
    cols = grid.shape[1]
    offsets = disk_offsets(detection_radius_m, grid.cell_m)
    step_m = grid.cell_m / 2.0
    max_gap_s = max_fix_gap_hours * 3600.0
    reference = end
    patrol_ids = np.array(sorted({int(tr.patrol_id) for tr in tracks}), dtype=np.int64)
    patrol_pos = {pid: i for i, pid in enumerate(patrol_ids.tolist())}
    # per-patrol recency weight from the mean time of its tracks
    t_sum = np.zeros(len(patrol_ids))
    t_cnt = np.zeros(len(patrol_ids))
    for tr in tracks:
        if len(tr.t):
            t_sum[patrol_pos[int(tr.patrol_id)]] += float(np.mean(tr.t))
            t_cnt[patrol_pos[int(tr.patrol_id)]] += 1
    patrol_weight = recency_weights(t_sum / np.maximum(t_cnt, 1), reference=reference, half_life_days=half_life_days)

    line_km = np.zeros(n)
    line_hours = np.zeros(n)
    visits = np.zeros(n)
    by_batch: dict[int, list[PatrolTrack]] = {}
    for tr in tracks:
        by_batch.setdefault(patrol_pos[int(tr.patrol_id)] // patrols_per_batch, []).append(tr)
    for batch_tracks in by_batch.values():
        keys, lengths, seconds = [], [], []
        for track_no, tr in enumerate(batch_tracks):
            mid, length, dur = _track_pieces(tr, step_m, max_gap_s)
            cell, ok = grid.flat_index(mid[:, 0], mid[:, 1])
            # key = (track, cell): one row per cell a track crosses
            keys.append(np.int64(track_no) * n + cell[ok])
            lengths.append(length[ok])
            seconds.append(dur[ok])
        if not keys:
            continue
        key = np.concatenate(keys)
        track_cell, inverse = _unique_with_inverse(key)
        km = np.bincount(inverse, weights=np.concatenate(lengths)) / 1000.0
        hrs = np.bincount(inverse, weights=np.concatenate(seconds)) / 3600.0
        track_no, cell = np.divmod(track_cell, n)
        patrol = np.array([patrol_pos[int(batch_tracks[i].patrol_id)] for i in range(len(batch_tracks))])[track_no]
        # merge a patrol's tracks per cell: the largest distance/time, one visit
        pc_key = patrol * n + cell
        order = np.lexsort((-km, pc_key))
        first = np.ones(len(order), dtype=bool)
        first[1:] = pc_key[order][1:] != pc_key[order][:-1]
        pick = order[first]
        w = patrol_weight[patrol[pick]]
        np.add.at(line_km, cell[pick], km[pick] * w)
        np.add.at(line_hours, cell[pick], hrs[pick] * w)
        # visits: the union over the patrol of the disks around the cells it crossed
        prow, pcol = np.divmod(cell[pick], cols)
        spread = []
        for dr, dc in offsets:
            r, c = prow + dr, pcol + dc
            ok = (r >= 0) & (r < grid.shape[0]) & (c >= 0) & (c < cols)
            spread.append(patrol[pick][ok] * n + r[ok] * cols + c[ok])
        covered = _unique_sorted(np.concatenate(spread))
        covered_patrol, covered_cell = np.divmod(covered, n)
        visits += np.bincount(covered_cell, weights=patrol_weight[covered_patrol], minlength=n)
    kernel = np.zeros((2 * int(offsets[:, 0].max()) + 1,) * 2)
    centre = kernel.shape[0] // 2
    kernel[offsets[:, 0] + centre, offsets[:, 1] + centre] = 1.0
    distance_km = ndimage.convolve(line_km.reshape(grid.shape), kernel, mode="constant")
    hours = ndimage.convolve(line_hours.reshape(grid.shape), kernel, mode="constant")
    trap_days = camera_trap_days(grid, cameras if cameras is not None else CameraDeployments.empty(), start, end)
    return EffortLayers(
        visits=visits.reshape(grid.shape),
        distance_km=distance_km,
        hours=hours,
        trap_days=trap_days,
        weighted_years=weighted_years(start, end, reference=reference, half_life_days=half_life_days),
    )


def camera_trap_days(grid: Grid, cameras: CameraDeployments, start: float, end: float) -> np.ndarray:
    """Camera-trap days per cell inside [start, end)."""
    days = np.clip(np.minimum(cameras.end, end) - np.maximum(cameras.start, start), 0.0, None) / SECONDS_PER_DAY
    cell, ok = grid.flat_index(cameras.x, cameras.y)
    return np.bincount(cell[ok], weights=days[ok], minlength=grid.n_cells).reshape(grid.shape)


def event_counts(
    grid: Grid, events: PointEvents, *, reference: float | None = None, half_life_days: float | None = None
) -> np.ndarray:
    """Sum of event weights per cell, optionally recency-weighted."""
    cell, ok = grid.flat_index(events.x, events.y)
    w = events.weight.copy()
    if reference is not None and half_life_days is not None:
        w = w * recency_weights(events.t, reference=reference, half_life_days=half_life_days)
    return np.bincount(cell[ok], weights=w[ok], minlength=grid.n_cells).reshape(grid.shape)


def merge_same_line_finds(finds: PointEvents, *, radius_m: float, within_days: float) -> PointEvents:
    """Drop every find made within ``radius_m`` of an earlier find and at most ``within_days`` after it.

    Such a record is the rest of a snare line that an earlier patrol found part of; intensity is
    in lines set, so it is not counted again. (Two finds at the same second both stay.)
    """
    if len(finds) < 2 or radius_m <= 0:
        return finds
    pairs = cKDTree(np.column_stack([finds.x, finds.y])).query_pairs(radius_m, output_type="ndarray")
    if len(pairs) == 0:
        return finds
    dt = finds.t[pairs[:, 1]] - finds.t[pairs[:, 0]]
    window = within_days * SECONDS_PER_DAY
    later = np.where(dt > 0, pairs[:, 1], pairs[:, 0])[(np.abs(dt) > 0) & (np.abs(dt) <= window)]
    keep = np.ones(len(finds), dtype=bool)
    keep[later] = False
    return PointEvents(finds.x[keep], finds.y[keep], finds.t[keep], finds.weight[keep])


def detection_exposure(visits: np.ndarray, weighted_years_: float, rate_per_visit: float) -> np.ndarray:
    """Years of snare-setting the patrols would have found: T * (1 - exp(-k * visits / T)).

    A snare line lasts weeks to months; the first pass that comes close finds most of it, later
    passes mostly find nothing new. So exposure grows with visits at first and then saturates
    at the window length: a cell walked past weekly has told us about all its snares, a cell
    walked past once about a fraction of them.
    """
    if weighted_years_ <= 0:
        return np.zeros_like(visits, dtype=np.float64)
    return weighted_years_ * -np.expm1(-rate_per_visit * np.asarray(visits, dtype=np.float64) / weighted_years_)

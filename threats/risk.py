"""Snare-threat risk model: effort-corrected snare-setting intensity, its uncertainty, leopard risk.

Pure numerical code (numpy/scipy, plus ``patrol.terrain``): inputs are arrays in the reserve's
projected CRS (metres) and times in epoch seconds; outputs are arrays on the model grid. No
database, no web imports. See docs/risk-model.md for the model and docs/adr/0004 for the decision.

The model in one paragraph: finds are Poisson counts whose mean is
``intensity x exposure``, where exposure is the time window times a saturating detection term
``1 - exp(-k * patrol visits per year)`` (a cell walked past forty times has had its snares found; a
cell never visited tells nothing). log-intensity is a penalised GLM of terrain and prey features
(Gaussian priors, so features the effort cannot identify fall back to documented defaults) times a
gamma-Poisson spatial frailty that moves the estimate towards nearby finds-per-effort where there
is effort and leaves it at the GLM prior where there is none. Leopard presence is the same kind of
model fitted to leopard detections with camera and patrol effort. Leopard risk = intensity x presence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import networkx as nx
import numpy as np
from scipy import ndimage
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from patrol import terrain

MODEL_VERSION = "irbis-risk-1.0 (effort-exposure Poisson GLM + gamma-Poisson spatial frailty)"

SECONDS_PER_DAY = 86_400.0
SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY


# --- grid and inputs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """A north-up grid of square cells in projected metres; (x0, y0) is the north-west corner."""

    x0: float
    y0: float
    cell_m: float
    shape: tuple[int, int]

    @classmethod
    def from_geotransform(cls, geotransform: Sequence[float], shape: tuple[int, int]) -> Grid:
        x0, pixel_w, _, y0, _, pixel_h = geotransform
        if not math.isclose(pixel_w, -pixel_h, rel_tol=1e-9):
            raise ValueError(f"the risk model needs square cells, got {pixel_w} x {-pixel_h} m")
        return cls(float(x0), float(y0), float(pixel_w), (int(shape[0]), int(shape[1])))

    @property
    def geotransform(self) -> tuple[float, float, float, float, float, float]:
        return (self.x0, self.cell_m, 0.0, self.y0, 0.0, -self.cell_m)

    @property
    def n_cells(self) -> int:
        return self.shape[0] * self.shape[1]

    def rowcol(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cells containing the points (may lie outside the grid)."""
        col = np.floor((np.asarray(x, dtype=np.float64) - self.x0) / self.cell_m).astype(np.int64)
        row = np.floor((self.y0 - np.asarray(y, dtype=np.float64)) / self.cell_m).astype(np.int64)
        return row, col

    def flat_index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(flat cell index, inside-grid mask); the index is 0 where the point is outside."""
        row, col = self.rowcol(x, y)
        inside = (row >= 0) & (row < self.shape[0]) & (col >= 0) & (col < self.shape[1])
        return np.where(inside, row * self.shape[1] + col, 0), inside

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = np.indices(self.shape)
        return self.x0 + (cols + 0.5) * self.cell_m, self.y0 - (rows + 0.5) * self.cell_m

    def coarsened(self, factor: int) -> Grid:
        return Grid(self.x0, self.y0, self.cell_m * factor, (self.shape[0] // factor, self.shape[1] // factor))


def coarsen_mean(values: np.ndarray, factor: int) -> np.ndarray:
    """Block mean over factor x factor cells (trailing rows/columns that do not fill a block are dropped)."""
    if factor == 1:
        return np.asarray(values, dtype=np.float64)
    rows, cols = values.shape[0] // factor, values.shape[1] // factor
    blocks = np.asarray(values, dtype=np.float64)[: rows * factor, : cols * factor]
    return blocks.reshape(rows, factor, cols, factor).mean(axis=(1, 3))


@dataclass(frozen=True)
class PointEvents:
    """Point records (finds, incidents, detections): x/y metres, t epoch seconds, weight (count)."""

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray
    weight: np.ndarray

    @classmethod
    def create(cls, x, y, t, weight=None) -> PointEvents:
        x = np.asarray(x, dtype=np.float64).ravel()
        w = np.ones_like(x) if weight is None else np.asarray(weight, dtype=np.float64).ravel()
        return cls(x, np.asarray(y, dtype=np.float64).ravel(), np.asarray(t, dtype=np.float64).ravel(), w)

    @classmethod
    def empty(cls) -> PointEvents:
        return cls.create([], [], [])

    def __len__(self) -> int:
        return len(self.x)

    def between(self, start: float, end: float) -> PointEvents:
        keep = (self.t >= start) & (self.t < end)
        return PointEvents(self.x[keep], self.y[keep], self.t[keep], self.weight[keep])


@dataclass(frozen=True)
class SpeciesDetections:
    """Detections of one species, split by the effort that produced them."""

    camera: PointEvents  # at a camera-trap deployment (effort: trap-days)
    sign: PointEvents  # tracks, scat, sightings by patrols (effort: patrol visits)

    @classmethod
    def empty(cls) -> SpeciesDetections:
        return cls(PointEvents.empty(), PointEvents.empty())

    def between(self, start: float, end: float) -> SpeciesDetections:
        return SpeciesDetections(self.camera.between(start, end), self.sign.between(start, end))


@dataclass(frozen=True)
class CameraDeployments:
    x: np.ndarray
    y: np.ndarray
    start: np.ndarray  # epoch seconds
    end: np.ndarray

    @classmethod
    def create(cls, x, y, start, end) -> CameraDeployments:
        return cls(*(np.asarray(a, dtype=np.float64).ravel() for a in (x, y, start, end)))

    @classmethod
    def empty(cls) -> CameraDeployments:
        return cls.create([], [], [], [])


@dataclass(frozen=True)
class PatrolTrack:
    """One GPS track (a device, or a segment after a pause) of one patrol; several may share a patrol_id."""

    patrol_id: int
    xy: np.ndarray  # (n, 2) metres
    t: np.ndarray  # (n,) epoch seconds, non-decreasing


@dataclass(frozen=True)
class RiskInputs:
    """Everything the model reads, for one reserve and one time window [start, end)."""

    grid: Grid
    start: float
    end: float
    snare_finds: PointEvents  # one record per find (a line counts once; weight = 1 unless told otherwise)
    tracks: Sequence[PatrolTrack]
    prey: SpeciesDetections = field(default_factory=SpeciesDetections.empty)  # musk deer, the snare target
    leopard: SpeciesDetections = field(default_factory=SpeciesDetections.empty)
    cameras: CameraDeployments = field(default_factory=CameraDeployments.empty)
    # Incidents that are not already snare finds (camps, encounters), weighted by kind by the caller;
    # they add to the snare evidence of their cell. Carcass/snare-line incidents tied to finds are
    # left out by the caller so they are not counted twice.
    incidents: PointEvents = field(default_factory=PointEvents.empty)

    def window(self, start: float, end: float) -> RiskInputs:
        """The same inputs restricted to [start, end): records by time, tracks clipped to the window."""
        tracks = []
        for track in self.tracks:
            keep = (track.t >= start) & (track.t < end)
            if keep.sum() >= 2:
                tracks.append(PatrolTrack(track.patrol_id, track.xy[keep], track.t[keep]))
        cams = self.cameras
        overlap = (cams.end > start) & (cams.start < end)
        cameras = CameraDeployments(
            cams.x[overlap], cams.y[overlap], np.maximum(cams.start[overlap], start), np.minimum(cams.end[overlap], end)
        )
        return replace(
            self,
            start=float(start),
            end=float(end),
            snare_finds=self.snare_finds.between(start, end),
            tracks=tracks,
            prey=self.prey.between(start, end),
            leopard=self.leopard.between(start, end),
            cameras=cameras,
            incidents=self.incidents.between(start, end),
        )


@dataclass(frozen=True)
class RiskConfig:
    detection_radius_m: float = 100.0
    half_life_days: float = 365.0  # recency: a find (and the effort that found it) a year old weighs half
    max_fix_gap_hours: float = 1.0  # longer gaps between fixes are rests or camps, not patrol time
    # Saturating detection: exposure = years * (1 - exp(-k * visits per year)); k is chosen by
    # profile likelihood among these values (per visit-per-year).
    detection_rates: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
    # Gaussian priors (mean, sd) on the snare GLM's coefficients; see docs/risk-model.md.
    prior_prey: tuple[float, float] = (1.0, 0.5)  # per unit log musk-deer rate: snares follow their target
    prior_walk_hours: tuple[float, float] = (0.0, 1.0)  # per hour of walk from the nearest access point
    prior_valley_km: tuple[float, float] = (-1.0, 0.5)  # per km from the valley network (not identifiable
    # when patrols only walk valley floors, so this prior carries it there)
    prior_zone_sd: float = 0.5
    prior_intercept_sd: float = 10.0
    prior_habitat_sd: float = 1.0  # terrain terms of the prey and leopard models (standardised units)
    # Spatial frailty: nearby finds vs finds expected from the GLM and the effort.
    frailty_bandwidth_m: float = 1500.0
    frailty_prior_finds: float = 3.0  # prior strength, in expected finds
    leopard_bandwidth_m: float = 3000.0
    leopard_prior_detections: float = 2.0
    leopard_reference_trap_days: float = 30.0  # presence = P(a camera records a leopard in this many days)
    # A find within this distance and time of an earlier one is taken as the rest of the same snare
    # line (found by a later patrol) and not counted again: intensity is in lines set, not records.
    same_line_radius_m: float = 60.0
    same_line_days: float = 90.0


# --- terrain features -----------------------------------------------------------------------


@dataclass
class TerrainFeatures:
    """Static per-cell layers of a reserve; compute once per DEM and access-point set, reuse per fit."""

    grid: Grid
    elevation: np.ndarray
    slope_deg: np.ndarray
    valley_distance_m: np.ndarray
    walking_hours: np.ndarray  # from the nearest access point, through the terrain graph
    reach_labels: np.ndarray  # int, the valley reach each cell drains into (0 = none)
    zone: np.ndarray  # int zone code per cell (0 = the reference zone)
    inside: np.ndarray  # bool: cells with data
    valleys: nx.DiGraph  # terrain.valley_network reaches


def build_terrain_features(
    elevation: np.ndarray,
    *,
    grid: Grid,
    access_xy: np.ndarray,
    zone: np.ndarray | None = None,
    valley_min_catchment_km2: float = 25.0,
    max_slope_deg: float = terrain.DEFAULT_MAX_SLOPE_DEG,
) -> TerrainFeatures:
    """Slope, valley network and distance to it, walking time from access points, reach catchments.

    Valleys come from D8 flow accumulation of the DEM (streams draining at least
    ``valley_min_catchment_km2``): a real reserve has a DEM, not a drawn valley map.
    Walking time: multi-source Dijkstra from the access points' cells over the directed Tobler
    graph (hours to walk *from* an access point *to* the cell).
    """
    z = np.asarray(elevation, dtype=np.float64)
    if z.shape != grid.shape:
        raise ValueError(f"elevation shape {z.shape} differs from grid {grid.shape}")
    inside = np.isfinite(z)
    slope = terrain.slope_degrees(z, dx_m=grid.cell_m, dy_m=grid.cell_m)
    min_cells = max(2, int(round(valley_min_catchment_km2 * 1e6 / grid.cell_m**2)))
    layers = terrain.valley_network(
        z, dx_m=grid.cell_m, dy_m=grid.cell_m, min_catchment_cells=min_cells, geotransform=grid.geotransform
    )
    stream = np.zeros(grid.n_cells, dtype=np.int64)
    for _, _, data in layers.network.edges(data=True):
        for r, c in data["cells"]:
            if stream[r * grid.shape[1] + c] == 0:  # a confluence cell keeps the upstream reach that reached it first
                stream[r * grid.shape[1] + c] = data["reach_id"]
    stream_grid = stream.reshape(grid.shape)
    if (stream_grid > 0).any():
        valley_distance = ndimage.distance_transform_edt(stream_grid == 0) * grid.cell_m
    else:
        valley_distance = np.full(grid.shape, 0.0)
    reach_labels = reach_catchment_labels(layers.receiver, stream).reshape(grid.shape)
    hours = walking_hours_from(z, grid=grid, sources_xy=access_xy, max_slope_deg=max_slope_deg)
    zone_grid = np.zeros(grid.shape, dtype=np.int64) if zone is None else np.asarray(zone, dtype=np.int64)
    return TerrainFeatures(
        grid, z, np.nan_to_num(slope, nan=0.0), valley_distance, hours, reach_labels, zone_grid, inside, layers.network
    )


def reach_catchment_labels(receiver: np.ndarray, stream_reach: np.ndarray) -> np.ndarray:
    """Label every cell with the reach of the first stream cell downstream of it (0 if none).

    Pointer jumping over the D8 receivers: each round doubles how far a cell looks downstream,
    so it takes log2(longest flow path) vectorised rounds instead of a Python loop per cell.
    """
    label = np.asarray(stream_reach, dtype=np.int64).ravel().copy()
    pointer = np.asarray(receiver, dtype=np.int64).ravel().copy()
    pointer[label > 0] = -1  # stream cells are their own answer
    while True:
        pending = (label == 0) & (pointer >= 0)
        if not pending.any():
            return label
        idx = np.flatnonzero(pending)
        target = pointer[idx]
        label[idx] = label[target]
        pointer[idx] = np.where(label[idx] > 0, -1, pointer[target])


def walking_hours_from(
    elevation: np.ndarray, *, grid: Grid, sources_xy: np.ndarray, max_slope_deg: float = terrain.DEFAULT_MAX_SLOPE_DEG
) -> np.ndarray:
    """Hours to walk from the nearest source point to each cell; cells it cannot reach get the largest finite time.

    A source on an impassable cell (steep ground) starts from the nearest passable one.
    """
    graph = terrain.build_terrain_graph(elevation, dx_m=grid.cell_m, dy_m=grid.cell_m, max_slope_deg=max_slope_deg)
    sources_xy = np.asarray(sources_xy, dtype=np.float64).reshape(-1, 2)
    if len(sources_xy) == 0:
        return np.zeros(grid.shape)
    has_edges = graph.slot_mask > 0
    edge_rows, edge_cols = np.divmod(np.flatnonzero(has_edges), grid.shape[1])
    sx, sy = grid.centres()
    sources = []
    for x, y in sources_xy:
        d2 = (sx.ravel()[has_edges] - x) ** 2 + (sy.ravel()[has_edges] - y) ** 2
        k = int(np.argmin(d2))
        sources.append(int(edge_rows[k] * grid.shape[1] + edge_cols[k]))
    hours = dijkstra(graph.forward, directed=True, indices=sorted(set(sources)), min_only=True)
    finite = np.isfinite(hours)
    hours[~finite] = hours[finite].max() if finite.any() else 0.0
    return hours.reshape(grid.shape)


# --- effort ---------------------------------------------------------------------------------


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


# --- penalised Poisson GLM ------------------------------------------------------------------


@dataclass(frozen=True)
class PoissonFit:
    names: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray  # inverse of the penalised information (Laplace approximation)
    log_likelihood: float  # Poisson log-likelihood without the log(y!) constant


def fit_poisson_glm(
    X: np.ndarray,
    y: np.ndarray,
    log_exposure: np.ndarray,
    *,
    names: Sequence[str],
    prior_mean: np.ndarray,
    prior_sd: np.ndarray,
    max_iter: int = 100,
) -> PoissonFit:
    """MAP estimate of a Poisson GLM (log link, offset) with independent Gaussian priors, by Newton.

    Rows are observation units (cells x effort types); ``y`` may be fractional (recency weights).
    The priors are what lets the model fall back sensibly: with no data a coefficient stays at its
    prior mean, with plenty the data dominate.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    precision = 1.0 / np.asarray(prior_sd, dtype=np.float64) ** 2
    mean = np.asarray(prior_mean, dtype=np.float64)
    beta = mean.copy()
    if len(y) and y.sum() > 0:  # start the intercept at the crude rate so Newton starts close
        beta[0] = math.log(y.sum() / np.exp(log_exposure).sum())

    def objective(b: np.ndarray) -> float:
        eta = X @ b + log_exposure
        with np.errstate(over="ignore"):  # a wild trial step overflows; it is then simply rejected
            value = float(y @ eta - np.exp(eta).sum() - 0.5 * (precision * (b - mean) ** 2).sum())
        return value if math.isfinite(value) else -math.inf

    current = objective(beta)
    for _ in range(max_iter):
        mu = np.exp(X @ beta + log_exposure)
        grad = X.T @ (y - mu) - precision * (beta - mean)
        hess = (X * mu[:, None]).T @ X + np.diag(precision)
        step = np.linalg.solve(hess, grad)
        scale = 1.0
        while True:  # step halving: accept only an improvement (the objective is concave)
            candidate = beta + scale * step
            value = objective(candidate)
            if value >= current or scale < 1e-10:
                break
            scale /= 2.0
        if value < current:
            break  # no ascent left along the Newton direction: at the optimum to rounding
        beta, improvement, current = candidate, value - current, value
        if improvement <= 1e-10 * max(1.0, abs(current)) and np.abs(scale * step).max() < 1e-7:
            break
    mu = np.exp(X @ beta + log_exposure)
    hess = (X * mu[:, None]).T @ X + np.diag(precision)
    eta = X @ beta + log_exposure
    return PoissonFit(tuple(names), beta, np.linalg.inv(hess), float(y @ eta - mu.sum()))


def _standardise(values: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, float, float]:
    centre = float(np.mean(reference))
    scale = float(np.std(reference)) or 1.0
    return (values - centre) / scale, centre, scale


# --- species (prey and leopard) detection-rate models ---------------------------------------


@dataclass
class SpeciesModel:
    """log detection rate = method intercept + terrain terms; ``log_index`` is the terrain part, centred."""

    fit: PoissonFit
    log_index: np.ndarray  # per cell; 0 = a reserve-average cell
    term_contributions: dict[str, np.ndarray]  # per terrain group (elevation, slope, ...), summing to log_index
    camera_rate_per_day: np.ndarray  # expected camera detections per trap-day per cell


def _terrain_design(features: TerrainFeatures, covered: np.ndarray, use_access: bool) -> tuple[dict, list[str]]:
    """Standardised quadratic terrain terms, clamped to the range the effort sampled.

    Clamping keeps a quadratic fitted on valley floors and camera ridges from bending upwards into
    conditions no one looked at: outside the sampled range the effect is held at its edge value.
    """
    raw = {"elevation": features.elevation, "slope": features.slope_deg}
    if use_access:
        raw["walking_hours"] = features.walking_hours
    columns: dict[str, tuple[str, np.ndarray]] = {}
    names: list[str] = []
    inside = features.inside
    for group, values in raw.items():
        v = np.where(inside, values, np.nanmean(values[inside]))
        sampled = v[covered & inside]
        if sampled.size < 2:
            sampled = v[inside]
        clamped = np.clip(v, sampled.min(), sampled.max())
        z, _, _ = _standardise(clamped, v[inside])
        columns[group] = (group, z)
        columns[f"{group}^2"] = (group, z**2)
        names += [group, f"{group}^2"]
    return columns, names


def fit_species_model(
    features: TerrainFeatures,
    detections: SpeciesDetections,
    effort: EffortLayers,
    *,
    reference: float,
    config: RiskConfig,
    use_access: bool = False,
) -> SpeciesModel:
    """Detection rates of one species from camera (per trap-day) and patrol sign (per visit) records."""
    grid = features.grid
    camera_counts = event_counts(grid, detections.camera, reference=reference, half_life_days=config.half_life_days)
    sign_counts = event_counts(grid, detections.sign, reference=reference, half_life_days=config.half_life_days)
    trap_days = effort.trap_days.copy()
    trap_days[(camera_counts > 0) & (trap_days <= 0)] = 1.0  # a record proves some effort
    visits = effort.visits.copy()
    visits[(sign_counts > 0) & (visits <= 0)] = 1.0
    covered = (trap_days > 0) | (visits > 0)
    columns, names = _terrain_design(features, covered, use_access)
    cam_rows = np.flatnonzero(trap_days.ravel() > 0)
    sign_rows = np.flatnonzero(visits.ravel() > 0)
    terrain_block = np.column_stack([columns[nm][1].ravel() for nm in names]) if names else np.zeros((grid.n_cells, 0))
    X = np.vstack(
        [
            np.column_stack([np.ones(len(cam_rows)), np.zeros(len(cam_rows)), terrain_block[cam_rows]]),
            np.column_stack([np.zeros(len(sign_rows)), np.ones(len(sign_rows)), terrain_block[sign_rows]]),
        ]
    )
    y = np.concatenate([camera_counts.ravel()[cam_rows], sign_counts.ravel()[sign_rows]])
    log_exposure = np.log(np.concatenate([trap_days.ravel()[cam_rows], visits.ravel()[sign_rows]]))
    n_terms = len(names)
    prior_mean = np.zeros(2 + n_terms)
    prior_sd = np.concatenate([[config.prior_intercept_sd] * 2, [config.prior_habitat_sd] * n_terms])
    fit = fit_poisson_glm(
        X, y, log_exposure, names=["camera", "sign", *names], prior_mean=prior_mean, prior_sd=prior_sd
    )
    contributions: dict[str, np.ndarray] = {}
    for j, nm in enumerate(names):
        group, column = columns[nm]
        part = fit.coef[2 + j] * column
        contributions[group] = contributions.get(group, 0.0) + part
    inside = features.inside
    for group in contributions:  # centre on the reserve-average cell so the parts sum to a centred index
        contributions[group] = contributions[group] - contributions[group][inside].mean()
    log_index = sum(contributions.values()) if contributions else np.zeros(grid.shape)
    raw_terrain = (terrain_block @ fit.coef[2:]).reshape(grid.shape) if n_terms else np.zeros(grid.shape)
    camera_rate = np.exp(fit.coef[0] + raw_terrain)
    return SpeciesModel(fit, np.where(inside, log_index, 0.0), contributions, camera_rate)


# --- the snare model ------------------------------------------------------------------------


@dataclass
class Contribution:
    name: str
    value: float  # contribution to the cell's log-intensity
    detail: str = ""


@dataclass
class CellExplanation:
    row: int
    col: int
    intensity: float
    log_intensity: float
    baseline: float  # log-intensity of a reserve-average cell before local evidence
    contributions: list[Contribution]  # baseline + sum(values) == log_intensity
    effort_visits: float
    effort_km: float
    effort_hours: float
    finds_in_cell: float
    nearby_finds: float  # kernel-weighted finds around the cell
    nearby_expected_finds: float  # kernel-weighted finds the GLM expected given the effort
    data_weight: float  # 0 = prior only, 1 = local data dominate
    leopard_presence: float
    leopard_risk: float


@dataclass
class RiskResult:
    """Per-cell layers on ``grid`` plus what produced them. NaN outside the reserve (nodata)."""

    grid: Grid
    model_version: str
    inputs_start: float  # epoch seconds: the data window the fit used
    inputs_end: float
    intensity: np.ndarray  # expected snare lines set per cell per year
    intensity_sd: np.ndarray
    intensity_low: np.ndarray  # 5 % credible bound
    intensity_high: np.ndarray  # 95 % credible bound
    data_weight: np.ndarray  # nearby expected finds / (prior + them): how much local effort informs the cell
    leopard_presence: np.ndarray  # P(camera records a leopard in the reference trap-days), 0..1
    leopard_risk: np.ndarray  # intensity x leopard presence
    leopard_risk_sd: np.ndarray
    effort: EffortLayers
    finds: np.ndarray  # recency-weighted finds (+ weighted incidents) per cell
    nearby_finds: np.ndarray
    nearby_expected: np.ndarray
    glm: PoissonFit
    detection_rate: float  # k of the saturating detection term, chosen by profile likelihood
    prey: SpeciesModel
    leopard: SpeciesModel
    feature_contributions: dict[str, np.ndarray]  # per cell, centred; sum + baseline + frailty = log-intensity
    baseline: float
    log_frailty: np.ndarray
    config: RiskConfig

    def explain(self, row: int, col: int) -> CellExplanation:
        """Which inputs drove this cell: each term's share of log-intensity, plus effort and nearby finds."""
        parts = [
            Contribution(name, float(values[row, col]), _DETAILS.get(name, ""))
            for name, values in self.feature_contributions.items()
        ]
        parts.append(
            Contribution(
                "nearby finds vs effort",
                float(self.log_frailty[row, col]),
                f"{self.nearby_finds[row, col]:.2f} finds near the cell where "
                f"{self.nearby_expected[row, col]:.2f} were expected from its terrain and effort",
            )
        )
        parts.sort(key=lambda p: -abs(p.value))
        value = float(self.intensity[row, col])
        return CellExplanation(
            row=row,
            col=col,
            intensity=value,
            log_intensity=math.log(value) if value > 0 else -math.inf,
            baseline=self.baseline,
            contributions=parts,
            effort_visits=float(self.effort.visits[row, col]),
            effort_km=float(self.effort.distance_km[row, col]),
            effort_hours=float(self.effort.hours[row, col]),
            finds_in_cell=float(self.finds[row, col]),
            nearby_finds=float(self.nearby_finds[row, col]),
            nearby_expected_finds=float(self.nearby_expected[row, col]),
            data_weight=float(self.data_weight[row, col]),
            leopard_presence=float(self.leopard_presence[row, col]),
            leopard_risk=float(self.leopard_risk[row, col]),
        )


_DETAILS = {
    "prey: elevation": "musk deer (the snare target) detection rate vs elevation",
    "prey: slope": "musk deer detection rate vs slope",
    "walking time from access": "hours from the nearest road end, village or border crossing",
    "distance to valley network": "km from the valley floors (D8 streams of the DEM)",
    "zone": "management zone",
}


def _gaussian_sum(values: np.ndarray, bandwidth_m: float, cell_m: float) -> np.ndarray:
    """Sum of values weighted by exp(-d^2 / 2h^2) (peak 1), i.e. a Gaussian kernel sum, not a mean."""
    sigma = bandwidth_m / cell_m
    return ndimage.gaussian_filter(values, sigma=sigma, mode="constant", truncate=3.0) * (2.0 * math.pi * sigma**2)


def fit_risk(inputs: RiskInputs, features: TerrainFeatures, config: RiskConfig | None = None) -> RiskResult:
    """Fit the snare, prey and leopard models on ``inputs`` and predict every cell of the grid."""
    config = config or RiskConfig()
    grid = inputs.grid
    if features.grid != grid:
        raise ValueError("terrain features and inputs are on different grids")
    reference = inputs.end
    effort = patrol_effort(
        grid,
        inputs.tracks,
        start=inputs.start,
        end=inputs.end,
        detection_radius_m=config.detection_radius_m,
        half_life_days=config.half_life_days,
        max_fix_gap_hours=config.max_fix_gap_hours,
        cameras=inputs.cameras,
    )
    inside = features.inside
    prey = fit_species_model(features, inputs.prey, effort, reference=reference, config=config)
    leopard = fit_species_model(features, inputs.leopard, effort, reference=reference, config=config, use_access=True)

    lines = merge_same_line_finds(
        inputs.snare_finds, radius_m=config.same_line_radius_m, within_days=config.same_line_days
    )
    finds = event_counts(grid, lines, reference=reference, half_life_days=config.half_life_days)
    finds += event_counts(grid, inputs.incidents, reference=reference, half_life_days=config.half_life_days)
    finds = np.where(inside, finds, 0.0)
    one_visit = float(
        recency_weights(np.array([inputs.end]), reference=reference, half_life_days=config.half_life_days)[0]
    )
    visits = np.where((finds > 0) & (effort.visits <= 0), one_visit, effort.visits)  # a find proves a visit
    visits = np.where(inside, visits, 0.0)

    # Snare GLM design: centred features so the intercept is the reserve-average cell.
    terms: dict[str, np.ndarray] = {
        "prey": prey.log_index,
        "walking time from access": features.walking_hours,
        "distance to valley network": features.valley_distance_m / 1000.0,
    }
    priors = {
        "prey": config.prior_prey,
        "walking time from access": config.prior_walk_hours,
        "distance to valley network": config.prior_valley_km,
    }
    zones = [int(z) for z in np.unique(features.zone[inside]) if z != 0]
    for z in zones:
        terms[f"zone {z}"] = (features.zone == z).astype(np.float64)
        priors[f"zone {z}"] = (0.0, config.prior_zone_sd)
    names = list(terms)
    means = {nm: float(terms[nm][inside].mean()) for nm in names}
    columns = np.column_stack([(terms[nm] - means[nm]).ravel() for nm in names])
    rows = np.flatnonzero(visits.ravel() > 0)
    X = np.column_stack([np.ones(len(rows)), columns[rows]])
    y = finds.ravel()[rows]
    prior_mean = np.array([0.0] + [priors[nm][0] for nm in names])
    prior_sd = np.array([config.prior_intercept_sd] + [priors[nm][1] for nm in names])
    best: tuple[float, float, PoissonFit] | None = None
    for k in config.detection_rates:  # profile likelihood over the detection rate
        exposure = detection_exposure(visits.ravel()[rows], effort.weighted_years, k)
        fit = fit_poisson_glm(
            X, y, np.log(exposure), names=["intercept", *names], prior_mean=prior_mean, prior_sd=prior_sd
        )
        if best is None or fit.log_likelihood > best[0]:
            best = (fit.log_likelihood, k, fit)
    assert best is not None
    _, k, glm = best

    eta_centred = (columns @ glm.coef[1:]).reshape(grid.shape)
    log_glm = glm.coef[0] + eta_centred
    # parameter uncertainty of the GLM part, per cell (delta method)
    design = np.column_stack([np.ones(grid.n_cells), columns])
    var_eta = np.einsum("ij,jk,ik->i", design, glm.cov, design).reshape(grid.shape)

    exposure_all = detection_exposure(visits, effort.weighted_years, k)
    expected = np.exp(log_glm) * exposure_all
    nearby_finds = _gaussian_sum(finds, config.frailty_bandwidth_m, grid.cell_m)
    nearby_expected = _gaussian_sum(expected, config.frailty_bandwidth_m, grid.cell_m)
    a = config.frailty_prior_finds
    shape_post = a + nearby_finds
    frailty = shape_post / (a + nearby_expected)
    log_frailty = np.log(frailty)
    intensity = np.exp(log_glm) * frailty
    # Gamma posterior of the frailty (shape a + nearby finds) times the GLM's lognormal uncertainty
    cv2 = (1.0 + 1.0 / shape_post) * np.exp(var_eta) - 1.0
    intensity_sd = intensity * np.sqrt(cv2)
    sigma_log = np.sqrt(np.log1p(cv2))
    low = intensity * np.exp(-0.5 * sigma_log**2 - 1.6449 * sigma_log)
    high = intensity * np.exp(-0.5 * sigma_log**2 + 1.6449 * sigma_log)
    data_weight = nearby_expected / (a + nearby_expected)

    leopard_presence = _leopard_presence(leopard, features, inputs, effort, reference, config)
    leopard_risk = intensity * leopard_presence

    contributions: dict[str, np.ndarray] = {}
    j_prey = names.index("prey")
    for group, part in prey.term_contributions.items():
        contributions[f"prey: {group}"] = glm.coef[1 + j_prey] * part
    for j, nm in enumerate(names):
        if nm == "prey":
            continue
        key = "zone" if nm.startswith("zone ") else nm
        contributions[key] = contributions.get(key, 0.0) + glm.coef[1 + j] * (terms[nm] - means[nm])
    # the prey index is already centred (mean 0 inside), so baseline = intercept exactly
    baseline = float(glm.coef[0])

    nan_out = lambda a_: np.where(inside, a_, np.nan)  # noqa: E731
    return RiskResult(
        grid=grid,
        model_version=MODEL_VERSION,
        inputs_start=inputs.start,
        inputs_end=inputs.end,
        intensity=nan_out(intensity),
        intensity_sd=nan_out(intensity_sd),
        intensity_low=nan_out(low),
        intensity_high=nan_out(high),
        data_weight=nan_out(data_weight),
        leopard_presence=nan_out(leopard_presence),
        leopard_risk=nan_out(leopard_risk),
        leopard_risk_sd=nan_out(intensity_sd * leopard_presence),
        effort=effort,
        finds=finds,
        nearby_finds=nearby_finds,
        nearby_expected=nearby_expected,
        glm=glm,
        detection_rate=k,
        prey=prey,
        leopard=leopard,
        feature_contributions=contributions,
        baseline=baseline,
        log_frailty=log_frailty,
        config=config,
    )


def _leopard_presence(
    model: SpeciesModel,
    features: TerrainFeatures,
    inputs: RiskInputs,
    effort: EffortLayers,
    reference: float,
    config: RiskConfig,
) -> np.ndarray:
    """P(a camera records a leopard within the reference trap-days), terrain model x smoothed local evidence.

    The terrain model gives the rate everywhere; a gamma-Poisson frailty (wide kernel: leopards
    range over kilometres) moves it towards what cameras and patrols actually recorded nearby.
    """
    grid = features.grid
    cam = event_counts(grid, inputs.leopard.camera, reference=reference, half_life_days=config.half_life_days)
    sign = event_counts(grid, inputs.leopard.sign, reference=reference, half_life_days=config.half_life_days)
    camera_coef, sign_coef = model.fit.coef[0], model.fit.coef[1]
    sign_rate = model.camera_rate_per_day * math.exp(sign_coef - camera_coef)  # per patrol visit
    expected = model.camera_rate_per_day * effort.trap_days + sign_rate * effort.visits
    observed_near = _gaussian_sum(cam + sign, config.leopard_bandwidth_m, grid.cell_m)
    expected_near = _gaussian_sum(expected, config.leopard_bandwidth_m, grid.cell_m)
    b = config.leopard_prior_detections
    rate = model.camera_rate_per_day * (b + observed_near) / (b + expected_near)
    return -np.expm1(-rate * config.leopard_reference_trap_days)

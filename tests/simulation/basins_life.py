"""The people and animals of the basins simulator (tests/simulation/basins.py): patrols that find
snares with probability below 1 and go back where they found them, poacher camps, leopards with home
ranges, cameras where rangers reach, sign surveys. Pure numpy/scipy; times in epoch seconds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from patrol.terrain.grid import Grid
from tests.simulation.basins import (
    CLIFF_DEG,
    DAY,
    DETECTION_RADIUS_M,
    FIND_PROBABILITY,
    IBEX,
    LEOPARD,
    LEOPARDS,
    MUSK_DEER,
    Camera,
    Detection,
    Find,
    Incident,
    Patrol,
    Snares,
    _bump,
    _field,
    _sample_cells,
    elevation_rank,
    nearest_pass,
)

TEAMS = 4
REVISIT_PROBABILITY = 0.4
REVISIT_DAYS = 120.0
CAMERAS = 30
CAMP_MONTHS = {9, 10, 11, 12, 1, 2, 3}


@dataclass
class Life:
    patrols: list[Patrol]
    finds: list[Find]
    incidents: list[Incident]
    detections: list[Detection]
    cameras: list[Camera]
    presence: np.ndarray
    notes: dict = field(default_factory=dict)


def _path(pred: np.ndarray, source: int, target: int) -> list[int]:
    cells = [target]
    while cells[-1] != source:
        cells.append(int(pred[cells[-1]]))
    return cells[::-1]


def _walk(rng, grid: Grid, slope: np.ndarray, cells: np.ndarray, depart: float, speed: float):
    """GPS fixes along the cells (with a little wander) and their times, walking 8:00-18:00."""
    x, y = grid.xy_of(*np.divmod(cells, grid.shape[1]))
    xy = np.column_stack([x, y])
    wander = ndimage.gaussian_filter1d(rng.normal(0, 25.0, size=xy.shape), sigma=3, axis=0)
    step_m = np.r_[0.0, np.hypot(*np.diff(xy, axis=0).T)]
    hours = step_m / (4500.0 * speed * np.exp(-((np.minimum(slope.ravel()[cells], 45.0) / 25.0) ** 2)))
    t = np.empty(len(cells))
    now = depart
    for i, h in enumerate(hours):
        now += h * 3600.0
        clock = datetime.fromtimestamp(now, UTC)
        if clock.hour >= 18:  # camp; walk on at 8:00 the next morning
            now = clock.replace(hour=8, minute=0, second=0).timestamp() + DAY
        t[i] = now
    return xy + wander, t


def _straight(a: int, b: int, width: int) -> np.ndarray:
    (ra, ca), (rb, cb) = divmod(a, width), divmod(b, width)
    n = max(abs(ra - rb), abs(ca - cb)) + 1
    r = np.rint(np.linspace(ra, rb, n)).astype(np.int64)
    c = np.rint(np.linspace(ca, cb, n)).astype(np.int64)
    return r * width + c


class _Rangers:
    def __init__(self, rng, grid, slope, graph: sparse.csr_matrix, posts, snares: Snares, truth, camps):
        self.rng, self.grid, self.slope, self.snares, self.truth = rng, grid, slope, snares, truth
        width = grid.shape[1]
        self.post_cells = [int(r * width + c) for r, c in (grid.cell_of(p[2], p[3]) for p in posts)]
        self.hours, self.pred = dijkstra(graph, indices=self.post_cells, return_predecessors=True)
        self.habit = np.exp(_field(rng, grid.shape, 12)).ravel()  # where each team likes to go: no snare knowledge
        self.tree = cKDTree(np.column_stack([snares.x, snares.y])) if len(snares.x) else None
        self.camp_xy = np.column_stack(grid.xy_of(*np.divmod(camps, width)))
        self.patrols: list[Patrol] = []
        self.finds: list[Find] = []
        self.incidents: list[Incident] = []
        self.team_finds: dict[int, list[Find]] = {team: [] for team in range(TEAMS)}
        self.missed_passes = 0  # an active snare within the radius of a fix, not found by that patrol
        self.rows, self.cols = np.indices(grid.shape)

    def target(self, post: int, day: float, team: int) -> tuple[int, bool]:
        hours = self.hours[post]
        recent = [f for f in self.team_finds[team] if day - REVISIT_DAYS * DAY <= f.t < day]
        if recent and self.rng.random() < REVISIT_PROBABILITY:
            find = recent[int(self.rng.integers(len(recent)))]
            r, c = self.grid.cell_of(find.x, find.y)
            cell = int(r * self.grid.shape[1] + c)
            if np.isfinite(hours[cell]):
                return cell, True
        weight = self.habit * np.exp(-np.nan_to_num(hours, posinf=99.0) / 4.0) * ((hours > 1.0) & (hours < 8.0))
        return int(_sample_cells(self.rng, weight, 1)[0]), False

    def second_point(self, post: int, a: int) -> int:
        width = self.grid.shape[1]
        ra, ca = divmod(a, width)
        d = np.hypot(self.rows - ra, self.cols - ca) * self.grid.cell_m
        ok = (d >= 400) & (d <= 1500) & np.isfinite(self.hours[post]).reshape(self.grid.shape)
        cells = np.flatnonzero(ok.ravel())
        return int(self.rng.choice(cells)) if len(cells) else a

    def patrol(self, team: int, day: float) -> Patrol:
        post = team % len(self.post_cells)
        a, revisit = self.target(post, day, team)
        b = self.second_point(post, a)
        source = self.post_cells[post]
        route = np.concatenate([_path(self.pred[post], source, a), _straight(a, b, self.grid.shape[1])[1:],
                                _path(self.pred[post], source, b)[::-1][1:]])  # fmt: skip
        winter = datetime.fromtimestamp(day, UTC).month in (12, 1, 2, 3)
        transport = str(self.rng.choice(["foot", "foot", "ski", "horse"] if winter else ["foot", "foot", "horse"]))
        speed = {"foot": 1.0, "ski": 1.15, "horse": 1.3}[transport]
        xy, t = _walk(self.rng, self.grid, self.slope, route, day + 8 * 3600 + self.rng.uniform(0, 3600), speed)
        return Patrol(len(self.patrols), team, post, transport, xy, t, revisit)

    def search(self, patrol: Patrol) -> None:
        """Snares active within the radius of a fix, each found with FIND_PROBABILITY; one find per line."""
        s = self.snares
        found: dict[int, list[tuple[int, float]]] = {}
        for h, i in sorted(nearest_pass(patrol.xy, self.tree, DETECTION_RADIUS_M).items()):
            t = float(patrol.t[i])
            if s.found_by[h] >= 0 or not (s.set_t[h] <= t < s.gone_t[h]):
                continue
            if self.rng.random() >= FIND_PROBABILITY:
                self.missed_passes += 1
                continue
            s.found_t[h], s.found_by[h] = t, patrol.index
            found.setdefault(int(s.line[h]), []).append((h, t))
        for line, members in sorted(found.items(), key=lambda kv: kv[1][0][1]):
            h0, t0 = members[0]
            age = (t0 - s.set_t[h0]) / DAY
            state = "set" if age < 21 else ("old" if age > 120 else str(self.rng.choice(["sprung", "old"])))
            roll = self.rng.random()
            catch, condition = "", "none"
            if roll < 0.1:
                catch, condition = MUSK_DEER, str(self.rng.choice(["dead", "dead", "injured"]))
            elif roll < 0.11:
                catch, condition = LEOPARD, "dead"
            action = "left_for_ambush" if self.rng.random() < 0.05 else str(self.rng.choice(["removed", "destroyed"]))
            if action != "left_for_ambush":
                for h, t in members:
                    s.gone_t[h] = t
            material = str(self.rng.choice(["wire", "cable", "nylon"], p=[0.5, 0.35, 0.15]))
            find = Find(patrol.index, float(s.x[h0]), float(s.y[h0]), t0, len(members), material, state, catch,
                        condition, action, line)  # fmt: skip
            self.finds.append(find)
            self.team_finds[patrol.team].append(find)
            if self.rng.random() < 0.04:
                self.incidents.append(Incident(patrol.index, "suspect_encounter", find.x + 30.0, find.y, t0 + 600.0,
                                               "Two men with snare wire left the slope as we came."))  # fmt: skip

    def signs_of_people(self, patrol: Patrol) -> None:
        for k, (cx, cy) in enumerate(self.camp_xy):
            d = np.hypot(patrol.xy[:, 0] - cx, patrol.xy[:, 1] - cy)
            i = int(np.argmin(d))
            month = datetime.fromtimestamp(patrol.t[i], UTC).month
            if d[i] < 250 and month in CAMP_MONTHS and self.rng.random() < 0.4:
                self.incidents.append(Incident(patrol.index, "poacher_camp", cx + 15.0 * k, cy, float(patrol.t[i]),
                                               "Poachers' camp: fire pit, wire offcuts."))  # fmt: skip
        if self.rng.random() < 0.05:
            flat, inside = self.grid.flat_index(patrol.xy[:, 0], patrol.xy[:, 1])
            w = np.where(inside, self.truth.ravel()[flat], 0.0) + 1e-9
            i = int(self.rng.choice(len(w), p=w / w.sum()))
            self.incidents.append(Incident(patrol.index, "gunshot", float(patrol.xy[i, 0]), float(patrol.xy[i, 1]),
                                           float(patrol.t[i]), "A shot up the slope."))  # fmt: skip


def leopards(rng, grid: Grid, z: np.ndarray, slope: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """(terrain habitat 0..1, presence 0..1, [(name, x, y, sigma_m)]) of the known individuals."""
    q = elevation_rank(z)
    zz = z.astype(np.float64)
    local_sd = np.sqrt(np.clip(ndimage.uniform_filter(zz**2, 7) - ndimage.uniform_filter(zz, 7) ** 2, 0, None))
    rugged = np.clip(local_sd / np.percentile(local_sd, 99), 0, 1)
    cliff_m = ndimage.distance_transform_edt(slope < CLIFF_DEG) * grid.cell_m
    habitat = (0.4 * rugged + 0.6 * np.exp(-cliff_m / 400.0)) * _bump(q, 0.72, 0.22)
    habitat /= habitat.max()
    x, y = grid.centres()
    homes, use = [], np.zeros(grid.shape)
    for name, cell in zip(LEOPARDS, _sample_cells(rng, habitat**2, len(LEOPARDS)), strict=True):
        hx, hy = grid.xy_of(*divmod(int(cell), grid.shape[1]))
        sigma = float(rng.uniform(1800.0, 2800.0))
        homes.append((name, float(hx), float(hy), sigma))
        use += np.exp(-((x - hx) ** 2 + (y - hy) ** 2) / (2 * sigma**2))
    return habitat, 1.0 - np.exp(-3.0 * habitat * use), homes


def _cameras(rng, grid: Grid, patrols: list[Patrol], habitat: np.ndarray, t0: float, t1: float) -> list[Camera]:
    """Where rangers reach (within 300 m of a track) and the terrain looks like leopard ground."""
    walked = np.zeros(grid.shape, bool)
    for p in patrols:
        flat, inside = grid.flat_index(p.xy[:, 0], p.xy[:, 1])
        walked.ravel()[flat[inside]] = True
    reach = ndimage.distance_transform_edt(~walked) * grid.cell_m <= 300.0
    weight = (habitat**2 * reach).ravel()
    chosen: list[int] = []
    for cell in rng.choice(weight.size, size=20 * CAMERAS, p=weight / weight.sum()):
        r, c = divmod(int(cell), grid.shape[1])
        if all(np.hypot(r - a, c - b) * grid.cell_m >= 500 for a, b in (divmod(k, grid.shape[1]) for k in chosen)):
            chosen.append(int(cell))
        if len(chosen) == CAMERAS:
            break
    for cell in rng.permutation(np.flatnonzero(reach.ravel())):  # too few apart: anywhere rangers reach
        if len(chosen) == CAMERAS:
            break
        r, c = divmod(int(cell), grid.shape[1])
        if all(np.hypot(r - a, c - b) * grid.cell_m >= 500 for a, b in (divmod(k, grid.shape[1]) for k in chosen)):
            chosen.append(int(cell))
    cameras = []
    for k, cell in enumerate(chosen):
        days = min(float(rng.uniform(60.0, 200.0)), (t1 - t0) / DAY)  # a short record: out all of it
        start = float(rng.uniform(t0, t1 - days * DAY))
        x, y = grid.xy_of(*divmod(cell, grid.shape[1]))
        kind = str(rng.choice(["ridge", "scrape", "trailGame"]))
        cameras.append(Camera(f"SAY-CT{k + 1:02d}", float(x), float(y), start, start + days * DAY, kind))
    return cameras


def wildlife(rng, grid, patrols, cameras, presence, leo_habitat, homes, musk) -> list[Detection]:
    out: list[Detection] = []
    for k, cam in enumerate(cameras):
        r, c = grid.cell_of(cam.x, cam.y)
        days = (cam.end - cam.start) / DAY
        for name, hx, hy, sigma in homes:
            use = np.exp(-((cam.x - hx) ** 2 + (cam.y - hy) ** 2) / (2 * sigma**2))
            for t in np.sort(rng.uniform(cam.start, cam.end, rng.poisson(0.06 * leo_habitat[r, c] * use * days))):
                known = rng.random() < 0.75
                out.append(Detection(LEOPARD, "camera_trap", cam.x, cam.y, float(t), 1, name if known else "", k))
        for t in np.sort(rng.uniform(cam.start, cam.end, rng.poisson(0.06 * musk[r, c] * days))):
            out.append(Detection(MUSK_DEER, "camera_trap", cam.x, cam.y, float(t), 1 + int(rng.poisson(0.15)), "", k))
    for p in patrols:
        flat, inside = grid.flat_index(p.xy[::4, 0], p.xy[::4, 1])
        for j in np.flatnonzero(inside):
            i, cell = 4 * int(j), int(flat[j])
            x, y, t = float(p.xy[i, 0]), float(p.xy[i, 1]), float(p.t[i])
            if rng.random() < 0.02 * presence.ravel()[cell]:
                out.append(Detection(LEOPARD, str(rng.choice(["scrape", "track", "scat"])), x, y, t, patrol=p.index))
            if rng.random() < 0.03 * musk.ravel()[cell]:
                out.append(Detection(MUSK_DEER, str(rng.choice(["track", "scat", "sighting"])), x, y, t,
                                     patrol=p.index))  # fmt: skip
            if rng.random() < 0.003:
                out.append(Detection(IBEX, "sighting", x, y, t, int(rng.integers(2, 13)), patrol=p.index))
    return out


def simulate(rng, *, grid, z, slope, graph, posts, snares, truth, habitat, camps, t0, t1) -> Life:
    rangers = _Rangers(rng, grid, slope, graph, posts, snares, truth, camps)
    busy_until = [t0] * TEAMS
    day = t0 + DAY
    while day < t1 - 4 * DAY:
        for team in range(TEAMS):
            if day < busy_until[team] or rng.random() > 1.0 / 6.0:
                continue
            patrol = rangers.patrol(team, day)
            if patrol.end >= t1:
                continue
            rangers.patrols.append(patrol)
            busy_until[team] = patrol.end + DAY
            if rangers.tree is not None:
                rangers.search(patrol)
            rangers.signs_of_people(patrol)
        day += DAY
    leo_habitat, presence, homes = leopards(rng, grid, z, slope)
    cameras = _cameras(rng, grid, rangers.patrols, leo_habitat, t0, t1)
    detections = wildlife(rng, grid, rangers.patrols, cameras, presence, leo_habitat, homes, habitat)
    notes = {
        "missed_passes": rangers.missed_passes,
        "revisits": sum(p.revisit for p in rangers.patrols),
        "leopards": homes,
    }
    return Life(rangers.patrols, rangers.finds, rangers.incidents, detections, cameras, presence, notes)

"""The "basins" simulator: a reserve of ridges and basins made from random fields, with its hidden truth.

Written apart from the demo (threats/interchange/demo.py): nothing is imported from it, and every
process has its own form. Pure numpy/scipy: metres in the reserve's projected CRS (EPSG:32646), row 0
the northern edge, times as epoch seconds (UTC). tests/simulation/package.py writes a world as a
reserve package; the truth (snare-setting intensity, leopard presence) never goes into the package.

- Terrain: smoothed Gaussian noise at four scales plus a ridged field (1 - |noise|): ridges and closed
  basins, no drawn valleys; scaled to a median slope of 17-23 degrees. Cliffs where the slope passes 40.
- Access: road ends at the lowest cells of the south, west and east edges (a road runs along the
  boundary), a border crossing at the lowest cell of the northern edge. Posts on the rims of the
  deepest basins.
- Walking (rangers and poachers): 4.5 km/h x exp(-(slope / 25 deg)^2), cliffs impassable, least-time
  paths on the 8-neighbour grid (not Tobler's function, which the model uses).
- Snaring, the hidden truth: musk deer habitat (a band around the 42nd elevation percentile, x slope, x a
  forest field) ^ 1.5 x (exp(-hours from access / 1.8) + 1.5 x kernels of four poacher camps, 700 m), none
  on cliffs, 500-900 lines a year. Seasonal (autumn and late winter). Lines of 1 + Poisson(2.5) snares.
  A snare is active from its setting until it is removed or rots (Weibull, shape 1.6, scale 150 days);
  snares are set from six months before the records begin, so old ones are out there when they start.
- Patrols: four teams from three posts, to targets weighted by the teams' habits (a random field that
  knows nothing of snaring) and walking time, or, 40 % of the time when they found snares in the past
  120 days, back to one of those finds; out to one point, across to a second, home. A snare within 60 m
  of a GPS fix while it is active is found with probability 0.45 by that patrol; one left for an ambush
  stays.
- Leopards: presence from ruggedness, nearness to cliffs and an upper elevation band, times the home
  ranges of four known individuals. 30 cameras where rangers reach (within 300 m of a simulated track),
  each out 60-200 days, detections per trap-day, individual known 3 times in 4; patrols record scrapes,
  tracks and scats with a small probability per fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from patrol.terrain.grid import Grid

EPSG = 32646  # UTM 46N (the Western Sayan); the demo is in 45N
ORIGIN = (610_000.0, 5_790_000.0)  # upper-left corner, near 52.2 N 94.6 E
TIMEZONE = "Asia/Krasnoyarsk"
CELL_M = 50.0
DAY = 86_400.0
DETECTION_RADIUS_M = 60.0
FIND_PROBABILITY = 0.45
CLIFF_DEG = 40.0
LEOPARDS = ("SY-F01", "SY-M02", "SY-F03", "SY-M04")
MUSK_DEER, LEOPARD, IBEX = "Moschus moschiferus", "Panthera uncia", "Capra sibirica"
# snare lines set per month, relative (mean 1): the autumn rut and the late-winter trade
SEASON = {9: 1.3, 10: 1.8, 11: 1.6, 12: 1.0, 1: 0.8, 2: 1.2, 3: 1.3, 4: 0.7, 5: 0.4, 6: 0.3, 7: 0.4, 8: 1.2}
_OFFSETS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


@dataclass
class Snares:
    """Every snare set, as arrays (one entry per snare)."""

    line: np.ndarray  # int, the line it belongs to
    x: np.ndarray
    y: np.ndarray
    set_t: np.ndarray
    rot_t: np.ndarray  # when it would rot away if nobody removed it
    gone_t: np.ndarray  # rotted or removed
    found_t: np.ndarray  # NaN if never found
    found_by: np.ndarray  # patrol index, -1 if never found


@dataclass
class Patrol:
    index: int
    team: int
    post: int
    transport: str
    xy: np.ndarray  # (n, 2) GPS fixes
    t: np.ndarray  # (n,) epoch seconds
    revisit: bool  # went back to an earlier find

    @property
    def start(self) -> float:
        return float(self.t[0])

    @property
    def end(self) -> float:
        return float(self.t[-1])


@dataclass
class Find:
    patrol: int
    x: float
    y: float
    t: float
    count: int
    material: str
    state: str
    catch: str
    catch_condition: str
    action: str
    line: int


@dataclass
class Incident:
    patrol: int | None
    kind: str
    x: float
    y: float
    t: float
    description: str


@dataclass
class Detection:
    species: str
    method: str
    x: float
    y: float
    t: float
    count: int = 1
    individual: str = ""
    camera: int | None = None
    patrol: int | None = None


@dataclass
class Camera:
    deployment_id: str
    x: float
    y: float
    start: float
    end: float
    feature_type: str


@dataclass
class World:
    seed: int
    grid: Grid
    elevation: np.ndarray  # float32, metres
    posts: list[tuple[str, str, float, float]]  # name, kind, x, y
    access_points: list[tuple[str, str, float, float]]
    patrols: list[Patrol]
    finds: list[Find]
    incidents: list[Incident]
    detections: list[Detection]
    cameras: list[Camera]
    snares: Snares
    truth_intensity: np.ndarray  # hidden: expected snare lines set per cell per year
    leopard_presence: np.ndarray  # hidden: 0..1
    musk_deer_habitat: np.ndarray  # hidden: 0..1
    start: float  # the records' window, epoch seconds
    end: float
    notes: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.elevation.shape


def _field(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    f = ndimage.gaussian_filter(rng.normal(size=shape), sigma=sigma, mode="reflect")
    return (f - f.mean()) / f.std()


def terrain(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Ridges and basins: broad swells and hollows, sharp ridged crests, a little rough ground."""
    broad = 0.6 * _field(rng, shape, 38) + 0.3 * _field(rng, shape, 15) + 0.1 * _field(rng, shape, 6)
    crests = (1.0 - np.abs(_field(rng, shape, 20))) ** 2
    z = 1.0 * broad + 0.9 * crests + 0.02 * _field(rng, shape, 1.5)
    # scaled so that the median slope is this seed's (17-23 deg), whatever the fields' extremes
    gy, gx = np.gradient(z - z.min(), CELL_M)
    scale = np.tan(np.radians(rng.uniform(17.0, 23.0))) / float(np.median(np.hypot(gx, gy)))
    return (rng.uniform(1400.0, 1800.0) + scale * (z - z.min())).astype(np.float32)


def slope_deg(z: np.ndarray, cell_m: float) -> np.ndarray:
    gy, gx = np.gradient(z.astype(np.float64), cell_m)
    return np.degrees(np.arctan(np.hypot(gx, gy)))


def elevation_rank(z: np.ndarray) -> np.ndarray:
    """Each cell's elevation as its quantile in the reserve (0 lowest, 1 highest): bands that hold on
    any seed, whatever its highest peak."""
    order = np.argsort(z.ravel(), kind="stable")
    rank = np.empty(z.size)
    rank[order] = np.arange(z.size) / (z.size - 1)
    return rank.reshape(z.shape)


def _bump(v: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-(((v - centre) / width) ** 2))


def walking_graph(slope: np.ndarray, cell_m: float) -> sparse.csr_matrix:
    """Hours to step between 8-neighbours: distance / mean speed of the two cells; cliffs impassable."""
    rows, cols = slope.shape
    hours_per_m = 1.0 / (4500.0 * np.exp(-((slope / 25.0) ** 2)))
    ok = slope < CLIFF_DEG
    index = np.arange(rows * cols).reshape(rows, cols)
    src, dst, w = [], [], []
    for dr, dc in _OFFSETS:
        r0, r1 = max(0, -dr), rows - max(0, dr)
        c0, c1 = max(0, -dc), cols - max(0, dc)
        a, b = index[r0:r1, c0:c1], index[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        both = ok[r0:r1, c0:c1] & ok[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        step = cell_m * (1.4142135623730951 if dr and dc else 1.0)
        cost = step * 0.5 * (hours_per_m[r0:r1, c0:c1] + hours_per_m[r0 + dr : r1 + dr, c0 + dc : c1 + dc])
        src.append(a[both])
        dst.append(b[both])
        w.append(cost[both])
    n = rows * cols
    return sparse.csr_matrix((np.concatenate(w), (np.concatenate(src), np.concatenate(dst))), shape=(n, n))


def _edge_lowest(z: np.ndarray, edge: str, avoid: list[tuple[int, int]], min_cells: int) -> tuple[int, int]:
    rows, cols = z.shape
    cells = {
        "north": [(1, c) for c in range(2, cols - 2)],
        "south": [(rows - 2, c) for c in range(2, cols - 2)],
        "west": [(r, 1) for r in range(2, rows - 2)],
        "east": [(r, cols - 2) for r in range(2, rows - 2)],
    }[edge]
    for r, c in sorted(cells, key=lambda rc: float(z[rc])):
        if all(max(abs(r - a), abs(c - b)) >= min_cells for a, b in avoid):
            return r, c
    return cells[0]


def _places(rng, z, slope, grid) -> tuple[list, list]:
    """Road ends on the lowest edge cells, a border crossing in the north; cabins on basin rims."""
    access_cells: list[tuple[int, int]] = []
    names = [
        ("south", "Lower road end", "road_end"),
        ("west", "Western village", "village"),
        ("east", "Eastern road end", "road_end"),
        ("north", "Northern border pass", "border_crossing"),
    ]
    for edge, _name, _kind in names:
        access_cells.append(_edge_lowest(z, edge, access_cells, min_cells=60))
    access = [(n, k, *map(float, grid.xy_of(*rc))) for (_e, n, k), rc in zip(names, access_cells, strict=True)]
    smooth = ndimage.gaussian_filter(z.astype(np.float64), 6)
    rows, cols = z.shape
    minima = (smooth == ndimage.minimum_filter(smooth, size=41)) & (slope < CLIFF_DEG)
    minima[:20], minima[-20:], minima[:, :20], minima[:, -20:] = False, False, False, False
    candidates = sorted(zip(*np.nonzero(minima), strict=True), key=lambda rc: float(smooth[rc]))
    flat = np.flatnonzero((slope < 25).ravel())
    fallback = [divmod(int(i), cols) for i in rng.permutation(flat)]
    basins: list[tuple[int, int]] = []
    for r, c in [*candidates, *fallback]:
        if all(np.hypot(r - a, c - b) >= 60 for a, b in basins) and 20 <= r < rows - 20 and 20 <= c < cols - 20:
            basins.append((int(r), int(c)))
        if len(basins) == 3:
            break
    yy, xx = np.indices(z.shape)
    posts = []
    for k, (r, c) in enumerate(basins):
        ring = (np.hypot(yy - r, xx - c) >= 10) & (np.hypot(yy - r, xx - c) <= 16) & (slope < 20)
        rr, cc = np.nonzero(ring) if ring.any() else (np.array([r]), np.array([c]))
        i = int(np.argmin(z[rr, cc]))  # the lowest gentle spot on the rim: the way out of the basin
        kind = ("station", "cabin", "cabin")[k]
        posts.append((f"Basin {k + 1} {'station' if kind == 'station' else 'cabin'}", kind,
                      *map(float, grid.xy_of(rr[i], cc[i]))))  # fmt: skip
    return posts, access


def _sample_cells(rng, weights: np.ndarray, n: int) -> np.ndarray:
    p = np.clip(weights.ravel(), 0, None)
    return rng.choice(p.size, size=n, p=p / p.sum())


def hidden_snaring(rng, z, slope, hours_access, grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(truth lines per cell per year, musk deer habitat 0..1, camp cells)."""
    q = elevation_rank(z)
    forest = 1.0 / (1.0 + np.exp(-1.5 * _field(rng, z.shape, 10)))
    habitat = _bump(q, 0.42, 0.2) * _bump(slope, 27.0, 13.0) * (0.3 + 0.7 * forest)
    habitat = habitat / habitat.max()
    reachable = np.isfinite(hours_access)
    hours = np.where(reachable, hours_access, 99.0)
    camps = _sample_cells(rng, habitat**2 * np.exp(-hours / 3.0) * (hours > 0.7), 4)
    x, y = grid.centres()
    cx, cy = grid.xy_of(*np.divmod(camps, z.shape[1]))
    camp_kernel = sum(np.exp(-((x - a) ** 2 + (y - b) ** 2) / (2 * 700.0**2)) for a, b in zip(cx, cy, strict=True))
    intensity = habitat**1.5 * (np.exp(-hours / 1.8) + 1.5 * camp_kernel) * reachable * (slope < CLIFF_DEG)
    lines_per_year = rng.uniform(500.0, 900.0)
    return intensity / intensity.sum() * lines_per_year, habitat, camps


def truth_without_forest(world: World) -> np.ndarray:
    """The truth redrawn with the forest field at one value everywhere: the best map a model could draw
    that knew every other hidden ingredient exactly (the habitat's elevation and slope bands, walking
    hours, the camps, the masks). The forest is the one ingredient no record shows directly, so this
    map's PAI against the truth is a ceiling for a model fitted to the records."""
    z = world.elevation.astype(np.float64)
    plain = _bump(elevation_rank(z), 0.42, 0.2) * _bump(slope_deg(z, CELL_M), 27.0, 13.0)
    habitat = world.musk_deer_habitat.astype(np.float64)  # plain x (0.3 + 0.7 forest), scaled to max 1
    forest_off = np.divide(plain, habitat, out=np.zeros_like(habitat), where=habitat > 0) ** 1.5
    return world.truth_intensity.astype(np.float64) * forest_off


def _month_starts(t0: float, t1: float) -> list[datetime]:
    d = datetime.fromtimestamp(t0, UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    out = []
    while d.timestamp() < t1:
        out.append(d)
        d = d.replace(year=d.year + (d.month == 12), month=d.month % 12 + 1)
    out.append(d)
    return out


def set_snares(rng, truth: np.ndarray, grid: Grid, t0: float, t1: float) -> Snares:
    """Lines set month by month from t0 to t1; each snare rots on its own time unless removed."""
    flat = truth.ravel() / truth.sum()
    per_month = truth.sum() / 12.0
    parts = {k: [] for k in ("line", "x", "y", "set_t", "rot_t")}
    line = 0
    months = _month_starts(t0, t1)
    for a, b in zip(months[:-1], months[1:], strict=True):
        lo, hi = max(a.timestamp(), t0), min(b.timestamp(), t1)
        n_lines = rng.poisson(per_month * SEASON[a.month] * (hi - lo) / (b.timestamp() - a.timestamp()))
        cells = rng.choice(flat.size, size=n_lines, p=flat)
        cx, cy = grid.xy_of(*np.divmod(cells, truth.shape[1]))
        for k in range(n_lines):
            n = 1 + rng.poisson(2.5)
            set_t = rng.uniform(lo, hi)
            x0, y0 = cx[k] + rng.uniform(-25, 25), cy[k] + rng.uniform(-25, 25)
            parts["line"].append(np.full(n, line))
            parts["x"].append(x0 + rng.normal(0, 15, n))
            parts["y"].append(y0 + rng.normal(0, 15, n))
            parts["set_t"].append(np.full(n, set_t))
            parts["rot_t"].append(set_t + (7.0 + 150.0 * rng.weibull(1.6, n)) * DAY)
            line += 1
    a = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
    x0, y0, x1, y1 = grid.bounds
    a["x"], a["y"] = np.clip(a["x"], x0 + 1.0, x1 - 1.0), np.clip(a["y"], y0 + 1.0, y1 - 1.0)  # inside the reserve
    n = len(a["x"])
    return Snares(a["line"].astype(np.int64), a["x"], a["y"], a["set_t"], a["rot_t"], a["rot_t"].copy(),
                  np.full(n, np.nan), np.full(n, -1, dtype=np.int64))  # fmt: skip


def generate(*, seed: int = 1, size: int = 240, end: datetime = datetime(2025, 1, 1, tzinfo=UTC),
             months: int = 12) -> World:  # fmt: skip
    """One world: `size` x `size` cells of 50 m, records for `months` months before `end`."""
    from tests.simulation import basins_life  # the people and animals; split to keep modules small

    rng = np.random.default_rng([seed, 2026])
    shape = (size, size)
    grid = Grid.square(ORIGIN[0], ORIGIN[1], CELL_M, shape)
    z = terrain(rng, shape)
    slope = slope_deg(z, CELL_M)
    posts, access = _places(rng, z, slope, grid)
    graph = walking_graph(slope, CELL_M)
    access_idx = [int(r * size + c) for r, c in (grid.cell_of(a[2], a[3]) for a in access)]
    hours_access = dijkstra(graph, indices=access_idx, min_only=True).reshape(shape)
    truth, habitat, camps = hidden_snaring(rng, z, slope, hours_access, grid)
    t1 = end.timestamp()
    t0 = t1 - round(30.44 * months) * DAY
    snares = set_snares(rng, truth, grid, t0 - 182 * DAY, t1)
    life = basins_life.simulate(rng, grid=grid, z=z, slope=slope, graph=graph, posts=posts, snares=snares,
                                truth=truth, habitat=habitat, camps=camps, t0=t0, t1=t1)  # fmt: skip
    return World(
        seed=seed, grid=grid, elevation=z, posts=posts, access_points=access, patrols=life.patrols,
        finds=life.finds, incidents=life.incidents, detections=life.detections, cameras=life.cameras,
        snares=snares, truth_intensity=truth.astype(np.float32), leopard_presence=life.presence.astype(np.float32),
        musk_deer_habitat=habitat.astype(np.float32), start=t0, end=t1, notes=life.notes,
    )  # fmt: skip


def nearest_pass(track_xy: np.ndarray, tree: cKDTree, radius: float) -> dict[int, int]:
    """For each point of the tree within `radius` of the track: the index of the track's nearest fix."""
    out: dict[int, tuple[float, int]] = {}
    for i, hits in enumerate(tree.query_ball_point(track_xy, r=radius)):
        for h in hits:
            d = float(np.hypot(*(tree.data[h] - track_xy[i])))
            if h not in out or d < out[h][0]:
                out[h] = (d, i)
    return {h: i for h, (_d, i) in out.items()}

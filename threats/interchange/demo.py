"""A deterministic synthetic reserve modelled on the Argut valley system of the Altai.

Pure numpy: it returns arrays and plain records, and knows nothing of the database. Everything is
simulated the way it happens in the field: a hidden snare-setting process puts snare lines where
musk deer live and poachers can reach; snares are found only where and when patrols pass close
enough; cameras and rangers detect leopards and musk deer where they live. The hidden process (the
"truth") is kept so a risk model can be scored against it, but the app never shows it.

Coordinates are metres in the reserve's projected CRS (UTM 45N, EPSG:32645); the grid's row 0 is
the northern edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from patrol.terrain.grid import Grid

DEMO_EPSG = 32645
DEMO_ORIGIN = (520_000.0, 5_560_000.0)  # upper-left corner (x, y), near 50.2 N 87.3 E
DETECTION_RADIUS_M = 100.0
FIND_PROBABILITY = 0.7  # a ranger passing within the radius sees a snare with this probability
# Leopard use 1.0 (the most used cell): camera visits per day, and sign per patrol GPS fix (every 10th)
LEOPARD_CAMERA_RATE = 0.15
LEOPARD_SIGN_PROBABILITY = 0.12

LEOPARDS = ["Khan", "Argut", "Bars", "Snezhana", "Ulan"]
VALLEY_NAMES = ["Argut", "Dzhazator", "Shavla", "Kara-Su", "Akalakha", "Yungur", "Kyrlyk", "Sebystei", "Irbistu"]
MUSK_DEER_VALLEYS = {"Shavla", "Kara-Su", "Yungur"}  # where the hidden process concentrates snaring


@dataclass
class Valley:
    name: str
    xy: np.ndarray  # (n, 2) metres, upstream to downstream
    floor_m: np.ndarray  # (n,) valley-floor elevation


@dataclass
class Snare:
    line_id: int
    x: float
    y: float
    set_at: datetime
    gone_at: datetime  # decayed, or removed when found
    material: str
    found_by_patrol: int | None = None
    found_at: datetime | None = None
    catch: str | None = None  # scientific name
    catch_condition: str = "none"


@dataclass
class DemoPatrol:
    index: int
    team: int
    post: int
    valley: str
    start: datetime
    end: datetime
    transport: str
    track_xy: np.ndarray  # (n, 2)
    track_times: list[datetime]


@dataclass
class DemoFind:
    patrol: int
    x: float
    y: float
    found_at: datetime
    count: int
    material: str
    state: str
    catch: str | None
    catch_condition: str
    action: str
    line_id: int


@dataclass
class DemoIncident:
    patrol: int | None
    kind: str
    x: float
    y: float
    at: datetime
    description: str
    find_indexes: list[int] = field(default_factory=list)


@dataclass
class DemoDetection:
    species: str
    method: str
    x: float
    y: float
    at: datetime
    count: int
    individual: str = ""
    camera: int | None = None
    patrol: int | None = None


@dataclass
class DemoCamera:
    deployment_id: str
    x: float
    y: float
    start: datetime
    end: datetime
    feature_type: str


@dataclass
class DemoReserve:
    seed: int
    cell_m: float
    origin: tuple[float, float]
    elevation: np.ndarray
    valleys: list[Valley]
    posts: list[tuple[str, float, float]]
    access_points: list[tuple[str, str, float, float]]
    patrols: list[DemoPatrol]
    finds: list[DemoFind]
    incidents: list[DemoIncident]
    detections: list[DemoDetection]
    cameras: list[DemoCamera]
    snares: list[Snare]
    truth_intensity: np.ndarray  # expected snare lines set per cell per year
    leopard_presence: np.ndarray  # 0..1
    musk_deer_habitat: np.ndarray  # 0..1
    start: datetime
    end: datetime

    @property
    def shape(self) -> tuple[int, int]:
        return self.elevation.shape

    @property
    def grid(self) -> Grid:
        return Grid.square(self.origin[0], self.origin[1], self.cell_m, self.shape)

    def cell_of(self, x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        return self.grid.rowcol(x, y)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        return self.grid.centres()


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    noise = ndimage.gaussian_filter(rng.normal(size=shape), sigma=sigma, mode="reflect")
    return (noise - noise.min()) / (noise.max() - noise.min())


def _polyline(rng: np.random.Generator, start: tuple[float, float], end: tuple[float, float], wiggle: float,
              step: float) -> np.ndarray:  # fmt: skip
    """A meandering line from start to end, one vertex every `step` metres."""
    start_v, end_v = np.asarray(start, float), np.asarray(end, float)
    length = float(np.linalg.norm(end_v - start_v))
    n = max(int(length / step), 2)
    t = np.linspace(0, 1, n)
    straight = start_v + t[:, None] * (end_v - start_v)
    normal = np.array([-(end_v - start_v)[1], (end_v - start_v)[0]]) / length
    phase, freq = rng.uniform(0, 2 * np.pi), rng.uniform(1.5, 3.0)
    offset = wiggle * np.sin(np.pi * t) * np.sin(2 * np.pi * freq * t + phase)
    return straight + offset[:, None] * normal


def _layout_valleys(rng: np.random.Generator, size_m: float) -> list[Valley]:
    """The Argut runs west to east across the middle; tributaries come down from the ridges."""
    x0, y0 = DEMO_ORIGIN
    mid_y = y0 - size_m * 0.5
    main_xy = _polyline(rng, (x0 + 0.02 * size_m, mid_y + 0.08 * size_m), (x0 + 0.98 * size_m, mid_y - 0.06 * size_m),
                        wiggle=0.05 * size_m, step=50.0)  # fmt: skip
    valleys = [Valley("Argut", main_xy, np.linspace(1950.0, 1200.0, len(main_xy)))]
    for i, name in enumerate(VALLEY_NAMES[1:]):
        join = main_xy[int(len(main_xy) * (0.08 + 0.11 * i))]
        north = i % 2 == 0
        head_y = y0 - rng.uniform(0.03, 0.12) * size_m if north else y0 - size_m + rng.uniform(0.03, 0.12) * size_m
        head_x = float(np.clip(join[0] + rng.uniform(-0.12, 0.12) * size_m, x0 + 0.02 * size_m, x0 + 0.98 * size_m))
        xy = _polyline(rng, (head_x, head_y), tuple(join), wiggle=0.03 * size_m, step=50.0)
        main_floor = float(valleys[0].floor_m[int(len(main_xy) * (0.08 + 0.11 * i))])
        floor = np.linspace(min(main_floor + rng.uniform(500, 800), 2000.0), main_floor, len(xy))
        valleys.append(Valley(name, xy, floor))
    return valleys


def _terrain(rng: np.random.Generator, valleys: list[Valley], shape: tuple[int, int], cell_m: float) -> np.ndarray:
    """Ridges of 2,500-3,800 m, V-shaped valleys whose floors fall from 2,000 to 1,200 m."""
    rows, cols = shape
    floor_grid = np.full(shape, np.nan)
    for valley in valleys:
        vx = ((valley.xy[:, 0] - DEMO_ORIGIN[0]) / cell_m).astype(int)
        vy = ((DEMO_ORIGIN[1] - valley.xy[:, 1]) / cell_m).astype(int)
        inside = (vx >= 0) & (vx < cols) & (vy >= 0) & (vy < rows)
        # where two valleys meet, the lower floor wins
        current = floor_grid[vy[inside], vx[inside]]
        floor_grid[vy[inside], vx[inside]] = np.fmin(current, valley.floor_m[inside])
    distance_cells, (near_r, near_c) = ndimage.distance_transform_edt(np.isnan(floor_grid), return_indices=True)
    floor = floor_grid[near_r, near_c]
    ridge = 2500.0 + 1300.0 * _smooth_noise(rng, shape, sigma=40)
    distance_m = distance_cells * cell_m
    width_m = 1800.0 + 800.0 * _smooth_noise(rng, shape, sigma=60)
    elevation = floor + (ridge - floor) * np.tanh(distance_m / width_m)
    elevation += 25.0 * (_smooth_noise(rng, shape, sigma=3) - 0.5)  # rough ground
    return elevation.astype(np.float32)


def _slope_deg(elevation: np.ndarray, cell_m: float) -> np.ndarray:
    gy, gx = np.gradient(elevation.astype(float), cell_m)
    return np.degrees(np.arctan(np.hypot(gx, gy)))


def _valley_distance(valleys: list[Valley], shape: tuple[int, int], cell_m: float) -> np.ndarray:
    mask = np.zeros(shape, bool)
    for valley in valleys:
        vx = ((valley.xy[:, 0] - DEMO_ORIGIN[0]) / cell_m).astype(int)
        vy = ((DEMO_ORIGIN[1] - valley.xy[:, 1]) / cell_m).astype(int)
        ok = (vx >= 0) & (vx < shape[1]) & (vy >= 0) & (vy < shape[0])
        mask[vy[ok], vx[ok]] = True
    return ndimage.distance_transform_edt(~mask) * cell_m


def _bump(value: np.ndarray, low: float, high: float, soft: float) -> np.ndarray:
    """1 inside [low, high], falling off smoothly over `soft` outside it."""
    below = np.clip((low - value) / soft, 0, None)
    above = np.clip((value - high) / soft, 0, None)
    return np.exp(-(below**2) - (above**2))


def _season(month: int) -> float:
    # Snaring for musk deer peaks in the cold months (the rut and the winter trade).
    return {11: 1.6, 12: 1.8, 1: 1.7, 2: 1.5, 3: 1.2, 4: 0.8, 5: 0.5, 6: 0.4, 7: 0.4, 8: 0.5, 9: 0.7, 10: 1.1}[month]


def generate(*, seed: int = 1, end: datetime | None = None, size_m: float = 40_000.0,
             cell_m: float = 50.0, months: int = 12) -> DemoReserve:  # fmt: skip
    rng = np.random.default_rng(seed)
    end = (end or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=round(30.44 * months))
    n = int(size_m / cell_m)
    shape = (n, n)

    valleys = _layout_valleys(rng, size_m)
    elevation = _terrain(rng, valleys, shape, cell_m)
    slope = _slope_deg(elevation, cell_m)
    valley_distance = _valley_distance(valleys, shape, cell_m)
    by_name = {v.name: v for v in valleys}

    main = by_name["Argut"].xy
    posts = [
        ("Argut Lower Post", *main[int(len(main) * 0.85)]),
        ("Dzhazator Post", *main[int(len(main) * 0.45)]),
        ("Upper Argut Cabin", *main[int(len(main) * 0.12)]),
    ]
    access_points = [
        ("Argut road end", "road_end", *main[-1]),
        ("Dzhazator village", "village", *main[int(len(main) * 0.5)] + np.array([0.0, -600.0])),
        ("Shavla trailhead", "road_end", *by_name["Shavla"].xy[int(len(by_name["Shavla"].xy) * 0.9)]),
        ("Kara-Su track", "road_end", *by_name["Kara-Su"].xy[int(len(by_name["Kara-Su"].xy) * 0.7)]),
        ("Southern border crossing", "border_crossing", DEMO_ORIGIN[0] + 0.3 * size_m, DEMO_ORIGIN[1] - size_m + 300),
    ]

    cx, cy = np.meshgrid(DEMO_ORIGIN[0] + (np.arange(n) + 0.5) * cell_m, DEMO_ORIGIN[1] - (np.arange(n) + 0.5) * cell_m)
    access_xy = np.array([(a[2], a[3]) for a in access_points])
    access_distance = cKDTree(access_xy).query(np.column_stack([cx.ravel(), cy.ravel()]))[0].reshape(shape)

    musk_deer_habitat = _bump(elevation, 1400, 2300, 250) * _bump(slope, 5, 35, 10)
    leopard_terrain = (  # suitability; the hidden presence adds the home ranges (_simulate_wildlife)
        _bump(elevation, 2100, 3400, 300)
        * _bump(slope, 20, 50, 10)
        * (0.4 + 0.6 * np.clip(access_distance / 12_000.0, 0, 1))
    )

    # The hidden snare-setting process: where musk deer live, close to where poachers get in,
    # along valley floors and lower slopes, and above all in a few musk deer valleys.
    valley_bias = np.ones(shape)
    for name in MUSK_DEER_VALLEYS:
        valley_bias += 2.5 * np.exp(-_valley_distance([by_name[name]], shape, cell_m) / 1500.0)
    intensity = musk_deer_habitat * np.exp(-access_distance / 7000.0) * np.exp(-valley_distance / 700.0) * valley_bias
    lines_per_year = 900.0
    truth = (intensity / intensity.sum() * lines_per_year).astype(np.float32)  # snare lines / cell / year

    snares = _simulate_snares(rng, truth, start, end, cx, cy, cell_m)
    patrols = _simulate_patrols(rng, valleys, posts, start, end)
    finds = _find_snares(rng, snares, patrols)
    incidents = _simulate_incidents(rng, finds, patrols, truth, cx, cy)
    cameras, detections, leopard_presence = _simulate_wildlife(rng, patrols, leopard_terrain, musk_deer_habitat,
                                                               valley_distance, cx, cy, start, end)  # fmt: skip

    return DemoReserve(
        seed=seed, cell_m=cell_m, origin=DEMO_ORIGIN, elevation=elevation, valleys=valleys, posts=posts,
        access_points=access_points, patrols=patrols, finds=finds, incidents=incidents, detections=detections,
        cameras=cameras, snares=snares, truth_intensity=truth, leopard_presence=leopard_presence.astype(np.float32),
        musk_deer_habitat=musk_deer_habitat.astype(np.float32), start=start, end=end,
    )  # fmt: skip


def _random_time(rng: np.random.Generator, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=float(rng.uniform(0, (end - start).total_seconds())))


def _simulate_snares(rng, truth, start, end, cx, cy, cell_m) -> list[Snare]:
    """Snare lines set month by month (seasonal), each of a few snares, lasting until they decay or are found."""
    flat = truth.ravel() / truth.sum()
    snares: list[Snare] = []
    line_id = 0
    month_start = start
    while month_start < end:
        month_end = min(month_start + timedelta(days=30.44), end)
        expected = truth.sum() / 12.0 * _season(month_start.month)
        for cell in rng.choice(flat.size, size=rng.poisson(expected), p=flat):
            set_at = _random_time(rng, month_start, month_end)
            lifetime = timedelta(days=float(rng.exponential(75.0)) + 10.0)
            material = str(rng.choice(["wire", "cable", "nylon"], p=[0.6, 0.3, 0.1]))
            x0 = cx.ravel()[cell] + rng.uniform(-cell_m / 2, cell_m / 2)
            y0 = cy.ravel()[cell] + rng.uniform(-cell_m / 2, cell_m / 2)
            for _ in range(1 + rng.poisson(2.0)):
                snares.append(Snare(line_id, x0 + rng.normal(0, 20), y0 + rng.normal(0, 20), set_at,
                                    set_at + lifetime, material))  # fmt: skip
            line_id += 1
        month_start = month_end
    return snares


def _walk(rng, path: np.ndarray, start: datetime, speed_kmh: float) -> tuple[np.ndarray, list[datetime]]:
    """GPS fixes along a path with a little lateral wander, at walking speed, resting at night."""
    step = np.linalg.norm(np.diff(path, axis=0), axis=1)
    jitter = ndimage.gaussian_filter1d(rng.normal(0, 60, size=path.shape), sigma=4, axis=0)
    track = path + jitter
    times, t = [start], start
    for metres in step:
        t += timedelta(hours=metres / 1000.0 / speed_kmh)
        if t.hour >= 19:  # camp for the night, walk on at 8:00
            t = (t + timedelta(days=1)).replace(hour=8, minute=0)
        times.append(t)
    return track, times


def _simulate_patrols(rng, valleys: list[Valley], posts, start: datetime, end: datetime) -> list[DemoPatrol]:
    """Four teams, each out about three times a month: up a valley near their post and back."""
    patrols: list[DemoPatrol] = []
    post_xy = np.array([(p[1], p[2]) for p in posts])
    day = start + timedelta(days=1)
    while day < end - timedelta(days=4):
        for team in range(4):
            if rng.random() > 0.1:  # about every ten days per team
                continue
            post = team % len(posts)
            # teams prefer valleys near their own post: choose by distance of the valley's mouth
            mouths = np.array([v.xy[-1] for v in valleys])
            weights = np.exp(-np.linalg.norm(mouths - post_xy[post], axis=1) / 9000.0)
            valley = valleys[rng.choice(len(valleys), p=weights / weights.sum())]
            outward = _route_from_post(valley, valleys[0], post_xy[post], rng)
            path = np.vstack([outward, outward[::-1]])
            path = path[:: max(1, len(path) // 600)]
            transport = str(rng.choice(["foot", "foot", "foot", "horse", "ski"] if day.month in (12, 1, 2, 3)
                                       else ["foot", "foot", "horse"]))  # fmt: skip
            speed = {"foot": 2.5, "horse": 3.5, "ski": 3.0}[transport]
            depart = day.replace(hour=8) + timedelta(minutes=int(rng.integers(0, 90)))
            track, times = _walk(rng, path, depart, speed)
            patrols.append(DemoPatrol(len(patrols), team, post, valley.name, times[0], times[-1], transport,
                                      track, times))  # fmt: skip
        day += timedelta(days=1)
    return patrols


def _route_from_post(valley: Valley, main: Valley, post_xy: np.ndarray, rng) -> np.ndarray:
    """Along the main valley from the post to the tributary's mouth, then up the tributary."""
    post_i = int(np.argmin(np.linalg.norm(main.xy - post_xy, axis=1)))
    if valley.name == main.name:
        # 5-15 km up or down the main valley (50 m between vertices)
        reach = int(rng.integers(100, 300)) * (1 if rng.random() < 0.5 else -1)
        far = int(np.clip(post_i + reach, 0, len(main.xy) - 1))
        if abs(far - post_i) < 100:
            far = int(np.clip(post_i - reach, 0, len(main.xy) - 1))
        lo, hi = sorted((post_i, far))
        segment = main.xy[lo : hi + 1]
        return segment if far >= post_i else segment[::-1]
    mouth_i = int(np.argmin(np.linalg.norm(main.xy - valley.xy[-1], axis=1)))
    lo, hi = sorted((post_i, mouth_i))
    along_main = main.xy[lo : hi + 1] if mouth_i >= post_i else main.xy[lo : hi + 1][::-1]
    up_to = int(len(valley.xy) * rng.uniform(0.0, 0.6))  # how far up the tributary they go
    return np.vstack([along_main, valley.xy[up_to:][::-1]])


def _find_snares(rng, snares: list[Snare], patrols: list[DemoPatrol]) -> list[DemoFind]:
    """A snare is found only if a patrol passes within the detection radius while it is there."""
    finds: list[DemoFind] = []
    xy = np.array([(s.x, s.y) for s in snares]) if snares else np.zeros((0, 2))
    tree = cKDTree(xy)
    for patrol in sorted(patrols, key=lambda p: p.start):
        point_times = np.array([t.timestamp() for t in patrol.track_times])
        near = set()
        for hits in tree.query_ball_point(patrol.track_xy, r=DETECTION_RADIUS_M):
            near.update(hits)
        found_here: dict[int, list[int]] = {}
        for i in sorted(near):
            snare = snares[i]
            if snare.found_by_patrol is not None:
                continue
            d = np.linalg.norm(patrol.track_xy - (snare.x, snare.y), axis=1)
            passing = datetime.fromtimestamp(float(point_times[int(np.argmin(d))]), UTC)
            if snare.set_at <= passing < snare.gone_at and rng.random() < FIND_PROBABILITY:
                snare.found_by_patrol, snare.found_at = patrol.index, passing
                found_here.setdefault(snare.line_id, []).append(i)
        for line_id, members in found_here.items():
            first = snares[members[0]]
            age_days = (first.found_at - first.set_at).days
            state = "set" if age_days < 20 else ("sprung" if rng.random() < 0.5 else "old")
            catch, condition = None, "none"
            roll = rng.random()
            if roll < 0.12:
                catch, condition = "Moschus moschiferus", str(rng.choice(["dead", "dead", "injured", "alive"]))
            elif roll < 0.14:
                catch, condition = "Capra sibirica", "dead"
            elif roll < 0.148:
                catch, condition = "Panthera uncia", str(rng.choice(["dead", "injured"]))
            action = "left_for_ambush" if rng.random() < 0.04 else str(rng.choice(["removed", "destroyed"]))
            for i in members:
                snares[i].catch, snares[i].catch_condition = catch, condition
                if action != "left_for_ambush":
                    snares[i].gone_at = first.found_at
            finds.append(DemoFind(patrol.index, first.x, first.y, first.found_at, len(members), first.material,
                                  state, catch, condition, action, line_id))  # fmt: skip
    return finds


def _simulate_incidents(rng, finds: list[DemoFind], patrols: list[DemoPatrol], truth, cx, cy) -> list[DemoIncident]:
    incidents: list[DemoIncident] = []
    for index, find in enumerate(finds):
        if find.catch_condition == "dead":
            incidents.append(DemoIncident(find.patrol, "carcass", find.x, find.y, find.found_at,
                                          f"Carcass in a snare ({find.catch}).", [index]))  # fmt: skip
        elif find.count >= 4 and rng.random() < 0.5:
            incidents.append(DemoIncident(find.patrol, "snare_line", find.x, find.y, find.found_at,
                                          f"Line of {find.count} snares.", [index]))  # fmt: skip
    # Camps where snaring is heaviest; a patrol that passes within 300 m sees one.
    flat = truth.ravel() / truth.sum()
    camps = rng.choice(flat.size, size=6, p=flat)
    for cell in camps:
        x, y = float(cx.ravel()[cell]), float(cy.ravel()[cell])
        for patrol in patrols:
            d = np.linalg.norm(patrol.track_xy - (x, y), axis=1)
            if d.min() < 300 and rng.random() < 0.5:
                at = patrol.track_times[int(np.argmin(d))]
                incidents.append(
                    DemoIncident(patrol.index, "poacher_camp", x, y, at, "Fresh poacher camp: fire, food.")
                )
                break
    for patrol in patrols:
        if rng.random() < 0.03:
            i = int(rng.integers(0, len(patrol.track_xy)))
            x, y = patrol.track_xy[i]
            incidents.append(DemoIncident(patrol.index, "gunshot", float(x), float(y), patrol.track_times[i],
                                          "Shot heard, direction unclear."))  # fmt: skip
    return incidents


def _simulate_wildlife(rng, patrols, terrain, musk_deer, valley_distance, cx, cy, start, end):
    """Camera traps on leopard ridges and game trails; rangers record sign along their tracks.

    One hidden surface of leopard use generates both: the terrain's suitability (``terrain``) times the
    sum of the five home-range kernels (exp(-d / 4 km) around each centre). A camera records an
    individual at ``CAMERA_RATE x terrain x kernel`` visits per day, a patrol fix finds sign with
    probability ``SIGN_PROBABILITY x use``; returns (cameras, detections, use scaled to 0..1), the
    last being the demo's hidden ``leopard_presence``."""
    cameras: list[DemoCamera] = []
    detections: list[DemoDetection] = []
    flat = (terrain * (valley_distance < 2500)).ravel()
    flat = flat / flat.sum()
    home_ranges = {name: rng.choice(flat.size, p=flat) for name in LEOPARDS}
    kernels = {name: np.exp(-np.hypot(cx - cx.ravel()[home], cy - cy.ravel()[home]) / 4000.0)
               for name, home in home_ranges.items()}  # fmt: skip
    use = terrain * sum(kernels.values())
    scale = float(use.max())
    presence = use / scale
    for k, cell in enumerate(rng.choice(flat.size, size=12, replace=False, p=flat)):
        x, y = float(cx.ravel()[cell]), float(cy.ravel()[cell])
        feature = str(rng.choice(["trailGame", "ridge", "scrape"]))
        period_start = start + timedelta(days=int(rng.integers(0, 60)))
        while period_start < end - timedelta(days=30):
            period_end = min(period_start + timedelta(days=int(rng.integers(90, 180))), end)
            camera = DemoCamera(f"ARG-CT{k + 1:02d}-{period_start:%Y%m}", x, y, period_start, period_end, feature)
            cameras.append(camera)
            days = (period_end - period_start).days
            for name in home_ranges:
                rate = LEOPARD_CAMERA_RATE * float(terrain.ravel()[cell] * kernels[name].ravel()[cell]) / scale
                for _ in range(rng.poisson(rate * days)):
                    detections.append(DemoDetection("Panthera uncia", "camera_trap", x, y,
                                                    _random_time(rng, period_start, period_end), 1, name,
                                                    len(cameras) - 1))  # fmt: skip
            musk_rate = 0.15 * float(musk_deer.ravel()[cell])
            for _ in range(rng.poisson(musk_rate * days)):
                detections.append(DemoDetection("Moschus moschiferus", "camera_trap", x, y,
                                                _random_time(rng, period_start, period_end),
                                                int(1 + rng.poisson(0.2)), "", len(cameras) - 1))  # fmt: skip
            period_start = period_end + timedelta(days=int(rng.integers(5, 20)))
    row_of = lambda y: np.clip(((DEMO_ORIGIN[1] - y) / (cy[0, 0] - cy[1, 0])).astype(int), 0, cy.shape[0] - 1)  # noqa: E731
    col_of = lambda x: np.clip(((x - DEMO_ORIGIN[0]) / (cx[0, 1] - cx[0, 0])).astype(int), 0, cx.shape[1] - 1)  # noqa: E731
    for patrol in patrols:
        pts = patrol.track_xy[::10]
        rows, cols = row_of(pts[:, 1]), col_of(pts[:, 0])
        for i in range(len(pts)):
            x, y = float(pts[i, 0]), float(pts[i, 1])
            at = patrol.track_times[i * 10]
            if rng.random() < 0.05 * musk_deer[rows[i], cols[i]]:
                detections.append(DemoDetection("Moschus moschiferus", str(rng.choice(["track", "scat", "sighting"])),
                                                x, y, at, 1, patrol=patrol.index))  # fmt: skip
            if rng.random() < LEOPARD_SIGN_PROBABILITY * presence[rows[i], cols[i]]:
                detections.append(DemoDetection("Panthera uncia", str(rng.choice(["track", "scrape", "scat"])),
                                                x, y, at, 1, patrol=patrol.index))  # fmt: skip
            if rng.random() < 0.004:
                detections.append(DemoDetection("Capra sibirica", "sighting", x, y, at, int(rng.integers(2, 15)),
                                                patrol=patrol.index))  # fmt: skip
    return cameras, detections, presence

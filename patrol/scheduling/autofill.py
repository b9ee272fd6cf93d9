"""Auto-fill a period with patrols: which team patrols on which day from which post, along which route.

Pure numerical module (arrays in, dataclasses out; no Django). Days are indices 0..n_days-1 of the
period; teams and posts are indices into the caller's lists.

1. **Slots** (`choose_slots`): day by day, a randomised greedy picks the teams that patrol. A team
   patrols only on its available days, at most once a day, and rests after `max_consecutive_days`
   field days in a row; teams whose post has waited longest for a patrol come first (so no post stays
   uncovered longer than needed), then teams with fewer patrol-days, then chance. The total number of
   patrol-days is spread evenly over the period.
2. **Routes** (`autofill`): greedy over the slots in a random order. Each slot's route is planned by
   the route planner (patrol.routing.planner) on the risk surface discounted by what the routes
   planned before it cover: a cell covered k times is worth `repeat_value ** k` of its risk (diminishing
   value for covering the same cells again), times a smooth random field (mean 1) that changes with
   every slot. Because slots are visited in a random order, the best routes of a post fall on random
   days, and no valley is tied to a weekday; see `weekday_association` for how that is measured.
3. **Scores**: `covered_risk_distinct` is the risk of the union of all covered cells (each cell counted
   once over the period); `baseline_distinct` the same for each post's single best route repeated on
   all its patrol days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.ndimage as ndi
from scipy.sparse.csgraph import dijkstra

from patrol.routing.planner import DEFAULT_DETECTION_RADIUS_M, CoverageModel, RouteResult, plan_route
from patrol.terrain.graph import TRANSPORT_SPEED_FACTORS, TerrainGraph, build_terrain_graph

# Fast planner settings for the many routes of a period: one gain power, no re-routing pass, fewer
# candidates, shorter searches from new waypoints (a fraction of the budget, SEARCH_CAP_SHARE). Measured on
# the demo reserve (60 routes of 8 h): 11.5 s CPU and 455 covered against 17 s and 446 with 10,000
# candidates and the planner's own search cap, and about 2 s a route with its full settings.
FAST_PLANNER = {"gain_powers": (3.0,), "reroute_passes": 0, "max_candidates": 3_000}
SEARCH_CAP_SHARE = 1 / 40
DEFAULT_REPEAT_VALUE = 0.25
DEFAULT_NOISE = 0.35
NOISE_SCALE_M = 1500.0


@dataclass(frozen=True)
class TeamSpec:
    """A team: the post it patrols from (None: any post), the days (indices) it can patrol, and the days it
    is already in the field (booked before: not available, but they count towards days in a row)."""

    home_post: int | None
    available_days: frozenset[int]
    booked_days: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Slot:
    team: int
    day: int
    post: int


@dataclass
class PlannedSlot:
    slot: Slot
    route: RouteResult
    covered_risk: float  # risk of every cell the route covers (not discounted)
    new_risk: float  # risk of the cells no earlier route of the period covered


@dataclass
class AutofillResult:
    patrols: list[PlannedSlot]
    covered_risk_distinct: float
    covered: np.ndarray  # bool grid: the union of all routes' cells
    seed: int
    areas: list = field(default_factory=list)  # PostArea per post (None where no slot used it)


class SchedulingError(ValueError):
    """The period cannot be filled as asked (no teams, no posts, ...)."""


def _run_from(days: frozenset[int], day: int) -> int:
    """How many days in a row from `day` are in `days`."""
    n = 0
    while day + n in days:
        n += 1
    return n


def choose_slots(
    *,
    teams: list[TeamSpec],
    n_posts: int,
    n_days: int,
    rng: np.random.Generator,
    max_patrol_days: int | None = None,
    max_consecutive_days: int = 5,
    max_post_gap_days: int = 7,
    post_last_day: dict[int, int] | None = None,
) -> list[Slot]:
    """Who patrols when and from where. A team's ``booked_days`` before day 0 (negative) count towards
    its days in a row; ``post_last_day``: the day (<= -1) each post was last patrolled from."""
    if n_posts <= 0:
        raise SchedulingError("no posts to patrol from")
    if max_consecutive_days < 1:
        raise SchedulingError("max_consecutive_days must be at least 1")
    possible = sum(len([d for d in t.available_days - t.booked_days if 0 <= d < n_days]) for t in teams)
    total = possible if max_patrol_days is None else min(max_patrol_days, possible)
    # Patrol-days per day: even, the remainder on random days.
    per_day = np.full(n_days, total // max(n_days, 1))
    extra = total - int(per_day.sum())
    if extra > 0:
        per_day[rng.choice(n_days, size=extra, replace=False)] += 1
    streak = {i: _run_from(frozenset(-d for d in t.booked_days if d < 0), 1) for i, t in enumerate(teams)}
    worked = dict.fromkeys(range(len(teams)), 0)
    last = {p: (post_last_day or {}).get(p, -1) for p in range(n_posts)}
    slots: list[Slot] = []
    carry = 0  # patrol-days a day could not place move to the next day
    for day in range(n_days):
        want = int(per_day[day]) + carry
        # Free: available, not booked, and not making too many days in a row with the days booked after it.
        free = [
            i for i, t in enumerate(teams)
            if day in t.available_days and day not in t.booked_days
            and streak[i] + 1 + _run_from(t.booked_days, day + 1) <= max_consecutive_days
        ]  # fmt: skip
        taken_posts: list[int] = []
        chosen: list[int] = []
        while free and len(chosen) < want:
            keyed = []
            for i in free:
                p = teams[i].home_post
                if p is None:  # a team without a post goes where the wait is longest (ties at random)
                    waits = [(day - last[q] - (n_days if q in taken_posts else 0), rng.random(), q)
                             for q in range(n_posts)]  # fmt: skip
                    p = max(waits)[2]
                overdue = day - last[p] >= max_post_gap_days and p not in taken_posts
                keyed.append((not overdue, p in taken_posts, worked[i], -(day - last[p]), rng.random(), i, p))
            keyed.sort()
            *_, i, p = keyed[0]
            chosen.append(i)
            free.remove(i)
            taken_posts.append(p)
            slots.append(Slot(team=i, day=day, post=p))
            worked[i] += 1
            last[p] = day
        carry = want - len(chosen)
        for i in range(len(teams)):
            streak[i] = streak[i] + 1 if i in chosen or day in teams[i].booked_days else 0
    return slots


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], *, cell_m: float, amount: float) -> np.ndarray:
    """A positive random field with mean about 1 and features about NOISE_SCALE_M across."""
    if amount <= 0:
        return np.ones(shape)
    sigma = max(NOISE_SCALE_M / max(cell_m, 1e-9) / 2.0, 1.0)
    # Drawn on a coarse grid and zoomed: cheap on large grids.
    step = max(int(sigma // 2), 1)
    coarse_shape = (shape[0] // step + 2, shape[1] // step + 2)
    coarse = ndi.gaussian_filter(rng.standard_normal(coarse_shape), sigma=sigma / step, mode="wrap")
    coarse /= coarse.std() or 1.0
    field_ = ndi.zoom(coarse, step, order=1)[: shape[0], : shape[1]]
    return np.exp(amount * field_ - 0.5 * amount**2)


@dataclass
class PostArea:
    """The part of the grid a round trip from a post can reach within the budget (cells with time from
    the post plus time back at most the budget, with a margin for the detection radius), as its own
    smaller graph: every route the planner could make lies inside it, and searches on it are faster."""

    graph: TerrainGraph
    origin: tuple[int, int]  # (row, col) of the crop's corner in the full grid
    start: tuple[int, int]  # the post's cell in the crop
    coverage: CoverageModel
    cache: dict = field(default_factory=dict)

    @property
    def window(self) -> tuple[slice, slice]:
        r0, c0 = self.origin
        return slice(r0, r0 + self.graph.shape[0]), slice(c0, c0 + self.graph.shape[1])


def post_area(graph: TerrainGraph, post: tuple[int, int], *, budget_h: float, radius_m: float) -> PostArea:
    start = graph.index(*post)
    there = dijkstra(graph.forward, indices=start, limit=budget_h)
    back = dijkstra(graph.backward, indices=start, limit=budget_h)
    feasible = ((there + back) <= budget_h).reshape(graph.shape)
    if not feasible.any():
        raise SchedulingError(f"post cell {post} has no passable terrain around it")
    rows, cols = np.nonzero(feasible)
    pad = int(math.ceil(radius_m / min(float(graph.dy_m), float(graph.dx_rows.min())))) + 2
    r0, r1 = max(rows.min() - pad, 0), min(rows.max() + pad + 1, graph.shape[0])
    c0, c1 = max(cols.min() - pad, 0), min(cols.max() + pad + 1, graph.shape[1])
    # Walking time on an edge depends only on the two cells: outside the feasible set becomes nodata.
    z = np.where(feasible & graph.passable, graph.elevation, np.nan)[r0:r1, c0:c1]
    mode = min(TRANSPORT_SPEED_FACTORS, key=lambda m: abs(TRANSPORT_SPEED_FACTORS[m] - graph.speed_factor))
    dx_rows = graph.dx_rows[r0:r1]
    sub = build_terrain_graph(z, dx_m=dx_rows, dy_m=graph.dy_m, max_slope_deg=graph.max_slope_deg, mode=mode)
    sub.elevation = graph.elevation[r0:r1, c0:c1]
    coverage = CoverageModel.build(sub.shape, dx_rows, graph.dy_m, radius_m)
    return PostArea(graph=sub, origin=(int(r0), int(c0)), start=(post[0] - int(r0), post[1] - int(c0)),
                    coverage=coverage)  # fmt: skip


def to_full_grid(route: RouteResult, area: PostArea, shape: tuple[int, int]) -> RouteResult:
    """The route planned on a post's area, in the full grid's cells."""
    offset = np.asarray(area.origin, dtype=np.int64)
    covered = np.zeros(shape, dtype=bool)
    covered[area.window] = route.covered
    route.cells = route.cells + offset
    route.waypoints = route.waypoints + offset
    route.covered = covered
    return route


def autofill(
    graph: TerrainGraph,
    risk: np.ndarray,
    *,
    posts: list[tuple[int, int]],
    teams: list[TeamSpec],
    n_days: int,
    budget_h: float,
    seed: int,
    max_patrol_days: int | None = None,
    max_consecutive_days: int = 5,
    max_post_gap_days: int = 7,
    repeat_value: float = DEFAULT_REPEAT_VALUE,
    noise: float = DEFAULT_NOISE,
    radius_m: float = DEFAULT_DETECTION_RADIUS_M,
    prior_coverage: np.ndarray | None = None,
    post_last_day: dict[int, int] | None = None,
    planner_options: dict | None = None,
    areas: list[PostArea] | None = None,
    progress=None,
) -> AutofillResult:
    """Propose the period's patrols (see the module docstring). ``prior_coverage``: how many times
    each cell is already covered by patrols planned before (counts, discounted like the period's own).
    ``areas``: the posts' areas (`post_area`) when the caller already has them."""
    if not 0.0 <= repeat_value <= 1.0:
        raise SchedulingError("repeat_value must be within [0, 1]")
    if not 0 < budget_h < float("inf"):  # NaN too
        raise SchedulingError("the time budget must be a positive number of hours")
    risk = np.nan_to_num(np.asarray(risk, dtype=np.float64), nan=0.0).clip(min=0.0)
    rng = np.random.default_rng(seed)
    slots = choose_slots(
        teams=teams, n_posts=len(posts), n_days=n_days, rng=rng, max_patrol_days=max_patrol_days,
        max_consecutive_days=max_consecutive_days, max_post_gap_days=max_post_gap_days, post_last_day=post_last_day,
    )  # fmt: skip
    if areas is None:
        used = {s.post for s in slots}
        areas = [post_area(graph, p, budget_h=budget_h, radius_m=radius_m) if i in used else None
                 for i, p in enumerate(posts)]  # fmt: skip
    options = {**FAST_PLANNER, "search_cap_h": budget_h * SEARCH_CAP_SHARE, **(planner_options or {})}
    count = np.zeros(graph.shape, dtype=np.int32) if prior_coverage is None else prior_coverage.astype(np.int32)
    union = np.zeros(graph.shape, dtype=bool)
    planned: dict[int, PlannedSlot] = {}
    cell_m = float(np.mean(graph.dx_rows))
    for done, k in enumerate(rng.permutation(len(slots)).tolist()):
        slot = slots[k]
        area = areas[slot.post]
        window = area.window
        value = risk[window] * np.power(repeat_value, count[window])
        value *= smooth_noise(rng, area.graph.shape, cell_m=cell_m, amount=noise)
        route = plan_route(area.graph, value, start=area.start, budget_h=budget_h, coverage=area.coverage,
                           search_cache=area.cache, **options)  # fmt: skip
        route = to_full_grid(route, area, graph.shape)
        new = route.covered & ~union
        route.covered_risk = float(risk[route.covered].sum())
        planned[k] = PlannedSlot(slot=slot, route=route, covered_risk=route.covered_risk,
                                 new_risk=float(risk[new].sum()))  # fmt: skip
        union |= route.covered
        count += route.covered
        if progress is not None:
            progress(done + 1, len(slots))
    patrols = [planned[k] for k in range(len(slots))]
    return AutofillResult(patrols=patrols, covered_risk_distinct=float(risk[union].sum()), covered=union, seed=seed,
                          areas=areas)  # fmt: skip


def best_route(graph: TerrainGraph, risk: np.ndarray, area: PostArea, *, budget_h: float) -> RouteResult:
    """A post's single best route on the undiscounted risk, with the planner's full settings."""
    risk = np.nan_to_num(np.asarray(risk, dtype=np.float64), nan=0.0).clip(min=0.0)
    route = plan_route(area.graph, risk[area.window], start=area.start, budget_h=budget_h, coverage=area.coverage,
                       search_cache=area.cache)  # fmt: skip
    return to_full_grid(route, area, graph.shape)


def baseline_distinct(graph: TerrainGraph, risk: np.ndarray, result: AutofillResult, *, budget_h: float) -> float:
    """Risk covered, each cell once, when every slot walks its post's single best route."""
    risk = np.nan_to_num(np.asarray(risk, dtype=np.float64), nan=0.0).clip(min=0.0)
    union = np.zeros(risk.shape, dtype=bool)
    for post in sorted({p.slot.post for p in result.patrols}):
        union |= best_route(graph, risk, result.areas[post], budget_h=budget_h).covered
    return float(risk[union].sum())


# --- predictability -------------------------------------------------------------------------------


def dominant_label(covered: np.ndarray, risk: np.ndarray, labels: np.ndarray) -> int:
    """The label (e.g. valley) holding most of the risk a route covers; -1 when it covers none."""
    pick = covered & (labels >= 0)
    if not pick.any():
        return -1
    weights = np.bincount(labels[pick].astype(np.int64), weights=np.asarray(risk, dtype=np.float64)[pick])
    if weights.max() <= 0:
        weights = np.bincount(labels[pick].astype(np.int64))
    return int(np.argmax(weights))


def weekday_association(weekdays: list[int], labels: list[int]) -> float:
    """Bias-corrected Cramér's V (Bergsma 2013) between the weekday of a patrol and its dominant
    valley: 0 when weekdays say nothing about the valley, 1 when each valley has its own weekday.
    The correction keeps small samples of independent choices near 0 instead of well above it."""
    w = np.asarray(weekdays, dtype=np.int64)
    v = np.asarray(labels, dtype=np.int64)
    n = len(w)
    if n < 2:
        return 0.0
    _, wi = np.unique(w, return_inverse=True)
    _, vi = np.unique(v, return_inverse=True)
    r, k = wi.max() + 1, vi.max() + 1
    if r < 2 or k < 2:
        return 0.0
    table = np.zeros((r, k))
    np.add.at(table, (wi, vi), 1.0)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    r_c = r - (r - 1) ** 2 / (n - 1)
    k_c = k - (k - 1) ** 2 / (n - 1)
    denom = min(k_c - 1, r_c - 1)
    return math.sqrt(phi2 / denom) if denom > 0 else 0.0

"""The pure auto-fill core on synthetic terrain: constraints, counting, randomness, predictability."""

import math
from collections import Counter

import numpy as np
import pytest

from patrol.scheduling.autofill import (
    SchedulingError,
    TeamSpec,
    autofill,
    baseline_distinct,
    best_route,
    choose_slots,
    dominant_label,
    weekday_association,
)
from patrol.terrain.graph import build_terrain_graph
from tests.patrol.terrain.helpers import check_route, hotspot_risk, rolling_terrain

CELL = 30.0
RADIUS = 60.0
POSTS = [(30, 35), (10, 10), (50, 60)]
BUDGET = 0.75


@pytest.fixture(scope="module")
def terrain():
    z = rolling_terrain()
    return z, build_terrain_graph(z, dx_m=CELL, dy_m=CELL)


def _teams(n_days, off=None):
    off = off or {}
    days = set(range(n_days))
    return [TeamSpec(home_post=i % 3 if i < 3 else None, available_days=frozenset(days - off.get(i, set())))
            for i in range(4)]  # fmt: skip


def _covered_cells(cells, shape):
    """Cells within RADIUS of a visited cell's centre, by plain loops (independent of the planner)."""
    reach = int(RADIUS // CELL) + 1
    out = set()
    for r, c in {tuple(x) for x in cells}:
        for i in range(max(0, r - reach), min(shape[0], r + reach + 1)):
            for j in range(max(0, c - reach), min(shape[1], c + reach + 1)):
                if ((i - r) * CELL) ** 2 + ((j - c) * CELL) ** 2 <= RADIUS**2:
                    out.add((i, j))
    return out


@pytest.fixture(scope="module")
def filled(terrain):
    _, graph = terrain
    return autofill(graph, hotspot_risk(), posts=POSTS, teams=_teams(14, off={0: {3, 4}}), n_days=14,
                    budget_h=BUDGET, seed=7, max_patrol_days=30, max_consecutive_days=3, max_post_gap_days=2,
                    radius_m=RADIUS)  # fmt: skip


def test_no_team_is_booked_twice_and_every_slot_respects_availability(filled):
    slots = [p.slot for p in filled.patrols]
    assert len(slots) == 30
    assert len({(s.team, s.day) for s in slots}) == 30
    assert not {s.day for s in slots if s.team == 0} & {3, 4}
    for team in range(4):
        days = sorted(s.day for s in slots if s.team == team)
        run = longest = 1
        for a, b in zip(days, days[1:], strict=False):
            run = run + 1 if b == a + 1 else 1
            longest = max(longest, run)
        assert longest <= 3
    for team in range(3):  # teams with a post patrol from it
        assert {s.post for s in slots if s.team == team} == {team}


def test_no_post_waits_longer_than_allowed_when_teams_are_free(filled):
    for post in range(3):
        days = sorted({p.slot.day for p in filled.patrols if p.slot.post == post})
        gaps = [b - a - 1 for a, b in zip([-1, *days], [*days, 14], strict=True)]
        assert max(gaps) <= 2, (post, days)


def test_every_patrol_is_a_round_trip_within_its_time_budget(terrain, filled):
    z, _ = terrain
    risk = hotspot_risk()
    for p in filled.patrols:
        cells = p.route.cells.tolist()
        assert tuple(cells[0]) == tuple(cells[-1]) == POSTS[p.slot.post]
        hours, covered_risk, _ = check_route(cells, z, risk, dx_rows=[CELL] * 60, dy=CELL, radius_m=RADIUS)
        assert hours <= BUDGET
        assert p.route.duration_h == pytest.approx(hours, rel=1e-9)
        assert p.covered_risk == pytest.approx(covered_risk, rel=1e-9)


def test_each_cell_counts_once_over_the_period(terrain, filled):
    risk = hotspot_risk()
    union = set()
    for p in filled.patrols:
        union |= _covered_cells(p.route.cells.tolist(), risk.shape)
    distinct = math.fsum(float(risk[i, j]) for i, j in union)
    assert filled.covered_risk_distinct == pytest.approx(distinct, rel=1e-9)
    assert filled.covered_risk_distinct < sum(p.covered_risk for p in filled.patrols)
    # new_risk: what each patrol added to what the ones planned before it covered; they sum to the union.
    assert sum(p.new_risk for p in filled.patrols) == pytest.approx(distinct, rel=1e-9)


def test_the_period_covers_more_than_each_posts_best_route_repeated(terrain, filled):
    _, graph = terrain
    risk = hotspot_risk()
    base = baseline_distinct(graph, risk, filled, budget_h=BUDGET)
    union = set()
    for post in range(3):
        union |= _covered_cells(best_route(graph, risk, filled.areas[post], budget_h=BUDGET).cells.tolist(), risk.shape)
    assert base == pytest.approx(math.fsum(float(risk[i, j]) for i, j in union), rel=1e-9)
    assert filled.covered_risk_distinct > 1.3 * base


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another(terrain, filled):
    _, graph = terrain
    kwargs = dict(posts=POSTS, teams=_teams(14, off={0: {3, 4}}), n_days=14, budget_h=BUDGET, max_patrol_days=30,
                  max_consecutive_days=3, max_post_gap_days=2, radius_m=RADIUS)  # fmt: skip
    again = autofill(graph, hotspot_risk(), seed=7, **kwargs)
    other = autofill(graph, hotspot_risk(), seed=8, **kwargs)
    assert [(p.slot, p.route.cells.tolist()) for p in again.patrols] == [
        (p.slot, p.route.cells.tolist()) for p in filled.patrols
    ]
    assert [p.slot for p in other.patrols] != [p.slot for p in filled.patrols]
    assert [p.route.cells.tolist() for p in other.patrols] != [p.route.cells.tolist() for p in filled.patrols]


def test_choose_slots_places_exactly_the_patrol_days_asked_for():
    rng = np.random.default_rng(1)
    slots = choose_slots(teams=_teams(30), n_posts=3, n_days=30, rng=rng, max_patrol_days=60)
    assert len(slots) == 60
    assert Counter(s.day for s in slots).most_common(1)[0][1] <= 3
    assert len(choose_slots(teams=_teams(5), n_posts=3, n_days=5, rng=rng, max_patrol_days=1000,
                            max_consecutive_days=10)) == 20  # fmt: skip
    with pytest.raises(SchedulingError):
        choose_slots(teams=_teams(5), n_posts=0, n_days=5, rng=rng)


def test_weekday_association_is_one_for_a_fixed_rotation_and_near_zero_for_independent_choices():
    weekdays = [d % 7 for d in range(210)]
    assert weekday_association(weekdays, [d % 7 for d in range(210)]) == pytest.approx(1.0)
    rng = np.random.default_rng(3)
    assert weekday_association(weekdays, rng.integers(0, 5, size=210).tolist()) < 0.1
    assert weekday_association([1, 1], [2, 3]) == 0.0


def test_dominant_label_is_where_most_of_the_covered_risk_lies():
    labels = np.array([[0, 0, 1], [1, 1, 1]])
    risk = np.array([[5.0, 5.0, 1.0], [1.0, 1.0, 0.0]])
    assert dominant_label(np.ones((2, 3), dtype=bool), risk, labels) == 0
    assert dominant_label(np.zeros((2, 3), dtype=bool), risk, labels) == -1


def test_auto_filled_months_tie_no_valley_to_a_weekday(terrain):
    """Six months of four teams on three posts: the weekday of a patrol says (almost) nothing about the
    quarter of the reserve where most of its covered risk lies (bias-corrected Cramér's V < 0.15)."""
    _, graph = terrain
    risk = hotspot_risk()
    labels = np.zeros(risk.shape, dtype=np.int64)
    labels[:30, 35:] = 1
    labels[30:, :35] = 2
    labels[30:, 35:] = 3
    weekdays, valleys = [], []
    for month in range(6):
        result = autofill(graph, risk, posts=POSTS, teams=_teams(28), n_days=28, budget_h=0.5, seed=100 + month,
                          max_patrol_days=40, radius_m=RADIUS)  # fmt: skip
        for p in result.patrols:
            weekdays.append(p.slot.day % 7)
            valleys.append(dominant_label(p.route.covered, risk, labels))
    assert len(set(valleys)) >= 3
    assert weekday_association(weekdays, valleys) < 0.15


def test_days_in_the_field_just_before_the_period_count_towards_days_in_a_row():
    rng = np.random.default_rng(2)
    tired = TeamSpec(home_post=0, available_days=frozenset(range(6)), booked_days=frozenset({-3, -2, -1}))
    fresh = TeamSpec(home_post=0, available_days=frozenset(range(6)), booked_days=frozenset({-3, -1}))
    slots = choose_slots(teams=[tired, fresh], n_posts=1, n_days=6, rng=rng, max_consecutive_days=3)
    assert sorted(s.day for s in slots if s.team == 0) == [1, 2, 3, 5]  # rests on day 0 and day 4
    assert sorted(s.day for s in slots if s.team == 1) == [0, 1, 3, 4, 5]  # -1, 0, 1 then a rest


def test_a_search_cache_shared_between_plans_changes_no_route(terrain):
    from patrol.routing.planner import plan_route

    _, graph = terrain
    risk = hotspot_risk()
    cache = {}
    for budget, start in ((1.0, (30, 35)), (0.5, (30, 35)), (1.5, (30, 35)), (1.0, (10, 10))):
        cached = plan_route(graph, risk, start=start, budget_h=budget, search_cache=cache)
        plain = plan_route(graph, risk, start=start, budget_h=budget)
        assert cached.cells.tolist() == plain.cells.tolist()
    searches = sorted(key for key in cache if key[0] != "region")
    assert searches == [(10 * 70 + 10, False), (10 * 70 + 10, True), (30 * 70 + 35, False), (30 * 70 + 35, True)]
    assert len([key for key in cache if key[0] == "region"]) == 4  # one reachable region per start and budget
    # the widest search is kept: a round trip's, to budget x r / (1 + r) (the planner's _full_search_reach)
    ratio = graph.reverse_ratio
    assert cache[(30 * 70 + 35, False)][0] == 1.5 * (1 - 1e-9) * ratio / (1 + ratio) * (1 + 1e-9)

"""Leopard presence from camera traps with effort (threats.risk.presence) and its terrain covariates: pure numpy."""

import math

import numpy as np
import pytest

from patrol.terrain import grid as terrain_grid
from patrol.terrain.graph import DEFAULT_MAX_SLOPE_DEG
from tests.threats.risk.test_model import T0, flat_features
from threats.risk import data as risk_data
from threats.risk import effort as risk_effort
from threats.risk import features as risk_features
from threats.risk import presence as risk_presence

DAY = 86_400.0
# 200 x 200 cells of 100 m: cameras 15 km apart are five kernel bandwidths (3 km) from each other
GRID = terrain_grid.Grid.square(0.0, 20_000.0, 100.0, (200, 200))
CONFIG = risk_data.RiskConfig(half_life_days=math.inf)
A, B = (3_050.0, 16_950.0), (18_050.0, 16_950.0)  # camera points (x, y): cells (30, 30) and (30, 180)
FAR_FROM_BOTH = (180, 100)  # 15 km from both


# --- covariates on a hand-made DEM ----------------------------------------------------------


def test_ruggedness_is_the_mean_absolute_difference_to_the_neighbours():
    dem = np.array([[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]])
    expected = np.array([[3.0, 1.8, 3.0], [1.8, 9.0, 1.8], [3.0, 1.8, 3.0]])  # corner 9/3, edge 9/5, centre 72/8
    np.testing.assert_allclose(risk_features.terrain_ruggedness(dem), expected, rtol=0, atol=1e-12)
    tilted = np.add.outer(np.arange(4.0), np.zeros(4)) * 10.0  # a plane rising 10 m a row
    assert risk_features.terrain_ruggedness(tilted)[1, 1] == pytest.approx(60.0 / 8.0, abs=1e-12)


def test_cliff_distance_counts_from_cells_steeper_than_the_walkable_limit():
    slope = np.array([[0.0, 10.0, DEFAULT_MAX_SLOPE_DEG + 5.0, 10.0, 0.0]])
    np.testing.assert_allclose(risk_features.cliff_distance(slope, 50.0), [[100.0, 50.0, 0.0, 50.0, 100.0]])
    at_limit = np.array([[0.0, DEFAULT_MAX_SLOPE_DEG]])  # walkable up to the limit itself: no cliff
    assert risk_features.cliff_distance(at_limit, 50.0).tolist() == [[pytest.approx(math.hypot(1, 2) * 50.0)] * 2]


def test_terrain_features_carry_ruggedness_and_cliff_distance_of_the_dem():
    grid = terrain_grid.Grid.square(0.0, 500.0, 50.0, (10, 10))
    dem = np.full((10, 10), 1000.0)
    dem[:, 5:] = 1100.0  # a 100 m step between columns 4 and 5: a cliff (slope atan(100/100) = 45 deg)
    features = risk_features.build_terrain_features(dem, grid=grid, access_xy=np.array([[25.0, 25.0]]))
    assert features.ruggedness_m[5, 0] == 0.0 and features.ruggedness_m[5, 4] == pytest.approx(300.0 / 8.0)
    assert features.cliff_distance_m[5, 4] == 0.0 and features.cliff_distance_m[5, 5] == 0.0
    assert features.cliff_distance_m[5, 1] == pytest.approx(150.0) and features.cliff_distance_m[5, 9] == 200.0


# --- the presence model ------------------------------------------------------------------------


def cameras(*deployments):
    """(x, y, days) -> deployments starting at T0."""
    return risk_data.CameraDeployments.create(
        [d[0] for d in deployments], [d[1] for d in deployments], [T0] * len(deployments),
        [T0 + d[2] * DAY for d in deployments],
    )  # fmt: skip


def records(*per_camera, individual=""):
    """(x, y, n) -> n records a day apart (independent events)."""
    xs, ys, ts = [], [], []
    for x, y, n in per_camera:
        xs += [x] * n
        ys += [y] * n
        ts += [T0 + (k + 0.5) * DAY for k in range(n)]
    return risk_data.PointEvents.create(xs, ys, ts, label=[individual] * len(xs))


def presence_of(deployments, detections):
    effort = risk_effort.patrol_effort(GRID, [], start=T0, end=T0 + 400 * DAY, half_life_days=math.inf,
                                       cameras=deployments)  # fmt: skip
    detections = risk_data.SpeciesDetections(detections, risk_data.PointEvents.empty())
    return risk_presence.fit_leopard_presence(flat_features(GRID), detections, effort, reference=T0 + 400 * DAY,
                                              config=CONFIG)  # fmt: skip


def test_more_detections_per_trap_day_raise_presence_around_the_camera_not_far_away():
    """16 cameras 5 km apart, 3 detections in 100 days each; then the north-west one records 15."""
    stations = [tuple(map(float, GRID.xy_of(r, c))) for r in (25, 75, 125, 175) for c in (25, 75, 125, 175)]
    deployments = cameras(*[(x, y, 100) for x, y in stations])
    usual = [(x, y, 3) for x, y in stations]
    few = presence_of(deployments, records(*usual))
    many = presence_of(deployments, records((*stations[0], 15), *usual[1:]))
    assert few.presence[25, 35] == pytest.approx(few.presence[175, 165], rel=1e-9)  # flat terrain, even records
    near, far = (25, 35), (175, 165)  # 1 km from the busy camera; 1 km from the opposite one, 21 km away
    assert many.presence[near] > 1.5 * few.presence[near]
    assert many.presence[far] < 1.1 * few.presence[far]
    assert many.presence[near] - few.presence[near] > 10 * (many.presence[far] - few.presence[far])


def test_a_camera_without_detections_after_many_trap_days_lowers_presence_around_it():
    without = presence_of(cameras((*B, 100)), records((*B, 3)))
    empty = presence_of(cameras((*A, 300), (*B, 100)), records((*B, 3)))
    assert empty.presence[30, 32] < 0.5 * without.presence[30, 32]
    assert empty.presence[30, 32] < empty.presence[30, 178]


def test_trap_days_matter_the_same_detections_over_more_days_are_a_lower_rate():
    short = presence_of(cameras((*A, 30), (*B, 100)), records((*A, 4), (*B, 2)))
    long = presence_of(cameras((*A, 300), (*B, 100)), records((*A, 4), (*B, 2)))
    assert long.camera_rate_per_day[30, 30] < 0.5 * short.camera_rate_per_day[30, 30]
    assert long.presence[30, 30] < short.presence[30, 30]
    assert (short.trap_days, long.trap_days) == (130.0, 400.0)


def test_presence_uncertainty_shrinks_with_effort():
    little = presence_of(cameras((*A, 40), (*B, 40)), records((*A, 2), (*B, 2)))
    much = presence_of(cameras((*A, 400), (*B, 400)), records((*A, 20), (*B, 20)))
    assert much.presence[30, 30] == pytest.approx(little.presence[30, 30], rel=0.1)  # the same rate
    assert much.presence_sd[30, 30] < 0.6 * little.presence_sd[30, 30]
    assert much.log_rate_sd[30, 30] < little.log_rate_sd[30, 30]
    assert little.presence_sd[FAR_FROM_BOTH] > little.presence_sd[30, 30]  # no camera near: less known


def test_records_of_one_animal_within_a_day_are_one_event_and_individuals_are_counted():
    t = T0 + np.array([0.0, 600.0, 3_600.0, 2 * DAY, 0.0, 60.0])
    events = risk_data.PointEvents.create([A[0]] * 6, [A[1]] * 6, t, label=["F1", "F1", "F1", "F1", "M2", ""])
    counts, individuals, by_individual = risk_presence.independent_events(GRID, events, within_hours=24.0)
    assert counts[30, 30] == 4.0  # F1 twice (a day apart), M2 once, the unidentified one once
    assert individuals[30, 30] == 2.0 and counts.sum() == 4.0
    assert by_individual == {(30 * 200 + 30, "F1"): 2.0, (30 * 200 + 30, "M2"): 1.0}  # the unidentified one is not here


def test_known_individuals_add_information_on_use():
    """Two stations with the same events: the one with three individuals is used more than the one with one."""
    xs, ys, ts, names = [], [], [], []
    for (x, y), who in ((A, ["F1"] * 6), (B, ["F1", "F1", "M2", "M2", "F3", "F3"])):
        for k, name in enumerate(who):
            xs.append(x), ys.append(y), ts.append(T0 + (2 * k + 0.5) * DAY), names.append(name)
    detections = risk_data.PointEvents.create(xs, ys, ts, label=names)
    fit = presence_of(cameras((*A, 100), (*B, 100)), detections)
    assert fit.individuals == 4
    assert "individuals" in fit.fit.names
    unlabelled = presence_of(cameras((*A, 100), (*B, 100)), risk_data.PointEvents.create(xs, ys, ts))
    assert "individuals" in unlabelled.fit.names and unlabelled.individuals == 0
    assert fit.presence[30, 30] == pytest.approx(fit.presence[30, 180], rel=0.05)  # flat terrain: no slope to learn


def test_leopard_risk_sd_combines_snare_and_presence_uncertainty():
    sd = risk_presence.risk_sd(np.array([2.0]), np.array([1.0]), np.array([0.5]), np.array([0.1]))
    assert sd[0] == pytest.approx(math.sqrt(4 * 0.01 + 0.25 * 1.0 + 1.0 * 0.01))


def test_explain_gives_the_leopard_parts_that_sum_to_the_log_rate():
    from datetime import UTC, datetime

    from threats.interchange import demo
    from threats.interchange.demo_inputs import demo_access_xy, risk_inputs_from_demo
    from threats.risk import model as risk_model

    world = demo.generate(seed=1, end=datetime(2025, 1, 1, tzinfo=UTC), size_m=8000.0, cell_m=100.0)
    inputs = risk_inputs_from_demo(world)
    features = risk_features.build_terrain_features(world.elevation, grid=inputs.grid, access_xy=demo_access_xy(world))
    frailty = {"nearby leopard records vs effort"}
    # On this small world the terrain terms predict held-out blocks worse than a flat rate, so they are dropped;
    # with the check off they stay. Either way the parts add up.
    for config, names in (
        (risk_data.RiskConfig(), frailty),
        (risk_data.RiskConfig(leopard_cv_repeats=0), {g for g, _ in risk_presence.COVARIATES} | frailty),
    ):
        result = risk_model.fit_risk(inputs, features, config)
        assert result.leopard.terrain_kept == (config.leopard_cv_repeats == 0)
        row, col = np.unravel_index(int(np.nanargmax(result.leopard_risk)), result.grid.shape)
        cell = result.explain(int(row), int(col))
        assert {c.name for c in cell.leopard_contributions} == names
        total = cell.leopard_baseline + sum(c.value for c in cell.leopard_contributions)
        assert total == pytest.approx(float(result.leopard.log_rate[row, col]), abs=1e-9)
        assert cell.leopard_presence == pytest.approx(-math.expm1(-math.exp(total) * 30.0), rel=1e-9)
        assert cell.leopard_risk_sd == pytest.approx(float(result.leopard_risk_sd[row, col]))
        assert 0 < cell.leopard_presence_sd < 0.5 and cell.leopard_risk == pytest.approx(
            cell.intensity * cell.leopard_presence
        )


def test_without_any_leopard_effort_presence_is_unknown_not_zero():
    """No camera, no patrol: nothing rules leopards out, so every snare counts for them, with a wide SD."""
    fit = presence_of(risk_data.CameraDeployments.empty(), risk_data.PointEvents.empty())
    assert fit.presence.min() == pytest.approx(1.0, abs=1e-9) and fit.presence_sd.min() > 0.4
    assert (fit.stations, fit.trap_days, fit.camera_events, fit.individuals) == (0, 0.0, 0.0, 0)


def test_records_raise_presence_across_a_home_range_not_only_around_their_camera():
    """A silent camera 11 km from one that records leopards every few days sits in their home range (9 km scale):
    higher presence than the same silent camera 20 km away. With the home-range scale off, the 3 km scale alone
    barely tells the two apart."""
    hot, near, far = (3_050.0, 16_950.0), (3_050.0, 5_950.0), (18_050.0, 2_950.0)
    deployments = cameras((*hot, 100), (*near, 100), (*far, 100))
    detections = records((*hot, 30))
    effort = risk_effort.patrol_effort(GRID, [], start=T0, end=T0 + 400 * DAY, half_life_days=math.inf,
                                       cameras=deployments)  # fmt: skip
    at = {name: GRID.flat_index(np.array([x]), np.array([y]))[0][0] for name, (x, y) in
          (("near", near), ("far", far))}  # fmt: skip
    ratios = []
    for home_range_m in (9_000.0, 0.0):
        config = risk_data.RiskConfig(half_life_days=math.inf, leopard_home_range_m=home_range_m)
        fit = risk_presence.fit_leopard_presence(
            flat_features(GRID), risk_data.SpeciesDetections(detections, risk_data.PointEvents.empty()), effort,
            reference=T0 + 400 * DAY, config=config,
        )  # fmt: skip
        presence = fit.presence.ravel()
        ratios.append(presence[at["near"]] / presence[at["far"]])
    assert ratios[0] > 1.2  # measured 1.26
    assert ratios[1] == pytest.approx(1.0, abs=1e-9)


def _stations(n_side=8, seed=0):
    """Rows of one camera per station on a lattice over GRID (blocks of 5 km: 16 of them), 100 trap-days each."""
    step = GRID.shape[0] // n_side
    r, c = np.meshgrid(np.arange(n_side) * step + step // 2, np.arange(n_side) * step + step // 2, indexing="ij")
    rows = (r * GRID.shape[1] + c).ravel()
    z = np.random.default_rng(seed).normal(0.0, 1.0, len(rows))
    indicators = np.zeros((len(rows), len(risk_presence._METHODS)))
    indicators[:, 0] = 1.0
    return rows, indicators, z, np.full(len(rows), math.log(100.0))


def test_held_out_blocks_keep_a_terrain_term_that_predicts_and_drop_one_that_does_not():
    rows, indicators, z, log_days = _stations()
    X = np.column_stack([indicators, z])
    prior_mean, prior_sd = np.zeros(4), np.array([10.0, 10.0, 10.0, 1.0])
    rng = np.random.default_rng(1)
    driven = rng.poisson(np.exp(-3.0 + 1.2 * z) * 100.0).astype(float)  # the term is what drives the records
    unrelated = rng.poisson(np.full(len(z), math.exp(-3.0) * 100.0)).astype(float)  # records ignore it
    for y, kept in ((driven, True), (unrelated, False)):
        start = np.zeros(4)
        terrain, flat = risk_presence.heldout_loglik(X, y, log_days, rows, GRID, prior_mean, prior_sd, CONFIG, start)
        assert (terrain >= flat) is kept
    one_block = np.full(len(rows), rows[0])
    assert (
        risk_presence.heldout_loglik(X, driven, log_days, one_block, GRID, prior_mean, prior_sd, CONFIG, start) is None
    )


def test_identified_animals_place_their_home_range_where_unidentified_records_cannot():
    """Two stations 15 km apart record the same number of events. Identified, one animal is seen at A only and
    silent B rules it out there; the home range follows A. Unidentified, the same records give no centres."""
    far = (10_550.0, 2_950.0)  # cell (170, 105): 15 km from A and from B
    deployments = cameras((*A, 200), (*B, 200), (*far, 200))
    named = risk_data.PointEvents.create([A[0]] * 8 + [B[0]] * 8, [A[1]] * 8 + [B[1]] * 8,
                                         [T0 + (2 * k + 0.5) * DAY for k in range(16)],
                                         label=["F1"] * 8 + ["M2"] * 8)  # fmt: skip
    fit = presence_of(deployments, named)
    assert fit.centres is not None and fit.centres.recorded == 2
    unnamed = presence_of(deployments, risk_data.PointEvents.create(named.x, named.y, named.t))
    assert unnamed.centres is None
    silent = GRID.cell_of(*far)
    assert fit.presence[silent] < unnamed.presence[silent]  # a silent station far from both animals' centres

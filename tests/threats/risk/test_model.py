"""The snare-risk model and its scoring: pure numpy, no database."""

import math
from datetime import UTC, datetime

import networkx as nx
import numpy as np
import pytest

from patrol.terrain import grid as terrain_grid
from patrol.terrain.graph import tobler_speed_kmh
from threats.interchange import demo
from threats.interchange.demo_inputs import demo_access_xy, risk_inputs_from_demo
from threats.risk import data as risk_data
from threats.risk import effort as risk_effort
from threats.risk import evaluation as risk_evaluation
from threats.risk import features as risk_features
from threats.risk import glm as risk_glm
from threats.risk import model as risk_model

DAY = 86_400.0
T0 = 1_700_000_000.0  # an arbitrary epoch second for hand-made inputs


def flat_features(grid: terrain_grid.Grid, **layers) -> risk_features.TerrainFeatures:
    """Terrain where nothing differs between cells unless a test sets a layer."""
    zeros = np.zeros(grid.shape)
    return risk_features.TerrainFeatures(
        grid=grid,
        elevation=layers.get("elevation", zeros + 2000.0),
        slope_deg=layers.get("slope_deg", zeros),
        valley_distance_m=layers.get("valley_distance_m", zeros),
        walking_hours=layers.get("walking_hours", zeros),
        reach_labels=np.zeros(grid.shape, dtype=np.int64),
        zone=layers.get("zone", np.zeros(grid.shape, dtype=np.int64)),
        inside=np.ones(grid.shape, dtype=bool),
        valleys=nx.DiGraph(),
    )


def straight_track(patrol_id, x0, x1, y, *, t0=T0, fixes=10, hours=1.0):
    xs = np.linspace(x0, x1, fixes)
    return risk_data.PatrolTrack(
        patrol_id, np.column_stack([xs, np.full(fixes, y)]), t0 + np.linspace(0, hours * 3600, fixes)
    )


# --- effort ---------------------------------------------------------------------------------

GRID_10 = terrain_grid.Grid.square(0.0, 500.0, 50.0, (10, 10))  # 10 x 10 cells of 50 m; row 5's centres are at y = 225


def effort_of(tracks, **kwargs):
    return risk_effort.patrol_effort(GRID_10, tracks, start=T0, end=T0 + DAY, half_life_days=math.inf, **kwargs)


def test_effort_of_one_pass_covers_the_detection_radius_exactly():
    effort = effort_of([straight_track(1, 25.0, 475.0, 225.0)])
    expected = np.zeros((10, 10))
    expected[3:8, :] = 1.0  # rows within 100 m of row 5's centres (cells of 50 m)
    assert np.array_equal(effort.visits, expected)
    # cell (5, 3): track length within 100 m of its centre = the track over columns 1..5 = 250 m
    assert effort.distance_km[5, 3] == pytest.approx(0.250, abs=1e-12)
    assert effort.hours[5, 3] == pytest.approx(250.0 / 450.0, abs=1e-12)  # the 450 m took one hour
    assert effort.distance_km[0, 3] == 0.0


def test_effort_counts_a_patrol_once_whatever_its_devices_and_passes():
    alone = effort_of([straight_track(1, 25.0, 475.0, 225.0)])
    # four rangers' phones on the same patrol, a few metres apart
    team = effort_of([straight_track(1, 25.0, 475.0, 225.0 + d) for d in (0.0, 2.0, 4.0, 6.0)])
    assert np.array_equal(team.visits, alone.visits)
    assert np.allclose(team.distance_km, alone.distance_km, atol=1e-12)
    # out and back on one patrol: one visit, twice the distance walked
    out = straight_track(1, 25.0, 475.0, 225.0)
    back = risk_data.PatrolTrack(1, np.vstack([out.xy, out.xy[::-1]]), T0 + np.linspace(0, 7200, 20))
    twice = effort_of([back])
    assert np.array_equal(twice.visits, alone.visits)
    assert twice.distance_km[5, 3] == pytest.approx(0.5, abs=1e-12)


def test_two_patrols_are_two_visits():
    effort = effort_of([straight_track(1, 25.0, 475.0, 225.0), straight_track(2, 25.0, 475.0, 225.0)])
    assert effort.visits[5, 5] == 2.0
    assert effort.visits[0, 5] == 0.0


def test_rests_between_fixes_do_not_count_as_patrol_time():
    # two fixes 100 m apart, 13 hours apart (camp for the night): distance counts, time does not
    camp = risk_data.PatrolTrack(1, np.array([[125.0, 225.0], [225.0, 225.0]]), np.array([T0, T0 + 13 * 3600]))
    effort = effort_of([camp])
    assert effort.distance_km[5, 3] == pytest.approx(0.1, abs=1e-12)
    assert effort.hours.sum() == 0.0


def test_recency_weights_visits_and_window_length():
    old = straight_track(1, 25.0, 475.0, 225.0, t0=T0)
    effort = risk_effort.patrol_effort(GRID_10, [old], start=T0, end=T0 + 30 * DAY, half_life_days=30.0)
    mid_age_days = 30.0 - 0.5 / 24.0  # the patrol's mean time is half an hour after T0
    assert effort.visits[5, 5] == pytest.approx(0.5 ** (mid_age_days / 30.0), rel=1e-12)
    assert effort.weighted_years == pytest.approx(30.0 / math.log(2) * 0.5 / 365.25, rel=1e-12)


def test_camera_trap_days_are_clipped_to_the_window():
    cams = risk_data.CameraDeployments.create(
        [125.0, 125.0], [225.0, 225.0], [T0 - 10 * DAY, T0 + 5 * DAY], [T0 + 3 * DAY, T0 + 40 * DAY]
    )
    days = risk_effort.camera_trap_days(GRID_10, cams, T0, T0 + 30 * DAY)
    assert days[5, 2] == pytest.approx(3.0 + 25.0, abs=1e-9)
    assert days.sum() == pytest.approx(28.0, abs=1e-9)


def test_detection_exposure_saturates_at_the_window_length():
    exposure = risk_effort.detection_exposure(np.array([0.0, 1.0, 1000.0]), 0.5, 0.2)
    assert exposure[0] == 0.0
    assert exposure[1] == pytest.approx(0.5 * (1 - math.exp(-0.4)), rel=1e-12)
    assert exposure[2] == pytest.approx(0.5, rel=1e-12)


def test_later_finds_of_the_same_snare_line_are_not_counted_again():
    finds = risk_data.PointEvents.create(
        [0.0, 30.0, 500.0, 10.0], [0.0, 0.0, 0.0, 0.0], [T0, T0 + 5 * DAY, T0 + 5 * DAY, T0 + 200 * DAY]
    )
    lines = risk_effort.merge_same_line_finds(finds, radius_m=60.0, within_days=90.0)
    # the 2nd is the rest of the 1st's line; the 3rd is elsewhere; the 4th is a new line months later
    assert lines.x.tolist() == [0.0, 500.0, 10.0]


# --- terrain --------------------------------------------------------------------------------


def test_walking_hours_follow_tobler_from_the_nearest_access_point():
    grid = terrain_grid.Grid.square(0.0, 50.0, 50.0, (1, 4))
    hours = risk_features.walking_hours_from(np.zeros((1, 4)), grid=grid, sources_xy=np.array([[25.0, 25.0]]))
    per_cell = 0.05 / float(tobler_speed_kmh(0.0))
    assert hours.ravel().tolist() == pytest.approx([0.0, per_cell, 2 * per_cell, 3 * per_cell], rel=1e-12)


def test_reach_labels_follow_the_flow_to_the_first_stream_cell():
    # cells 0 -> 1 -> 2 (stream of reach 7) -> 3 (stream of reach 8); cell 4 drains nowhere
    receiver = np.array([1, 2, 3, -1, -1])
    stream = np.array([0, 0, 7, 8, 0])
    assert risk_features.reach_catchment_labels(receiver, stream).tolist() == [7, 7, 7, 8, 0]


def test_window_clips_tracks_records_and_cameras():
    grid = GRID_10
    inputs = risk_data.RiskInputs(
        grid=grid,
        start=T0,
        end=T0 + 10 * DAY,
        snare_finds=risk_data.PointEvents.create([1.0, 2.0], [1.0, 2.0], [T0 + DAY, T0 + 6 * DAY]),
        tracks=[risk_data.PatrolTrack(1, np.zeros((4, 2)), T0 + np.array([1, 2, 6, 7]) * DAY)],
        cameras=risk_data.CameraDeployments.create([0.0], [0.0], [T0], [T0 + 10 * DAY]),
    )
    later = inputs.window(T0 + 5 * DAY, T0 + 10 * DAY)
    assert later.snare_finds.t.tolist() == [T0 + 6 * DAY]
    assert later.tracks[0].t.tolist() == [T0 + 6 * DAY, T0 + 7 * DAY]
    assert later.cameras.start.tolist() == [T0 + 5 * DAY]
    assert (later.start, later.end) == (T0 + 5 * DAY, T0 + 10 * DAY)


# --- the model on a hand-made reserve -------------------------------------------------------

GRID_40 = terrain_grid.Grid.square(0.0, 2000.0, 50.0, (40, 40))
SMALL_KERNEL = risk_data.RiskConfig(frailty_bandwidths_m=(100.0,), half_life_days=math.inf)


def row_y(row: int) -> float:
    return GRID_40.y0 - (row + 0.5) * GRID_40.cell_m


def patrolled_reserve(n_patrols=30, finds_at=((8, 3), (8, 6), (8, 9))):
    """Patrols walk row 8 from column 2 to 37 every few days; snares are found only at its west end."""
    tracks = [straight_track(p, 125.0, 1875.0, row_y(8), t0=T0 + p * 3 * DAY) for p in range(n_patrols)]
    xs = [GRID_40.x0 + (c + 0.5) * 50.0 for _, c in finds_at]
    ys = [row_y(r) for r, _ in finds_at]
    finds = risk_data.PointEvents.create(xs, ys, [T0 + 10 * DAY + i * 20 * DAY for i in range(len(xs))])
    return risk_data.RiskInputs(grid=GRID_40, start=T0, end=T0 + 100 * DAY, snare_finds=finds, tracks=tracks)


def test_patrolled_empty_cell_is_lower_than_a_similar_cell_with_finds_and_than_an_unvisited_one():
    result = risk_model.fit_risk(patrolled_reserve(), flat_features(GRID_40), SMALL_KERNEL)
    with_finds, patrolled_empty, never_visited = (
        result.intensity[8, 6],
        result.intensity[8, 30],
        result.intensity[30, 30],
    )
    assert result.effort.visits[8, 30] == 30.0 and result.effort.visits[30, 30] == 0.0
    assert patrolled_empty < never_visited < with_finds
    # the unvisited cell stays at the model's prior for its (identical) terrain
    assert result.log_frailty[30, 30] == pytest.approx(0.0, abs=1e-12)


def test_a_never_visited_cell_is_more_uncertain_than_a_heavily_patrolled_empty_one():
    result = risk_model.fit_risk(patrolled_reserve(), flat_features(GRID_40), SMALL_KERNEL)
    patrolled_empty, never_visited = (8, 30), (30, 30)
    assert result.intensity_sd[never_visited] > result.intensity_sd[patrolled_empty]
    width = result.intensity_high - result.intensity_low
    assert width[never_visited] > width[patrolled_empty]
    assert result.data_weight[never_visited] == pytest.approx(0.0, abs=1e-12)
    assert result.data_weight[patrolled_empty] > 0.0


def test_more_patrolling_without_finds_lowers_the_estimate():
    few = risk_model.fit_risk(patrolled_reserve(n_patrols=3), flat_features(GRID_40), SMALL_KERNEL)
    many = risk_model.fit_risk(patrolled_reserve(n_patrols=30), flat_features(GRID_40), SMALL_KERNEL)
    assert many.intensity[8, 30] / many.intensity[30, 30] < few.intensity[8, 30] / few.intensity[30, 30]


def sloped_features():
    rows, cols = np.indices(GRID_40.shape)
    return flat_features(
        GRID_40,
        walking_hours=cols / 10.0,
        valley_distance_m=np.abs(rows - 8) * 50.0,
        zone=(cols >= 20).astype(np.int64),
    )


def test_explanation_sums_to_the_cells_log_intensity():
    result = risk_model.fit_risk(patrolled_reserve(), sloped_features(), SMALL_KERNEL)
    for row, col in [(8, 6), (8, 30), (30, 30), (0, 0)]:
        why = result.explain(row, col)
        assert why.baseline + sum(c.value for c in why.contributions) == pytest.approx(
            math.log(result.intensity[row, col]), abs=1e-9
        )
        assert why.log_intensity == pytest.approx(math.log(result.intensity[row, col]), abs=1e-12)
        names = {c.name for c in why.contributions}
        assert {"walking time from access", "distance to valley network", "zone", "nearby finds vs effort"} <= names
    assert result.explain(8, 6).finds_in_cell == 1.0
    assert result.explain(8, 6).effort_visits == 30.0


def test_results_carry_time_range_and_model_version():
    inputs = patrolled_reserve()
    result = risk_model.fit_risk(inputs, flat_features(GRID_40), SMALL_KERNEL)
    assert (result.inputs_start, result.inputs_end) == (T0, T0 + 100 * DAY)
    assert result.model_version == risk_data.MODEL_VERSION
    assert result.model_version.startswith("irbis-risk-")


def test_glm_recovers_a_known_rate_with_exposure():
    # 1,000 cells with exposure 2 and rate exp(0.5 + 0.3 x): the MAP with a weak prior is the MLE
    rng = np.random.default_rng(0)
    x = rng.normal(size=1000)
    y = rng.poisson(2.0 * np.exp(0.5 + 0.3 * x))
    fit = risk_glm.fit_poisson_glm(
        np.column_stack([np.ones(1000), x]),
        y,
        np.full(1000, math.log(2.0)),
        names=["a", "b"],
        prior_mean=np.zeros(2),
        prior_sd=np.full(2, 1e6),
    )
    assert fit.coef == pytest.approx([0.5, 0.3], abs=0.05)
    mu = 2.0 * np.exp(fit.coef[0] + fit.coef[1] * x)
    assert np.column_stack([np.ones(1000), x]).T @ (y - mu) == pytest.approx([0.0, 0.0], abs=1e-6)  # score = 0


def test_glm_without_data_stays_at_its_prior():
    fit = risk_glm.fit_poisson_glm(
        np.zeros((0, 2)),
        np.zeros(0),
        np.zeros(0),
        names=["a", "b"],
        prior_mean=np.array([0.0, -1.0]),
        prior_sd=np.array([10.0, 0.5]),
    )
    assert fit.coef.tolist() == [0.0, -1.0]
    assert np.diag(fit.cov).tolist() == pytest.approx([100.0, 0.25], rel=1e-12)


# --- scoring --------------------------------------------------------------------------------


def test_auc_exact_values():
    assert risk_evaluation.auc(np.array([4.0, 3.0, 2.0, 1.0]), np.array([1, 0, 1, 0])) == 0.75
    assert risk_evaluation.auc(np.array([1.0, 1.0]), np.array([1, 0])) == 0.5  # a tie counts half
    assert risk_evaluation.auc(np.array([2.0, 1.0, 0.0]), np.array([1, 0, 0])) == 1.0
    assert (
        risk_evaluation.auc(np.array([4.0, 3.0, 2.0, 1.0]), np.array([1, 0, 1, 0]), mask=np.array([0, 1, 1, 1])) == 0.5
    )
    assert math.isnan(risk_evaluation.auc(np.array([1.0, 2.0]), np.array([0, 0])))


def test_pai_exact_values():
    scores = np.arange(10.0)[::-1]  # cell 0 ranks first
    counts = np.array([3.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0])
    assert risk_evaluation.pai(scores, counts, 0.10) == pytest.approx((3 / 6) / 0.10, rel=1e-12)
    assert risk_evaluation.pai(scores, counts, 0.20) == pytest.approx((3 / 6) / 0.20, rel=1e-12)
    assert risk_evaluation.pai(scores, counts, 0.30) == pytest.approx((4 / 6) / 0.30, rel=1e-12)
    assert risk_evaluation.pai(scores, counts, 1.0) == pytest.approx(1.0, rel=1e-12)
    # the truth scored against itself is the best possible
    truth = np.array([[5.0, 1.0], [0.0, 4.0]])
    assert risk_evaluation.pai_against_truth(truth, truth, 0.25) == pytest.approx((5 / 10) / 0.25, rel=1e-12)


def test_catch_per_effort_lift_exact_value():
    scores = np.array([3.0, 2.0, 1.0, 0.0])
    finds = np.array([2.0, 0.0, 1.0, 5.0])
    effort = np.array([1.0, 1.0, 2.0, 0.0])  # the last cell was not patrolled: ignored
    # top third of the 3 patrolled cells = cell 0: 2 finds / 1 km vs 3 finds / 4 km overall
    assert risk_evaluation.catch_per_effort_lift(scores, finds, effort, 1 / 3) == pytest.approx(
        (2 / 1) / (3 / 4), rel=1e-12
    )


def test_kde_baseline_peaks_at_the_finds():
    finds = risk_data.PointEvents.create([1025.0], [975.0], [T0])  # the centre of cell (20, 20)
    layer = risk_evaluation.kde_baseline(GRID_40, finds, bandwidth_m=100.0)
    assert np.unravel_index(np.argmax(layer), layer.shape) == (20, 20)
    assert layer.sum() == pytest.approx(1.0, abs=1e-6)  # a density of one find


def test_valley_ranking_order_and_trend():
    labels = np.array([[1, 1, 2], [2, 3, 0]])
    now = np.array([[1.0, 1.0, 4.0], [1.0, 0.5, 100.0]])  # reach 2 = 5, reach 1 = 2, reach 3 = 0.5; 0 is no reach
    before = np.array([[2.0, 2.0, 1.0], [1.0, 0.5, 0.0]])  # reach 1 = 4, reach 2 = 2, reach 3 = 0.5
    ranked = risk_evaluation.rank_valleys(labels, now, before, top_n=3, names={2: "Shavla"})
    assert [(v.rank, v.reach_id, v.name) for v in ranked] == [(1, 2, "Shavla"), (2, 1, "V001"), (3, 3, "V003")]
    assert [v.risk for v in ranked] == [5.0, 2.0, 0.5]
    assert [v.previous_rank for v in ranked] == [2, 1, 3]
    assert [v.trend for v in ranked] == ["up", "down", "steady"]
    assert ranked[0].change == 3.0 and ranked[0].change_ratio == pytest.approx(1.5)
    assert len(risk_evaluation.rank_valleys(labels, now, before, top_n=1)) == 1
    assert [v.change_percent for v in ranked] == [150.0, -50.0, None]  # 0.5 lines/yr is too little for a %


@pytest.mark.parametrize(
    ("now", "before", "change", "percent", "trend"),
    [
        (0.54, 0.000002, 0.539998, None, "new"),  # the "+27169122 %" of the issue
        (0.05, 0.0, 0.05, None, "steady"),  # practically nothing then and now
        (3.7, 0.5, 3.2, None, "up"),  # a percentage of half a line a year says nothing
        (6.0, 4.0, 2.0, 50.0, "up"),
        (3.0, 4.0, -1.0, -25.0, "down"),
        (4.3, 4.0, 0.3, 7.5, "steady"),  # within 10 %
        (0.58, 0.5, 0.08, None, "steady"),  # less than one line in ten years
        (0.0, 0.5, -0.5, None, "down"),
        (1.0, 1.0, 0.0, 0.0, "steady"),
    ],
)
def test_valley_change_says_new_absolute_change_and_a_percentage_only_when_meaningful(
    now, before, change, percent, trend
):
    moved = risk_evaluation.valley_change(now, before)
    assert moved.change == pytest.approx(change, abs=1e-12)
    assert moved.change_percent == (None if percent is None else pytest.approx(percent, abs=1e-9))
    assert moved.trend == trend


# --- the demo goal --------------------------------------------------------------------------


def test_demo_seed_1_snares_layer_reaches_90_percent_of_the_truths_pai_and_beats_the_baseline():
    reserve = demo.generate(seed=1, end=datetime(2025, 1, 1, tzinfo=UTC))
    inputs = risk_inputs_from_demo(reserve)
    features = risk_features.build_terrain_features(
        reserve.elevation, grid=inputs.grid, access_xy=demo_access_xy(reserve)
    )
    result = risk_model.fit_risk(inputs, features)
    truth = reserve.truth_intensity.astype(np.float64)
    best = risk_evaluation.pai_against_truth(truth, truth, 0.10)
    ours = risk_evaluation.pai_against_truth(np.nan_to_num(result.intensity), truth, 0.10)
    naive = max(
        risk_evaluation.pai_against_truth(
            risk_evaluation.kde_baseline(inputs.grid, inputs.snare_finds, bandwidth_m=bw), truth
        )
        for bw in (500.0, 1000.0, 2000.0)
    )
    assert ours >= 0.90 * best
    assert ours >= naive + 0.05 * best
    # the top valley by leopard risk has a name and a positive summed risk
    top = risk_evaluation.rank_valleys(features.reach_labels, result.leopard_risk, result.leopard_risk, top_n=1)[0]
    assert top.risk > 0 and top.trend == "steady"

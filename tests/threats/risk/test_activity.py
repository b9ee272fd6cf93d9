"""Spatial capture-recapture of identified leopards (threats.risk.activity): pure numpy."""

import math

import numpy as np
import pytest

from threats.risk import activity

SHAPE, CELL_M = (200, 200), 100.0  # 20 x 20 km
INSIDE = np.ones(SHAPE, bool)
FLAT = np.zeros(SHAPE)
# 16 stations 2.5 km apart over the western half; the eastern 8 km see nothing
STATIONS = np.array([r * SHAPE[1] + c for r in (25, 75, 125, 175) for c in (15, 40, 65, 90)])
DAYS = np.full(len(STATIONS), 200.0)


def expected_counts(centre_rc, sigma_m, lambda0=0.05):
    """The events a station records of one animal, rounded: the SCR model's own expectation."""
    r, c = np.divmod(STATIONS, SHAPE[1])
    d2 = ((r - centre_rc[0]) ** 2 + (c - centre_rc[1]) ** 2) * CELL_M**2
    return np.round(DAYS * lambda0 * np.exp(-d2 / (2 * sigma_m**2)))


def fit(counts, **kw):
    return activity.fit_activity_centres(shape=SHAPE, cell_m=CELL_M, inside=INSIDE, log_use=kw.pop("log_use", FLAT),
                                         station_cells=STATIONS, trap_days=DAYS, counts=counts, **kw)  # fmt: skip


def test_an_animal_recorded_at_several_stations_is_placed_between_them_with_its_range():
    counts = np.array([expected_counts((60, 50), 2000.0)])
    centres = fit(counts)
    assert (centres.sigma_m, centres.recorded) == (2000.0, 1)
    assert centres.lambda0 == pytest.approx(0.05, rel=0.15)
    peak = np.unravel_index(int(np.argmax(centres.factor)), SHAPE)
    assert math.dist(peak, (60, 50)) * CELL_M <= 1000.0
    assert centres.factor[60, 50] > 3.0


def test_stations_that_never_recorded_the_animal_rule_its_range_out_far_from_it_is_unknown():
    centres = fit(np.array([expected_counts((60, 50), 2000.0)]))
    silent = divmod(int(STATIONS[-1]), SHAPE[1])  # (175, 90): 12 km from the animal, 200 days, no record
    assert centres.factor[silent] < 0.2
    # 10 km east of the last station column: nothing was watched, so the prior stands (the unrecorded animals)
    assert centres.factor[100, 195] == pytest.approx(1.0, abs=0.02)
    assert centres.unrecorded > 0
    assert centres.log_factor_var[100, 195] > centres.log_factor_var[60, 50]


def test_two_animals_make_two_home_ranges():
    counts = np.array([expected_counts((40, 30), 2000.0), expected_counts((150, 80), 2000.0)])
    centres = fit(counts)
    assert centres.recorded == 2
    assert centres.factor[40, 30] > 2.0 and centres.factor[150, 80] > 2.0
    assert centres.factor[95, 55] < min(centres.factor[40, 30], centres.factor[150, 80]) / 3


def test_no_identified_record_no_centres():
    assert fit(np.zeros((2, len(STATIONS)))) is None
    assert activity.fit_activity_centres(shape=SHAPE, cell_m=CELL_M, inside=INSIDE, log_use=FLAT,
                                         station_cells=np.zeros(0, dtype=np.int64), trap_days=np.zeros(0),
                                         counts=np.zeros((1, 0))) is None  # fmt: skip

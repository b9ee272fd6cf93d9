"""Valley names for reaches from named lines and points (pure: no database)."""

import numpy as np
import shapely

from patrol.terrain.naming import name_reaches

# three reaches in metres: a long east-west floor, a short side reach, and one far away
REACHES = [
    (1, np.array([[0.0, 0.0], [1000.0, 0.0], [2000.0, 0.0]])),
    (2, np.array([[1000.0, 0.0], [1000.0, 1500.0]])),
    (3, np.array([[9000.0, 9000.0], [9500.0, 9000.0]])),
]


def test_a_line_along_a_reach_names_it_and_only_it():
    along = shapely.LineString([(-50, 120), (2100, 150)])  # drawn 120-150 m off the floor
    assert name_reaches(REACHES, [("Argut", along)]) == {1: "Argut"}


def test_a_line_along_less_than_half_of_a_reach_does_not_name_it():
    short = shapely.LineString([(0, 0), (600, 0)])
    assert name_reaches(REACHES, [("Stub", short)]) == {}
    assert name_reaches(REACHES, [("Stub", short)], line_share=0.3) == {1: "Stub"}


def test_the_line_that_runs_along_more_of_a_reach_wins():
    names = name_reaches(REACHES, [("Short", shapely.LineString([(0, 0), (1100, 0)])),
                                   ("Long", shapely.LineString([(0, 10), (2000, 10)]))])  # fmt: skip
    assert names == {1: "Long"}


def test_a_point_names_the_nearest_reach_within_a_kilometre_unless_a_line_named_it():
    named = [("Kara-Su", shapely.Point(1100, 900)), ("Nowhere", shapely.Point(5000, 5000)),
             ("Argut", shapely.LineString([(0, 0), (2000, 0)])), ("Late", shapely.Point(100, 10))]  # fmt: skip
    assert name_reaches(REACHES, named) == {1: "Argut", 2: "Kara-Su"}


def test_blank_names_and_empty_geometries_name_nothing():
    assert name_reaches(REACHES, [("  ", shapely.Point(1000, 900)), ("X", shapely.LineString())]) == {}
    assert name_reaches([], [("X", shapely.Point(0, 0))]) == {}

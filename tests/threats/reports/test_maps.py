"""The report's finds map puts every find where the records' privacy annotation shows it.

maps.py computes the display cell with one join on the sensitive (cell, day) pairs (fast on 100,000 finds);
here the same finds go through threats.records.selectors.generalised() row by row, and both must agree.
"""

from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, ReserveFactory, TeamFactory
from tests.threats.factories import CameraDeploymentFactory, DetectionFactory, SnareFindFactory, species
from threats.records.selectors import snare_finds_for_user
from threats.reports.build import Scope
from threats.reports.maps import FIND_CELL_DEGREES, finds_geojson
from threats.reports.periods import month_period

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def _reference(user, reserve) -> Counter:
    """Cells as the API would show the finds: display_location snapped to the map's cell."""
    cells: Counter = Counter()
    for find in snare_finds_for_user(user=user).filter(reserve=reserve):
        point = find.display_location
        key = (round(round(point.x / FIND_CELL_DEGREES) * FIND_CELL_DEGREES, 5),
               round(round(point.y / FIND_CELL_DEGREES) * FIND_CELL_DEGREES, 5))  # fmt: skip
        cells[key + ("snares",)] += find.count
        cells[key + ("finds",)] += 1
    return cells


def _mapped(user, reserve, scope=None) -> Counter:
    cells: Counter = Counter()
    data = finds_geojson(user=user, reserve=reserve, period=month_period(date(2026, 3, 1)), scope=scope or Scope())
    for feature in data["features"]:
        x, y = feature["geometry"]["coordinates"]
        cells[(x, y, "snares")] += feature["properties"]["snares"]
        cells[(x, y, "finds")] += feature["properties"]["finds"]
    return cells


@pytest.mark.parametrize("grid", [0.1, 0.2])
def test_finds_map_agrees_with_the_privacy_annotation(grid):
    reserve = ReserveFactory(sensitive_grid_degrees=grid, timezone="UTC")
    leopard = species("Panthera uncia")
    # sensitive by itself: a snow leopard in the snare
    SnareFindFactory(reserve=reserve, found_at=at(5), location=Point(87.4312, 50.1187), count=1,
                     catch_species=leopard, catch_condition="dead")  # fmt: skip
    # its companion: same coarse cell, same day -> generalised too; the same place a day later -> exact
    SnareFindFactory(reserve=reserve, found_at=at(5, 16), location=Point(87.4456, 50.1433), count=2)
    SnareFindFactory(reserve=reserve, found_at=at(6), location=Point(87.4456, 50.1433), count=3)
    # a camera detection (sensitive) makes a find beside it that day generalised
    camera = CameraDeploymentFactory(reserve=reserve, location=Point(87.5512, 50.2311))
    DetectionFactory(reserve=reserve, deployment=camera, observed_at=at(9, 3), location=Point(87.5512, 50.2311))
    SnareFindFactory(reserve=reserve, found_at=at(9, 20), location=Point(87.5533, 50.2377), count=4)
    SnareFindFactory(reserve=reserve, found_at=at(12), location=Point(87.3333, 49.9555), count=5)  # plain
    analyst = member(reserve, role=Role.ANALYST)
    cleared = member(reserve, role=Role.MANAGER, clearance=True)
    assert _mapped(analyst, reserve) == _reference(analyst, reserve)
    assert _mapped(cleared, reserve) == _reference(cleared, reserve)
    hidden = {(x, y) for x, y, _ in _mapped(analyst, reserve)}
    assert (87.33, 49.96) in hidden and (87.45, 50.14) in hidden  # exact ones stay at their small cell
    assert len(hidden) == 4 if grid == 0.1 else len(hidden) <= 4


def test_finds_map_follows_the_team_scope():
    reserve = ReserveFactory(timezone="UTC")
    north, south = TeamFactory(reserve=reserve), TeamFactory(reserve=reserve)
    patrol = PatrolFactory(reserve=reserve, team=north)
    SnareFindFactory(reserve=reserve, patrol=patrol, found_at=at(5), location=Point(87.31, 50.01), count=2)
    SnareFindFactory(reserve=reserve, found_at=at(5), location=Point(87.51, 50.21), count=7)
    manager = member(reserve)
    assert _mapped(manager, reserve, Scope("team", str(north.pk))) == {(87.31, 50.01, "snares"): 2,
                                                                       (87.31, 50.01, "finds"): 1}  # fmt: skip
    assert _mapped(manager, reserve, Scope("team", str(south.pk))) == {}

"""Planned against actual on a hand-made plan and track, and coverage gaps, on a small synthetic terrain.

The grid: 30 m cells, origin (400000, 3800000) in UTM 11N; cell (row, col) has its centre at
x = 400000 + 30 (col + 0.5), y = 3800000 - 30 (row + 0.5). Row 30 runs along y = 3799085.
"""

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import shapely
from django.contrib.gis.geos import MultiLineString, Point
from django.test import Client
from django.utils import timezone

from patrol.patrols.coverage import coverage_gaps
from patrol.patrols.footprint import cells_near, high_risk_mask, share_followed, visit_counts
from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from patrol.terrain.grid import Grid
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, ReserveFactory, TeamFactory
from tests.patrol.patrols.helpers import terrain_reserve, utm_line, utm_to_lonlat
from tests.threats.factories import DetectionFactory, IncidentFactory, SnareFindFactory, species

pytestmark = pytest.mark.django_db

HOTSPOTS = {(30, 12): 1.0, (30, 20): 2.0, (30, 35): 3.0, (30, 40): 4.0, (10, 5): 5.0}


def handmade_risk(terrain):
    """Five hotspots, and 45 cells of faint risk in the far corner: the top 10 % are the hotspots."""
    risk = np.zeros((terrain.height, terrain.width))
    risk[55:, 55:64] = 0.001
    for (row, col), value in HOTSPOTS.items():
        risk[row, col] = value
    return risk, "hand-made"


@pytest.fixture
def grid_reserve(tmp_path, settings):
    settings.IRBIS_RISK_SURFACE = f"{__name__}.handmade_risk"
    return terrain_reserve(tmp_path, slug="grid")


@pytest.fixture
def team(grid_reserve):
    return TeamFactory(reserve=grid_reserve, name="Grid team", members=[member(grid_reserve, Role.RANGER)])


PLAN = ((400_315, 3_799_085), (401_305, 3_799_085))  # the centres of cells (30, 10) to (30, 43): 990 m
# Along the plan to (30, 26)'s centre, 400 m north, then east: 480 + 400 + 510 = 1,390 m
TRACK = ((400_315, 3_799_085), (400_795, 3_799_085), (400_795, 3_799_485), (401_305, 3_799_485))


@pytest.fixture
def done(grid_reserve, team):
    patrol = PatrolFactory(
        reserve=grid_reserve, team=team, status=Patrol.Status.COMPLETED,
        planned_start=datetime(2026, 1, 10, 2, 0, tzinfo=UTC), planned_end=datetime(2026, 1, 10, 10, 0, tzinfo=UTC),
        actual_start=datetime(2026, 1, 10, 2, 10, tzinfo=UTC), actual_end=datetime(2026, 1, 10, 9, 50, tzinfo=UTC),
        planned_route=utm_line(*PLAN), track=MultiLineString(utm_line(*TRACK), srid=4326),
    )  # fmt: skip
    at = Point(*utm_to_lonlat((400_500, 3_799_085))[0], srid=4326)
    SnareFindFactory(reserve=grid_reserve, patrol=patrol, count=3, location=at)
    SnareFindFactory(reserve=grid_reserve, patrol=patrol, count=1, location=at)
    SnareFindFactory(reserve=grid_reserve, count=7, location=at)  # another patrol's: not counted
    IncidentFactory(reserve=grid_reserve, patrol=patrol, location=at)
    DetectionFactory(reserve=grid_reserve, patrol=patrol, location=at, species=species("Capra sibirica"),
                     method="track", individual_id="", observed_at=timezone.now() - timedelta(days=9))  # fmt: skip
    DetectionFactory(reserve=grid_reserve, patrol=patrol, location=at, method="track", individual_id="")  # a leopard
    return patrol


EXPECTED = {
    "status": "completed", "planned_km": 0.99, "actual_km": 1.39, "planned_hours": 8.0, "actual_hours": 7.667,
    # within 100 m of the track: the 480 m walked along it, and 100 m more beside the northward leg
    "route_followed_share": round(580 / 990, 4), "follow_buffer_m": 100.0,
    "high_risk_cells_planned": 4, "high_risk_cells_covered": 2, "high_risk_covered_share": 0.5,
    "detection_radius_m": 100.0,
}  # fmt: skip


def test_the_comparison_of_a_handmade_plan_and_track(api, done, grid_reserve):
    api.force_authenticate(member(grid_reserve, Role.MANAGER, clearance=True))
    response = api.get(f"/api/v1/patrols/{done.pk}/comparison/")
    assert response.status_code == 200, response.json()
    assert response.json() == {**EXPECTED, "finds": {"snare_finds": 2, "snares": 4, "incidents": 1, "detections": 2}}


def test_finds_generalised_for_the_reader_do_not_count(api, done, grid_reserve):
    """Without clearance the leopard's detection has no patrol: it does not count for this patrol either."""
    api.force_authenticate(member(grid_reserve, Role.ANALYST))
    body = api.get(f"/api/v1/patrols/{done.pk}/comparison/").json()
    assert body["finds"] == {"snare_finds": 2, "snares": 4, "incidents": 1, "detections": 1}


def test_the_comparison_stays_inside_the_reserve_and_the_team(api, done, grid_reserve):
    other = ReserveFactory(slug="other")
    api.force_authenticate(member(other, Role.MANAGER, clearance=True))
    assert api.get(f"/api/v1/patrols/{done.pk}/comparison/").status_code == 404
    api.force_authenticate(member(grid_reserve, Role.RANGER))  # a ranger of no team of this patrol
    assert api.get(f"/api/v1/patrols/{done.pk}/comparison/").status_code == 404
    api.force_authenticate(done.team.members.get())
    assert api.get(f"/api/v1/patrols/{done.pk}/comparison/").status_code == 200


def test_a_patrol_without_plan_or_track_has_empty_figures(api, grid_reserve, team):
    planned = PatrolFactory(reserve=grid_reserve, team=team, status=Patrol.Status.PLANNED, track=None,
                            planned_route=utm_line(*PLAN))  # fmt: skip
    api.force_authenticate(member(grid_reserve, Role.MANAGER))
    body = api.get(f"/api/v1/patrols/{planned.pk}/comparison/").json()
    assert (body["route_followed_share"], body["actual_km"], body["high_risk_cells_planned"]) == (None, None, 4)
    assert (body["high_risk_cells_covered"], body["high_risk_covered_share"]) == (0, 0.0)


def test_the_patrol_page_shows_the_comparison(done, grid_reserve):
    client = Client()
    client.force_login(member(grid_reserve, Role.MANAGER))
    page = client.get(f"/patrols/{done.pk}/").content.decode()
    assert '<td colspan="2" data-testid="high-risk">2 / 4</td>' in page
    assert '<td colspan="2" data-testid="followed">59 %</td>' in page
    assert '"hillshade": {"url": "/risk/grid/hillshade.png"' in page
    client.force_login(done.team.members.get())  # the team's ranger: the figures, no risk-map basemap
    page = client.get(f"/patrols/{done.pk}/").content.decode()
    assert '<td colspan="2" data-testid="high-risk">2 / 4</td>' in page and "hillshade.png" not in page
    client.force_login(member(ReserveFactory(slug="elsewhere"), Role.MANAGER))
    assert client.get(f"/patrols/{done.pk}/").status_code == 404


# --- coverage gaps ------------------------------------------------------------------------------------


def _walk(reserve, team, xy, days_ago, status=Patrol.Status.COMPLETED):
    start = timezone.now() - timedelta(days=days_ago)
    track = MultiLineString(utm_line(*xy), srid=4326)
    return PatrolFactory(reserve=reserve, team=team, status=status, actual_start=start,
                         actual_end=start + timedelta(hours=6), track=track)  # fmt: skip


@pytest.fixture
def walked(grid_reserve, team):
    _walk(grid_reserve, team, TRACK, days_ago=10)  # covers hotspots (30, 12) and (30, 20)
    _walk(grid_reserve, team, ((401_000, 3_799_085), (401_100, 3_799_085)), days_ago=70)  # (30, 35): 10 weeks ago
    _walk(grid_reserve, team, ((400_100, 3_799_685), (400_200, 3_799_685)), days_ago=3,
          status=Patrol.Status.CANCELLED)  # over (10, 5), but cancelled: never counts  # fmt: skip
    return grid_reserve


@pytest.mark.parametrize(("weeks", "gaps"), [(4, [(10, 5), (30, 40), (30, 35)]), (12, [(10, 5), (30, 40)])])
def test_coverage_gaps_are_high_risk_cells_not_patrolled_for_n_weeks(walked, weeks, gaps):
    result = coverage_gaps(reserve=walked, weeks=weeks)
    assert [tuple(c) for c in result.cells.tolist()] == gaps  # highest risk first
    assert int(result.high_risk.sum()) == 5
    assert result.mask.shape == (60, 70)


def test_the_coverage_page_for_managers_and_analysts(walked):
    client = Client()
    for role in (Role.MANAGER, Role.ANALYST):
        client.force_login(member(walked, role))
        response = client.get("/patrols/coverage/", {"weeks": 4})
        assert response.status_code == 200
        page = response.content.decode()
        assert '<span class="value" data-testid="patrols">2</span>' in page  # the last 90 days: 2 of 3 tracks
        assert '<span class="value" data-testid="gaps">3</span>' in page
        assert '<span class="value" data-testid="high-risk-patrolled">3 / 5</span>' in page
        assert 'id="coverage-data"' in page and "data:image/png;base64," in page
        assert len(re.findall(r'<a href="/patrols/\d+/">', page)) == 2  # each patrol of the period links to its page


def test_the_coverage_page_is_not_for_rangers_and_refuses_bad_periods(walked):
    client = Client()
    client.force_login(member(walked, Role.RANGER))
    assert client.get("/patrols/coverage/").status_code == 403
    client.force_login(member(walked, Role.MANAGER))
    response = client.get("/patrols/coverage/", {"start": "2026-02-01", "end": "2026-01-01", "weeks": 0})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The end of the period must not be before its start." in page
    assert "Ensure this value is greater than or equal to 1." in page


def test_the_coverage_page_shows_only_the_current_reserve(walked):
    other = ReserveFactory(slug="other")  # no terrain there
    client = Client()
    client.force_login(member(other, Role.MANAGER))
    page = client.get("/patrols/coverage/").content.decode()
    assert "This reserve has no terrain yet" in page
    assert 'data-testid="patrols"' not in page


# --- the pure footprint rules -------------------------------------------------------------------------

GRID = Grid.square(0.0, 300.0, 30.0, (10, 10))  # centres at 15, 45, ..., 285


def test_cells_near_takes_the_cells_whose_centre_is_within_the_radius():
    line = shapely.LineString([(15, 165), (285, 165)])  # along row 4's centres
    rows = sorted({int(i // 10) for i in cells_near(GRID, line, 40.0)})
    assert rows == [3, 4, 5]  # centres 30 m away are in, 60 m away are out
    assert cells_near(GRID, line, 40.0).size == 30
    assert cells_near(GRID, shapely.Point(15, 285), 29.0).tolist() == [0]
    assert cells_near(GRID, shapely.Point(15, 285), 31.0).tolist() == [0, 1, 10]


def test_share_followed_and_visits():
    plan = shapely.LineString([(0, 0), (1000, 0)])
    # 50 m beside the plan for 400 m: the buffer reaches sqrt(100² - 50²) = 86.6 m past the track's end
    # (the buffer's round cap is a polygon of 16 segments per quarter circle: within 0.2 m)
    assert share_followed(plan, shapely.LineString([(0, 50), (400, 50)]), 100.0) == pytest.approx(0.4866, abs=2e-4)
    assert share_followed(plan, None) == 0.0
    twice = [shapely.Point(15, 285), shapely.Point(15, 285), shapely.Point(285, 15)]
    counts = visit_counts(GRID, twice, 10.0)
    assert (counts[0, 0], counts[9, 9], counts.sum()) == (2, 1, 3)


def test_high_risk_is_the_top_tenth_of_the_cells_with_risk():
    risk = np.array([0, 0, *range(1, 11)], dtype=float)
    assert high_risk_mask(risk).tolist() == [False] * 11 + [True]
    assert not high_risk_mask(np.zeros(4)).any()


def test_cells_near_equals_the_exact_test_on_every_cell():
    """The fast footprint against shapely.dwithin on every cell centre, for random walks on a 50 m grid."""
    grid = Grid.square(0.0, 6000.0, 50.0, (120, 120))
    cx, cy = grid.centres()
    rng = np.random.default_rng(7)
    for _ in range(5):
        walk = shapely.LineString(rng.uniform(1000, 5000, 2) + rng.normal(0, 1, (60, 2)).cumsum(axis=0) * 60)
        exact = np.flatnonzero(shapely.dwithin(walk, shapely.points(cx.ravel(), cy.ravel()), 100.0))
        assert cells_near(grid, walk, 100.0).tolist() == exact.tolist()

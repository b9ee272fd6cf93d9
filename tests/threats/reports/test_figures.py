"""Every report figure against a hand-counted fixture (docs/reports.md has the rules).

The reserve's clock is Asia/Barnaul (UTC+7); the report is March 2026, beside February.
Hand count of March:
- patrols: PA1 (team A, 2 Mar 08:00 - 3 Mar 16:00, 20 km) and PB1 (team B, 10 Mar 09:00-17:00, 10 km) = 2;
  the crossing patrol X (team A, 26 Feb 12:00 - 2 Mar 12:00, 96 h, 40 km) counts in February where it started;
  in March it adds 36 of its 96 hours, 15 km (40 x 36/96) and 2 patrol-days (1 and 2 March).
- patrol-days 2 + 1 + 2 = 5; hours 32 + 8 + 36 = 76; distance 20 + 10 + 15 = 45 km (team A has three members,
  counted once per patrol). A cancelled patrol and one that never started carry no effort.
- snares 3 + 1 + 2 + 1 = 7 in 4 finds; removed or destroyed 3 + 1 + 1 = 5; CPUE 7 / 45 x 100 = 15.56 per 100 km,
  7 / 5 = 1.4 per patrol-day.
February: X (1 patrol, 3 patrol-days, 60 h, 25 km) and one find of 4 snares: CPUE 16.0 and 1.33.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import LineString, MultiLineString, Point, Polygon

from patrol.patrols.models import Patrol
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, PostFactory, ReserveFactory, TeamFactory, ZoneFactory
from tests.threats.enforcement.factories import CaseFactory, EnforcementActionFactory
from tests.threats.factories import (
    CameraDeploymentFactory,
    DetectionFactory,
    IncidentFactory,
    SnareFindFactory,
    species,
)
from threats.enforcement.models import Case, EnforcementAction
from threats.records.models import Detection, Incident
from threats.reports.build import ReportInputError, Scope, report_build
from threats.reports.periods import Period, month_period

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Barnaul")
MARCH = month_period(date(2026, 3, 1))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def world():
    reserve = ReserveFactory(slug="figures", timezone="Asia/Barnaul")
    post = PostFactory(reserve=reserve, name="Argut post")
    team_a = TeamFactory(reserve=reserve, name="Team A", home_post=post,
                         members=[member(reserve), member(reserve), member(reserve)])  # fmt: skip
    team_b = TeamFactory(reserve=reserve, name="Team B")

    def patrol(team, start, end, km, **kw):
        return PatrolFactory(reserve=reserve, team=team, actual_start=start, actual_end=end, track_length_km=km, **kw)

    pa1 = patrol(team_a, local(2026, 3, 2, 8), local(2026, 3, 3, 16), 20.0)
    pb1 = patrol(team_b, local(2026, 3, 10, 9), local(2026, 3, 10, 17), 10.0)
    crossing = patrol(team_a, local(2026, 2, 26, 12), local(2026, 3, 2, 12), 40.0)
    patrol(team_b, local(2026, 3, 12, 9), local(2026, 3, 12, 17), 12.0, status=Patrol.Status.CANCELLED)
    PatrolFactory(reserve=reserve, team=team_b, status=Patrol.Status.PLANNED)  # never started

    def find(when, count, material, placement, state, action, patrol=None, **kw):
        return SnareFindFactory(reserve=reserve, patrol=patrol, found_at=when, count=count, material=material,
                                placement=placement, state=state, action=action, **kw)  # fmt: skip

    musk, ibex = species("Moschus moschiferus"), species("Capra sibirica")
    find(local(2026, 3, 2, 10), 3, "wire", "neck", "set", "removed", pa1)
    find(local(2026, 3, 3, 9), 1, "cable", "foot", "sprung", "destroyed", pa1, catch_species=musk,
         catch_condition="dead")  # fmt: skip
    find(local(2026, 3, 10, 12), 2, "wire", "unknown", "old", "left_for_ambush", pb1)
    find(local(2026, 3, 31, 23, 30), 1, "nylon", "neck", "set", "removed", None, catch_species=ibex,
         catch_condition="alive")  # fmt: skip
    find(local(2026, 2, 28, 10), 4, "wire", "neck", "set", "removed", crossing)
    find(local(2026, 4, 1, 0, 30), 9, "wire", "neck", "set", "removed")  # April: in no March figure

    IncidentFactory(reserve=reserve, patrol=pa1, kind=Incident.Kind.POACHER_CAMP, occurred_at=local(2026, 3, 2, 11))
    IncidentFactory(reserve=reserve, kind=Incident.Kind.GUNSHOT, occurred_at=local(2026, 3, 20, 5))
    IncidentFactory(reserve=reserve, kind=Incident.Kind.CARCASS, occurred_at=local(2026, 2, 5, 5))

    camera = CameraDeploymentFactory(reserve=reserve, start=local(2026, 2, 21), end=local(2026, 3, 11))
    DetectionFactory(reserve=reserve, observed_at=local(2026, 3, 4, 2), count=1, deployment=camera)
    DetectionFactory(reserve=reserve, observed_at=local(2026, 3, 6, 2), count=2, deployment=camera)
    DetectionFactory(reserve=reserve, observed_at=local(2026, 3, 7, 2), species=None, deployment=camera,
                     observation_type=Detection.ObservationType.HUMAN, individual_id="")  # fmt: skip

    EnforcementActionFactory(reserve=reserve, kind=EnforcementAction.Kind.ARREST, team=team_a,
                             taken_at=local(2026, 3, 2, 12))  # fmt: skip
    EnforcementActionFactory(reserve=reserve, kind=EnforcementAction.Kind.PROTOCOL_FINE, patrol=pb1,
                             taken_at=local(2026, 3, 10, 13), fine_amount=Decimal("3000"),
                             fine_currency="RUB")  # fmt: skip
    EnforcementActionFactory(reserve=reserve, kind=EnforcementAction.Kind.WARNING, taken_at=local(2026, 2, 3, 12))
    CaseFactory(reserve=reserve, opened_on=date(2026, 3, 5), closed_on=date(2026, 3, 25), status=Case.Status.CLOSED,
                verdict=Case.Verdict.CONVICTED, verdict_on=date(2026, 3, 20), fine_amount=Decimal("50000"),
                fine_currency="RUB", prison_months=6, conditional=True)  # fmt: skip
    CaseFactory(reserve=reserve, opened_on=date(2026, 2, 10))
    CaseFactory(reserve=reserve, opened_on=date(2026, 1, 5), closed_on=date(2026, 3, 15), status=Case.Status.CLOSED,
                verdict=Case.Verdict.ACQUITTED)  # fmt: skip
    return {"reserve": reserve, "team_a": team_a, "team_b": team_b, "post": post}


def test_reserve_month_beside_the_previous(world):
    report = report_build(reserve=world["reserve"], period=MARCH)
    t, p = report["totals"], report["previous"]
    assert report["period"] == {"kind": "month", "first": "2026-03-01", "last": "2026-03-31", "label": "2026-03"}
    assert report["previous_period"]["label"] == "2026-02"
    assert (t["patrols"], t["patrol_days"], t["hours"], t["distance_km"]) == (2, 5.0, 76.0, 45.0)
    assert (p["patrols"], p["patrol_days"], p["hours"], p["distance_km"]) == (1, 3.0, 60.0, 25.0)
    assert (t["snare_finds"], t["snares"], t["snares_removed"]) == (4, 7, 5)
    assert t["snares_by_material"] == {"cable": 1, "nylon": 1, "wire": 5}
    assert t["snares_by_placement"] == {"foot": 1, "neck": 4, "unknown": 2}
    assert t["snares_by_state"] == {"old": 2, "set": 4, "sprung": 1}
    assert (t["cpue_per_100km"], t["cpue_per_patrol_day"]) == (15.56, 1.4)
    assert (p["cpue_per_100km"], p["cpue_per_patrol_day"]) == (16.0, 1.33)
    assert t["animals_in_snares"] == [
        {"species": "Capra sibirica", "condition": "alive", "count": 1},
        {"species": "Moschus moschiferus", "condition": "dead", "count": 1},
    ]
    assert (t["incidents"], t["incidents_by_kind"]) == (2, {"gunshot": 1, "poacher_camp": 1})
    assert (p["incidents"], p["incidents_by_kind"]) == (1, {"carcass": 1})
    assert t["detections"] == 3
    assert t["detections_by_species"] == {"Panthera uncia": {"records": 2, "individuals": 3}}
    assert t["detections_of_people_or_vehicles"] == {"human": 1}
    assert (t["trap_days"], t["camera_deployments"], p["trap_days"]) == (10.0, 1, 8.0)
    assert (t["actions"], t["actions_by_kind"]) == (2, {"arrest": 1, "protocol_fine": 1})
    assert (p["actions"], p["actions_by_kind"]) == (1, {"warning": 1})
    assert (t["cases_opened"], t["cases_closed"], p["cases_opened"], p["cases_closed"]) == (1, 2, 1, 0)
    assert t["verdicts"] == {"acquitted": 1, "convicted": 1}
    assert t["conviction_rate"] == 0.5
    assert p["conviction_rate"] is None
    assert t["penalties"] == {"court_fines": {"RUB": "50000.00"}, "protocol_fines": {"RUB": "3000.00"},
                              "prison_months": 6, "conditional_sentences": 1}  # fmt: skip


def test_patrol_crossing_two_periods_counts_where_it_started_and_shares_its_effort(world):
    """X: 26 Feb 12:00 - 2 Mar 12:00. February: 1 patrol, 60 h, 25 km, 3 days; March: 0 patrols, 36 h, 15 km,
    2 days. The months add up to the whole patrol (96 h, 40 km) and the patrol is counted once."""
    report = report_build(reserve=world["reserve"], period=Period("custom", date(2026, 2, 1), date(2026, 3, 31)),
                          scope=Scope("team", str(world["team_a"].pk)), by="month")  # fmt: skip
    feb, mar = report["groups"]
    assert (feb["key"], feb["patrols"], feb["hours"], feb["distance_km"], feb["patrol_days"]) == (
        "2026-02", 1, 60.0, 25.0, 3.0)  # fmt: skip
    # March of team A: X's share plus PA1 (32 h, 20 km, 2 days)
    assert (mar["key"], mar["patrols"], mar["hours"], mar["distance_km"], mar["patrol_days"]) == (
        "2026-03", 1, 68.0, 35.0, 4.0)  # fmt: skip
    whole = report["totals"]
    assert (whole["patrols"], whole["hours"], whole["distance_km"], whole["patrol_days"]) == (2, 128.0, 60.0, 7.0)


def test_team_and_post_scopes_and_groups(world):
    a = report_build(reserve=world["reserve"], period=MARCH, scope=Scope("team", str(world["team_a"].pk)))["totals"]
    # team A: PA1 and X's March share; three members, still 32 + 36 hours
    assert (a["patrols"], a["patrol_days"], a["hours"], a["distance_km"], a["snares"]) == (1, 4.0, 68.0, 35.0, 4)
    assert (a["cpue_per_100km"], a["actions"], a["incidents"], a["trap_days"]) == (11.43, 1, 1, None)
    post = report_build(reserve=world["reserve"], period=MARCH, scope=Scope("post", str(world["post"].pk)))
    assert post["totals"]["hours"] == 68.0
    by_team = report_build(reserve=world["reserve"], period=MARCH, by="team")["groups"]
    shown = {g["label"]: (g["patrols"], g["hours"], g["snares"], g["actions"]) for g in by_team}
    # the find without a patrol belongs to no team
    assert shown == {"Team A": (1, 68.0, 4, 1), "Team B": (1, 8.0, 2, 1), "none": (0, 0.0, 1, 0)}


def test_zero_effort_answers_no_effort_not_a_division_error(world):
    april = month_period(date(2026, 4, 1))
    t = report_build(reserve=world["reserve"], period=april)["totals"]
    assert (t["patrols"], t["distance_km"], t["patrol_days"], t["snares"]) == (0, 0.0, 0.0, 9)
    assert (t["cpue_per_100km"], t["cpue_per_patrol_day"], t["no_effort"]) == (None, None, True)


def _utm_line(srid: int, *xy: tuple[float, float]) -> MultiLineString:
    line = LineString(*xy, srid=srid)
    line.transform(4326)
    return MultiLineString(line, srid=4326)


def test_area_covered_counts_each_cell_once_and_a_zone_gets_its_share():
    reserve = ReserveFactory(timezone="UTC", projected_epsg=32645)
    team = TeamFactory(reserve=reserve)
    # 2.6 km east-west through the middle of three 1 km cells (UTM 45N); twice: the cells count once
    track = _utm_line(32645, (500200, 5550500), (502800, 5550500))
    for day in (3, 4):
        PatrolFactory(reserve=reserve, team=team, actual_start=datetime(2026, 3, day, 8, tzinfo=ZoneInfo("UTC")),
                      actual_end=datetime(2026, 3, day, 16, tzinfo=ZoneInfo("UTC")), track=track,
                      track_length_km=2.6)  # fmt: skip
    # 50 m from a cell edge: the cells on the other side are within 100 m too
    PatrolFactory(reserve=reserve, team=team, actual_start=datetime(2026, 3, 5, 8, tzinfo=ZoneInfo("UTC")),
                  actual_end=datetime(2026, 3, 5, 16, tzinfo=ZoneInfo("UTC")), track_length_km=2.6,
                  track=_utm_line(32645, (500200, 5560050), (502800, 5560050)))  # fmt: skip
    t = report_build(reserve=reserve, period=MARCH)["totals"]
    assert (t["area_cells"], t["area_km2"]) == (3 + 6, 9.0)
    west = Polygon.from_bbox((500000, 5550000, 501500, 5551000))
    west.srid = 32645
    west.transform(4326)
    zone = ZoneFactory(reserve=reserve, area=west)
    z = report_build(reserve=reserve, period=MARCH, scope=Scope("zone", str(zone.pk)))["totals"]
    # two patrols enter the zone, each with 1.3 of its 2.6 km inside: half its 8 hours and half its day
    assert z["patrols"] == 2
    assert z["distance_km"] == pytest.approx(2.6, abs=0.01)
    assert z["hours"] == pytest.approx(8.0, abs=0.02)
    assert z["patrol_days"] == pytest.approx(1.0, abs=0.01)
    assert z["area_cells"] == 2
    (group,) = report_build(reserve=reserve, period=MARCH, by="zone")["groups"]
    assert (group["label"], group["patrols"], group["area_cells"]) == (zone.name, 2, 2)
    assert group["distance_km"] == pytest.approx(2.6, abs=0.01)


def test_unknown_scope_is_a_clear_error(world):
    with pytest.raises(ReportInputError, match="No such team"):
        report_build(reserve=world["reserve"], period=MARCH, scope=Scope("team", "999999"))
    other = TeamFactory()
    with pytest.raises(ReportInputError, match="No such team"):
        report_build(reserve=world["reserve"], period=MARCH, scope=Scope("team", str(other.pk)))


def test_a_valley_is_the_land_within_500_m_of_its_reaches():
    from patrol.terrain.models import ValleyReach

    reserve = ReserveFactory(timezone="UTC", projected_epsg=32645)
    team = TeamFactory(reserve=reserve)
    for reach_id, (x0, x1) in enumerate([(500000, 502000), (502000, 504000)]):
        ValleyReach.objects.create(reserve=reserve, reach_id=reach_id, name="Argut", length_m=2000, catchment_km2=5,
                                   geometry=_utm_line(32645, (x0, 5550000), (x1, 5550000))[0])  # fmt: skip
    ValleyReach.objects.create(reserve=reserve, reach_id=9, name="Shavla", length_m=2000, catchment_km2=5,
                               geometry=_utm_line(32645, (500000, 5560000), (502000, 5560000))[0])  # fmt: skip
    when = datetime(2026, 3, 3, 9, tzinfo=ZoneInfo("UTC"))
    for y, count in [(5550300, 2), (5550900, 7), (5560100, 4)]:  # 300 m from Argut, 900 m away, by the Shavla
        point = _utm_line(32645, (501000, y), (501001, y))[0][0]
        SnareFindFactory(reserve=reserve, found_at=when, count=count, location=Point(*point, srid=4326))
    PatrolFactory(reserve=reserve, team=team, actual_start=when, actual_end=when + timedelta(hours=8),
                  track=_utm_line(32645, (500500, 5550100), (503500, 5550100)), track_length_km=3.0)  # fmt: skip
    argut = report_build(reserve=reserve, period=MARCH, scope=Scope("valley", "Argut"))["totals"]
    assert (argut["snares"], argut["patrols"]) == (2, 1)
    assert argut["distance_km"] == pytest.approx(3.0, abs=0.01)
    groups = report_build(reserve=reserve, period=MARCH, by="valley")["groups"]
    assert [(g["label"], g["snares"], g["patrols"]) for g in groups] == [("Argut", 2, 1), ("Shavla", 4, 0)]
    with pytest.raises(ReportInputError, match="No such valley"):
        report_build(reserve=reserve, period=MARCH, scope=Scope("valley", "Chuya"))


def test_one_query_per_figure_group_whatever_the_data(world, django_assert_num_queries):
    """Effort, area covered, snares, incidents, detections, camera effort, actions and cases: eight aggregate
    queries per period (plus the species names), for the period and the one before, however many rows."""
    with django_assert_num_queries(2 * (8 + 1)):
        report_build(reserve=world["reserve"], period=MARCH)

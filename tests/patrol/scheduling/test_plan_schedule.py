"""Auto-fill from the database: the plan_schedule command's JSON, and a queued auto-fill's drafts."""

import json
from datetime import UTC, date, datetime

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from patrol.scheduling.models import ScheduleDraft, ScheduleRun, TeamDayOff
from patrol.scheduling.services import schedule_run_request
from patrol.terrain.services import terrain_import
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, PostFactory, ReserveFactory, TeamFactory
from tests.patrol.terrain.helpers import UTM_11N, rolling_terrain, write_grid
from tests.threats.factories import SnareFindFactory

pytestmark = pytest.mark.django_db


def _utm(x, y):
    p = Point(x, y, srid=UTM_11N)
    p.transform(4326)
    return p


@pytest.fixture
def small_reserve(tmp_path):
    """2.1 x 1.8 km of rolling terrain (30 m cells), two posts, three teams, snare finds for a risk surface."""
    path = tmp_path / "dem.tif"
    write_grid(path, rolling_terrain())
    corners = Polygon.from_bbox((400_000, 3_798_200, 402_100, 3_800_000))
    corners.srid = UTM_11N
    corners.transform(4326)
    reserve = ReserveFactory(slug="small", projected_epsg=UTM_11N, boundary=MultiPolygon(corners, srid=4326),
                             max_consecutive_field_days=3, max_post_uncovered_days=2)  # fmt: skip
    terrain_import(reserve=reserve, path=path, resolution_m=30)
    base = PostFactory(reserve=reserve, name="Base", location=_utm(400_615, 3_799_085))
    cabin = PostFactory(reserve=reserve, name="Cabin", location=_utm(401_500, 3_798_700))
    teams = [TeamFactory(reserve=reserve, name=f"Team {n}", home_post=post)
             for n, post in (("1", base), ("2", cabin), ("3", None))]  # fmt: skip
    for x, y in [(401_500, 3_799_600), (401_800, 3_798_500), (400_300, 3_798_400)]:
        SnareFindFactory(reserve=reserve, location=_utm(x, y), count=3)
    return reserve, teams


def test_the_command_writes_the_documented_json(small_reserve, tmp_path, capsys):
    reserve, teams = small_reserve
    TeamDayOff.objects.create(team=teams[0], date=date(2030, 5, 2))
    # Team 2 already has a patrol on May 3 (local date): it is not proposed again that day.
    PatrolFactory(reserve=reserve, team=teams[1], planned_start=datetime(2030, 5, 3, 2, tzinfo=UTC), track=None,
                  planned_end=datetime(2030, 5, 3, 8, tzinfo=UTC), status=Patrol.Status.PLANNED)  # fmt: skip
    posts = {post.name: post for post in reserve.posts.all()}
    out = tmp_path / "schedule.json"
    call_command("plan_schedule", reserve="small", start="2030-05-01", days=5, hours=1, seed=11, out=str(out))
    doc = json.loads(out.read_text())
    assert set(doc) == {"reserve", "seed", "risk_source", "patrols", "covered_risk_distinct",
                        "baseline_covered_risk_distinct"}  # fmt: skip
    # At most 3 field days in a row: 4 of the 5 days for teams 1 and 3, 3 for team 2 (May 3 is booked).
    assert doc["seed"] == 11 and len(doc["patrols"]) == 4 + 3 + 4
    for p in doc["patrols"]:
        assert set(p) == {"team", "post", "date", "start", "end", "duration_h", "covered_risk", "route"}
        assert p["start"] == f"{p['date']}T08:00:00+07:00" and p["end"] == f"{p['date']}T09:00:00+07:00"
        assert 0 < p["duration_h"] <= 1.0
        assert p["route"]["type"] == "LineString" and p["route"]["coordinates"][0] == p["route"]["coordinates"][-1]
        start = Point(*p["route"]["coordinates"][0], srid=4326)
        start.transform(UTM_11N)
        post = posts[p["post"]].location.transform(UTM_11N, clone=True)
        assert start.distance(post) <= 15 * 2**0.5  # WGS84, at the centre of the post's 30 m cell
    pairs = [(p["team"], p["date"]) for p in doc["patrols"]]
    assert len(set(pairs)) == len(pairs)
    assert ("Team 1", "2030-05-02") not in pairs and ("Team 2", "2030-05-03") not in pairs
    team2 = {p["date"] for p in doc["patrols"] if p["team"] == "Team 2"}
    assert "2030-05-04" not in team2 or not {"2030-05-01", "2030-05-02"} <= team2  # 3 days in a row at most
    assert {p["post"] for p in doc["patrols"] if p["team"] == "Team 1"} == {"Base"}
    assert 0 < doc["baseline_covered_risk_distinct"] <= doc["covered_risk_distinct"]
    assert doc["covered_risk_distinct"] < sum(p["covered_risk"] for p in doc["patrols"])
    call_command("plan_schedule", reserve="small", start="2030-05-01", days=5, hours=1, seed=11,
                 out=str(tmp_path / "again.json"))  # fmt: skip
    # The same seed, the same schedule (the fallback risk surface fades finds by age: risk differs in the 6th digit).
    again = json.loads((tmp_path / "again.json").read_text())
    assert [{k: v for k, v in p.items() if k != "covered_risk"} for p in again["patrols"]] == [
        {k: v for k, v in p.items() if k != "covered_risk"} for p in doc["patrols"]
    ]
    assert again["covered_risk_distinct"] == pytest.approx(doc["covered_risk_distinct"], rel=1e-5)
    assert "11 patrols (seed 11)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"reserve": "nope"}, "no reserve with slug 'nope'"),
        ({"start": "2030-13-01"}, "--start must be YYYY-MM-DD"),
        ({"days": 0}, "--days must be within 1..62"),
        ({"hours": 30}, "--hours must be within (0, 16]"),
    ],
)
def test_the_command_refuses_bad_arguments_clearly(small_reserve, tmp_path, options, message):
    args = {"reserve": "small", "start": "2030-05-01", "days": 3, "hours": 1, "out": str(tmp_path / "x.json"),
            **options}  # fmt: skip
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace("]", r"\]")):
        call_command("plan_schedule", **args)
    assert not (tmp_path / "x.json").exists()


def test_a_queued_auto_fill_stores_drafts_until_a_manager_approves(small_reserve, django_capture_on_commit_callbacks,
                                                                     client):  # fmt: skip
    reserve, teams = small_reserve
    manager = member(reserve, Role.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        run = schedule_run_request(actor=manager, reserve=reserve, start=date(2030, 5, 1), days=4, hours=1, seed=5,
                                   max_patrol_days=8)  # fmt: skip
    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.DONE, run.error
    drafts = list(ScheduleDraft.objects.filter(run=run))
    assert len(drafts) == 8 == run.summary["patrols"]
    assert run.progress == {"done": 8, "total": 8}
    assert all(d.duration_h <= 1.0 and d.planned_start.hour == 1 for d in drafts)  # 08:00 local
    assert len({(d.team_id, d.planned_start) for d in drafts}) == 8
    assert not Patrol.objects.exists()  # drafts are not patrols until approved
    client.force_login(manager)
    page = client.get("/schedule/calendar/?month=2030-05").content.decode()
    assert "Approve 8 drafts" in page
    client.post(f"/schedule/runs/{run.pk}/approve/")
    assert Patrol.objects.filter(status=Patrol.Status.PLANNED, planned_route__isnull=False).count() == 8


def test_availability_and_the_posts_last_patrols_come_from_the_database(reserve_a, team_a):
    from patrol.scheduling.compute import posts_last_day, team_specs

    reserve_a.max_consecutive_field_days = 3
    reserve_a.save()
    base, cabin = PostFactory(reserve=reserve_a, name="Base"), PostFactory(reserve=reserve_a, name="Cabin")
    team_a.home_post = cabin
    team_a.save()
    TeamDayOff.objects.create(team=team_a, date=date(2030, 5, 3))
    for day in (29, 30):  # Apr 29 and 30, 08:00-16:00 in Barnaul; a cancelled one on Apr 28 does not count
        PatrolFactory(reserve=reserve_a, team=team_a, post=base, planned_start=datetime(2030, 4, day, 1, tzinfo=UTC),
                      planned_end=datetime(2030, 4, day, 9, tzinfo=UTC), status=Patrol.Status.COMPLETED)  # fmt: skip
    PatrolFactory(reserve=reserve_a, team=team_a, post=cabin, planned_start=datetime(2030, 4, 28, 1, tzinfo=UTC),
                  planned_end=datetime(2030, 4, 28, 9, tzinfo=UTC), status=Patrol.Status.CANCELLED)  # fmt: skip
    # May 2, 23:00 to May 3, 02:00 local: a night patrol touches both days.
    PatrolFactory(reserve=reserve_a, team=team_a, planned_start=datetime(2030, 5, 2, 16, tzinfo=UTC), track=None,
                  planned_end=datetime(2030, 5, 2, 19, tzinfo=UTC), status=Patrol.Status.PLANNED)  # fmt: skip
    (spec,) = team_specs(reserve=reserve_a, teams=[team_a], posts=[base, cabin], start=date(2030, 5, 1), days=5)
    assert spec.home_post == 1
    assert spec.available_days == frozenset({0, 1, 3, 4})
    assert spec.booked_days == frozenset({-2, -1, 1, 2})
    assert posts_last_day(reserve=reserve_a, posts=[base, cabin], start=date(2030, 5, 1)) == {0: -1, 1: -8}


def test_a_new_auto_fill_supersedes_the_drafts_of_earlier_unapproved_ones(small_reserve):
    from django.contrib.gis.geos import LineString

    reserve, teams = small_reserve
    manager = member(reserve, Role.MANAGER)
    old = ScheduleRun.objects.create(reserve=reserve, start=date(2030, 5, 1), days=3, seed=1, status="done")
    ScheduleDraft.objects.create(run=old, reserve=reserve, team=teams[0], post=reserve.posts.first(), duration_h=1,
                                 covered_risk=1, route=LineString((0, 0), (0, 0.001), srid=4326),
                                 planned_start=datetime(2030, 5, 1, 1, tzinfo=UTC),
                                 planned_end=datetime(2030, 5, 1, 2, tzinfo=UTC))  # fmt: skip
    new = schedule_run_request(actor=manager, reserve=reserve, start=date(2030, 5, 1), days=3, hours=1)
    assert not ScheduleDraft.objects.filter(run=old).exists()
    assert new.status == ScheduleRun.Status.QUEUED and 0 <= new.seed < 2**31
    with pytest.raises(ValidationError):
        schedule_run_request(actor=manager, reserve=reserve, start=date(2030, 5, 1), days=90, hours=1)

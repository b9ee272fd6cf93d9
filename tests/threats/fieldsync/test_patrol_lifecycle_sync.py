"""A patrol's lifecycle through the field sync: the phone starts and ends an assigned patrol, exactly once,
in any order; a cancelled patrol stays cancelled; rangers move only their own team's patrols."""

import uuid
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, TeamFactory
from tests.threats.fieldsync.factories import batch, device_client
from threats.fieldsync.models import SyncReceipt

pytestmark = pytest.mark.django_db

URL = "/api/v1/sync/"
T0 = "2026-01-10T08:00:00+07:00"  # the phone's clock, in the Altai's offset
T1 = "2026-01-10T16:30:00+07:00"


def event(name, at, *, patrol=None, patrol_uuid=None, client_uuid=None):
    data = {"event": name, "at": at}
    if patrol is not None:
        data["patrol"] = patrol
    if patrol_uuid is not None:
        data["patrol_uuid"] = str(patrol_uuid)
    return {"kind": "patrol_event", "client_uuid": str(client_uuid or uuid.uuid4()), "recorded_at": at, "data": data}


@pytest.fixture
def phone(ranger_a, reserve_a, team_a):
    return device_client(ranger_a, reserve_a, device_id="phone-a-0001")


@pytest.fixture
def assigned(reserve_a, team_a):
    return PatrolFactory(reserve=reserve_a, team=team_a, status=Patrol.Status.PLANNED, track=None, leader=None)


def send(phone, *items):
    client, device = phone
    response = client.post(URL, batch(device, *items), format="json")
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def state(patrol):
    p = Patrol.objects.get(pk=patrol.pk)
    return p.status, p.actual_start, p.actual_end, p.version


def at(text):
    return datetime.fromisoformat(text).astimezone(UTC)


def test_starting_and_ending_an_assigned_patrol_on_the_phone_moves_it_on_the_server(phone, assigned):
    start = event("start", T0, patrol=assigned.pk)
    [result] = send(phone, start)
    assert (result["status"], result["id"]) == ("created", assigned.pk)
    assert state(assigned) == ("in_progress", at(T0), None, 2)

    [result] = send(phone, event("end", T1, patrol=assigned.pk))
    assert (result["status"], result["id"]) == ("created", assigned.pk)
    assert state(assigned) == ("completed", at(T0), at(T1), 3)
    assert SyncReceipt.objects.filter(kind="patrol_event").count() == 2


def test_a_replayed_event_is_a_duplicate_and_changes_nothing(phone, assigned):
    start = event("start", T0, patrol=assigned.pk)
    end = event("end", T1, patrol=assigned.pk)
    send(phone, start, end)
    before = state(assigned)
    results = send(phone, start, end)  # the answer was lost: the phone sends the same batch again
    assert [(r["status"], r["id"]) for r in results] == [("duplicate", assigned.pk), ("duplicate", assigned.pk)]
    assert state(assigned) == before == ("completed", at(T0), at(T1), 3)
    changed = dict(end, data={**end["data"], "at": "2026-01-10T17:00:00+07:00"})  # same UUID, other content
    [result] = send(phone, changed)
    assert result["status"] == "rejected"
    assert state(assigned) == before


def test_the_end_arriving_before_the_start_gives_the_same_patrol(phone, assigned):
    [ended] = send(phone, event("end", T1, patrol=assigned.pk))
    assert ended["status"] == "created"
    assert state(assigned) == ("completed", None, at(T1), 2)
    [started] = send(phone, event("start", T0, patrol=assigned.pk))
    assert started["status"] == "created"
    assert state(assigned) == ("completed", at(T0), at(T1), 3)


def test_two_phones_keep_the_earliest_start_and_the_latest_end(phone, assigned, ranger_a, reserve_a, team_a):
    other = device_client(ranger_a, reserve_a, device_id="phone-a-0002")
    send(phone, event("start", "2026-01-10T08:05:00+07:00", patrol=assigned.pk))
    send(other, event("start", T0, patrol=assigned.pk))
    send(other, event("end", "2026-01-10T16:00:00+07:00", patrol=assigned.pk))
    send(phone, event("end", T1, patrol=assigned.pk))
    send(other, event("start", "2026-01-10T09:00:00+07:00", patrol=assigned.pk))  # later: no change
    assert state(assigned)[:3] == ("completed", at(T0), at(T1))


def test_a_cancelled_patrol_cannot_be_started_or_ended(phone, reserve_a, team_a):
    cancelled = PatrolFactory(reserve=reserve_a, team=team_a, status=Patrol.Status.CANCELLED, track=None)
    before = state(cancelled)
    start, end = send(phone, event("start", T0, patrol=cancelled.pk), event("end", T1, patrol=cancelled.pk))
    assert start["errors"] == {"status": ["This patrol was cancelled: it cannot start."]}
    assert end["errors"] == {"status": ["A patrol that is cancelled cannot become completed."]}
    assert state(cancelled) == before
    assert SyncReceipt.objects.count() == 0  # refused items keep no receipt: nothing half-stored


def test_an_end_before_the_start_is_refused(phone, assigned):
    send(phone, event("start", T1, patrol=assigned.pk))
    [result] = send(phone, event("end", T0, patrol=assigned.pk))
    assert result["errors"] == {"actual_end": ["The end must be after the patrol's start."]}
    assert state(assigned) == ("in_progress", at(T1), None, 2)


def test_a_patrol_started_on_the_phone_ends_through_its_client_uuid(phone, team_a):
    patrol_uuid = uuid.uuid4()
    create = {"kind": "patrol", "client_uuid": str(patrol_uuid), "recorded_at": T0,
              "data": {"team": team_a.pk, "status": "in_progress", "actual_start": T0}}  # fmt: skip
    created, ended = send(phone, create, event("end", T1, patrol_uuid=patrol_uuid))
    assert created["status"] == ended["status"] == "created"
    patrol = Patrol.objects.get(client_uuid=patrol_uuid)
    assert (patrol.status, patrol.actual_start, patrol.actual_end) == ("completed", at(T0), at(T1))


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"event": "pause", "at": T0}, {"event": ["Unknown patrol event: use one of start, end."]}),
        ({"at": T0}, {"event": ["This field is required."]}),
        ({"event": "start", "at": "yesterday"}, {"at": ["Not a date and time (ISO 8601 expected)."]}),
    ],
)
def test_bad_events_are_refused_by_field(phone, assigned, data, errors):
    item = {"kind": "patrol_event", "client_uuid": str(uuid.uuid4()), "recorded_at": T0,
            "data": {"patrol": assigned.pk, **data}}  # fmt: skip
    [result] = send(phone, item)
    assert (result["status"], result["errors"]) == ("rejected", errors)
    assert state(assigned) == ("planned", None, None, 1)


def test_an_event_without_a_patrol_is_refused(phone):
    item = {"kind": "patrol_event", "client_uuid": str(uuid.uuid4()), "recorded_at": T0,
            "data": {"event": "start", "at": T0}}  # fmt: skip
    [result] = send(phone, item)
    assert result["errors"] == {"patrol": ["A patrol event needs a patrol or patrol_uuid."]}


def test_a_ranger_cannot_move_another_teams_patrol(phone, reserve_a):
    others = TeamFactory(reserve=reserve_a, name="Team B", members=[member(reserve_a, Role.RANGER)])
    patrol = PatrolFactory(reserve=reserve_a, team=others, status=Patrol.Status.PLANNED, track=None)
    [result] = send(phone, event("start", T0, patrol=patrol.pk))
    assert result["status"] == "rejected"
    assert result["errors"] == {"patrol": ["Unknown patrol."]}  # rangers do not see other teams' patrols
    assert state(patrol) == ("planned", None, None, 1)


def test_a_patrol_of_another_reserve_is_unknown(phone, reserve_b):
    patrol = PatrolFactory(reserve=reserve_b, status=Patrol.Status.PLANNED, track=None)
    [result] = send(phone, event("start", T0, patrol=patrol.pk))
    assert result["errors"] == {"patrol": ["Unknown patrol."]}
    assert state(patrol) == ("planned", None, None, 1)


def test_an_edit_cannot_reopen_a_completed_patrol(phone, team_a):
    patrol_uuid = uuid.uuid4()
    create = {"kind": "patrol", "client_uuid": str(patrol_uuid), "recorded_at": T0,
              "data": {"team": team_a.pk, "status": "completed", "actual_start": T0, "actual_end": T1}}  # fmt: skip
    send(phone, create)
    client, _device = phone
    response = client.patch(f"/api/v1/sync/records/{patrol_uuid}/", {"version": 1, "data": {"status": "planned"}},
                            format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"status": ["A patrol that is completed cannot become planned."]}
    assert Patrol.objects.get(client_uuid=patrol_uuid).status == "completed"


def test_bootstrap_sends_the_route_waypoints_and_times_of_upcoming_patrols(phone, assigned, reserve_a, team_a):
    from django.contrib.gis.geos import LineString, MultiPoint, Point

    Patrol.objects.filter(pk=assigned.pk).update(
        planned_route=LineString((87.40, 50.10), (87.42, 50.11), srid=4326),
        planned_waypoints=MultiPoint(Point(87.41, 50.105), srid=4326),
        planned_start=datetime(2030, 1, 10, 2, 0, tzinfo=UTC), planned_end=datetime(2030, 1, 10, 10, 0, tzinfo=UTC),
    )  # fmt: skip
    PatrolFactory(reserve=reserve_a, team=team_a, status=Patrol.Status.COMPLETED)  # done: not sent
    PatrolFactory(reserve=reserve_a, team=team_a, status=Patrol.Status.PLANNED)  # its day long passed: not sent
    client, _device = phone
    body = client.get("/api/v1/sync/bootstrap/").json()
    [sent] = body["patrols"]
    assert sent["id"] == assigned.pk
    assert (sent["route"], sent["waypoints"]) == ([[87.40, 50.10], [87.42, 50.11]], [[87.41, 50.105]])
    assert (sent["planned_start"], sent["planned_end"]) == ("2030-01-10T02:00:00+00:00", "2030-01-10T10:00:00+00:00")
    assert body["map"] is None  # no terrain imported: no hillshade to cache
    assert client.get("/api/v1/sync/hillshade.png").status_code == 404


def test_the_phone_gets_its_own_reserves_hillshade_for_the_offline_map(tmp_path):
    from config.storage import private_storage
    from patrol.terrain.models import TerrainGrid
    from patrol.terrain.web_map import hillshade_png_get
    from tests.patrol.patrols.helpers import terrain_reserve

    reserve = terrain_reserve(tmp_path, slug="grid")
    client, _device = device_client(member(reserve, Role.RANGER), reserve)
    path, bounds = hillshade_png_get(TerrainGrid.objects.get(reserve=reserve))
    body = client.get("/api/v1/sync/bootstrap/").json()
    key = f"terrain-{TerrainGrid.objects.get(reserve=reserve).pk}"
    assert body["map"] == {"hillshade": {"url": "/api/v1/sync/hillshade.png", "bounds": bounds, "key": key}}
    response = client.get("/api/v1/sync/hillshade.png")
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    with private_storage.open(path, "rb") as handle:
        assert response.content == handle.read()
    assert APIClient().get("/api/v1/sync/hillshade.png").status_code == 401  # a device token is needed

"""A member of reserve A can neither read nor change reserve B's objects, through any endpoint.

Another reserve's objects answer 404 (never 403), and a denied request changes nothing.
"""

import pytest
from django.contrib.gis.geos import Point

from patrol.patrols.models import Patrol
from patrol.reserves.models import AccessPoint, Post, Zone
from tests.patrol.factories import AccessPointFactory, PatrolFactory, PostFactory, TeamFactory, ZoneFactory
from tests.threats.factories import CameraDeploymentFactory, DetectionFactory, IncidentFactory, SnareFindFactory
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind

pytestmark = pytest.mark.django_db

POINT = {"type": "Point", "coordinates": [87.41, 50.11]}

ENDPOINTS = [
    # (url, factory, model, a valid create body without "reserve", field to patch)
    ("/api/v1/posts/", PostFactory, Post, {"name": "New post", "location": POINT}, {"name": "Renamed"}),
    ("/api/v1/access-points/", AccessPointFactory, AccessPoint,
     {"name": "Trailhead", "kind": "road_end", "location": POINT}, {"name": "Renamed"}),
    ("/api/v1/zones/", ZoneFactory, Zone,
     {"name": "Core", "kind": "core", "area": {"type": "Polygon", "coordinates": [
         [[87.3, 50.0], [87.4, 50.0], [87.4, 50.1], [87.3, 50.0]]]}}, {"name": "Renamed"}),
    ("/api/v1/snare-finds/", SnareFindFactory, SnareFind,
     {"found_at": "2026-11-01T10:00:00Z", "location": POINT, "material": "wire", "state": "set", "action": "removed"},
     {"notes": "changed"}),
    ("/api/v1/incidents/", IncidentFactory, Incident,
     {"kind": "gunshot", "occurred_at": "2026-11-01T10:00:00Z", "location": POINT}, {"notes": "changed"}),
    ("/api/v1/detections/", DetectionFactory, Detection,
     {"species": "Panthera uncia", "method": "track", "observed_at": "2026-11-01T10:00:00Z", "location": POINT},
     {"notes": "changed"}),
    ("/api/v1/camera-deployments/", CameraDeploymentFactory, CameraDeployment,
     {"deployment_id": "X1", "location": POINT, "start": "2026-09-01T00:00:00Z", "end": "2026-10-01T00:00:00Z"},
     {"notes": "changed"}),
]  # fmt: skip


@pytest.mark.parametrize(("url", "factory", "model", "body", "patch"), ENDPOINTS)
def test_member_of_a_cannot_read_or_change_reserve_b(api, manager_a, reserve_b, url, factory, model, body, patch):
    theirs = factory(reserve=reserve_b)
    api.force_authenticate(manager_a)

    listed = api.get(url)
    assert listed.status_code == 200
    assert listed.json()["features"] == []

    assert api.get(f"{url}{theirs.pk}/").status_code == 404
    changed = api.patch(f"{url}{theirs.pk}/", patch, format="json")
    assert changed.status_code == 404
    assert changed.json()["error"]["code"] == "not_found"
    assert api.delete(f"{url}{theirs.pk}/").status_code == 404
    assert model.objects.filter(pk=theirs.pk).exists()

    before = model.objects.count()
    created = api.post(url, {**body, "reserve": "reserve-b"}, format="json")
    assert created.status_code == 400
    assert created.json()["error"]["fields"]["reserve"] == ["No reserve 'reserve-b' among your reserves."]
    assert model.objects.count() == before


@pytest.mark.parametrize(("url", "factory", "model", "body", "patch"), ENDPOINTS)
def test_manager_of_a_can_create_read_and_change_reserve_a(api, manager_a, reserve_a, url, factory, model, body, patch):
    api.force_authenticate(manager_a)
    created = api.post(url, {**body, "reserve": "reserve-a"}, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert model.objects.get(pk=pk).reserve_id == reserve_a.pk
    assert api.get(f"{url}{pk}/").status_code == 200
    changed = api.patch(f"{url}{pk}/", patch, format="json")
    assert changed.status_code == 200, changed.json()
    field, value = next(iter(patch.items()))
    assert getattr(model.objects.get(pk=pk), field) == value


def test_patrols_and_teams_of_another_reserve_are_invisible(api, manager_a, reserve_b):
    theirs = PatrolFactory(reserve=reserve_b)
    api.force_authenticate(manager_a)
    assert api.get("/api/v1/patrols/").json()["features"] == []
    assert api.get(f"/api/v1/patrols/{theirs.pk}/").status_code == 404
    assert api.patch(f"/api/v1/patrols/{theirs.pk}/", {"objective": "x"}, format="json").status_code == 404
    assert api.get("/api/v1/teams/").json()["results"] == []
    assert Patrol.objects.get(pk=theirs.pk).objective == ""


def test_reserve_list_shows_only_memberships(api, manager_a, reserve_b):
    api.force_authenticate(manager_a)
    body = api.get("/api/v1/reserves/").json()
    assert [f["properties"]["slug"] for f in body["features"]] == ["reserve-a"]
    assert body["features"][0]["properties"]["role"] == "manager"
    assert api.get("/api/v1/reserves/reserve-b/").status_code == 404


def test_records_cannot_point_at_another_reserves_patrol(api, manager_a, reserve_b):
    their_patrol = PatrolFactory(reserve=reserve_b)
    api.force_authenticate(manager_a)
    response = api.post("/api/v1/snare-finds/", {
        "reserve": "reserve-a", "patrol": their_patrol.pk, "found_at": "2026-11-01T10:00:00Z", "location": POINT,
        "material": "wire", "state": "set", "action": "removed"}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["patrol"] == [f'Invalid pk "{their_patrol.pk}" - object does not exist.']
    assert SnareFind.objects.count() == 0


def test_anonymous_requests_are_refused(api, reserve_a):
    SnareFindFactory(reserve=reserve_a)
    response = api.get("/api/v1/snare-finds/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_token_auth_reaches_only_own_reserve(api, manager_a, reserve_a, reserve_b):
    SnareFindFactory(reserve=reserve_a, location=Point(87.3, 50.0, srid=4326))
    SnareFindFactory(reserve=reserve_b)
    token = api.post("/api/v1/auth/token/", {"username": "manager_a", "password": "pw"}, format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    features = api.get("/api/v1/snare-finds/").json()["features"]
    assert [f["geometry"]["coordinates"] for f in features] == [[87.3, 50.0]]


def test_teams_list_for_manager_shows_reserve_teams(api, manager_a, reserve_a, reserve_b):
    TeamFactory(reserve=reserve_a, name="Argut team")
    TeamFactory(reserve=reserve_b, name="Other team")
    api.force_authenticate(manager_a)
    assert [t["name"] for t in api.get("/api/v1/teams/").json()["results"]] == ["Argut team"]

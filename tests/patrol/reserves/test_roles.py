"""Rangers create and read their own team's patrols and records; managers everything; analysts read only."""

import pytest

from patrol.patrols.models import Patrol
from tests.patrol.factories import PatrolFactory, TeamFactory
from tests.threats.factories import DetectionFactory, SnareFindFactory
from threats.records.models import SnareFind

pytestmark = pytest.mark.django_db

POINT = {"type": "Point", "coordinates": [87.41, 50.11]}
FIND = {"reserve": "reserve-a", "found_at": "2026-11-01T10:00:00Z", "location": POINT, "material": "wire",
        "state": "set", "action": "removed"}  # fmt: skip


@pytest.fixture
def other_team_patrol(reserve_a):
    return PatrolFactory(reserve=reserve_a, team=TeamFactory(reserve=reserve_a, name="Other team"))


def test_ranger_sees_only_own_team_patrols_and_records(api, ranger_a, team_a, reserve_a, other_team_patrol):
    own_patrol = PatrolFactory(reserve=reserve_a, team=team_a)
    own_find = SnareFindFactory(reserve=reserve_a, patrol=own_patrol)
    SnareFindFactory(reserve=reserve_a, patrol=other_team_patrol)
    reported_alone = SnareFindFactory(reserve=reserve_a, reported_by=ranger_a)
    DetectionFactory(reserve=reserve_a)  # a camera trap record: not the ranger's
    api.force_authenticate(ranger_a)

    patrols = api.get("/api/v1/patrols/").json()["features"]
    assert [p["id"] for p in patrols] == [own_patrol.pk]
    finds = api.get("/api/v1/snare-finds/").json()["features"]
    assert sorted(f["id"] for f in finds) == sorted([own_find.pk, reported_alone.pk])
    assert api.get("/api/v1/detections/").json()["features"] == []
    assert api.get(f"/api/v1/patrols/{other_team_patrol.pk}/").status_code == 404


def test_ranger_creates_records_on_own_patrol_and_is_recorded_as_reporter(api, ranger_a, team_a, reserve_a):
    patrol = PatrolFactory(reserve=reserve_a, team=team_a)
    api.force_authenticate(ranger_a)
    response = api.post("/api/v1/snare-finds/", {**FIND, "patrol": patrol.pk}, format="json")
    assert response.status_code == 201, response.json()
    find = SnareFind.objects.get()
    assert (find.patrol_id, find.reported_by_id) == (patrol.pk, ranger_a.pk)
    assert response.json()["properties"]["reported_by"] == "ranger_a"


def test_ranger_cannot_add_to_another_teams_patrol(api, ranger_a, team_a, other_team_patrol):
    api.force_authenticate(ranger_a)
    response = api.post("/api/v1/snare-finds/", {**FIND, "patrol": other_team_patrol.pk}, format="json")
    assert response.status_code == 400  # the other team's patrol is invisible to the ranger
    assert SnareFind.objects.count() == 0


def test_ranger_cannot_change_records(api, ranger_a, team_a, reserve_a):
    find = SnareFindFactory(reserve=reserve_a, reported_by=ranger_a, notes="original")
    api.force_authenticate(ranger_a)
    response = api.patch(f"/api/v1/snare-finds/{find.pk}/", {"notes": "edited"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "permission_denied",
        "message": "Only managers and reserve administrators may do this.",
        "fields": {},
    }
    find.refresh_from_db()
    assert find.notes == "original"


def test_ranger_creates_patrol_for_own_team_only(api, ranger_a, team_a, reserve_a):
    other = TeamFactory(reserve=reserve_a, name="Other")
    api.force_authenticate(ranger_a)
    own = api.post("/api/v1/patrols/", {"reserve": "reserve-a", "team": team_a.pk, "transport": "ski"}, format="json")
    assert own.status_code == 201, own.json()
    refused = api.post("/api/v1/patrols/", {"reserve": "reserve-a", "team": other.pk}, format="json")
    assert refused.status_code == 400
    assert Patrol.objects.count() == 1


def test_analyst_reads_everything_but_writes_nothing(api, analyst_a, reserve_a, other_team_patrol):
    SnareFindFactory(reserve=reserve_a, patrol=other_team_patrol)
    api.force_authenticate(analyst_a)
    assert len(api.get("/api/v1/snare-finds/").json()["features"]) == 1
    assert len(api.get("/api/v1/patrols/").json()["features"]) == 1
    response = api.post("/api/v1/snare-finds/", FIND, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Your role in this reserve is read-only."
    assert SnareFind.objects.count() == 1
    deleted = api.delete(f"/api/v1/patrols/{other_team_patrol.pk}/")
    assert deleted.status_code == 403
    assert Patrol.objects.filter(pk=other_team_patrol.pk).exists()


def test_manager_deletes_a_record(api, manager_a, reserve_a):
    find = SnareFindFactory(reserve=reserve_a)
    api.force_authenticate(manager_a)
    assert api.delete(f"/api/v1/snare-finds/{find.pk}/").status_code == 204
    assert SnareFind.objects.count() == 0

"""POST /api/v1/sync/ and friends: idempotent batch ingest, validation with reasons, edits, devices, tenancy."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from patrol.patrols.models import Patrol, TrackPoint
from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, TeamFactory
from tests.threats.factories import SnareFindFactory
from tests.threats.fieldsync.factories import POINT_IN_A, batch, device_client, device_with_token, snare_item
from threats.fieldsync.models import Device, SyncReceipt
from threats.records.models import Detection, Incident, SnareFind

pytestmark = pytest.mark.django_db

URL = "/api/v1/sync/"


@pytest.fixture
def phone_a(ranger_a, reserve_a, team_a):
    client, device = device_client(ranger_a, reserve_a, device_id="phone-a-0001")
    return client, device


@pytest.fixture
def patrol_a(reserve_a, team_a, ranger_a):
    return PatrolFactory(reserve=reserve_a, team=team_a, leader=ranger_a, status=Patrol.Status.IN_PROGRESS, track=None)


def post(client, device, *items):
    return client.post(URL, batch(device, *items), format="json")


def only_result(response):
    assert response.status_code == 200, response.json()
    (result,) = response.json()["results"]
    return result


# --- devices and tokens ------------------------------------------------------------------------------


def test_login_gives_a_device_token_that_authenticates_sync(api, ranger_a, reserve_a):
    login = {"username": "ranger_a", "password": "pw", "device_id": "phone-0001", "device_name": "Pixel"}
    response = api.post("/api/v1/sync/login/", login, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    device = Device.objects.get()
    assert (device.user, device.reserve, device.device_id, device.name) == (ranger_a, reserve_a, "phone-0001", "Pixel")
    assert body["device"]["reserve"] == "reserve-a"
    assert body["token"] not in device.token_sha256  # only the hash is kept
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {body['token']}")
    assert client.get("/api/v1/sync/bootstrap/").status_code == 200


def test_login_with_a_wrong_password_is_refused(api, ranger_a):
    response = api.post("/api/v1/sync/login/", {"username": "ranger_a", "password": "nope", "device_id": "phone-0001"})
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "invalid_credentials", "message": "Wrong username or password.",
                                        "fields": {}}  # fmt: skip
    assert Device.objects.count() == 0


def test_login_to_a_reserve_one_is_not_a_member_of_looks_like_a_missing_reserve(api, ranger_a, reserve_b):
    response = api.post("/api/v1/sync/login/", {"username": "ranger_a", "password": "pw", "device_id": "phone-0001",
                                                 "reserve": "reserve-b"})  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "No reserve 'reserve-b' among your reserves."
    missing = api.post("/api/v1/sync/login/", {"username": "ranger_a", "password": "pw", "device_id": "phone-0001",
                                                "reserve": "no-such"})  # fmt: skip
    assert missing.json()["error"]["message"] == "No reserve 'no-such' among your reserves."
    assert Device.objects.count() == 0


def test_login_with_several_reserves_asks_which(api, ranger_a, reserve_b):
    from tests.patrol.factories import MembershipFactory

    MembershipFactory(user=ranger_a, reserve=reserve_b, role=Role.RANGER)
    response = api.post("/api/v1/sync/login/", {"username": "ranger_a", "password": "pw", "device_id": "phone-0001"})
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "reserve_required", "message": "Choose a reserve.",
                                        "fields": {"reserve": ["reserve-a", "reserve-b"]}}  # fmt: skip


def test_a_revoked_device_cannot_sync_but_the_users_other_device_can(ranger_a, reserve_a, team_a):
    lost, lost_device = device_client(ranger_a, reserve_a, device_id="lost-phone-1")
    spare, spare_device = device_client(ranger_a, reserve_a, device_id="spare-phone-1")
    owner = APIClient()
    owner.force_authenticate(ranger_a)
    response = owner.post(f"/api/v1/sync/devices/{lost_device.pk}/revoke/")
    assert response.status_code == 200
    assert response.json()["revoked"] is True

    refused = post(lost, lost_device, snare_item())
    assert refused.status_code == 401
    assert refused.json()["error"] == {"code": "authentication_failed", "message": "Invalid or revoked device token.",
                                       "fields": {}}  # fmt: skip
    assert only_result(post(spare, spare_device, snare_item()))["status"] == "created"
    assert SnareFind.objects.count() == 1


def test_a_manager_revokes_a_rangers_phone_but_a_manager_of_another_reserve_cannot_see_it(
    ranger_a, reserve_a, manager_a, manager_b
):
    device, _token = device_with_token(ranger_a, reserve_a)
    other = APIClient()
    other.force_authenticate(manager_b)
    assert other.post(f"/api/v1/sync/devices/{device.pk}/revoke/").status_code == 404
    assert other.get("/api/v1/sync/devices/").json()["results"] == []
    device.refresh_from_db()
    assert device.revoked_at is None
    manager = APIClient()
    manager.force_authenticate(manager_a)
    assert manager.post(f"/api/v1/sync/devices/{device.pk}/revoke/").status_code == 200
    device.refresh_from_db()
    assert (device.revoked_by, device.revoked_at is not None) == (manager_a, True)


def test_sync_needs_a_device_token_not_a_session(ranger_a, reserve_a):
    client = APIClient()
    client.force_login(ranger_a)
    response = client.post(URL, {"device_id": "x", "items": []}, format="json")
    assert response.status_code == 401
    assert SnareFind.objects.count() == 0


def test_a_batch_for_another_device_id_is_refused(phone_a):
    client, device = phone_a
    response = client.post(URL, {"device_id": "someone-elses", "items": [snare_item()]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"device_id": ["This token belongs to another device."]}
    assert SnareFind.objects.count() == 0


# --- idempotency -------------------------------------------------------------------------------------


def test_a_snare_find_is_created_with_every_field_and_both_times(phone_a, ranger_a, reserve_a, patrol_a):
    client, device = phone_a
    item = snare_item(patrol=patrol_a.pk, count=4, placement="neck", catch_species="Capra sibirica",
                      catch_condition="dead", material="cable", state="sprung", action="destroyed",
                      notes="line of 4 on the ridge")  # fmt: skip
    before = timezone.now()
    result = only_result(post(client, device, item))
    find = SnareFind.objects.get()
    assert result == {"client_uuid": item["client_uuid"], "status": "created", "id": find.pk, "errors": {}}
    assert (find.reserve, find.patrol, find.reported_by, find.count, find.placement) == (
        reserve_a,
        patrol_a,
        ranger_a,
        4,
        "neck",
    )
    assert (find.material, find.state, find.action, find.catch_condition) == ("cable", "sprung", "destroyed", "dead")
    assert find.catch_species.scientific_name == "Capra sibirica"
    assert (find.location.x, find.location.y, find.location.srid, find.gps_accuracy_m) == (87.41, 50.11, 4326, 8.0)
    assert str(find.client_uuid) == item["client_uuid"]
    assert find.found_at.isoformat() == "2026-01-10T01:55:00+00:00"
    assert find.device_recorded_at.isoformat() == "2026-01-10T02:00:00+00:00"
    assert before <= find.created_at <= timezone.now()  # server receive time
    assert (find.needs_review, find.review_reasons, find.version, find.notes) == (
        False,
        [],
        1,
        "line of 4 on the ridge",
    )
    (created,) = find.history.all()
    assert (created.history_type, created.history_change_reason, created.history_user, created.notes) == (
        "+", "field sync", device.user, "line of 4 on the ridge")  # fmt: skip
    assert (created.location, created.client_uuid, created.found_at) == (find.location, find.client_uuid, find.found_at)
    receipt = SyncReceipt.objects.get()
    assert (receipt.kind, receipt.object_id, receipt.device) == ("snare_find", find.pk, device)


def test_the_same_item_sent_again_is_a_duplicate_with_the_original_id_and_changes_nothing(phone_a):
    client, device = phone_a
    item = snare_item()
    first = only_result(post(client, device, item))
    find = SnareFind.objects.get()
    updated_at = find.updated_at
    again = only_result(post(client, device, item))
    assert again == {"client_uuid": item["client_uuid"], "status": "duplicate", "id": first["id"], "errors": {}}
    find.refresh_from_db()
    assert (SnareFind.objects.count(), find.updated_at, find.history.count(), SyncReceipt.objects.count()) == (
        1,
        updated_at,
        1,
        1,
    )


def test_the_same_client_uuid_with_other_content_is_rejected_not_overwritten(phone_a):
    client, device = phone_a
    item = snare_item(count=1)
    only_result(post(client, device, item))
    changed = {**item, "data": {**item["data"], "count": 7}}
    result = only_result(post(client, device, changed))
    assert result == {
        "client_uuid": item["client_uuid"], "status": "rejected", "id": None,
        "errors": {"client_uuid": ["This client UUID was already synced with different content; "
                                   "send changes as an edit with the record's version."]},
    }  # fmt: skip
    assert list(SnareFind.objects.values_list("count", flat=True)) == [1]


def test_a_batch_with_bad_items_stores_the_good_ones_and_answers_in_order(phone_a):
    client, device = phone_a
    good_1, good_2 = snare_item(), snare_item()
    bad_material = snare_item(material="titanium")
    no_uuid = {"kind": "snare_find", "recorded_at": "2026-01-10T09:00:00Z", "data": {}}
    response = post(client, device, good_1, bad_material, no_uuid, good_2)
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "rejected", "created"]
    assert results[1]["errors"] == {"material": ["'titanium' is not one of: wire, cable, nylon, other."]}
    assert results[2] == {"client_uuid": None, "status": "rejected", "id": None,
                          "errors": {"client_uuid": ["This field is required."]}}  # fmt: skip
    assert sorted(str(u) for u in SnareFind.objects.values_list("client_uuid", flat=True)) == sorted(
        [good_1["client_uuid"], good_2["client_uuid"]]
    )
    assert SyncReceipt.objects.count() == 2  # the rejected item can be sent again once fixed
    fixed = {**bad_material, "data": {**bad_material["data"], "material": "wire"}}
    assert only_result(post(client, device, fixed))["status"] == "created"


def test_the_same_uuid_twice_in_one_batch_is_one_record(phone_a):
    client, device = phone_a
    item = snare_item()
    other_content = {**item, "data": {**item["data"], "count": 3}}
    results = post(client, device, item, item, other_content).json()["results"]
    assert [r["status"] for r in results] == ["created", "duplicate", "rejected"]
    assert results[0]["id"] == results[1]["id"] == SnareFind.objects.get().pk


@pytest.mark.django_db(transaction=True)
def test_two_identical_batches_at_once_store_one_record(ranger_a, reserve_a, team_a):
    device, token = device_with_token(ranger_a, reserve_a, device_id="race-phone-1")
    items = [snare_item() for _ in range(30)]
    barrier = threading.Barrier(2)
    answers = []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
        try:
            barrier.wait()
            answers.append(client.post(URL, batch(device, *items), format="json").json()["results"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert SnareFind.objects.count() == 30
    assert SyncReceipt.objects.count() == 30
    statuses = sorted(r["status"] for results in answers for r in results)
    assert statuses == ["created"] * 30 + ["duplicate"] * 30
    ids = [{r["client_uuid"]: r["id"] for r in results} for results in answers]
    assert ids[0] == ids[1]


@pytest.mark.parametrize("size", [20, 200])
def test_a_batch_of_snare_finds_takes_the_same_queries_whatever_its_size(phone_a, django_assert_num_queries, patrol_a,
                                                                         size):  # fmt: skip
    client, device = phone_a
    items = [snare_item(patrol=patrol_a.pk, catch_species="Ovis ammon", catch_condition="dead") for _ in range(size)]
    # token, touch, membership, receipts look-up, species, patrols, membership + team (role rule), ONE
    # statement that claims the receipts and inserts the finds and their history, the follow-up outbox
    # message, and the savepoints around them
    with django_assert_num_queries(14):
        response = post(client, device, *items)
    assert {r["status"] for r in response.json()["results"]} == {"created"}
    assert SnareFind.objects.count() == size


def test_a_batch_over_the_limit_is_refused_whole(phone_a, settings):
    settings.IRBIS_SYNC_MAX_BATCH_ITEMS = 2
    client, device = phone_a
    response = post(client, device, snare_item(), snare_item(), snare_item())
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"items": ["At most 2 items per batch."]}
    assert SnareFind.objects.count() == 0


# --- validation with reasons ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coordinates", "field_error"),
    [
        ([187.0, 50.1], "Longitude must be between -180 and 180."),
        ([87.4, 91.0], "Latitude must be between -90 and 90."),
        ([87.4, -90.5], "Latitude must be between -90 and 90."),
        (["87.4", 50.1], "A number is required."),
    ],
)
def test_coordinates_out_of_range_are_rejected(phone_a, coordinates, field_error):
    client, device = phone_a
    result = only_result(post(client, device, snare_item(location={"type": "Point", "coordinates": coordinates})))
    assert (result["status"], result["errors"]) == ("rejected", {"location": [field_error]})
    assert SnareFind.objects.count() == 0


def _metres_outside(lon, lat, reserve):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Distance(ST_Transform(boundary, %s), ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s))"
            " FROM patrol_reserve WHERE id = %s",
            [reserve.projected_epsg, lon, lat, reserve.projected_epsg, reserve.pk],
        )
        return cursor.fetchone()[0]


def test_a_point_far_outside_the_reserve_is_stored_but_flagged_for_review(phone_a, reserve_a):
    client, device = phone_a
    lon, lat = 87.65, 50.1  # east of the reserve's 87.6 edge
    result = only_result(post(client, device, snare_item(location={"type": "Point", "coordinates": [lon, lat]})))
    assert result["status"] == "created"
    find = SnareFind.objects.get()
    distance = round(_metres_outside(lon, lat, reserve_a))
    assert 3500 < distance < 3600  # 0.05 degrees of longitude at 50 N, measured in UTM 45N
    assert find.needs_review is True
    assert find.review_reasons == [
        {"code": "outside_reserve", "distance_m": distance, "message": f"{distance} m outside the reserve boundary."}
    ]


@pytest.mark.parametrize("lon", [87.41, 87.6, 87.605])  # inside, on the edge, ~360 m outside (under 1000 m)
def test_points_inside_or_near_the_reserve_are_not_flagged(phone_a, lon):
    client, device = phone_a
    only_result(post(client, device, snare_item(location={"type": "Point", "coordinates": [lon, 50.1]})))
    assert SnareFind.objects.values_list("needs_review", "review_reasons").get() == (False, [])


def test_the_outside_distance_is_a_setting(phone_a, settings):
    settings.IRBIS_SYNC_OUTSIDE_RESERVE_FLAG_M = 100
    client, device = phone_a
    only_result(post(client, device, snare_item(location={"type": "Point", "coordinates": [87.605, 50.1]})))
    assert SnareFind.objects.get().needs_review is True


def test_poor_gps_accuracy_is_flagged(phone_a, settings):
    settings.IRBIS_SYNC_ACCURACY_FLAG_M = 50
    client, device = phone_a
    results = post(client, device, snare_item(gps_accuracy_m=50.0), snare_item(gps_accuracy_m=120.0)).json()
    assert [r["status"] for r in results["results"]] == ["created", "created"]
    flagged = SnareFind.objects.get(gps_accuracy_m=120.0)
    assert flagged.review_reasons == [
        {"code": "low_gps_accuracy", "accuracy_m": 120.0, "message": "GPS accuracy 120 m is worse than 50 m."}
    ]
    assert SnareFind.objects.get(gps_accuracy_m=50.0).needs_review is False


def test_negative_accuracy_is_rejected(phone_a):
    client, device = phone_a
    result = only_result(post(client, device, snare_item(gps_accuracy_m=-1)))
    assert result["errors"] == {"gps_accuracy_m": ["GPS accuracy cannot be negative."]}


def test_times_in_the_future_beyond_the_clock_skew_are_rejected(phone_a, settings):
    settings.IRBIS_SYNC_CLOCK_SKEW_S = 300
    client, device = phone_a
    now = timezone.now()
    within = (now + timedelta(seconds=200)).isoformat()
    beyond = (now + timedelta(seconds=900)).isoformat()
    ok = only_result(post(client, device, snare_item(found_at=within, recorded_at=within)))
    late_find = only_result(post(client, device, snare_item(found_at=beyond)))
    late_record = only_result(post(client, device, snare_item(recorded_at=beyond)))
    assert ok["status"] == "created"
    assert late_find["status"] == late_record["status"] == "rejected"
    assert list(late_find["errors"]) == ["found_at"]
    assert late_find["errors"]["found_at"][0].startswith("This time is in the future (server time ")
    assert list(late_record["errors"]) == ["recorded_at"]
    assert SnareFind.objects.count() == 1


def test_a_time_without_its_utc_offset_is_rejected(phone_a):
    client, device = phone_a
    result = only_result(post(client, device, snare_item(found_at="2026-01-10T08:55:00")))
    assert result["errors"] == {"found_at": ["Give the time with its UTC offset, e.g. 2026-01-15T08:30:00+07:00."]}


def test_unknown_species_are_rejected(phone_a):
    client, device = phone_a
    detection = {"kind": "detection", "client_uuid": str(uuid.uuid4()), "recorded_at": "2026-01-10T09:00:00Z",
                 "data": {"location": POINT_IN_A, "species": "Panthera yeti", "method": "track"}}  # fmt: skip
    snare = snare_item(catch_species="Panthera yeti", catch_condition="dead")
    results = post(client, device, detection, snare).json()["results"]
    assert results[0]["errors"] == {"species": ["Unknown species: 'Panthera yeti'."]}
    assert results[1]["errors"] == {"catch_species": ["Unknown species: 'Panthera yeti'."]}
    assert (Detection.objects.count(), SnareFind.objects.count()) == (0, 0)


def test_a_sighting_is_stored_with_species_method_and_count(phone_a, ranger_a):
    client, device = phone_a
    item = {"kind": "detection", "client_uuid": str(uuid.uuid4()), "recorded_at": "2026-01-10T09:00:00Z",
            "data": {"location": POINT_IN_A, "species": "panthera uncia", "method": "sighting", "count": 2,
                     "gps_accuracy_m": 5}}  # fmt: skip
    assert only_result(post(client, device, item))["status"] == "created"
    detection = Detection.objects.get()
    assert (detection.species.scientific_name, detection.method, detection.count, detection.reported_by) == (
        "Panthera uncia",
        "sighting",
        2,
        ranger_a,
    )
    assert detection.observed_at == detection.device_recorded_at


def test_unknown_fields_and_missing_required_fields_are_named(phone_a):
    client, device = phone_a
    item = snare_item(colour="red")
    del item["data"]["material"]
    result = only_result(post(client, device, item))
    assert result["errors"] == {"colour": ["Unknown field."], "material": ["This field is required."]}


def test_a_catch_species_needs_a_catch_condition(phone_a):
    client, device = phone_a
    result = only_result(post(client, device, snare_item(catch_species="Ovis ammon")))
    assert result["errors"] == {
        "catch_condition": ["A catch species is given: say whether it was alive, injured or dead."]
    }


# --- patrols, tracks and incidents ------------------------------------------------------------------------


def test_a_patrol_started_offline_its_track_and_its_finds_arrive_in_one_batch(
    phone_a, ranger_a, team_a, reserve_a, django_capture_on_commit_callbacks
):
    client, device = phone_a
    patrol_uuid = str(uuid.uuid4())
    patrol = {"kind": "patrol", "client_uuid": patrol_uuid, "recorded_at": "2026-01-10T07:00:00Z",
              "data": {"team": team_a.pk, "transport": "ski", "actual_start": "2026-01-10T07:00:00Z"}}  # fmt: skip
    points = {"kind": "track_points", "client_uuid": str(uuid.uuid4()), "recorded_at": "2026-01-10T08:00:00Z",
              "data": {"patrol_uuid": patrol_uuid, "segment": 0, "points": [
                  ["2026-01-10T07:00:00Z", 87.40, 50.10, 5.0], ["2026-01-10T07:30:00Z", 87.41, 50.10, 6.0],
                  ["2026-01-10T08:00:00Z", 87.42, 50.10, None]]}}  # fmt: skip
    after_pause = {"kind": "track_points", "client_uuid": str(uuid.uuid4()), "recorded_at": "2026-01-10T09:00:00Z",
                   "data": {"patrol_uuid": patrol_uuid, "segment": 1, "points": [
                       ["2026-01-10T08:30:00Z", 87.42, 50.11, 4.0],
                       ["2026-01-10T09:00:00Z", 87.43, 50.11, 4.0]]}}  # fmt: skip
    find = snare_item(patrol_uuid=patrol_uuid)
    with django_capture_on_commit_callbacks(execute=True):
        results = post(client, device, find, points, patrol, after_pause).json()["results"]
    assert [r["status"] for r in results] == ["created"] * 4
    created = Patrol.objects.get(client_uuid=patrol_uuid)
    assert (created.team, created.leader, created.status, created.transport) == (team_a, ranger_a, "in_progress", "ski")
    assert results[2]["id"] == results[1]["id"] == results[3]["id"] == created.pk
    assert SnareFind.objects.get().patrol == created
    assert TrackPoint.objects.filter(patrol=created).count() == 5
    assert [list(line.coords) for line in created.track] == [
        [(87.40, 50.10), (87.41, 50.10), (87.42, 50.10)],
        [(87.42, 50.11), (87.43, 50.11)],
    ]
    expected_km = sum(line.transform(32645, clone=True).length for line in created.track) / 1000
    assert created.track_length_km == pytest.approx(expected_km, rel=1e-9)  # measured after commit (eager)
    again = post(client, device, points).json()["results"][0]
    assert (again["status"], TrackPoint.objects.count()) == ("duplicate", 5)


def test_a_ranger_cannot_log_on_another_teams_patrol(phone_a, reserve_a):
    client, device = phone_a
    other = PatrolFactory(reserve=reserve_a, team=TeamFactory(reserve=reserve_a, name="Other"))
    result = only_result(post(client, device, snare_item(patrol=other.pk)))
    assert result["errors"] == {"patrol": ["Unknown patrol."]}  # invisible to the ranger
    assert SnareFind.objects.count() == 0


def test_an_incident_links_snare_finds_by_their_client_uuids(phone_a):
    client, device = phone_a
    find = snare_item()
    incident = {"kind": "incident", "client_uuid": str(uuid.uuid4()), "recorded_at": "2026-01-10T09:00:00Z",
                "data": {"location": POINT_IN_A, "kind": "poacher_camp", "description": "fresh fire",
                         "snare_find_uuids": [find["client_uuid"]]}}  # fmt: skip
    results = post(client, device, find, incident).json()["results"]
    assert [r["status"] for r in results] == ["created", "created"]
    stored = Incident.objects.get()
    assert (stored.kind, stored.description, list(stored.snare_finds.all())) == (
        "poacher_camp",
        "fresh fire",
        [SnareFind.objects.get()],
    )
    assert stored.occurred_at.isoformat() == "2026-01-10T09:00:00+00:00"


def test_an_analyst_cannot_sync_and_nothing_is_stored(analyst_a, reserve_a):
    client, device = device_client(analyst_a, reserve_a)
    response = post(client, device, snare_item())
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Your role in this reserve is read-only."
    assert (SnareFind.objects.count(), SyncReceipt.objects.count()) == (0, 0)


# --- edits after sync --------------------------------------------------------------------------------------


def _edit(client, client_uuid, version, data):
    return client.patch(f"/api/v1/sync/records/{client_uuid}/", {"version": version, "data": data}, format="json")


def test_an_edit_with_the_current_version_applies_and_a_stale_one_is_409(phone_a, manager_a, reserve_a):
    client, device = phone_a
    item = snare_item()
    only_result(post(client, device, item))
    edited = _edit(client, item["client_uuid"], 1, {"count": 3})
    assert edited.status_code == 200, edited.json()
    assert edited.json()["version"] == 2
    manager, _device = device_client(manager_a, reserve_a)
    assert _edit(manager, item["client_uuid"], 2, {"state": "old"}).status_code == 200
    stale = _edit(client, item["client_uuid"], 2, {"count": 5})
    assert stale.status_code == 409
    assert stale.json() == {
        "error": {"code": "conflict", "message": "This record changed since: it is at version 3.",
                  "fields": {"version": ["This record changed since: it is at version 3."]}},
        "current_version": 3,
    }  # fmt: skip
    find = SnareFind.objects.get()
    assert (find.count, find.state, find.version) == (3, "old", 3)


def test_the_same_edit_sent_twice_changes_nothing_the_second_time(phone_a):
    client, device = phone_a
    item = snare_item()
    only_result(post(client, device, item))
    assert _edit(client, item["client_uuid"], 1, {"count": 3}).json()["version"] == 2
    retry = _edit(client, item["client_uuid"], 1, {"count": 3})
    assert (retry.status_code, retry.json()["version"]) == (200, 2)
    assert SnareFind.objects.get().history.count() == 2


def test_an_edit_moving_a_point_is_checked_and_flagged_again(phone_a):
    client, device = phone_a
    item = snare_item()
    only_result(post(client, device, item))
    bad = _edit(client, item["client_uuid"], 1, {"location": {"type": "Point", "coordinates": [200, 50]}})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"location": ["Longitude must be between -180 and 180."]}
    far = _edit(client, item["client_uuid"], 1, {"location": {"type": "Point", "coordinates": [88.0, 50.1]}})
    assert far.status_code == 200
    assert SnareFind.objects.get().review_reasons[0]["code"] == "outside_reserve"


def test_a_ranger_ends_their_patrol_started_offline(phone_a, team_a):
    client, device = phone_a
    patrol_uuid = str(uuid.uuid4())
    start = {"kind": "patrol", "client_uuid": patrol_uuid, "recorded_at": "2026-01-10T07:00:00Z",
             "data": {"team": team_a.pk}}  # fmt: skip
    only_result(post(client, device, start))
    ended = _edit(client, patrol_uuid, 1, {"status": "completed", "actual_end": "2026-01-10T15:00:00Z"})
    assert ended.status_code == 200, ended.json()
    patrol = Patrol.objects.get()
    assert (patrol.status, patrol.actual_end.isoformat(), patrol.version) == (
        "completed",
        "2026-01-10T15:00:00+00:00",
        2,
    )


def test_a_ranger_cannot_edit_a_team_mates_record(phone_a, reserve_a, team_a, patrol_a):
    other_ranger = member(reserve_a, Role.RANGER, username="other_ranger")
    team_a.members.add(other_ranger)
    client, device = phone_a
    item = snare_item(patrol=patrol_a.pk)
    only_result(post(client, device, item))
    other, _device = device_client(other_ranger, reserve_a)
    response = _edit(other, item["client_uuid"], 1, {"count": 9})
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Only managers and the record's author may change it."
    assert SnareFind.objects.get().count == 1


# --- across reserves ---------------------------------------------------------------------------------


def test_a_member_of_reserve_a_cannot_sync_into_reserve_b(phone_a, reserve_b):
    client, device = phone_a
    b_patrol = PatrolFactory(reserve=reserve_b)
    results = post(client, device, snare_item(reserve="reserve-b"), snare_item(patrol=b_patrol.pk)).json()["results"]
    assert results[0]["errors"] == {"reserve": ["No reserve 'reserve-b' on this device: it syncs into 'reserve-a'."]}
    assert results[1]["errors"] == {"patrol": ["Unknown patrol."]}
    assert SnareFind.objects.count() == 0


def test_a_records_client_uuid_in_reserve_b_is_invisible_from_reserve_a(phone_a, manager_b, reserve_b):
    phone_b, device_b = device_client(manager_b, reserve_b)
    item = snare_item(location={"type": "Point", "coordinates": [87.41, 50.11]})
    only_result(post(phone_b, device_b, item))
    client, device = phone_a
    response = _edit(client, item["client_uuid"], 1, {"count": 9})
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "message": "Not found.", "fields": {}}
    # The same UUID synced into reserve A is a new record there: receipts are per reserve.
    assert only_result(post(client, device, item))["status"] == "created"
    assert SnareFind.objects.get(reserve=reserve_b).count == 1


def test_bootstrap_holds_only_the_devices_reserve(phone_a, patrol_a, reserve_b):
    PatrolFactory(reserve=reserve_b, status=Patrol.Status.PLANNED)
    client, _device = phone_a
    body = client.get("/api/v1/sync/bootstrap/").json()
    assert body["reserve"] == {"slug": "reserve-a", "name": "Reserve A", "bbox": [87.2, 49.9, 87.6, 50.3]}
    assert [p["id"] for p in body["patrols"]] == [patrol_a.pk]
    assert [t["name"] for t in body["teams"]] == ["Team A"]
    assert "Panthera uncia" in [s["scientific_name"] for s in body["species"]]


def test_a_device_whose_user_left_the_reserve_is_answered_404(phone_a, ranger_a, reserve_a):
    client, device = phone_a
    ranger_a.memberships.all().delete()
    response = post(client, device, snare_item())
    assert response.status_code == 404
    assert SnareFind.objects.count() == 0


def test_records_made_elsewhere_keep_their_unique_client_uuid(phone_a, reserve_a):
    """A find already stored with this UUID (say, by an import) without a receipt: rejected, not a 500."""
    client, device = phone_a
    item = snare_item()
    SnareFindFactory(reserve=reserve_a, client_uuid=item["client_uuid"])
    result = only_result(post(client, device, item))
    assert result["status"] == "rejected"
    assert "client_uuid" in str(result["errors"]) or "UUID" in str(result["errors"])
    assert SnareFind.objects.count() == 1
    assert SyncReceipt.objects.count() == 0


def test_each_result_id_is_the_record_made_from_that_item(phone_a):
    client, device = phone_a
    items = [snare_item(count=n) for n in range(1, 31)]
    results = post(client, device, *items).json()["results"]
    assert [r["status"] for r in results] == ["created"] * 30
    for item, result in zip(items, results, strict=True):
        find = SnareFind.objects.get(pk=result["id"])
        assert (str(find.client_uuid), find.count) == (item["client_uuid"], item["data"]["count"])

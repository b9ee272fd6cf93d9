"""The bulk path of a sync batch (threats/fieldsync/bulk.py): one statement claims the receipts and stores snare
finds and detections with their history; the database refusing a row sends the kind to the per-record services."""

import uuid

import pytest

from tests.threats.factories import SnareFindFactory
from tests.threats.fieldsync.factories import POINT_IN_A, batch, device_client, snare_item
from threats.fieldsync.models import SyncReceipt
from threats.records.models import Detection, SnareFind

pytestmark = pytest.mark.django_db

URL = "/api/v1/sync/"


@pytest.fixture
def phone_a(ranger_a, reserve_a, team_a):
    return device_client(ranger_a, reserve_a, device_id="phone-a-0001")


def post(client, device, *items):
    response = client.post(URL, batch(device, *items), format="json")
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def detection_item(**data):
    fields = {"location": POINT_IN_A, "species": "Panthera uncia", "method": "track", **data}
    return {"kind": "detection", "client_uuid": str(uuid.uuid4()), "recorded_at": "2026-01-10T09:00:00+07:00",
            "data": fields}  # fmt: skip


def test_finds_and_detections_of_one_batch_are_stored_with_their_history_and_receipts(phone_a, ranger_a):
    client, device = phone_a
    find, sign = snare_item(notes="ridge"), detection_item(count=3, individual_id="Khan")
    results = post(client, device, find, sign)
    assert [r["status"] for r in results] == ["created", "created"]
    stored_find, stored_sign = SnareFind.objects.get(), Detection.objects.get()
    assert [r["id"] for r in results] == [stored_find.pk, stored_sign.pk]
    assert (stored_sign.count, stored_sign.individual_id, stored_sign.species.scientific_name, stored_sign.method) == (
        3, "Khan", "Panthera uncia", "track")  # fmt: skip
    assert (stored_sign.observed_at.isoformat(), stored_sign.reported_by, stored_sign.version) == (
        "2026-01-10T02:00:00+00:00", ranger_a, 1)  # fmt: skip
    for record in (stored_find, stored_sign):
        (created,) = record.history.all()
        assert (created.history_type, created.history_change_reason, created.history_user, created.location) == (
            "+", "field sync", ranger_a, record.location)  # fmt: skip
    receipts = {str(r.client_uuid): (r.kind, r.object_id, r.device) for r in SyncReceipt.objects.all()}
    assert receipts == {find["client_uuid"]: ("snare_find", stored_find.pk, device),
                        sign["client_uuid"]: ("detection", stored_sign.pk, device)}  # fmt: skip


def test_fields_one_item_gives_and_another_does_not_take_the_model_defaults(phone_a):
    client, device = phone_a
    full = snare_item(placement="neck", catch_species="Capra sibirica", catch_condition="dead", notes="by the ford")
    plain = snare_item()
    del plain["data"]["gps_accuracy_m"]
    post(client, device, full, plain)
    rows = {str(f.client_uuid): (f.placement, f.catch_condition, f.catch_species_id is None, f.notes, f.gps_accuracy_m,
                                 f.count) for f in SnareFind.objects.all()}  # fmt: skip
    assert rows == {full["client_uuid"]: ("neck", "dead", False, "by the ford", 8.0, 1),
                    plain["client_uuid"]: ("unknown", "none", True, "", None, 1)}  # fmt: skip


def test_a_point_is_stored_with_every_digit_it_was_sent_with(phone_a):
    client, device = phone_a
    lon, lat = 87.41234567890123, 50.10987654321098
    post(client, device, snare_item(location={"type": "Point", "coordinates": [lon, lat]}))
    location = SnareFind.objects.get().location
    assert (location.x, location.y, location.srid) == (lon, lat, 4326)


def test_a_batch_half_stored_before_stores_the_rest_and_answers_the_rest_as_duplicates(phone_a):
    client, device = phone_a
    a, b, c, d = (snare_item(count=n) for n in (1, 2, 3, 4))
    first = post(client, device, a, b)
    again = post(client, device, a, c, b, d)
    assert [r["status"] for r in again] == ["duplicate", "created", "duplicate", "created"]
    assert [again[0]["id"], again[2]["id"]] == [first[0]["id"], first[1]["id"]]
    by_uuid = {str(f.client_uuid): (f.pk, f.count) for f in SnareFind.objects.all()}
    assert by_uuid == {a["client_uuid"]: (first[0]["id"], 1), b["client_uuid"]: (first[1]["id"], 2),
                       c["client_uuid"]: (again[1]["id"], 3), d["client_uuid"]: (again[3]["id"], 4)}  # fmt: skip
    assert SyncReceipt.objects.count() == 4


def test_a_row_the_database_refuses_sends_the_kind_to_the_services_and_only_it_is_rejected(phone_a, reserve_a):
    """A find imported earlier with the same client UUID (no receipt): the bulk statement is undone whole,
    then each find goes through snare_find_create in its own savepoint."""
    client, device = phone_a
    good_1, clash, good_2 = snare_item(count=1), snare_item(count=2), snare_item(count=3)
    imported = SnareFindFactory(reserve=reserve_a, client_uuid=clash["client_uuid"], count=9)
    sign = detection_item()
    results = post(client, device, good_1, clash, sign, good_2)
    assert [r["status"] for r in results] == ["created", "rejected", "created", "created"]
    assert results[1]["errors"] == {"__all__": ["Snare find with this Reserve and Client UUID already exists."]}
    counts = {str(f.client_uuid): f.count for f in SnareFind.objects.all()}
    assert counts == {good_1["client_uuid"]: 1, clash["client_uuid"]: 9, good_2["client_uuid"]: 3}
    assert imported.history.count() == 1  # the import's own; nothing written for the clash
    receipts = {str(r.client_uuid): r.object_id for r in SyncReceipt.objects.all()}
    assert receipts == {good_1["client_uuid"]: results[0]["id"], sign["client_uuid"]: results[2]["id"],
                        good_2["client_uuid"]: results[3]["id"]}  # fmt: skip
    assert Detection.objects.get().pk == results[2]["id"]  # the detections' statement was not undone

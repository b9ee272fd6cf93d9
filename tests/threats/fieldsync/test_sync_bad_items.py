"""Sync batches with items that no parser or projection can take: each bad item is rejected alone, the rest stored."""

import json
import time
import uuid

import pytest
from rest_framework.exceptions import ValidationError

from tests.threats.fieldsync.factories import batch, device_client, snare_item
from threats.fieldsync.api.serializers import ItemSerializer
from threats.fieldsync.models import SyncReceipt
from threats.records.models import SnareFind

pytestmark = pytest.mark.django_db

URL = "/api/v1/sync/"


@pytest.fixture
def phone_a(ranger_a, reserve_a, team_a):
    return device_client(ranger_a, reserve_a, device_id="phone-a-0001")


@pytest.mark.parametrize(
    ("bad", "errors"),
    [
        (snare_item(location={"type": "Point", "coordinates": [0, 0]}),
         {"location": ["This point is too far from the reserve to be measured in its map projection."]}),
        (snare_item(notes="wire by the \ud800 ford"), {"notes": ["Text cannot contain lone surrogate characters."]}),
        (snare_item(catch_species="Panthera \udc00", catch_condition="dead"),
         {"catch_species": ["Unknown species: 'Panthera \udc00'."]}),
    ],
)  # fmt: skip
def test_a_bad_item_is_rejected_alone_and_the_rest_stored(phone_a, bad, errors):
    client, device = phone_a
    good = snare_item()
    # json.dumps escapes a lone surrogate as "\ud800", as a phone's JSON encoder would.
    response = client.post(URL, json.dumps(batch(device, good, bad)), content_type="application/json")
    assert response.status_code == 200, response.content
    first, second = response.json()["results"]
    assert first["status"] == "created"
    assert (second["status"], second["errors"]) == ("rejected", errors)
    assert list(SnareFind.objects.values_list("client_uuid", flat=True)) == [uuid.UUID(good["client_uuid"])]
    assert SyncReceipt.objects.count() == 1


def test_json_nested_50000_deep_is_a_quick_400_in_the_error_shape(phone_a):
    client, device = phone_a
    deep = "[" * 50_000 + "]" * 50_000
    body = '{"device_id": "phone-a-0001", "items": [' + deep + "]}"
    started = time.monotonic()
    response = client.post(URL, body, content_type="application/json")
    assert time.monotonic() - started < 2
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["fields"]) == ("parse_error", {})
    assert SnareFind.objects.count() == SyncReceipt.objects.count() == 0


ENVELOPES = [
    {"kind": "snare_find", "client_uuid": str(uuid.uuid4()), "recorded_at": "2026-01-10T09:00:00+07:00", "data": {}},
    {"kind": "detection", "client_uuid": uuid.uuid4().hex, "recorded_at": "2026-01-10T09:00:00Z", "data": {"a": 1},
     "extra": "ignored"},
    {"kind": "snare_find", "client_uuid": str(uuid.uuid4()), "recorded_at": "2026-01-10T09:00:00", "data": {}},
    {"kind": "snare_find", "client_uuid": 12345, "recorded_at": "2026-01-10T09:00:00Z", "data": {}},
    {"kind": "evidence", "client_uuid": str(uuid.uuid4()), "recorded_at": "2026-01-10T09:00:00Z", "data": {}},
    {"kind": "snare_find", "client_uuid": "not-a-uuid", "recorded_at": "2026-01-10T09:00:00Z", "data": {}},
    {"kind": "snare_find", "client_uuid": str(uuid.uuid4()), "recorded_at": "yesterday", "data": {}},
    {"kind": "snare_find", "client_uuid": str(uuid.uuid4()), "recorded_at": 1767999600, "data": {}},
    {"kind": "snare_find", "client_uuid": None, "recorded_at": None, "data": None},
    {"kind": ["snare_find"], "client_uuid": str(uuid.uuid4()), "recorded_at": "2026-01-10T09:00:00Z", "data": []},
    {"client_uuid": str(uuid.uuid4())},
    "snare_find",
    [],
]  # fmt: skip


@pytest.mark.parametrize("raw", ENVELOPES)
def test_the_quick_envelope_check_gives_what_the_serializer_gives_or_leaves_it_to_the_serializer(raw):
    envelope = ItemSerializer()
    quick = envelope.well_formed(raw)
    try:
        full = envelope.run_validation(raw)
    except ValidationError:
        assert quick is None
    else:
        assert quick == dict(full)
        assert quick["recorded_at"].tzinfo == full["recorded_at"].tzinfo


def test_a_batch_in_any_other_shape_is_checked_by_the_serializer_with_its_messages(phone_a):
    client, device = phone_a
    good = snare_item()
    spaced = client.post(URL, {"device_id": f" {device.device_id} ", "items": [good]}, format="json")
    assert [r["status"] for r in spaced.json()["results"]] == ["created"]  # the serializer trims, as before
    with_null = client.post(URL, {"device_id": device.device_id, "items": [snare_item(), None]}, format="json")
    assert (with_null.status_code, with_null.json()["error"]["fields"]) == (
        400, {"items": {"1": ["This field may not be null."]}})  # fmt: skip
    other = client.post(URL, {"device_id": "phone-b-0001", "items": [snare_item()]}, format="json")
    assert (other.status_code, other.json()["error"]["fields"]) == (
        400, {"device_id": ["This token belongs to another device."]})  # fmt: skip
    assert list(SnareFind.objects.values_list("client_uuid", flat=True)) == [uuid.UUID(good["client_uuid"])]

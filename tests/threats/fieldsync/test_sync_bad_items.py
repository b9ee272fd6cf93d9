"""Sync batches with items that no parser or projection can take: each bad item is rejected alone, the rest stored."""

import json
import time
import uuid

import pytest

from tests.threats.fieldsync.factories import batch, device_client, snare_item
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

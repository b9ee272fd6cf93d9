"""Seizures and protocols logged at an incident in the field app: stored exactly once through the sync,
with their seized things as evidence and their photos as evidence items of their own."""

import hashlib
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory
from tests.threats.factories import IncidentFactory
from tests.threats.fieldsync.factories import POINT_IN_A, batch, device_client
from tests.threats.fieldsync.test_photos import PNG, PNG_SHA
from threats.enforcement.models import CustodyEvent, EnforcementAction, EvidenceItem
from threats.fieldsync.models import Photo, SyncReceipt
from threats.records.models import Incident

pytestmark = pytest.mark.django_db

URL = "/api/v1/sync/"
WHEN = "2026-01-10T11:00:00+07:00"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.IRBIS_PRIVATE_ROOT = tmp_path / "private"
    return settings.IRBIS_PRIVATE_ROOT


@pytest.fixture
def phone(ranger_a, reserve_a, team_a):
    return device_client(ranger_a, reserve_a, device_id="phone-a-0001")


def seizure(incident_ref: dict, *things: dict, client_uuid=None, **data) -> dict:
    fields = {"kind": "confiscation", "taken_at": WHEN, "location": POINT_IN_A, "place_name": "Upper Argut",
              "description": "Seized at the camp", **incident_ref, "items": list(things), **data}  # fmt: skip
    return {"kind": "action", "client_uuid": str(client_uuid or uuid.uuid4()), "recorded_at": WHEN, "data": fields}


def thing(kind="snares", quantity=1, description="") -> dict:
    return {"client_uuid": str(uuid.uuid4()), "kind": kind, "quantity": quantity, "description": description}


def results(response) -> list[dict]:
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_a_seizure_at_an_incident_synced_in_the_same_batch_is_stored_once(phone, ranger_a, reserve_a):
    client, device = phone
    incident_uuid = str(uuid.uuid4())
    incident = {"kind": "incident", "client_uuid": incident_uuid, "recorded_at": WHEN,
                "data": {"location": POINT_IN_A, "kind": "poacher_camp", "occurred_at": WHEN}}  # fmt: skip
    snares, rifle = thing("snares", 12, "steel cable"), thing("firearm", 1, "TOZ-17")
    action = seizure({"incident_uuid": incident_uuid}, snares, rifle)
    first = results(client.post(URL, batch(device, incident, action), format="json"))
    assert [r["status"] for r in first] == ["created", "created"]

    stored = EnforcementAction.objects.get()
    assert first[1]["id"] == stored.pk
    assert (stored.kind, stored.place_name, stored.reported_by, stored.client_uuid) == (
        "confiscation", "Upper Argut", ranger_a, uuid.UUID(action["client_uuid"]))  # fmt: skip
    assert list(stored.incidents.all()) == [Incident.objects.get(client_uuid=incident_uuid)]
    assert list(stored.officers.all()) == [ranger_a]
    items = {i.kind: i for i in EvidenceItem.objects.all()}
    assert sorted(items) == ["firearm", "snares"]
    assert (items["snares"].quantity, items["snares"].description, items["snares"].action) == (12, "steel cable",
                                                                                               stored)  # fmt: skip
    assert str(items["firearm"].client_uuid) == rifle["client_uuid"]
    assert items["firearm"].incident.client_uuid == uuid.UUID(incident_uuid)
    assert sorted(CustodyEvent.objects.values_list("kind", flat=True)) == ["collected", "collected"]

    # the same batch again (a retry after a lost answer): duplicates with the same ids, nothing new
    again = results(client.post(URL, batch(device, incident, action), format="json"))
    assert [(r["status"], r["id"]) for r in again] == [("duplicate", r["id"]) for r in first]
    assert (EnforcementAction.objects.count(), EvidenceItem.objects.count(), CustodyEvent.objects.count()) == (1, 2, 2)
    # the same client UUID with other content is refused
    changed = dict(action, data={**action["data"], "description": "changed"})
    (conflict,) = results(client.post(URL, batch(device, changed), format="json"))
    assert conflict["status"] == "rejected" and "client_uuid" in conflict["errors"]
    assert EnforcementAction.objects.get().description == "Seized at the camp"


def test_a_protocol_with_a_fine_at_a_synced_incident(phone, reserve_a, team_a, ranger_a):
    client, device = phone
    patrol = PatrolFactory(reserve=reserve_a, team=team_a, leader=ranger_a, track=None)
    incident = IncidentFactory(reserve=reserve_a, patrol=patrol, reported_by=ranger_a)
    protocol = seizure({"incident": incident.pk}, kind="protocol_fine", protocol_number="AP-17/2026",
                       fine_amount="3000.50", fine_currency="rub", patrol=patrol.pk, items=[])  # fmt: skip
    (result,) = results(client.post(URL, batch(device, protocol), format="json"))
    assert result["status"] == "created", result
    action = EnforcementAction.objects.get()
    assert (action.kind, action.protocol_number, action.fine_amount, action.fine_currency) == (
        "protocol_fine", "AP-17/2026", Decimal("3000.50"), "RUB")  # fmt: skip
    assert (action.patrol, action.team) == (patrol, team_a)
    assert SyncReceipt.objects.get(client_uuid=protocol["client_uuid"]).kind == "action"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"kind": "execution"},
            "kind",
            "'execution' is not one of: arrest, detention, warning, protocol_fine, "
            "confiscation, referral_police, referral_prosecutor.",
        ),
        (
            {"items": [{"kind": "rocket", "quantity": 1}]},
            "items",
            [
                "Item 0: client_uuid: This field is required.",
                "Item 0: kind: 'rocket' is not one of: ammunition, "
                "firearm, meat, musk_pod, other, pelt, snares, "
                "vehicle.",
            ],
        ),
        (
            {"items": [thing("photo")]},
            "items",
            "Item 0: kind: 'photo' is not one of: ammunition, firearm, meat, musk_pod, other, pelt, snares, vehicle.",
        ),
        ({"items": [thing(quantity=0)]}, "items", "Item 0: quantity: Must be at least 1."),
        ({"items": [{"kind": "snares", "weight": 3}]}, "items", "Item 0: weight: Unknown field."),
        ({"fine_amount": "lots"}, "fine_amount", "A number is required."),
        ({"fine_amount": 500}, "fine_currency", "A fine needs its currency, e.g. RUB."),
        ({"fine_amount": -5, "fine_currency": "RUB"}, "fine_amount", "A fine is between 0 and 1000000000000."),
        ({"fine_currency": "RUBLES"}, "fine_currency", "At most 3 characters."),
        ({"taken_at": "2090-01-01T00:00:00+00:00"}, "taken_at", None),
        ({"incident": None}, "incident", "Give the incident: its id or its client UUID (one of them)."),
        ({"incident": 999999}, "incident", "Unknown incident."),
    ],
)
def test_a_bad_seizure_is_rejected_alone(phone, reserve_a, ranger_a, change, field, message):
    client, device = phone
    incident = IncidentFactory(reserve=reserve_a, reported_by=ranger_a)
    good = seizure({"incident": incident.pk}, thing())
    bad = seizure({"incident": incident.pk}, thing())
    bad["data"].update(change)
    outcome = results(client.post(URL, batch(device, good, bad), format="json"))
    assert [r["status"] for r in outcome] == ["created", "rejected"]
    assert list(outcome[1]["errors"]) == [field]
    if message:
        assert outcome[1]["errors"][field] == (message if isinstance(message, list) else [message])
    assert (EnforcementAction.objects.count(), EvidenceItem.objects.count()) == (1, 1)
    assert not SyncReceipt.objects.filter(client_uuid=bad["client_uuid"]).exists()


def test_an_incident_the_ranger_cannot_see_or_of_another_reserve_is_unknown(phone, reserve_a, reserve_b, team_a):
    client, device = phone
    others = IncidentFactory(reserve=reserve_a, patrol=PatrolFactory(reserve=reserve_a))  # another team's patrol
    foreign = IncidentFactory(reserve=reserve_b)
    outcome = results(client.post(URL, batch(device, seizure({"incident": others.pk}),
                                             seizure({"incident": foreign.pk})), format="json"))  # fmt: skip
    assert [(r["status"], r["errors"]) for r in outcome] == [("rejected", {"incident": ["Unknown incident."]})] * 2
    assert EnforcementAction.objects.count() == 0


def test_an_analyst_cannot_log_a_seizure(reserve_a, analyst_a):
    client, device = device_client(analyst_a, reserve_a, device_id="phone-analyst")
    incident = IncidentFactory(reserve=reserve_a)
    response = client.post(URL, batch(device, seizure({"incident": incident.pk})), format="json")
    assert response.status_code == 403
    assert EnforcementAction.objects.count() == 0


def test_the_photo_of_a_seized_thing_becomes_an_evidence_photo_once(phone, reserve_a, ranger_a, private_root):
    client, device = phone
    incident = IncidentFactory(reserve=reserve_a, reported_by=ranger_a)
    pelt = thing("pelt", 1, "musk deer")
    assert results(client.post(URL, batch(device, seizure({"incident": incident.pk}, pelt)), format="json"))[0][
        "status"] == "created"  # fmt: skip
    url = f"/api/v1/sync/photos/{pelt['client_uuid']}/{PNG_SHA}/"
    first = client.generic("PUT", url, PNG, content_type="image/png")
    again = client.generic("PUT", url, PNG, content_type="image/png")
    assert (first.status_code, again.status_code) == (201, 200), first.json()
    photo = Photo.objects.get()
    assert (photo.record_kind, photo.object_id) == ("evidence", EvidenceItem.objects.get(kind="pelt").pk)
    evidence = EvidenceItem.objects.get(kind="photo")
    assert (evidence.sha256, evidence.size_bytes, evidence.action, evidence.incident) == (
        PNG_SHA, len(PNG), EnforcementAction.objects.get(), incident)  # fmt: skip
    assert hashlib.sha256((Path(private_root) / evidence.path).read_bytes()).hexdigest() == PNG_SHA
    assert evidence.collected_by == ranger_a
    assert EvidenceItem.objects.count() == 2
    # a photo for a seized thing of another reserve's or an unknown UUID: 404, nothing stored
    missing = client.generic("PUT", f"/api/v1/sync/photos/{uuid.uuid4()}/{PNG_SHA}/", PNG, content_type="image/png")
    assert missing.status_code == 404
    assert (Photo.objects.count(), EvidenceItem.objects.count()) == (1, 2)


def test_another_ranger_cannot_attach_a_photo_to_my_seizure(phone, reserve_a, ranger_a):
    client, device = phone
    incident = IncidentFactory(reserve=reserve_a, reported_by=ranger_a)
    rifle = thing("firearm")
    client.post(URL, batch(device, seizure({"incident": incident.pk}, rifle)), format="json")
    stranger = member(reserve_a, Role.RANGER, username="stranger")
    other, _device = device_client(stranger, reserve_a, device_id="phone-stranger")
    response = other.generic("PUT", f"/api/v1/sync/photos/{rifle['client_uuid']}/{PNG_SHA}/", PNG,
                             content_type="image/png")  # fmt: skip
    assert response.status_code == 404
    assert (Photo.objects.count(), EvidenceItem.objects.count()) == (0, 1)


def test_the_photo_of_a_protocol_becomes_evidence_of_the_action(phone, reserve_a, ranger_a):
    client, device = phone
    incident = IncidentFactory(reserve=reserve_a, reported_by=ranger_a)
    protocol = seizure({"incident": incident.pk}, kind="protocol_fine", protocol_number="AP-3")
    assert results(client.post(URL, batch(device, protocol), format="json"))[0]["status"] == "created"
    response = client.generic("PUT", f"/api/v1/sync/photos/{protocol['client_uuid']}/{PNG_SHA}/", PNG,
                              content_type="image/png")  # fmt: skip
    assert response.status_code == 201, response.json()
    action = EnforcementAction.objects.get()
    evidence = EvidenceItem.objects.get()
    assert (evidence.kind, evidence.action, evidence.incident, evidence.sha256) == ("photo", action, incident, PNG_SHA)
    assert evidence.description == f"Photo of: {action}"
    assert Photo.objects.get().record_kind == "action"

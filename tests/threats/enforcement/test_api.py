"""The enforcement API: who sees suspects and cases, what rangers log, append-only custody, originals."""

import hashlib
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory
from tests.threats.enforcement.factories import (
    CaseFactory,
    CustodyEventFactory,
    EnforcementActionFactory,
    EvidenceItemFactory,
    SuspectFactory,
)
from tests.threats.factories import IncidentFactory
from threats.enforcement.models import Case, CustodyEvent, EnforcementAction, EvidenceItem, Suspect

POINT = {"type": "Point", "coordinates": [87.4321, 50.1234]}
WHEN = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


@pytest.fixture
def suspect(reserve_a):
    return SuspectFactory(reserve=reserve_a, full_name="Пётр Сидоров", document="passport 0101 123456")


@pytest.fixture
def case(reserve_a, suspect):
    case = CaseFactory(reserve=reserve_a, number="12-7/2026")
    case.suspects.set([suspect])
    return case


# --- suspects and cases: managers and administrators of the reserve only ---------------------------------


@pytest.mark.parametrize("url", ["/api/v1/suspects/", "/api/v1/cases/"])
def test_managers_and_admins_see_suspects_and_cases(api, reserve_a, manager_a, case, suspect, url):
    reserve_admin = member(reserve_a, Role.ADMIN)
    for user in (manager_a, reserve_admin):
        api.force_authenticate(user)
        body = api.get(url).json()
        assert [row["id"] for row in body["results"]] == [suspect.pk if "suspects" in url else case.pk]
    assert api.get(f"/api/v1/cases/{case.pk}/").json()["suspects"] == [suspect.pk]


@pytest.mark.parametrize("role", [Role.RANGER, Role.ANALYST])
@pytest.mark.parametrize("kind", ["suspects", "cases"])
def test_rangers_and_analysts_get_no_suspects_or_cases(api, reserve_a, case, suspect, role, kind):
    api.force_authenticate(member(reserve_a, role, clearance=True))
    obj = suspect if kind == "suspects" else case
    assert api.get(f"/api/v1/{kind}/").json()["results"] == []
    assert api.get(f"/api/v1/{kind}/{obj.pk}/").status_code == 404
    assert api.patch(f"/api/v1/{kind}/{obj.pk}/", {"notes": "x"}, format="json").status_code == 404
    body = {"reserve": "reserve-a", "full_name": "X"} if kind == "suspects" else {
        "reserve": "reserve-a", "number": "N-1", "agency": "Police", "opened_on": "2026-02-01"}  # fmt: skip
    response = api.post(f"/api/v1/{kind}/", body, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert Suspect.objects.count() == 1 and Case.objects.count() == 1
    obj.refresh_from_db()
    assert obj.notes == ""


@pytest.mark.parametrize("kind", ["suspects", "cases"])
def test_another_reserves_manager_cannot_reach_suspects_or_cases(api, manager_b, case, suspect, kind):
    api.force_authenticate(manager_b)
    obj = suspect if kind == "suspects" else case
    assert api.get(f"/api/v1/{kind}/").json()["results"] == []
    assert api.get(f"/api/v1/{kind}/{obj.pk}/").status_code == 404
    assert api.delete(f"/api/v1/{kind}/{obj.pk}/").status_code in (404, 405)
    response = api.post(f"/api/v1/{kind}/", {"reserve": "reserve-a", "full_name": "X", "number": "1",
                                              "agency": "P", "opened_on": "2026-01-01"}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["reserve"] == ["No reserve 'reserve-a' among your reserves."]
    assert Suspect.objects.count() == 1 and Case.objects.count() == 1


def test_a_manager_opens_a_case_and_its_timeline_follows(api, manager_a, reserve_a, suspect):
    incident = IncidentFactory(reserve=reserve_a)
    action = EnforcementActionFactory(reserve=reserve_a, kind="referral_police")
    api.force_authenticate(manager_a)
    response = api.post("/api/v1/cases/", {
        "reserve": "reserve-a", "number": "12-9/2026", "agency": "Kosh-Agach police", "opened_on": "2026-02-01",
        "charges": "Art. 258.1 part 1", "incidents": [incident.pk], "suspects": [suspect.pk], "actions": [action.pk],
    }, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    case_id = response.json()["id"]
    assert response.json()["actions"] == [action.pk]
    response = api.patch(f"/api/v1/cases/{case_id}/", {"status": "closed", "closed_on": "2026-06-01",
                         "verdict": "convicted", "verdict_on": "2026-05-30", "fine_amount": "250000.00",
                         "fine_currency": "RUB"}, format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    kinds = [(e["kind"], e["occurred_on"]) for e in response.json()["events"]]
    assert kinds == [("opened", "2026-02-01"), ("verdict", "2026-05-30"), ("closed", "2026-06-01")]
    appeal = {"kind": "appeal", "occurred_on": "2026-06-10", "description": "Defence appealed"}
    response = api.post(f"/api/v1/cases/{case_id}/events/", appeal, format="json")
    assert response.status_code == 201
    assert Case.objects.get(pk=case_id).events.count() == 4


def test_a_duplicate_case_number_is_a_400_not_a_500(api, manager_a, case):
    api.force_authenticate(manager_a)
    response = api.post("/api/v1/cases/", {"reserve": "reserve-a", "number": case.number, "agency": case.agency,
                                           "opened_on": "2026-02-01"}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert Case.objects.count() == 1


# --- actions --------------------------------------------------------------------------------------------


def test_a_ranger_logs_an_action_and_sees_no_suspects(api, reserve_a, ranger_a, team_a, manager_a, suspect):
    patrol = PatrolFactory(reserve=reserve_a, team=team_a)
    api.force_authenticate(ranger_a)
    response = api.post("/api/v1/enforcement-actions/", {
        "type": "Feature", "geometry": POINT, "properties": {
            "reserve": "reserve-a", "kind": "protocol_fine", "taken_at": "2026-03-04T10:30:00Z", "patrol": patrol.pk,
            "officers": ["ranger_a"], "protocol_number": "AP-17", "fine_amount": "3000", "fine_currency": "RUB"},
    }, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    action = EnforcementAction.objects.get()
    assert (action.team, action.reported_by, action.location.coords) == (team_a, ranger_a, (87.4321, 50.1234))
    properties = response.json()["properties"]
    assert "suspects" not in properties and "case" not in properties
    api.force_authenticate(manager_a)
    response = api.patch(f"/api/v1/enforcement-actions/{action.pk}/",
                         {"type": "Feature", "properties": {"suspects": [suspect.pk]}}, format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["properties"]["suspects"] == [suspect.pk]
    api.force_authenticate(ranger_a)
    assert "suspects" not in api.get(f"/api/v1/enforcement-actions/{action.pk}/").json()["properties"]


def test_analysts_see_actions_generalised_without_suspects(api, reserve_a, analyst_a, suspect, case):
    action = EnforcementActionFactory(reserve=reserve_a, case=case, location=None)
    action.suspects.set([suspect])
    EnforcementActionFactory(reserve=reserve_a)
    api.force_authenticate(analyst_a)
    features = api.get("/api/v1/enforcement-actions/").json()["features"]
    assert len(features) == 2
    for feature in features:
        assert "suspects" not in feature["properties"] and "case" not in feature["properties"]
    located = next(f for f in features if f["geometry"])
    assert located["geometry"]["coordinates"] == [87.4, 50.1]  # the 0.1 degree grid, not 87.42, 50.12
    assert located["properties"]["location_generalised"] is True


def test_rangers_see_only_their_teams_actions_and_another_reserve_sees_none(api, reserve_a, ranger_a, team_a,
                                                                            manager_b):  # fmt: skip
    ours = EnforcementActionFactory(reserve=reserve_a, team=team_a)
    other = EnforcementActionFactory(reserve=reserve_a)
    api.force_authenticate(ranger_a)
    assert [f["id"] for f in api.get("/api/v1/enforcement-actions/").json()["features"]] == [ours.pk]
    assert api.get(f"/api/v1/enforcement-actions/{other.pk}/").status_code == 404
    api.force_authenticate(manager_b)
    assert api.get("/api/v1/enforcement-actions/").json()["features"] == []
    response = api.patch(f"/api/v1/enforcement-actions/{ours.pk}/", {"type": "Feature", "properties": {
        "description": "moved"}}, format="json")  # fmt: skip
    assert response.status_code == 404
    ours.refresh_from_db()
    assert ours.description == ""


def test_an_action_cannot_link_another_reserves_incident(api, manager_a, reserve_b):
    theirs = IncidentFactory(reserve=reserve_b)
    api.force_authenticate(manager_a)
    response = api.post("/api/v1/enforcement-actions/", {"type": "Feature", "geometry": POINT, "properties": {
        "reserve": "reserve-a", "kind": "warning", "taken_at": "2026-03-04T10:30:00Z", "incidents": [theirs.pk]}},
        format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"incidents": [f'Invalid pk "{theirs.pk}" - object does not exist.']}
    assert EnforcementAction.objects.count() == 0


# --- evidence and custody ----------------------------------------------------------------------------------


def test_evidence_uploaded_with_its_original_and_read_back_byte_for_byte(api, reserve_a, manager_a, ranger_a,
                                                                         analyst_a, manager_b):  # fmt: skip
    content = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
    api.force_authenticate(ranger_a)
    upload = SimpleUploadedFile("IMG_2041.jpg", content, content_type="image/jpeg")
    response = api.post("/api/v1/evidence/", {"reserve": "reserve-a", "kind": "photo", "quantity": 1,
                        "collected_at": "2026-03-04T10:00:00Z", "description": "Snare line, 12 loops",
                        "location": '{"type": "Point", "coordinates": [87.43, 50.12]}', "file": upload},
                        format="multipart")  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert (body["size_bytes"], body["original_name"], body["collected_by"]) == (len(content), "IMG_2041.jpg",
                                                                                "ranger_a")  # fmt: skip
    assert [c["kind"] for c in body["custody"]] == ["collected"]
    url = f"/api/v1/evidence/{body['id']}/original/"
    for user in (ranger_a, manager_a):
        api.force_authenticate(user)
        response = api.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == content
        assert response["X-Content-SHA256"] == body["sha256"]
        assert response["Content-Disposition"] == f'attachment; filename="evidence-{body["id"]}.jpg"'
        assert response["Content-Type"] == "image/jpeg"
    api.force_authenticate(analyst_a)
    assert api.get(url).status_code == 403
    api.force_authenticate(manager_b)
    assert api.get(url).status_code == 404


def test_evidence_is_never_deleted_through_the_api(api, reserve_a, manager_a):
    item = EvidenceItemFactory(reserve=reserve_a, content=b"original bytes")
    api.force_authenticate(manager_a)
    assert api.delete(f"/api/v1/evidence/{item.pk}/").status_code == 405
    response = api.patch(f"/api/v1/evidence/{item.pk}/", {"kind": "pelt"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"kind": ["Fixed when the item was registered."]}
    item.refresh_from_db()
    assert (item.kind, EvidenceItem.objects.count()) == ("snares", 1)


def test_the_custody_log_is_append_only_through_the_api(api, reserve_a, manager_a):
    item = EvidenceItemFactory(reserve=reserve_a, collected_at=WHEN)
    event = CustodyEventFactory(item=item, to_name="Sgt. Orlov", occurred_at=WHEN)
    api.force_authenticate(manager_a)
    url = f"/api/v1/custody-events/{event.pk}/"
    for method in (api.put, api.patch):
        response = method(url, {"to_name": "someone else"}, format="json")
        assert response.status_code == 405
        assert response.json()["error"]["code"] == "method_not_allowed"
    assert api.delete(url).status_code == 405
    event.refresh_from_db()
    assert event.to_name == "Sgt. Orlov"
    response = api.post("/api/v1/custody-events/", {"item": item.pk, "kind": "transferred",
                        "occurred_at": "2026-03-05T09:00:00Z", "from_user": "manager_a",
                        "to_name": "Investigator Kim, district police"}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert list(item.custody_events.values_list("kind", flat=True)) == ["handed_over", "transferred"]
    assert response.json()["chain_sha256"] == item.custody_events.get(kind="transferred").chain_sha256 != ""


def test_custody_of_another_reserves_item_is_out_of_reach(api, reserve_b, manager_a):
    item = EvidenceItemFactory(reserve=reserve_b)
    CustodyEventFactory(item=item)
    api.force_authenticate(manager_a)
    assert api.get("/api/v1/custody-events/").json()["results"] == []
    response = api.post("/api/v1/custody-events/", {"item": item.pk, "kind": "stored",
                                                     "occurred_at": "2026-03-05T09:00:00Z"}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert CustodyEvent.objects.count() == 1


def test_a_case_is_linked_to_evidence_only_by_its_reserves_manager(api, reserve_a, manager_a, case, ranger_a):
    item = EvidenceItemFactory(reserve=reserve_a, collected_by=ranger_a)
    api.force_authenticate(ranger_a)
    assert "case" not in api.get(f"/api/v1/evidence/{item.pk}/").json()
    assert api.patch(f"/api/v1/evidence/{item.pk}/", {"description": "x"}, format="json").status_code == 403
    api.force_authenticate(manager_a)
    response = api.patch(f"/api/v1/evidence/{item.pk}/", {"case": case.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["case"] == case.pk


def test_analysts_read_but_log_nothing(api, reserve_a, analyst_a, manager_a):
    item = EvidenceItemFactory(reserve=reserve_a, collected_at=WHEN, collected_by=manager_a)
    api.force_authenticate(analyst_a)
    assert [row["id"] for row in api.get("/api/v1/evidence/").json()["results"]] == [item.pk]
    action = {"type": "Feature", "geometry": POINT, "properties": {"reserve": "reserve-a", "kind": "warning",
              "taken_at": "2026-03-04T10:30:00Z"}}  # fmt: skip
    assert api.post("/api/v1/enforcement-actions/", action, format="json").status_code == 403
    evidence = {"reserve": "reserve-a", "kind": "pelt", "collected_at": "2026-03-04T10:00:00Z"}
    assert api.post("/api/v1/evidence/", evidence, format="json").status_code == 403
    hand_over = {"item": item.pk, "kind": "stored", "occurred_at": "2026-03-05T09:00:00Z", "to_name": "Store"}
    assert api.post("/api/v1/custody-events/", hand_over, format="json").status_code == 403
    assert (EnforcementAction.objects.count(), EvidenceItem.objects.count(), CustodyEvent.objects.count()) == (
        0, 1, 0)  # fmt: skip


def test_another_reserves_evidence_is_invisible(api, reserve_b, manager_a):
    item = EvidenceItemFactory(reserve=reserve_b, content=b"theirs")
    api.force_authenticate(manager_a)
    assert api.get("/api/v1/evidence/").json()["results"] == []
    assert api.get(f"/api/v1/evidence/{item.pk}/").status_code == 404
    assert api.get(f"/api/v1/evidence/{item.pk}/original/").status_code == 404
    assert api.patch(f"/api/v1/evidence/{item.pk}/", {"description": "x"}, format="json").status_code == 404
    item.refresh_from_db()
    assert item.description == ""


def test_an_uploaded_html_original_is_only_ever_a_download(api, reserve_a, manager_a):
    """A file claiming to be HTML must not run in the app's origin when a manager opens it."""
    api.force_authenticate(manager_a)
    upload = SimpleUploadedFile("x.html", b"<script>alert(1)</script>", content_type="text/html")
    response = api.post("/api/v1/evidence/", {"reserve": "reserve-a", "kind": "other", "file": upload,
                        "collected_at": "2026-03-04T10:00:00Z"}, format="multipart")  # fmt: skip
    assert response.status_code == 201, response.content
    original = api.get(f"/api/v1/evidence/{response.json()['id']}/original/")
    assert original["Content-Type"] == "application/octet-stream"
    assert original["Content-Disposition"].startswith("attachment;")
    assert original["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert original["X-Content-Type-Options"] == "nosniff"
    assert b"".join(original.streaming_content) == b"<script>alert(1)</script>"


@pytest.mark.parametrize("who", ["manager_b", "analyst_a", "ranger_a"])
def test_only_the_reserves_managers_add_case_events(api, case, who, request):
    api.force_authenticate(request.getfixturevalue(who))
    response = api.post(f"/api/v1/cases/{case.pk}/events/", {"kind": "note", "occurred_on": "2026-02-01"},
                        format="json")  # fmt: skip
    assert response.status_code == 404
    assert case.events.count() == 0

"""Bad input is a 400 in the one error format, naming the field; never a 500."""

import pytest

from tests.patrol.factories import PatrolFactory
from threats.records.models import Detection, SnareFind

pytestmark = pytest.mark.django_db

FIND = {"reserve": "reserve-a", "found_at": "2026-11-01T10:00:00Z", "material": "wire", "state": "set",
        "action": "removed", "location": {"type": "Point", "coordinates": [87.41, 50.11]}}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"location": {"type": "Point", "coordinates": [187.41, 50.11]}}, "location",
         "Longitude must be between -180 and 180."),
        ({"location": {"type": "Point", "coordinates": [87.41, 95.0]}}, "location",
         "Latitude must be between -90 and 90."),
        ({"location": {"type": "LineString", "coordinates": [[87.4, 50.1], [87.5, 50.2]]}}, "location",
         "A location must be a GeoJSON Point."),
        ({"location": "somewhere up the Shavla"}, "location",
         "Unable to convert to python object: String input unrecognized as WKT EWKT, and HEXEWKB."),
        ({"count": 0}, "count", "Must be at least 1."),
        ({"material": "rope"}, "material", "'rope' is not one of: wire, cable, nylon, other."),
        ({"found_at": "yesterday"}, "found_at",
         "Datetime has wrong format. Use one of these formats instead: "
         "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."),
        ({"catch_species": "Panthera leo", "catch_condition": "dead"}, "catch_species",
         "Unknown species: 'Panthera leo'."),
        ({"gps_accuracy_m": -3}, "gps_accuracy_m", "GPS accuracy cannot be negative."),
        ({"catch_species": "Moschus moschiferus"}, "catch_condition",
         "A catch species is given: say whether it was alive, injured or dead."),
    ],
)  # fmt: skip
def test_snare_find_validation_names_the_field(api, manager_a, change, field, message):
    api.force_authenticate(manager_a)
    response = api.post("/api/v1/snare-finds/", {**FIND, **change}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"][field] == [message]
    assert error["message"] == f"{field}: {message}"
    assert SnareFind.objects.count() == 0


def test_unknown_species_in_detection_is_rejected(api, manager_a):
    api.force_authenticate(manager_a)
    response = api.post("/api/v1/detections/", {
        "reserve": "reserve-a", "species": "Yeti", "method": "track", "observed_at": "2026-11-01T10:00:00Z",
        "location": {"type": "Point", "coordinates": [87.41, 50.11]}}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"species": ["Unknown species: 'Yeti'."]}
    assert Detection.objects.count() == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"in_bbox": "a,b,c,d"}, "in_bbox"),
        ({"start": "not-a-date"}, "start"),
        ({"patrol": "x"}, "patrol"),
    ],
)
def test_bad_filters_are_400(api, manager_a, params, field):
    api.force_authenticate(manager_a)
    response = api.get("/api/v1/snare-finds/", params)
    assert response.status_code == 400
    body = response.json()["error"]
    assert list(body["fields"]) == [field]


def test_filters_by_time_patrol_and_species(api, manager_a, reserve_a):
    from tests.threats.factories import SnareFindFactory, species

    patrol = PatrolFactory(reserve=reserve_a)
    in_range = SnareFindFactory(reserve=reserve_a, found_at="2026-10-10T00:00:00Z", patrol=patrol)
    SnareFindFactory(reserve=reserve_a, found_at="2026-09-10T00:00:00Z")
    with_catch = SnareFindFactory(reserve=reserve_a, found_at="2026-10-12T00:00:00Z",
                                  catch_species=species("Moschus moschiferus"), catch_condition="dead")  # fmt: skip
    api.force_authenticate(manager_a)

    def ids(params):
        return sorted(f["id"] for f in api.get("/api/v1/snare-finds/", params).json()["features"])

    assert ids({"start": "2026-10-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}) == sorted([in_range.pk, with_catch.pk])
    assert ids({"patrol": patrol.pk}) == [in_range.pk]
    assert ids({"catch_species": "Moschus moschiferus"}) == [with_catch.pk]
    assert ids({"in_bbox": "87.0,49.0,87.1,49.1"}) == []


def test_malformed_json_is_400(api, manager_a):
    api.force_authenticate(manager_a)
    response = api.post("/api/v1/snare-finds/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_unknown_object_is_404_in_error_format(api, manager_a):
    api.force_authenticate(manager_a)
    response = api.get("/api/v1/snare-finds/999999/")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}


def test_list_endpoints_have_a_query_budget(api, manager_a, reserve_a, django_assert_max_num_queries):
    from tests.threats.factories import DetectionFactory, IncidentFactory, SnareFindFactory

    patrol = PatrolFactory(reserve=reserve_a)
    for _ in range(15):
        SnareFindFactory(reserve=reserve_a, patrol=patrol, reported_by=manager_a)
        DetectionFactory(reserve=reserve_a, patrol=patrol)
        IncidentFactory(reserve=reserve_a).snare_finds.set(SnareFind.objects.all()[:2])
    api.force_authenticate(manager_a)
    for url in ["/api/v1/snare-finds/", "/api/v1/detections/", "/api/v1/incidents/", "/api/v1/patrols/"]:
        with django_assert_max_num_queries(6):
            assert api.get(url).status_code == 200

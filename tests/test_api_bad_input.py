"""No input breaks the API: bodies that are not objects, NUL bytes, bad bounding boxes, bodies too big.

Each answer is a 4xx in the one error shape, and nothing is stored.
"""

import json

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import RequestFactory, override_settings

from config.errors import bad_request
from patrol.patrols.models import Patrol
from tests.patrol.factories import PatrolFactory
from threats.records.models import Detection, SnareFind

pytestmark = pytest.mark.django_db

FIND = {"reserve": "reserve-a", "found_at": "2026-11-01T10:00:00Z", "material": "wire", "state": "set",
        "action": "removed", "location": {"type": "Point", "coordinates": [87.41, 50.11]}}  # fmt: skip
DETECTION = {"reserve": "reserve-a", "species": "Panthera uncia", "method": "track",
             "observed_at": "2026-11-01T10:00:00Z",
             "location": {"type": "Point", "coordinates": [87.41, 50.11]}}  # fmt: skip


@pytest.mark.parametrize("body", ["5", "[1, 2]", '"text"', "null", "[]"])
@pytest.mark.parametrize("url", ["/api/v1/snare-finds/", "/api/v1/detections/", "/api/v1/patrols/",
                                 "/api/v1/posts/", "/api/v1/sync/"])  # fmt: skip
def test_a_body_that_is_not_an_object_is_400(api, manager_a, url, body):
    api.force_authenticate(manager_a)
    response = api.post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error) == {"code", "message", "fields"}
    if url != "/api/v1/sync/":
        kind = type(json.loads(body)).__name__
        message = "No data provided" if body == "null" else f"Expected a JSON object, got {kind}."
        assert error["fields"] == {"non_field_errors": [message]}
    assert SnareFind.objects.count() == Detection.objects.count() == Patrol.objects.count() == 0


def test_geojson_feature_with_properties_that_are_not_an_object_is_400(api, manager_a):
    api.force_authenticate(manager_a)
    feature = {"type": "Feature", "geometry": FIND["location"], "properties": "x"}
    response = api.post("/api/v1/snare-finds/", feature, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {"properties": ["Feature properties must be a JSON object."]}
    assert SnareFind.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/snare-finds/", {**FIND, "reserve": "reserve-a\x00"}, "reserve"),
        ("/api/v1/detections/", {**DETECTION, "reserve": "reserve-a\x00"}, "reserve"),
        ("/api/v1/patrols/", {"reserve": "reserve-a", "leader": "manager_a\x00",
                              "planned_start": "2026-11-01T08:00:00Z", "planned_end": "2026-11-01T18:00:00Z"},
         "leader"),
    ],
)  # fmt: skip
def test_nul_bytes_in_related_names_are_400_naming_the_field(api, manager_a, team_a, url, body, field):
    api.force_authenticate(manager_a)
    if url == "/api/v1/patrols/":
        body = {**body, "team": team_a.pk}
    response = api.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {field: ["Text cannot contain NUL characters."]}
    assert SnareFind.objects.count() == Detection.objects.count() == Patrol.objects.count() == 0


def test_a_nul_byte_in_a_species_name_is_an_unknown_species(api, manager_a):
    api.force_authenticate(manager_a)
    response = api.post("/api/v1/detections/", {**DETECTION, "species": "Panthera\x00uncia"}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {"species": ["Unknown species: 'Panthera\x00uncia'."]}
    assert Detection.objects.count() == 0


EMPTY_TRACK = {"type": "MultiLineString", "coordinates": []}


def test_an_empty_track_is_refused_on_create(api, manager_a, team_a):
    api.force_authenticate(manager_a)
    body = {"reserve": "reserve-a", "team": team_a.pk, "planned_start": "2026-11-01T08:00:00Z",
            "planned_end": "2026-11-01T18:00:00Z", "track": EMPTY_TRACK}  # fmt: skip
    response = api.post("/api/v1/patrols/", body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == ["track"]
    assert Patrol.objects.count() == 0


def test_an_empty_track_is_refused_on_patch(api, manager_a, reserve_a, team_a):
    patrol = PatrolFactory(reserve=reserve_a, team=team_a)
    before = patrol.track.wkt
    api.force_authenticate(manager_a)
    response = api.patch(f"/api/v1/patrols/{patrol.pk}/", {"track": EMPTY_TRACK}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == ["track"]
    patrol.refresh_from_db()
    assert patrol.track.wkt == before


GEOJSON_LISTS = ["snare-finds", "incidents", "detections", "camera-deployments", "patrols", "posts",
                 "access-points", "zones", "valley-reaches"]  # fmt: skip


@pytest.mark.parametrize("bbox", ["nan,nan,nan,nan", "inf,0,1,1", "0,-inf,1,1", "1,2,3", "4,0,1,1", "0,4,1,1",
                                  "a,b,c,d", "1,2,3,4,5", ""])  # fmt: skip
@pytest.mark.parametrize("name", GEOJSON_LISTS)
def test_a_bad_bounding_box_is_400_naming_in_bbox(api, manager_a, name, bbox):
    api.force_authenticate(manager_a)
    response = api.get(f"/api/v1/{name}/", {"in_bbox": bbox})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["in_bbox"]
    assert error["fields"]["in_bbox"] in (["Give four numbers: min_lon,min_lat,max_lon,max_lat."],
                                          ["The minimum must not exceed the maximum."])  # fmt: skip


@pytest.mark.parametrize("name", GEOJSON_LISTS)
def test_a_good_bounding_box_still_filters(api, manager_a, name):
    api.force_authenticate(manager_a)
    response = api.get(f"/api/v1/{name}/", {"in_bbox": "87,50,88,51"})
    assert response.status_code == 200, response.content


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
@pytest.mark.parametrize("url", ["/api/v1/snare-finds/", "/api/v1/sync/"])
def test_a_body_over_the_upload_limit_is_413_in_the_error_shape(api, manager_a, url):
    api.force_authenticate(manager_a)
    body = json.dumps({**FIND, "notes": "x" * 2000})
    response = api.post(url, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_big"
    assert SnareFind.objects.count() == 0


def test_djangos_bad_request_handler_answers_413_for_a_body_too_big_under_the_api():
    request = RequestFactory().post("/api/v1/sync/")
    response = bad_request(request, RequestDataTooBig("too big"))
    assert response.status_code == 413
    assert json.loads(response.content) == {"error": {"code": "too_big", "message": "The request is too big.",
                                                      "fields": {}}}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"location": {"type": "Point", "coordinates": [0, 0]}}, "location",
         "This point is too far from the reserve to be measured in its map projection."),
        ({"notes": "by the \ud800 ford"}, "notes", "Surrogate characters are not allowed: U+D800."),
    ],
)  # fmt: skip
def test_a_record_off_the_projection_or_with_a_lone_surrogate_is_400(api, manager_a, change, field, message):
    api.force_authenticate(manager_a)
    response = api.post("/api/v1/snare-finds/", json.dumps({**FIND, **change}), content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {field: [message]}
    assert SnareFind.objects.count() == 0


NUL_MESSAGE = "Text cannot contain NUL characters."


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/snare-finds/", "reserve"), ("/api/v1/snare-finds/", "catch_species"),
        ("/api/v1/detections/", "species"), ("/api/v1/detections/", "individual_id"),
        ("/api/v1/patrols/", "leader"), ("/api/v1/patrols/", "team"), ("/api/v1/teams/", "reserve"),
        ("/api/v1/valley-reaches/", "reserve__slug"), ("/api/v1/snare-finds/export/", "reserve"),
        ("/api/v1/reserves/", "page"), ("/api/v1/risk/reserve-a/explain/", "lon"), ("/api/v1/reserves/", "unknown"),
    ],
)  # fmt: skip
def test_a_nul_byte_in_a_query_parameter_is_400_naming_it(api, manager_a, url, param):
    """One rule for every filter, known or not (config.middleware): before it, ?leader= and unknown parameters
    were ignored, and each filter answered in its own words."""
    api.force_authenticate(manager_a)
    response = api.get(f"{url}?{param}=reserve-a%00")
    assert response.status_code == 400, response.content
    assert response.json() == {"error": {"code": "invalid", "message": f"{param}: {NUL_MESSAGE}",
                                         "fields": {param: [NUL_MESSAGE]}}}  # fmt: skip


def test_a_nul_byte_in_a_query_parameter_name_is_400_naming_it_without_the_nul(api, manager_a):
    api.force_authenticate(manager_a)
    response = api.get("/api/v1/snare-finds/?reserve%00=reserve-a")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {"reserve": [NUL_MESSAGE]}


@pytest.mark.parametrize("url", ["/api/v1/reserves/reserve-a%00/", "/api/v1/reserves/%00/",
                                 "/api/v1/snare-finds/1%00/"])  # fmt: skip
def test_a_nul_byte_in_an_api_path_is_400_in_the_error_shape(api, manager_a, url):
    """/api/v1/reserves/<slug>/ looked the slug up with the NUL: PostgreSQL's DataError, a 500."""
    api.force_authenticate(manager_a)
    response = api.get(url)
    assert response.status_code == 400, response.content
    assert response.json() == {"error": {"code": "invalid", "message": "The address cannot contain NUL characters.",
                                         "fields": {}}}  # fmt: skip


@pytest.mark.parametrize("url", ["/?reserve=%00", "/reserve-a%00/", "/admin/threats/snarefind/?q=%00"])
def test_a_nul_byte_in_a_page_address_is_djangos_bad_request_page(client, manager_a, url):
    client.force_login(manager_a)
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_nul_byte_in_a_query_parameter_of_a_write_is_refused_before_anything_is_stored(api, manager_a):
    api.force_authenticate(manager_a)
    response = api.post("/api/v1/snare-finds/?note=%00", FIND, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {"note": [NUL_MESSAGE]}
    assert SnareFind.objects.count() == 0


TIME_LISTS = ["/api/v1/snare-finds/", "/api/v1/incidents/", "/api/v1/detections/", "/api/v1/patrols/",
              "/api/v1/snare-finds/export/"]  # fmt: skip


@pytest.mark.parametrize("param", ["start", "end"])
@pytest.mark.parametrize("url", TIME_LISTS)
def test_a_time_filter_with_an_offset_postgresql_refuses_is_read_in_utc(api, manager_a, url, param):
    """Python reads offsets up to 23:59, PostgreSQL only to 15:59: the filter passed them on, a 500."""
    api.force_authenticate(manager_a)
    response = api.get(url, {param: "2026-11-01T10:39:42-23:54"})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("param", ["start", "end"])
@pytest.mark.parametrize("url", TIME_LISTS)
def test_a_time_filter_before_year_one_in_utc_is_400_naming_it(api, manager_a, url, param):
    api.force_authenticate(manager_a)
    response = api.get(url, {param: "0001-01-01T00:00:00+14:00"})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {param: ["This time is out of range."]}


def test_a_time_filter_with_an_offset_finds_the_same_records_as_in_utc(api, manager_a, reserve_a):
    from datetime import UTC, datetime

    from tests.threats.factories import SnareFindFactory

    SnareFindFactory(reserve=reserve_a, found_at=datetime(2026, 11, 1, 10, 0, tzinfo=UTC))
    api.force_authenticate(manager_a)
    counts = [api.get("/api/v1/snare-finds/", {"start": start}).json()["count"]
              for start in ("2026-11-01T09:59:00Z", "2026-11-01T23:53:00+13:54", "2026-10-31T10:07:00-23:54",
                            "2026-11-01T10:01:00Z", "2026-11-01T10:01:00-00:00")]  # fmt: skip
    assert counts == [1, 1, 0, 0, 0]

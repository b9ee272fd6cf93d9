"""The API keeps to its published schema: schemathesis fuzzes every operation of /api/v1/schema/.

In process, through Django's WSGI application (no server), against a small synthetic reserve with terrain,
a finished risk run, patrols and records (tests.threats.risk.worlds). The generated requests go in turn to
the reserve's manager (with clearance) and to one of its rangers (who sees sensitive records generalised);
each with an API token, or its device token on the field-sync paths. Every answer must be no server error
and must match what the schema says for its status.

Deterministic: a fixed seed and no Hypothesis example database (nothing is carried over between runs).
A failure prints the request as a curl command; run this file alone to reproduce it.
"""

import itertools
import json

import pytest
import requests
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, PostFactory, TeamFactory, ZoneFactory
from tests.threats.risk.conftest import module_transaction
from tests.threats.risk.worlds import WORLD_END, seed_world
from threats.fieldsync.devices import device_login
from threats.risk.compute import risk_compute_now
from threats.risk.models import RiskRun

# On the module: the test function schemathesis builds hides its fixtures from pytest-django's collection.
pytestmark = pytest.mark.django_db

SEED = 20261202
EXAMPLES = 25  # per operation (about 1,700 requests in all)

CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    # no-shrink: a failure is reported as found (shrinking replays hundreds of requests on this slow machine).
    "generation": {"max-examples": EXAMPLES, "database": "none", "no-shrink": True},
    # The examples and fuzzing phases run. The coverage phase is off for time alone: it sends every boundary
    # value of every field (about 550 requests for PATCH /snare-finds/{id}/, over 20 minutes for the schema).
    "phases": {"coverage": {"enabled": False}},
})  # fmt: skip

# The checks:
# - not_a_server_error: no input breaks the API (a 5xx fails);
# - response_schema_conformance: every answer matches the schema for its status, errors included (4XX and
#   5XX are documented with the one error shape: config/api_schema.py);
# - status_code_conformance and content_type_conformance: no status or media type the schema does not name.
# Left out: negative_data_rejection and positive_data_acceptance (the schema cannot state the rules of
# validation: a point 2 km outside the reserve fits the schema and is rightly a 400); the stateful checks
# (no stateful phase here).
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]

# Loaded at collection (one request to the schema view, no database): the operations parametrize the test.
# (schemathesis' lazy `from_fixture` loader does not work with pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application(), config=CONFIG)

GEOJSON_LISTS = ["snare-finds", "incidents", "detections", "camera-deployments", "patrols", "posts",
                 "access-points", "zones", "valley-reaches", "reserves"]  # fmt: skip


@pytest.fixture(scope="module")
def _one_connection():
    """Django closes the database connection when a WSGI request starts and ends (CONN_MAX_AGE=0), which
    would end the test's transaction; Django's test client keeps it open in the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def logins(_one_connection, django_db_setup, django_db_blocker, tmp_path_factory):
    """reserve-a with terrain, records, a finished risk run, a manager and a ranger, built once; for each
    user, (API token headers, device token headers, device id)."""
    with module_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            reserve, _world = seed_world("reserve-a", tmp_path_factory.mktemp("reserve-a"), size_m=2000.0)
            run = risk_compute_now(reserve=reserve, end=WORLD_END)
            assert run.status == RiskRun.Status.DONE, run.error
            manager = member(reserve, Role.MANAGER, clearance=True, username="manager_a")
            ranger = member(reserve, Role.RANGER, username="ranger_a")
            team = TeamFactory(reserve=reserve, members=[ranger])
            PatrolFactory(reserve=reserve, team=team)
            PostFactory(reserve=reserve)
            ZoneFactory(reserve=reserve)
            # The world is written inside this module's transaction, where autovacuum cannot see it: without
            # statistics the planner takes the tables for empty and nests loops over thousands of records
            # (27 s for one page of detections). ANALYZE here sees the transaction's rows, as production's do.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            headers = []
            for user in (manager, ranger):
                _device, device_token = device_login(user=user, reserve=reserve, device_id=f"phone-{user.username}")
                headers.append((
                    {"Authorization": f"Token {Token.objects.create(user=user).key}"},
                    {"Authorization": f"Device {device_token}"},
                    f"phone-{user.username}",
                ))  # fmt: skip
        yield headers


def _headers(case, login):
    api_headers, device_headers, _device_id = login
    return device_headers if case.path.startswith("/api/v1/sync/") else api_headers


_turn = itertools.count()  # manager, ranger, manager, ...: deterministic, as the order of the cases is


@schema.parametrize()
def test_the_api_keeps_to_its_schema(case, logins):
    login = logins[next(_turn) % len(logins)]
    if case.path == "/api/v1/sync/" and isinstance(case.body, dict):
        case.body["device_id"] = login[2]  # else every batch stops at "this token belongs to another device"
    case.call_and_validate(headers=_headers(case, login), checks=CHECKS)


@pytest.mark.parametrize("role", [0, 1], ids=["manager", "ranger"])
@pytest.mark.parametrize("name", GEOJSON_LISTS)
def test_every_geojson_page_matches_its_schema(logins, name, role):
    """A page is a FeatureCollection with count, next and previous beside `features` (the schema said
    `results`), valley reaches included (they were a `results` page around a FeatureCollection)."""
    case = schema[f"/api/v1/{name}/"]["GET"].Case()
    response = case.call_and_validate(headers=_headers(case, logins[role]), checks=CHECKS)
    page = response.json()
    assert list(page) == ["type", "count", "next", "previous", "features"]
    assert page["type"] == "FeatureCollection"
    assert len(page["features"]) == min(page["count"], 100)


def test_a_record_without_a_known_reporter_matches_its_schema(logins):
    """The world's records were imported, without a reporter: `reported_by` is null (the schema said string)."""
    case = schema["/api/v1/snare-finds/"]["GET"].Case(query={"page_size": 1000})
    features = case.call_and_validate(headers=_headers(case, logins[0]), checks=CHECKS).json()["features"]
    assert {feature["properties"]["reported_by"] for feature in features} == {None}


def test_every_operation_documents_the_error_shape():
    operations = [operation.ok() for operation in schema.get_all_operations()]
    assert len(operations) == 94  # every operation of /api/v1/, the enforcement and planning ones included
    for operation in operations:
        responses = operation.definition.raw["responses"]
        for status in ("4XX", "5XX"):
            assert responses[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


@pytest.mark.parametrize(
    ("body", "conforms"),
    [
        ({"error": {"code": "invalid", "message": "in_bbox: Give four numbers.", "fields": {"in_bbox": ["..."]}}},
         True),
        ({"detail": "Not found."}, False),  # DRF's own shape
        ({"error": {"code": "invalid", "message": "No fields."}}, False),
    ],
)  # fmt: skip
def test_an_error_in_another_shape_fails_the_schema_check(body, conforms):
    """The check the fuzzing relies on does read error bodies: a 4xx outside the error shape fails it."""
    case = schema["/api/v1/snare-finds/"]["GET"].Case()
    response = schemathesis.Response(
        status_code=400, headers={"Content-Type": ["application/json"]}, content=json.dumps(body).encode(),
        request=requests.Request("GET", "http://localhost/api/v1/snare-finds/").prepare(), elapsed=0.0, verify=True,
    )  # fmt: skip
    if conforms:
        case.validate_response(response, checks=CHECKS)
    else:
        with pytest.raises(FailureGroup, match="Response violates schema"):
            case.validate_response(response, checks=CHECKS)

"""Bad input to the enforcement API is a 4xx in the one error shape, and list endpoints keep a query budget."""

import pytest

from tests.threats.enforcement.factories import (
    CaseFactory,
    CustodyEventFactory,
    EnforcementActionFactory,
    EvidenceItemFactory,
    SuspectFactory,
)
from threats.enforcement.models import Case, CustodyEvent, EnforcementAction, EvidenceItem, Suspect

URLS = ["/api/v1/enforcement-actions/", "/api/v1/suspects/", "/api/v1/cases/", "/api/v1/evidence/",
        "/api/v1/custody-events/"]  # fmt: skip


def _nothing_stored():
    return (EnforcementAction.objects.count(), Suspect.objects.count(), Case.objects.count(),
            EvidenceItem.objects.count(), CustodyEvent.objects.count()) == (0, 0, 0, 0, 0)  # fmt: skip


@pytest.mark.parametrize("body", ["5", "[1, 2]", '"text"', "null"])
@pytest.mark.parametrize("url", URLS)
def test_a_body_that_is_not_an_object_is_400(api, manager_a, url, body):
    api.force_authenticate(manager_a)
    response = api.post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert _nothing_stored()


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/suspects/", {"reserve": "reserve-a\x00", "full_name": "X"}, "reserve"),
        ("/api/v1/suspects/", {"reserve": "reserve-a", "full_name": "X", "birth_year": 1850}, "birth_year"),
        ("/api/v1/cases/", {"reserve": "reserve-a", "number": "1", "agency": "P", "opened_on": "yesterday"},
         "opened_on"),
        ("/api/v1/cases/", {"reserve": "reserve-a", "number": "1", "agency": "P", "opened_on": "2026-01-01",
                            "fine_amount": "100", "fine_currency": "roubles"}, "fine_currency"),
        ("/api/v1/evidence/", {"reserve": "reserve-a", "kind": "pelt", "collected_at": "2026-01-01T00:00:00Z",
                               "quantity": 0}, "quantity"),
        ("/api/v1/evidence/", {"reserve": "reserve-a", "kind": "photo", "collected_at": "2026-01-01T00:00:00Z"},
         "file"),
        ("/api/v1/evidence/", {"reserve": "reserve-a", "kind": "pelt", "collected_at": "2026-01-01T00:00:00Z",
                               "collected_by": "manager_a\x00"}, "collected_by"),
        ("/api/v1/evidence/", {"reserve": "reserve-a", "kind": "pelt", "collected_at": "2999-01-01T00:00:00Z"},
         "collected_at"),
        ("/api/v1/custody-events/", {"item": "x", "kind": "stored", "occurred_at": "2026-01-01T00:00:00Z"}, "item"),
    ],
)  # fmt: skip
def test_bad_values_are_400_naming_the_field(api, manager_a, url, body, field):
    api.force_authenticate(manager_a)
    response = api.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()
    assert _nothing_stored()


@pytest.mark.parametrize(
    ("properties", "geometry", "field"),
    [
        ({"kind": "beating"}, None, "kind"),
        ({"taken_at": "1970-01-01T00:00:00Z"}, None, "taken_at"),
        ({}, {"type": "LineString", "coordinates": [[87.4, 50.1], [87.5, 50.2]]}, "location"),
        ({}, {"type": "Point", "coordinates": [187.4, 50.1]}, "location"),
        ({"fine_amount": "-5", "fine_currency": "RUB"}, None, "fine_amount"),
    ],
)
def test_bad_actions_are_400(api, manager_a, properties, geometry, field):
    api.force_authenticate(manager_a)
    body = {"type": "Feature", "geometry": geometry or {"type": "Point", "coordinates": [87.4, 50.1]},
            "properties": {"reserve": "reserve-a", "kind": "warning", "taken_at": "2026-03-01T00:00:00Z",
                           **properties}}  # fmt: skip
    response = api.post("/api/v1/enforcement-actions/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()
    assert _nothing_stored()


def test_a_bad_bounding_box_on_actions_is_400(api, manager_a):
    api.force_authenticate(manager_a)
    response = api.get("/api/v1/enforcement-actions/?in_bbox=nan,1,2,3")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["in_bbox"]


def test_list_endpoints_have_a_query_budget(api, manager_a, reserve_a, django_assert_max_num_queries):
    def some(n):
        for _ in range(n):
            case = CaseFactory(reserve=reserve_a)
            case.suspects.set([SuspectFactory(reserve=reserve_a)])
            action = EnforcementActionFactory(reserve=reserve_a, case=case)
            action.officers.set([manager_a])
            item = EvidenceItemFactory(reserve=reserve_a, case=case, action=action, collected_by=manager_a)
            CustodyEventFactory(item=item, from_user=manager_a)

    api.force_authenticate(manager_a)
    some(2)
    counts = {}
    for url in URLS:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert api.get(url).status_code == 200
        counts[url] = len(queries)
    some(6)
    for url in URLS:
        with django_assert_max_num_queries(counts[url]):
            assert api.get(url).status_code == 200

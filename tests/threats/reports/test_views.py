"""The reports page, its exports and maps, and the managers' dashboard: roles, reserves, privacy, bad input."""

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from django.test import Client

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, TeamFactory
from tests.threats.enforcement.factories import CaseFactory, EnforcementActionFactory, SuspectFactory
from tests.threats.factories import SnareFindFactory, species
from threats.enforcement.models import EnforcementAction

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
MARCH = {"period": "month", "value": "2026-03"}
SUSPECT = "Suspectov Ivan Ivanovich"


@pytest.fixture
def data(reserve_a, reserve_b):
    team = TeamFactory(reserve=reserve_a, name="Team North")
    patrol = PatrolFactory(reserve=reserve_a, team=team, actual_start=datetime(2026, 3, 5, 2, tzinfo=UTC),
                           actual_end=datetime(2026, 3, 5, 10, tzinfo=UTC), track_length_km=8.0)  # fmt: skip
    # a snow leopard in a snare: a sensitive find, shown at its 0.1 degree cell without clearance
    SnareFindFactory(reserve=reserve_a, patrol=patrol, count=2, found_at=datetime(2026, 3, 5, 5, tzinfo=UTC),
                     location=Point(87.4312, 50.1187, srid=4326), catch_species=species("Panthera uncia"),
                     catch_condition="dead")  # fmt: skip
    suspect = SuspectFactory(reserve=reserve_a, full_name=SUSPECT, locality="Kosh-Agach")
    action = EnforcementActionFactory(reserve=reserve_a, kind=EnforcementAction.Kind.PROTOCOL_FINE, team=team,
                                      taken_at=datetime(2026, 3, 6, tzinfo=UTC), fine_amount=Decimal("2500"),
                                      fine_currency="RUB", place_name="Argut mouth")  # fmt: skip
    action.suspects.add(suspect)
    case = CaseFactory(reserve=reserve_a, opened_on=datetime(2026, 3, 7).date(), number="77-1/2026")
    case.suspects.add(suspect)
    SnareFindFactory(reserve=reserve_b, count=50, found_at=datetime(2026, 3, 5, 5, tzinfo=UTC))
    return {"team": team}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN, Role.ANALYST])
def test_readers_see_the_figures_and_never_a_suspect(data, reserve_a, role):
    client = _client(member(reserve_a, role=role))
    page = client.get("/reports/", MARCH)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<tr data-key="snares"><td>Snares found</td><td class="num">2</td><td class="num">0</td></tr>' in html
    assert '<tr data-key="actions"><td>Enforcement actions</td><td class="num">1</td>' in html
    assert "<svg" in html and "Snares found per month" in html
    exports = [
        client.get(f"/reports/reserve-a/export.{fmt}", {**MARCH, "by": "team"}) for fmt in ("csv", "json", "pdf")
    ]
    assert [r.status_code for r in exports] == [200, 200, 200]
    assert json.loads(exports[1].content)["totals"]["snares"] == 2
    for body in [html, exports[0].content.decode(), exports[1].content.decode()]:
        assert SUSPECT not in body and "Kosh-Agach" not in body and "77-1/2026" not in body
    assert SUSPECT.encode() not in exports[2].content


def test_rangers_are_refused_and_other_reserves_unseen(data, reserve_a, reserve_b):
    ranger = _client(member(reserve_a, role=Role.RANGER))
    assert ranger.get("/reports/", MARCH).status_code == 403
    assert ranger.get("/reports/reserve-a/export.csv", MARCH).status_code == 403
    assert ranger.get("/reports/reserve-a/map/finds.geojson", MARCH).status_code == 403
    manager_a = _client(member(reserve_a))
    for url in ["/reports/reserve-b/export.json", "/reports/reserve-b/export.pdf",
                "/reports/reserve-b/map/finds.geojson", "/reports/nowhere/export.csv"]:  # fmt: skip
        response = manager_a.get(url, MARCH)
        assert response.status_code == 404
        assert b"50" not in response.content or b"snares" not in response.content
    # the page follows the reserve switched to, which must be the user's own
    assert manager_a.post("/reserve/switch/", {"reserve": "reserve-b"}).status_code == 404
    page = manager_a.get("/reports/", MARCH).content.decode()
    assert "Report: Reserve A" in page


def test_finds_map_generalises_sensitive_finds_without_clearance(data, reserve_a):
    analyst = _client(member(reserve_a, role=Role.ANALYST))
    cleared = _client(member(reserve_a, role=Role.MANAGER, clearance=True))
    shown = json.loads(analyst.get("/reports/reserve-a/map/finds.geojson", MARCH).content)["features"]
    exact = json.loads(cleared.get("/reports/reserve-a/map/finds.geojson", MARCH).content)["features"]
    assert [f["geometry"]["coordinates"] for f in shown] == [[87.4, 50.1]]
    assert [f["geometry"]["coordinates"] for f in exact] == [[87.43, 50.12]]
    assert shown[0]["properties"] == {"snares": 2, "finds": 1}
    effort = json.loads(analyst.get("/reports/reserve-a/map/effort.geojson", MARCH).content)["features"]
    assert effort and all(f["properties"]["patrols"] == 1 for f in effort)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "month", "value": "2026-13"}, "Give the period as 2026-03"),
        ({"period": "custom", "first": "2026-03-01"}, "Give the period as 2026-03"),
        ({"period": "custom", "first": "2000-01-01", "last": "2026-01-01"}, "at most ten years"),
        ({"period": "custom", "first": "0001-01-01", "last": "0001-01-05"}, "from 1990 to 2100"),
        ({"period": "year", "value": "99999"}, "Give the period as 2026-03"),
        ({"period": "month", "value": "2026-02-30"}, "Give the period as 2026-03"),
        ({"period": "quarter", "value": "2026-Q1-2"}, "Give the period as 2026-03"),
        ({"period": "custom", "first": "2026-03-01", "last": "yesterday"}, "Enter a valid date"),
        ({"period": "month", "value": "2026-03", "part": "team:999999"}, "No such team"),
        ({"period": "month", "value": "2026-03", "part": "galaxy:1"}, "Choose what the report covers"),
        ({"period": "month", "value": "2026-03", "by": "planet"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_a_400_naming_the_problem(data, reserve_a, query, message):
    client = _client(member(reserve_a))
    page = client.get("/reports/", query)
    assert page.status_code == 400
    assert message in page.content.decode()
    export = client.get("/reports/reserve-a/export.csv", query)
    assert export.status_code == 400
    assert message in export.content.decode()


def test_dashboard_for_managers_on_the_overview(data, reserve_a):
    page = _client(member(reserve_a)).get("/").content.decode()
    assert 'data-testid="dashboard"' in page and "This month at a glance" in page
    ranger_page = _client(member(reserve_a, role=Role.RANGER)).get("/").content.decode()
    assert 'data-testid="dashboard"' not in ranger_page


def test_pdf_in_russian_from_the_page(data, reserve_a):
    response = _client(member(reserve_a)).get("/reports/reserve-a/export.pdf", {**MARCH, "lang": "ru"})
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == 'attachment; filename="irbis-report-reserve-a-2026-03-01-2026-03-31-ru.pdf"'
    )

"""The records browser (/records/...): filters, access by role and reserve, generalised places, pagination,
and the number of queries a list costs."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.gis.geos import LineString, Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patrol.terrain.models import ValleyReach
from tests.patrol.factories import PatrolFactory, TeamFactory
from tests.threats.factories import DetectionFactory, IncidentFactory, SnareFindFactory, species
from threats.records.models import SnareFind

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 8) -> datetime:
    return datetime(2026, 1, day, hour, 0, tzinfo=UTC)


def ids(response) -> list[int]:
    """The record ids of the list's rows, in order."""
    return [int(n) for n in re.findall(r'<tr data-id="(\d+)">', response.content.decode())]


def page(client, user, url):
    client.force_login(user)
    return client.get(url)


@pytest.fixture
def world(reserve_a, ranger_a, team_a):
    """Three finds in reserve A: two on team A's patrol (one sprung, one with a snow leopard), one on team B's."""
    other_team = TeamFactory(reserve=reserve_a, name="Team B")
    patrol_a = PatrolFactory(reserve=reserve_a, team=team_a, actual_start=at(3))
    patrol_b = PatrolFactory(reserve=reserve_a, team=other_team, actual_start=at(5))
    sprung = SnareFindFactory(reserve=reserve_a, patrol=patrol_a, found_at=at(3), state="sprung", notes="by the spring",
                              location=Point(87.4312, 50.1187, srid=4326))  # fmt: skip
    leopard = SnareFindFactory(reserve=reserve_a, patrol=patrol_a, found_at=at(4, 10), catch_condition="dead",
                               catch_species=species("Panthera uncia"),
                               location=Point(87.6312, 50.2187, srid=4326))  # fmt: skip
    other = SnareFindFactory(
        reserve=reserve_a, patrol=patrol_b, found_at=at(20), location=Point(87.3, 50.05, srid=4326)
    )
    return {"sprung": sprung, "leopard": leopard, "other": other, "patrol_a": patrol_a, "patrol_b": patrol_b,
            "team_b": other_team}  # fmt: skip


def test_a_manager_lists_every_find_newest_first(client, manager_a, world):
    response = page(client, manager_a, "/records/snare-finds/")
    assert response.status_code == 200
    assert ids(response) == [world["other"].pk, world["leopard"].pk, world["sprung"].pk]
    assert "3 records" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("start=2026-01-04&end=2026-01-19", ["leopard"]),
        ("end=2026-01-03", ["sprung"]),
        ("state=sprung", ["sprung"]),
        ("species=Panthera+uncia", ["leopard"]),
        ("q=SPRING", ["sprung"]),
        ("team=TEAM_B", ["other"]),
        ("patrol=PATROL_A", ["leopard", "sprung"]),
        ("valley=Argut", ["sprung"]),
        ("state=set&start=2026-01-01", ["other", "leopard"]),
    ],
)
def test_filters_of_snare_finds(client, manager_a, world, reserve_a, query, expected):
    ValleyReach.objects.create(reserve=reserve_a, reach_id=1, name="Argut", length_m=2000, catchment_km2=10,
                               geometry=LineString((87.4312, 50.1150), (87.4312, 50.1230), srid=4326))  # fmt: skip
    ValleyReach.objects.create(reserve=reserve_a, reach_id=2, name="Chuya", length_m=2000, catchment_km2=10,
                               geometry=LineString((87.0, 50.0), (87.01, 50.0), srid=4326))  # fmt: skip
    query = query.replace("TEAM_B", str(world["team_b"].pk)).replace("PATROL_A", str(world["patrol_a"].pk))
    response = page(client, manager_a, f"/records/snare-finds/?{query}")
    assert response.status_code == 200
    assert ids(response) == [world[name].pk for name in expected]


def test_a_ranger_sees_only_the_finds_of_their_team(client, ranger_a, world):
    response = page(client, ranger_a, "/records/snare-finds/")
    assert ids(response) == [world["leopard"].pk, world["sprung"].pk]
    # another team's find: not found rather than forbidden
    assert page(client, ranger_a, f"/records/snare-finds/{world['other'].pk}/").status_code == 404


def test_an_analyst_sees_the_leopard_snare_generalised_and_cannot_narrow_it_by_patrol(client, analyst_a, world):
    body = page(client, analyst_a, "/records/snare-finds/").content.decode()
    assert f'<tr data-id="{world["leopard"].pk}">' in body
    row = body.split(f'<tr data-id="{world["leopard"].pk}">')[1].split("</tr>")[0]
    assert "50.20000, 87.60000" in row and "2026-01-04<" in row and "generalised" in row
    assert "87.6312" not in body and "Team A" not in row  # no exact point, no patrol
    # the patrol and team filters work on the patrol shown: the generalised find has none
    response = page(client, analyst_a, f"/records/snare-finds/?patrol={world['patrol_a'].pk}")
    assert ids(response) == [world["sprung"].pk]
    detail = page(client, analyst_a, f"/records/snare-finds/{world['leopard'].pk}/").content.decode()
    assert "50.20000, 87.60000" in detail and "87.6312" not in detail and "10:00" not in detail


def test_the_map_data_hold_the_shown_places_only(client, analyst_a, world):
    body = page(client, analyst_a, "/records/snare-finds/").content.decode()
    data = body.split('<script id="records-map-data" type="application/json">')[1].split("</script>")[0]
    assert "87.6312" not in data and "87.6" in data
    assert data.count('"id":') == 3


def test_another_reserves_members_see_nothing_of_it(client, manager_b, world):
    assert ids(page(client, manager_b, "/records/snare-finds/")) == []
    for url in (f"/records/snare-finds/{world['sprung'].pk}/", "/records/nonsense/"):
        assert page(client, manager_b, url).status_code == 404


def test_bad_filters_answer_400_with_the_field_named(client, manager_a, manager_b, world):
    other_patrol = PatrolFactory(reserve=manager_b.memberships.get().reserve)
    for query, field in [("start=yesterday", "start"), (f"patrol={other_patrol.pk}", "patrol"),
                         ("start=2026-02-01&end=2026-01-01", "end"), ("state=burnt", "state"),
                         ("patrol=abc", "patrol")]:  # fmt: skip
        response = page(client, manager_a, f"/records/snare-finds/?{query}")
        assert response.status_code == 400, query
        assert f'data-testid="error-{field}"' in response.content.decode(), query
        assert ids(response) == []
    # a NUL is refused before any view, for every page (config.middleware): the app's bad-request page
    response = page(client, manager_a, "/records/snare-finds/?q=%00")
    assert (response.status_code, ids(response)) == (400, [])
    assert "The request could not be understood." in response.content.decode()


def test_incidents_and_detections_filter_by_kind_and_species(client, manager_a, reserve_a):
    camp = IncidentFactory(reserve=reserve_a, kind="poacher_camp", occurred_at=at(2))
    shot = IncidentFactory(reserve=reserve_a, kind="gunshot", occurred_at=at(3))
    camp.snare_finds.set([SnareFindFactory(reserve=reserve_a, catch_species=species("Moschus moschiferus"),
                                           catch_condition="dead")])  # fmt: skip
    assert ids(page(client, manager_a, "/records/incidents/?kind=gunshot")) == [shot.pk]
    assert ids(page(client, manager_a, "/records/incidents/?species=Moschus+moschiferus")) == [camp.pk]
    ibex = DetectionFactory(reserve=reserve_a, species=species("Capra sibirica"), method="track", observed_at=at(2))
    DetectionFactory(reserve=reserve_a, observed_at=at(3))  # snow leopard, camera
    assert ids(page(client, manager_a, "/records/detections/?kind=track")) == [ibex.pk]
    assert ids(page(client, manager_a, "/records/detections/?q=ibex")) == [ibex.pk]


def test_lists_page_through_the_rows(client, manager_a, reserve_a):
    finds = [SnareFindFactory(reserve=reserve_a, found_at=at(1 + n % 28, n % 20)) for n in range(55)]
    first = page(client, manager_a, "/records/snare-finds/?state=set")
    second = page(client, manager_a, "/records/snare-finds/?state=set&page=2")
    assert len(ids(first)) == 50 and len(ids(second)) == 5
    assert sorted(ids(first) + ids(second)) == sorted(f.pk for f in finds)
    assert "state=set&amp;page=2" in first.content.decode()


# session, user, the shell's reserve switcher (3), the filter form's teams, patrols, valleys and species, the
# count, the page, the map's points and the reserve's terrain, the patrols shown, the photos; the incidents' linked
# finds (prefetch)
@pytest.mark.parametrize(("section", "budget"), [("snare-finds", 16), ("incidents", 17), ("detections", 16)])
def test_a_list_costs_the_same_queries_for_3_or_30_rows(client, manager_a, reserve_a, team_a, section, budget):
    def make(n):
        patrol = PatrolFactory(reserve=reserve_a, team=team_a)
        for _ in range(n):
            find = SnareFindFactory(reserve=reserve_a, patrol=patrol, catch_species=species("Capra sibirica"),
                                    catch_condition="dead")  # fmt: skip
            IncidentFactory(reserve=reserve_a, patrol=patrol).snare_finds.set([find])
            DetectionFactory(reserve=reserve_a, patrol=patrol, species=species("Capra sibirica"))

    client.force_login(manager_a)
    counts = []
    for n in (3, 27):
        make(n)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/records/{section}/").status_code == 200
        counts.append(len(queries))
    assert counts == [budget, budget]
    assert SnareFind.objects.count() == 30


def test_the_browser_speaks_russian(client, manager_a, world):
    client.force_login(manager_a)
    page = client.get("/records/snare-finds/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Записи: Reserve A" in page and ">Дела</a>" in page and "3 записи" in page
    assert "Применить" in page and "Место (шир., долг.)" in page


def test_a_user_of_no_reserve_is_told_so(client, db):
    from tests.patrol.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get("/records/snare-finds/")
    assert response.status_code == 200
    assert "You are not a member of any reserve." in response.content.decode()
    assert client.get("/records/snare-finds/1/").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [("start=2026-01-04&end=2026-01-04", ["leopard"]), ("start=2026-01-05", ["other"]), ("end=2026-01-03", ["sprung"])],
)
def test_an_analysts_period_filter_works_on_the_day_shown(client, analyst_a, world, query, expected):
    """The leopard snare (10:00 UTC on 4 January) is shown on its UTC day: the period filter sees that day,
    and the index-backed range on the stored time underneath changes nothing."""
    assert ids(page(client, analyst_a, f"/records/snare-finds/?{query}")) == [world[n].pk for n in expected]

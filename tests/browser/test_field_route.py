"""A ranger's phone shows an assigned patrol's route with the network off (route and hillshade from the
phone's cache), and starting and ending the patrol there moves it on the server once the network is back."""

from datetime import timedelta

import pytest
from django.contrib.gis.geos import MultiPoint, Point
from django.utils import timezone

from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, ReserveFactory, TeamFactory
from tests.patrol.patrols.helpers import terrain_reserve, utm_line, utm_to_lonlat
from threats.fieldsync.models import SyncReceipt
from threats.records.models import SnareFind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def private_root(settings, tmp_path):
    settings.IRBIS_PRIVATE_ROOT = tmp_path / "private"
    return settings.IRBIS_PRIVATE_ROOT


def haversine_m(a, b):
    """The distance the app shows, computed independently (the same sphere of 6,371 km)."""
    import math

    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    s = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371000 * math.asin(math.sqrt(s))


@pytest.fixture
def assigned(private_root, tmp_path):
    reserve = terrain_reserve(tmp_path, slug="argut")
    ranger = member(reserve, Role.RANGER, username="ivan")
    team = TeamFactory(reserve=reserve, name="Argut team", members=[ranger])
    other = TeamFactory(reserve=reserve, name="Other team", members=[member(reserve, Role.RANGER)])
    tomorrow = timezone.now() + timedelta(days=1)
    PatrolFactory(reserve=reserve, team=other, status=Patrol.Status.PLANNED, track=None, objective="not ours",
                  planned_start=tomorrow, planned_end=tomorrow + timedelta(hours=8))  # fmt: skip
    route = utm_line((400_300, 3_799_700), (401_000, 3_799_000), (401_800, 3_798_500))
    waypoints = utm_to_lonlat((401_000, 3_799_000), (401_800, 3_798_500))
    return PatrolFactory(
        reserve=reserve, team=team, status=Patrol.Status.PLANNED, track=None, objective="Upper Argut",
        planned_start=timezone.now() + timedelta(days=1), planned_end=timezone.now() + timedelta(days=1, hours=8),
        planned_route=route, planned_waypoints=MultiPoint([Point(*w) for w in waypoints], srid=4326),
    )  # fmt: skip


def test_the_route_shows_offline_and_start_and_end_sync_the_lifecycle(browser, live_server, assigned):
    here = utm_to_lonlat((400_300, 3_799_700))[0]  # the route's first point: waypoint 1 lies ahead
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="en-US", permissions=["geolocation"],
        geolocation={"latitude": here[1], "longitude": here[0], "accuracy": 5}, service_workers="allow",
    )  # fmt: skip
    page = context.new_page()
    page.goto(f"{live_server.url}/field/")
    page.fill("#f-username", "ivan")
    page.fill("#f-password", "pw")
    page.click("#login-button")
    page.wait_for_selector(f"#upcoming [data-patrol='{assigned.pk}']")
    assert page.locator("#upcoming .upcoming").count() == 1  # only the ranger's own team's patrol
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
    page.wait_for_function("caches.open('irbis-field-map').then((c) => c.keys()).then((k) => k.length === 1)",
                           polling=200, timeout=15000)  # fmt: skip

    context.set_offline(True)
    page.reload()  # the app, Leaflet and the map come from the phone
    page.wait_for_selector("body[data-ready='1']")
    page.click(f"#upcoming [data-patrol='{assigned.pk}'] [data-testid=show-route]")
    page.wait_for_function(
        "(() => { const i = document.querySelector('[data-testid=hillshade]');"
        " return i && i.complete && i.naturalWidth > 0; })()"
    )
    assert page.locator("#route-map path.route-line").count() == 1
    assert page.locator("#route-map path.waypoint").count() == 2
    assert page.locator("#route-map path.me").count() == 1
    expected = round(haversine_m(here, assigned.planned_waypoints[0].coords))
    page.wait_for_selector(f"[data-testid=next-waypoint][data-metres='{expected}']")
    assert expected == 990  # 700 m east and 700 m south in UTM: 989.95 m on the grid
    assert page.locator("[data-testid=next-waypoint]").inner_text() == "Waypoint 1 of 2: 990 m"
    box = page.locator("#start-route-patrol").bounding_box()
    assert box["height"] >= 56  # a target for gloved fingers

    page.click("#start-route-patrol")
    page.wait_for_selector("#route-map")
    page.wait_for_selector("#end-patrol")
    page.wait_for_timeout(300)
    page.click("#end-patrol")
    page.wait_for_selector("[data-testid=waiting][data-records='2']")
    assigned.refresh_from_db()
    assert (assigned.status, assigned.actual_start, assigned.actual_end) == ("planned", None, None)

    context.set_offline(False)
    page.wait_for_selector("[data-testid=waiting][data-records='0']", timeout=20000)
    assigned.refresh_from_db()
    assert assigned.status == "completed"
    assert assigned.actual_start is not None and assigned.actual_end > assigned.actual_start
    assert assigned.actual_end - assigned.actual_start < timedelta(minutes=1)
    events = SyncReceipt.objects.filter(kind="patrol_event").values_list("object_id", flat=True)
    assert list(events) == [assigned.pk, assigned.pk]  # one start, one end, each stored once
    context.close()


def test_a_form_uses_the_patrols_fresh_fix_when_the_gps_fails(browser, live_server, private_root):
    reserve = ReserveFactory(slug="argut", name="Argut")
    ranger = member(reserve, Role.RANGER, username="ivan")
    TeamFactory(reserve=reserve, name="Argut team", members=[ranger])
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="en-US", permissions=["geolocation"],
        geolocation={"latitude": 50.1187, "longitude": 87.4312, "accuracy": 7},
    )  # fmt: skip
    page = context.new_page()
    page.goto(f"{live_server.url}/field/")
    page.fill("#f-username", "ivan")
    page.fill("#f-password", "pw")
    page.click("#login-button")
    page.click("#start-patrol")  # a new patrol for the team
    page.wait_for_function("document.querySelector('[data-testid=patrol-status]').textContent.includes(': 1 GPS')")
    # From now on every GPS reading fails (a cold receiver in a gorge): the form takes the patrol's last fix.
    page.evaluate("""navigator.geolocation.watchPosition = (ok, fail) => {
        setTimeout(() => fail({ code: 2, message: "position unavailable" }), 10); return 99; };
        navigator.geolocation.clearWatch = () => {};""")
    page.click("#new-snare")
    page.wait_for_selector("[data-testid=fix][data-source=patrol][data-accuracy='7']")
    assert page.locator("[data-testid=fix]").inner_text().startswith("50.11870, 87.43120 ± 7 m (the patrol's GPS fix,")
    page.click("#save-record")
    for _ in range(100):  # online, it syncs at once: wait for the find itself, not a "nothing waiting" from before
        if SnareFind.objects.exists():
            break
        page.wait_for_timeout(200)
    page.wait_for_selector("[data-testid=waiting][data-records='0']", timeout=20000)
    find = SnareFind.objects.get()
    assert (round(find.location.x, 4), round(find.location.y, 4), find.gps_accuracy_m) == (87.4312, 50.1187, 7.0)
    assert find.patrol == Patrol.objects.get(team__name="Argut team")
    context.close()

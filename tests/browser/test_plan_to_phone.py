"""From the manager's plan to the ranger's phone, in Debian's headless Chromium.

A manager plans an 8-hour patrol on the planning page, accepts a route, finds the patrol on the calendar
on its day for the team; then a ranger of that team opens the field app, sees the patrol among the team's
upcoming ones, and with the network off still sees its route, hotspot waypoints and the reserve's
hillshade, as on a ridge with no signal."""

import pytest

from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from tests.browser.test_planning import reserve_with_valleys  # noqa: F401  (the fixture: a world with valleys)
from tests.conftest import member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def login(page, url, username):
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit], input[type=submit]")


def test_a_planned_and_scheduled_patrol_reaches_the_rangers_phone_and_shows_offline(
    browser,
    live_server,
    reserve_with_valleys,  # noqa: F811
):
    reserve, team, _run = reserve_with_valleys
    ranger = member(reserve, Role.RANGER, username="ivan")
    team.members.add(ranger)

    manager = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US").new_page()
    login(manager, f"{live_server.url}/login/?next=/planning/", "planner")
    manager.wait_for_selector("#plan-map[data-ready='1']")
    manager.fill("[data-testid=date]", "2026-12-10")
    manager.fill("[data-testid=hours]", "8")
    manager.fill("input[name=alternatives]", "1")
    manager.select_option("[data-testid=team]", str(team.pk))
    manager.click("[data-testid=plan]")
    manager.wait_for_selector("#plan-map[data-all-routes-ms]", timeout=90_000)
    assert manager.locator("[data-testid=plan-error]").is_hidden(), manager.inner_text("[data-testid=plan-error]")
    manager.locator("[data-testid=route-card]").nth(0).locator("[data-testid=accept]").click()
    manager.wait_for_selector("[data-testid=accepted]:not([hidden])")
    patrol = Patrol.objects.get(pk=int(manager.get_attribute("[data-testid=accepted]", "data-patrol")))
    waypoints = len(patrol.planned_waypoints)
    assert (patrol.status, patrol.team, waypoints > 0) == ("planned", team, True)

    # scheduled: on the calendar, in the team's row, on its day
    manager.goto(f"{live_server.url}/schedule/calendar/?month=2026-12")
    manager.wait_for_selector("#calendar")
    day = manager.locator(f"td.day-cell[data-team='{team.pk}'][data-day='2026-12-10']")
    assert day.locator(f".chip[data-key='patrol:{patrol.pk}']").count() == 1

    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="en-US", service_workers="allow", permissions=["geolocation"],
        geolocation={"latitude": patrol.planned_route.coords[0][1], "longitude": patrol.planned_route.coords[0][0],
                     "accuracy": 5},
    )  # fmt: skip
    page = phone.new_page()
    page.goto(f"{live_server.url}/field/")
    page.fill("#f-username", "ivan")
    page.fill("#f-password", "pw")
    page.click("#login-button")
    page.wait_for_selector(f"#upcoming [data-patrol='{patrol.pk}']")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    page.wait_for_function("caches.open('irbis-field-map').then((c) => c.keys()).then((k) => k.length === 1)",
                           polling=200, timeout=15_000)  # fmt: skip

    phone.set_offline(True)
    page.reload()  # the app, Leaflet, the patrol and the hillshade come from the phone
    page.wait_for_selector("body[data-ready='1']")
    page.click(f"#upcoming [data-patrol='{patrol.pk}'] [data-testid=show-route]")
    page.wait_for_function(
        "(() => { const i = document.querySelector('[data-testid=hillshade]');"
        " return i && i.complete && i.naturalWidth > 0; })()"
    )
    assert page.locator("#route-map path.route-line").count() == 1
    assert page.locator("#route-map path.waypoint").count() == waypoints
    page.wait_for_selector("[data-testid=next-waypoint][data-metres]")
    assert page.locator("[data-testid=next-waypoint]").inner_text().startswith(f"Waypoint 1 of {waypoints}: ")
    phone.close()

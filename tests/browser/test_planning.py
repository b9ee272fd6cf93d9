"""The planning page in Debian's headless Chromium: from the risk map's valley ranking to a planned patrol.

A manager clicks a valley in the ranking (the map zooms to it), follows "Plan a patrol through it", asks for
routes, watches them arrive with the valleys they pass by name, and accepts one: the patrol exists."""

from datetime import UTC, datetime

import numpy as np
import pytest
from django.contrib.gis.geos import LineString, Point

from patrol.patrols.models import Patrol
from patrol.reserves.models import Post, Role, Team
from patrol.routing.models import RoutePlan
from patrol.terrain.selectors import post_nearest_valley
from patrol.terrain.services import valley_reaches_name
from tests.conftest import member
from tests.threats.risk.worlds import WORLD_END, seed_world
from threats.interchange import demo
from threats.interchange.demo_seed import to_wgs84
from threats.risk.compute import risk_compute_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def reserve_with_valleys(settings, tmp_path):
    settings.IRBIS_PRIVATE_ROOT = tmp_path / "private"
    reserve, world = seed_world("argut-plan", tmp_path)
    reserve.timezone = "Asia/Barnaul"
    reserve.save()
    valley_reaches_name(reserve=reserve, named=[
        (v.name, LineString([tuple(p) for p in v.xy.tolist()], srid=demo.DEMO_EPSG)) for v in world.valleys
    ])  # fmt: skip
    lonlat = to_wgs84(np.array([(x, y) for _name, x, y in world.posts]))
    posts = [Post.objects.create(reserve=reserve, name=name, location=Point(*map(float, ll), srid=4326))
             for (name, _x, _y), ll in zip(world.posts, lonlat, strict=True)]  # fmt: skip
    team = Team.objects.get(reserve=reserve)
    team.home_post = posts[0]
    team.save()
    run = risk_compute_now(reserve=reserve, end=WORLD_END)
    assert run.status == "done", run.error
    member(reserve, Role.MANAGER, clearance=True, username="planner")
    return reserve, team, run


def test_a_manager_plans_a_patrol_through_a_ranked_valley_and_accepts_a_route(browser, live_server,
                                                                              reserve_with_valleys):  # fmt: skip
    reserve, team, run = reserve_with_valleys
    page = browser.new_context(viewport={"width": 1280, "height": 1100}, locale="en-US").new_page()
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.goto(f"{live_server.url}/login/?next=/risk/")
    page.fill("#id_username", "planner")
    page.fill("#id_password", "pw")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_selector("#valley-table[data-rows]")
    assert page.locator(".shell-nav a[href='/planning/']").count() == 1

    # the ranking names valleys by name; a click zooms to the valley and offers to plan through it
    named = [v["name"] for v in run.summary["valleys"] if not (v["name"][0] == "V" and v["name"][1:].isdigit())]
    assert named and len(named) == len(set(named))
    valley = named[0]
    page.click(f"#valley-table tr[data-valley='{valley}']")
    page.wait_for_selector("[data-testid=valley-chosen]:not([hidden])")
    page.wait_for_selector("#risk-map path.valley-highlight", state="attached")  # the valley's reaches, drawn
    page.click("[data-testid=plan-through]")
    page.wait_for_url(f"**/planning/?must_pass={valley}")
    page.wait_for_selector("#plan-map[data-ready='1']")
    page.wait_for_selector("img.plan-hillshade", state="attached")
    page.wait_for_selector("img.plan-risk", state="attached")
    assert page.eval_on_selector("[data-testid=must-pass]", "s => Array.from(s.selectedOptions).map(o => o.value)") == [
        valley
    ]
    # the post nearest to the valley is the start
    nearest = post_nearest_valley(reserve_id=reserve.pk, name=valley)
    assert page.input_value("[data-testid=start-post]") == str(nearest.pk)

    page.fill("[data-testid=date]", "2026-12-10")
    page.fill("[data-testid=hours]", "8")
    page.click("[data-testid=plan]")
    page.wait_for_selector("#plan-map[data-all-routes-ms]", timeout=60_000)
    assert page.locator("[data-testid=plan-error]").is_hidden(), page.inner_text("[data-testid=plan-error]")
    cards = page.locator("[data-testid=route-card]")
    assert cards.count() == 3
    for i in range(3):
        text = cards.nth(i).inner_text()
        assert " h · " in text and " km · ascent " in text and "covered risk" in text
        assert valley in cards.nth(i).locator(".valley-chip").all_inner_texts()
    assert page.locator("#plan-map path.leaflet-interactive").count() >= 3  # the routes on the map
    plan = RoutePlan.objects.get(pk=int(page.get_attribute("#plan-map", "data-plan")))
    assert (plan.must_pass, plan.team, plan.status) == ([valley], team, "done")

    # adjust: a click on a valley of a route marks it to avoid in the next plan, and the plan honours it
    passed = plan.routes[0]["feature_collection"]["features"][0]["properties"]["valleys"]
    avoid = next(v for v in passed[1:] if v != valley)  # not the post's own valley (the first), not the one to pass
    cards.nth(0).locator(f".valley-chip[data-valley='{avoid}']").click()
    assert page.eval_on_selector("[data-testid=avoid]", "s => Array.from(s.selectedOptions).map(o => o.value)") == [
        avoid
    ]
    page.click("[data-testid=plan]")
    page.wait_for_function(
        f"(() => {{ const p = document.querySelector('#plan-map').dataset.plan; return p && p !== '{plan.pk}'; }})()",
        timeout=60_000,
    )
    plan = RoutePlan.objects.get(pk=int(page.get_attribute("#plan-map", "data-plan")))
    assert (plan.status, plan.must_pass, plan.avoid) == ("done", [valley], [avoid]), plan.error
    assert cards.count() == 3
    for i in range(3):
        names = cards.nth(i).locator(".valley-chip").all_inner_texts()
        assert valley in names and avoid not in names

    cards.nth(1).locator("[data-testid=accept]").click()
    page.wait_for_selector("[data-testid=accepted]:not([hidden])")
    patrol = Patrol.objects.get(pk=int(page.get_attribute("[data-testid=accepted]", "data-patrol")))
    assert page.inner_text("[data-testid=accepted]") == (
        f"Planned patrol #{patrol.pk}: {team.name}, 2026-12-10 08:00 to 2026-12-10 16:00 (reserve time)."
    )
    assert (patrol.team, patrol.status, patrol.reserve) == (team, "planned", reserve)
    assert patrol.planned_start == datetime(2026, 12, 10, 1, 0, tzinfo=UTC)  # 08:00 in Barnaul
    assert patrol.planned_route is not None and Patrol.objects.filter(reserve=reserve, status="planned").count() == 1
    assert external == []  # nothing from a CDN or a tile server
    print(
        f"\nplanning page (8 h, 3 routes, 8 x 8 km): first route on screen after "
        f"{page.get_attribute('#plan-map', 'data-first-route-ms')} ms, all after "
        f"{page.get_attribute('#plan-map', 'data-all-routes-ms')} ms"
    )

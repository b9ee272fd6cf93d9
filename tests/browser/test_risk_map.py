"""The manager's risk map in Debian's headless Chromium: layers over the hillshade, the valley table,
and a click on the map that explains the cell."""

import pytest

from patrol.reserves.models import Role
from tests.conftest import member
from tests.threats.risk.worlds import WORLD_END, seed_world
from threats.risk.compute import risk_compute_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def reserve_with_run(settings, tmp_path):
    settings.IRBIS_PRIVATE_ROOT = tmp_path / "private"
    reserve, _world = seed_world("argut-small", tmp_path)
    run = risk_compute_now(reserve=reserve, end=WORLD_END)
    assert run.status == "done", run.error
    member(reserve, Role.MANAGER, clearance=True, username="aigul")
    return reserve, run


def test_a_manager_sees_the_layers_the_valleys_and_explains_a_cell(browser, live_server, reserve_with_run):
    reserve, run = reserve_with_run
    page = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US").new_page()
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.goto(f"{live_server.url}/login/?next=/risk/")
    page.fill("#id_username", "aigul")
    page.fill("#id_password", "pw")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_selector("#risk-map[data-ready='1']")
    assert page.locator(".shell-nav a[href='/risk/']").count() == 1

    # the hillshade basemap and the snares layer, as image overlays served by the app
    page.wait_for_selector("img.risk-hillshade", state="attached")
    page.wait_for_selector("img.risk-layer-snares", state="attached")
    page.wait_for_function("document.querySelector('img.risk-layer-snares').complete "
                           "&& document.querySelector('img.risk-layer-snares').naturalWidth > 0")  # fmt: skip
    assert page.locator(".leaflet-control-layers-overlays label").count() == 7  # 4 layers + finds/incidents/detections
    assert page.get_attribute("[data-testid=run-info]", "data-run") == str(run.pk)
    assert page.locator("#legend .legend-row").count() == 4
    page.wait_for_selector("#risk-map[data-loaded-finds]")
    assert int(page.get_attribute("#risk-map", "data-loaded-finds")) == run.summary["inputs"]["snare_finds"]

    # the valley ranking
    page.wait_for_selector("#valley-table[data-rows]")
    rows = page.locator("#valley-table tbody tr")
    assert rows.count() == min(10, len(run.summary["valleys"])) > 0
    assert rows.first.locator("td").nth(1).inner_text() == run.summary["valleys"][0]["name"]

    # a click in the middle of the map explains that cell
    box = page.locator("#risk-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#explain-panel[data-state='done']")
    contributions = page.locator("[data-testid=contributions] li")
    assert contributions.count() == len(run.summary["contributions"]) + 1  # + nearby finds vs effort
    text = page.locator("#explain-panel").inner_text()
    assert "walking time from access" in text and "nearby finds vs effort" in text
    assert external == []  # nothing from a CDN or a tile server

"""The manager's risk map in Debian's headless Chromium: layers over the hillshade, the valley table,
and a click on the map that explains the cell."""

from decimal import ROUND_HALF_UP, Decimal

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
    assert page.locator(".leaflet-control-layers-overlays label").count() == 8  # 5 layers + finds/incidents/detections
    assert page.get_attribute("[data-testid=run-info]", "data-run") == str(run.pk)
    assert page.locator("#legend .legend-row").count() == 5
    page.wait_for_selector("#risk-map[data-loaded-finds]")
    assert int(page.get_attribute("#risk-map", "data-loaded-finds")) == run.summary["inputs"]["snare_finds"]

    # the valley ranking: "new" when there was practically nothing before, else the absolute change
    # and a percentage only when the earlier value allows one (the API's words, formatted for English)
    page.wait_for_selector("#valley-table[data-rows]")
    rows = page.locator("#valley-table tbody tr")
    assert rows.count() == min(10, len(run.summary["valleys"])) > 0
    assert rows.first.locator("td").nth(1).inner_text() == run.summary["valleys"][0]["name"]
    valleys = api_json(page, f"/api/v1/risk/{reserve.slug}/valleys/?top=10")["valleys"]
    for i, v in enumerate(valleys):
        assert rows.nth(i).locator("td").nth(4).inner_text() == trend_text(v), v

    # a click in the middle of the map explains that cell in a ranger's words
    box = page.locator("#risk-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#explain-panel[data-state='done']")
    summary = page.locator("[data-testid=summary]").inner_text()
    assert summary.startswith("Snares expected here: ") and "snare lines a year per km² — " in summary
    assert "log-intensity" not in page.locator("#explain-panel").inner_text().lower()
    # the numbers are behind a toggle: hidden until "Show the numbers" is clicked
    contributions = page.locator("[data-testid=contributions] li")
    assert contributions.count() == len(run.summary["contributions"]) + 1  # + snares found nearby
    assert not contributions.first.is_visible()
    page.click("[data-testid=numbers] summary")
    assert page.locator("[data-testid=numbers] summary").inner_text() == "Show the numbers"
    assert contributions.first.is_visible()
    numbers = page.locator("[data-testid=numbers]").inner_text()
    assert "walking time from access" in numbers and "snares found nearby" in numbers
    assert "Log-intensity of the cell" in numbers
    assert external == []  # nothing from a CDN or a tile server


def api_json(page, url):
    return page.evaluate("(url) => fetch(url, {credentials: 'same-origin'}).then((r) => r.json())", url)


def trend_text(v):
    if v["trend"] == "new":
        return "new: practically none before"
    change = v["change"]
    digits = 2 if abs(change) < 1 else 1
    text = f"{v['trend']} {_signed(change, digits)} snare lines/yr"
    return text if v["change_percent"] is None else f"{text} ({_signed(v['change_percent'], 0)} %)"


def _signed(value, digits):
    # the page formats with Intl.NumberFormat, which rounds half away from zero (14.5 -> 15); Python's
    # format rounds half to even (14.5 -> 14)
    rounded = Decimal(str(abs(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{digits}f}"
    return text if float(text.replace(",", "")) == 0 else ("+" if value > 0 else "-") + text


def test_the_map_speaks_russian(browser, live_server, reserve_with_run):
    reserve, _run = reserve_with_run
    page = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="ru-RU").new_page()
    page.goto(f"{live_server.url}/login/?next=/risk/")
    page.fill("#id_username", "aigul")
    page.fill("#id_password", "pw")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_selector("#risk-map[data-ready='1']")
    assert page.locator("h1").inner_text() == f"Риск петель: {reserve.name}"
    layers = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [t.strip() for t in layers[:5]] == ["Ожидаемые петли", "Риск для леопарда", "Неопределённость",
                                               "Неопределённость риска для леопарда", "Охват патрулями"]  # fmt: skip
    assert "линий петель в клетке за год" in page.locator("#legend").inner_text()
    box = page.locator("#risk-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#explain-panel[data-state='done']")
    panel = page.locator("#explain-panel")
    assert panel.locator("h2").inner_text() == "Почему эта клетка?"
    assert page.locator("[data-testid=summary]").inner_text().startswith("Ожидаемое число линий петель здесь: ")
    page.click("[data-testid=numbers] summary")
    numbers = page.locator("[data-testid=numbers]").inner_text()
    assert "время пешком от дорог и посёлков" in numbers and "Логарифм интенсивности" in numbers
    assert "walking time" not in panel.inner_text()

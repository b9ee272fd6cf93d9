"""The reports page in Debian's headless Chromium: headline figures, charts, the map of finds and effort
(served by the app, nothing from elsewhere), and the page in Russian."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, ReserveFactory, TeamFactory
from tests.threats.factories import SnareFindFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
UTC = ZoneInfo("UTC")


@pytest.fixture
def reserve():
    reserve = ReserveFactory(slug="browser-report", name="Argut", timezone="UTC")
    team = TeamFactory(reserve=reserve, name="Team North")
    patrol = PatrolFactory(reserve=reserve, team=team, actual_start=datetime(2026, 3, 5, 2, tzinfo=UTC),
                           actual_end=datetime(2026, 3, 5, 10, tzinfo=UTC), track_length_km=8.0)  # fmt: skip
    for i, count in enumerate([3, 2]):
        SnareFindFactory(reserve=reserve, patrol=patrol, count=count, location=Point(87.41 + i * 0.05, 50.11),
                         found_at=datetime(2026, 3, 5, 5 + i, tzinfo=UTC))  # fmt: skip
    member(reserve, Role.MANAGER, username="dina")
    return reserve


def _open(browser, live_server, locale):
    page = browser.new_context(viewport={"width": 1280, "height": 1000}, locale=locale).new_page()
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.goto(f"{live_server.url}/login/?next=/reports/%3Fperiod%3Dmonth%26value%3D2026-03")
    page.fill("#id_username", "dina")
    page.fill("#id_password", "pw")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_selector("[data-testid=report-table]")
    return page, external


def test_a_manager_reads_the_month_and_sees_finds_and_effort_on_the_map(browser, live_server, reserve):
    page, external = _open(browser, live_server, "en-US")
    assert page.locator("h1").inner_text() == "Report: Argut"
    assert page.locator("[data-testid=report-cards] [data-key=snares] .value").inner_text() == "5"
    assert page.locator("[data-testid=report-cards] [data-key=cpue_per_100km] .value").inner_text() == "62.5"
    assert page.locator("[data-testid=charts] svg.chart").count() == 3
    page.wait_for_selector("#report-map[data-find-cells][data-effort-cells]")
    assert page.get_attribute("#report-map", "data-find-cells") == "2"
    assert int(page.get_attribute("#report-map", "data-effort-cells")) > 0
    assert page.locator("#report-map path.leaflet-interactive").count() >= 3  # finds and effort cells drawn
    assert page.locator(".exports a").count() == 4
    assert external == []


def test_the_report_speaks_russian(browser, live_server, reserve):
    page, _external = _open(browser, live_server, "ru-RU")
    assert page.locator("h1").inner_text() == "Отчёт: Argut"
    assert "Найдено петель" in page.locator("[data-testid=report-table]").inner_text()
    assert page.locator("[data-testid=report-table] tr[data-key=cpue_per_100km] td").nth(2).inner_text() == "нет усилий"

"""The coverage page and a patrol's page draw their layers (hillshade, patrols per cell, gaps, plan, track)."""

from datetime import timedelta

import pytest
from django.contrib.gis.geos import MultiLineString
from django.utils import timezone

from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, TeamFactory
from tests.patrol.patrols.helpers import terrain_reserve, utm_line

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def private_root(settings, tmp_path):
    settings.IRBIS_PRIVATE_ROOT = tmp_path / "private"
    return settings.IRBIS_PRIVATE_ROOT


def test_the_coverage_and_patrol_pages_draw_their_layers(browser, live_server, private_root, tmp_path):
    reserve = terrain_reserve(tmp_path, slug="grid")
    manager = member(reserve, Role.MANAGER, username="olga")
    team = TeamFactory(reserve=reserve, name="Grid team", members=[member(reserve, Role.RANGER)])
    start = timezone.now() - timedelta(days=5)
    route = utm_line((400_315, 3_799_085), (401_305, 3_799_085))
    track = MultiLineString(utm_line((400_315, 3_799_085), (400_795, 3_799_085)), srid=4326)
    patrol = PatrolFactory(reserve=reserve, team=team, status=Patrol.Status.COMPLETED, actual_start=start,
                           actual_end=start + timedelta(hours=7), planned_route=route, track=track)  # fmt: skip
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/login/?next=/patrols/coverage/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/patrols/coverage/")
    page.wait_for_selector("#coverage-map img.layer-visits")
    assert page.locator("#coverage-map img.layer-gaps").count() == 1
    page.wait_for_function("Array.from(document.querySelectorAll('#coverage-map img')).every((i) => i.complete"
                           " && i.naturalWidth > 0)")  # fmt: skip
    assert page.locator("#coverage-map img").count() == 3  # hillshade, patrols per cell, gaps
    page.click(f"a[href='/patrols/{patrol.pk}/']")
    page.wait_for_selector("#coverage-map path.line-planned")
    assert page.locator("#coverage-map path.line-track").count() == 1
    assert page.locator("[data-testid=status]").inner_text() == "Completed"
    assert errors == []
    context.close()

"""The manager's calendar in Debian's headless Chromium: plan a patrol, drag it to another day, see a
conflict flagged, cancel a patrol; every time on the page is the reserve's (Asia/Barnaul, UTC+7)."""

from datetime import UTC, datetime

import pytest

from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PostFactory, ReserveFactory, TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def cell(page, team, day):
    return page.locator(f"td.day-cell[data-team='{team.pk}'][data-day='{day}']")


def plan(page, team, day, post, start):
    cell(page, team, day).locator("button.add").click()
    page.wait_for_selector("#create-dialog[open]")
    assert page.input_value("#create_team") == str(team.pk) and page.input_value("#create_day") == day
    page.select_option("#create_post", str(post.pk))
    page.fill("#create_start", start)
    page.fill("#create_hours", "6")
    page.click("#create-submit")
    page.wait_for_load_state("load")


def test_a_manager_plans_moves_and_cancels_patrols_and_sees_a_conflict(browser, live_server):
    reserve = ReserveFactory(slug="argut-cal", name="Argut")
    member(reserve, Role.MANAGER, username="aigul")
    team = TeamFactory(reserve=reserve, name="Argut team")
    post = PostFactory(reserve=reserve, name="Dzhazator Post")
    page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US").new_page()
    page.goto(f"{live_server.url}/login/?next=/schedule/calendar/%3Fmonth%3D2030-03")
    page.fill("#id_username", "aigul")
    page.fill("#id_password", "pw")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_selector("#calendar")
    assert "March 2030" in page.inner_text("h1")
    assert page.locator(".shell-nav a[href='/schedule/calendar/']").count() == 1

    # plan: 08:00 typed in the reserve's time is 01:00 UTC
    plan(page, team, "2030-03-05", post, "08:00")
    chip = cell(page, team, "2030-03-05").locator(".chip")
    assert chip.count() == 1 and chip.inner_text().strip() == "08:00 Dzhazator Post"
    patrol = Patrol.objects.get()
    assert patrol.planned_start == datetime(2030, 3, 5, 1, 0, tzinfo=UTC)

    # move: drag the patrol to March 7
    chip.drag_to(cell(page, team, "2030-03-07"))
    page.wait_for_selector(f"td.day-cell[data-day='2030-03-07'] .chip[data-key='patrol:{patrol.pk}']")
    assert cell(page, team, "2030-03-05").locator(".chip").count() == 0
    patrol.refresh_from_db()
    assert patrol.planned_start == datetime(2030, 3, 7, 1, 0, tzinfo=UTC)

    # a second patrol of the same team at 12:00 the same day overlaps: both are flagged
    plan(page, team, "2030-03-07", post, "12:00")
    chips = cell(page, team, "2030-03-07").locator(".chip")
    assert chips.count() == 2
    assert chips.nth(0).get_attribute("class").split().count("has-conflict") == 1
    assert chips.nth(1).get_attribute("class").split().count("has-conflict") == 1
    assert "Argut team is booked twice on 2030-03-07." in page.inner_text("#conflicts")

    # cancel the later one: the conflict goes, the patrol stays as cancelled
    chips.nth(1).click()
    page.wait_for_selector("#item-dialog[open]")
    assert page.inner_text("#remove-submit") == "Cancel patrol"
    page.click("#remove-submit")
    page.wait_for_load_state("load")
    page.wait_for_selector("#calendar")
    assert "booked twice" not in page.inner_text("#conflicts")
    later = Patrol.objects.exclude(pk=patrol.pk).get()
    assert later.status == Patrol.Status.CANCELLED
    assert "(Cancelled)" in cell(page, team, "2030-03-07").locator(".chip").nth(1).inner_text()

    # move through the dialog: to another day by typing the date
    cell(page, team, "2030-03-07").locator(f".chip[data-key='patrol:{patrol.pk}']").click()
    page.wait_for_selector("#item-dialog[open]")
    page.fill("#move_day", "2030-03-10")
    page.click("#move-submit")
    page.wait_for_selector(f"td.day-cell[data-day='2030-03-10'] .chip[data-key='patrol:{patrol.pk}']")
    patrol.refresh_from_db()
    assert patrol.planned_start == datetime(2030, 3, 10, 1, 0, tzinfo=UTC)


def test_a_manager_auto_fills_days_and_approves_the_drafts(browser, live_server, tmp_path, settings):
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon

    from patrol.scheduling.models import ScheduleRun
    from patrol.terrain.services import terrain_import
    from tests.patrol.terrain.helpers import UTM_11N, rolling_terrain, write_grid
    from tests.threats.factories import SnareFindFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "dem.tif"
    write_grid(path, rolling_terrain())
    corners = Polygon.from_bbox((400_000, 3_798_200, 402_100, 3_800_000))
    corners.srid = UTM_11N
    corners.transform(4326)
    reserve = ReserveFactory(slug="small-cal", projected_epsg=UTM_11N, boundary=MultiPolygon(corners, srid=4326))
    terrain_import(reserve=reserve, path=path, resolution_m=30)

    def utm(x, y):
        p = Point(x, y, srid=UTM_11N)
        p.transform(4326)
        return p

    post = PostFactory(reserve=reserve, name="Base", location=utm(400_615, 3_799_085))
    teams = [TeamFactory(reserve=reserve, name=f"Team {n}", home_post=post) for n in (1, 2)]
    SnareFindFactory(reserve=reserve, location=utm(401_500, 3_799_600), count=3)
    member(reserve, Role.MANAGER, username="aigul")
    page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US").new_page()
    page.goto(f"{live_server.url}/login/?next=/schedule/calendar/%3Fmonth%3D2030-06")
    page.fill("#id_username", "aigul")
    page.fill("#id_password", "pw")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_selector("#calendar")
    page.fill("#autofill_start", "2030-06-10")
    page.fill("#autofill_days", "3")
    page.fill("#autofill_hours", "1")
    page.fill("#autofill_max_patrol_days", "4")
    page.click("#autofill button[type=submit]")
    page.wait_for_selector("#approve-drafts")  # the worker runs eagerly here; a real one is polled
    run = ScheduleRun.objects.get()
    assert run.status == "done" and run.summary["patrols"] == 4
    assert page.locator("#calendar .chip.draft").count() == 4
    assert page.inner_text("#approve-drafts") == "Approve 4 drafts"
    drafted = {(t.pk, d) for t in teams for d in ("2030-06-10", "2030-06-11", "2030-06-12")
               if cell(page, t, d).locator(".chip.draft").count()}  # fmt: skip
    assert len(drafted) == 4  # no team twice a day
    page.click("#approve-drafts")
    page.wait_for_selector("#calendar")
    assert page.locator("#calendar .chip.draft").count() == 0
    assert page.locator("#calendar .chip.patrol.status-planned").count() == 4
    assert Patrol.objects.filter(status="planned", post=post, planned_route__isnull=False).count() == 4

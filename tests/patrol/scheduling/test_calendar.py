"""The calendar page: create, move and cancel patrols in the reserve's time zone; conflicts; drafts."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.gis.geos import LineString

from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from patrol.scheduling.models import ScheduleDraft, ScheduleRun
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, PostFactory, TeamFactory

pytestmark = pytest.mark.django_db

BARNAUL = 7  # Asia/Barnaul is UTC+7 all year


@pytest.fixture
def setup(reserve_a, manager_a, team_a, client):
    post = PostFactory(reserve=reserve_a, name="Argut Lower Post")
    client.force_login(manager_a)
    return reserve_a, team_a, post, client


def _planned(team, post, day, hour=8, hours=8):
    start = datetime(2030, 3, day, hour - BARNAUL, tzinfo=UTC)
    return PatrolFactory(reserve=team.reserve, team=team, post=post, planned_start=start, track=None,
                         planned_end=start + timedelta(hours=hours), status=Patrol.Status.PLANNED)  # fmt: skip


def test_a_manager_plans_a_patrol_at_a_local_time(setup):
    reserve, team, post, client = setup
    response = client.post("/schedule/patrols/", {"team": team.pk, "post": post.pk, "day": "2030-03-05",
                                                  "start": "08:00", "hours": "8", "month": "2030-03"})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/schedule/calendar/?month=2030-03"
    patrol = Patrol.objects.get()
    assert (patrol.team, patrol.post, patrol.status) == (team, post, Patrol.Status.PLANNED)
    assert patrol.planned_start == datetime(2030, 3, 5, 1, 0, tzinfo=UTC)  # 08:00 in Barnaul
    assert patrol.planned_end == datetime(2030, 3, 5, 9, 0, tzinfo=UTC)
    page = client.get("/schedule/calendar/?month=2030-03").content.decode()
    assert "08:00 Argut Lower Post" in page  # read back in the reserve's time, too


def test_moving_keeps_the_local_time_and_length_and_can_change_the_team(setup):
    reserve, team, post, client = setup
    other = TeamFactory(reserve=reserve, name="Team B")
    patrol = _planned(team, post, 5, hour=7, hours=10)
    response = client.post(f"/schedule/patrols/{patrol.pk}/move/", {"day": "2030-03-09", "team": other.pk})
    assert response.status_code == 302
    patrol.refresh_from_db()
    assert patrol.team == other
    assert patrol.planned_start == datetime(2030, 3, 9, 0, 0, tzinfo=UTC)
    assert patrol.planned_end == datetime(2030, 3, 9, 10, 0, tzinfo=UTC)
    assert patrol.version == 2


def test_cancelling_keeps_the_patrol_as_cancelled_and_a_finished_one_cannot_be_moved(setup):
    reserve, team, post, client = setup
    patrol = _planned(team, post, 5)
    assert client.post(f"/schedule/patrols/{patrol.pk}/cancel/").status_code == 302
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.CANCELLED
    done = PatrolFactory(reserve=reserve, team=team)
    before = (done.planned_start, done.status)
    response = client.post(f"/schedule/patrols/{done.pk}/move/", {"day": "2030-03-09"}, follow=True)
    done.refresh_from_db()
    assert (done.planned_start, done.status) == before
    assert "Only a planned patrol that has not started can be changed here." in response.content.decode()


def test_conflicts_are_flagged_on_the_page(setup):
    reserve, team, post, client = setup
    a = _planned(team, post, 5)
    b = _planned(team, post, 5, hour=12)
    page = client.get("/schedule/calendar/?month=2030-03").content.decode()
    assert "Team A is booked twice on 2030-03-05." in page
    assert page.count("has-conflict") == 2 + 1  # the two chips and the legend
    assert f'data-key="patrol:{a.pk}"' in page and f'data-key="patrol:{b.pk}"' in page
    # Only Mar 5 has a patrol from the post: Mar 1-4 are fine, Mar 6-31 is too long without cover.
    gap = "No patrol starts from Argut Lower Post for 26 days (2030-03-06 to 2030-03-31); the reserve allows 7."
    assert gap in page


@pytest.mark.parametrize("role", [Role.RANGER, Role.ANALYST])
def test_other_roles_cannot_use_the_calendar_and_change_nothing(setup, reserve_a, client, role):
    _, team, post, _ = setup
    patrol = _planned(team, post, 5)
    client.force_login(member(reserve_a, role))
    assert client.get("/schedule/calendar/").status_code == 403
    assert client.post(f"/schedule/patrols/{patrol.pk}/cancel/").status_code == 403
    assert client.post("/schedule/patrols/", {"team": team.pk, "day": "2030-03-06", "start": "08:00",
                                              "hours": "8"}).status_code == 403  # fmt: skip
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.PLANNED and Patrol.objects.count() == 1


def test_another_reserves_patrols_and_teams_cannot_be_reached(setup, reserve_b, manager_b, client):
    _, team, post, _ = setup
    patrol = _planned(team, post, 5)
    client.force_login(manager_b)
    assert client.post(f"/schedule/patrols/{patrol.pk}/cancel/").status_code == 404
    assert client.post(f"/schedule/patrols/{patrol.pk}/move/", {"day": "2030-03-09"}).status_code == 404
    assert client.post(f"/schedule/teams/{team.pk}/feed/renew/").status_code == 404
    response = client.post("/schedule/patrols/", {"team": team.pk, "day": "2030-03-06", "start": "08:00", "hours": "8"})
    assert response.status_code == 302  # the form refuses a team it does not offer
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.PLANNED and patrol.planned_start.day == 5 and Patrol.objects.count() == 1
    assert "Team A" not in client.get("/schedule/calendar/").content.decode()


def _run_with_drafts(reserve, team, post, manager):
    run = ScheduleRun.objects.create(reserve=reserve, requested_by=manager, start=date(2030, 3, 1), days=31, seed=1,
                                     status=ScheduleRun.Status.DONE)  # fmt: skip
    line = LineString((87.40, 50.10), (87.41, 50.11), (87.40, 50.10), srid=4326)
    drafts = [
        ScheduleDraft.objects.create(
            run=run,
            reserve=reserve,
            team=team,
            post=post,
            route=line,
            duration_h=7.5,
            covered_risk=1.5,
            planned_start=datetime(2030, 3, d, 1, tzinfo=UTC),
            planned_end=datetime(2030, 3, d, 9, tzinfo=UTC),
        )  # fmt: skip
        for d in (3, 4, 6)
    ]
    return run, drafts


def test_drafts_are_moved_dropped_and_approved_into_planned_patrols(setup, manager_a):
    reserve, team, post, client = setup
    run, drafts = _run_with_drafts(reserve, team, post, manager_a)
    page = client.get("/schedule/calendar/?month=2030-03").content.decode()
    assert page.count('class="chip draft') == 3 + 1 and "Approve 3 drafts" in page  # with the legend
    assert client.post(f"/schedule/drafts/{drafts[0].pk}/move/", {"day": "2030-03-10"}).status_code == 302
    assert client.post(f"/schedule/drafts/{drafts[2].pk}/discard/").status_code == 302
    assert client.post(f"/schedule/runs/{run.pk}/approve/").status_code == 302
    patrols = list(Patrol.objects.order_by("planned_start"))
    assert [(p.planned_start, p.team, p.post, p.status) for p in patrols] == [
        (datetime(2030, 3, 4, 1, tzinfo=UTC), team, post, Patrol.Status.PLANNED),
        (datetime(2030, 3, 10, 1, tzinfo=UTC), team, post, Patrol.Status.PLANNED),
    ]
    assert patrols[0].planned_route.coords == drafts[1].route.coords
    assert not ScheduleDraft.objects.exists()
    assert client.post(f"/schedule/runs/{run.pk}/approve/").status_code == 302  # twice: nothing more
    assert Patrol.objects.count() == 2


def test_a_ranger_cannot_approve_drafts(setup, reserve_a, manager_a, client):
    reserve, team, post, _ = setup
    run, _ = _run_with_drafts(reserve, team, post, manager_a)
    client.force_login(member(reserve_a, Role.RANGER))
    assert client.post(f"/schedule/runs/{run.pk}/approve/").status_code == 403
    assert client.post(f"/schedule/drafts/{run.drafts.first().pk}/discard/").status_code == 403
    assert (Patrol.objects.count(), ScheduleDraft.objects.count()) == (0, 3)


def test_an_auto_fill_is_queued_for_the_worker(setup, django_capture_on_commit_callbacks):
    reserve, team, post, client = setup
    response = client.post("/schedule/autofill/", {"start": "2030-03-01", "days": "31", "hours": "8"}, follow=True)
    # No terrain in this reserve: refused with the reason, nothing queued.
    assert "This reserve has no terrain yet" in response.content.decode()
    assert not ScheduleRun.objects.exists()


def test_the_admin_shows_and_takes_times_in_the_reserves_time_zone(client, reserve_a, team_a):
    from django.contrib.auth.models import Permission

    staff = member(reserve_a, Role.MANAGER, clearance=True)
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="patrol"))
    patrol = _planned(team_a, None, 5)  # 08:00 in Barnaul = 01:00 UTC
    client.force_login(staff)
    page = client.get(f"/admin/patrol/patrol/{patrol.pk}/change/").content.decode()
    assert 'name="planned_start_1" value="08:00:00"' in page
    body = {"reserve": reserve_a.pk, "team": team_a.pk, "status": "planned", "transport": "foot", "objective": "",
            "planned_start_0": "2030-03-06", "planned_start_1": "07:30:00",
            "planned_end_0": "2030-03-06", "planned_end_1": "15:30:00"}  # fmt: skip
    response = client.post(f"/admin/patrol/patrol/{patrol.pk}/change/", body)
    assert response.status_code == 302, response.context["adminform"].form.errors
    patrol.refresh_from_db()
    assert patrol.planned_start == datetime(2030, 3, 6, 0, 30, tzinfo=UTC)
    assert patrol.planned_end == datetime(2030, 3, 6, 8, 30, tzinfo=UTC)
    listing = client.get("/admin/patrol/patrol/").content.decode()
    assert "March 6, 2030, 7:30 a.m." in listing


def test_another_reserves_auto_fills_and_drafts_cannot_be_reached(setup, manager_a, manager_b, client):
    reserve, team, post, _ = setup
    run, drafts = _run_with_drafts(reserve, team, post, manager_a)
    client.force_login(manager_b)
    assert client.get(f"/schedule/runs/{run.pk}/status/").status_code == 404
    assert client.post(f"/schedule/runs/{run.pk}/approve/").status_code == 404
    assert client.post(f"/schedule/drafts/{drafts[0].pk}/move/", {"day": "2030-03-20"}).status_code == 404
    assert client.post(f"/schedule/drafts/{drafts[0].pk}/discard/").status_code == 404
    assert (Patrol.objects.count(), ScheduleDraft.objects.count()) == (0, 3)
    drafts[0].refresh_from_db()
    assert drafts[0].planned_start == datetime(2030, 3, 3, 1, tzinfo=UTC)
    client.force_login(manager_a)
    assert client.get(f"/schedule/runs/{run.pk}/status/").json() == {"status": "done", "progress": {}, "error": ""}


def test_the_patrols_api_takes_a_post_of_the_same_reserve_only(api, setup, manager_a, reserve_b):
    reserve, team, post, _ = setup
    api.force_authenticate(manager_a)
    body = {"reserve": reserve.slug, "team": team.pk, "planned_start": "2030-03-05T08:00:00+07:00",
            "planned_end": "2030-03-05T16:00:00+07:00", "status": "planned"}  # fmt: skip
    other = PostFactory(reserve=reserve_b)
    refused = api.post("/api/v1/patrols/", {**body, "post": other.pk}, format="json")
    assert refused.status_code == 400 and "post" in refused.json()["error"]["fields"]
    assert not Patrol.objects.exists()
    created = api.post("/api/v1/patrols/", {**body, "post": post.pk}, format="json")
    assert created.status_code == 201 and created.json()["properties"]["post"] == post.pk


def test_date_inputs_carry_iso_values_in_russian_too(setup):
    _, _, _, client = setup
    page = client.get("/schedule/calendar/?month=2030-03", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Календарь" in page
    assert 'type="date" name="start" value="2030-03-01"' in page
    assert 'type="time" name="start" value="08:00"' in page

"""Schedules are sensitive: rangers see only their own team's upcoming patrols, analysts none, and
nothing crosses reserves (the patrols API, the overview page and the calendar feeds)."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from patrol.scheduling.models import TeamCalendarFeed
from patrol.scheduling.services import team_feed_renew, team_feed_revoke
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, PostFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patrols(reserve_a, reserve_b, team_a, ranger_a):
    other = TeamFactory(reserve=reserve_a, name="Team B")
    soon = timezone.now() + timedelta(days=2)

    def planned(team, **kw):
        return PatrolFactory(reserve=team.reserve, team=team, planned_start=soon, planned_end=soon + timedelta(hours=8),
                             status=Patrol.Status.PLANNED, track=None, **kw)  # fmt: skip

    return {
        "own_future": planned(team_a),
        "own_past": PatrolFactory(reserve=reserve_a, team=team_a),
        "other_future": planned(other),
        "other_future_led": planned(other, leader=ranger_a),  # led by ranger_a, but another team's schedule
        "other_past": PatrolFactory(reserve=reserve_a, team=other, leader=ranger_a),
        "other_reserve_future": planned(TeamFactory(reserve=reserve_b)),
    }


def _ids(api, user):
    api.force_authenticate(user)
    response = api.get("/api/v1/patrols/", {"page_size": 100})
    assert response.status_code == 200
    return {f["id"] for f in response.json()["features"]}


def test_a_ranger_sees_only_their_own_teams_upcoming_patrols(api, patrols, ranger_a):
    p = patrols
    assert _ids(api, ranger_a) == {p["own_future"].pk, p["own_past"].pk, p["other_past"].pk}
    assert api.get(f"/api/v1/patrols/{p['other_future_led'].pk}/").status_code == 404
    assert api.get(f"/api/v1/patrols/{p['own_future'].pk}/").status_code == 200


def test_an_analyst_sees_no_upcoming_patrols(api, patrols, analyst_a):
    p = patrols
    assert _ids(api, analyst_a) == {p["own_past"].pk, p["other_past"].pk}
    assert api.get(f"/api/v1/patrols/{p['own_future'].pk}/").status_code == 404
    started = p["other_future"]
    Patrol.objects.filter(pk=started.pk).update(actual_start=timezone.now(), status=Patrol.Status.IN_PROGRESS)
    assert started.pk in _ids(api, analyst_a)  # once under way it is no longer a plan


def test_a_manager_sees_every_patrol_of_their_reserve_and_none_of_another(api, patrols, manager_a, manager_b):
    p = patrols
    assert _ids(api, manager_a) == {v.pk for k, v in p.items() if k != "other_reserve_future"}
    assert _ids(api, manager_b) == {p["other_reserve_future"].pk}


def test_the_overview_lists_upcoming_patrols_by_the_same_rules(client, patrols, analyst_a, ranger_a):
    client.force_login(analyst_a)
    assert client.get("/").context["upcoming"] == []
    client.force_login(ranger_a)
    assert [x.pk for x in client.get("/").context["upcoming"]] == [patrols["own_future"].pk]


# --- calendar feeds -------------------------------------------------------------------------------


def test_a_teams_feed_lists_its_patrols_in_utc_and_revoking_closes_it(client, reserve_a, team_a, manager_a):
    post = PostFactory(reserve=reserve_a, name="Dzhazator Post")
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    patrol = PatrolFactory(reserve=reserve_a, team=team_a, post=post, planned_start=start, track=None,
                           planned_end=start + timedelta(hours=8), status=Patrol.Status.PLANNED)  # fmt: skip
    token = team_feed_renew(actor=manager_a, team=team_a)
    assert TeamCalendarFeed.objects.get().token_sha256 != token  # only the digest is stored
    response = client.get(f"/schedule/feeds/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert f"UID:patrol-{patrol.pk}@testserver" in body
    assert f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%S}Z" in body
    assert f"DTEND:{start.astimezone(UTC) + timedelta(hours=8):%Y%m%dT%H%M%S}Z" in body
    assert "LOCATION:Dzhazator Post" in body and "STATUS:CONFIRMED" in body
    renewed = team_feed_renew(actor=manager_a, team=team_a)
    assert client.get(f"/schedule/feeds/{token}.ics").status_code == 404  # the old address stops working
    assert client.get(f"/schedule/feeds/{renewed}.ics").status_code == 200
    team_feed_revoke(actor=manager_a, team=team_a)
    assert client.get(f"/schedule/feeds/{renewed}.ics").status_code == 404
    assert not TeamCalendarFeed.objects.exists()


def test_feed_addresses_are_made_and_revoked_on_the_calendar_page_by_managers_only(client, reserve_a, team_a,
                                                                                   manager_a):  # fmt: skip
    client.force_login(manager_a)
    page = client.post(f"/schedule/teams/{team_a.pk}/feed/renew/", follow=True).content.decode()
    feed = TeamCalendarFeed.objects.get(team=team_a)
    assert 'id="feed-url">http://testserver/schedule/feeds/' in page
    token = page.split('id="feed-url">http://testserver/schedule/feeds/')[1].split(".ics")[0]
    assert client.get(f"/schedule/feeds/{token}.ics").status_code == 200
    assert "/schedule/feeds/" not in client.get("/schedule/calendar/").content.decode()  # shown once only
    client.force_login(member(reserve_a, Role.RANGER))
    assert client.post(f"/schedule/teams/{team_a.pk}/feed/revoke/").status_code == 403
    assert TeamCalendarFeed.objects.get(team=team_a) == feed
    client.force_login(manager_a)
    client.post(f"/schedule/teams/{team_a.pk}/feed/revoke/")
    assert client.get(f"/schedule/feeds/{token}.ics").status_code == 404


def test_the_overview_shows_upcoming_patrols_in_the_reserves_time(client, reserve_a, team_a, manager_a):
    start = (timezone.now() + timedelta(days=2)).replace(hour=1, minute=0, second=0, microsecond=0)
    PatrolFactory(reserve=reserve_a, team=team_a, planned_start=start, planned_end=start + timedelta(hours=8),
                  status=Patrol.Status.PLANNED, track=None)  # fmt: skip
    client.force_login(manager_a)
    assert f"{start.astimezone(UTC):%Y-%m-%d} 08:00" in client.get("/").content.decode()  # 01:00 UTC in Barnaul

"""Planning: route plans for a team and a day, through or around named valleys, accepted as planned patrols
(the API, the services and the planning page; Celery runs eagerly here)."""

from datetime import UTC, datetime

import numpy as np
import pytest
from django.contrib.auth.models import Permission
from django.contrib.gis.geos import LineString
from django.core.exceptions import ValidationError
from django.test import override_settings

from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from patrol.routing.models import RoutePlan
from patrol.routing.services import patrol_create_from_plan, route_plan_request
from patrol.terrain.models import TerrainGrid
from patrol.terrain.selectors import post_nearest_valley, reach_ids_by_name, reach_labels
from tests.conftest import member
from tests.patrol.routing.valley_world import module_transaction, seed_valley_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with override_settings(IRBIS_RISK_SURFACE="tests.patrol.routing.valley_world.flat_risk"):
        with module_transaction(django_db_blocker):
            with django_db_blocker.unblock():
                reserve, posts, team, _world = seed_valley_world("valleys-a", tmp_path_factory.mktemp("a"))
                other, other_posts, other_team, _ = seed_valley_world("valleys-b", tmp_path_factory.mktemp("b"),
                                                                      seed=2, size_m=6000.0)  # fmt: skip
                manager = member(reserve, Role.MANAGER, username="plan_manager_a")
                manager_b = member(other, Role.MANAGER, username="plan_manager_b")
                analyst = member(reserve, Role.ANALYST, username="plan_analyst_a")
                ranger = member(reserve, Role.RANGER, username="plan_ranger_a")
                labels = reach_labels(TerrainGrid.objects.get(reserve=reserve))
            yield {"reserve": reserve, "posts": posts, "team": team, "manager": manager, "analyst": analyst,
                   "ranger": ranger, "other": other, "other_posts": other_posts, "other_team": other_team,
                   "manager_b": manager_b, "labels": labels}  # fmt: skip


@pytest.fixture
def post_plan(api, django_capture_on_commit_callbacks):
    def post(body):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post("/api/v1/route-plans/", body, format="json")

    return post


def _body(w, **extra):
    return {"reserve": w["reserve"].slug, "start_post": w["posts"][0].pk, "team": w["team"].pk,
            "planned_date": "2026-12-10", "start_time": "07:30", "hours": 3, **extra}  # fmt: skip


def _route_cells(plan_json, k=0):
    return np.array(plan_json["routes"][k]["features"][0]["properties"]["cells"])


def _in_valley(w, cells, name):
    ids = reach_ids_by_name(reserve_id=w["reserve"].pk)[name]
    return np.isin(w["labels"][cells[:, 0], cells[:, 1]], ids)


def test_routes_name_the_valleys_they_pass(api, post_plan, world):
    api.force_authenticate(world["manager"])
    created = post_plan(_body(world, alternatives=2))
    assert created.status_code == 201, created.json()
    plan = api.get(f"/api/v1/route-plans/{created.json()['id']}/").json()
    assert (plan["status"], plan["progress"], len(plan["routes"])) == ("done", 100, 2)
    assert plan["team"] == world["team"].pk and plan["planned_date"] == "2026-12-10"
    valleys = plan["routes"][0]["features"][0]["properties"]["valleys"]
    names = {n for ids in [reach_ids_by_name(reserve_id=world["reserve"].pk)] for n in ids}
    assert valleys and set(valleys) <= names
    cells = _route_cells(plan)
    for name in valleys:
        assert _in_valley(world, cells, name).sum() >= 4, name


def test_a_valley_that_must_be_passed_is_passed_and_one_to_avoid_is_not_entered(api, post_plan, world):
    api.force_authenticate(world["manager"])
    free = api.get(f"/api/v1/route-plans/{post_plan(_body(world)).json()['id']}/").json()
    free_valleys = free["routes"][0]["features"][0]["properties"]["valleys"]
    named = [n for n in reach_ids_by_name(reserve_id=world["reserve"].pk) if not n.startswith("V")]
    target = next(n for n in named if n not in free_valleys and n != "Argut")
    through = api.get(f"/api/v1/route-plans/{post_plan(_body(world, must_pass=[target])).json()['id']}/").json()
    assert through["status"] == "done", through["error"]
    assert _in_valley(world, _route_cells(through), target).any()
    assert target in through["routes"][0]["features"][0]["properties"]["valleys"]

    post_cell = tuple(_route_cells(free)[0])
    home = next(n for n in free_valleys if _in_valley(world, np.array([post_cell]), n).all())
    avoided = next(n for n in free_valleys if n != home)  # a valley the free route walks, not the post's own
    assert _in_valley(world, _route_cells(free), avoided).sum() >= 4
    around = api.get(f"/api/v1/route-plans/{post_plan(_body(world, avoid=[avoided])).json()['id']}/").json()
    assert around["status"] == "done", around["error"]
    assert not _in_valley(world, _route_cells(around), avoided).any()
    assert avoided not in around["routes"][0]["features"][0]["properties"]["valleys"]
    # the post's own valley cannot be avoided: the planner says why
    stuck = api.get(f"/api/v1/route-plans/{post_plan(_body(world, avoid=[home])).json()['id']}/").json()
    assert stuck["status"] == "failed"
    assert stuck["error"] == f"{world['posts'][0].name} lies in a valley the route is to avoid."


def test_valleys_are_checked_by_name_and_out_of_reach_is_said(api, post_plan, world):
    api.force_authenticate(world["manager"])
    before = RoutePlan.objects.count()
    response = post_plan(_body(world, must_pass=["Nowhere"]))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"must_pass": ["No valley named Nowhere in this reserve."]}
    response = post_plan(_body(world, must_pass=["Argut"], avoid=["Argut"]))
    assert response.json()["error"]["fields"] == {"avoid": ["A valley cannot be both passed and avoided: Argut."]}
    assert RoutePlan.objects.count() == before
    far = post_plan(_body(world, hours=0.5, must_pass=["Irbistu", "Dzhazator", "Kyrlyk"])).json()
    plan = api.get(f"/api/v1/route-plans/{far['id']}/").json()
    assert plan["status"] == "failed"
    assert plan["error"].endswith("cannot be reached and left within the time given.")


def test_post_by_id_end_post_optional_and_never_zero(api, post_plan, world):
    api.force_authenticate(world["manager"])
    body = _body(world, end_post=world["posts"][1].pk)
    plan = api.get(f"/api/v1/route-plans/{post_plan(body).json()['id']}/").json()
    assert plan["end_post"] == world["posts"][1].pk and plan["status"] == "done"
    response = post_plan(_body(world, end_post=0))
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["end_post"]
    body = _body(world)
    assert "end_post" not in body and post_plan(body).json()["end_post"] is None


def test_accepting_a_route_makes_one_planned_patrol_at_the_reserves_local_time(api, post_plan, world):
    api.force_authenticate(world["manager"])
    plan_id = post_plan(_body(world, alternatives=2, transport="horse")).json()["id"]
    before = Patrol.objects.count()
    response = api.post(f"/api/v1/route-plans/{plan_id}/accept/", {"route": 2}, format="json")
    assert response.status_code == 201, response.json()
    patrol = Patrol.objects.get(pk=response.json()["patrol"])
    # 07:30 in Barnaul (UTC+7) is 00:30 UTC; three hours of walking
    assert patrol.planned_start == datetime(2026, 12, 10, 0, 30, tzinfo=UTC)
    assert patrol.planned_end == datetime(2026, 12, 10, 3, 30, tzinfo=UTC)
    assert response.json()["planned_start"] == "2026-12-10T07:30:00+07:00"
    assert (patrol.status, patrol.team, patrol.transport, patrol.reserve) == (
        "planned",
        world["team"],
        "horse",
        world["reserve"],
    )
    collection = RoutePlan.objects.get(pk=plan_id).routes[1]["feature_collection"]
    route = collection["features"][0]
    assert patrol.planned_route.equals_exact(LineString(route["geometry"]["coordinates"], srid=4326), 1e-9)
    # the hotspot waypoints go with the patrol to the phone, in route order, and the post it starts from
    marked = sorted((f for f in collection["features"] if f["properties"]["kind"] == "waypoint"),
                    key=lambda f: f["properties"]["order"])  # fmt: skip
    assert len(marked) > 0
    assert [list(p.coords) for p in patrol.planned_waypoints] == [f["geometry"]["coordinates"][:2] for f in marked]
    assert patrol.post == world["posts"][0]
    assert RoutePlan.objects.get(pk=plan_id).patrol == patrol
    again = api.post(f"/api/v1/route-plans/{plan_id}/accept/", {"route": 1}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["fields"] == {"route": ["A patrol was already made from this plan."]}
    assert Patrol.objects.count() == before + 1


def test_an_expedition_ends_on_its_last_day(world):
    plan = RoutePlan(reserve=world["reserve"], start_post=world["posts"][0], team=world["team"], hours=6, days=3,
                     planned_date=datetime(2026, 3, 28).date(), status=RoutePlan.Status.DONE)  # fmt: skip
    from patrol.routing.services import plan_local_times

    start, end = plan_local_times(plan)
    assert (start.isoformat(), end.isoformat()) == ("2026-03-28T08:00:00+07:00", "2026-03-30T14:00:00+07:00")


def test_only_managers_accept_and_nothing_crosses_reserves(api, post_plan, world):
    api.force_authenticate(world["manager"])
    plan_id = post_plan(_body(world)).json()["id"]
    before = Patrol.objects.count()
    for user in (world["manager_b"], world["ranger"], world["analyst"]):  # a plan for a day is a future patrol
        api.force_authenticate(user)
        assert api.get(f"/api/v1/route-plans/{plan_id}/").status_code == 404
        assert api.post(f"/api/v1/route-plans/{plan_id}/accept/", {"route": 1}, format="json").status_code == 404
    plan = RoutePlan.objects.get(pk=plan_id)
    with pytest.raises(ValidationError):  # another reserve's team
        patrol_create_from_plan(actor=world["manager"], plan=plan, team=world["other_team"])
    assert Patrol.objects.count() == before and RoutePlan.objects.get(pk=plan_id).patrol is None

    api.force_authenticate(world["manager_b"])
    count = RoutePlan.objects.count()
    mixed = post_plan({**_body(world), "reserve": world["other"].slug})  # B's reserve, A's post and team
    assert mixed.status_code == 400 and set(mixed.json()["error"]["fields"]) == {"start_post", "team"}
    with pytest.raises(ValidationError) as caught:
        route_plan_request(actor=world["manager_b"], reserve=world["other"], start_post=world["other_posts"][0],
                           team=world["team"], hours=2)  # fmt: skip
    assert caught.value.message_dict == {"team": ["This team belongs to another reserve."]}
    assert RoutePlan.objects.count() == count


def test_valley_reaches_by_name_stay_in_their_reserve(api, world):
    api.force_authenticate(world["manager"])
    mine = api.get("/api/v1/valley-reaches/", {"name": "Argut", "page_size": 200}).json()["features"]
    assert mine and {f["properties"]["reserve"] for f in mine} == {world["reserve"].slug}
    assert {f["properties"]["name"] for f in mine} == {"Argut"}
    api.force_authenticate(world["manager_b"])
    theirs = api.get("/api/v1/valley-reaches/", {"name": "Argut", "reserve__slug": world["reserve"].slug}).json()
    assert theirs["count"] == 0


def test_the_planning_page_is_for_managers(client, world):
    client.force_login(world["manager"])
    page = client.get("/planning/?must_pass=Shavla&must_pass=Nowhere")
    assert page.status_code == 200
    html = page.content.decode()
    assert world["posts"][0].name in html and world["team"].name in html
    assert '<option value="Shavla" selected>' in html and "Nowhere" not in html
    assert world["other_posts"][0].name not in html or world["other_posts"][0].name == world["posts"][0].name
    assert "Team valleys-b" not in html
    for user in (world["analyst"], world["ranger"]):
        client.force_login(user)
        assert client.get("/planning/").status_code == 403


def test_a_plan_added_in_the_admin_is_queued_and_computed(client, world, django_capture_on_commit_callbacks):
    admin = member(world["reserve"], Role.ADMIN, username="plan_admin_a")
    admin.is_staff = True
    admin.save()
    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="patrol"))
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True) as sent:
        response = client.post("/admin/patrol/routeplan/add/", {
            "reserve": world["reserve"].pk, "start_post": world["posts"][0].pk, "team": world["team"].pk,
            "planned_date": "2026-12-11", "hours": 2, "days": 1, "radius_m": 100, "max_slope_deg": 40,
            "transport": "foot", "alternatives": 1, "avoid_recent_days": 14, "must_pass": '["Argut"]', "avoid": "[]",
        })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = RoutePlan.objects.get(planned_date="2026-12-11")
    assert len(sent) >= 1  # the computation was handed to the worker on commit
    assert (plan.status, plan.requested_by, plan.must_pass, len(plan.routes)) == ("done", admin, ["Argut"], 1)
    # a valley the reserve does not have is refused on the form, and nothing is saved
    response = client.post("/admin/patrol/routeplan/add/", {
        "reserve": world["reserve"].pk, "start_post": world["posts"][0].pk, "planned_date": "2026-12-12", "hours": 2,
        "days": 1, "radius_m": 100, "max_slope_deg": 40, "transport": "foot", "alternatives": 1,
        "avoid_recent_days": 14, "must_pass": '["Nowhere"]', "avoid": "[]",
    })  # fmt: skip
    assert response.status_code == 200 and "No valley named Nowhere in this reserve." in response.content.decode()
    assert not RoutePlan.objects.filter(planned_date="2026-12-12").exists()


def test_a_leader_may_be_named_and_must_belong_to_the_reserve(api, post_plan, world):
    api.force_authenticate(world["manager"])
    plan_id = post_plan(_body(world)).json()["id"]
    outsider = member(world["other"], Role.RANGER, username="plan_outsider_b")
    refused = api.post(f"/api/v1/route-plans/{plan_id}/accept/", {"route": 1, "leader": outsider.username},
                       format="json")  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"leader": ["The leader must be a member of the reserve."]}
    assert RoutePlan.objects.get(pk=plan_id).patrol is None
    accepted = api.post(f"/api/v1/route-plans/{plan_id}/accept/", {"route": 1, "leader": world["ranger"].username},
                        format="json")  # fmt: skip
    assert accepted.status_code == 201
    assert Patrol.objects.get(pk=accepted.json()["patrol"]).leader == world["ranger"]


def test_planning_through_a_valley_starts_at_the_post_nearest_to_it(client, world):
    client.force_login(world["manager"])
    for name in ("Dzhazator", "Argut"):
        nearest = post_nearest_valley(reserve_id=world["reserve"].pk, name=name)
        html = client.get(f"/planning/?must_pass={name}").content.decode()
        assert f'<option value="{nearest.pk}" selected>{nearest.name}</option>' in html
        assert 'data-keep-post="1"' in html
    assert "data-keep-post" not in client.get("/planning/").content.decode()


def test_a_plan_that_cannot_be_made_says_why_in_the_requesters_language(api, post_plan, world):
    api.force_authenticate(world["manager"])
    api.credentials(HTTP_ACCEPT_LANGUAGE="ru")
    far = post_plan(_body(world, hours=0.5, must_pass=["Irbistu", "Dzhazator", "Kyrlyk"])).json()
    plan = RoutePlan.objects.get(pk=far["id"])
    assert (plan.status, plan.language) == ("failed", "ru")
    assert plan.error.startswith("За отведённое время нельзя дойти до долины ")

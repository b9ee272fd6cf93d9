"""The admin keeps reserves apart: lists, forms, choices, filters, lookups, and no self-escalation."""

import re

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory

from patrol.reserves.admin_base import ReserveScopedAdmin
from patrol.reserves.models import Membership, Post, Role
from patrol.routing.models import RoutePlan
from tests.conftest import member
from tests.patrol.factories import AccessPointFactory, PatrolFactory, PostFactory, TeamFactory, ZoneFactory
from tests.threats.factories import CameraDeploymentFactory, DetectionFactory, IncidentFactory, SnareFindFactory
from threats.fieldsync.devices import device_login
from threats.risk.models import RiskRun

pytestmark = pytest.mark.django_db


def staff(reserve, role, username):
    user = member(reserve, role, clearance=False, username=username)
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["patrol", "threats"]))
    return user


@pytest.fixture
def admin_a(reserve_a):
    return staff(reserve_a, Role.ADMIN, "admin_a")


@pytest.fixture
def manager_a_staff(reserve_a):
    return staff(reserve_a, Role.MANAGER, "staff_manager_a")


@pytest.fixture
def theirs(reserve_b):
    """One object of reserve B for every admin page that can have one."""
    ranger_b = member(reserve_b, Role.RANGER, username="ranger_b")
    team = TeamFactory(reserve=reserve_b, members=[ranger_b])
    post = PostFactory(reserve=reserve_b)
    patrol = PatrolFactory(reserve=reserve_b, team=team)
    find = SnareFindFactory(reserve=reserve_b, patrol=patrol)
    device, _ = device_login(user=ranger_b, reserve=reserve_b, device_id="phone-b")
    return {
        "reserve": reserve_b,
        "membership": Membership.objects.get(user=ranger_b),
        "zone": ZoneFactory(reserve=reserve_b),
        "post": post,
        "accesspoint": AccessPointFactory(reserve=reserve_b),
        "team": team,
        "patrol": patrol,
        "snarefind": find,
        "incident": IncidentFactory(reserve=reserve_b),
        "detection": DetectionFactory(reserve=reserve_b),
        "cameradeployment": CameraDeploymentFactory(reserve=reserve_b),
        "device": device,
        "routeplan": RoutePlan.objects.create(reserve=reserve_b, start_post=post, hours=8),
        "riskrun": RiskRun.objects.create(reserve=reserve_b),
        "ranger_b": ranger_b,
    }


def scoped_admins():
    return [(m, a) for m, a in django_admin.site._registry.items() if isinstance(a, ReserveScopedAdmin)]


def test_every_scoped_admin_lists_nothing_of_another_reserve(admin_a, theirs, reserve_a):
    request = RequestFactory().get("/admin/")
    request.user = admin_a
    for model, model_admin in scoped_admins():
        path = model_admin.reserve_path.removesuffix("_id")
        foreign = model_admin.get_queryset(request).exclude(
            **{path: reserve_a} if path != "id" else {"id": reserve_a.pk}
        )
        assert list(foreign) == [], model.__name__


@pytest.mark.parametrize(
    "key",
    ["reserve", "membership", "zone", "post", "accesspoint", "team", "patrol", "snarefind", "incident", "detection",
     "cameradeployment", "device", "routeplan", "riskrun"],
)  # fmt: skip
def test_another_reserves_objects_cannot_be_seen_changed_or_deleted(client, admin_a, theirs, key):
    obj = theirs[key]
    meta = obj._meta
    client.force_login(admin_a)
    base = f"/admin/{meta.app_label}/{meta.model_name}/"
    listing = client.get(base)
    assert listing.status_code == 200
    assert f"{base}{obj.pk}/change/" not in listing.content.decode()
    assert client.get(f"{base}{obj.pk}/change/").status_code == 302  # "doesn't exist", back to the index
    assert client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code in (302, 403)  # reserves: 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def _options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return [label for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select) if value]


def test_add_forms_offer_only_ones_own_reserves_and_people(client, admin_a, theirs, reserve_a):
    client.force_login(admin_a)
    assert _options(client.get("/admin/patrol/post/add/").content.decode(), "reserve") == [reserve_a.name]
    assert _options(client.get("/admin/patrol/membership/add/").content.decode(), "reserve") == [reserve_a.name]
    people = _options(client.get("/admin/patrol/membership/add/").content.decode(), "user")
    assert people == ["admin_a"]  # members of reserve A; nobody from B, not every user of the platform
    members = _options(client.get("/admin/patrol/team/add/").content.decode(), "members")
    assert "ranger_b" not in members


def test_nothing_can_be_saved_into_another_reserve(client, admin_a, theirs, reserve_a):
    client.force_login(admin_a)
    response = client.post(
        "/admin/patrol/membership/add/",
        {"user": admin_a.pk, "reserve": theirs["reserve"].pk, "role": "manager", "sensitive_clearance": "on"},
    )
    assert response.status_code == 200  # the form again, with errors
    assert not Membership.objects.filter(user=admin_a, reserve=theirs["reserve"]).exists()
    response = client.post(
        "/admin/patrol/post/add/",
        {"reserve": theirs["reserve"].pk, "name": "Their post", "kind": "station", "location": "POINT (87.3 50.1)"},
    )
    assert response.status_code == 200 and not Post.objects.filter(name="Their post").exists()
    response = client.post(
        "/admin/patrol/routeplan/add/",
        {"reserve": reserve_a.pk, "start_post": theirs["post"].pk, "hours": 8, "days": 1, "radius_m": 100,
         "max_slope_deg": 40, "transport": "foot", "alternatives": 1, "avoid_recent_days": 14, "status": "queued"},
    )  # fmt: skip
    assert response.status_code == 200 and not RoutePlan.objects.filter(reserve=reserve_a).exists()


def test_a_leader_of_another_reserve_answers_like_one_that_does_not_exist(client, admin_a, theirs, reserve_a, team_a):
    client.force_login(admin_a)
    patrol = PatrolFactory(reserve=reserve_a, team=team_a)
    url = f"/admin/patrol/patrol/{patrol.pk}/change/"
    form = {"reserve": reserve_a.pk, "team": team_a.pk, "status": "planned", "transport": "foot"}

    def error_for(leader_id):
        page = client.post(url, {**form, "leader": leader_id}).content.decode()
        return re.search(r'<ul class="errorlist"[^>]*id="id_leader_error"[^>]*>(.*?)</ul>', page, re.S).group(1)

    assert error_for(theirs["ranger_b"].pk) == error_for(987654)


def test_nobody_changes_their_own_role_or_clearance(client, admin_a, reserve_a):
    client.force_login(admin_a)
    own = Membership.objects.get(user=admin_a)
    assert 'name="_save"' not in client.get(f"/admin/patrol/membership/{own.pk}/change/").content.decode()  # read-only
    response = client.post(
        f"/admin/patrol/membership/{own.pk}/change/",
        {"user": admin_a.pk, "reserve": reserve_a.pk, "role": "admin", "sensitive_clearance": "on"},
    )
    assert response.status_code == 403
    assert client.post(f"/admin/patrol/membership/{own.pk}/delete/", {"post": "yes"}).status_code == 403
    own.refresh_from_db()
    assert own.sensitive_clearance is False


def test_a_reserve_admin_sets_others_roles_managers_may_not(client, admin_a, manager_a_staff, reserve_a):
    ranger = member(reserve_a, Role.RANGER, username="ranger_x")
    membership = Membership.objects.get(user=ranger)
    client.force_login(manager_a_staff)
    assert client.get("/admin/patrol/membership/").status_code == 403
    client.force_login(admin_a)
    response = client.post(
        f"/admin/patrol/membership/{membership.pk}/change/",
        {"user": ranger.pk, "reserve": reserve_a.pk, "role": "manager"},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "manager"


def test_list_filters_name_only_ones_own_reserves_and_teams(client, admin_a, theirs, reserve_a, team_a):
    PatrolFactory(reserve=reserve_a, team=team_a)
    client.force_login(admin_a)
    page = client.get("/admin/patrol/patrol/").content.decode()
    assert reserve_a.name in page and team_a.name in page
    assert theirs["reserve"].name not in page and theirs["team"].name not in page


@pytest.mark.parametrize("model", ["detection", "cameradeployment", "snarefind", "post"])
def test_lookups_on_exact_geometry_are_refused(client, admin_a, reserve_a, model):
    DetectionFactory(reserve=reserve_a)
    client.force_login(admin_a)
    polygon = "POLYGON((87 50, 88 50, 88 51, 87 51, 87 50))"
    assert client.get(f"/admin/{'patrol' if model == 'post' else 'threats'}/{model}/",
                      {"location__intersects": polygon}).status_code == 400  # fmt: skip


def test_species_are_shared_so_only_superusers_change_them(client, admin_a):
    client.force_login(admin_a)
    assert client.get("/admin/threats/species/1/change/").status_code in (200, 302)  # may look
    response = client.post("/admin/threats/species/add/", {"scientific_name": "Felis catus"})
    assert response.status_code == 403


def test_rangers_and_analysts_have_no_admin_even_as_staff(client, reserve_a):
    for role in (Role.RANGER, Role.ANALYST):
        user = staff(reserve_a, role, f"staff_{role}")
        client.force_login(user)
        assert client.get("/admin/threats/snarefind/").status_code == 403

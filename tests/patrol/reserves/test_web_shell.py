import pytest

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import ReserveFactory

pytestmark = pytest.mark.django_db


def test_login_page_speaks_the_browsers_language(client):
    russian = client.get("/login/", HTTP_ACCEPT_LANGUAGE="ru")
    assert russian.status_code == 200
    body = russian.content.decode()
    assert "<h1>Войти</h1>" in body
    assert "Имя пользователя" in body
    english = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Log in" in english.content.decode()


def test_home_needs_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_home_shows_own_reserves_in_the_switcher_only(client, reserve_a, manager_a, reserve_b):
    second = ReserveFactory(slug="reserve-c", name="Sailugem")
    member_of_c = manager_a.memberships.create(reserve=second, role=Role.ANALYST)
    client.force_login(manager_a)
    body = client.get("/").content.decode()
    assert '<option value="reserve-a" selected>Reserve A</option>' in body
    assert '<option value="reserve-c">Sailugem</option>' in body
    assert "reserve-b" not in body

    switched = client.post("/reserve/switch/", {"reserve": "reserve-c"})
    assert switched.status_code == 302
    body = client.get("/").content.decode()
    assert "<h1>Sailugem</h1>" in body
    assert "Your role: Analyst" in body
    assert member_of_c.reserve_id == second.pk


def test_switching_to_a_reserve_you_are_not_in_is_404(client, manager_a, reserve_b):
    client.force_login(manager_a)
    assert client.post("/reserve/switch/", {"reserve": "reserve-b"}).status_code == 404
    assert client.session.get("reserve_slug") is None


def test_user_without_reserve_is_told_so(client, db):
    from tests.patrol.factories import UserFactory

    client.force_login(UserFactory())
    assert "You are not a member of any reserve." in client.get("/").content.decode()


def test_openapi_schema_and_local_swagger_ui(client, reserve_a):
    client.force_login(member(reserve_a, Role.ANALYST))
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ["/api/v1/snare-finds/", "/api/v1/detections/", "/api/v1/patrols/", "/api/v1/posts/",
                 "/api/v1/access-points/", "/api/v1/zones/", "/api/v1/incidents/"]:  # fmt: skip
        assert path in paths
    docs = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs"):
        assert cdn not in docs


def test_risk_map_link_is_shown_to_managers_not_rangers(client, reserve_a):
    client.force_login(member(reserve_a, Role.MANAGER))
    assert "/risk/" in client.get("/").content.decode()
    client.force_login(member(reserve_a, Role.RANGER))
    assert "/risk/" not in client.get("/").content.decode()


def _menu(client, user) -> list[str]:
    import re

    client.force_login(user)
    nav = client.get("/").content.decode().split('<nav class="shell-nav"')[1].split("</nav>")[0]
    return re.findall(r">([^<>]+)</a>", nav)


def test_each_role_sees_only_the_menu_entries_it_can_use(client, reserve_a, team_a):
    manager = member(reserve_a, Role.MANAGER)
    manager.is_staff = True
    manager.save()
    analyst = member(reserve_a, Role.ANALYST)
    ranger = team_a.members.get()
    assert _menu(client, manager) == [
        "Overview", "Records", "Admin", "Plan patrols", "Calendar", "Import GPX", "Risk map", "Coverage", "Reports",
        "Field app", "API",
    ]  # fmt: skip
    assert _menu(client, analyst) == ["Overview", "Records", "Risk map", "Coverage", "Reports", "API"]
    assert _menu(client, ranger) == ["Overview", "Records", "Import GPX", "Field app", "API"]


def test_favicon_is_the_apps_icon(client):
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (301, "/static/field/icon-192.png")

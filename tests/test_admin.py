import pytest
from django.contrib.auth.models import Permission

from patrol.patrols.services import patrol_update
from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory
from tests.threats.factories import SnareFindFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_manager(reserve_a):
    user = member(reserve_a, Role.MANAGER, clearance=True, username="staff_manager")
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["patrol", "threats"]))
    return user


def test_admin_change_form_has_a_map_widget(client, staff_manager, reserve_a):
    find = SnareFindFactory(reserve=reserve_a)
    client.force_login(staff_manager)
    page = client.get(f"/admin/threats/snarefind/{find.pk}/change/").content.decode()
    assert "leaflet/leaflet.js" in page
    assert "id_location-map" in page or "id_location_map" in page


def test_admin_shows_patrol_history_with_who_changed_what(client, staff_manager, reserve_a):
    patrol = PatrolFactory(reserve=reserve_a, objective="Sweep Shavla")
    patrol_update(actor=staff_manager, patrol=patrol, data={"objective": "Sweep Kara-Su"})
    client.force_login(staff_manager)
    page = client.get(f"/admin/patrol/patrol/{patrol.pk}/history/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Sweep Shavla" in body and "Sweep Kara-Su" in body


def test_admin_lists_only_own_reserves(client, staff_manager, reserve_a, reserve_b):
    SnareFindFactory(reserve=reserve_a, notes="ours")
    theirs = SnareFindFactory(reserve=reserve_b)
    client.force_login(staff_manager)
    listing = client.get("/admin/threats/snarefind/")
    assert listing.status_code == 200
    assert f"/admin/threats/snarefind/{theirs.pk}/change/" not in listing.content.decode()
    assert client.get(f"/admin/threats/snarefind/{theirs.pk}/change/").status_code == 302  # "doesn't exist"


def test_every_model_has_an_admin_page():
    from django.apps import apps
    from django.contrib import admin as django_admin

    missing = [
        m.__name__ for app in ("patrol", "threats") for m in apps.get_app_config(app).get_models()
        if not m.__name__.startswith("Historical") and m not in django_admin.site._registry
    ]  # fmt: skip
    assert missing == []


def test_a_manager_revokes_a_lost_phone_in_the_admin(client, staff_manager, reserve_a):
    from tests.conftest import member
    from threats.fieldsync.devices import device_login
    from threats.fieldsync.models import Device

    ranger = member(reserve_a, Role.RANGER)
    device, _token = device_login(user=ranger, reserve=reserve_a, device_id="lost-phone")
    client.force_login(staff_manager)
    response = client.post("/admin/threats/device/", {"action": "revoke", "_selected_action": [device.pk]})
    assert response.status_code == 302
    assert Device.objects.get(pk=device.pk).revoked_at is not None


@pytest.mark.parametrize("kind", ["snarefind", "detection", "patrol"])
def test_a_past_version_page_opens_for_the_reserves_manager(client, staff_manager, reserve_a, kind):
    from tests.threats.factories import DetectionFactory

    obj = {"snarefind": SnareFindFactory, "detection": DetectionFactory, "patrol": PatrolFactory}[kind](
        reserve=reserve_a
    )
    version = obj.history.get()
    app = "patrol" if kind == "patrol" else "threats"
    client.force_login(staff_manager)
    response = client.get(f"/admin/{app}/{kind}/{obj.pk}/history/{version.history_id}/")
    assert response.status_code == 200
    assert f'value="{reserve_a.pk}" selected' in response.content.decode()


def test_a_past_version_of_a_generalised_record_is_closed_without_clearance(client, reserve_a):
    from tests.threats.factories import DetectionFactory
    from threats.records.models import Species

    manager = member(reserve_a, Role.MANAGER, clearance=False, username="uncleared")
    manager.is_staff = True
    manager.save()
    manager.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["patrol", "threats"]))
    leopard = DetectionFactory(reserve=reserve_a, species=Species.objects.get(scientific_name="Panthera uncia"))
    client.force_login(manager)
    url = f"/admin/threats/detection/{leopard.pk}/history/{leopard.history.get().history_id}/"
    assert client.get(url).status_code == 403

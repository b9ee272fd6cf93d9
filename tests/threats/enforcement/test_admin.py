"""The admin for enforcement outcomes: reserve managers and admins only, the custody log append-only."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission

from patrol.reserves.models import Role
from tests.conftest import member
from tests.threats.enforcement.factories import (
    CaseEventFactory,
    CaseFactory,
    CustodyEventFactory,
    EnforcementActionFactory,
    EvidenceItemFactory,
    SuspectFactory,
)
from threats.enforcement.models import CustodyEvent, EvidenceItem, Suspect

pytestmark = pytest.mark.django_db

MODELS = ["suspect", "case", "caseevent", "enforcementaction", "evidenceitem", "custodyevent"]


def staff(reserve, role, clearance=False):
    user = member(reserve, role, clearance=clearance)
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["patrol", "threats"]))
    return user


def objects_of(reserve, user):
    case = CaseFactory(reserve=reserve)
    item = EvidenceItemFactory(reserve=reserve, content=b"original", collected_by=user)
    return {
        "suspect": SuspectFactory(reserve=reserve, full_name="Сидоров Пётр"),
        "case": case,
        "caseevent": CaseEventFactory(case=case),
        "enforcementaction": EnforcementActionFactory(reserve=reserve),
        "evidenceitem": item,
        "custodyevent": CustodyEventFactory(item=item, from_user=user, to_name="Sgt. Orlov"),
    }


@pytest.mark.parametrize("role", [Role.RANGER, Role.ANALYST])
def test_rangers_and_analysts_have_no_enforcement_admin_even_as_staff(client, reserve_a, role):
    ours = objects_of(reserve_a, member(reserve_a, Role.MANAGER))
    client.force_login(staff(reserve_a, role, clearance=True))
    for name in MODELS:
        assert client.get(f"/admin/threats/{name}/").status_code == 403, name
        assert client.get(f"/admin/threats/{name}/{ours[name].pk}/change/").status_code == 403, name
    assert "Сидоров" not in client.get("/admin/").content.decode()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_admins_see_their_reserves_pages(client, reserve_a, role):
    user = staff(reserve_a, role, clearance=True)
    ours = objects_of(reserve_a, user)
    client.force_login(user)
    for name in MODELS:
        listing = client.get(f"/admin/threats/{name}/")
        assert listing.status_code == 200, name
        assert f"/admin/threats/{name}/{ours[name].pk}/change/" in listing.content.decode(), name
        assert client.get(f"/admin/threats/{name}/{ours[name].pk}/change/").status_code == 200, name
    assert "Сидоров Пётр" in client.get("/admin/threats/suspect/").content.decode()


def test_another_reserves_enforcement_objects_are_out_of_reach(client, reserve_a, reserve_b):
    theirs = objects_of(reserve_b, member(reserve_b, Role.MANAGER))
    client.force_login(staff(reserve_a, Role.ADMIN, clearance=True))
    for name in MODELS:
        obj = theirs[name]
        listing = client.get(f"/admin/threats/{name}/").content.decode()
        assert f"/admin/threats/{name}/{obj.pk}/change/" not in listing, name
        assert client.get(f"/admin/threats/{name}/{obj.pk}/change/").status_code == 302, name  # "doesn't exist"
        assert client.post(f"/admin/threats/{name}/{obj.pk}/delete/", {"post": "yes"}).status_code in (302, 403)
        assert type(obj).objects.filter(pk=obj.pk).exists(), name
    assert "Сидоров" not in client.get("/admin/threats/suspect/").content.decode()


def test_the_custody_log_cannot_be_changed_or_deleted_in_the_admin(client, reserve_a):
    user = staff(reserve_a, Role.ADMIN, clearance=True)
    event = objects_of(reserve_a, user)["custodyevent"]
    client.force_login(user)
    url = f"/admin/threats/custodyevent/{event.pk}/"
    page = client.get(f"{url}change/").content.decode()
    assert 'name="to_name"' not in page and "Sgt. Orlov" in page  # shown, read-only
    assert client.post(f"{url}change/", {"to_name": "someone else", "kind": "stored"}).status_code == 403
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    response = client.post("/admin/threats/custodyevent/", {"action": "delete_selected", "_selected_action": [event.pk],
                                                            "post": "yes"})  # fmt: skip
    assert response.status_code in (200, 302)
    event.refresh_from_db()
    assert (event.to_name, event.kind) == ("Sgt. Orlov", "handed_over")
    assert CustodyEvent.objects.count() == 1


def test_a_hand_over_is_appended_in_the_admin(client, reserve_a):
    user = staff(reserve_a, Role.MANAGER, clearance=True)
    item = objects_of(reserve_a, user)["evidenceitem"]
    client.force_login(user)
    response = client.post("/admin/threats/custodyevent/add/", {
        "item": item.pk, "kind": "stored", "occurred_at_0": "2026-03-05", "occurred_at_1": "09:00:00",
        "to_name": "Evidence room, Kosh-Agach post",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    added = CustodyEvent.objects.get(kind="stored")
    assert (added.item, added.recorded_by, added.occurred_at) == (item, user, datetime(2026, 3, 5, 9, 0, tzinfo=UTC))


def test_evidence_cannot_be_added_or_deleted_and_its_hash_not_edited(client, reserve_a):
    user = staff(reserve_a, Role.ADMIN, clearance=True)
    item = objects_of(reserve_a, user)["evidenceitem"]
    client.force_login(user)
    assert client.get("/admin/threats/evidenceitem/add/").status_code == 403
    assert client.post(f"/admin/threats/evidenceitem/{item.pk}/delete/", {"post": "yes"}).status_code == 403
    page = client.get(f"/admin/threats/evidenceitem/{item.pk}/change/").content.decode()
    assert item.sha256 in page and 'name="sha256"' not in page
    assert EvidenceItem.objects.filter(pk=item.pk, sha256=item.sha256).exists()


def test_exact_locations_only_with_clearance(client, reserve_a):
    action = EnforcementActionFactory(reserve=reserve_a)
    version = action.history.first().history_id
    for clearance, shown in ((True, True), (False, False)):
        client.force_login(staff(reserve_a, Role.MANAGER, clearance=clearance))
        url = f"/admin/threats/enforcementaction/{action.pk}/"
        page = client.get(f"{url}change/").content.decode()
        assert ('name="location"' in page) is shown
        assert client.get(f"{url}history/").status_code == (200 if shown else 403)
        assert client.get(f"{url}history/{version}/").status_code == (200 if shown else 403)


def test_suspects_can_be_deleted_by_a_manager(client, reserve_a):
    user = staff(reserve_a, Role.MANAGER)
    suspect = SuspectFactory(reserve=reserve_a)
    client.force_login(user)
    assert client.post(f"/admin/threats/suspect/{suspect.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Suspect.objects.filter(pk=suspect.pk).exists()


@pytest.mark.parametrize("clearance", [True, False])
def test_a_manager_corrects_an_items_description_in_the_admin(client, reserve_a, clearance):
    user = staff(reserve_a, Role.MANAGER, clearance=clearance)
    item = objects_of(reserve_a, user)["evidenceitem"]
    client.force_login(user)
    url = f"/admin/threats/evidenceitem/{item.pk}/change/"
    page = client.get(url).content.decode()
    form = {name: value for name, value in re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', page)}
    textareas = dict(re.findall(r'<textarea name="([^"]+)"[^>]*>([^<]*)</textarea>', page))
    form.update(textareas)
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.findall(r'<option value="([^"]*)"[^>]*selected', options)
        if chosen:
            form[name] = chosen[0]
    form.update({"description": "12 wire snares, one with a loop", "kind": item.kind, "quantity": "12"})
    form.pop("_addanother", None), form.pop("_continue", None), form.pop("_saveasnew", None)
    response = client.post(url, form)
    assert response.status_code == 302, re.findall(r"errorlist.{0,300}", response.content.decode())
    item.refresh_from_db()
    assert (item.description, item.quantity) == ("12 wire snares, one with a loop", 12)


def test_the_case_page_links_the_bundle_and_the_item_page_its_original(client, reserve_a):
    user = staff(reserve_a, Role.MANAGER, clearance=True)
    objects = objects_of(reserve_a, user)
    client.force_login(user)
    case_page = client.get(f"/admin/threats/case/{objects['case'].pk}/change/").content.decode()
    assert f'href="/api/v1/cases/{objects["case"].pk}/bundle/?lang=ru"' in case_page
    item = objects["evidenceitem"]
    item_page = client.get(f"/admin/threats/evidenceitem/{item.pk}/change/").content.decode()
    assert f'href="/api/v1/evidence/{item.pk}/original/"' in item_page
    response = client.get(f"/api/v1/evidence/{item.pk}/original/")  # the admin's session works
    assert b"".join(response.streaming_content) == b"original"

"""The field app in Debian's headless Chromium: an incident and a seizure at it logged offline (with a photo
of a seized item), kept over a reload, synced once when the network returns."""

import hashlib
import json

import pytest

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import ReserveFactory, TeamFactory
from tests.threats.fieldsync.test_photos import png_bytes
from threats.enforcement.models import CustodyEvent, EnforcementAction, EvidenceItem
from threats.fieldsync.models import Photo, SyncReceipt
from threats.records.models import Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHOTO = png_bytes(40, 30)


@pytest.fixture
def ranger(settings, tmp_path):
    settings.IRBIS_PRIVATE_ROOT = tmp_path / "private"
    reserve = ReserveFactory(slug="argut", name="Argut")
    user = member(reserve, Role.RANGER, username="ivan")
    TeamFactory(reserve=reserve, name="Argut team", members=[user])
    return user


def test_a_seizure_logged_offline_at_an_incident_syncs_once_with_its_photo(browser, live_server, ranger, tmp_path):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="en-US", permissions=["geolocation"],
        geolocation={"latitude": 50.1187, "longitude": 87.4312, "accuracy": 6}, service_workers="allow",
    )  # fmt: skip
    page = context.new_page()
    syncs = []
    page.on("request", lambda r: syncs.append(r) if r.url.endswith("/api/v1/sync/") and r.method == "POST" else None)
    page.goto(f"{live_server.url}/field/")
    page.fill("#f-username", "ivan")
    page.fill("#f-password", "pw")
    page.click("#login-button")
    page.wait_for_selector("#new-seizure")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
    # big targets for gloved hands
    for button in ("#new-seizure", "#new-protocol"):
        assert page.locator(button).bounding_box()["height"] >= 56

    context.set_offline(True)
    page.wait_for_selector("[data-testid=net].off")
    page.click("#new-incident")
    page.wait_for_selector("[data-testid=fix][data-accuracy='6']")
    page.select_option("#f-kind", "poacher_camp")
    page.click("#save-record")
    page.wait_for_selector("[data-testid=waiting][data-records='1']")

    page.click("#new-seizure")
    page.wait_for_selector("#action-form[data-mode=seizure]")
    options = page.locator("#f-incident option").all_inner_texts()
    assert len(options) == 1 and options[0].startswith("Poacher camp, ")
    assert options[0].endswith("(logged on this phone)")
    page.wait_for_selector("[data-testid=fix][data-accuracy='6']")
    page.select_option("#f-item-kind-0", "snares")
    page.click("#f-item-quantity-0 + button")  # "+": two snares
    page.fill("#f-item-description-0", "steel cable")
    photo = tmp_path / "snares.png"
    photo.write_bytes(PHOTO)
    page.set_input_files("#f-item-photo-0", str(photo))
    page.click("#add-item")
    page.select_option("#f-item-kind-1", "firearm")
    page.fill("#f-item-description-1", "TOZ-17")
    assert page.locator("#add-item").bounding_box()["height"] >= 56
    page.fill("#f-place_name", "Upper Argut camp")
    page.click("#save-action")
    page.wait_for_selector("[data-testid=waiting][data-records='2'][data-photos='1']")
    assert (Incident.objects.count(), EnforcementAction.objects.count()) == (0, 0)

    page.reload()  # offline: the service worker serves the app, IndexedDB still holds both and the photo
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("[data-testid=waiting][data-records='2'][data-photos='1']")

    context.set_offline(False)  # the app syncs by itself: records first, then the photo of the item
    page.wait_for_selector("[data-testid=waiting][data-records='0'][data-photos='0']", timeout=20000)

    incident = Incident.objects.get()
    action = EnforcementAction.objects.get()
    assert (action.kind, action.place_name, action.reported_by) == ("confiscation", "Upper Argut camp", ranger)
    assert list(action.incidents.all()) == [incident]
    assert (round(action.location.x, 4), round(action.location.y, 4)) == (87.4312, 50.1187)
    items = {i.kind: i for i in EvidenceItem.objects.all()}
    assert sorted(items) == ["firearm", "photo", "snares"]
    assert (items["snares"].quantity, items["snares"].description) == (2, "steel cable")
    assert items["photo"].sha256 == hashlib.sha256(PHOTO).hexdigest() and items["photo"].action == action
    assert Photo.objects.get().object_id == items["snares"].pk
    assert CustodyEvent.objects.count() == 3  # each item's "collected"

    # the same sync request again (a retry after a lost answer): duplicates, nothing new
    request = next(r for r in syncs if '"kind": "action"' in r.post_data or '"kind":"action"' in r.post_data)
    replay = page.evaluate(
        """async ([url, body, auth]) => {
            const r = await fetch(url, {method: "POST", body, headers: {"Content-Type": "application/json",
                                                                         "Authorization": auth}});
            return r.json();
        }""",
        [request.url, request.post_data, request.headers["authorization"]],
    )
    assert {r["status"] for r in replay["results"]} == {"duplicate"}
    sent = json.loads(request.post_data)["items"]
    assert [i["kind"] for i in sent] == ["incident", "action"]
    assert sent[1]["data"]["incident_uuid"] == str(incident.client_uuid)
    assert (EnforcementAction.objects.count(), EvidenceItem.objects.count(), SyncReceipt.objects.count()) == (1, 3, 2)
    context.close()


def test_a_seizure_needs_an_incident_first(browser, live_server, ranger):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/field/")
    page.fill("#f-username", "ivan")
    page.fill("#f-password", "pw")
    page.click("#login-button")
    page.wait_for_selector("#new-protocol")
    page.click("#new-protocol")
    page.wait_for_function(
        "document.querySelector('[data-testid=message]').textContent.startsWith('Log the incident first')"
    )
    assert page.locator("#action-form").count() == 0
    context.close()


def test_a_protocol_with_a_fine_at_a_synced_incident(browser, live_server, ranger):
    from decimal import Decimal

    from tests.threats.factories import IncidentFactory

    incident = IncidentFactory(reserve=ranger.memberships.get().reserve, reported_by=ranger, kind="gunshot")
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/field/")
    page.fill("#f-username", "ivan")
    page.fill("#f-password", "pw")
    page.click("#login-button")
    page.wait_for_selector("#new-protocol")
    page.click("#new-protocol")
    page.wait_for_selector("#action-form[data-mode=protocol]")
    # the bootstrap's incidents: the ranger's own gunshot, by its day
    assert page.locator("#f-incident option").all_inner_texts() == [f"Gunshot, {incident.occurred_at:%Y-%m-%d}"]
    assert page.locator("#f-action-kind").input_value() == "protocol_fine"
    page.fill("#f-lat", "50.12")
    page.fill("#f-lon", "87.42")
    page.fill("#f-protocol_number", "AP-77/2026")
    page.fill("#f-fine_amount", "2500")
    page.fill("#f-fine_currency", "rub")
    page.click("#save-action")
    # Online, the app syncs at once: "nothing waiting" and "Synced" may still show from the login's sync
    # for a moment, so wait for the protocol itself on the server, then for the app to settle.
    for _ in range(100):
        if EnforcementAction.objects.exists():
            break
        page.wait_for_timeout(200)
    page.wait_for_selector("[data-testid=waiting][data-records='0']", timeout=20000)
    page.wait_for_function("() => document.querySelector('[data-testid=message]').textContent === 'Synced'")
    action = EnforcementAction.objects.get()
    assert (action.kind, action.protocol_number, action.fine_amount, action.fine_currency) == (
        "protocol_fine", "AP-77/2026", Decimal("2500.00"), "RUB")  # fmt: skip
    assert list(action.incidents.all()) == [incident]
    assert EvidenceItem.objects.count() == 0
    context.close()

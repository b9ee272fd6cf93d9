"""The field app in Debian's headless Chromium: log a snare find with a photo offline, reload, sync once."""

import hashlib
import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import ReserveFactory, TeamFactory
from tests.threats.fieldsync.test_photos import png_bytes
from threats.fieldsync.models import Device, Photo, SyncReceipt
from threats.records.models import SnareFind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHOTO = png_bytes(40, 30)  # smaller than the downscale size: uploaded as it is


@pytest.fixture
def private_root(settings, tmp_path):
    settings.IRBIS_PRIVATE_ROOT = tmp_path / "private"
    return settings.IRBIS_PRIVATE_ROOT


@pytest.fixture
def ranger():
    reserve = ReserveFactory(slug="argut", name="Argut")
    user = member(reserve, Role.RANGER, username="ivan")
    TeamFactory(reserve=reserve, name="Argut team", members=[user])
    return user


def test_a_snare_find_logged_offline_survives_a_reload_and_syncs_once(browser, live_server, ranger, private_root,
                                                                      tmp_path):  # fmt: skip
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
    page.wait_for_selector("#new-snare")
    # The service worker holds the app shell before we go offline.
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
    assert Device.objects.get().user == ranger

    context.set_offline(True)
    page.wait_for_selector("[data-testid=net].off")
    page.click("#new-snare")
    page.wait_for_selector("[data-testid=fix][data-accuracy='6']")
    page.click("#f-count + button")  # "+": a line of two snares
    page.select_option("#f-material", "cable")
    page.select_option("#f-action", "destroyed")
    page.fill("#f-notes", "two snares on the game trail")
    photo = tmp_path / "snare.png"
    photo.write_bytes(PHOTO)
    page.set_input_files("#f-photo", str(photo))
    page.click("#save-record")
    page.wait_for_selector("[data-testid=waiting][data-records='1'][data-photos='1']")
    assert SnareFind.objects.count() == 0

    page.reload()  # offline: the service worker serves the app, IndexedDB still holds the find
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("[data-testid=waiting][data-records='1'][data-photos='1']")
    assert page.locator("[data-testid=net]").inner_text() == "Offline"
    assert SnareFind.objects.count() == 0

    context.set_offline(False)  # the app syncs by itself
    page.wait_for_selector("[data-testid=waiting][data-records='0'][data-photos='0']", timeout=20000)
    page.wait_for_function("document.querySelector('[data-testid=last-sync]').textContent.startsWith('Last sync')")

    find = SnareFind.objects.get()
    assert (find.count, find.material, find.action, find.notes) == (
        2,
        "cable",
        "destroyed",
        "two snares on the game trail",
    )
    assert (round(find.location.x, 4), round(find.location.y, 4), find.gps_accuracy_m) == (87.4312, 50.1187, 6.0)
    assert find.reported_by == ranger
    assert find.device_recorded_at is not None and find.created_at > find.device_recorded_at
    photo_row = Photo.objects.get()
    assert photo_row.sha256 == photo_row.original_sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert (Path(django_settings.IRBIS_PRIVATE_ROOT) / photo_row.path).read_bytes() == PHOTO
    assert photo_row.record_uuid == find.client_uuid

    # Replay the very same sync request (a retry after a lost answer): still one find.
    request = syncs[-1]
    replay = page.evaluate(
        """async ([url, body, auth]) => {
            const r = await fetch(url, {method: "POST", body, headers: {"Content-Type": "application/json",
                                                                         "Authorization": auth}});
            return r.json();
        }""",
        [request.url, request.post_data, request.headers["authorization"]],
    )
    assert [r["status"] for r in replay["results"]] == ["duplicate"]
    assert replay["results"][0]["id"] == find.pk
    assert (SnareFind.objects.count(), SyncReceipt.objects.count(), Photo.objects.count()) == (1, 1, 1)
    assert json.loads(request.post_data)["items"][0]["client_uuid"] == str(find.client_uuid)
    context.close()


def test_the_field_app_speaks_russian_on_a_russian_phone(browser, live_server, ranger):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{live_server.url}/field/")
    page.wait_for_selector("#login-button")
    assert page.locator("#login-button").inner_text() == "Войти"
    assert page.evaluate("document.documentElement.lang") == "ru"
    manifest = page.evaluate("fetch('/field/manifest.webmanifest').then(r => r.json())")
    assert (manifest["scope"], manifest["start_url"], manifest["display"]) == ("/field/", "/field/", "standalone")
    # Large touch targets on a 360 px screen
    box = page.locator("#login-button").bounding_box()
    assert box["height"] >= 48 and box["width"] <= 360
    context.close()

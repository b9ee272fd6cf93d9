"""The records browser in Debian's headless Chromium: a manager searches the snare finds on the list and the
map, opens an incident's chain down to the evidence, and sees a photo's thumbnail and original."""

import hashlib
import io
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.gis.geos import Point
from PIL import Image

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, ReserveFactory, TeamFactory
from tests.threats.enforcement.factories import CaseFactory, EnforcementActionFactory
from tests.threats.factories import IncidentFactory, SnareFindFactory, species
from threats.enforcement.services import evidence_item_from_bytes
from threats.fieldsync.models import Photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def jpeg(width=640, height=480, colour=(150, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def world(settings, tmp_path):
    settings.IRBIS_PRIVATE_ROOT = tmp_path / "private"
    reserve = ReserveFactory(slug="argut", name="Argut")
    member(reserve, Role.MANAGER, clearance=True, username="aigul")
    member(reserve, Role.ANALYST, username="sasha")
    ranger = member(reserve, Role.RANGER, username="ivan")
    team = TeamFactory(reserve=reserve, name="Argut team", members=[ranger])
    patrol = PatrolFactory(reserve=reserve, team=team)
    camp = IncidentFactory(reserve=reserve, patrol=patrol, description="Camp with a snare line")
    finds = [SnareFindFactory(reserve=reserve, patrol=patrol, state="sprung", location=Point(87.40 + n / 100, 50.12,
                                                                                            srid=4326))
             for n in range(3)]  # fmt: skip
    finds.append(SnareFindFactory(reserve=reserve, patrol=patrol, state="set", catch_condition="dead",
                                  catch_species=species("Panthera uncia")))  # fmt: skip
    camp.snare_finds.set(finds[:2])
    content = jpeg()
    sha = hashlib.sha256(content).hexdigest()
    path = Path("photos") / str(reserve.pk) / sha[:2] / f"{sha}.jpg"
    (Path(settings.IRBIS_PRIVATE_ROOT) / path).parent.mkdir(parents=True)
    (Path(settings.IRBIS_PRIVATE_ROOT) / path).write_bytes(content)
    Photo.objects.create(reserve=reserve, record_kind="snare_find", record_uuid=uuid.uuid4(), object_id=finds[0].pk,
                         sha256=sha, original_sha256=sha, path=str(path), content_type="image/jpeg",
                         size_bytes=len(content))  # fmt: skip
    case = CaseFactory(reserve=reserve, number="12-0042/2026")
    action = EnforcementActionFactory(reserve=reserve, patrol=patrol, team=team, case=case, protocol_number="AP-9")
    action.incidents.set([camp])
    evidence_item_from_bytes(actor=None, reserve=reserve, kind="pelt", description="musk deer", action=action,
                             incident=camp, collected_by=ranger, collected_at=action.taken_at,
                             content=jpeg(colour=(40, 120, 40)), content_type="image/jpeg")  # fmt: skip
    return {"camp": camp, "finds": finds, "case": case, "original": content}


def log_in(browser, live_server, username, path):
    page = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US").new_page()
    page.goto(f"{live_server.url}/login/?next={path}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit], input[type=submit]")
    return page


def loaded(page, selector):
    page.wait_for_function(
        "(s) => [...document.querySelectorAll(s)].every((i) => i.complete && i.naturalWidth > 0)", arg=selector
    )


def test_a_manager_filters_finds_and_follows_an_incidents_chain(browser, live_server, world):
    page = log_in(browser, live_server, "aigul", "/records/")
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.wait_for_selector("#records-map[data-ready='1']")
    assert page.locator(".shell-nav a", has_text="Records").count() == 1
    assert page.get_attribute("#records-map", "data-markers") == "4"
    assert page.locator("table.records tbody tr").count() == 4
    loaded(page, "table.records img")

    # filter: sprung snares only, on the list and the map
    page.select_option("#id_state", "sprung")
    page.click("#apply-filters")
    page.wait_for_selector("#records-map[data-ready='1']")
    assert page.get_attribute("#records-map", "data-markers") == "3"
    assert page.locator("table.records tbody tr").count() == 3
    assert "3 records" in page.locator("[data-testid=count]").inner_text()

    # a marker's popup links to the record
    page.locator("path.record-marker").first.click(force=True)
    page.wait_for_selector(".leaflet-popup a.popup-open")

    # the incident's chain: its finds, the action, the case, the evidence with its custody
    page.click("[data-testid=record-tabs] a:has-text('Incidents')")
    page.click(f"tr[data-id='{world['camp'].pk}'] a")
    page.wait_for_selector("[data-testid=chain-finds]")
    assert page.locator("[data-testid=chain-finds] tbody tr").count() == 2
    assert "AP-9" in page.locator("[data-testid=chain-actions]").inner_text()
    assert "12-0042/2026" in page.locator("[data-testid=chain-cases]").inner_text()
    evidence = page.locator("[data-testid=evidence]").inner_text()
    assert "Pelt: musk deer" in evidence and "Collected" in evidence
    assert page.locator("[data-testid=evidence-thumbnail]").count() == 1
    loaded(page, "[data-testid=evidence] img, [data-testid=chain-finds] img")

    # a find's page: the thumbnail, and the original byte for byte
    page.click(f"[data-testid=chain-finds] a[href='/records/snare-finds/{world['finds'][0].pk}/']")
    page.wait_for_selector("[data-testid=thumbnail]")
    loaded(page, "[data-testid=thumbnail]")
    href = page.get_attribute("[data-testid=original]", "href")
    original = page.evaluate("(u) => fetch(u).then((r) => r.arrayBuffer()).then((b) => [...new Uint8Array(b)])", href)
    assert bytes(original) == world["original"]

    page.goto(f"{live_server.url}/records/")
    page.click("[data-testid=record-tabs] a:has-text('Cases')")
    page.wait_for_selector("table.records")
    assert page.locator("table.records tbody tr").count() == 1
    assert external == []  # no CDN, no tile server
    assert Path(django_settings.IRBIS_PRIVATE_ROOT, "thumbs").exists()


def test_an_analyst_sees_the_leopard_snare_generalised_and_no_cases(browser, live_server, world):
    page = log_in(browser, live_server, "sasha", "/records/snare-finds/")
    page.wait_for_selector("#records-map[data-ready='1']")
    leopard = page.locator(f"tr[data-id='{world['finds'][3].pk}']")
    assert "generalised" in leopard.inner_text()
    assert page.locator("[data-testid=record-tabs] a").all_inner_texts() == [
        "Snare finds", "Incidents", "Wildlife detections", "Enforcement actions"]  # fmt: skip
    page.goto(f"{live_server.url}/records/incidents/{world['camp'].pk}/")
    page.wait_for_selector("[data-testid=chain-actions]")
    assert page.locator("[data-testid=chain-cases]").count() == 0
    assert page.locator("[data-testid=evidence-original]").count() == 0

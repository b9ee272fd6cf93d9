"""The records browser's incident chain (finds, actions, case, evidence and custody), the actions and cases
lists, and photos: thumbnails without the phone's metadata for those who see the record, originals for
managers and administrators who see it exactly."""

import io
import re
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from PIL import Image

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory
from tests.threats.enforcement.factories import (
    CaseEventFactory,
    CaseFactory,
    CustodyEventFactory,
    EnforcementActionFactory,
    SuspectFactory,
)
from tests.threats.factories import IncidentFactory, SnareFindFactory, species
from threats.enforcement.services import evidence_item_from_bytes
from threats.fieldsync.models import Photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.IRBIS_PRIVATE_ROOT = tmp_path / "private"
    return settings.IRBIS_PRIVATE_ROOT


def jpeg_with_gps(width=800, height=600) -> bytes:
    """A JPEG whose EXIF holds a GPS position, as a phone writes it."""
    image = Image.new("RGB", (width, height), (120, 90, 60))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (50.0, 7.0, 7.32), 3: "E", 4: (87.0, 25.0, 52.3)}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def photo_of(record, kind: str, content: bytes, root) -> Photo:
    import hashlib

    sha = hashlib.sha256(content).hexdigest()
    path = Path("photos") / str(record.reserve_id) / sha[:2] / f"{sha}.jpg"
    (Path(root) / path).parent.mkdir(parents=True, exist_ok=True)
    (Path(root) / path).write_bytes(content)
    return Photo.objects.create(reserve=record.reserve, record_kind=kind, record_uuid=uuid.uuid4(), object_id=record.pk,
                                sha256=sha, original_sha256=sha, path=str(path), content_type="image/jpeg",
                                size_bytes=len(content))  # fmt: skip


@pytest.fixture
def chain(reserve_a, team_a, ranger_a, manager_a):
    """A poacher camp with two snares (one held a musk deer), a confiscation, a case, evidence and a hand-over."""
    patrol = PatrolFactory(reserve=reserve_a, team=team_a)
    camp = IncidentFactory(reserve=reserve_a, patrol=patrol, description="Camp on the Argut", reported_by=ranger_a)
    finds = [SnareFindFactory(reserve=reserve_a, patrol=patrol, count=3, notes="line of three"),
             SnareFindFactory(reserve=reserve_a, patrol=patrol, catch_species=species("Moschus moschiferus"),
                              catch_condition="dead")]  # fmt: skip
    camp.snare_finds.set(finds)
    case = CaseFactory(reserve=reserve_a, number="12-0007/2026", agency="Kosh-Agach police")
    suspect = SuspectFactory(reserve=reserve_a, full_name="Pyotr Sidorov")
    case.suspects.set([suspect])
    case.incidents.set([camp])
    action = EnforcementActionFactory(reserve=reserve_a, patrol=patrol, team=team_a, case=case,
                                      protocol_number="AP-17", location=Point(87.4312, 50.1187, srid=4326))  # fmt: skip
    action.incidents.set([camp])
    action.suspects.set([suspect])
    item = evidence_item_from_bytes(actor=None, reserve=reserve_a, kind="firearm", description="TOZ-17", action=action,
                                    incident=camp, collected_by=ranger_a, collected_at=action.taken_at,
                                    content=jpeg_with_gps(), content_type="image/jpeg")  # fmt: skip
    CaseEventFactory(case=case, kind="opened", description="by the district police")
    CustodyEventFactory(item=item, kind="handed_over", from_user=ranger_a, to_name="Sgt. Orlov, district police")
    return {"camp": camp, "finds": finds, "case": case, "action": action, "item": item, "suspect": suspect}


def body(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def section(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}"')[1].split("</section>")[0]


def test_a_manager_sees_the_whole_chain_of_an_incident(client, manager_a, chain):
    html = body(client, manager_a, f"/records/incidents/{chain['camp'].pk}/")
    finds = section(html, "chain-finds")
    assert sorted(int(n) for n in re.findall(r"/records/snare-finds/(\d+)/", finds)) == [f.pk for f in chain["finds"]]
    assert "Siberian musk deer (Dead)" in finds
    actions = section(html, "chain-actions")
    assert f"/records/actions/{chain['action'].pk}/" in actions and "Confiscation" in actions and "AP-17" in actions
    assert f"/records/cases/{chain['case'].pk}/" in section(html, "chain-cases")
    evidence = section(html, "evidence")
    assert "Firearm: TOZ-17" in evidence and chain["item"].sha256[:14] in evidence
    assert "Handed over" in evidence and "Sgt. Orlov, district police" in evidence
    assert f"/records/evidence/{chain['item'].pk}/original/" in evidence
    assert "Pyotr Sidorov" in section(html, "suspects")


def test_an_analyst_sees_the_chain_without_cases_suspects_or_originals(client, analyst_a, chain):
    html = body(client, analyst_a, f"/records/incidents/{chain['camp'].pk}/")
    assert "Confiscation" in section(html, "chain-actions") and "Firearm: TOZ-17" in section(html, "evidence")
    assert 'data-testid="chain-cases"' not in html and "12-0007/2026" not in html
    assert "Pyotr Sidorov" not in html and 'data-testid="suspects"' not in html
    assert "/original/" not in html
    # the action's place is generalised for them
    action = body(client, analyst_a, f"/records/actions/{chain['action'].pk}/")
    assert "50.10000, 87.40000" in action and "87.4312" not in action and "Pyotr Sidorov" not in action
    # cases are not theirs to list or open
    client.force_login(analyst_a)
    assert client.get("/records/cases/").status_code == 403
    assert client.get(f"/records/cases/{chain['case'].pk}/").status_code == 404
    assert client.get(f"/records/evidence/{chain['item'].pk}/original/").status_code == 403
    assert "/records/cases/" not in body(client, analyst_a, "/records/actions/")


def test_a_manager_reads_a_case_with_its_timeline_and_suspects(client, manager_a, chain):
    listing = body(client, manager_a, "/records/cases/?state=open")
    assert re.findall(r'<tr data-id="(\d+)">', listing) == [str(chain["case"].pk)]
    assert 'id="records-map"' not in listing  # cases have no place
    assert re.findall(r'<tr data-id="(\d+)">', body(client, manager_a, "/records/cases/?state=closed")) == []
    html = body(client, manager_a, f"/records/cases/{chain['case'].pk}/")
    assert "Case 12-0007/2026 (Kosh-Agach police)" in html
    assert "Case opened" in section(html, "timeline")
    assert "Pyotr Sidorov" in section(html, "suspects") and "Firearm: TOZ-17" in section(html, "evidence")


def test_actions_filter_by_kind_and_team(client, manager_a, chain, reserve_a):
    warning = EnforcementActionFactory(reserve=reserve_a, kind="warning")
    ids = lambda html: [int(n) for n in re.findall(r'<tr data-id="(\d+)">', html)]  # noqa: E731
    assert ids(body(client, manager_a, "/records/actions/?kind=warning")) == [warning.pk]
    team = chain["action"].team_id
    assert ids(body(client, manager_a, f"/records/actions/?team={team}")) == [chain["action"].pk]
    assert ids(body(client, manager_a, "/records/actions/?q=AP-17")) == [chain["action"].pk]


def test_a_ranger_of_another_team_and_another_reserve_see_none_of_it(client, reserve_a, manager_b, chain):
    stranger = member(reserve_a, Role.RANGER, username="stranger")
    client.force_login(stranger)
    for url in (f"/records/incidents/{chain['camp'].pk}/", f"/records/actions/{chain['action'].pk}/",
                f"/records/evidence/{chain['item'].pk}/thumbnail.jpg"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    client.force_login(manager_b)
    for url in (f"/records/incidents/{chain['camp'].pk}/", f"/records/cases/{chain['case'].pk}/",
                f"/records/evidence/{chain['item'].pk}/original/"):  # fmt: skip
        assert client.get(url).status_code == 404, url


def test_the_collecting_ranger_may_download_the_evidence_original(client, ranger_a, chain, private_root):
    client.force_login(ranger_a)
    response = client.get(f"/records/evidence/{chain['item'].pk}/original/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == (Path(private_root) / chain["item"].path).read_bytes()


def test_thumbnails_drop_the_gps_and_originals_keep_it_for_managers_only(client, reserve_a, manager_a, analyst_a,
                                                                         private_root):  # fmt: skip
    find = SnareFindFactory(reserve=reserve_a)
    original = jpeg_with_gps()
    photo = photo_of(find, "snare_find", original, private_root)
    client.force_login(analyst_a)
    thumb = client.get(f"/records/photos/{photo.pk}/thumbnail.jpg")
    assert (thumb.status_code, thumb["Content-Type"]) == (200, "image/jpeg")
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.size == (320, 240)
        assert not image.getexif().get_ifd(0x8825) and 0x8825 not in image.getexif()
    cached = list((Path(private_root) / "thumbs").rglob("*.jpg"))
    assert len(cached) == 1 and cached[0].read_bytes() == thumb.content
    assert client.get(f"/records/photos/{photo.pk}/original/").status_code == 403
    assert 'data-testid="original"' not in client.get(f"/records/snare-finds/{find.pk}/").content.decode()

    client.force_login(manager_a)
    detail = client.get(f"/records/snare-finds/{find.pk}/").content.decode()
    assert f"/records/photos/{photo.pk}/original/" in detail and f"/records/photos/{photo.pk}/thumbnail.jpg" in detail
    response = client.get(f"/records/photos/{photo.pk}/original/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == original
    assert (response["X-Content-Type-Options"], response["Content-Security-Policy"]) == ("nosniff", "sandbox")


def test_no_original_for_a_manager_without_clearance_on_a_generalised_record(client, reserve_a, private_root):
    manager = member(reserve_a, Role.MANAGER, clearance=False, username="uncleared")
    leopard_snare = SnareFindFactory(reserve=reserve_a, catch_species=species("Panthera uncia"), catch_condition="dead")
    plain = SnareFindFactory(reserve=reserve_a, location=Point(87.2, 50.3, srid=4326))
    generalised = photo_of(leopard_snare, "snare_find", jpeg_with_gps(), private_root)
    exact = photo_of(plain, "snare_find", jpeg_with_gps(40, 30), private_root)
    client.force_login(manager)
    assert client.get(f"/records/photos/{generalised.pk}/thumbnail.jpg").status_code == 200
    assert client.get(f"/records/photos/{generalised.pk}/original/").status_code == 403
    response = client.get(f"/records/photos/{exact.pk}/original/")
    assert response.status_code == 200
    response.close()


def test_photos_of_other_reserves_and_hidden_records_are_not_found(client, reserve_a, manager_b, ranger_a,
                                                                   private_root):  # fmt: skip
    others = SnareFindFactory(reserve=reserve_a, patrol=PatrolFactory(reserve=reserve_a))  # not ranger_a's team
    photo = photo_of(others, "snare_find", jpeg_with_gps(), private_root)
    for user in (manager_b, ranger_a):
        client.force_login(user)
        assert client.get(f"/records/photos/{photo.pk}/thumbnail.jpg").status_code == 404
        assert client.get(f"/records/photos/{photo.pk}/original/").status_code == 404
    assert not (Path(private_root) / "thumbs").exists()


def test_a_photo_that_is_not_an_image_is_not_found_rather_than_an_error(client, reserve_a, manager_a, private_root):
    find = SnareFindFactory(reserve=reserve_a)
    photo = photo_of(find, "snare_find", b"\xff\xd8\xff not really a jpeg", private_root)
    client.force_login(manager_a)
    assert client.get(f"/records/photos/{photo.pk}/thumbnail.jpg").status_code == 404


@pytest.mark.parametrize(("section", "budget"), [("actions", 15), ("cases", 8)])
def test_actions_and_cases_lists_cost_the_same_queries_for_3_or_30_rows(client, manager_a, manager_b, reserve_a,
                                                                        team_a, section, budget):  # fmt: skip
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(n):
        patrol = PatrolFactory(reserve=reserve_a, team=team_a)
        for _ in range(n):
            EnforcementActionFactory(reserve=reserve_a, patrol=patrol, team=team_a, protocol_number="AP")
            CaseFactory(reserve=reserve_a)

    client.force_login(manager_a)
    counts = []
    for n in (3, 27):
        make(n)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/records/{section}/")
        assert response.status_code == 200
        assert len(re.findall(r'<tr data-id="', response.content.decode())) == (3 if n == 3 else 30)
        counts.append(len(queries))
    assert counts == [budget, budget]
    # another reserve's manager sees none of them
    client.force_login(manager_b)
    assert re.findall(r'<tr data-id="', client.get(f"/records/{section}/").content.decode()) == []


def test_an_action_at_a_generalised_incident_gives_away_no_minute_patrol_or_people(client, analyst_a, manager_a,
                                                                                     chain):  # fmt: skip
    """The camp's snare held a musk deer (sensitive): the analyst sees the camp on its day and cell, and so the
    action there on its day, without its team, patrol, collector or the people in its custody log."""
    action = chain["action"]
    local = action.taken_at.astimezone(ZoneInfo(action.reserve.timezone))
    html = body(client, analyst_a, f"/records/actions/{action.pk}/")
    assert f"{action.taken_at:%Y-%m-%d}" in html
    assert f"{local:%H:%M}" not in html and f"{action.taken_at:%H:%M}" not in html
    assert "Team A" not in html and "ranger_a" not in html and "Sgt. Orlov" not in html
    team = action.team_id
    listing = body(client, analyst_a, f"/records/actions/?team={team}")
    assert re.findall(r'<tr data-id="(\d+)">', listing) == []
    chain_html = body(client, analyst_a, f"/records/incidents/{chain['camp'].pk}/")
    assert "ranger_a" not in chain_html and "Sgt. Orlov" not in chain_html
    # with clearance, all of it
    cleared = body(client, manager_a, f"/records/actions/{action.pk}/")
    assert "Team A" in cleared and "Sgt. Orlov" in cleared and f"{local:%Y-%m-%d %H:%M}" in cleared
    assert re.findall(r'<tr data-id="(\d+)">', body(client, manager_a, f"/records/actions/?team={team}")) == [
        str(action.pk)]  # fmt: skip

"""The side doors to exact sensitive locations (docs/privacy.md): write answers, snare catches, review reasons,
patrol and time, companions. Each closed for a user without clearance; exact for one with it."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.contrib.gis.geos import Point

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory
from tests.threats.factories import DetectionFactory, IncidentFactory, SnareFindFactory, species

pytestmark = pytest.mark.django_db

EXACT = [87.4567, 50.1432]
CELL = [87.5, 50.1]
AT = datetime(2024, 5, 1, 10, 31, 12, tzinfo=UTC)
OUTSIDE = [{"code": "outside_reserve", "distance_m": 5448, "message": "5448 m outside the reserve boundary."}]


def _coords(feature):
    return [round(c, 9) for c in feature["geometry"]["coordinates"]]


def _leopard_snare(reserve, **kwargs):
    return SnareFindFactory(reserve=reserve, location=Point(*EXACT, srid=4326), found_at=AT,
                            catch_species=species("Panthera uncia"), catch_condition="dead", **kwargs)  # fmt: skip


def _csv(api, path):
    return list(csv.DictReader(io.StringIO(b"".join(api.get(path).streaming_content).decode())))


@pytest.mark.parametrize(("clearance", "shown", "time"), [(False, CELL, "2024-05-01T00:00:00Z"),
                                                           (True, EXACT, "2024-05-01T10:31:12Z")])  # fmt: skip
def test_a_patch_answers_with_what_reads_show(api, reserve_a, clearance, shown, time):
    detection = DetectionFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326), observed_at=AT)
    find = _leopard_snare(reserve_a)
    api.force_authenticate(member(reserve_a, Role.MANAGER, clearance=clearance))
    answer = api.patch(f"/api/v1/detections/{detection.pk}/", {"notes": "seen twice"}, format="json").json()
    assert (_coords(answer), answer["properties"]["observed_at"], answer["properties"]["notes"]) == (
        shown, time, "seen twice")  # fmt: skip
    moved = {"type": "Point", "coordinates": [87.4568, 50.1433]}
    answer = api.patch(f"/api/v1/snare-finds/{find.pk}/", {"location": moved}, format="json").json()
    assert _coords(answer) == (CELL if not clearance else [87.4568, 50.1433])
    assert answer["properties"]["found_at"] == time


def test_a_snare_that_caught_a_snow_leopard_is_generalised_like_its_detection(api, reserve_a, analyst_a, manager_a):
    _leopard_snare(reserve_a)
    SnareFindFactory(reserve=reserve_a, location=Point(87.2345, 50.3456, srid=4326), found_at=AT)
    api.force_authenticate(analyst_a)
    features = api.get("/api/v1/snare-finds/").json()["features"]
    assert [(_coords(f), f["properties"]["location_generalised"]) for f in features] == [
        ([87.2345, 50.3456], False), (CELL, True)]  # fmt: skip
    assert api.get("/api/v1/snare-finds/", {"in_bbox": "87.45,50.14,87.46,50.15"}).json()["features"] == []
    assert len(api.get("/api/v1/snare-finds/", {"in_bbox": "87.49,50.09,87.51,50.11"}).json()["features"]) == 1
    rows = _csv(api, "/api/v1/snare-finds/export/")
    assert [(r["longitude"], r["latitude"], r["location_generalised"], r["found_at"]) for r in rows] == [
        ("87.234500", "50.345600", "no", "2024-05-01T10:31:12+00:00"),
        ("87.500000", "50.100000", "yes", "2024-05-01T00:00:00+00:00"),
    ]
    api.force_authenticate(manager_a)
    features = api.get("/api/v1/snare-finds/", {"catch_species": "Panthera uncia"}).json()["features"]
    assert [_coords(f) for f in features] == [EXACT]
    rows = _csv(api, "/api/v1/snare-finds/export/?catch_species=Panthera+uncia")
    assert [(r["longitude"], r["latitude"], r["location_generalised"]) for r in rows] == [
        ("87.456700", "50.143200", "no")]  # fmt: skip


def test_the_risk_map_puts_finds_from_the_generalised_list(client, reserve_a, analyst_a):
    client.force_login(analyst_a)
    page = client.get("/risk/", {"reserve": reserve_a.slug}).content.decode()
    assert 'data-records="/api/v1/snare-finds/"' in page


def test_the_admin_list_of_snare_finds_is_generalised(client, reserve_a):
    from django.contrib.auth.models import Permission

    staff = member(reserve_a, Role.MANAGER, clearance=False, username="staff_no_clearance")
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.filter(codename__in=["view_snarefind", "change_snarefind"]))
    find = _leopard_snare(reserve_a, patrol=PatrolFactory(reserve=reserve_a))
    client.force_login(staff)
    body = client.get("/admin/threats/snarefind/").content.decode()
    assert "50.10000, 87.50000 (generalised)" in body and "2024-05-01" in body
    assert "50.1432" not in body and "87.4567" not in body and "10:31" not in body
    form = client.get(f"/admin/threats/snarefind/{find.pk}/change/").content.decode()
    assert "87.4567" not in form and "10:31" not in form and f'value="{find.patrol_id}"' not in form
    assert client.get("/admin/threats/snarefind/", {"found_at__gte": "2024-05-01T10:31"}).status_code == 400
    assert client.get("/admin/threats/snarefind/", {"patrol__id__exact": find.patrol_id}).status_code == 400
    assert client.get("/admin/threats/snarefind/", {"found_at__day": "1"}).status_code == 200


@pytest.mark.parametrize(("clearance", "reasons"), [
    (False, [{"code": "outside_reserve", "message": "Outside the reserve boundary."}]), (True, OUTSIDE)])  # fmt: skip
def test_review_reasons_of_a_generalised_record_leave_out_the_distance(api, reserve_a, clearance, reasons):
    DetectionFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326), needs_review=True, review_reasons=OUTSIDE)
    _leopard_snare(reserve_a, needs_review=True, review_reasons=OUTSIDE)
    api.force_authenticate(member(reserve_a, Role.ANALYST, clearance=clearance))
    for path in ["/api/v1/detections/", "/api/v1/snare-finds/"]:
        assert api.get(path).json()["features"][0]["properties"]["review_reasons"] == reasons


def test_review_reasons_of_an_exact_record_keep_the_distance(api, reserve_a, analyst_a):
    DetectionFactory(reserve=reserve_a, species=species("Capra sibirica"), location=Point(*EXACT, srid=4326),
                     review_reasons=OUTSIDE)  # fmt: skip
    api.force_authenticate(analyst_a)
    assert api.get("/api/v1/detections/").json()["features"][0]["properties"]["review_reasons"] == OUTSIDE


def test_a_generalised_sign_shows_neither_its_patrol_nor_its_minute(api, reserve_a, analyst_a, manager_a, ranger_a):
    patrol = PatrolFactory(reserve=reserve_a)
    DetectionFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326), observed_at=AT, method="scat",
                     patrol=patrol, reported_by=ranger_a)  # fmt: skip
    api.force_authenticate(analyst_a)
    shown = api.get("/api/v1/detections/").json()["features"][0]["properties"]
    assert (shown["patrol"], shown["reported_by"], shown["observed_at"]) == (None, None, "2024-05-01T00:00:00Z")
    assert shown["created_at"].endswith("T00:00:00Z") and shown["updated_at"].endswith("T00:00:00Z")
    assert api.get("/api/v1/detections/", {"patrol": patrol.pk}).json()["features"] == []
    minute = {"start": "2024-05-01T10:31:00Z", "end": "2024-05-01T10:32:00Z"}
    assert api.get("/api/v1/detections/", minute).json()["features"] == []
    rows = _csv(api, "/api/v1/detections/export/")
    assert [(r["observed_at"], r["patrol"], r["reported_by"]) for r in rows] == [("2024-05-01T00:00:00+00:00", "", "")]
    api.force_authenticate(manager_a)
    shown = api.get("/api/v1/detections/", {"patrol": patrol.pk, **minute}).json()["features"][0]["properties"]
    assert (shown["patrol"], shown["reported_by"], shown["observed_at"]) == (
        patrol.pk,
        "ranger_a",
        "2024-05-01T10:31:12Z",
    )


def test_an_incident_linked_to_a_leopard_snare_is_generalised(api, reserve_a, analyst_a, manager_a):
    incident = IncidentFactory(reserve=reserve_a, kind="carcass", occurred_at=AT, location=Point(87.2, 50.3, srid=4326))
    incident.snare_finds.set([_leopard_snare(reserve_a)])
    api.force_authenticate(analyst_a)
    feature = api.get("/api/v1/incidents/").json()["features"][0]
    assert (_coords(feature), feature["properties"]["occurred_at"]) == ([87.2, 50.3], "2024-05-01T00:00:00Z")
    assert feature["properties"]["location_generalised"] is True
    api.force_authenticate(manager_a)
    feature = api.get("/api/v1/incidents/").json()["features"][0]
    assert (feature["properties"]["location_generalised"], feature["properties"]["occurred_at"]) == (
        False, "2024-05-01T10:31:12Z")  # fmt: skip


def test_a_companion_in_the_same_cell_and_day_is_generalised_too(api, reserve_a, analyst_a, manager_a):
    patrol = PatrolFactory(reserve=reserve_a)
    DetectionFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326), observed_at=AT, patrol=patrol)
    ibex = DetectionFactory(reserve=reserve_a, species=species("Capra sibirica"), location=Point(*EXACT, srid=4326),
                            observed_at=AT, patrol=patrol)  # fmt: skip
    snare = SnareFindFactory(reserve=reserve_a, location=Point(87.4571, 50.1430, srid=4326), found_at=AT, patrol=patrol)
    far = DetectionFactory(reserve=reserve_a, species=species("Capra sibirica"), location=Point(87.2345, 50.3456,
                           srid=4326), observed_at=AT, patrol=patrol)  # fmt: skip
    next_day = SnareFindFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326), found_at=datetime(
        2024, 5, 2, 10, 31, tzinfo=UTC), patrol=patrol)  # fmt: skip
    api.force_authenticate(analyst_a)
    detections = {f["id"]: f for f in api.get("/api/v1/detections/").json()["features"]}
    finds = {f["id"]: f for f in api.get("/api/v1/snare-finds/").json()["features"]}
    assert (_coords(detections[ibex.pk]), detections[ibex.pk]["properties"]["patrol"]) == (CELL, None)
    assert (_coords(finds[snare.pk]), finds[snare.pk]["properties"]["found_at"]) == (CELL, "2024-05-01T00:00:00Z")
    assert (_coords(detections[far.pk]), detections[far.pk]["properties"]["patrol"]) == ([87.2345, 50.3456], patrol.pk)
    assert (_coords(finds[next_day.pk]), finds[next_day.pk]["properties"]["location_generalised"]) == (EXACT, False)
    api.force_authenticate(manager_a)
    detections = {f["id"]: f for f in api.get("/api/v1/detections/").json()["features"]}
    assert (_coords(detections[ibex.pk]), detections[ibex.pk]["properties"]["patrol"]) == (EXACT, patrol.pk)

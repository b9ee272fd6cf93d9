"""Sensitive species are shown on a grid to users without clearance, in the API, admin lists and exports."""

import csv
import io

import pytest
from django.contrib.gis.geos import Point

from patrol.reserves.models import Role
from tests.conftest import member
from tests.threats.factories import CameraDeploymentFactory, DetectionFactory, species
from threats.records.selectors import detections_for_user

pytestmark = pytest.mark.django_db

EXACT = [87.4567, 50.1432]


def _coords(feature):
    return [round(c, 9) for c in feature["geometry"]["coordinates"]]


@pytest.mark.parametrize(
    ("role", "clearance", "shown", "generalised"),
    [
        (Role.MANAGER, True, EXACT, False),
        (Role.MANAGER, False, [87.5, 50.1], True),
        (Role.ANALYST, False, [87.5, 50.1], True),
        (Role.ANALYST, True, EXACT, False),
    ],
)
def test_sensitive_detection_is_generalised_without_clearance(api, reserve_a, role, clearance, shown, generalised):
    detection = DetectionFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326))
    api.force_authenticate(member(reserve_a, role, clearance=clearance))
    features = api.get("/api/v1/detections/").json()["features"]
    assert [_coords(f) for f in features] == [shown]
    assert features[0]["properties"]["location_generalised"] is generalised
    assert "location" not in features[0]["properties"]
    single = api.get(f"/api/v1/detections/{detection.pk}/").json()
    assert _coords(single) == shown


def test_non_sensitive_species_is_exact_for_everyone(api, reserve_a, analyst_a):
    DetectionFactory(reserve=reserve_a, species=species("Capra sibirica"), location=Point(*EXACT, srid=4326))
    api.force_authenticate(analyst_a)
    assert [_coords(f) for f in api.get("/api/v1/detections/").json()["features"]] == [EXACT]


def test_camera_detections_of_any_species_do_not_reveal_the_camera(api, reserve_a, analyst_a):
    camera = CameraDeploymentFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326))
    DetectionFactory(reserve=reserve_a, species=species("Capra sibirica"), deployment=camera,
                     location=Point(*EXACT, srid=4326))  # fmt: skip
    api.force_authenticate(analyst_a)
    assert [_coords(f) for f in api.get("/api/v1/detections/").json()["features"]] == [[87.5, 50.1]]


def test_reserve_may_choose_a_coarser_grid(api, reserve_a, analyst_a):
    reserve_a.sensitive_grid_degrees = 0.5
    reserve_a.save()
    DetectionFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326))
    api.force_authenticate(analyst_a)
    assert [_coords(f) for f in api.get("/api/v1/detections/").json()["features"]] == [[87.5, 50.0]]


@pytest.mark.parametrize(("grid_degrees", "shown"), [(0.5, [87.5, 50.0]), (0.2, [87.4, 50.2]), (0.05, [87.5, 50.1])])
def test_the_deployment_grid_setting_is_the_finest_grid(api, reserve_a, analyst_a, settings, grid_degrees, shown):
    """IRBIS_SENSITIVE_GRID_DEGREES is the default and the minimum: coarser than the reserve's 0.1 it
    wins; finer, the reserve's own grid stays."""
    settings.IRBIS_SENSITIVE_GRID_DEGREES = grid_degrees
    DetectionFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326))
    api.force_authenticate(analyst_a)
    assert [_coords(f) for f in api.get("/api/v1/detections/").json()["features"]] == [shown]


def test_exact_point_stays_stored_for_analysis(reserve_a, analyst_a):
    DetectionFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326))
    row = detections_for_user(user=analyst_a).get()
    assert list(row.location.coords) == EXACT
    assert [round(c, 9) for c in row.display_location.coords] == [87.5, 50.1]


def test_bounding_box_filter_cannot_reveal_the_exact_point(api, reserve_a, analyst_a):
    DetectionFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326))
    api.force_authenticate(analyst_a)
    around_exact = api.get("/api/v1/detections/", {"in_bbox": "87.45,50.14,87.46,50.15"}).json()["features"]
    assert around_exact == []
    around_grid = api.get("/api/v1/detections/", {"in_bbox": "87.49,50.09,87.51,50.11"}).json()["features"]
    assert len(around_grid) == 1


def test_camera_deployments_are_generalised_without_clearance(api, reserve_a, analyst_a, manager_a):
    CameraDeploymentFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326))
    api.force_authenticate(analyst_a)
    assert [_coords(f) for f in api.get("/api/v1/camera-deployments/").json()["features"]] == [[87.5, 50.1]]
    api.force_authenticate(manager_a)
    assert [_coords(f) for f in api.get("/api/v1/camera-deployments/").json()["features"]] == [EXACT]


def test_csv_export_is_generalised_without_clearance(api, reserve_a, analyst_a, manager_a):
    DetectionFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326), individual_id="Khan")
    api.force_authenticate(analyst_a)
    response = api.get("/api/v1/detections/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["longitude"], r["latitude"], r["location_generalised"], r["individual_id"]) for r in rows] == [
        ("87.500000", "50.100000", "yes", "Khan")
    ]
    api.force_authenticate(manager_a)
    rows = list(csv.DictReader(io.StringIO(b"".join(api.get("/api/v1/detections/export/").streaming_content).decode())))
    assert [(r["longitude"], r["latitude"], r["location_generalised"]) for r in rows] == [
        ("87.456700", "50.143200", "no")
    ]


def test_admin_list_is_generalised_and_change_form_hides_the_point(client, reserve_a):
    staff = member(reserve_a, Role.MANAGER, clearance=False, username="staff_no_clearance")
    staff.is_staff = True
    staff.save()
    from django.contrib.auth.models import Permission

    staff.user_permissions.set(Permission.objects.filter(codename__in=["view_detection", "change_detection"]))
    detection = DetectionFactory(reserve=reserve_a, location=Point(*EXACT, srid=4326))
    client.force_login(staff)
    listing = client.get("/admin/threats/detection/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "50.10000, 87.50000 (generalised)" in body
    assert "50.1432" not in body and "87.4567" not in body
    form = client.get(f"/admin/threats/detection/{detection.pk}/change/").content.decode()
    assert "87.4567" not in form and "50.1432" not in form
    assert client.get(f"/admin/threats/detection/{detection.pk}/history/").status_code == 403

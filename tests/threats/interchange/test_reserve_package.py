"""The reserve package moves reserves in and out; Camtrap DP packages bring camera traps in."""

import csv
import io
import shutil
from datetime import UTC, datetime

import pytest
from django.contrib.gis.geos import LineString, MultiLineString, Point
from django.core.management import CommandError, call_command

from patrol.patrols.models import Patrol
from patrol.reserves.models import Reserve
from tests.patrol.factories import AccessPointFactory, PatrolFactory, PostFactory, ReserveFactory, ZoneFactory
from tests.shared_data import CAMTRAP_EXAMPLE
from tests.threats.factories import (
    CameraDeploymentFactory,
    DetectionFactory,
    IncidentFactory,
    SnareFindFactory,
    species,
)
from threats.interchange.reserve_package import (
    PackageError,
    camtrap_import,
    reserve_package_export,
    reserve_package_import,
)
from threats.records.models import CameraDeployment, Detection, SnareFind

pytestmark = pytest.mark.django_db
T = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def test_camtrap_example_imports_deployments_people_and_vehicles_and_reports_unknown_taxa(reserve_a):
    report = camtrap_import(reserve=reserve_a, folder=CAMTRAP_EXAMPLE)
    assert CameraDeployment.objects.filter(reserve=reserve_a).count() == 4
    kinds = sorted(Detection.objects.filter(reserve=reserve_a).values_list("observation_type", flat=True))
    assert kinds == ["human", "vehicle"]  # the Belgian birds and rats are not Irbis species
    assert report.notes[0] == "kept 1 people and 1 vehicles on camera as possible poaching signals"
    assert "camera effort: 73.4 trap-days" in report.notes
    unknown = next(n for n in report.notes if n.startswith("unknown taxa skipped"))
    assert "Anas platyrhynchos (15)" in unknown and "Vulpes vulpes (1)" in unknown
    again = camtrap_import(reserve=reserve_a, folder=CAMTRAP_EXAMPLE)
    assert Detection.objects.filter(reserve=reserve_a).count() == 2
    assert "2 observation(s) were already imported" in again.notes


def test_camtrap_animals_of_known_species_become_detections(reserve_a, tmp_path):
    package = tmp_path / "camtrap"
    shutil.copytree(CAMTRAP_EXAMPLE, package)
    observations = package / "observations.csv"
    observations.write_text(observations.read_text().replace("Vulpes vulpes", "Panthera uncia"))
    camtrap_import(reserve=reserve_a, folder=package)
    leopards = Detection.objects.filter(reserve=reserve_a, species__scientific_name="Panthera uncia")
    assert leopards.count() == 1
    detection = leopards.get()
    assert detection.method == "camera_trap"
    assert detection.location == detection.deployment.location


def test_camtrap_problems_fail_the_import_and_save_nothing(reserve_a, tmp_path):
    package = tmp_path / "camtrap"
    shutil.copytree(CAMTRAP_EXAMPLE, package)
    deployments = package / "deployments.csv"
    deployments.write_text(deployments.read_text().replace("51.496,4.774", "151.496,4.774"))
    with pytest.raises(PackageError) as raised:
        camtrap_import(reserve=reserve_a, folder=package)
    assert raised.value.problems[0] == "camtrap/deployments.csv, row 1, column latitude: 151.496 is outside -90..90"
    assert CameraDeployment.objects.count() == 0


@pytest.fixture
def full_reserve():
    reserve = ReserveFactory(slug="source", name="Sailugem")
    ZoneFactory(reserve=reserve, name="Core", kind="core")
    PostFactory(reserve=reserve, name="Kosh-Agach post", location=Point(87.35, 50.05, srid=4326))
    AccessPointFactory(reserve=reserve, name="Road end", location=Point(87.5, 50.0, srid=4326))
    patrol = PatrolFactory(reserve=reserve, actual_start=T, actual_end=T.replace(hour=16), transport="horse",
                           track=MultiLineString(LineString((87.40, 50.10), (87.42, 50.11)), srid=4326))  # fmt: skip
    SnareFindFactory(
        reserve=reserve,
        patrol=patrol,
        found_at=T.replace(hour=10),
        count=4,
        material="cable",
        catch_species=species("Moschus moschiferus"),
        catch_condition="dead",
        gps_accuracy_m=6,
    )
    IncidentFactory(reserve=reserve, patrol=patrol, occurred_at=T.replace(hour=11), description="Fire still warm")
    DetectionFactory(reserve=reserve, patrol=patrol, method="track", observed_at=T.replace(hour=12))
    camera = CameraDeploymentFactory(reserve=reserve, deployment_id="ARG-CT01", start=T.replace(month=8), end=T)
    DetectionFactory(reserve=reserve, deployment=camera, observed_at=T.replace(month=9), individual_id="Khan")
    DetectionFactory(reserve=reserve, deployment=camera, observed_at=T.replace(month=9, day=2), species=None,
                     observation_type="human", individual_id="")  # fmt: skip
    return reserve


def _table(path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:  # database ids differ between reserves
        row.pop("observationID", None)
        row.pop("eventID", None)
    return rows


def test_reserve_package_round_trips(full_reserve, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    reserve_package_export(reserve=full_reserve, folder=first)
    report = reserve_package_import(folder=first, slug="copy")
    assert report.counts["snare finds"] == 1 and report.counts["patrols"] == 1 and report.counts["tracks"] == 1
    reserve_package_export(reserve=Reserve.objects.get(slug="copy"), folder=second)
    for name in ["patrols.csv", "snare_finds.csv", "incidents.csv", "detections.csv", "camtrap/deployments.csv",
                 "camtrap/observations.csv"]:  # fmt: skip
        assert _table(second / name) == _table(first / name), name
    for name in ["boundary.geojson", "zones.geojson", "posts.geojson", "access_points.geojson", "reserve.json",
                 "tracks/P00001.gpx"]:  # fmt: skip
        assert (second / name).read_text() == (first / name).read_text(), name
    copy = Patrol.objects.get(reserve__slug="copy")
    original = Patrol.objects.get(reserve=full_reserve)
    assert (copy.actual_start, copy.actual_end, copy.transport, copy.team.name) == (
        T, T.replace(hour=16), "horse", original.team.name
    )  # fmt: skip
    assert copy.track.equals_exact(original.track, tolerance=1e-9)


def test_bad_package_lists_every_problem_with_file_row_and_column_and_saves_nothing(full_reserve, tmp_path):
    folder = tmp_path / "pkg"
    reserve_package_export(reserve=full_reserve, folder=folder)
    finds = folder / "snare_finds.csv"
    lines = finds.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("latitude")] = "95.1"
    row[header.index("patrol_id")] = "P99999"
    row[header.index("material")] = "rope"
    finds.write_text("\n".join([lines[0], ",".join(row)]) + "\n")
    with pytest.raises(CommandError) as raised:
        call_command("import_reserve", str(folder), "--slug", "broken", stdout=io.StringIO())
    message = str(raised.value)
    assert message.startswith("3 problem(s) in the reserve package:")
    assert "- snare_finds.csv, row 2, column patrol_id: patrol 'P99999' is not in patrols.csv" in message
    assert "- snare_finds.csv, row 2, column latitude: Latitude must be between -90 and 90." in message
    assert "- snare_finds.csv, row 2, column material: 'rope' is not one of: wire, cable, nylon, other." in message
    assert not Reserve.objects.filter(slug="broken").exists()
    assert SnareFind.objects.count() == 1  # only the source reserve's


def test_missing_required_files_are_named(tmp_path):
    with pytest.raises(PackageError) as raised:
        reserve_package_import(folder=tmp_path, slug="empty")
    assert raised.value.problems == ["reserve.json: missing (required)", "boundary.geojson: missing (required)"]

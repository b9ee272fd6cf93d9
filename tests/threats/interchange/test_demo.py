"""The synthetic Argut reserve: deterministic, realistic in where snares are found, truth kept private."""

import csv
import io
import json
from datetime import UTC, datetime

import numpy as np
import pytest
from django.contrib.gis.gdal import GDALRaster
from django.core.management import CommandError, call_command
from django.db import connection
from scipy.spatial import cKDTree

from patrol.patrols.models import Patrol
from patrol.reserves.models import Membership, Reserve, Role
from threats.interchange import demo
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind

END = datetime(2026, 11, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def world():
    return demo.generate(seed=1, end=END)


def test_same_seed_same_reserve_and_other_seed_differs(world):
    again = demo.generate(seed=1, end=END)
    assert np.array_equal(world.elevation, again.elevation)
    assert [(f.x, f.y, f.found_at, f.count) for f in world.finds] == [
        (f.x, f.y, f.found_at, f.count) for f in again.finds
    ]
    other = demo.generate(seed=2, end=END)
    assert not np.array_equal(world.truth_intensity, other.truth_intensity)


def test_terrain_has_altai_ridges_and_valleys(world):
    assert world.shape == (800, 800)  # 40 x 40 km at 50 m
    assert 1200 <= world.elevation.min() < 1300
    assert 3600 < world.elevation.max() <= 3800
    for valley in world.valleys:
        rows, cols = world.cell_of(valley.xy[:, 0], valley.xy[:, 1])
        floor = world.elevation[rows, cols]
        assert floor.min() >= 1200 - 15 and floor.max() <= 2000 + 15, valley.name


def test_snares_are_found_only_near_patrols_while_they_are_set(world):
    for find in world.finds:
        patrol = world.patrols[find.patrol]
        assert np.min(np.hypot(*(patrol.track_xy - (find.x, find.y)).T)) <= demo.DETECTION_RADIUS_M + 60
        assert patrol.start <= find.found_at <= patrol.end
    found = [s for s in world.snares if s.found_at]
    assert all(s.set_at <= s.found_at for s in found)
    assert 0 < len(found) < len(world.snares) / 3  # most snares are never found


def test_finds_concentrate_in_musk_deer_valleys_near_access_points(world):
    """Finds per unit of patrol effort, not raw counts: the hidden process shows through the effort."""
    by_name = {v.name: v for v in world.valleys}
    musk_valleys = cKDTree(np.vstack([by_name[n].xy for n in demo.MUSK_DEER_VALLEYS]))
    access = cKDTree(np.array([(a[2], a[3]) for a in world.access_points]))
    finds = np.array([(f.x, f.y) for f in world.finds])
    effort = np.vstack([p.track_xy for p in world.patrols])

    def rate_ratio(tree, metres):
        near_f, near_e = tree.query(finds)[0] < metres, tree.query(effort)[0] < metres
        return (near_f.sum() / near_e.sum()) / ((~near_f).sum() / (~near_e).sum())

    assert rate_ratio(musk_valleys, 1500) > 3
    assert rate_ratio(access, 8000) > 2


@pytest.mark.django_db
def test_seed_demo_loads_the_reserve_and_keeps_the_truth_private(tmp_path, client, settings):
    settings.IRBIS_PRIVATE_ROOT = tmp_path / "private"
    package = tmp_path / "package"
    call_command("seed_demo", "--seed", "1", "--end-date", "2026-11-15", "--package", str(package),
                 stdout=io.StringIO())  # fmt: skip
    reserve = Reserve.objects.get(slug="argut-demo")
    assert (reserve.projected_epsg, reserve.timezone) == (32645, "Asia/Barnaul")
    world = demo.generate(seed=1, end=END)
    assert SnareFind.objects.filter(reserve=reserve).count() == len(world.finds)
    assert Patrol.objects.filter(reserve=reserve, status="completed").count() == len(world.patrols)
    assert Patrol.objects.filter(reserve=reserve, status="planned").count() == 4
    assert Incident.objects.filter(reserve=reserve).count() == len(world.incidents)
    assert Detection.objects.filter(reserve=reserve).count() == len(world.detections)
    assert CameraDeployment.objects.filter(reserve=reserve).count() == len(world.cameras)
    assert reserve.posts.count() == 3 and reserve.access_points.count() == 5 and reserve.teams.count() == 4
    # the DEM's valley reaches carry the demo's nine valley names; reaches nothing names keep a code
    names = set(reserve.valley_reaches.values_list("name", flat=True))
    assert set(demo.VALLEY_NAMES) <= names
    assert all(name.startswith("V") and name[1:].isdigit() for name in names - set(demo.VALLEY_NAMES))
    assert set(Detection.objects.filter(reserve=reserve).exclude(individual_id="").values_list(
        "individual_id", flat=True)) <= set(demo.LEOPARDS)  # fmt: skip
    assert Patrol.objects.filter(reserve=reserve, status="completed", track_length_km__gt=1).count() == len(
        world.patrols
    )

    # every find lies within the detection radius (plus GPS wander) of its own patrol's track
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM threats_snarefind f JOIN patrol_patrol p ON p.id = f.patrol_id
               WHERE f.reserve_id = %s AND NOT ST_DWithin(f.location::geography, p.track::geography, 160)""",
            [reserve.pk],
        )
        assert cursor.fetchone()[0] == 0

    roles = dict(Membership.objects.filter(reserve=reserve).values_list("user__username", "role"))
    assert (roles["manager"], roles["analyst"], roles["ranger1"]) == (Role.MANAGER, Role.ANALYST, Role.RANGER)
    assert client.login(username="manager", password="irbis-demo")

    dem = GDALRaster(reserve.dem.path)
    assert (dem.srs.srid, dem.width, dem.height, dem.scale.x) == (32645, 800, 800, 50.0)

    out = tmp_path / "truth"
    call_command("export_demo_truth", "--reserve", "argut-demo", "--out", str(out), stdout=io.StringIO())
    assert sorted(p.name for p in out.iterdir()) == [
        "README.json", "leopard_presence.tif", "musk_deer_habitat.tif", "snare_intensity.tif", "snares.csv",
    ]  # fmt: skip
    with open(out / "snares.csv") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == len(world.snares)
    assert json.loads((out / "README.json").read_text())["seed"] == 1
    assert not str(settings.IRBIS_PRIVATE_ROOT).startswith(str(settings.MEDIA_ROOT))

    from threats.risk.models import RiskRun

    run = RiskRun.objects.get(reserve=reserve)
    assert run.status == "done" and run.inputs_end == END
    with open(package / "snare_finds.csv") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == len(world.finds)
    assert len(list((package / "tracks").glob("*.gpx"))) == len(world.patrols)

    with pytest.raises(CommandError, match="already exists"):
        call_command("seed_demo")
    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    assert Reserve.objects.count() == 1

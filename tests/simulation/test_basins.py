"""The basins simulator keeps its own rules (snares rot, detection below 1, patrols go back to their finds,
cameras where rangers reach), and the reserve package it writes imports whole, on the truth's grid."""

from datetime import UTC, datetime

import numpy as np
import pytest

from patrol.patrols.models import Patrol
from patrol.reserves.models import AccessPoint, Post
from patrol.terrain.models import TerrainGrid
from tests.simulation import basins
from tests.simulation.package import write_package, write_truth
from threats.interchange.reserve_package import reserve_package_import
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind

SMALL = {"seed": 7, "size": 120, "months": 4}  # 6 x 6 km, four months: a second to simulate


@pytest.fixture(scope="module")
def world():
    return basins.generate(**SMALL)


def test_the_simulator_is_deterministic_and_keeps_its_numbers(world):
    assert world.shape == (120, 120)
    assert world.grid.geotransform == (610_000.0, 50.0, 0.0, 5_790_000.0, 0.0, -50.0)
    counts = (len(world.patrols), len(world.finds), len(world.incidents), len(world.detections), len(world.cameras))
    assert counts == (61, 235, 25, 203, 30)
    assert len(world.snares.x) == 1896
    assert int((world.snares.found_by >= 0).sum()) == 348
    assert world.notes["missed_passes"] == 430
    assert world.notes["revisits"] == 23
    again = basins.generate(**SMALL)
    assert np.array_equal(again.truth_intensity, world.truth_intensity)
    assert [f.t for f in again.finds] == [f.t for f in world.finds]


def test_access_lies_on_the_boundary_and_posts_on_basin_rims(world):
    assert world.access_points == [
        ("Lower road end", "road_end", 611_175.0, 5_784_075.0),  # one cell in from the southern edge
        ("Western village", "village", 610_075.0, 5_787_075.0),
        ("Eastern road end", "road_end", 615_925.0, 5_786_175.0),
        ("Northern border pass", "border_crossing", 614_525.0, 5_789_925.0),
    ]
    assert [p[:2] for p in world.posts] == [("Basin 1 station", "station"), ("Basin 2 cabin", "cabin"),
                                            ("Basin 3 cabin", "cabin")]  # fmt: skip
    slope = basins.slope_deg(world.elevation, basins.CELL_M)
    for _name, _kind, x, y in world.posts:
        r, c = world.grid.cell_of(x, y)
        assert slope[r, c] < 20.0  # a gentle spot on the rim
        assert world.elevation[r, c] < np.median(world.elevation)  # low: the way out of its basin


def test_snares_are_found_only_while_active_and_rot_if_nobody_finds_them(world):
    s = world.snares
    found = s.found_by >= 0
    assert found.sum() == 348
    assert (s.found_t[found] >= s.set_t[found]).all()
    assert (s.found_t[found] < s.rot_t[found]).all()  # none found after it rotted
    assert np.isnan(s.found_t[~found]).all()
    assert (s.gone_t[~found] == s.rot_t[~found]).all()  # never found: gone when it rots
    # they last months: the median snare would rot after more than three months
    assert np.median(s.rot_t - s.set_t) / basins.DAY > 90
    # snares are out there before the records begin (set from six months earlier)
    before = s.set_t < world.start
    assert (int(before.sum()), int((before & found).sum())) == (851, 133)  # and some are found in the records


def test_detection_below_one_leaves_active_snares_unfound_within_the_radius(world):
    missed, found = world.notes["missed_passes"], int((world.snares.found_by >= 0).sum())
    assert missed > 0
    assert round(found / (found + missed), 3) == 0.447  # near FIND_PROBABILITY = 0.45, as drawn


def test_each_find_is_where_its_patrol_passed_when_it_passed(world):
    patrols = {p.index: p for p in world.patrols}
    for find in world.finds:
        patrol = patrols[find.patrol]
        at = np.flatnonzero(patrol.t == find.t)
        assert len(at) >= 1
        assert np.hypot(*(patrol.xy[at[0]] - (find.x, find.y))) <= basins.DETECTION_RADIUS_M
    removed = [f for f in world.finds if f.action != "left_for_ambush"]
    assert len(removed) == 230
    s = world.snares
    for f in removed:
        members = (s.line == f.line) & (s.found_by == f.patrol)
        assert members.sum() == f.count
        assert (s.gone_t[members] <= s.rot_t[members]).all()


def test_revisits_go_back_to_the_teams_earlier_finds(world):
    revisits = [p for p in world.patrols if p.revisit]
    assert len(revisits) == 23
    for p in revisits:
        earlier = [f for f in world.finds if world.patrols[f.patrol].team == p.team and f.t < p.start]
        xy = np.array([(f.x, f.y) for f in earlier])
        nearest = min(np.hypot(xy[:, 0] - x, xy[:, 1] - y).min() for x, y in p.xy)
        assert nearest <= 60.0  # the target cell holds the find: a fix within half a diagonal and the wander


def test_cameras_stand_where_rangers_reach_and_leopards_are_seen_on_them(world):
    fixes = np.vstack([p.xy for p in world.patrols])
    for camera in world.cameras:
        assert np.hypot(fixes[:, 0] - camera.x, fixes[:, 1] - camera.y).min() <= 340.0
        assert 60 * basins.DAY - 1 <= camera.end - camera.start <= world.end - world.start
    leopard = [d for d in world.detections if d.species == basins.LEOPARD]
    assert (sum(d.camera is not None for d in leopard), sum(d.camera is None for d in leopard)) == (141, 8)
    assert {d.individual for d in leopard if d.individual} == set(basins.LEOPARDS)
    assert sum(not d.individual for d in leopard if d.camera is not None) > 0  # not every individual is known
    assert 0.0 <= world.leopard_presence.min() and world.leopard_presence.max() < 1.0


def test_the_ceiling_map_is_the_truth_without_its_forest_factor(world):
    ceiling = basins.truth_without_forest(world)
    assert ((ceiling > 0) == (world.truth_intensity > 0)).all()
    # Within the truth's support the two differ by (0.3 + 0.7 x forest) ** -1.5 up to a scale: a factor
    # that varies (the forest does) by at most (1 / 0.3) ** 1.5 = 6.09 from end to end.
    factor = ceiling[ceiling > 0] / world.truth_intensity[ceiling > 0]
    assert 2.0 < factor.max() / factor.min() < (1 / 0.3) ** 1.5


@pytest.mark.django_db
def test_the_package_imports_whole_on_the_truths_grid(world, tmp_path):
    written = write_package(world, tmp_path / "package")
    write_truth(world, tmp_path / "truth.npz")
    assert not any("truth" in p.name for p in (tmp_path / "package").rglob("*"))
    report = reserve_package_import(folder=tmp_path / "package", slug="basins-7")
    reserve = report.reserve
    camera_detections = sum(d.camera is not None for d in world.detections)
    assert written == {
        "patrols": 61, "tracks": 61, "snare finds": 235, "incidents": 25, "detections": 203 - camera_detections,
        "camera deployments": 30, "camera detections": camera_detections,
    }  # fmt: skip
    assert {k: v for k, v in report.counts.items() if k in written} == written
    assert report.counts["posts"] == 3 and report.counts["access points"] == 4 and report.counts["dem"] == 1
    trap_days = sum(int(c.end) - int(c.start) for c in world.cameras) / basins.DAY
    assert report.notes == [f"camera effort: {trap_days:.1f} trap-days"]  # nothing skipped, no unknown taxa
    assert Patrol.objects.filter(reserve=reserve, track__isnull=False).count() == 61
    assert SnareFind.objects.filter(reserve=reserve).count() == 235
    assert sum(SnareFind.objects.filter(reserve=reserve).values_list("count", flat=True)) == 348
    assert Incident.objects.filter(reserve=reserve).count() == 25
    assert Detection.objects.filter(reserve=reserve).count() == 203
    assert CameraDeployment.objects.filter(reserve=reserve).count() == 30
    assert (Post.objects.filter(reserve=reserve).count(), AccessPoint.objects.filter(reserve=reserve).count()) == (3, 4)
    first = min(world.finds, key=lambda f: f.t)
    earliest = SnareFind.objects.filter(reserve=reserve).order_by("found_at").first().found_at
    assert earliest == datetime.fromtimestamp(first.t, UTC).replace(microsecond=0)  # written to the second

    terrain = TerrainGrid.objects.get(reserve=reserve)
    truth = np.load(tmp_path / "truth.npz")
    assert terrain.grid == world.grid
    assert tuple(truth["geotransform"]) == tuple(terrain.geotransform)
    assert truth["truth_intensity"].shape == truth["leopard_presence"].shape == (terrain.height, terrain.width)
    assert int(truth["epsg"]) == terrain.srid == 32646

"""Valley reaches carry the names the reserve's data give: the demo's valleys, a package's valleys.geojson;
the risk map ranks a named valley once, under its name."""

import json

import numpy as np
import pytest
from django.core.files import File

from patrol.terrain.models import TerrainGrid, ValleyReach
from patrol.terrain.selectors import reach_ids_by_name, reach_labels, valley_choices
from tests.patrol.routing.valley_world import seed_valley_world
from threats.interchange import demo
from threats.interchange.reserve_package import PackageError, reserve_package_export, reserve_package_import
from threats.risk.compute import valley_ranking
from threats.risk.models import RiskRun
from threats.risk.selectors import risk_valleys

pytestmark = pytest.mark.django_db


@pytest.fixture
def valley_world(tmp_path):
    reserve, posts, team, world = seed_valley_world("named", tmp_path)
    with open(tmp_path / "named-dem.tif", "rb") as handle:
        reserve.dem.save("named-dem.tif", File(handle), save=True)
    return reserve, world


def _names(reserve):
    return dict(ValleyReach.objects.filter(reserve=reserve).values_list("reach_id", "name"))


def test_the_demo_valleys_name_the_reaches_along_them(valley_world):
    reserve, world = valley_world
    names = _names(reserve)
    named = {n for n in names.values() if not ValleyReach.is_code(n)}
    assert named == set(demo.VALLEY_NAMES)  # all nine, even at 8 x 8 km
    assert all(names[i] == f"V{i:03d}" for i in names if ValleyReach.is_code(names[i]))
    # named valleys first in the planning page's picker, codes after
    choices = valley_choices(reserve_id=reserve.pk)
    assert choices[: len(named)] == sorted(named)
    # a reach named Argut lies along the demo's Argut floor
    argut = ValleyReach.objects.filter(reserve=reserve, name="Argut").first().geometry.transform(32645, clone=True)
    floor = next(v for v in world.valleys if v.name == "Argut").xy
    gaps = [min(np.hypot(*(floor - p).T)) for p in argut.coords]
    assert np.median(gaps) < 150


def test_a_package_names_valleys_and_round_trips_them(valley_world, tmp_path):
    reserve, _world = valley_world
    folder = tmp_path / "package"
    reserve_package_export(reserve=reserve, folder=folder)
    exported = json.loads((folder / "valleys.geojson").read_text())
    assert {f["properties"]["name"] for f in exported["features"]} == {
        n for n in _names(reserve).values() if not ValleyReach.is_code(n)
    }
    report = reserve_package_import(folder=folder, slug="named-copy", resolution_m=100.0)
    copy = report.reserve
    assert _names(copy) == _names(reserve)
    assert report.counts["named_valley_reaches"] == sum(not ValleyReach.is_code(n) for n in _names(reserve).values())


def test_a_named_point_names_the_nearest_reach_and_the_rest_keep_codes(valley_world, tmp_path):
    reserve, _world = valley_world
    folder = tmp_path / "package"
    reserve_package_export(reserve=reserve, folder=folder)
    reach = ValleyReach.objects.filter(reserve=reserve).order_by("-length_m").first()
    middle = reach.geometry.interpolate_normalized(0.5)
    (folder / "valleys.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(middle.geojson), "properties": {"name": "Каменная"}},
    ]}))  # fmt: skip
    copy = reserve_package_import(folder=folder, slug="point-named", resolution_m=100.0).reserve
    names = _names(copy)
    assert names[reach.reach_id] == "Каменная"
    assert all(name == f"V{i:03d}" for i, name in names.items() if i != reach.reach_id)


@pytest.mark.parametrize(("content", "problem"), [
    ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[87, 50], [87.1, 50], [87, 50.1], [87, 50]]]},
      "properties": {"name": "X"}}, "valleys.geojson: feature 1 is a Polygon, not a line or point"),
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [87, 50]}, "properties": {}},
     "valleys.geojson: feature 1: property 'name' must be 1-200 characters"),
])  # fmt: skip
def test_bad_valleys_are_reported_and_nothing_is_saved(valley_world, tmp_path, content, problem):
    reserve, _world = valley_world
    folder = tmp_path / "package"
    reserve_package_export(reserve=reserve, folder=folder)
    (folder / "valleys.geojson").write_text(json.dumps(content))
    with pytest.raises(PackageError) as caught:
        reserve_package_import(folder=folder, slug="bad-valleys", resolution_m=100.0)
    assert problem in caught.value.problems
    assert not ValleyReach.objects.filter(reserve__slug="bad-valleys").exists()


def test_valleys_without_a_dem_are_refused(valley_world, tmp_path):
    reserve, _world = valley_world
    folder = tmp_path / "package"
    reserve_package_export(reserve=reserve, folder=folder)
    (folder / "dem.tif").unlink()
    with pytest.raises(PackageError) as caught:
        reserve_package_import(folder=folder, slug="no-dem", resolution_m=100.0)
    assert "valleys.geojson: valleys name the reaches of the DEM: the package needs dem.tif" in caught.value.problems


def test_the_valley_ranking_ranks_a_named_valley_once_under_its_name(valley_world):
    reserve, _world = valley_world
    terrain = TerrainGrid.objects.get(reserve=reserve)
    labels = reach_labels(terrain)
    risk = np.random.default_rng(4).random(labels.shape)
    ranked = valley_ranking(terrain, risk, risk * 0.5)
    names = [v["name"] for v in ranked]
    assert len(names) == len(set(names)) == len(reach_ids_by_name(reserve_id=reserve.pk))
    argut = next(v for v in ranked if v["name"] == "Argut")
    ids = reach_ids_by_name(reserve_id=reserve.pk)["Argut"]
    assert argut["reach_id"] == min(ids)
    assert argut["risk"] == pytest.approx(float(risk[np.isin(labels, ids)].sum()), abs=1e-5)
    assert [v["rank"] for v in ranked] == list(range(1, len(ranked) + 1))


def test_the_ranking_reads_the_names_as_they_are_now(valley_world):
    """A run stored before the valleys were named (or renamed) shows the current names."""
    reserve, _world = valley_world
    reach = ValleyReach.objects.filter(reserve=reserve, name="Shavla").order_by("reach_id").first()
    stored = {"rank": 1, "reach_id": reach.reach_id, "name": f"V{reach.reach_id:03d}", "risk": 2.0,
              "previous_risk": 1.0, "previous_rank": 2}  # fmt: skip
    run = RiskRun.objects.create(reserve=reserve, status=RiskRun.Status.DONE, summary={"valleys": [stored]})
    assert [v["name"] for v in risk_valleys(run=run)["valleys"]] == ["Shavla"]
    ValleyReach.objects.filter(pk=reach.pk).update(name="Шавла")
    assert [v["name"] for v in risk_valleys(run=run)["valleys"]] == ["Шавла"]

"""DEM import for a reserve, and route suggestions through the API (Celery runs eagerly here)."""

import io

import gpxpy
import numpy as np
import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.management import CommandError, call_command
from PIL import Image

from config.storage import private_storage
from patrol.reserves.models import Role, Zone
from patrol.routing.models import RoutePlan
from patrol.terrain.models import TerrainGrid, ValleyReach
from patrol.terrain.raster_io import read_raster, transform_points
from patrol.terrain.services import grid_cell_of, terrain_import
from patrol.terrain.web_map import hillshade_png_get
from tests.conftest import member
from tests.patrol.factories import PostFactory, ReserveFactory
from tests.patrol.terrain.helpers import UTM_11N, check_route, rolling_terrain, write_grid
from tests.shared_data import DEM_DIR
from tests.threats.factories import SnareFindFactory

pytestmark = pytest.mark.django_db


def _reserve_over(bbox_lonlat, epsg, slug):
    return ReserveFactory(slug=slug, projected_epsg=epsg,
                          boundary=MultiPolygon(Polygon.from_bbox(bbox_lonlat), srid=4326))  # fmt: skip


def test_import_dem_resamples_a_utm_dem_and_finds_its_valleys():
    reserve = _reserve_over((-118.3, 34.2, -118.0, 34.4), 32611, "tujunga")
    out = io.StringIO()
    call_command("import_dem", "--reserve", "tujunga", str(DEM_DIR / "bigtujunga-srtm-30m.tif"),
                 "--resolution", "100", stdout=out)  # fmt: skip
    grid = TerrainGrid.objects.get(reserve=reserve)
    assert (grid.srid, grid.resolution_m, grid.width, grid.height) == (32611, 100.0, 360, 193)
    assert 300 < grid.elevation_min_m < 400 and 2200 < grid.elevation_max_m < 2300
    elevation = read_raster(grid.elevation.path)
    for layer in (grid.slope, grid.hillshade, grid.flow_accumulation, grid.reach_labels):
        assert read_raster(layer.path).same_grid_as(elevation)
    assert np.nanmax(read_raster(grid.flow_accumulation.path).data) > 1000  # the outlet drains many cells
    reaches = ValleyReach.objects.filter(reserve=reserve)
    assert reaches.count() > 10
    assert all(r.length_m > 0 and r.catchment_km2 >= 5 for r in reaches)
    assert out.getvalue().startswith("tujunga: 360 x 193 cells of 100 m in EPSG:32611")
    reserve.refresh_from_db()
    assert reserve.dem.name.endswith(".tif")


def test_import_dem_reprojects_a_geographic_dem():
    reserve = _reserve_over((-113.3, 37.1, -112.8, 37.5), 32612, "zion")
    grid = terrain_import(reserve=reserve, path=DEM_DIR / "zion-srtm-90m.tif", resolution_m=90)
    assert grid.srid == 32612
    x0, dx, _, y0, _, dy = grid.geotransform
    assert (dx, dy) == (90.0, -90.0)
    assert 1000 < grid.elevation_min_m < 1100 and 2800 < grid.elevation_max_m < 2900


def test_corrupt_or_misplaced_dem_fails_clearly_and_keeps_the_old_terrain(tmp_path):
    reserve = _reserve_over((-118.3, 34.2, -118.0, 34.4), 32611, "tujunga")
    terrain_import(reserve=reserve, path=DEM_DIR / "bigtujunga-srtm-30m.tif", resolution_m=200)
    truncated = tmp_path / "broken.tif"
    truncated.write_bytes((DEM_DIR / "bigtujunga-srtm-30m.tif").read_bytes()[:5000])
    with pytest.raises(CommandError, match="broken.tif"):
        call_command("import_dem", "--reserve", "tujunga", str(truncated))
    with pytest.raises(CommandError, match="zion-srtm-90m.tif does not overlap the reserve"):
        call_command("import_dem", "--reserve", "tujunga", str(DEM_DIR / "zion-srtm-90m.tif"))
    with pytest.raises(CommandError, match="No reserve with slug 'nowhere'"):
        call_command("import_dem", "--reserve", "nowhere", str(truncated))
    assert TerrainGrid.objects.get(reserve=reserve).resolution_m == 200


@pytest.fixture
def plan(api, django_capture_on_commit_callbacks):
    """POST a route plan and run the queued Celery task (eager here) as the commit would."""

    def post(body):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post("/api/v1/route-plans/", body, format="json")

    return post


@pytest.fixture
def small_reserve(tmp_path):
    """A 2.1 x 1.8 km reserve on rolling synthetic terrain, 30 m cells, with one post and some finds."""
    elevation = rolling_terrain()
    path = tmp_path / "dem.tif"
    write_grid(path, elevation)  # origin 400000, 3800000 in UTM 11N
    corners = Polygon.from_bbox((400_000, 3_798_200, 402_100, 3_800_000))
    corners.srid = UTM_11N
    corners.transform(4326)
    reserve = ReserveFactory(slug="reserve-a", projected_epsg=UTM_11N, boundary=MultiPolygon(corners, srid=4326))
    terrain_import(reserve=reserve, path=path, resolution_m=30)
    post = Point(400_615, 3_799_085, srid=UTM_11N)  # cell (30, 20)
    post.transform(4326)
    for x, y in [(401_500, 3_799_600), (401_800, 3_798_500), (400_300, 3_798_400)]:
        find = Point(x, y, srid=UTM_11N)
        find.transform(4326)
        SnareFindFactory(reserve=reserve, location=find, count=3)
    return reserve, PostFactory(reserve=reserve, name="Base", location=post), elevation


def test_manager_gets_a_route_suggestion_with_gpx_and_kml(api, plan, small_reserve):
    reserve, post, elevation = small_reserve
    api.force_authenticate(member(reserve, Role.MANAGER))
    created = plan({"reserve": "reserve-a", "start_post": post.pk, "hours": 2})  # fmt: skip
    assert created.status_code == 201, created.json()
    result = api.get(f"/api/v1/route-plans/{created.json()['id']}/").json()
    assert result["status"] == "done", result["error"]
    assert result["risk_source"].startswith("recent finds and incidents")
    route = result["routes"][0]["features"][0]
    cells = [tuple(c) for c in route["properties"]["cells"]]
    assert cells[0] == cells[-1] == grid_cell_of(TerrainGrid.objects.get(), post.location.x, post.location.y)
    assert route["properties"]["duration_h"] <= 2.0
    assert route["properties"]["covered_risk"] > 0
    hours, _, km = check_route(cells, elevation, np.zeros_like(elevation), dx_rows=[30.0] * 60, dy=30.0,
                               radius_m=100.0)  # fmt: skip
    assert hours == pytest.approx(route["properties"]["duration_h"], rel=1e-6)
    assert km == pytest.approx(route["properties"]["length_km"], rel=1e-6)

    gpx = api.get(f"/api/v1/route-plans/{result['id']}/gpx/")
    assert gpx["Content-Type"] == "application/gpx+xml"
    parsed = gpxpy.parse(gpx.content.decode())
    assert len(parsed.tracks[0].segments[0].points) == len(cells)
    kml = api.get(f"/api/v1/route-plans/{result['id']}/kml/").content.decode()
    assert "<LineString>" in kml
    missing = api.get(f"/api/v1/route-plans/{result['id']}/gpx/", {"route": 2})
    assert missing.status_code == 404


def test_alternatives_and_multiday(api, plan, small_reserve):
    reserve, post, _ = small_reserve
    api.force_authenticate(member(reserve, Role.MANAGER))
    alt = plan({"reserve": "reserve-a", "start_post": post.pk, "hours": 1.5,
                                            "alternatives": 3}).json()  # fmt: skip
    assert len(RoutePlan.objects.get(pk=alt["id"]).routes) == 3
    multi = plan({"reserve": "reserve-a", "start_post": post.pk, "hours": 1,
                                              "days": 2}).json()  # fmt: skip
    route = RoutePlan.objects.get(pk=multi["id"]).routes[0]["feature_collection"]["features"][0]
    assert route["properties"]["duration_h"] <= 2.0


def test_routes_never_enter_no_go_zones(api, plan, small_reserve):
    reserve, post, _ = small_reserve
    # A north-south strip east of the post: without it the best route crosses there, towards the finds.
    band = Polygon.from_bbox((401_100, 3_798_200, 401_250, 3_800_000))
    band.srid = UTM_11N
    band.transform(4326)
    Zone.objects.create(reserve=reserve, name="Cliffs", kind=Zone.Kind.NO_GO, area=band)
    api.force_authenticate(member(reserve, Role.MANAGER))
    created = plan({"reserve": "reserve-a", "start_post": post.pk, "hours": 3})  # fmt: skip
    route = RoutePlan.objects.get(pk=created.json()["id"]).routes[0]["feature_collection"]["features"][0]
    cells = route["properties"]["cells"]
    x_of_col = [400_000 + (c + 0.5) * 30 for _, c in cells]
    assert not any(401_100 < x < 401_250 for x in x_of_col)


@pytest.mark.parametrize("role", [Role.RANGER, Role.ANALYST])
def test_only_managers_ask_for_routes(api, plan, small_reserve, role):
    reserve, post, _ = small_reserve
    api.force_authenticate(member(reserve, role))
    response = plan({"reserve": "reserve-a", "start_post": post.pk, "hours": 2})  # fmt: skip
    assert response.status_code == 403
    assert RoutePlan.objects.count() == 0


def test_route_plans_are_invisible_across_reserves_and_to_rangers(api, plan, small_reserve, reserve_b, manager_b):
    reserve, post, _ = small_reserve
    manager = member(reserve, Role.MANAGER)
    api.force_authenticate(manager)
    plan_id = plan({"reserve": "reserve-a", "start_post": post.pk, "hours": 1}).json()["id"]  # fmt: skip
    api.force_authenticate(manager_b)
    assert api.get(f"/api/v1/route-plans/{plan_id}/").status_code == 404
    assert api.get(f"/api/v1/route-plans/{plan_id}/gpx/").status_code == 404
    assert api.get("/api/v1/route-plans/").json()["results"] == []
    their_post = PostFactory(reserve=reserve_b)
    refused = plan({"reserve": "reserve-a", "start_post": their_post.pk, "hours": 1})  # fmt: skip
    assert refused.status_code == 400
    api.force_authenticate(member(reserve, Role.RANGER))
    assert api.get(f"/api/v1/route-plans/{plan_id}/").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [({"hours": 0}, "hours"), ({"hours": 30}, "hours"), ({"days": 20}, "days"), ({"transport": "jetpack"}, "transport"),
     ({"alternatives": 2, "days": 2}, "alternatives")],
)  # fmt: skip
def test_route_plan_validation(api, plan, small_reserve, change, field):
    reserve, post, _ = small_reserve
    api.force_authenticate(member(reserve, Role.MANAGER))
    response = plan({"reserve": "reserve-a", "start_post": post.pk, "hours": 2, **change})  # fmt: skip
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_reserve_without_terrain_is_told_to_import_a_dem(api, plan, reserve_a, manager_a):
    post = PostFactory(reserve=reserve_a)
    api.force_authenticate(manager_a)
    response = plan({"reserve": "reserve-a", "start_post": post.pk, "hours": 2})  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "reserve": ["This reserve has no terrain yet: import a DEM first (import_dem)."]
    }


def flat_risk(terrain):
    """A risk surface for the test below, named in IRBIS_RISK_SURFACE."""
    return np.ones((terrain.height, terrain.width)), "flat test surface"


def test_the_planner_asks_the_configured_risk_surface(api, plan, small_reserve, settings):
    """patrol imports nothing from threats: the risk surface comes through IRBIS_RISK_SURFACE."""
    settings.IRBIS_RISK_SURFACE = f"{__name__}.flat_risk"
    reserve, post, _elevation = small_reserve
    api.force_authenticate(member(reserve, Role.MANAGER))
    created = plan({"reserve": "reserve-a", "start_post": post.pk, "hours": 1})
    result = api.get(f"/api/v1/route-plans/{created.json()['id']}/").json()
    assert (result["status"], result["risk_source"]) == ("done", "flat test surface")


def test_import_draws_the_hillshade_basemap(small_reserve):
    terrain = TerrainGrid.objects.get(reserve=small_reserve[0])
    path, ((south, west), (north, east)) = hillshade_png_get(terrain)
    with private_storage.open(path) as handle, Image.open(handle) as image:
        assert image.mode == "RGBA" and min(image.size) > 40
    corners = transform_points(np.array([[400_000, 3_798_200], [402_100, 3_800_000]]), from_srid=UTM_11N, to_srid=4326)
    assert [south, west, north, east] == pytest.approx([*corners[0][::-1], *corners[1][::-1]], abs=0.002)

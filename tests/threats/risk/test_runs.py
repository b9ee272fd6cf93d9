"""A finished risk run: its stored layers, the explain/valleys/status API and map, export_risk, and who may see what."""

from __future__ import annotations

import io
import json
import math
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from patrol.terrain.models import TerrainGrid, ValleyReach
from patrol.terrain.raster_io import read_raster
from tests.conftest import member
from tests.threats.risk.worlds import WORLD_END, _lonlat
from threats.interchange import demo
from threats.records.models import SnareFind
from threats.risk import compute as risk_compute
from threats.risk.data import MODEL_VERSION
from threats.risk.inputs import risk_inputs_build, terrain_features_for
from threats.risk.model import fit_risk
from threats.risk.models import RiskRun
from threats.risk.surface import current_risk_surface

pytestmark = pytest.mark.django_db


def test_a_run_stores_layers_on_the_terrain_grid_and_its_summary(run_a):
    terrain = TerrainGrid.objects.get(reserve=run_a.reserve)
    elevation = read_raster(terrain.elevation.path)
    for name in ("snares", "uncertainty", "leopard", "leopard_uncertainty", "effort"):
        layer = read_raster(getattr(run_a, name).path)
        assert layer.same_grid_as(elevation), name
        assert np.isfinite(layer.data).all() and (layer.data >= 0).all()
    assert Path(run_a.snares.path).is_relative_to(Path(run_a.snares.storage.location))  # private, not media
    assert (run_a.progress, run_a.stage, run_a.model_version) == (100, "done", MODEL_VERSION)
    first_patrol = min(Patrol.objects.filter(reserve=run_a.reserve).values_list("actual_start", flat=True))
    assert first_patrol > WORLD_END - timedelta(days=730)  # a year of data: the window starts with them
    assert (run_a.inputs_end, run_a.inputs_start) == (WORLD_END, first_patrol)
    assert run_a.terrain == terrain and run_a.grid_geotransform == terrain.geotransform
    inputs = run_a.summary["inputs"]
    assert inputs["snare_finds"] == SnareFind.objects.filter(reserve=run_a.reserve).count()
    assert inputs["access_points"] == 5
    assert run_a.summary["total_snare_lines_per_year"] == pytest.approx(
        float(read_raster(run_a.snares.path).data.sum()), rel=1e-4
    )
    assert run_a.started_at <= run_a.finished_at
    leopard = run_a.summary["leopard_model"]
    terrain_wins = leopard["heldout_loglik"]["terrain"] >= leopard["heldout_loglik"]["flat"]
    assert leopard["terrain_kept"] is terrain_wins
    assert any(name.startswith("elevation") for name in leopard["coefficients"]) is terrain_wins


def test_explain_from_stored_layers_matches_the_model(run_a, api):
    reserve = run_a.reserve
    terrain = TerrainGrid.objects.get(reserve=reserve)
    start = run_a.inputs_start
    result = fit_risk(risk_inputs_build(reserve=reserve, terrain=terrain, start=start, end=WORLD_END),
                      terrain_features_for(terrain))  # fmt: skip
    centres = result.leopard.centres  # the identified leopards' home ranges, as the run summarised them
    assert run_a.summary["leopard_model"]["home_ranges"] == (None if centres is None else {
        "sigma_m": centres.sigma_m, "lambda0_per_day": round(centres.lambda0, 5),
        "recorded_individuals": centres.recorded, "unrecorded_individuals": round(centres.unrecorded, 2),
    })  # fmt: skip
    row, col = np.unravel_index(int(np.nanargmax(result.intensity)), result.intensity.shape)
    x0, dx, _sx, y0, _sy, dy = terrain.geotransform
    lon, lat = _lonlat(x0 + (col + 0.5) * dx, y0 + (row + 0.5) * dy)
    api.force_authenticate(member(reserve, Role.MANAGER, clearance=True))
    body = api.get(f"/api/v1/risk/{reserve.slug}/explain/", {"lon": lon, "lat": lat}).json()
    expected = result.explain(int(row), int(col))
    assert (body["cell"]["row"], body["cell"]["col"]) == (row, col)
    assert body["intensity"] == pytest.approx(expected.intensity, rel=1e-5)
    assert body["baseline"] == pytest.approx(expected.baseline, rel=1e-9)
    assert [c["name"] for c in body["contributions"]] == [c.name for c in expected.contributions]
    assert [c["value"] for c in body["contributions"]] == pytest.approx([c.value for c in expected.contributions],
                                                                        abs=1e-5)  # fmt: skip
    assert body["baseline"] + sum(c["value"] for c in body["contributions"]) == pytest.approx(
        math.log(body["intensity"]), abs=1e-4
    )
    assert body["effort"]["visits"] == pytest.approx(expected.effort_visits, rel=1e-5)
    assert body["leopard_presence"] == pytest.approx(expected.leopard_presence, rel=1e-5)
    assert body["leopard_generalised"] is False and "trap_days" not in body["effort"]
    assert [c["name"] for c in body["leopard_contributions"]] == [c.name for c in expected.leopard_contributions]
    assert [c["value"] for c in body["leopard_contributions"]] == pytest.approx(
        [c.value for c in expected.leopard_contributions], abs=1e-5
    )
    assert body["leopard_baseline"] + sum(c["value"] for c in body["leopard_contributions"]) == pytest.approx(
        expected.leopard_baseline + sum(c.value for c in expected.leopard_contributions), abs=1e-4
    )
    assert body["leopard_risk_sd"] == pytest.approx(expected.leopard_risk_sd, rel=1e-5)


def test_without_clearance_leopard_values_and_overlay_are_generalised(run_a, client):
    reserve = run_a.reserve
    analyst = member(reserve, Role.ANALYST, clearance=False)
    client.force_login(analyst)
    lon, lat = _lonlat(demo.DEMO_ORIGIN[0] + 3000, demo.DEMO_ORIGIN[1] - 3000)
    body = client.get(f"/api/v1/risk/{reserve.slug}/explain/", {"lon": lon, "lat": lat}).json()
    leopard = np.load(run_a.explain_layers.path)["leopard_presence"]
    assert body["leopard_generalised"] is True
    assert body["leopard_presence"] == pytest.approx(float(np.nanmean(leopard)), rel=1e-5)  # one block: the reserve
    status = client.get(f"/api/v1/risk/{reserve.slug}/").json()
    assert status["overlays"]["layers"]["leopard"]["generalised"] is True
    png = client.get(status["overlays"]["layers"]["leopard"]["url"])
    stored = Path(run_a.snares.path).parent / "leopard-generalised.png"
    assert png.content == stored.read_bytes()


def test_the_leopard_uncertainty_layer_is_stored_served_and_explained(run_a, client):
    """leopard_risk_sd combines the snare and the presence uncertainty; mapped like the snares' SD."""
    reserve = run_a.reserve
    stored = np.load(run_a.explain_layers.path)
    sd, risk = stored["leopard_risk_sd"], stored["leopard_risk"]
    presence, presence_sd = stored["leopard_presence"], stored["leopard_presence_sd"]
    intensity, intensity_sd = stored["intensity"], stored["intensity_sd"]
    combined = np.sqrt(intensity**2 * presence_sd**2 + presence**2 * intensity_sd**2 + intensity_sd**2 * presence_sd**2)
    np.testing.assert_allclose(sd, combined, rtol=1e-4)
    assert (sd >= intensity_sd * presence - 1e-6).all() and (presence_sd > 0).all()
    np.testing.assert_allclose(read_raster(run_a.leopard_uncertainty.path).data, sd, rtol=1e-5)
    assert risk.shape == sd.shape
    client.force_login(member(reserve, Role.MANAGER, clearance=True))
    status = client.get(f"/api/v1/risk/{reserve.slug}/").json()
    layer = status["overlays"]["layers"]["leopard_uncertainty"]
    assert layer["generalised"] is False and layer["unit"] == "standard deviation of the leopard risk"
    assert layer["url"] == f"/risk/{reserve.slug}/runs/{run_a.pk}/leopard_uncertainty.png"
    png = client.get(layer["url"])
    assert png.content == (Path(run_a.snares.path).parent / "leopard_uncertainty.png").read_bytes()
    row, col = 40, 40
    x0, dx, _sx, y0, _sy, dy = run_a.grid_geotransform
    lon, lat = _lonlat(x0 + (col + 0.5) * dx, y0 + (row + 0.5) * dy)
    body = client.get(f"/api/v1/risk/{reserve.slug}/explain/", {"lon": lon, "lat": lat}).json()
    assert body["leopard_risk_sd"] == pytest.approx(float(sd[row, col]), rel=1e-6)
    assert body["leopard_presence_sd"] == pytest.approx(float(presence_sd[row, col]), rel=1e-6)
    # without clearance: the drawing and the values are generalised like the leopard layer's
    client.force_login(member(reserve, Role.ANALYST, clearance=False))
    status = client.get(f"/api/v1/risk/{reserve.slug}/").json()
    assert status["overlays"]["layers"]["leopard_uncertainty"]["generalised"] is True
    png = client.get(status["overlays"]["layers"]["leopard_uncertainty"]["url"])
    assert png.content == (Path(run_a.snares.path).parent / "leopard_uncertainty-generalised.png").read_bytes()
    body = client.get(f"/api/v1/risk/{reserve.slug}/explain/", {"lon": lon, "lat": lat}).json()
    assert body["leopard_risk_sd"] == pytest.approx(float(np.nanmean(sd)), rel=1e-5)  # one block: the reserve
    assert body["leopard_contributions"] is None and body["leopard_baseline"] is None  # local evidence: cleared only


def test_the_route_planner_uses_the_latest_run(run_a, world_a):
    terrain = TerrainGrid.objects.get(reserve=run_a.reserve)
    surface, source = current_risk_surface(terrain)
    assert source.startswith(f"risk model run #{run_a.pk} (irbis-risk-1.4, data {run_a.inputs_start:%Y-%m-%d} to "
                             "2026-11-01)")  # fmt: skip
    np.testing.assert_array_equal(surface, read_raster(run_a.snares.path).data)


def test_status_shows_progress_of_the_current_run_and_the_latest_layers(run_a, api):
    reserve = run_a.reserve
    queued = RiskRun.objects.create(reserve=reserve, progress=35, stage="fitting the model",
                                    status=RiskRun.Status.RUNNING)  # fmt: skip
    api.force_login(member(reserve, Role.ANALYST))  # a session, as in the web shell (the PNGs need one)
    body = api.get(f"/api/v1/risk/{reserve.slug}/").json()
    assert body["latest"]["id"] == run_a.pk and body["latest"]["status"] == "done"
    assert {k: body["current"][k] for k in ("id", "status", "progress", "stage")} == {
        "id": queued.pk, "status": "running", "progress": 35, "stage": "fitting the model"}  # fmt: skip
    assert list(body["overlays"]["layers"]) == ["snares", "leopard", "uncertainty", "leopard_uncertainty", "effort"]
    (south, west), (north, east) = body["overlays"]["bounds"]
    x0, y0 = demo.DEMO_ORIGIN
    corners = [_lonlat(x, y) for x in (x0, x0 + 8000) for y in (y0, y0 - 8000)]
    assert west == pytest.approx(min(c[0] for c in corners), abs=0.005)
    assert east == pytest.approx(max(c[0] for c in corners), abs=0.005)
    assert (south, north) == pytest.approx((min(c[1] for c in corners), max(c[1] for c in corners)), abs=0.005)
    assert body["hillshade"]["url"] == f"/risk/{reserve.slug}/hillshade.png"
    png = api.get(body["overlays"]["layers"]["snares"]["url"])
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_valleys_rank_reaches_with_their_trend(run_a, api):
    api.force_authenticate(member(run_a.reserve, Role.MANAGER))
    body = api.get(f"/api/v1/risk/{run_a.reserve.slug}/valleys/", {"top": 3}).json()
    valleys = body["valleys"]
    names = dict(ValleyReach.objects.filter(reserve=run_a.reserve).values_list("reach_id", "name"))
    assert [v["rank"] for v in valleys] == [1, 2, 3]
    assert valleys == sorted(valleys, key=lambda v: -v["risk"])
    assert all(v["name"] == names[v["reach_id"]] and v["trend"] in {"up", "down", "steady"} for v in valleys)
    labels = risk_compute.reach_labels_of(TerrainGrid.objects.get(reserve=run_a.reserve))
    snares = read_raster(run_a.snares.path).data
    assert valleys[0]["risk"] == pytest.approx(float(snares[labels == valleys[0]["reach_id"]].sum()), rel=1e-4)
    assert body["previous_window"] == [run_a.inputs_start.isoformat(), "2026-08-03T00:00:00+00:00"]
    assert api.get(f"/api/v1/risk/{run_a.reserve.slug}/valleys/", {"top": 0}).json()["error"]["fields"] == {
        "top": ["Ensure this value is greater than or equal to 1."]}  # fmt: skip


def test_bad_or_outside_points_are_a_400_naming_the_field(run_a, api):
    api.force_authenticate(member(run_a.reserve, Role.MANAGER))
    url = f"/api/v1/risk/{run_a.reserve.slug}/explain/"
    missing = api.get(url, {"lon": 87.3})
    assert missing.status_code == 400 and list(missing.json()["error"]["fields"]) == ["lat"]
    outside = api.get(url, {"lon": 10.0, "lat": 10.0})
    assert outside.status_code == 400
    assert outside.json()["error"]["fields"]["lon"] == ["This point lies outside the reserve's terrain grid."]


@pytest.mark.parametrize(
    ("lon", "lat"), [(0, 0), (180, 0), (-180, 0), (0, 90), (0, -90), (180, 90), (-180, -90), (87.3, -89.9), (-93, 50)]
)
def test_points_far_outside_the_reserve_or_its_crs_are_a_400_naming_the_fields(run_a, api, lon, lat):
    api.force_authenticate(member(run_a.reserve, Role.MANAGER))
    response = api.get(f"/api/v1/risk/{run_a.reserve.slug}/explain/", {"lon": lon, "lat": lat})
    assert response.status_code == 400, response.content
    message = "This point lies outside the reserve's terrain grid."
    assert response.json()["error"]["fields"] == {"lon": [message], "lat": [message]}


RISK_GETS = [
    "/api/v1/risk/{slug}/", "/api/v1/risk/{slug}/explain/?lon=87.3&lat=50.15", "/api/v1/risk/{slug}/valleys/",
    "/risk/{slug}/hillshade.png", "/risk/{slug}/runs/{run}/snares.png",
    "/risk/{slug}/runs/{run}/leopard_uncertainty.png",
]  # fmt: skip


@pytest.mark.parametrize("url", RISK_GETS)
def test_other_reserves_get_404_and_rangers_403(run_a, other_reserve, client, url):
    url = url.format(slug=run_a.reserve.slug, run=run_a.pk)
    client.force_login(other_reserve[1])
    assert client.get(url).status_code == 404
    client.force_login(member(run_a.reserve, Role.RANGER))
    assert client.get(url).status_code == 403
    client.force_login(member(run_a.reserve, Role.ANALYST))
    assert client.get(url).status_code == 200


def test_another_reserves_run_is_not_reachable_through_ones_own_slug(run_a, other_reserve, client):
    client.force_login(other_reserve[1])
    assert client.get(f"/risk/{other_reserve[0].slug}/runs/{run_a.pk}/snares.png").status_code == 404


def test_recompute_across_reserves_is_404_and_nothing_changes(run_a, other_reserve, api):
    api.force_authenticate(other_reserve[1])
    assert api.post(f"/api/v1/risk/{run_a.reserve.slug}/runs/").status_code == 404
    assert RiskRun.objects.filter(reserve=run_a.reserve).count() == 1


def test_the_map_page_is_for_managers_admins_and_analysts(run_a, client):
    for role, expected in ((Role.MANAGER, 200), (Role.ADMIN, 200), (Role.ANALYST, 200), (Role.RANGER, 403)):
        client.force_login(member(run_a.reserve, role))
        response = client.get("/risk/")
        assert response.status_code == expected, role
    client.force_login(member(run_a.reserve, Role.MANAGER))
    page = client.get("/risk/").content.decode()
    assert f'data-reserve="{run_a.reserve.slug}"' in page and "leaflet/leaflet.js" in page
    assert "https://" not in page and "http://" not in page  # no CDN, no tile server: field offices are offline
    client.logout()
    assert client.get("/risk/").status_code == 302


def test_export_risk_writes_a_layer_plan_route_accepts(run_a, tmp_path):
    terrain = TerrainGrid.objects.get(reserve=run_a.reserve)
    out = tmp_path / "risk.tif"
    stdout = io.StringIO()
    call_command("export_risk", "--reserve", "reserve-a", "--layer", "snares", "--out", str(out), stdout=stdout)
    assert stdout.getvalue().startswith(
        f"reserve-a: snares of risk run #{run_a.pk} (data {run_a.inputs_start:%Y-%m-%d} to 2026-11-01)"
    )
    assert read_raster(out).same_grid_as(read_raster(terrain.elevation.path))
    post = demo.generate(seed=1, end=WORLD_END, size_m=8000.0, cell_m=100.0).posts[0]
    route = tmp_path / "route.geojson"
    call_command("plan_route", "--dem", terrain.elevation.path, "--risk", str(out), f"--start={post[1]},{post[2]}",
                 "--hours", "3", "--out", str(route), stdout=io.StringIO())  # fmt: skip
    feature = json.loads(route.read_text())
    assert feature["properties"]["covered_risk"] > 0 and feature["properties"]["duration_h"] <= 3.0


def test_export_risk_writes_the_leopard_uncertainty_layer(run_a, tmp_path):
    out = tmp_path / "leopard-sd.tif"
    call_command("export_risk", "--reserve", "reserve-a", "--layer", "leopard_uncertainty", "--out", str(out),
                 stdout=io.StringIO())  # fmt: skip
    assert out.read_bytes() == Path(run_a.leopard_uncertainty.path).read_bytes()


def test_the_model_version_fits_the_runs_column():
    """Every run stores it; a longer string fails the run at its end (value too long for the column)."""
    assert len(MODEL_VERSION) <= RiskRun._meta.get_field("model_version").max_length

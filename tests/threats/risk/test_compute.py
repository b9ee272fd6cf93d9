"""Risk runs in the database: inputs from records, debounced and nightly recomputes, stored layers,
the explain/valleys/status API, export_risk and backtest_risk, and who may see what."""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as settings_module
from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Point, Polygon
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from patrol.jobs.follow_up import evidence_changed
from patrol.jobs.models import OutboxMessage
from patrol.patrols.gpx import patrol_track_import
from patrol.patrols.models import Patrol, TrackPoint
from patrol.reserves.models import AccessPoint, Role
from patrol.terrain.models import TerrainGrid, ValleyReach
from patrol.terrain.raster_io import read_raster
from patrol.terrain.services import terrain_import
from tests.conftest import member
from tests.patrol.factories import ReserveFactory, TeamFactory
from tests.threats.fieldsync.factories import batch, device_client, snare_item
from threats.interchange import demo
from threats.interchange.demo_seed import geotiff_bytes, private_dir, to_wgs84
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind, Species
from threats.records.services import detection_create, incident_create, snare_find_create
from threats.risk import compute as risk_compute
from threats.risk import evaluation as risk_evaluation
from threats.risk import tasks
from threats.risk.compute import risk_compute_now, risk_nightly_schedule, risk_run_compute
from threats.risk.data import MODEL_VERSION
from threats.risk.inputs import risk_inputs_build, terrain_features_for
from threats.risk.model import fit_risk
from threats.risk.models import RiskRun
from threats.risk.selectors import risk_run_latest
from threats.risk.surface import current_risk_surface

pytestmark = pytest.mark.django_db

WORLD_END = datetime(2026, 11, 1, tzinfo=UTC)


def seed_world(slug: str, tmp_path, *, size_m: float = 8000.0, cell_m: float = 100.0, seed: int = 1,
               end: datetime = WORLD_END):  # fmt: skip
    """A small synthetic reserve (patrol.demo at a smaller size) with terrain, patrols and records."""
    world = demo.generate(seed=seed, end=end, size_m=size_m, cell_m=cell_m)
    x0, y0 = world.origin
    square = Polygon.from_bbox((x0, y0 - size_m, x0 + size_m, y0))
    square.srid = demo.DEMO_EPSG
    square.transform(4326)
    reserve = ReserveFactory(slug=slug, name=f"Reserve {slug}", projected_epsg=demo.DEMO_EPSG,
                             boundary=MultiPolygon(square, srid=4326))  # fmt: skip
    dem = tmp_path / f"{slug}-dem.tif"
    dem.write_bytes(geotiff_bytes(world.elevation, world.origin, world.cell_m, demo.DEMO_EPSG))
    terrain_import(reserve=reserve, path=dem, resolution_m=cell_m)
    point = lambda ll: Point(float(ll[0]), float(ll[1]), srid=4326)  # noqa: E731
    access_ll = to_wgs84(np.array([(a[2], a[3]) for a in world.access_points]))
    for (name, kind, _x, _y), ll in zip(world.access_points, access_ll, strict=True):
        AccessPoint.objects.create(reserve=reserve, name=name, kind=kind, location=point(ll))
    team = TeamFactory(reserve=reserve)
    patrols = Patrol.objects.bulk_create([
        Patrol(reserve=reserve, team=team, actual_start=p.start, actual_end=p.end, status=Patrol.Status.COMPLETED,
               track=MultiLineString(LineString([tuple(c) for c in to_wgs84(p.track_xy)], srid=4326), srid=4326))
        for p in world.patrols
    ])  # fmt: skip
    finds_ll = to_wgs84(np.array([(f.x, f.y) for f in world.finds]))
    finds = SnareFind.objects.bulk_create([
        SnareFind(reserve=reserve, patrol=patrols[f.patrol], location=point(ll), found_at=f.found_at, count=f.count,
                  material=f.material, state=f.state, action=f.action)
        for f, ll in zip(world.finds, finds_ll, strict=True)
    ])  # fmt: skip
    for incident, ll in zip(world.incidents, to_wgs84(np.array([(i.x, i.y) for i in world.incidents])), strict=True):
        row = Incident.objects.create(reserve=reserve, location=point(ll), kind=incident.kind, occurred_at=incident.at)
        row.snare_finds.set([finds[i] for i in incident.find_indexes])
    species = {s.scientific_name: s for s in Species.objects.all()}
    cameras = CameraDeployment.objects.bulk_create([
        CameraDeployment(reserve=reserve, deployment_id=c.deployment_id, location=point(ll), start=c.start, end=c.end)
        for c, ll in zip(world.cameras, to_wgs84(np.array([(c.x, c.y) for c in world.cameras])), strict=True)
    ])  # fmt: skip
    Detection.objects.bulk_create([
        Detection(reserve=reserve, species=species[d.species], method=d.method, observed_at=d.at, location=point(ll),
                  deployment=cameras[d.camera] if d.camera is not None else None)
        for d, ll in zip(world.detections, to_wgs84(np.array([(d.x, d.y) for d in world.detections])), strict=True)
    ])  # fmt: skip
    return reserve, world


@pytest.fixture
def private_root(settings, tmp_path):
    settings.IRBIS_PRIVATE_ROOT = tmp_path / "private"
    return settings.IRBIS_PRIVATE_ROOT


@pytest.fixture
def world_a(tmp_path, private_root):
    return seed_world("reserve-a", tmp_path)


@pytest.fixture
def run_a(world_a):
    reserve, _world = world_a
    run = risk_compute_now(reserve=reserve, end=WORLD_END)
    assert run.status == RiskRun.Status.DONE, run.error
    return run


@pytest.fixture
def other_reserve(tmp_path, private_root):
    """A second reserve with terrain and its own manager: reserve A's risk must stay out of its reach."""
    reserve, _world = seed_world("reserve-b", tmp_path, size_m=3000.0, seed=2)
    return reserve, member(reserve, Role.MANAGER, clearance=True, username="manager_b")


def _lonlat(x, y, srid=demo.DEMO_EPSG):
    point = Point(float(x), float(y), srid=srid)
    point.transform(4326)
    return point.x, point.y


# --- inputs from the database ------------------------------------------------------------------------


def test_inputs_read_records_of_the_window_at_exact_points(tmp_path, private_root):
    reserve, world = seed_world("reserve-a", tmp_path)
    terrain = TerrainGrid.objects.get(reserve=reserve)
    start, end = WORLD_END - timedelta(days=200), WORLD_END
    x, y = world.origin[0] + 3210.0, world.origin[1] - 2870.0
    lon, lat = _lonlat(x, y)
    # A sighting of a sensitive species: the analysis uses the exact point, not the generalised one.
    Detection.objects.all().delete()
    Detection.objects.create(reserve=reserve, species=Species.objects.get(scientific_name="Moschus moschiferus"),
                             method=Detection.Method.SIGHTING, observed_at=end - timedelta(days=3),
                             location=Point(lon, lat, srid=4326))  # fmt: skip
    Detection.objects.create(reserve=reserve, species=Species.objects.get(scientific_name="Panthera pardus orientalis"),
                             method=Detection.Method.CAMERA_TRAP, observed_at=end - timedelta(days=3),
                             location=Point(lon, lat, srid=4326))  # fmt: skip
    Detection.objects.create(reserve=reserve, observation_type=Detection.ObservationType.HUMAN, species=None,
                             method=Detection.Method.CAMERA_TRAP, observed_at=end - timedelta(days=2),
                             location=Point(lon, lat, srid=4326))  # fmt: skip
    Incident.objects.filter(snare_finds__isnull=True).delete()
    for kind in ("poacher_camp", "gunshot", "illegal_logging"):
        Incident.objects.create(reserve=reserve, kind=kind, occurred_at=end - timedelta(days=1),
                                location=Point(lon, lat, srid=4326))  # fmt: skip
    inputs = risk_inputs_build(reserve=reserve, terrain=terrain, start=start, end=end)

    in_window = SnareFind.objects.filter(reserve=reserve, found_at__gte=start, found_at__lt=end)
    assert len(inputs.snare_finds) == in_window.count() > 0
    assert set(inputs.snare_finds.weight) == {1.0}  # a find is one line, whatever its count of snares
    assert sorted(inputs.incidents.weight) == [0.2, 1.0]  # camp 1.0, gunshot 0.2; linked and logging left out
    assert (len(inputs.prey.sign), len(inputs.prey.camera)) == (1, 0)
    assert (len(inputs.leopard.camera), len(inputs.leopard.sign)) == (1, 0)  # Amur leopard counts; people do not
    assert inputs.prey.sign.x[0] == pytest.approx(x, abs=0.01)
    assert inputs.prey.sign.y[0] == pytest.approx(y, abs=0.01)
    assert inputs.grid.shape == (terrain.height, terrain.width)
    assert (inputs.start, inputs.end) == (start.timestamp(), end.timestamp())
    cameras = CameraDeployment.objects.filter(reserve=reserve, start__lt=end, end__gt=start).count()
    assert len(inputs.cameras.x) == cameras


def test_track_times_come_from_track_points_else_from_the_patrol_times(tmp_path, private_root):
    reserve, _world = seed_world("reserve-a", tmp_path)
    terrain = TerrainGrid.objects.get(reserve=reserve)
    Patrol.objects.all().delete()
    team = TeamFactory(reserve=reserve)
    x0, y0 = demo.DEMO_ORIGIN
    a, b, c = (_lonlat(x0 + 1000, y0 - 1000), _lonlat(x0 + 2000, y0 - 1000), _lonlat(x0 + 2000, y0 - 3000))
    t0 = WORLD_END - timedelta(days=10)
    timed = Patrol.objects.create(reserve=reserve, team=team, actual_start=t0, actual_end=t0 + timedelta(hours=3),
                                  track=MultiLineString(LineString([a, b, c], srid=4326), srid=4326))  # fmt: skip
    synced = Patrol.objects.create(reserve=reserve, team=team, actual_start=t0, actual_end=t0 + timedelta(hours=9),
                                   track=MultiLineString(LineString([a, b], srid=4326), srid=4326))  # fmt: skip
    for segment, (lonlat, minutes) in enumerate([(a, 0), (b, 30)]):
        for k in range(2):
            TrackPoint.objects.create(patrol=synced, segment=segment, recorded_at=t0 + timedelta(minutes=minutes + k),
                                      location=Point(lonlat[0] + k * 1e-4, lonlat[1], srid=4326),
                                      chunk_uuid="00000000-0000-0000-0000-000000000001")  # fmt: skip
    inputs = risk_inputs_build(reserve=reserve, terrain=terrain, start=t0 - timedelta(days=1), end=WORLD_END)
    by_patrol = {}
    for track in inputs.tracks:
        by_patrol.setdefault(track.patrol_id, []).append(track)
    # 1 km then 2 km over three hours: the middle vertex at one hour
    (line,) = by_patrol[timed.pk]
    assert line.t - t0.timestamp() == pytest.approx([0, 3600, 10800], abs=30)
    # one PatrolTrack per TrackPoint segment, with the recorded times
    assert [len(t.t) for t in by_patrol[synced.pk]] == [2, 2]
    assert by_patrol[synced.pk][1].t[0] - t0.timestamp() == 1800


# --- computing and storing a run ---------------------------------------------------------------------


def test_a_run_stores_layers_on_the_terrain_grid_and_its_summary(run_a):
    terrain = TerrainGrid.objects.get(reserve=run_a.reserve)
    elevation = read_raster(terrain.elevation.path)
    for name in ("snares", "uncertainty", "leopard", "effort"):
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


def test_explain_from_stored_layers_matches_the_model(run_a, api):
    reserve = run_a.reserve
    terrain = TerrainGrid.objects.get(reserve=reserve)
    start = run_a.inputs_start
    result = fit_risk(risk_inputs_build(reserve=reserve, terrain=terrain, start=start, end=WORLD_END),
                      terrain_features_for(terrain))  # fmt: skip
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


def test_the_route_planner_uses_the_latest_run(run_a, world_a):
    terrain = TerrainGrid.objects.get(reserve=run_a.reserve)
    surface, source = current_risk_surface(terrain)
    assert source.startswith(f"risk model run #{run_a.pk} (irbis-risk-1.0, data {run_a.inputs_start:%Y-%m-%d} to "
                             "2026-11-01)")  # fmt: skip
    np.testing.assert_array_equal(surface, read_raster(run_a.snares.path).data)


def test_the_route_planner_falls_back_without_a_run_on_this_grid(world_a):
    terrain = TerrainGrid.objects.get(reserve=world_a[0])
    assert current_risk_surface(terrain)[1].startswith("recent finds and incidents")


def test_old_runs_lose_their_files_but_keep_their_summary(world_a, settings):
    settings.IRBIS_RISK_KEEP_RUNS = 1
    first = risk_compute_now(reserve=world_a[0], end=WORLD_END)
    folder = Path(first.snares.path).parent
    second = risk_compute_now(reserve=world_a[0], end=WORLD_END)
    first.refresh_from_db()
    assert (first.snares.name, first.explain_layers.name, folder.exists()) == ("", "", False)
    assert first.summary["inputs"] == second.summary["inputs"]
    assert risk_run_latest(reserve=world_a[0]) == second


def test_a_run_without_terrain_fails_with_the_reason(private_root):
    reserve = ReserveFactory()
    run = RiskRun.objects.create(reserve=reserve)
    run = risk_run_compute(run_id=run.pk)
    assert (run.status, run.stage) == ("failed", "failed")
    assert run.error == "ValueError: the reserve has no terrain: import a DEM first (import_dem)"


# --- debounce, tasks, nightly -----------------------------------------------------------------------


def outbox(task_name: str) -> list[tuple[list, dict]]:
    """The follow-up messages written for `task_name`, oldest first."""
    return [(m.args, m.kwargs) for m in OutboxMessage.objects.filter(task_name=task_name)]


RECOMPUTE, COMPUTE = "threats.risk.tasks.risk_recompute_task", RiskRun.job_task


def test_new_records_queue_one_debounced_recompute(world_a, django_capture_on_commit_callbacks, settings):
    settings.IRBIS_RISK_DEBOUNCE_SECONDS = 240
    reserve = world_a[0]
    fields = {"location": Point(87.3, 50.15, srid=4326), "material": "wire", "state": "set", "action": "removed"}
    with django_capture_on_commit_callbacks() as callbacks:
        snare_find_create(actor=None, reserve=reserve, found_at=timezone.now(), **fields)
        incident_create(actor=None, reserve=reserve, kind="gunshot", occurred_at=timezone.now(),
                        location=Point(87.3, 50.15, srid=4326))  # fmt: skip
        leopard = Species.objects.get(scientific_name="Panthera uncia")
        detection_create(actor=None, reserve=reserve, species=leopard, method="track", observed_at=timezone.now(),
                         location=Point(87.3, 50.15, srid=4326))  # fmt: skip
    assert len(callbacks) == 3  # each write hands its outbox message to Celery on commit
    assert outbox(RECOMPUTE) == [([], {"reserve_id": reserve.pk})] * 3
    assert RiskRun.objects.count() == 0  # the worker makes the run

    # The worker runs the three triggers: the first queues the run, the others join it.
    with django_capture_on_commit_callbacks():
        made = [tasks.risk_recompute_task(reserve.pk) for _ in range(3)]
    run = RiskRun.objects.get()
    assert made == [run.pk, None, None]
    assert outbox(COMPUTE) == [([run.pk], {})]  # three triggers, one computation
    assert (run.status, run.trigger, run.progress, run.stage) == ("queued", "data", 0, "waiting for more data")
    assert run.not_before == pytest.approx(run.created_at + timedelta(seconds=240), abs=timedelta(seconds=5))
    assert OutboxMessage.objects.get(task_name=COMPUTE).available_at == pytest.approx(
        run.not_before, abs=timedelta(seconds=1))  # fmt: skip

    # Once the worker has claimed it, new data queue the next recompute.
    RiskRun.objects.filter(pk=run.pk).update(status=RiskRun.Status.RUNNING)
    with django_capture_on_commit_callbacks():
        assert tasks.risk_recompute_task(reserve.pk) is not None
    assert RiskRun.objects.filter(status="queued").count() == 1 and len(outbox(COMPUTE)) == 2


def test_a_sync_batch_queues_one_recompute(world_a, django_capture_on_commit_callbacks):
    reserve = world_a[0]
    client, device = device_client(member(reserve, Role.RANGER), reserve)
    with django_capture_on_commit_callbacks():
        response = client.post("/api/v1/sync/", batch(device, snare_item(), snare_item(), snare_item()), format="json")
    assert [r["status"] for r in response.json()["results"]] == ["created"] * 3
    assert outbox(RECOMPUTE) == [([], {"reserve_id": reserve.pk})]


def test_a_gpx_import_queues_a_recompute_and_the_measuring(world_a, django_capture_on_commit_callbacks):
    reserve = world_a[0]
    patrol = Patrol.objects.filter(reserve=reserve).first()
    gpx = ("<?xml version='1.0'?><gpx version='1.1' creator='t' xmlns='http://www.topografix.com/GPX/1/1'><trk><trkseg>"
           "<trkpt lat='50.15' lon='87.30'><time>2026-10-01T08:00:00Z</time></trkpt>"
           "<trkpt lat='50.16' lon='87.31'><time>2026-10-01T10:00:00Z</time></trkpt></trkseg></trk></gpx>")  # fmt: skip
    with django_capture_on_commit_callbacks():
        patrol_track_import(actor=None, patrol=patrol, content=gpx)
    assert outbox(RECOMPUTE) == [([], {"reserve_id": reserve.pk})]
    assert outbox("patrol.patrols.tasks.patrol_track_measure_task") == [([patrol.pk], {})]


def test_no_terrain_no_recompute(django_capture_on_commit_callbacks):
    reserve = ReserveFactory()
    with django_capture_on_commit_callbacks():
        assert tasks.risk_recompute_task(reserve.pk) is None
    assert (RiskRun.objects.count(), OutboxMessage.objects.count()) == (0, 0)


def test_a_rolled_back_write_queues_nothing(world_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError), \
            transaction.atomic():  # fmt: skip
        snare_find_create(
            actor=None,
            reserve=world_a[0],
            found_at=timezone.now(),
            location=Point(87.3, 50.15, srid=4326),
            material="wire",
            state="set",
            action="removed",
        )
        raise RuntimeError("the rest of the request failed")
    assert (RiskRun.objects.count(), SnareFind.objects.filter(found_at__gt=WORLD_END).count(),
            OutboxMessage.objects.count(), callbacks) == (0, 0, 0, [])  # fmt: skip


def test_the_queued_task_computes_once(world_a, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(risk_compute.timezone, "now", lambda: WORLD_END)
    # Celery is eager in tests: each hand-off runs its task here (recompute, then the computation).
    with django_capture_on_commit_callbacks(execute=True):
        evidence_changed(reserve_id=world_a[0].pk)
    run = RiskRun.objects.get()
    assert (run.status, run.progress, run.inputs_end, run.attempts, run.error) == ("done", 100, WORLD_END, 1, "")
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    finished = run.finished_at
    assert tasks.risk_run_compute_task(run.pk) == "done"  # a second delivery changes nothing
    run.refresh_from_db()
    assert (run.finished_at, run.attempts) == (finished, 1)


def test_a_lost_queued_run_is_queued_again(world_a, django_capture_on_commit_callbacks):
    stale = RiskRun.objects.create(reserve=world_a[0], not_before=timezone.now() - timedelta(hours=3))
    with django_capture_on_commit_callbacks():
        assert tasks.risk_recompute_task(world_a[0].pk) is None
    assert outbox(COMPUTE) == [([stale.pk], {})] and RiskRun.objects.get() == stale


def test_nightly_queues_every_reserve_with_terrain(world_a, django_capture_on_commit_callbacks):
    ReserveFactory()  # no terrain
    with django_capture_on_commit_callbacks():
        assert tasks.risk_nightly_task() == 1
        assert risk_nightly_schedule() == 0  # already queued: coalesced
    run = RiskRun.objects.get()
    assert (run.trigger, outbox(COMPUTE)) == ("nightly", [([run.pk], {})])
    beat = settings_module.CELERY_BEAT_SCHEDULE["risk-nightly-recompute"]
    assert beat["task"] == "threats.risk.tasks.risk_nightly_task" == tasks.risk_nightly_task.name


# --- the API ----------------------------------------------------------------------------------------


def test_status_shows_progress_of_the_current_run_and_the_latest_layers(run_a, api):
    reserve = run_a.reserve
    queued = RiskRun.objects.create(reserve=reserve, progress=35, stage="fitting the model",
                                    status=RiskRun.Status.RUNNING)  # fmt: skip
    api.force_login(member(reserve, Role.ANALYST))  # a session, as in the web shell (the PNGs need one)
    body = api.get(f"/api/v1/risk/{reserve.slug}/").json()
    assert body["latest"]["id"] == run_a.pk and body["latest"]["status"] == "done"
    assert {k: body["current"][k] for k in ("id", "status", "progress", "stage")} == {
        "id": queued.pk, "status": "running", "progress": 35, "stage": "fitting the model"}  # fmt: skip
    assert list(body["overlays"]["layers"]) == ["snares", "leopard", "uncertainty", "effort"]
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


def test_without_a_finished_run_explain_and_valleys_answer_404(world_a, api):
    api.force_authenticate(member(world_a[0], Role.MANAGER))
    for path in ("explain/?lon=87.3&lat=50.15", "valleys/"):
        response = api.get(f"/api/v1/risk/{world_a[0].slug}/{path}")
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "No finished risk computation for this reserve yet."
    assert api.get(f"/api/v1/risk/{world_a[0].slug}/").json()["latest"] is None


def test_managers_may_ask_for_a_recompute_analysts_may_not(world_a, api, django_capture_on_commit_callbacks):
    reserve = world_a[0]
    api.force_authenticate(member(reserve, Role.ANALYST))
    assert api.post(f"/api/v1/risk/{reserve.slug}/runs/").status_code == 403
    assert RiskRun.objects.count() == 0
    api.force_authenticate(member(reserve, Role.ADMIN))
    with django_capture_on_commit_callbacks():
        response = api.post(f"/api/v1/risk/{reserve.slug}/runs/")
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["trigger"]) == ("queued", "manual")
    assert outbox(COMPUTE) == [([response.json()["id"]], {})]


RISK_GETS = [
    "/api/v1/risk/{slug}/", "/api/v1/risk/{slug}/explain/?lon=87.3&lat=50.15", "/api/v1/risk/{slug}/valleys/",
    "/risk/{slug}/hillshade.png", "/risk/{slug}/runs/{run}/snares.png",
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


# --- commands ---------------------------------------------------------------------------------------


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


def test_export_risk_without_a_run_fails_clearly_or_computes(world_a, tmp_path):
    out = tmp_path / "leopard.tif"
    with pytest.raises(CommandError, match="reserve-a has no finished risk computation yet: run with --compute"):
        call_command("export_risk", "--reserve", "reserve-a", "--layer", "leopard", "--out", str(out))
    with pytest.raises(CommandError, match="No reserve with slug 'nowhere'"):
        call_command("export_risk", "--reserve", "nowhere", "--out", str(out))
    call_command("export_risk", "--reserve", "reserve-a", "--layer", "leopard", "--out", str(out), "--compute",
                 stdout=io.StringIO())  # fmt: skip
    assert RiskRun.objects.get().status == "done" and read_raster(out).shape == (80, 80)


def test_backtest_risk_scores_model_baseline_and_the_demo_truth(tmp_path, private_root):
    reserve, world = seed_world("reserve-a", tmp_path)
    truth = private_dir("reserve-a")
    truth.mkdir(parents=True)
    for name, layer in (("snare_intensity", world.truth_intensity), ("leopard_presence", world.leopard_presence)):
        (truth / f"{name}.tif").write_bytes(geotiff_bytes(layer, world.origin, world.cell_m, demo.DEMO_EPSG))
    out = io.StringIO()
    call_command("backtest_risk", "--reserve", "reserve-a", "--train-until", "2026-08-01", "--test-until",
                 "2026-11-01", stdout=out)  # fmt: skip
    text = out.getvalue()
    test_finds = SnareFind.objects.filter(found_at__gte=datetime(2026, 8, 1, tzinfo=UTC)).count()
    assert f"2026-08-01 .. 2026-11-01: {test_finds} finds" in text
    for row in (
        "AUC, all cells",
        "AUC, cells patrolled in test period *",
        "PAI at 5%",
        "PAI at 10%",
        "PAI at 20%",
        "catch-per-effort lift, top 10% *",
        "snares (snare intensity)",
        "leopard (intensity x leopard",
    ):
        assert row in text, row
    snares = next(line for line in text.splitlines() if "snares (snare intensity)" in line).split()
    layer, baseline, itself = (float(v) for v in snares[-3:])
    assert itself == pytest.approx(
        risk_evaluation.pai_against_truth(world.truth_intensity, world.truth_intensity), rel=1e-3
    )
    assert 1.0 < baseline < itself and 1.0 < layer <= itself


def test_backtest_risk_refuses_bad_input(world_a):
    with pytest.raises(CommandError, match="--train-until must be a date"):
        call_command("backtest_risk", "--reserve", "reserve-a", "--train-until", "soon")
    with pytest.raises(CommandError, match="No snare finds or patrol tracks in reserve-a before 2020-01-01"):
        call_command("backtest_risk", "--reserve", "reserve-a", "--train-until", "2020-01-01")
    with pytest.raises(CommandError, match="--test-until must be after --train-until"):
        call_command("backtest_risk", "--reserve", "reserve-a", "--train-until", "2026-08-01",
                     "--test-until", "2026-07-01")  # fmt: skip

"""Risk runs in the database: inputs from records, debounced and nightly recomputes, and the commands."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as settings_module
from django.contrib.gis.geos import LineString, MultiLineString, Point
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from patrol.jobs.follow_up import evidence_changed
from patrol.jobs.models import OutboxMessage
from patrol.patrols.gpx import patrol_track_import
from patrol.patrols.models import Patrol, TrackPoint
from patrol.reserves.models import Role
from patrol.terrain.models import TerrainGrid
from patrol.terrain.raster_io import read_raster
from tests.conftest import member
from tests.patrol.factories import ReserveFactory, TeamFactory
from tests.threats.fieldsync.factories import batch, device_client, snare_item
from tests.threats.risk.worlds import WORLD_END, _lonlat
from threats.interchange import demo
from threats.interchange.demo_seed import demo_geotiff_bytes, private_dir
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind, Species
from threats.records.services import detection_create, incident_create, snare_find_create
from threats.risk import compute as risk_compute
from threats.risk import evaluation as risk_evaluation
from threats.risk import tasks
from threats.risk.compute import risk_compute_now, risk_nightly_schedule, risk_run_compute
from threats.risk.inputs import risk_inputs_build
from threats.risk.models import RiskRun
from threats.risk.selectors import risk_run_latest
from threats.risk.surface import current_risk_surface

pytestmark = pytest.mark.django_db


def test_inputs_read_records_of_the_window_at_exact_points(world_a):
    reserve, world = world_a
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


def test_track_times_come_from_track_points_else_from_the_patrol_times(world_a):
    reserve, _world = world_a
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


def test_export_risk_without_a_run_fails_clearly_or_computes(world_a, tmp_path):
    out = tmp_path / "leopard.tif"
    with pytest.raises(CommandError, match="reserve-a has no finished risk computation yet: run with --compute"):
        call_command("export_risk", "--reserve", "reserve-a", "--layer", "leopard", "--out", str(out))
    with pytest.raises(CommandError, match="No reserve with slug 'nowhere'"):
        call_command("export_risk", "--reserve", "nowhere", "--out", str(out))
    call_command("export_risk", "--reserve", "reserve-a", "--layer", "leopard", "--out", str(out), "--compute",
                 stdout=io.StringIO())  # fmt: skip
    assert RiskRun.objects.get().status == "done" and read_raster(out).shape == (80, 80)


def test_backtest_risk_scores_model_baseline_and_the_demo_truth(world_a):
    reserve, world = world_a
    truth = private_dir("reserve-a")
    truth.mkdir(parents=True, exist_ok=True)
    for name, layer in (("snare_intensity", world.truth_intensity), ("leopard_presence", world.leopard_presence)):
        (truth / f"{name}.tif").write_bytes(demo_geotiff_bytes(world, layer))
    out = io.StringIO()
    call_command("backtest_risk", "--reserve", "reserve-a", "--train-until", "2026-08-01", "--test-until",
                 "2026-11-01", stdout=out)  # fmt: skip
    text = out.getvalue()
    test_finds = SnareFind.objects.filter(reserve=reserve, found_at__gte=datetime(2026, 8, 1, tzinfo=UTC)).count()
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

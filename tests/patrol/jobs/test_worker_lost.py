"""A real Celery worker is killed (SIGKILL) in the middle of a real DEM import: the sweep notices the
silent job and queues it again, and the next worker finishes it. The real Redis, the real PostGIS."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection

from config.celery import app as celery_app
from patrol.jobs.models import OutboxMessage
from patrol.jobs.runner import jobs_sweep
from patrol.terrain.models import TerrainGrid, TerrainImport
from patrol.terrain.services import terrain_import_request
from tests.patrol.factories import ReserveFactory
from tests.shared_data import DEM_DIR

ROOT = Path(__file__).resolve().parents[3]


class Workers:
    """Start `celery worker` processes on a queue of their own, against the test database; each in its
    own process group, so a test can SIGKILL a worker and all its children at once."""

    def __init__(self, tmp_path: Path):
        self.queue = f"test-{uuid.uuid4().hex[:8]}"
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_URL": f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "IRBIS_JOB_HEARTBEAT_SECONDS": "0.5",
        }
        log_path = self.tmp_path / f"worker-{len(self.started)}.log"
        with open(log_path, "w") as log:  # a file, not a pipe: a full pipe would stall the worker
            worker = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", self.queue, "--pool=solo",
                 "--loglevel=INFO", "-n", f"{self.queue}-{len(self.started)}@%h"],  # fmt: skip
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        worker.log_path = log_path
        self.started.append(worker)
        return worker

    def kill(self, worker: subprocess.Popen) -> None:
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and any pool children, no goodbye
        worker.wait(timeout=20)

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=30)


@pytest.fixture
def workers(tmp_path):
    workers = Workers(tmp_path)
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = workers.queue
    try:
        yield workers
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        workers.stop_all()


def wait_for(condition, *, timeout: float, worker: subprocess.Popen, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.poll() is None, worker.log_path.read_text()
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}:\n{worker.log_path.read_text()}")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_killed_worker_s_dem_import_is_queued_again_and_finished_by_the_next_worker(workers, settings):
    reserve = ReserveFactory(
        slug="tujunga",
        projected_epsg=32611,
        boundary=MultiPolygon(Polygon.from_bbox((-118.3, 34.2, -118.0, 34.4)), srid=4326),
    )
    first = workers.start()
    # Big Tujunga's 769,671 cells at its own 30 m: a few seconds of real work.
    job = terrain_import_request(reserve=reserve, path=DEM_DIR / "bigtujunga-srtm-30m.tif", resolution_m=30)
    assert OutboxMessage.objects.get().sent_at is not None  # handed to the broker on commit

    def running_and_beating():
        current = TerrainImport.objects.get(pk=job.pk)
        return current.status == "running" and current.heartbeat_at > current.claimed_at and current

    wait_for(running_and_beating, timeout=90, worker=first, what="the import to run and beat")
    workers.kill(first)
    dead = TerrainImport.objects.get(pk=job.pk)
    assert (dead.status, TerrainGrid.objects.count()) == ("running", 0)  # nobody told the database

    settings.IRBIS_JOB_STALE_SECONDS = 2
    time.sleep(2.5)
    report = jobs_sweep()
    assert (report.requeued, report.failed) == (1, 0)
    requeued = TerrainImport.objects.get(pk=job.pk)
    assert (requeued.status, requeued.attempts) == ("queued", 1)
    assert requeued.error == (f"The worker running this job stopped responding (last heartbeat "
                              f"{dead.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC, attempt 1 of 3); queued again.")  # fmt: skip
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0  # the new message reached the broker

    second = workers.start()
    done = wait_for(lambda: TerrainImport.objects.filter(pk=job.pk, status__in=["done", "failed"]).first(),
                    timeout=180, worker=second, what="the second worker to finish the import")  # fmt: skip
    assert (done.status, done.error, done.attempts) == ("done", "", 2), done.error
    grid = TerrainGrid.objects.get(reserve=reserve)
    assert (done.grid_id, grid.resolution_m, grid.srid) == (grid.pk, 30.0, 32611)

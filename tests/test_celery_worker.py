"""A real Celery worker, through the real Redis broker, runs a task against the real PostGIS."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from patrol.patrols.models import Patrol
from patrol.patrols.services import patrol_create
from tests.patrol.factories import TeamFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def real_worker(django_db_setup, tmp_path_factory):
    """Start `celery worker` on a queue of its own, pointed at the test database, once for the module's
    tests (starting one takes seconds); stop it afterwards."""
    tmp_path = tmp_path_factory.mktemp("worker")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    log = open(tmp_path / "worker.log", "w")  # a file, not a pipe: a full pipe would stall the worker
    worker = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "--loglevel=INFO",
            "-n",
            f"{queue}@%h",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker.log_path = tmp_path / "worker.log"
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield worker
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        worker.terminate()
        worker.wait(timeout=20)
        log.close()


@pytest.mark.celery_worker
# serialized_rollback: the flush after a transactional test would drop the preloaded species.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_measures_a_patrol_track_queued_on_commit(real_worker, reserve_a, manager_a):
    from django.contrib.gis.geos import LineString, MultiLineString

    assert settings.CELERY_BROKER_URL.startswith("redis://")
    team = TeamFactory(reserve=reserve_a)
    # 0.01 degree of latitude along a meridian is 1.11 km.
    track = MultiLineString(LineString((87.4, 50.10), (87.4, 50.11)), srid=4326)
    patrol = patrol_create(actor=manager_a, reserve=reserve_a, team=team, track=track)

    deadline = time.monotonic() + 60
    length = None
    while time.monotonic() < deadline and length is None:
        assert real_worker.poll() is None, real_worker.log_path.read_text()
        length = Patrol.objects.get(pk=patrol.pk).track_length_km
        time.sleep(0.2)
    assert length == pytest.approx(1.112, abs=0.002)


@pytest.mark.celery_worker
@pytest.mark.django_db
def test_healthz_is_ok_while_a_worker_answers(real_worker, client):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = client.get("/healthz").json()
        if body["worker"]["ok"]:
            break
        time.sleep(0.2)
    assert body == {
        "status": "ok",
        "database": body["database"],
        "broker": {"ok": True, "detail": "reachable"},
        "worker": {"ok": True, "detail": "1 answered"},
    }

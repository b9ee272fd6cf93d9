"""The broker (Redis) stopped while phones sync and managers ask for risk runs and route plans.

A private redis-server (tests/faults/services.py) is started for each test and really stopped: the
shared one on 63799 is never touched. Once data is committed the answer is 200 (or 201/202 for a
queued job); the follow-up waits in the outbox and the relay hands it to the broker when it is back,
where a real worker takes it.
"""

import time
import uuid

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from patrol.jobs.follow_up import RISK_RECOMPUTE_TASK, TRACK_MEASURE_TASK
from patrol.jobs.models import OutboxMessage
from patrol.jobs.outbox import outbox_relay
from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from patrol.routing.models import RoutePlan
from patrol.terrain.services import terrain_import
from tests.conftest import member
from tests.faults.services import Worker, wait_until
from tests.patrol.factories import PostFactory, ReserveFactory
from tests.patrol.terrain.helpers import UTM_11N, rolling_terrain, write_grid
from tests.threats.factories import SnareFindFactory
from tests.threats.fieldsync.factories import batch, device_client, snare_item
from threats.fieldsync.models import SyncReceipt
from threats.records.models import SnareFind
from threats.risk.models import RiskRun

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SYNC = "/api/v1/sync/"


def unsent() -> list[tuple[str, list, dict]]:
    return [(m.task_name, m.args, m.kwargs) for m in OutboxMessage.objects.filter(sent_at=None).order_by("pk")]


def phone(user, reserve):
    client, device = device_client(user, reserve)
    client.raise_request_exception = False  # answer as the server would, with the error handlers
    return client, device


def test_a_sync_committed_while_the_broker_is_down_answers_200_and_its_follow_up_is_sent_when_it_returns(
    broker, reserve_a, ranger_a, team_a
):
    client, device = phone(ranger_a, reserve_a)
    items = [snare_item() for _ in range(25)]
    broker.redis.stop()

    started = time.monotonic()
    response = client.post(SYNC, batch(device, *items), format="json")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.content[:500]
    assert [r["status"] for r in response.json()["results"]] == ["created"] * 25
    assert elapsed < 5  # the hand-off tries once; the relay retries, the phone does not wait
    assert SnareFind.objects.filter(reserve=reserve_a).count() == 25
    assert unsent() == [(RISK_RECOMPUTE_TASK, [], {"reserve_id": reserve_a.pk})]
    waiting = OutboxMessage.objects.get()
    assert (waiting.attempts, waiting.last_error.split(":")[0]) == (1, "OperationalError")

    # The phone did get its 200; a phone that sends again anyway hears "duplicate", and nothing is added.
    again = client.post(SYNC, batch(device, *items), format="json")
    assert again.status_code == 200
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 25
    assert (SnareFind.objects.count(), SyncReceipt.objects.count(), OutboxMessage.objects.count()) == (25, 25, 1)

    assert outbox_relay() == 0  # still down: the relay keeps the message
    assert OutboxMessage.objects.get().attempts == 2

    broker.redis.start()
    assert outbox_relay() == 1
    assert unsent() == []
    assert broker.queued() == [(RISK_RECOMPUTE_TASK, [], {"reserve_id": reserve_a.pk})]


@pytest.fixture
def reserve_with_terrain(tmp_path):
    """A 2.1 x 1.8 km reserve on rolling synthetic terrain (30 m cells) with a post and some finds."""
    path = tmp_path / "dem.tif"
    write_grid(path, rolling_terrain())
    corners = Polygon.from_bbox((400_000, 3_798_200, 402_100, 3_800_000))
    corners.srid = UTM_11N
    corners.transform(4326)
    reserve = ReserveFactory(slug="reserve-t", projected_epsg=UTM_11N, boundary=MultiPolygon(corners, srid=4326))
    terrain_import(reserve=reserve, path=path, resolution_m=30)
    post = Point(400_615, 3_799_085, srid=UTM_11N)
    post.transform(4326)
    for x, y in [(401_500, 3_799_600), (401_800, 3_798_500)]:
        find = Point(x, y, srid=UTM_11N)
        find.transform(4326)
        SnareFindFactory(reserve=reserve, location=find, count=2)
    return reserve, PostFactory(reserve=reserve, name="Base", location=post)


def test_risk_runs_and_route_plans_asked_for_while_the_broker_is_down_are_queued_and_run_when_it_returns(
    broker, reserve_with_terrain, api, tmp_path
):
    reserve, post = reserve_with_terrain
    api.force_authenticate(member(reserve, Role.MANAGER))
    api.raise_request_exception = False
    broker.redis.stop()

    run_response = api.post(f"/api/v1/risk/{reserve.slug}/runs/")
    plan_response = api.post("/api/v1/route-plans/", {"reserve": reserve.slug, "start_post": post.pk, "hours": 1},
                             format="json")  # fmt: skip
    assert run_response.status_code == 202, run_response.content[:500]
    assert plan_response.status_code == 201, plan_response.content[:500]
    run, plan = RiskRun.objects.get(), RoutePlan.objects.get()
    assert (run_response.json()["id"], run.status, plan_response.json()["id"], plan.status) == (
        run.pk, "queued", plan.pk, "queued")  # fmt: skip
    assert unsent() == [("threats.risk.tasks.risk_run_compute_task", [run.pk], {}),
                        ("patrol.routing.tasks.route_plan_compute_task", [plan.pk], {})]  # fmt: skip

    broker.redis.start()
    assert outbox_relay() == 2
    assert [task for task, _args, _kwargs in broker.queued()] == [
        "threats.risk.tasks.risk_run_compute_task", "patrol.routing.tasks.route_plan_compute_task"]  # fmt: skip

    worker = Worker(tmp_path, broker_url=broker.url, queue=broker.queue).start()
    try:

        def finished():
            assert worker.alive(), worker.log()
            jobs = [RiskRun.objects.get(pk=run.pk), RoutePlan.objects.get(pk=plan.pk)]
            return all(job.status in ("done", "failed") for job in jobs) and jobs

        run, plan = wait_until(finished, timeout=120, what="the worker to run both jobs", log=worker.log_path)
    finally:
        worker.stop()
    assert (run.status, run.error, plan.status, plan.error) == ("done", "", "done", "")


def test_a_track_chunk_stored_while_the_broker_is_down_is_measured_once_it_returns(
    broker, reserve_a, ranger_a, team_a, tmp_path
):
    client, device = phone(ranger_a, reserve_a)
    patrol_uuid = str(uuid.uuid4())
    patrol = {"kind": "patrol", "client_uuid": patrol_uuid, "recorded_at": "2026-01-10T07:00:00Z",
              "data": {"team": team_a.pk, "transport": "foot", "actual_start": "2026-01-10T07:00:00Z"}}  # fmt: skip

    def chunk(segment, *points):
        data = {"patrol_uuid": patrol_uuid, "segment": segment, "points": [list(p) for p in points]}
        return {"kind": "track_points", "client_uuid": str(uuid.uuid4()), "recorded_at": points[-1][0], "data": data}

    # 0.01 degree of latitude along a meridian is 1.112 km.
    first = chunk(0, ("2026-01-10T07:00:00Z", 87.4, 50.10, 5.0), ("2026-01-10T07:30:00Z", 87.4, 50.11, 5.0))
    second = chunk(0, ("2026-01-10T08:00:00Z", 87.4, 50.12, 5.0), ("2026-01-10T08:30:00Z", 87.4, 50.13, 5.0))

    worker = Worker(tmp_path, broker_url=broker.url, queue=broker.queue).start()
    try:
        results = client.post(SYNC, batch(device, patrol, first), format="json").json()["results"]
        assert [r["status"] for r in results] == ["created", "created"]
        stored = Patrol.objects.get(client_uuid=patrol_uuid)

        def measured(km):
            assert worker.alive(), worker.log()
            length = Patrol.objects.get(pk=stored.pk).track_length_km
            return length is not None and abs(length - km) < 0.002

        wait_until(lambda: measured(1.112), timeout=60, what="the first chunk to be measured", log=worker.log_path)

        broker.redis.stop()
        response = client.post(SYNC, batch(device, second), format="json")
        assert response.status_code == 200, response.content[:500]
        assert response.json()["results"][0]["status"] == "created"
        retry = client.post(SYNC, batch(device, second), format="json")
        assert retry.json()["results"][0]["status"] == "duplicate"
        # The track's rebuild asks for its measuring (and a recompute); the batch for a recompute.
        recompute = (RISK_RECOMPUTE_TASK, [], {"reserve_id": reserve_a.pk})
        assert unsent() == [recompute, (TRACK_MEASURE_TASK, [stored.pk], {}), recompute]
        assert Patrol.objects.get(pk=stored.pk).track_length_km == pytest.approx(1.112, abs=0.002)  # not yet

        broker.redis.start()
        assert outbox_relay() == 3
        # The worker finds the broker again by itself and measures the whole track: 3 x 1.112 km.
        wait_until(lambda: measured(3.336), timeout=60, what="the track to be measured again", log=worker.log_path)
    finally:
        worker.stop()
    assert unsent() == []


def test_a_sync_while_the_broker_hangs_answers_200_without_waiting_for_it(broker, reserve_a, ranger_a, team_a):
    """A broker that accepts connections but never answers (stopped with SIGSTOP: a host that froze,
    a network that drops packets) must not hold the phone's request: the hand-off gives up quickly."""
    client, device = phone(ranger_a, reserve_a)
    assert client.post(SYNC, batch(device, snare_item()), format="json").status_code == 200  # connected before
    broker.redis.pause()
    try:
        started = time.monotonic()
        response = client.post(SYNC, batch(device, *[snare_item() for _ in range(5)]), format="json")
        elapsed = time.monotonic() - started
        started = time.monotonic()
        health = client.get("/healthz")
        health_s = time.monotonic() - started
    finally:
        broker.redis.resume()
    assert response.status_code == 200, response.content[:500]
    assert [r["status"] for r in response.json()["results"]] == ["created"] * 5
    assert elapsed < 10
    assert (health.status_code, health.json()["broker"]["ok"], health_s < 10) == (503, False, True)
    print(f"\nwhile the broker hangs: sync answered in {elapsed:.1f} s, /healthz in {health_s:.1f} s")
    assert unsent() == [(RISK_RECOMPUTE_TASK, [], {"reserve_id": reserve_a.pk})]
    assert outbox_relay() == 1

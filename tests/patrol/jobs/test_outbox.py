"""The outbox: messages sent after commit; a broker outage delays them, never loses them, never fails a write."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings as settings_module
from django.utils import timezone

from config.celery import app as celery_app
from patrol.jobs.follow_up import RISK_RECOMPUTE_TASK, TRACK_MEASURE_TASK
from patrol.jobs.models import OutboxMessage
from patrol.jobs.outbox import outbox_message, outbox_relay, outbox_write
from patrol.jobs.tasks import outbox_relay_task
from patrol.patrols.models import Patrol
from tests.patrol.factories import PatrolFactory

pytestmark = pytest.mark.django_db

TRACK = {"type": "Feature", "geometry": {"type": "MultiLineString", "coordinates": [[[87.4, 50.10], [87.4, 50.11]]]},
         "properties": {}}  # fmt: skip
UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@contextmanager
def broker_at(url: str, *, eager: bool = False):
    """Publish to another broker (for real, not eagerly) inside the block."""
    conf = celery_app.conf
    previous = (conf.broker_write_url, conf.task_always_eager)

    def reset_pools():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.broker_write_url, conf.task_always_eager = url, eager
    reset_pools()
    try:
        yield
    finally:
        conf.broker_write_url, conf.task_always_eager = previous
        reset_pools()


def test_the_hand_off_on_commit_runs_the_task_and_marks_it_sent(api, reserve_a, manager_a, team_a,
                                                                 django_capture_on_commit_callbacks):  # fmt: skip
    patrol = PatrolFactory(reserve=reserve_a, team=team_a, track=None)
    api.force_authenticate(manager_a)
    with django_capture_on_commit_callbacks(execute=True):  # Celery is eager here: the tasks run on commit
        response = api.patch(f"/api/v1/patrols/{patrol.pk}/", TRACK, format="json")
    assert response.status_code == 200
    assert Patrol.objects.get().track_length_km == pytest.approx(1.112, abs=0.002)
    messages = OutboxMessage.objects.order_by("pk")
    assert [(m.task_name, m.attempts, m.sent_at is not None) for m in messages] == [
        (RISK_RECOMPUTE_TASK, 0, True), (TRACK_MEASURE_TASK, 0, True)]  # fmt: skip


def test_a_broker_outage_at_commit_answers_2xx_and_the_relay_sends_later(
    api, reserve_a, manager_a, team_a, django_capture_on_commit_callbacks
):
    patrol = PatrolFactory(reserve=reserve_a, team=team_a, track=None)
    api.force_authenticate(manager_a)
    with broker_at(UNREACHABLE), django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.patch(f"/api/v1/patrols/{patrol.pk}/", TRACK, format="json")
    assert response.status_code == 200 and len(callbacks) == 1
    assert Patrol.objects.get().track is not None  # the write stands
    waiting = list(OutboxMessage.objects.order_by("pk"))
    assert [(m.task_name, m.sent_at, m.attempts) for m in waiting] == [
        (RISK_RECOMPUTE_TASK, None, 1), (TRACK_MEASURE_TASK, None, 1)]  # fmt: skip
    assert waiting[0].last_error.startswith("OperationalError: Error 111 connecting to 127.0.0.1:1.")

    with broker_at(UNREACHABLE):  # still down: the relay keeps them and counts the attempt
        assert outbox_relay() == 0
    assert list(OutboxMessage.objects.values_list("attempts", flat=True)) == [2, 2]

    assert outbox_relay_task() == 2  # the broker is back (eager here: the tasks run)
    assert Patrol.objects.get().track_length_km == pytest.approx(1.112, abs=0.002)
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    assert outbox_relay() == 0  # nothing is sent twice


def test_a_debounced_message_is_sent_with_its_countdown(django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    task = celery_app.tasks[TRACK_MEASURE_TASK]
    monkeypatch.setattr(task, "apply_async", lambda **options: sent.append(options))  # Celery's, not ours
    with django_capture_on_commit_callbacks(execute=True):
        outbox_write([outbox_message(TRACK_MEASURE_TASK, 7, countdown=240)])
    assert len(sent) == 1
    assert (sent[0]["args"], sent[0]["kwargs"], sent[0]["ignore_result"]) == ([7], {}, True)
    assert sent[0]["countdown"] == pytest.approx(240, abs=2)


def test_a_rolled_back_transaction_leaves_no_message(django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            outbox_write([outbox_message(TRACK_MEASURE_TASK, 7)])
            raise RuntimeError("the request failed")
    assert (OutboxMessage.objects.count(), callbacks) == (0, [])


def test_the_relay_forgets_messages_sent_a_week_ago():
    old = OutboxMessage.objects.create(task_name=TRACK_MEASURE_TASK, args=[1], sent_at=timezone.now() - timedelta(8))
    recent = OutboxMessage.objects.create(task_name=TRACK_MEASURE_TASK, args=[2], sent_at=timezone.now())
    assert outbox_relay() == 0
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()


def test_the_relay_and_the_sweep_are_on_the_beat_schedule():
    beat = settings_module.CELERY_BEAT_SCHEDULE
    assert (beat["outbox-relay"]["task"], beat["outbox-relay"]["schedule"]) == ("patrol.jobs.tasks.outbox_relay_task",
                                                                                 30.0)  # fmt: skip
    assert (beat["jobs-sweep"]["task"], beat["jobs-sweep"]["schedule"]) == ("patrol.jobs.tasks.jobs_sweep_task", 60.0)
    assert {"patrol.jobs.tasks.outbox_relay_task", "patrol.jobs.tasks.jobs_sweep_task"} <= set(celery_app.tasks)

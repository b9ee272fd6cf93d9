"""The transactional outbox: Celery messages written with the data, handed to the broker after commit.

`outbox_write` inserts the messages in the caller's transaction and, on commit, hands them to Celery
(`outbox_send`). If the broker is unreachable the hand-off logs it and leaves the rows unsent: the
write has committed and its answer stands. `outbox_relay` (Celery beat, every
IRBIS_OUTBOX_RELAY_SECONDS) sends whatever is still unsent. A rolled-back transaction leaves no row
and sends nothing. A message may be sent twice (the process dies between the publish and the commit
of `sent_at`): every task it names is idempotent.

Tasks are named by string and looked up in the Celery app (its autodiscovery in config/celery.py
imports them), so a patrol module can queue a threats task without importing threats.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError

from config.celery import app as celery_app
from patrol.jobs.models import OutboxMessage

logger = logging.getLogger(__name__)

# What publishing raises when the broker is down or unreachable.
BROKER_ERRORS = (OperationalError, ConnectionError, OSError, TimeoutError)
# The hand-off after commit tries once, quickly: the relay retries, the request must not wait.
HAND_OFF_RETRY_POLICY = {"max_retries": 0}
RELAY_BATCH = 500
KEEP_SENT = timedelta(days=7)


def outbox_message(task_name: str, *args: Any, countdown: float = 0, **kwargs: Any) -> OutboxMessage:
    """An unsaved message: `task_name(*args, **kwargs)`, not to start before `countdown` seconds from now.
    Arguments must be JSON (primary keys, not objects)."""
    available_at = timezone.now() + timedelta(seconds=countdown)
    return OutboxMessage(task_name=task_name, args=list(args), kwargs=kwargs, available_at=available_at)


def outbox_write(messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
    """Store the messages in the current transaction; send them to Celery once it commits."""
    rows = OutboxMessage.objects.bulk_create(messages)
    if rows:
        transaction.on_commit(partial(outbox_send, [row.pk for row in rows]))
    return rows


def outbox_send(message_ids: Iterable[int]) -> int:
    """The hand-off on commit: send these messages now. A broker error is logged, never raised: the
    relay sends them later. Returns how many were sent."""
    return _relay(OutboxMessage.objects.filter(pk__in=list(message_ids)), retry_policy=HAND_OFF_RETRY_POLICY)


def outbox_relay(*, limit: int = RELAY_BATCH) -> int:
    """Send unsent messages, oldest first (Celery beat). Stops at the first broker error; forgets
    messages sent more than a week ago. Returns how many were sent."""
    sent = _relay(OutboxMessage.objects.all(), limit=limit)
    OutboxMessage.objects.filter(sent_at__lt=timezone.now() - KEEP_SENT).delete()
    return sent


def _relay(messages: QuerySet[OutboxMessage], *, limit: int = RELAY_BATCH,
           retry_policy: dict[str, Any] | None = None) -> int:  # fmt: skip
    # Rows stay locked while they are published, so the hand-off and the relay never send the same
    # row at once (skip_locked: each takes what the other does not hold).
    with transaction.atomic():
        rows = list(messages.filter(sent_at__isnull=True).select_for_update(skip_locked=True).order_by("pk")[:limit])
        sent: list[int] = []
        for index, row in enumerate(rows):
            try:
                _publish(row, retry_policy)
            except BROKER_ERRORS as exc:
                waiting = [r.pk for r in rows[index:]]
                logger.warning("broker unreachable, %d outbox message(s) wait for the relay: %s", len(waiting), exc)
                OutboxMessage.objects.filter(pk__in=waiting).update(
                    attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
                )
                break
            sent.append(row.pk)
        if sent:
            OutboxMessage.objects.filter(pk__in=sent).update(sent_at=timezone.now())
    return len(sent)


def _publish(message: OutboxMessage, retry_policy: dict[str, Any] | None) -> None:
    options: dict[str, Any] = {"ignore_result": True}  # job rows hold the outcome; no result backend needed
    if retry_policy is not None:
        options["retry_policy"] = retry_policy
    countdown = (message.available_at - timezone.now()).total_seconds()
    if countdown > 0:
        options["countdown"] = countdown
    task = celery_app.tasks.get(message.task_name)
    if task is None:
        celery_app.loader.import_default_modules()  # runs the autodiscovery of config/celery.py
        task = celery_app.tasks.get(message.task_name)
    if task is None:  # unknown in this process: by name (the worker knows it)
        celery_app.send_task(message.task_name, args=message.args, kwargs=message.kwargs, **options)
    else:  # through the task, so CELERY_TASK_ALWAYS_EAGER (the tests) runs it here
        task.apply_async(args=message.args, kwargs=message.kwargs, **options)

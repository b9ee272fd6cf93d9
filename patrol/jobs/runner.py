"""One behaviour for background jobs (risk runs, route plans, terrain imports; models on `Job`).

- `job_enqueue` writes the job's Celery message to the outbox: sent when the transaction commits.
- `job_run` is a task's body: claim the job atomically (a conditional UPDATE from queued to running,
  so two deliveries of one message compute it once), beat its heartbeat from a side thread while the
  work runs, store the work's result as done, or record ANY exception as failed with its message.
- `jobs_sweep` (Celery beat, every minute) finds running jobs whose heartbeat stopped for
  IRBIS_JOB_STALE_SECONDS (their worker died: killed, out of memory, machine lost) and queues them
  again, or fails them with a clear message once IRBIS_JOB_MAX_ATTEMPTS claims were used.

A job's own writes after the claim go through `job_finish` / `job_fail`, conditional on the claim
(`attempts`): a worker that was only slow, and whose job the sweep gave to another, cannot overwrite it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from patrol.jobs.models import Job
from patrol.jobs.outbox import outbox_message, outbox_write

logger = logging.getLogger(__name__)

J = TypeVar("J", bound=Job)


def job_models() -> list[type[Job]]:
    """Every concrete job model of the project (found through the app registry)."""
    return [model for model in apps.get_models() if issubclass(model, Job)]


def job_enqueue(job: Job, *, countdown: float = 0) -> None:
    """Send the job's task (with its primary key) once the current transaction commits."""
    outbox_write([outbox_message(type(job).job_task, job.pk, countdown=countdown)])


def job_claim(model: type[J], pk: int, **fields: Any) -> J | None:
    """Move a queued job to running, with `fields`; None if it is not queued (claimed, finished, gone)."""
    now = timezone.now()
    claimed = model.objects.filter(pk=pk, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, claimed_at=now, heartbeat_at=now, attempts=F("attempts") + 1, **fields
    )
    return model.objects.get(pk=pk) if claimed else None


def _own(job: Job) -> Any:
    """The job's row while this claim holds it."""
    return type(job).objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts)


def job_beat(job: Job) -> bool:
    """Record that the job's worker is alive. False if the job is no longer this claim's."""
    return bool(_own(job).update(heartbeat_at=timezone.now()))


def job_finish(job: Job, **fields: Any) -> bool:
    """Mark the claimed job done, storing `fields` (its result). False if the claim was lost."""
    done = _own(job).update(status=Job.Status.DONE, finished_at=timezone.now(), error="", **fields)
    return bool(done)


def job_fail(job: Job, message: str, **fields: Any) -> bool:
    """Mark the claimed job failed with `message` (for the people waiting on it)."""
    fields = {**type(job).job_failed_fields, **fields}
    return bool(_own(job).update(status=Job.Status.FAILED, finished_at=timezone.now(), error=message, **fields))


def heartbeat_seconds() -> float:
    return float(getattr(settings, "IRBIS_JOB_HEARTBEAT_SECONDS", 15))


@contextmanager
def job_heartbeat(job: Job, *, every_s: float | None = None) -> Iterator[None]:
    """Beat the job's heartbeat every `every_s` seconds (IRBIS_JOB_HEARTBEAT_SECONDS) from a side
    thread while the block runs: numerical work does not have to call in."""
    interval = heartbeat_seconds() if every_s is None else every_s
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    with transaction.atomic():
                        with connection.cursor() as cursor:  # never wait on a row the worker itself holds
                            cursor.execute("SET LOCAL lock_timeout = '2s'")
                        job_beat(job)
                except DatabaseError as exc:
                    logger.warning("heartbeat of %s #%s missed: %s", type(job).__name__, job.pk, exc)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{type(job).__name__}-{job.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def job_error_message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def job_run(model: type[J], pk: int, work: Callable[[J], dict[str, Any] | None], *,
            claim_fields: dict[str, Any] | None = None,
            expected: tuple[type[BaseException], ...] = (),
            message_of: Callable[[BaseException], str] = str) -> J | None:  # fmt: skip
    """Claim job `pk` and run `work(job)` with a heartbeat. `work` returns the result fields to store
    (or None); the job is then done. An `expected` exception fails it with `message_of(exc)` (a
    message for users); any other exception fails it with its type and message, and is logged.

    Safe to run twice: a job that is not queued is returned as it is. None if it does not exist.
    """
    job = job_claim(model, pk, **(claim_fields or {}))
    if job is None:
        return model.objects.filter(pk=pk).first()
    with job_heartbeat(job):
        try:
            result = work(job) or {}
        except expected as exc:
            job_fail(job, message_of(exc))
        except Exception as exc:  # the job records any failure: nobody waits forever on a running job
            logger.exception("%s #%s failed", model.__name__, pk)
            job_fail(job, job_error_message(exc))
        else:
            job_finish(job, **result)
    job.refresh_from_db()
    return job


def stale_seconds() -> int:
    return int(getattr(settings, "IRBIS_JOB_STALE_SECONDS", 180))


def max_attempts() -> int:
    return int(getattr(settings, "IRBIS_JOB_MAX_ATTEMPTS", 3))


@dataclass
class SweepReport:
    requeued: int = 0
    failed: int = 0


def jobs_sweep() -> SweepReport:
    """Queue again (or fail) the running jobs whose heartbeat is older than IRBIS_JOB_STALE_SECONDS."""
    report = SweepReport()
    now = timezone.now()
    cutoff = now - timedelta(seconds=stale_seconds())
    limit = max_attempts()
    for model in job_models():
        with transaction.atomic():
            stale = (
                model.objects.select_for_update(skip_locked=True)
                .filter(status=Job.Status.RUNNING)
                .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, claimed_at__lt=cutoff))
                .order_by("pk")
            )
            for job in stale:
                last = job.heartbeat_at or job.claimed_at
                lost = (f"The worker running this job stopped responding (last heartbeat "
                        f"{last:%Y-%m-%d %H:%M:%S} UTC, attempt {job.attempts} of {limit})")  # fmt: skip
                if job.attempts < limit and _requeue(job, f"{lost}; queued again."):
                    report.requeued += 1
                    continue
                reason = "gave up" if job.attempts >= limit else "another job of its kind already waits"
                model.objects.filter(pk=job.pk).update(
                    status=Job.Status.FAILED, finished_at=now, error=f"{lost}; {reason}.", **model.job_failed_fields
                )
                report.failed += 1
    if report.requeued or report.failed:
        logger.warning("job sweep: %d re-queued, %d failed", report.requeued, report.failed)
    return report


def _requeue(job: Job, message: str) -> bool:
    model = type(job)
    try:
        with transaction.atomic():  # a savepoint: a job's own constraint may refuse a second queued row
            model.objects.filter(pk=job.pk).update(
                status=Job.Status.QUEUED, claimed_at=None, heartbeat_at=None, error=message, **model.job_requeue_fields
            )
            job_enqueue(job)
    except IntegrityError:
        return False
    return True

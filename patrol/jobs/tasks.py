"""Celery beat tasks of the outbox and the job sweep (schedule in config/settings/base.py)."""

from celery import shared_task

from patrol.jobs.outbox import outbox_relay
from patrol.jobs.runner import jobs_sweep


@shared_task(ignore_result=True)
def outbox_relay_task() -> int:
    """Send the outbox messages the hand-off after commit could not (broker down)."""
    return outbox_relay()


@shared_task(ignore_result=True)
def jobs_sweep_task() -> dict[str, int]:
    """Queue again, or fail, the running jobs whose worker stopped beating."""
    report = jobs_sweep()
    return {"requeued": report.requeued, "failed": report.failed}

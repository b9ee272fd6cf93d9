"""Background work for schedule auto-fills (jobs: patrol.jobs.runner)."""

from celery import shared_task

from patrol.scheduling.compute import schedule_run_compute


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def schedule_autofill_task(run_id: int) -> str | None:
    """Compute a queued ScheduleRun (one already claimed or finished is left as it is)."""
    run = schedule_run_compute(run_id=run_id)
    return None if run is None else run.status

"""Background work for schedule auto-fills (jobs: patrol.jobs.runner)."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def schedule_autofill_task(run_id: int) -> str | None:
    """Compute a queued ScheduleRun (one already claimed or finished is left as it is)."""
    # Imported by the first run, not when the worker starts: the planner brings scipy and networkx.
    from patrol.scheduling.compute import schedule_run_compute

    run = schedule_run_compute(run_id=run_id)
    return None if run is None else run.status

"""Celery tasks of the threats app: thin, idempotent, queued on commit by the services."""

from celery import shared_task

from threats.risk.compute import risk_nightly_schedule, risk_run_compute


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def risk_run_compute_task(run_id: int) -> str:
    """Compute a queued risk run (a run already claimed by another task is left as it is)."""
    return risk_run_compute(run_id=run_id).status


@shared_task
def risk_nightly_task() -> int:
    """Celery beat, nightly: queue a recompute for every reserve with terrain."""
    return risk_nightly_schedule()

"""Celery tasks of the risk model: thin, idempotent, sent through the outbox (patrol.jobs.outbox)."""

from celery import shared_task

from threats.risk.compute import risk_nightly_schedule, risk_recompute_enqueue, risk_run_compute


@shared_task(ignore_result=True)
def risk_recompute_task(reserve_id: int) -> int | None:
    """After a change of the reserve's evidence (patrol.jobs.follow_up.evidence_changed): queue one
    debounced recompute, or join the one already queued. Returns the new run's id, if one was made."""
    run = risk_recompute_enqueue(reserve_id)
    return None if run is None else run.pk


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def risk_run_compute_task(run_id: int) -> str | None:
    """Compute a queued risk run (a run already claimed by another task is left as it is)."""
    run = risk_run_compute(run_id=run_id)
    return None if run is None else run.status


@shared_task(ignore_result=True)
def risk_nightly_task() -> int:
    """Celery beat, nightly: queue a recompute for every reserve with terrain."""
    return risk_nightly_schedule()

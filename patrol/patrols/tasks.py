"""Background work for patrols (queued through the outbox: patrol.jobs.follow_up)."""

from celery import shared_task

from patrol.patrols.measure import patrol_track_measure


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def patrol_track_measure_task(patrol_id: int) -> float | None:
    """Store the track's length (idempotent: it measures the track as it is now)."""
    return patrol_track_measure(patrol_id=patrol_id)

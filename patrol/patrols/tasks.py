"""Background work for patrols."""

from celery import shared_task

from patrol.patrols.measure import patrol_track_measure


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def patrol_track_measure_task(patrol_id: int) -> float | None:
    return patrol_track_measure(patrol_id=patrol_id)

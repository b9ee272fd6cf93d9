"""Background work for route plans."""

from celery import shared_task

from patrol.routing.compute import route_plan_compute


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def route_plan_compute_task(plan_id: int) -> str:
    return route_plan_compute(plan_id=plan_id).status

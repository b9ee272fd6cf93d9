"""Background work for route plans (jobs: patrol.jobs.runner)."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def route_plan_compute_task(plan_id: int) -> str | None:
    """Compute a queued RoutePlan (one already claimed or finished is left as it is)."""
    # Imported by the first plan, not when the worker starts: the planner brings scipy and networkx.
    from patrol.routing.compute import route_plan_compute

    plan = route_plan_compute(plan_id=plan_id)
    return None if plan is None else plan.status

from celery import shared_task

from patrol.models import Reserve
from patrol.services import patrol_track_measure
from patrol.terrain_services import route_plan_compute, terrain_import


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def patrol_track_measure_task(patrol_id: int) -> float | None:
    return patrol_track_measure(patrol_id=patrol_id)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def route_plan_compute_task(plan_id: int) -> str:
    return route_plan_compute(plan_id=plan_id).status


@shared_task
def terrain_import_task(reserve_id: int, resolution_m: float) -> int:
    reserve = Reserve.objects.get(pk=reserve_id)
    return terrain_import(reserve=reserve, path=reserve.dem.path, resolution_m=resolution_m).pk

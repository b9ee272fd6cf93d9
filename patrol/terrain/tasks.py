"""Background terrain imports."""

from celery import shared_task

from patrol.reserves.models import Reserve
from patrol.terrain.services import terrain_import


@shared_task
def terrain_import_task(reserve_id: int, resolution_m: float) -> int:
    reserve = Reserve.objects.get(pk=reserve_id)
    return terrain_import(reserve=reserve, path=reserve.dem.path, resolution_m=resolution_m).pk

"""Background terrain imports (jobs: patrol.jobs.runner)."""

from celery import shared_task

from patrol.terrain.services import terrain_import_run


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def terrain_import_task(import_id: int) -> str | None:
    """Run a queued TerrainImport (one already claimed or finished is left as it is)."""
    job = terrain_import_run(import_id=import_id)
    return None if job is None else job.status

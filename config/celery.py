import os
import resource

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("irbis")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Tasks live with their domain (patrol/<domain>/tasks.py, threats/<domain>/tasks.py).
app.autodiscover_tasks(
    ["patrol.patrols", "patrol.terrain", "patrol.routing", "patrol.scheduling", "patrol.jobs", "threats.risk"]
)


@worker_process_init.connect
def _cap_task_memory(**_kwargs) -> None:
    """One task cannot take the worker down: past this much address space an allocation fails with a
    MemoryError inside that task (recorded on its job), instead of the kernel killing the worker."""
    from django.conf import settings

    limit_mb = settings.IRBIS_WORKER_MAX_MEMORY_MB
    if limit_mb:
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb * 1024 * 1024, limit_mb * 1024 * 1024))

import os
import resource

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
# Celery's Django fix-up runs every system check when a worker starts, which loads every URL and view
# module the worker never serves (a third of its start-up). The checks still run in `make quality` and
# on every `manage.py migrate`; CELERY_SKIP_CHECKS=0 turns them back on here.
if os.environ.setdefault("CELERY_SKIP_CHECKS", "1") == "0":
    del os.environ["CELERY_SKIP_CHECKS"]

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

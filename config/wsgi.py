import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
application = get_wsgi_application()


def _warm_up() -> None:
    """Load now what the first requests of each web worker would otherwise load, for a second or more:
    the URLconf with every view and what they import (GDAL, NumPy...), and the Celery task modules and
    broker transport of the first outbox hand-off. Nothing connects anywhere. With gunicorn's
    preload_app (config/gunicorn.conf.py) the workers are forked from a process that has it all."""
    from django.urls import get_resolver

    from config.celery import app as celery_app

    get_resolver().url_patterns  # noqa: B018
    celery_app.loader.import_default_modules()
    celery_app.connection_for_write().transport  # noqa: B018


_warm_up()

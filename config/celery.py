import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("irbis")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Tasks live with their domain (patrol/<domain>/tasks.py, threats/<domain>/tasks.py).
app.autodiscover_tasks(["patrol.patrols", "patrol.terrain", "patrol.routing", "patrol.jobs", "threats.risk"])

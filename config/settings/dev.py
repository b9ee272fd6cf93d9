"""Local development: the project-local PostGIS and Redis started by scripts/services.sh."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-insecure-key")
# The project-local services of scripts/services.sh (ports overridable for a second checkout).
os.environ.setdefault(
    "DATABASE_URL", f"postgis://irbis:irbis@127.0.0.1:{os.environ.get('IRBIS_PG_PORT', '54329')}/irbis"
)
os.environ.setdefault("CELERY_BROKER_URL", f"redis://127.0.0.1:{os.environ.get('IRBIS_REDIS_PORT', '63799')}/0")

from .base import *  # noqa: E402,F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)  # noqa: F405
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])  # noqa: F405

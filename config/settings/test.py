"""Tests: the real PostGIS; Celery eager except in tests that start a real worker."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-insecure-key")
# The project-local services of scripts/services.sh (ports overridable for a second checkout).
os.environ.setdefault(
    "DATABASE_URL", f"postgis://irbis:irbis@127.0.0.1:{os.environ.get('IRBIS_PG_PORT', '54329')}/irbis"
)
os.environ.setdefault("CELERY_BROKER_URL", f"redis://127.0.0.1:{os.environ.get('IRBIS_REDIS_PORT', '63799')}/1")

from .base import *  # noqa: E402,F403

DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Several test runs may share one cluster (helpers, CI): each may choose its own database.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_irbis")}  # noqa: F405
# Per request, unless a test serves the app as production does (tests/faults/: DATABASE_CONN_MAX_AGE).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)  # noqa: F405
CELERY_TASK_EAGER_PROPAGATES = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "var" / "test-media")  # noqa: F405
IRBIS_PRIVATE_ROOT = env.path("IRBIS_PRIVATE_ROOT", default=BASE_DIR / "var" / "test-private")  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# A server that a test starts (tests/faults/) logs its errors, for the test to show.
if env.bool("IRBIS_TEST_SERVER_LOG", default=False):  # noqa: F405
    LOGGING["handlers"] = {"stderr": {"class": "logging.StreamHandler"}}
    LOGGING["root"]["handlers"] = ["stderr"]

"""Settings shared by every environment. Everything deployment-specific comes from the environment."""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "leaflet",
    "patrol",
    "threats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "patrol.reserves.context_processors.current_reserve",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL", engine="django.contrib.gis.db.backends.postgis")}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# PostgreSQL's JIT compiles the privacy annotations' many expressions for seconds to save milliseconds: a records
# list of 20,000 finds spent 7.3 of its 7.4 s compiling. Off unless asked for.
JIT = "on" if env.bool("IRBIS_DB_JIT", False) else "off"
DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c jit={JIT}"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "var" / "static")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Files no URL serves (the demo's hidden truth, original evidence bytes).
IRBIS_PRIVATE_ROOT = env.path("IRBIS_PRIVATE_ROOT", default=BASE_DIR / "var" / "private")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "config.api_json.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["config.api_json.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Irbis API",
    "DESCRIPTION": "Snare threats, wildlife detections and patrols for snow and Amur leopard reserves.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "threats.enforcement.models.Case.Status",
        "JobStatusEnum": "patrol.jobs.models.Job.Status",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.api_schema.document_errors"],
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that accepts connections but never answers (a frozen host, a network dropping packets) must
# not hold a request: without timeouts the outbox hand-off after a commit waited forever. The relay
# sends later what gave up here (patrol.jobs.outbox).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (50.1, 87.6),
    "DEFAULT_ZOOM": 8,
    "TILES": [],  # field offices are often offline: no third-party tiles by default
    "RESET_VIEW": False,
}

# Debian 12 ships GDAL 3.6; Irbis reads spatial references only from files that members upload.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Domain settings
# Address space of each worker process (MB): a task past it fails with MemoryError; 0 = no cap.
IRBIS_WORKER_MAX_MEMORY_MB = env.int("IRBIS_WORKER_MAX_MEMORY_MB", default=6144)
# How long /healthz waits for a worker to answer its ping.
IRBIS_HEALTH_WORKER_TIMEOUT_S = env.float("IRBIS_HEALTH_WORKER_TIMEOUT_S", default=1.0)
# Outages (database, broker, storage) answer 503 with this Retry-After (config/errors.py).
IRBIS_RETRY_AFTER_S = env.int("IRBIS_RETRY_AFTER_S", default=30)
# Sign-in throttling (patrol/reserves/logins.py): failures per account / per address within the window.
IRBIS_LOGIN_MAX_FAILURES_PER_ACCOUNT = env.int("IRBIS_LOGIN_MAX_FAILURES_PER_ACCOUNT", default=10)
IRBIS_LOGIN_MAX_FAILURES_PER_ADDRESS = env.int("IRBIS_LOGIN_MAX_FAILURES_PER_ADDRESS", default=50)
IRBIS_LOGIN_WINDOW_S = env.int("IRBIS_LOGIN_WINDOW_S", default=900)
IRBIS_SENSITIVE_GRID_DEGREES = env.float("IRBIS_SENSITIVE_GRID_DEGREES", default=0.1)
# Patrol asks the risk model (threats builds on patrol) for its surface through this name (patrol/reserves/risk.py).
IRBIS_RISK_SURFACE = "threats.risk.surface.current_risk_surface"
# ... and for what a patrol found (its planned-against-actual comparison, patrol/patrols/coverage.py).
IRBIS_PATROL_FINDS = "threats.records.selectors.patrol_finds"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}

# Field sync (field app, POST /api/v1/sync/, photo upload). Every limit can be set from the environment.
IRBIS_SYNC_MAX_BATCH_ITEMS = env.int("IRBIS_SYNC_MAX_BATCH_ITEMS", default=500)
IRBIS_SYNC_MAX_TRACK_POINTS = env.int("IRBIS_SYNC_MAX_TRACK_POINTS", default=5000)  # per track_points item
IRBIS_SYNC_MAX_PHOTO_BYTES = env.int("IRBIS_SYNC_MAX_PHOTO_BYTES", default=15 * 1024 * 1024)
IRBIS_SYNC_PHOTO_TYPES = env.list("IRBIS_SYNC_PHOTO_TYPES", default=["image/jpeg", "image/png", "image/webp"])
IRBIS_SYNC_PHOTO_MAX_PX = env.int("IRBIS_SYNC_PHOTO_MAX_PX", default=1600)  # longest side after downscaling
IRBIS_SYNC_OUTSIDE_RESERVE_FLAG_M = env.float("IRBIS_SYNC_OUTSIDE_RESERVE_FLAG_M", default=1000.0)
IRBIS_SYNC_CLOCK_SKEW_S = env.int("IRBIS_SYNC_CLOCK_SKEW_S", default=300)
IRBIS_SYNC_ACCURACY_FLAG_M = env.float("IRBIS_SYNC_ACCURACY_FLAG_M", default=100.0)

# Evidence originals (threats/enforcement): kept byte for byte under IRBIS_PRIVATE_ROOT/evidence/.
IRBIS_EVIDENCE_MAX_BYTES = env.int("IRBIS_EVIDENCE_MAX_BYTES", default=100 * 1024 * 1024)
# TrueType fonts embedded in PDFs (DejaVu Sans covers Cyrillic; Debian package fonts-dejavu-core).
IRBIS_PDF_FONT_DIR = env.path("IRBIS_PDF_FONT_DIR", default="/usr/share/fonts/truetype/dejavu")

# --- Risk model recompute: debounce after new data, and nightly (threats/risk_services.py) -----------
# A recompute starts IRBIS_RISK_DEBOUNCE_SECONDS after the first new record (later records join it);
# Celery beat (`celery -A config beat`) queues one for every reserve with terrain each night.
from celery.schedules import crontab  # noqa: E402

IRBIS_RISK_DEBOUNCE_SECONDS = env.int("IRBIS_RISK_DEBOUNCE_SECONDS", default=300)
IRBIS_RISK_WINDOW_DAYS = env.int("IRBIS_RISK_WINDOW_DAYS", default=730)  # data window of each fit
IRBIS_RISK_TREND_DAYS = env.int("IRBIS_RISK_TREND_DAYS", default=90)  # valley trends: the window this much earlier
IRBIS_RISK_KEEP_RUNS = env.int("IRBIS_RISK_KEEP_RUNS", default=10)  # finished runs per reserve that keep their files
CELERY_BEAT_SCHEDULE = {
    "risk-nightly-recompute": {
        "task": "threats.risk.tasks.risk_nightly_task",
        "schedule": crontab(hour=env.int("IRBIS_RISK_NIGHTLY_HOUR_UTC", default=20), minute=30),
    },
}

# --- Outbox and background jobs (patrol/jobs/, docs/adr/0005-outbox-and-jobs.md) -------------------
# Work that follows a commit is written to an outbox with the data; the relay sends what the broker
# could not take at commit time. Jobs (risk runs, route plans, DEM imports) beat a heartbeat while
# they run; the sweep queues again (up to IRBIS_JOB_MAX_ATTEMPTS claims) or fails a running job
# whose heartbeat is older than IRBIS_JOB_STALE_SECONDS: its worker died.
IRBIS_OUTBOX_RELAY_SECONDS = env.int("IRBIS_OUTBOX_RELAY_SECONDS", default=30)
IRBIS_JOB_HEARTBEAT_SECONDS = env.float("IRBIS_JOB_HEARTBEAT_SECONDS", default=15.0)
IRBIS_JOB_STALE_SECONDS = env.int("IRBIS_JOB_STALE_SECONDS", default=180)
IRBIS_JOB_MAX_ATTEMPTS = env.int("IRBIS_JOB_MAX_ATTEMPTS", default=3)
CELERY_BEAT_SCHEDULE["outbox-relay"] = {
    "task": "patrol.jobs.tasks.outbox_relay_task",
    "schedule": float(IRBIS_OUTBOX_RELAY_SECONDS),
}
CELERY_BEAT_SCHEDULE["jobs-sweep"] = {"task": "patrol.jobs.tasks.jobs_sweep_task", "schedule": 60.0}

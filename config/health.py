"""/healthz: is the database reachable, is the Celery broker reachable, does a worker answer. 503 when not."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from kombu import Connection


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT PostGIS_Lib_Version()")
            return True, f"postgis {cursor.fetchone()[0]}"
    except Exception as exc:  # any failure means "down"; the message says why
        return False, str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _broker_ok() -> tuple[bool, str]:
    try:
        # The broker's socket timeouts: a broker that accepts connections and never answers is down too.
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "reachable"
    except Exception as exc:
        return False, str(exc) or type(exc).__name__


def _worker_ok(broker_ok: bool) -> tuple[bool, str]:
    """Background work (risk runs, route plans, imports) needs a live worker, not only a broker."""
    if not broker_ok:
        return False, "no broker to ask"
    from config.celery import app

    try:
        # limit=1: answer as soon as one worker does, instead of waiting out the timeout for all of them.
        replies = app.control.ping(timeout=settings.IRBIS_HEALTH_WORKER_TIMEOUT_S, limit=1)
    except Exception as exc:
        return False, str(exc) or type(exc).__name__
    return (True, f"{len(replies)} answered") if replies else (False, "no worker answered")


def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    worker_ok, worker_detail = _worker_ok(broker_ok)
    ok = db_ok and broker_ok and worker_ok
    body = {
        "status": "ok" if ok else "unavailable",
        "database": {"ok": db_ok, "detail": db_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
        "worker": {"ok": worker_ok, "detail": worker_detail},
    }
    return JsonResponse(body, status=200 if ok else 503)

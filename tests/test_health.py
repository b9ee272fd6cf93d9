import json

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_broker_and_a_missing_worker(client):
    # No worker runs here (tests/test_celery_worker.py checks the answer with one): background work
    # would wait forever, so the service is not healthy.
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is True
    assert body["database"]["detail"].startswith("postgis 3.")
    assert body["broker"] == {"ok": True, "detail": "reachable"}
    assert body["worker"] == {"ok": False, "detail": "no worker answered"}


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
def test_healthz_is_503_when_the_broker_is_down(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert "Connection refused" in body["broker"]["detail"] or "connecting" in body["broker"]["detail"]


def test_unknown_api_paths_answer_in_the_api_error_shape_and_pages_with_the_apps_own_page(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}
    page = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ru")
    assert page.status_code == 404
    assert "<h1>Не найдено</h1>" in page.content.decode()


def test_a_server_error_is_json_on_the_api_and_a_plain_page_elsewhere(rf):
    from config.errors import server_error

    api = server_error(rf.get("/api/v1/snare-finds/"))
    assert (api.status_code, api["Content-Type"]) == (500, "application/json")
    assert b'"code": "server_error"' in api.content
    page = server_error(rf.get("/risk/"))
    assert page.status_code == 500 and b"Something went wrong" in page.content and b"Traceback" not in page.content


@pytest.mark.parametrize(
    "outage",
    [
        "django.db.OperationalError",
        "kombu.exceptions.OperationalError",
        "redis.exceptions.ConnectionError",
        "read-only storage",
    ],
)
def test_an_outage_is_a_503_with_retry_after_not_a_500(rf, outage):
    import errno
    import importlib

    from config.errors import server_error

    if outage == "read-only storage":
        exc = OSError(errno.EROFS, "Read-only file system")
    else:
        module, name = outage.rsplit(".", 1)
        exc = getattr(importlib.import_module(module), name)("connection refused")
    try:
        raise exc
    except Exception:
        api = server_error(rf.get("/api/v1/sync/"))
        page = server_error(rf.get("/risk/"))
    assert (api.status_code, api["Retry-After"], json.loads(api.content)["error"]["code"]) == (503, "30", "unavailable")
    assert (page.status_code, page["Retry-After"]) == (503, "30")


def test_uploaded_files_are_not_served_to_anyone(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "dem").mkdir()
    (tmp_path / "dem" / "argut.tif").write_bytes(b"II*\x00")
    assert client.get("/media/dem/argut.tif").status_code == 404

"""PostgreSQL unreachable while phones sync: a short JSON 503 with Retry-After, then exactly once.

How the outage is made without stopping the shared PostgreSQL: the app is served by its real web
server (gunicorn with config/gunicorn.conf.py, as scripts/serve.sh runs it), whose DATABASE_URL
points at a TCP proxy that this test runs in a thread (tests/faults/services.py: TcpProxy) in front
of the test database. Cutting the proxy closes every connection the server holds (persistent ones, as
in production, DATABASE_CONN_MAX_AGE=60) and refuses new ones, so the server meets the real psycopg
failures: a connection dropped under it, then "connection refused". The test itself reads the
database directly, not through the proxy.
"""

import concurrent.futures
import time

import pytest
import requests
from django.db import connection

from tests.faults.services import RedisServer, TcpProxy, WebServer, db_url_for_tests
from tests.threats.fieldsync.factories import batch, device_with_token, snare_item
from threats.fieldsync.models import SyncReceipt
from threats.records.models import SnareFind

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def served_through_proxy(tmp_path):
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"], int(db["PORT"]))
    proxy.restore()
    redis = RedisServer(tmp_path)  # follow-ups go to a broker of the test's own (nobody consumes them)
    redis.start()
    env = {"DATABASE_URL": db_url_for_tests(host="127.0.0.1", port=proxy.port), "DATABASE_CONN_MAX_AGE": "60",
           "CELERY_BROKER_URL": redis.url(), "IRBIS_RETRY_AFTER_S": "30"}  # fmt: skip
    server = WebServer(tmp_path, env, "--workers", "1")
    try:
        server.start()
        yield server, proxy
    finally:
        server.stop()
        proxy.cut()
        redis.stop()


def sync(server, token, device, items):
    return requests.post(f"{server.url}/api/v1/sync/", json=batch(device, *items),
                         headers={"Authorization": f"Device {token}"}, timeout=30)  # fmt: skip


def assert_unavailable(response):
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Retry-After"] == "30"
    assert len(response.content) < 300
    assert response.json()["error"]["code"] == "unavailable"


def test_a_sync_while_the_database_is_unreachable_answers_503_and_its_retry_stores_the_batch_once(
    served_through_proxy, reserve_a, ranger_a, team_a
):
    server, proxy = served_through_proxy
    device, token = device_with_token(ranger_a, reserve_a)
    first, second = [snare_item() for _ in range(25)], [snare_item() for _ in range(25)]
    answered = sync(server, token, device, first)
    assert answered.status_code == 200, answered.text[:500]
    assert [r["status"] for r in answered.json()["results"]] == ["created"] * 25

    proxy.cut()  # the server's kept connection dies under it
    assert_unavailable(sync(server, token, device, second))
    assert_unavailable(sync(server, token, device, second))  # and no new one can be made
    assert (SnareFind.objects.count(), SyncReceipt.objects.count()) == (25, 25)

    proxy.restore()
    retry = sync(server, token, device, second)
    assert retry.status_code == 200, retry.text[:500]
    assert [r["status"] for r in retry.json()["results"]] == ["created"] * 25
    again = sync(server, token, device, second)
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 25
    assert (SnareFind.objects.count(), SyncReceipt.objects.count()) == (50, 50)


def test_phones_retrying_through_database_outages_store_every_find_exactly_once(
    served_through_proxy, reserve_a, ranger_a, team_a
):
    """5 phones x 4 batches x 25 finds, while the database is cut three times for 0.3 s: each phone
    sends a batch again until it is answered 200; every other answer must be the JSON 503."""
    server, proxy = served_through_proxy
    phones = [device_with_token(ranger_a, reserve_a) for _ in range(5)]
    batches = [[[snare_item() for _ in range(25)] for _ in range(4)] for _ in phones]
    refusals: list[requests.Response] = []

    def phone(index):
        device, token = phones[index]
        for items in batches[index]:
            for _ in range(200):
                response = sync(server, token, device, items)
                if response.status_code == 200:
                    break
                refusals.append(response)
                time.sleep(0.05)
            else:
                raise AssertionError("a batch was never answered 200")

    def outages():
        for _ in range(3):
            time.sleep(0.3)
            proxy.cut()
            time.sleep(0.3)
            proxy.restore()

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        cutter = pool.submit(outages)
        for future in [pool.submit(phone, i) for i in range(len(phones))]:
            future.result()
        cutter.result()
    for response in refusals:
        assert_unavailable(response)
    assert refusals  # the outages did meet requests
    assert (SnareFind.objects.count(), SyncReceipt.objects.count()) == (500, 500)
    assert SnareFind.objects.values("client_uuid").distinct().count() == 500

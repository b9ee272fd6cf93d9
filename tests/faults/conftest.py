import uuid

import pytest

from tests.faults.services import RedisServer, point_celery_at, restore_celery


class Broker:
    """A private Redis the test may stop, with this process's Celery app publishing to it."""

    def __init__(self, redis: RedisServer, queue: str):
        self.redis = redis
        self.queue = queue
        self.url = redis.url()

    def queued(self) -> list[tuple[str, list, dict]]:
        return self.redis.queued(self.queue)


@pytest.fixture
def broker(tmp_path, settings):
    redis = RedisServer(tmp_path)
    redis.start()
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    settings.CELERY_BROKER_URL = redis.url()  # /healthz asks this one too
    previous = point_celery_at(redis.url(), queue)
    try:
        yield Broker(redis, queue)
    finally:
        restore_celery(previous)
        redis.stop()

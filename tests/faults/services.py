"""Real services the fault tests start, break and mend: a private Redis, a TCP proxy in front of
PostgreSQL, the web server of scripts/serve.sh (gunicorn, config/gunicorn.conf.py) and Celery workers.

The shared PostgreSQL (54329) and Redis (63799) are never stopped: other test runs use them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from base64 import b64decode
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PYTHON_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, *, timeout: float, what: str, log: Path | None = None, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f":\n{log.read_text()}" if log else ""))


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def files_env() -> dict[str, str]:
    """This test session's file roots (tests/conftest.py gives each session its own), for a child process."""
    from django.conf import settings

    return {"DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT), "IRBIS_PRIVATE_ROOT": str(settings.IRBIS_PRIVATE_ROOT)}


def db_url_for_tests(host: str | None = None, port: int | None = None) -> str:
    """The test database (not the dev one), optionally through another host and port (a proxy)."""
    db = connection.settings_dict
    return f"postgis://{db['USER']}:{db['PASSWORD']}@{host or db['HOST']}:{port or db['PORT']}/{db['NAME']}"


class RedisServer:
    """A redis-server of the test's own on a free port, that the test may stop and start again."""

    def __init__(self, directory: Path):
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = directory / "redis.log"

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        # No persistence: a stopped broker loses what it held, the worst case for the outbox to cover.
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.directory), "--logfile", str(self.log_path)]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # noqa: S603
        wait_until(lambda: _port_open(self.port), timeout=10, what="redis-server to listen")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        wait_until(lambda: not _port_open(self.port), timeout=5, what="redis-server to stop")

    def pause(self) -> None:
        """Freeze it (SIGSTOP): connections are accepted by the kernel, nothing is answered."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def queued(self, queue: str) -> list[tuple[str, list, dict]]:
        """The Celery messages waiting in `queue`: (task name, args, kwargs), oldest first."""
        import redis

        client = redis.Redis(port=self.port)
        try:
            raw = client.lrange(queue, 0, -1)
        finally:
            client.close()
        messages = []
        for item in reversed(raw):  # kombu LPUSHes: the oldest is last
            message = json.loads(item)
            args, kwargs, _embed = json.loads(b64decode(message["body"]))
            messages.append((message["headers"]["task"], args, kwargs))
        return messages


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target, so a test can make PostgreSQL unreachable for the
    processes that connect through it without touching the shared server: `cut` closes every
    forwarded connection (mid-query if one is running) and refuses new ones; `restore` listens again."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.shutdown(socket.SHUT_RDWR)
            listener.close()
            self._thread.join(timeout=5)
        with self._lock:
            live, self._sockets = self._sockets, set()
        for sock in live:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class WebServer:
    """The web server of scripts/serve.sh: gunicorn with config/gunicorn.conf.py (its worker class,
    threads and timeouts), on a free port, with the test settings and `env` (database, broker)."""

    def __init__(self, directory: Path, env: dict[str, str], *extra_args: str):
        self.port = free_port()
        self.log_path = directory / f"gunicorn-{self.port}.log"
        self.env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "CELERY_TASK_ALWAYS_EAGER": "false",
            "IRBIS_TEST_SERVER_LOG": "true", "DATABASE_URL": db_url_for_tests(), **files_env(), **env,
        }  # fmt: skip
        self.args = extra_args
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = str(ROOT / "config" / "gunicorn.conf.py")
        args = [str(PYTHON_BIN / "gunicorn"), "config.wsgi:application", "-c", config,
                "--bind", f"127.0.0.1:{self.port}", *self.args]  # fmt: skip
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(  # noqa: S603
                args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(self._answers, timeout=60, what="gunicorn to answer", log=self.log_path, interval=0.2)

    def _answers(self) -> bool:
        assert self.process.poll() is None, self.log_path.read_text()
        import requests

        try:
            requests.get(f"{self.url}/api/v1/no-such-thing/", timeout=2)
        except requests.RequestException:
            return False
        return True

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # the arbiter and its workers
            self.process.wait(timeout=20)


class Worker:
    """A `celery worker` on a queue of its own, against the test database and `broker_url`; in its
    own process group, so that stopping it stops its pool too."""

    def __init__(self, directory: Path, *, broker_url: str, queue: str, pool: str = "solo",
                 env: dict[str, str] | None = None):  # fmt: skip
        self.log_path = directory / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.queue = queue
        self.env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BROKER_URL": broker_url, "DATABASE_URL": db_url_for_tests(), **files_env(), **(env or {}),
        }  # fmt: skip
        self.pool = pool
        self.process: subprocess.Popen | None = None

    def start(self, *extra_args: str) -> Worker:
        name = f"{self.queue}-{uuid.uuid4().hex[:4]}@%h"
        args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", self.queue, f"--pool={self.pool}",
                "--loglevel=INFO", "--without-mingle", "--without-gossip", "-n", name, *extra_args]  # fmt: skip
        with open(self.log_path, "w") as log:  # a file, not a pipe: a full pipe would stall the worker
            self.process = subprocess.Popen(  # noqa: S603
                args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def point_celery_at(broker_url: str, queue: str) -> dict[str, Any]:
    """Make this process's Celery app publish to `broker_url` / `queue` (not eagerly); returns what
    to give `restore_celery`. The app caches its connection pools: they are dropped."""
    from config.celery import app

    # broker_url itself yields to the CELERY_BROKER_URL environment variable; these two do not.
    keys = ("broker_read_url", "broker_write_url", "task_always_eager", "task_default_queue")
    previous = {key: app.conf.get(key) for key in keys}
    app.conf.broker_read_url = app.conf.broker_write_url = broker_url
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    _drop_pools(app)
    return previous


def restore_celery(previous: dict[str, Any]) -> None:
    from config.celery import app

    for key, value in previous.items():
        setattr(app.conf, key, value)
    _drop_pools(app)


def _drop_pools(app) -> None:
    # kombu keeps producer and connection pools in groups of its own, keyed by broker: close and forget
    # them all, or the app would be handed a closed pool for a broker it used before.
    from kombu import pools

    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()

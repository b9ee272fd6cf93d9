"""Phones arriving at random: sync latency at 1, 5 and 20 batches per second, against gunicorn.

Open loop: arrivals follow a Poisson process at a fixed rate and do not wait for earlier answers, as
phones coming back into range do not wait for each other. (A closed loop, or all phones at one instant,
measures the queue it builds itself.) Each arrival opens its own connection and sends one batch of
new snare finds; latency counts from the moment the phone was due to send, so time spent waiting for
a free server thread is included. After each rate the database is checked: every record stored once.

Baseline, measured in the same run: the latency of one batch on an idle server (one phone at a time,
the median of 20), so p95 / idle says how much queueing each rate adds on this machine.

The server is started as `scripts/serve.sh` starts it (gunicorn with config/gunicorn.conf.py: gthread,
3 workers x 16 threads) on the irbis_bench database (see bench_sync_ingest.py), never the dev database.

Usage: .venv/bin/python benchmarks/bench_sync_open_loop.py [--rates 1 5 20] [--seconds 15] [--batch 25]
Goal: p95 under 300 ms at 5 batches per second on 2 cores.
"""

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_sync_ingest import bench_environment, fresh_reserve, setup_django, snare_items  # noqa: E402

GOAL_RATE, GOAL_P95_S = 5.0, 0.300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else float("nan")


def send(port: int, token: str, body: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/api/v1/sync/", body=body,
                     headers={"Authorization": f"Device {token}", "Content-Type": "application/json"})  # fmt: skip
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Phones:
    """Batches of fresh finds for a pool of devices, one batch per arrival, round robin."""

    def __init__(self, devices: list, batch: int):
        self.devices = devices
        self.batch = batch
        self.count = 0

    def next_body(self) -> tuple[str, str, int]:
        device, token = self.devices[self.count % len(self.devices)]
        items = snare_items(self.batch, seed=self.count)
        self.count += 1
        return token, json.dumps({"device_id": device.device_id, "items": items}), len(items)


def idle_latency(port: int, phones: Phones, samples: int = 20) -> float:
    latencies = []
    for _ in range(samples):
        token, body, _ = phones.next_body()
        t0 = time.perf_counter()
        status, answer = send(port, token, body)
        latencies.append(time.perf_counter() - t0)
        assert status == 200, answer[:300]
    return statistics.median(latencies)


def run_rate(port: int, phones: Phones, rate: float, seconds: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / rate, size=int(rate * seconds * 2) + 10))
    arrivals = arrivals[arrivals < seconds]
    results, lock = [], threading.Lock()
    bodies = [phones.next_body() for _ in arrivals]  # built before the clock starts

    def phone(due: float, token: str, body: str) -> None:
        status, answer = send(port, token, body)
        finished = time.perf_counter()
        ok = status == 200 and {r["status"] for r in json.loads(answer)["results"]} == {"created"}
        with lock:
            results.append((finished - due, ok))

    with ThreadPoolExecutor(max_workers=400) as pool:
        start = time.perf_counter() + 0.2
        for offset, (token, body, _) in zip(arrivals, bodies, strict=True):
            due = start + offset
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(phone, due, token, body)
    latencies = [latency for latency, _ in results]
    return {
        "rate": rate,
        "batches": len(results),
        "records": sum(n for _, _, n in bodies),
        "failed": sum(1 for _, ok in results if not ok),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "max": max(latencies) if latencies else float("nan"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[1.0, 5.0, 20.0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--devices", type=int, default=20)
    args = parser.parse_args()
    setup_django()
    from threats.fieldsync.models import SyncReceipt
    from threats.records.models import SnareFind

    reserve, devices = fresh_reserve("bench-open-loop", args.devices)
    phones = Phones(devices, args.batch)
    port = free_port()
    env = {**os.environ, **bench_environment()}
    server = subprocess.Popen(  # noqa: S603  (as scripts/serve.sh starts it)
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application",
         "--config", "config/gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "--error-logfile", "-",
         "--log-level", "warning"],
        cwd=HERE.parent, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(port, time.monotonic() + 30)
        for _ in range(6):  # warm every worker: imports, database connection
            token, body, _ = phones.next_body()
            send(port, token, body)
        idle = idle_latency(port, phones)
        rows = [run_rate(port, phones, rate, args.seconds, seed=int(rate * 100)) for rate in args.rates]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    sent = phones.count * args.batch
    stored = SnareFind.objects.filter(reserve=reserve).count()
    distinct = SnareFind.objects.filter(reserve=reserve).values("client_uuid").distinct().count()
    receipts = SyncReceipt.objects.filter(reserve=reserve).count()
    print(f"open loop, Poisson arrivals, {args.seconds:.0f} s per rate, batches of {args.batch} finds, "
          f"{args.devices} devices; gunicorn gthread 3 x 16 on {os.cpu_count()} cores")  # fmt: skip
    print(f"baseline, one batch on an idle server: {idle * 1000:.0f} ms (median of 20)")
    for row in rows:
        print(f"{row['rate']:>5.1f} batches/s ({row['rate'] * args.batch:,.0f} records/s offered): "
              f"{row['batches']} batches, p50 {row['p50'] * 1000:,.0f} ms, p95 {row['p95'] * 1000:,.0f} ms "
              f"({row['p95'] / idle:.1f}x idle), max {row['max'] * 1000:,.0f} ms, failed {row['failed']}")  # fmt: skip
    print(f"stored: {stored} finds ({distinct} distinct client UUIDs), {receipts} receipts; sent {sent}")
    ok = stored == distinct == receipts == sent and not any(row["failed"] for row in rows)
    print("check: " + ("OK, nothing lost or duplicated" if ok else "FAILED"))
    at_goal = [row for row in rows if row["rate"] == GOAL_RATE]
    if at_goal:
        met = at_goal[0]["p95"] < GOAL_P95_S
        print(f"goal p95 < {GOAL_P95_S * 1000:.0f} ms at {GOAL_RATE:.0f} batches/s: {'met' if met else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

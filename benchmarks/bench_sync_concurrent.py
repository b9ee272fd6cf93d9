"""50 devices sync 200 snare finds each, all at once, against the app served by gunicorn on 127.0.0.1.

Each device sends its records in batches of 50 from its own thread (keep-alive HTTP on loopback) and
re-sends its first batch at the end, as a phone does after a lost answer. Prints p50 / p95 latency
per batch and checks in the database that every record is stored exactly once. Bounded: 50 x 200
records, and a deadline (--timeout) after which the run stops and fails.

Uses the irbis_bench database (see bench_sync_ingest.py), never the dev database.
Usage: .venv/bin/python benchmarks/bench_sync_concurrent.py [--devices 50] [--records 200] [--batch 50]
Goal: p95 under 500 ms per 50-item batch.
"""

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_sync_ingest import bench_environment, fresh_reserve, setup_django, snare_items  # noqa: E402


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
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)  # more only queue on 2 cores
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    setup_django()
    from threats.fieldsync.models import SyncReceipt
    from threats.records.models import SnareFind

    reserve, devices = fresh_reserve("bench-concurrent", args.devices)
    payloads = []
    for n, (device, token) in enumerate(devices):
        items = snare_items(args.records, seed=n)
        bodies = [json.dumps({"device_id": device.device_id, "items": items[i : i + args.batch]})
                  for i in range(0, len(items), args.batch)]  # fmt: skip
        payloads.append((token, bodies + bodies[:1]))  # the last one: a retry of the first

    port = free_port()
    env = {**os.environ, **bench_environment()}
    server = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--access-logfile", "/dev/null", "--error-logfile", "-",
         "--log-level", "warning"],
        cwd=HERE.parent, env=env, start_new_session=True,
    )  # fmt: skip
    latencies, retries, failures = [], [], []
    lock = threading.Lock()
    deadline = time.monotonic() + args.timeout
    try:
        wait_for(port, time.monotonic() + 30)
        barrier = threading.Barrier(args.devices)

        def phone(token: str, bodies: list[str]) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {"Authorization": f"Device {token}", "Content-Type": "application/json"}
            barrier.wait()
            for number, body in enumerate(bodies):
                if time.monotonic() > deadline:
                    failures.append("deadline")
                    return
                t0 = time.perf_counter()
                conn.request("POST", "/api/v1/sync/", body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                elapsed = time.perf_counter() - t0
                if response.status != 200:
                    with lock:
                        failures.append(f"HTTP {response.status}: {answer[:200]!r}")
                    continue
                statuses = {r["status"] for r in json.loads(answer)["results"]}
                expected = {"duplicate"} if number == len(bodies) - 1 else {"created"}
                with lock:
                    (retries if number == len(bodies) - 1 else latencies).append(elapsed)
                    if statuses != expected:
                        failures.append(f"statuses {statuses}, expected {expected}")
            conn.close()

        threads = [threading.Thread(target=phone, args=p) for p in payloads]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    expected = args.devices * args.records
    stored = SnareFind.objects.filter(reserve=reserve).count()
    distinct = SnareFind.objects.filter(reserve=reserve).values("client_uuid").distinct().count()
    receipts = SyncReceipt.objects.filter(reserve=reserve).count()
    print(f"{args.devices} devices x {args.records} records in batches of {args.batch}, "
          f"gunicorn {args.workers} sync workers on 127.0.0.1:{port}")  # fmt: skip
    print(f"batches: {len(latencies)} in {wall:.1f} s = {expected / wall:,.0f} records/s overall")
    print(f"latency per batch: p50 {percentile(latencies, 50) * 1000:.0f} ms, "
          f"p95 {percentile(latencies, 95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")  # fmt: skip
    print(f"retries of a delivered batch: {len(retries)}, p50 {percentile(retries, 50) * 1000:.0f} ms, all duplicates")
    print(f"stored: {stored} finds ({distinct} distinct client UUIDs), {receipts} receipts; expected {expected}")
    ok = stored == distinct == receipts == expected and not failures
    if failures:
        print(f"failures: {len(failures)}, first: {failures[0]}")
    print("check: " + ("OK, nothing lost or duplicated" if ok else "FAILED"))
    print(f"goal p95 < 500 ms: {'met' if percentile(latencies, 95) < 0.5 else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

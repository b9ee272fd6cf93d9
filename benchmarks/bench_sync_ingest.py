"""One device syncs 10,000 snare finds in batches of 500: records per second and peak memory.

The whole request path runs in this process (device-token auth, the envelope's checks, the domain rules
of threats.records.validation, then one statement per batch that claims the receipts and inserts the
finds and their history rows: threats/fieldsync/bulk.py), through Django's test client: this process is
the server, and its peak RSS is the server's. A separate database (irbis_bench on the local cluster) is
created and migrated if needed, and emptied of earlier runs' records; the dev database is never touched.
The warm-up sends one find (not counted), so that the first timed batch does not pay the imports and
first-use costs of the whole path (the follow-up task, the statement's plan). `--profile` prints where
the ingest's time went (cProfile, slower). Run it from the repository's root: Celery puts the working
directory first on sys.path.

Baseline, measured in the same run: a plain COPY of the same rows (client UUID, time, point geometry,
count, material, notes) into a scratch table, in batches of the same size with a commit each, which is
what the database alone takes; the ratio says how much of it the sync path reaches on this machine.

Usage: .venv/bin/python benchmarks/bench_sync_ingest.py [--records 10000] [--batch 500] [--profile]
Goal: at least 5,000 records/s, or at least 10 % of the plain COPY.
"""

import argparse
import json
import os
import resource
import sys
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BENCH_DB = os.environ.get("IRBIS_BENCH_DB", "irbis_bench")
PG = os.environ.get("IRBIS_BENCH_PG", "postgresql://irbis:irbis@127.0.0.1:54329")


def bench_environment() -> dict[str, str]:
    """Settings for a server on the benchmark database: dev settings, no DEBUG (no query log)."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"{PG.replace('postgresql://', 'postgis://')}/{BENCH_DB}",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }


def setup_django() -> None:
    """Create the benchmark database if needed, point Django at it and migrate it."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    with psycopg.connect(f"{PG}/{BENCH_DB}", autocommit=True) as conn:
        conn.execute("SET client_min_messages TO WARNING")
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    os.environ.update(bench_environment())
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def fresh_reserve(slug: str, rangers: int) -> tuple:
    """A reserve with `rangers` rangers in one team, each with a device token; earlier runs' data removed."""
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from patrol.reserves import services as reserves_services
    from patrol.reserves.models import Reserve, Role
    from threats.fieldsync import devices as fieldsync_devices

    Reserve.objects.filter(slug=slug).delete()
    get_user_model().objects.filter(username__startswith=f"{slug}-").delete()
    reserve = reserves_services.reserve_create(
        name=slug, slug=slug, boundary=MultiPolygon(Polygon.from_bbox((87.2, 49.9, 87.6, 50.3)), srid=4326),
        projected_epsg=32645, timezone="Asia/Barnaul",
    )  # fmt: skip
    devices = []
    users = []
    for n in range(rangers):
        user = reserves_services.user_create(username=f"{slug}-ranger-{n}", password=uuid.uuid4().hex)
        reserves_services.membership_set(actor=None, reserve=reserve, user=user, role=Role.RANGER)
        users.append(user)
        devices.append(fieldsync_devices.device_login(user=user, reserve=reserve, device_id=f"{slug}-phone-{n:03d}"))
    reserves_services.team_create(actor=None, reserve=reserve, name="Bench team", members=users)
    return reserve, devices


def snare_items(count: int, *, seed: int = 0) -> list[dict]:
    """Realistic finds: inside the reserve, a few outside or with poor accuracy (flagged for review)."""
    items = []
    for n in range(count):
        lon = 87.21 + ((n * 7919 + seed) % 3800) / 10000  # inside, and every 97th 0.05 deg outside
        if n % 97 == 0:
            lon = 87.65
        items.append({
            "kind": "snare_find", "client_uuid": str(uuid.uuid4()), "recorded_at": "2026-01-10T09:00:00+07:00",
            "data": {"location": {"type": "Point", "coordinates": [lon, 49.95 + (n % 3000) / 10000]},
                     "gps_accuracy_m": 150.0 if n % 53 == 0 else 6.0, "found_at": "2026-01-10T08:55:00+07:00",
                     "count": 1 + n % 4, "material": "wire", "state": "set", "action": "removed",
                     "notes": "bench"},
        })  # fmt: skip
    return items


class RssSampler(threading.Thread):
    """Peak RSS of this process during the run, sampled every 10 ms (ru_maxrss covers the whole life)."""

    def __init__(self):
        super().__init__(daemon=True)
        import psutil

        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self.start_rss = self.peak
        self.running = True

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)


def copy_baseline(items: list[dict], batch: int) -> float:
    """Records/s of a plain COPY of the same rows in batches of `batch`, a commit after each."""
    import psycopg

    with psycopg.connect(f"{PG}/{BENCH_DB}") as conn:
        conn.execute(
            "CREATE UNLOGGED TABLE IF NOT EXISTS bench_copy_baseline (client_uuid uuid PRIMARY KEY, "
            "found_at timestamptz, location geometry(Point, 4326), count int, material text, notes text)"
        )
        conn.execute("TRUNCATE bench_copy_baseline")
        conn.commit()
        started = time.perf_counter()
        for i in range(0, len(items), batch):
            with conn.cursor().copy(
                "COPY bench_copy_baseline (client_uuid, found_at, location, count, material, notes) FROM STDIN"
            ) as copy:
                for item in items[i : i + batch]:
                    lon, lat = item["data"]["location"]["coordinates"]
                    data = item["data"]
                    copy.write_row((item["client_uuid"], data["found_at"], f"SRID=4326;POINT({lon} {lat})",
                                    data["count"], data["material"], data["notes"]))  # fmt: skip
            conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy_baseline")
        conn.commit()
    return len(items) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="print where the time went (cProfile)")
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.test import Client

    from threats.fieldsync.models import SyncReceipt
    from threats.records.models import SnareFind

    settings.IRBIS_SYNC_MAX_BATCH_ITEMS = max(settings.IRBIS_SYNC_MAX_BATCH_ITEMS, args.batch)
    reserve, [(device, token)] = fresh_reserve("bench-ingest", 1)
    items = snare_items(args.records)
    bodies = [
        json.dumps({"device_id": device.device_id, "items": items[i : i + args.batch]})
        for i in range(0, len(items), args.batch)
    ]
    client = Client(HTTP_AUTHORIZATION=f"Device {token}")
    warm_up = json.dumps({"device_id": device.device_id, "items": snare_items(1, seed=2)})
    response = client.post("/api/v1/sync/", warm_up, content_type="application/json")  # imports, connection, plans
    assert response.json()["results"][0]["status"] == "created", response.content[:300]
    profile = None
    if args.profile:
        import cProfile

        profile = cProfile.Profile()

    sampler = RssSampler()
    sampler.start()
    latencies = []
    started = time.perf_counter()
    if profile:
        profile.enable()
    for body in bodies:
        t0 = time.perf_counter()
        response = client.post("/api/v1/sync/", body, content_type="application/json")
        latencies.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.content[:300]
    elapsed = time.perf_counter() - started
    if profile:
        profile.disable()
    sampler.running = False
    sampler.join()

    replay_t0 = time.perf_counter()
    replay = client.post("/api/v1/sync/", bodies[0], content_type="application/json").json()["results"]
    replay_s = time.perf_counter() - replay_t0

    baseline = copy_baseline(snare_items(args.records, seed=1), args.batch)
    rate = args.records / elapsed

    stored = SnareFind.objects.filter(reserve=reserve).count()
    flagged = SnareFind.objects.filter(reserve=reserve, needs_review=True).count()
    receipts = SyncReceipt.objects.filter(reserve=reserve).count()
    latencies.sort()
    print(f"records: {args.records} in {len(bodies)} batches of {args.batch}")
    print(f"ingest: {elapsed:.2f} s = {args.records / elapsed:,.0f} records/s "
          f"(batch p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms)")  # fmt: skip
    print(f"replay of one batch (all duplicates): {replay_s * 1000:.0f} ms, "
          f"statuses {sorted({r['status'] for r in replay})}")  # fmt: skip
    print(f"server peak RSS during ingest: {sampler.peak / 2**20:.0f} MB "
          f"(+{(sampler.peak - sampler.start_rss) / 2**20:.0f} MB over {sampler.start_rss / 2**20:.0f} MB at start; "
          f"ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")  # fmt: skip
    print(f"stored: {stored} finds, {receipts} receipts (each with the warm-up's), {flagged} flagged for review")
    ok = stored == receipts == args.records + 1 and {r["status"] for r in replay} == {"duplicate"}  # + warm-up
    print("check: " + ("OK, every record stored once" if ok else "FAILED"))
    print(f"baseline, plain COPY of the same rows in batches of {args.batch}: {baseline:,.0f} rows/s; "
          f"sync reaches {rate / baseline:.1%} of it")  # fmt: skip
    met = rate >= 5000 or rate >= 0.10 * baseline
    print(f"goal >= 5,000 records/s or >= 10 % of COPY: {'met' if met else 'NOT met'}")
    if profile:
        import pstats

        print(f"\nprofile of the {len(bodies)} batches (cProfile slows them; top 25 by own time):")
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

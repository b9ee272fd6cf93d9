"""A task that wants far more memory than the worker's cap fails alone; the worker serves the next.

A real prefork worker (the pool `make demo` and production run, where IRBIS_WORKER_MAX_MEMORY_MB
caps each pool process's address space in config/celery.py) gets a real DEM import of a raster of
24.5 million cells (it passes the header check, which allows 25 million; deflated it is a few
kilobytes) and then a small one. The cap, 1,000 MB, is far below what reading the big raster takes
(about 600 MB of Python, Django, GDAL and NumPy before any task, then hundreds of MB per copy of the
raster).
"""

import subprocess
from pathlib import Path

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from patrol.terrain.models import TerrainGrid, TerrainImport
from patrol.terrain.services import terrain_import_request
from tests.faults.services import Worker, wait_until
from tests.patrol.factories import ReserveFactory
from tests.patrol.terrain.helpers import UTM_11N, rolling_terrain, write_grid

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CAP_MB = 1000


def reserve_over_utm_11n(slug):
    corners = Polygon.from_bbox((400_000, 3_798_200, 402_100, 3_800_000))
    corners.srid = UTM_11N
    corners.transform(4326)
    return ReserveFactory(slug=slug, projected_epsg=UTM_11N, boundary=MultiPolygon(corners, srid=4326))


def pool_processes(worker: Worker) -> list[int]:
    pid = worker.process.pid
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def address_space_limit(pid: int) -> tuple[int, int]:
    line = next(line for line in Path(f"/proc/{pid}/limits").read_text().splitlines() if line.startswith("Max address"))
    soft, hard = line.split()[3:5]
    return int(soft), int(hard)


def test_a_task_past_the_memory_cap_fails_its_job_and_the_worker_serves_the_next(broker, tmp_path):
    huge = tmp_path / "huge.tif"  # 4,900 x 5,000 cells of 30 m, all 1,500 m: a few kB on disk
    subprocess.run(["gdal_create", "-q", "-of", "GTiff", "-outsize", "4900", "5000", "-bands", "1", "-ot", "Float32",
                    "-burn", "1500", "-a_srs", f"EPSG:{UTM_11N}", "-a_ullr", "400000", "3800000", "547000", "3650000",
                    "-co", "COMPRESS=DEFLATE", "-co", "TILED=YES", str(huge)], check=True)  # fmt: skip
    assert huge.stat().st_size < 1_000_000
    small = tmp_path / "small.tif"
    write_grid(small, rolling_terrain())
    too_big = terrain_import_request(reserve=reserve_over_utm_11n("huge"), path=huge, resolution_m=30)
    fine = terrain_import_request(reserve=reserve_over_utm_11n("small"), path=small, resolution_m=30)
    assert [job for job, _args, _kwargs in broker.queued()] == ["patrol.terrain.tasks.terrain_import_task"] * 2

    worker = Worker(tmp_path, broker_url=broker.url, queue=broker.queue, pool="prefork",
                    env={"IRBIS_WORKER_MAX_MEMORY_MB": str(CAP_MB)})  # fmt: skip
    worker.start("--concurrency=1")
    try:
        wait_until(lambda: " ready." in worker.log(), timeout=60, what="the worker", log=worker.log_path)
        pool = pool_processes(worker)
        assert [address_space_limit(pid) for pid in pool] == [(CAP_MB * 1024 * 1024,) * 2]

        def finished():
            assert worker.alive(), worker.log()
            jobs = TerrainImport.objects.filter(pk__in=[too_big.pk, fine.pk]).order_by("pk")
            return all(job.status in ("done", "failed") for job in jobs) and list(jobs)

        too_big, fine = wait_until(finished, timeout=120, what="both imports to finish", log=worker.log_path)
        assert pool_processes(worker) == pool  # the same pool process ran both: nothing died
        # Read before stopping: the stop signals the whole process group, and a pool process still returning
        # from the last task (its row already saved) is then reported lost, which says nothing about the cap.
        served_log = worker.log()
    finally:
        worker.stop()
    assert too_big.status == "failed"
    # Where the allocation fails depends on what the pool process loaded before the task (NumPy's
    # "Unable to allocate ..." or a bare MemoryError from Python's allocator): the type is what counts.
    assert too_big.error.split(":")[0] == "MemoryError", too_big.error
    assert (fine.status, fine.error) == ("done", "")
    assert list(TerrainGrid.objects.values_list("reserve__slug", flat=True)) == ["small"]
    assert "WorkerLostError" not in served_log and "exited with" not in served_log

"""One job behaviour for risk runs, route plans and DEM imports: atomic claim, heartbeat, any failure
recorded, a sweep for jobs whose worker died; jobs queued from the admin like from the API."""

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from patrol.jobs.models import Job, OutboxMessage
from patrol.jobs.runner import job_claim, job_heartbeat, jobs_sweep
from patrol.jobs.tasks import jobs_sweep_task
from patrol.reserves.models import Role
from patrol.routing.compute import route_plan_compute
from patrol.routing.models import RoutePlan
from patrol.terrain.models import TerrainGrid, TerrainImport
from patrol.terrain.services import terrain_import, terrain_import_request
from patrol.terrain.tasks import terrain_import_task
from tests.conftest import member
from tests.patrol.factories import PostFactory, ReserveFactory
from tests.patrol.terrain.helpers import UTM_11N, rolling_terrain, write_grid
from threats.risk.models import RiskRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_reserve(tmp_path):
    """A 2.1 x 1.8 km reserve on rolling synthetic terrain (30 m cells) with one post."""
    path = tmp_path / "dem.tif"
    write_grid(path, rolling_terrain())
    corners = Polygon.from_bbox((400_000, 3_798_200, 402_100, 3_800_000))
    corners.srid = UTM_11N
    corners.transform(4326)
    reserve = ReserveFactory(slug="reserve-a", projected_epsg=UTM_11N, boundary=MultiPolygon(corners, srid=4326))
    post = Point(400_615, 3_799_085, srid=UTM_11N)
    post.transform(4326)
    PostFactory(reserve=reserve, location=post)
    return reserve, path


def test_a_job_is_claimed_once():
    run = RiskRun.objects.create(reserve=ReserveFactory())
    claimed = job_claim(RiskRun, run.pk)
    assert (claimed.status, claimed.attempts) == ("running", 1)
    assert claimed.claimed_at == claimed.heartbeat_at is not None
    assert job_claim(RiskRun, run.pk) is None  # a second delivery of the message does nothing


def test_any_failure_of_a_route_plan_is_recorded_not_left_running(small_reserve):
    reserve, path = small_reserve
    grid = terrain_import(reserve=reserve, path=path, resolution_m=30)
    os.unlink(grid.elevation.path)  # the DEM layer went missing from the disk: not a planning error
    plan = RoutePlan.objects.create(reserve=reserve, start_post=reserve.posts.get(), hours=2)
    plan = route_plan_compute(plan_id=plan.pk, risk=None)
    assert (plan.status, plan.attempts) == ("failed", 1)
    assert plan.error.startswith("RasterError: ") and Path(grid.elevation.path).name in plan.error
    assert plan.finished_at is not None


def test_a_route_planning_error_fails_the_plan_with_its_message(small_reserve):
    reserve, path = small_reserve
    terrain_import(reserve=reserve, path=path, resolution_m=30)
    outside = PostFactory(reserve=reserve, name="Far post", location=Point(87.0, 50.0, srid=4326))
    plan = RoutePlan.objects.create(reserve=reserve, start_post=outside, hours=2)
    plan = route_plan_compute(plan_id=plan.pk, risk=None)
    assert (plan.status, plan.error) == ("failed", "Far post lies outside the reserve's terrain.")


@pytest.mark.parametrize("attempts", [1, 2])
def test_the_sweep_queues_again_a_job_whose_heartbeat_stopped(small_reserve, settings, attempts,
                                                              django_capture_on_commit_callbacks):  # fmt: skip
    settings.IRBIS_JOB_STALE_SECONDS, settings.IRBIS_JOB_MAX_ATTEMPTS = 120, 3
    reserve, _path = small_reserve
    long_ago = timezone.now() - timedelta(minutes=5)
    plan = RoutePlan.objects.create(reserve=reserve, start_post=reserve.posts.get(), hours=2, status="running",
                                    attempts=attempts, claimed_at=long_ago, heartbeat_at=long_ago)  # fmt: skip
    alive = RoutePlan.objects.create(reserve=reserve, start_post=reserve.posts.get(), hours=2, status="running",
                                     attempts=1, claimed_at=long_ago, heartbeat_at=timezone.now())  # fmt: skip
    with django_capture_on_commit_callbacks() as callbacks:
        report = jobs_sweep()
    assert (report.requeued, report.failed, len(callbacks)) == (1, 0, 1)
    plan.refresh_from_db()
    assert (plan.status, plan.attempts, plan.claimed_at, plan.heartbeat_at) == ("queued", attempts, None, None)
    assert plan.error == (f"The worker running this job stopped responding (last heartbeat "
                          f"{long_ago:%Y-%m-%d %H:%M:%S} UTC, attempt {attempts} of 3); queued again.")  # fmt: skip
    message = OutboxMessage.objects.get()
    assert (message.task_name, message.args) == ("patrol.routing.tasks.route_plan_compute_task", [plan.pk])
    alive.refresh_from_db()
    assert alive.status == "running"


def test_the_sweep_fails_a_job_once_its_attempts_are_used_up(small_reserve, settings):
    settings.IRBIS_JOB_STALE_SECONDS, settings.IRBIS_JOB_MAX_ATTEMPTS = 120, 3
    reserve, _path = small_reserve
    long_ago = timezone.now() - timedelta(minutes=5)
    job = TerrainImport.objects.create(
        reserve=reserve,
        source_path="/nowhere.tif",
        resolution_m=30,
        status="running",
        attempts=3,
        claimed_at=long_ago,
        heartbeat_at=long_ago,
    )
    assert jobs_sweep_task() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert (job.status, job.finished_at is not None, OutboxMessage.objects.count()) == ("failed", True, 0)
    assert job.error == (f"The worker running this job stopped responding (last heartbeat "
                         f"{long_ago:%Y-%m-%d %H:%M:%S} UTC, attempt 3 of 3); gave up.")  # fmt: skip


def test_a_lost_risk_run_is_failed_when_another_run_already_waits(settings):
    settings.IRBIS_JOB_STALE_SECONDS = 120
    reserve = ReserveFactory()
    long_ago = timezone.now() - timedelta(minutes=5)
    lost = RiskRun.objects.create(reserve=reserve, status="running", attempts=1, claimed_at=long_ago,
                                  heartbeat_at=long_ago, stage="fitting the model")  # fmt: skip
    RiskRun.objects.create(reserve=reserve)  # queued meanwhile by new data: it will read everything
    assert (jobs_sweep().requeued, RiskRun.objects.filter(status="queued").count()) == (0, 1)
    lost.refresh_from_db()
    assert (lost.status, lost.stage) == ("failed", "failed")
    assert lost.error.endswith("attempt 1 of 3); another job of its kind already waits.")


def test_a_lost_risk_run_is_queued_again_from_the_start(settings):
    settings.IRBIS_JOB_STALE_SECONDS = 120
    long_ago = timezone.now() - timedelta(minutes=5)
    lost = RiskRun.objects.create(reserve=ReserveFactory(), status="running", attempts=1, claimed_at=long_ago,
                                  heartbeat_at=long_ago, progress=35, stage="fitting the model")  # fmt: skip
    assert jobs_sweep().requeued == 1
    lost.refresh_from_db()
    assert (lost.status, lost.progress, lost.stage) == ("queued", 0, "queued again (the worker stopped)")
    assert OutboxMessage.objects.get().args == [lost.pk]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_heartbeat_beats_while_the_work_runs():
    run = RiskRun.objects.create(reserve=ReserveFactory())
    claimed = job_claim(RiskRun, run.pk)
    with job_heartbeat(claimed, every_s=0.05):
        time.sleep(0.5)  # work that never calls in
    beat = RiskRun.objects.get(pk=run.pk).heartbeat_at
    assert beat > claimed.heartbeat_at + timedelta(seconds=0.3)


# --- DEM imports as jobs, and jobs from the admin -------------------------------------------------------


def test_a_dem_import_job_imports_the_terrain(small_reserve, django_capture_on_commit_callbacks):
    reserve, path = small_reserve
    with django_capture_on_commit_callbacks(execute=True):  # eager here: the worker's task runs on commit
        job = terrain_import_request(reserve=reserve, path=path, resolution_m=30)
    job.refresh_from_db()
    grid = TerrainGrid.objects.get(reserve=reserve)
    assert (job.status, job.attempts, job.error, job.grid_id) == ("done", 1, "", grid.pk)
    assert terrain_import_task(job.pk) == "done"  # a second delivery changes nothing
    assert TerrainGrid.objects.get(reserve=reserve).pk == grid.pk


def test_a_dem_that_cannot_be_imported_fails_its_job_with_the_reason(small_reserve, tmp_path,
                                                                     django_capture_on_commit_callbacks):  # fmt: skip
    reserve, path = small_reserve
    broken = tmp_path / "broken.tif"
    broken.write_bytes(path.read_bytes())  # a good file when asked for (a bad one is refused at once)...
    with django_capture_on_commit_callbacks() as callbacks:
        job = terrain_import_request(reserve=reserve, path=broken, resolution_m=30)
    broken.write_bytes(b"not a GeoTIFF")  # ...that is broken by the time the worker reads it
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert (job.status, TerrainGrid.objects.count()) == ("failed", 0)
    assert "broken.tif" in job.error and not job.error.startswith("ValidationError")


@pytest.fixture
def admin_manager(small_reserve):
    from django.contrib.auth.models import Permission

    user = member(small_reserve[0], Role.ADMIN, clearance=True, username="staff_manager")
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["patrol", "threats"]))
    return user


def test_a_route_plan_added_in_the_admin_is_queued(client, admin_manager, small_reserve,
                                                   django_capture_on_commit_callbacks):  # fmt: skip
    reserve, path = small_reserve
    terrain_import(reserve=reserve, path=path, resolution_m=30)
    client.force_login(admin_manager)
    form = {
        "reserve": reserve.pk,
        "start_post": reserve.posts.get().pk,
        "end_post": "",
        "hours": 2,
        "days": 1,
        "radius_m": 100,
        "max_slope_deg": 40,
        "transport": "foot",
        "alternatives": 1,
        "avoid_recent_days": 14,
    }
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/admin/patrol/routeplan/add/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    plan = RoutePlan.objects.get()
    assert (plan.status, plan.requested_by, len(callbacks)) == ("queued", admin_manager, 1)
    assert list(OutboxMessage.objects.values_list("task_name", "args")) == [
        ("patrol.routing.tasks.route_plan_compute_task", [plan.pk])]  # fmt: skip
    callbacks[0]()  # the commit's hand-off: eager here, the plan is computed
    plan.refresh_from_db()
    assert (plan.status, plan.error, len(plan.routes)) == ("done", "", 1)


def test_a_route_plan_for_a_reserve_without_terrain_is_refused_by_the_admin_form(client, admin_manager, small_reserve):
    reserve, _path = small_reserve
    client.force_login(admin_manager)
    form = {
        "reserve": reserve.pk,
        "start_post": reserve.posts.get().pk,
        "end_post": "",
        "hours": 2,
        "days": 1,
        "radius_m": 100,
        "max_slope_deg": 40,
        "transport": "foot",
        "alternatives": 1,
        "avoid_recent_days": 14,
    }
    response = client.post("/admin/patrol/routeplan/add/", form)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reserve"] == [
        "This reserve has no terrain yet: import a DEM first (import_dem)."]  # fmt: skip
    assert (RoutePlan.objects.count(), OutboxMessage.objects.count()) == (0, 0)


def test_a_dem_uploaded_in_the_admin_creates_an_import_job(client, admin_manager, small_reserve, settings, tmp_path,
                                                           django_capture_on_commit_callbacks):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path / "media"
    reserve, path = small_reserve
    client.force_login(admin_manager)
    page = client.get(f"/admin/patrol/reserve/{reserve.pk}/change/")
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"boundary": reserve.boundary.geojson, "dem": SimpleUploadedFile("dem.tif", path.read_bytes())})
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/admin/patrol/reserve/{reserve.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    job = TerrainImport.objects.get()
    reserve.refresh_from_db()
    assert (job.status, job.source_path, job.resolution_m, job.requested_by) == (
        Job.Status.QUEUED, reserve.dem.path, 50.0, admin_manager)  # fmt: skip
    assert list(OutboxMessage.objects.values_list("task_name", "args")) == [
        ("patrol.terrain.tasks.terrain_import_task", [job.pk])]  # fmt: skip
    assert len(callbacks) == 1

"""A DEM is judged from its header before anyone reads it: a 1 MB file may declare 10^10 cells."""

import subprocess

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from patrol.jobs.models import OutboxMessage
from patrol.reserves.models import Role
from patrol.terrain.models import TerrainImport
from patrol.terrain.raster_io import RasterError, raster_header_check, read_raster
from patrol.terrain.services import terrain_import_request
from tests.conftest import member

HUGE = "100,000 x 100,000 cells is more than the 25,000,000 this server reads"


@pytest.fixture(scope="module")
def huge_dem(tmp_path_factory):
    """100,000 x 100,000 float32 cells, all empty: GDAL writes no empty tile, so the file stays small.
    (gdal_create, from gdal-bin, writes it without allocating the raster in memory.)"""
    path = tmp_path_factory.mktemp("dem") / "huge.tif"
    subprocess.run(  # noqa: S603
        ["/usr/bin/gdal_create", "-q", "-outsize", "100000", "100000", "-ot", "Float32", "-a_srs", "EPSG:32645",
         "-a_ullr", "400000", "5600000", "450000", "5550000",
         "-co", "SPARSE_OK=TRUE", "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", str(path)],
        check=True,
    )  # fmt: skip
    assert path.stat().st_size < 5_000_000
    return path


def test_the_header_says_too_big_before_anything_is_read(huge_dem):
    with pytest.raises(RasterError, match=f"huge.tif: {HUGE}; clip the DEM to the reserve or coarsen it first"):
        raster_header_check(huge_dem)
    with pytest.raises(RasterError, match=HUGE):
        raster_header_check(huge_dem.read_bytes(), name="huge.tif")
    with pytest.raises(RasterError, match=HUGE):
        read_raster(huge_dem)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "upload: file is empty"), (b"GIF89a not a tiff", "upload: not a readable raster")],
)
def test_broken_uploads_are_named(content, message):
    with pytest.raises(RasterError, match=message):
        raster_header_check(content)


@pytest.mark.django_db
def test_an_import_of_a_huge_dem_is_refused_at_once(huge_dem, reserve_a, manager_a):
    with pytest.raises(ValidationError) as refused:
        terrain_import_request(reserve=reserve_a, path=huge_dem, actor=manager_a)
    assert HUGE in refused.value.message_dict["dem"][0]
    assert (TerrainImport.objects.count(), OutboxMessage.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_the_admin_answers_the_uploader_and_queues_nothing(client, huge_dem, reserve_a):
    admin_a = member(reserve_a, Role.ADMIN, username="admin_a")
    admin_a.is_staff = True
    admin_a.save()
    admin_a.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["patrol", "threats"]))
    client.force_login(admin_a)
    form = client.get(f"/admin/patrol/reserve/{reserve_a.pk}/change/").context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"boundary": reserve_a.boundary.geojson, "dem": SimpleUploadedFile("huge.tif", huge_dem.read_bytes())})
    response = client.post(f"/admin/patrol/reserve/{reserve_a.pk}/change/", data)
    assert response.status_code == 200
    assert HUGE in response.context["adminform"].form.errors["dem"][0]
    reserve_a.refresh_from_db()
    assert (bool(reserve_a.dem), TerrainImport.objects.count(), OutboxMessage.objects.count()) == (False, 0, 0)

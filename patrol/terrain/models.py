"""A reserve's terrain grid (elevation and derived layers) and its valley network."""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patrol.jobs.models import Job
from patrol.reserves.geo import WGS84
from patrol.reserves.models import Reserve
from patrol.terrain.grid import Grid


class TerrainGrid(models.Model):
    """A reserve's elevation model resampled into its projected CRS, and the layers derived from it.

    All rasters share one grid: `srid`, `geotransform` (GDAL order), `width` x `height` cells.
    """

    reserve = models.OneToOneField(Reserve, on_delete=models.CASCADE, related_name="terrain")
    source_name = models.CharField(_("source file"), max_length=255)
    srid = models.PositiveIntegerField(_("CRS (EPSG)"))
    resolution_m = models.FloatField(_("resolution (m)"))
    geotransform = models.JSONField(_("geotransform"))
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    elevation = models.FileField(_("elevation (GeoTIFF)"), upload_to="terrain/")
    slope = models.FileField(_("slope (GeoTIFF, degrees)"), upload_to="terrain/")
    hillshade = models.FileField(_("hillshade (GeoTIFF)"), upload_to="terrain/")
    flow_accumulation = models.FileField(_("flow accumulation (GeoTIFF, upstream cells)"), upload_to="terrain/")
    reach_labels = models.FileField(
        _("valley of each cell (GeoTIFF)"), upload_to="terrain/",
        help_text=_("Reach ID of the nearest valley reach within reach of the valley floor, 0 elsewhere."),
    )  # fmt: skip
    elevation_min_m = models.FloatField()
    elevation_max_m = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(resolution_m__gt=0), name="terrain_resolution_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reserve}: {self.width} x {self.height} cells of {self.resolution_m:g} m"

    @property
    def grid(self) -> Grid:
        return Grid.from_geotransform(self.geotransform, (self.height, self.width))


class TerrainImport(Job):
    """A DEM import the worker runs (an upload in the admin): resample the file at `source_path` into the
    reserve's projected CRS at `resolution_m` and derive its layers; `grid` is the result."""

    job_task = "patrol.terrain.tasks.terrain_import_task"

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="terrain_imports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")  # fmt: skip
    source_path = models.CharField(_("DEM file"), max_length=500)
    resolution_m = models.FloatField(_("resolution (m)"))
    grid = models.ForeignKey(TerrainGrid, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(resolution_m__gt=0), name="terrain_import_resolution_positive"),
        ]

    def __str__(self) -> str:
        return f"DEM import #{self.pk} for {self.reserve} ({self.get_status_display()})"


class ValleyReach(models.Model):
    """One stream reach of the valley network derived from the DEM; risk is ranked per reach."""

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="valley_reaches")
    reach_id = models.PositiveIntegerField(_("reach ID"))
    name = models.CharField(_("name"), max_length=200)
    geometry = models.LineStringField(_("geometry"), srid=WGS84)
    length_m = models.FloatField(_("length (m)"))
    catchment_km2 = models.FloatField(_("catchment (km²)"))

    class Meta:
        ordering = ["reserve", "reach_id"]
        constraints = [models.UniqueConstraint(fields=["reserve", "reach_id"], name="valley_reach_unique_per_reserve")]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def code(reach_id: int) -> str:
        """The name of a reach that nothing names."""
        return f"V{reach_id:03d}"

    @staticmethod
    def is_code(name: str) -> bool:
        return len(name) >= 4 and name[0] == "V" and name[1:].isdigit()

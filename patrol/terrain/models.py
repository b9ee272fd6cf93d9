"""A reserve's terrain grid (elevation and derived layers) and its valley network."""

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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

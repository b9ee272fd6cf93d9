"""Reserves, their people and places, and patrols. Every geometry is stored in WGS84 (SRID 4326)."""

import zoneinfo

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from patrol.geo import WGS84, point_in_wgs84_range


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s."), params={"tz": value})


def validate_projected_epsg(value: int) -> None:
    from django.contrib.gis.gdal import SpatialReference
    from django.contrib.gis.gdal.error import GDALException

    try:
        srs = SpatialReference(value)
    except GDALException as exc:
        raise ValidationError(_("Unknown EPSG code: %(code)s."), params={"code": value}) from exc
    if not srs.projected:
        raise ValidationError(_("EPSG:%(code)s is not a projected (metric) coordinate system."), params={"code": value})


class Reserve(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    boundary = models.MultiPolygonField(_("boundary"), srid=WGS84)
    projected_epsg = models.PositiveIntegerField(
        _("projected CRS (EPSG)"),
        validators=[validate_projected_epsg],
        help_text=_("Metric CRS used for distances, rasters and routing, e.g. 32645 for UTM 45N."),
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_timezone])
    sensitive_grid_degrees = models.FloatField(
        _("sensitive species grid (degrees)"),
        default=0.1,
        help_text=_("Locations of sensitive species are snapped to this grid for users without clearance."),
    )
    dem = models.FileField(_("elevation model (GeoTIFF)"), upload_to="dem/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(boundary__isvalid=True), name="reserve_boundary_valid"),
            models.CheckConstraint(
                condition=Q(sensitive_grid_degrees__gte=0.1) & Q(sensitive_grid_degrees__lte=10),
                name="reserve_sensitive_grid_at_least_0_1_degrees",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    RANGER = "ranger", _("Ranger")
    MANAGER = "manager", _("Manager")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Reserve administrator")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    sensitive_clearance = models.BooleanField(
        _("sensitive species clearance"),
        default=False,
        help_text=_("May see exact locations of sensitive species."),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "reserve"], name="membership_one_per_user_reserve")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.reserve} ({self.role})"


class Zone(models.Model):
    class Kind(models.TextChoices):
        CORE = "core", _("Core zone")
        BUFFER = "buffer", _("Buffer zone")
        BORDER_STRIP = "border_strip", _("Border strip")
        NO_GO = "no_go", _("No-go zone")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    area = models.PolygonField(_("area"), srid=WGS84)

    class Meta:
        ordering = ["reserve", "name"]
        constraints = [models.CheckConstraint(condition=Q(area__isvalid=True), name="zone_area_valid")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Post(models.Model):
    """A ranger station or base where patrols start and end."""

    class Kind(models.TextChoices):
        STATION = "station", _("Ranger station")
        BASE = "base", _("Base")
        CABIN = "cabin", _("Cabin")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="posts")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.STATION)
    location = models.PointField(_("location"), srid=WGS84)

    class Meta:
        ordering = ["reserve", "name"]
        constraints = [models.CheckConstraint(condition=point_in_wgs84_range("location"), name="post_location_range")]

    def __str__(self) -> str:
        return self.name


class AccessPoint(models.Model):
    """Where people (and poachers) enter: road ends, villages, border crossings."""

    class Kind(models.TextChoices):
        ROAD_END = "road_end", _("Road end")
        VILLAGE = "village", _("Village")
        BORDER_CROSSING = "border_crossing", _("Border crossing")
        OTHER = "other", _("Other")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="access_points")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    location = models.PointField(_("location"), srid=WGS84)

    class Meta:
        ordering = ["reserve", "name"]
        constraints = [
            models.CheckConstraint(condition=point_in_wgs84_range("location"), name="accesspoint_location_range")
        ]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=200)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    home_post = models.ForeignKey(Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="teams")

    class Meta:
        ordering = ["reserve", "name"]
        constraints = [models.UniqueConstraint(fields=["reserve", "name"], name="team_name_unique_per_reserve")]

    def __str__(self) -> str:
        return self.name


class Patrol(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Transport(models.TextChoices):
        FOOT = "foot", _("Foot")
        HORSE = "horse", _("Horse")
        VEHICLE = "vehicle", _("Vehicle")
        SKI = "ski", _("Ski")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="patrols")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="patrols")
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="led_patrols"
    )
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    transport = models.CharField(_("transport"), max_length=16, choices=Transport.choices, default=Transport.FOOT)
    objective = models.TextField(_("objective"), blank=True)
    planned_route = models.LineStringField(_("planned route"), srid=WGS84, null=True, blank=True)
    track = models.MultiLineStringField(_("actual track"), srid=WGS84, null=True, blank=True)
    track_length_km = models.FloatField(
        _("track length (km)"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Measured in the reserve's projected CRS after the track is saved."),
    )
    client_uuid = models.UUIDField(_("client UUID"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["track_length_km"])

    class Meta:
        ordering = ["-planned_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["reserve", "client_uuid"], name="patrol_client_uuid_unique_per_reserve"),
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gt=F("planned_start")),
                name="patrol_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=True)
                | Q(actual_end__gt=F("actual_start")),
                name="patrol_actual_end_after_start",
            ),
            models.CheckConstraint(condition=Q(track__isnull=True) | Q(track__isvalid=True), name="patrol_track_valid"),
        ]

    def validate_constraints(self, exclude=None):
        # Django cannot evaluate ST_IsValid on a NULL track in Python; the database still checks it.
        exclude = set(exclude or ())
        if self.track is None:
            exclude.add("track")
        super().validate_constraints(exclude=exclude)

    def __str__(self) -> str:
        start = self.actual_start or self.planned_start
        return f"{self.team} {start:%Y-%m-%d}" if start else f"{self.team} #{self.pk}"


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


class RoutePlan(models.Model):
    """A suggested patrol route, computed in the background from the reserve's terrain and risk."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="route_plans")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    start_post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    end_post = models.ForeignKey(Post, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    hours = models.FloatField(_("hours per day"))
    days = models.PositiveSmallIntegerField(_("days"), default=1)
    radius_m = models.FloatField(_("detection radius (m)"), default=100.0)
    max_slope_deg = models.FloatField(_("steepest passable slope (degrees)"), default=40.0)
    transport = models.CharField(_("transport"), max_length=16, choices=Patrol.Transport.choices, default="foot")
    alternatives = models.PositiveSmallIntegerField(_("alternative routes"), default=1)
    avoid_recent_days = models.PositiveSmallIntegerField(_("discount cells patrolled in the last N days"), default=14)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(_("error"), blank=True)
    risk_source = models.CharField(_("risk surface used"), max_length=200, blank=True)
    routes = models.JSONField(_("routes (GeoJSON FeatureCollections)"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=24), name="routeplan_hours_range"),
            models.CheckConstraint(condition=Q(days__gte=1) & Q(days__lte=14), name="routeplan_days_range"),
            models.CheckConstraint(
                condition=Q(alternatives__gte=1) & Q(alternatives__lte=5), name="routeplan_alternatives_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Route from {self.start_post} ({self.hours:g} h x {self.days}) #{self.pk}"

"""Reserves, their people (memberships, teams) and places. Every geometry is stored in WGS84 (SRID 4326)."""

import zoneinfo

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patrol.reserves.geo import WGS84, point_in_wgs84_range


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
    max_consecutive_field_days = models.PositiveSmallIntegerField(
        _("most consecutive field days"),
        default=5,
        help_text=_("A team that has patrolled this many days in a row must rest the next day."),
    )
    max_post_uncovered_days = models.PositiveSmallIntegerField(
        _("longest gap in a post's cover (days)"),
        default=7,
        help_text=_("The calendar flags a post from which no patrol starts for longer than this."),
    )
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


class LoginFailure(models.Model):
    """A failed sign-in, kept for the throttle window (patrol/reserves/logins.py) and then deleted."""

    username = models.CharField(max_length=150, db_index=True)  # as typed, lower-cased
    address = models.GenericIPAddressField()
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["address", "at"], name="loginfailure_address_at")]

    def __str__(self) -> str:
        return f"{self.username} from {self.address} at {self.at:%Y-%m-%d %H:%M:%S}"

"""Patrols and their tracks: planned and actual times, the planned route, the GPS track and its fixes."""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from patrol.reserves.geo import WGS84, point_in_wgs84_range
from patrol.reserves.models import Post, Reserve, Team


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
    post = models.ForeignKey(
        Post,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patrols",
        verbose_name=_("post"),
        help_text=_("The post the patrol starts from (the calendar checks each post's cover)."),
    )
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    transport = models.CharField(_("transport"), max_length=16, choices=Transport.choices, default=Transport.FOOT)
    objective = models.TextField(_("objective"), blank=True)
    planned_route = models.LineStringField(_("planned route"), srid=WGS84, null=True, blank=True)
    planned_waypoints = models.MultiPointField(
        _("planned waypoints"),
        srid=WGS84,
        null=True,
        blank=True,
        help_text=_("The route plan's hotspots, in the order the route passes them."),
    )
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


class TrackPoint(models.Model):
    """A GPS fix recorded by the field app during a patrol; the patrol's track is rebuilt from them."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="track_points")
    segment = models.PositiveIntegerField(_("segment"), default=0, help_text=_("A new segment starts after a pause."))
    recorded_at = models.DateTimeField(_("recorded at"))
    location = models.PointField(_("location"), srid=WGS84)
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    chunk_uuid = models.UUIDField(editable=False)

    class Meta:
        # Moved here from the threats app; the table keeps its name (migrations patrol 0005, threats 0006).
        db_table = "threats_trackpoint"
        ordering = ["patrol", "segment", "recorded_at"]
        constraints = [
            models.CheckConstraint(condition=point_in_wgs84_range("location"), name="trackpoint_location_range"),
        ]
        indexes = [models.Index(fields=["patrol", "segment", "recorded_at"], name="threats_tra_patrol__8c0f8f_idx")]

    def __str__(self) -> str:
        return f"{self.patrol_id} {self.recorded_at:%Y-%m-%d %H:%M:%S}"

"""What rangers and cameras find: species, snare finds, incidents, detections and camera deployments."""

from datetime import UTC, datetime

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from patrol.patrols.models import Patrol
from patrol.reserves.geo import WGS84, point_in_wgs84_range
from patrol.reserves.models import Reserve

# No field record is older; earlier times are a phone's reset clock (and year 1 BC cannot even be read by psycopg).
EARLIEST_RECORD_TIME = datetime(1990, 1, 1, tzinfo=UTC)


class Species(models.Model):
    """Reference data shared by all reserves."""

    scientific_name = models.CharField(_("scientific name"), max_length=200, unique=True)
    common_name_en = models.CharField(_("common name (English)"), max_length=200)
    common_name_ru = models.CharField(_("common name (Russian)"), max_length=200, blank=True)
    sensitive = models.BooleanField(
        _("sensitive"), default=False, help_text=_("Locations are generalised for users without clearance.")
    )
    is_snare_target = models.BooleanField(_("snare target"), default=False)

    class Meta:
        ordering = ["scientific_name"]
        verbose_name_plural = _("species")

    @property
    def common_name(self) -> str:
        """The name in the language of the current request (Russian names are data, not translations)."""
        if get_language() and get_language().startswith("ru") and self.common_name_ru:
            return self.common_name_ru
        return self.common_name_en

    def __str__(self) -> str:
        return f"{self.common_name} ({self.scientific_name})"


class FieldRecord(models.Model):
    """What every record logged in the field carries: its reserve, who logged it, and sync bookkeeping."""

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="+")
    patrol = models.ForeignKey(Patrol, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    location = models.PointField(_("location"), srid=WGS84)
    gps_accuracy_m = models.FloatField(_("GPS accuracy (m)"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    client_uuid = models.UUIDField(_("client UUID"), null=True, blank=True, editable=False)
    device_recorded_at = models.DateTimeField(_("recorded on device at"), null=True, blank=True, editable=False)
    needs_review = models.BooleanField(_("needs review"), default=False)
    review_reasons = models.JSONField(_("review reasons"), default=list, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def _field_record_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.UniqueConstraint(fields=["reserve", "client_uuid"], name=f"{prefix}_client_uuid_unique_per_reserve"),
        models.CheckConstraint(condition=point_in_wgs84_range("location"), name=f"{prefix}_location_range"),
        models.CheckConstraint(
            condition=Q(gps_accuracy_m__isnull=True) | Q(gps_accuracy_m__gte=0),
            name=f"{prefix}_gps_accuracy_non_negative",
        ),
    ]


class SnareFind(FieldRecord):
    class Material(models.TextChoices):
        WIRE = "wire", _("Wire")
        CABLE = "cable", _("Steel cable")
        NYLON = "nylon", _("Nylon")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        SET = "set", _("Set")
        SPRUNG = "sprung", _("Sprung")
        OLD = "old", _("Old")

    class Placement(models.TextChoices):
        NECK = "neck", pgettext_lazy("snare placement", "Neck")
        FOOT = "foot", pgettext_lazy("snare placement", "Foot")  # not the patrol's transport "Foot"
        UNKNOWN = "unknown", _("Unknown")

    class CatchCondition(models.TextChoices):
        NONE = "none", _("No catch")
        ALIVE = "alive", _("Alive")
        INJURED = "injured", _("Injured")
        DEAD = "dead", _("Dead")

    class Action(models.TextChoices):
        REMOVED = "removed", _("Removed")
        DESTROYED = "destroyed", _("Destroyed")
        LEFT_FOR_AMBUSH = "left_for_ambush", _("Left for ambush")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="snare_finds")
    patrol = models.ForeignKey(Patrol, on_delete=models.SET_NULL, null=True, blank=True, related_name="snare_finds")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="snare_finds"
    )
    found_at = models.DateTimeField(_("found at"))
    count = models.PositiveIntegerField(_("count"), default=1, help_text=_("More than one for a snare line."))
    material = models.CharField(_("material"), max_length=16, choices=Material.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    placement = models.CharField(_("placement"), max_length=16, choices=Placement.choices, default=Placement.UNKNOWN)
    catch_species = models.ForeignKey(
        Species, on_delete=models.PROTECT, null=True, blank=True, related_name="snare_catches"
    )
    catch_condition = models.CharField(
        _("catch condition"), max_length=16, choices=CatchCondition.choices, default=CatchCondition.NONE
    )
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-found_at", "-id"]
        constraints = [
            *_field_record_constraints("snarefind"),
            models.CheckConstraint(condition=Q(count__gte=1), name="snarefind_count_at_least_one"),
            models.CheckConstraint(
                condition=Q(found_at__gte=EARLIEST_RECORD_TIME), name="snarefind_found_at_from_1990"
            ),
            models.CheckConstraint(
                condition=~Q(catch_condition="none") | Q(catch_species__isnull=True),
                name="snarefind_no_catch_means_no_species",
            ),
        ]
        indexes = [models.Index(fields=["reserve", "found_at"])]

    def __str__(self) -> str:
        return f"{self.count} x {self.get_material_display()} snare, {self.found_at:%Y-%m-%d}"


class Incident(FieldRecord):
    class Kind(models.TextChoices):
        POACHER_CAMP = "poacher_camp", _("Poacher camp")
        CARCASS = "carcass", _("Carcass")
        GUNSHOT = "gunshot", _("Gunshot")
        SNARE_LINE = "snare_line", _("Snare line")
        SUSPECT_ENCOUNTER = "suspect_encounter", _("Encounter with suspects")
        ILLEGAL_LOGGING = "illegal_logging", _("Illegal logging")
        OTHER = "other", _("Other")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="incidents")
    patrol = models.ForeignKey(Patrol, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("time"))
    description = models.TextField(_("description"), blank=True)
    snare_finds = models.ManyToManyField(SnareFind, related_name="incidents", blank=True)
    history = HistoricalRecords(m2m_fields=[snare_finds])

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            *_field_record_constraints("incident"),
            models.CheckConstraint(
                condition=Q(occurred_at__gte=EARLIEST_RECORD_TIME), name="incident_occurred_at_from_1990"
            ),
        ]
        indexes = [models.Index(fields=["reserve", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {self.occurred_at:%Y-%m-%d}"


class CameraDeployment(models.Model):
    """A camera trap placed for a period; fields follow Camtrap DP's deployments table."""

    class FeatureType(models.TextChoices):
        ROAD_PAVED = "roadPaved", _("Paved road")
        ROAD_DIRT = "roadDirt", _("Dirt road")
        TRAIL_HIKING = "trailHiking", _("Hiking trail")
        TRAIL_GAME = "trailGame", _("Game trail")
        ROAD_UNDERPASS = "roadUnderpass", _("Road underpass")
        ROAD_OVERPASS = "roadOverpass", _("Road overpass")
        ROAD_BRIDGE = "roadBridge", _("Road bridge")
        CULVERT = "culvert", _("Culvert")
        BURROW = "burrow", _("Burrow")
        NEST_SITE = "nestSite", _("Nest site")
        CARCASS = "carcass", _("Carcass")
        WATER_SOURCE = "waterSource", _("Water source")
        FRUITING_TREE = "fruitingTree", _("Fruiting tree")
        SCRAPE = "scrape", _("Scrape or marking site")
        RIDGE = "ridge", _("Ridge or saddle")
        OTHER = "other", _("Other")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="camera_deployments")
    deployment_id = models.CharField(_("deployment ID"), max_length=100)
    location_name = models.CharField(_("location name"), max_length=200, blank=True)
    location = models.PointField(_("location"), srid=WGS84)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    camera_id = models.CharField(_("camera ID"), max_length=100, blank=True)
    camera_model = models.CharField(_("camera model"), max_length=200, blank=True)
    camera_height_m = models.FloatField(_("camera height (m)"), null=True, blank=True)
    feature_type = models.CharField(_("feature type"), max_length=24, choices=FeatureType.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["reserve", "deployment_id"]
        constraints = [
            models.UniqueConstraint(fields=["reserve", "deployment_id"], name="deployment_id_unique_per_reserve"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="deployment_end_after_start"),
            models.CheckConstraint(condition=point_in_wgs84_range("location"), name="deployment_location_range"),
        ]

    def __str__(self) -> str:
        return self.deployment_id


class Detection(FieldRecord):
    class Method(models.TextChoices):
        CAMERA_TRAP = "camera_trap", _("Camera trap")
        TRACK = "track", _("Tracks")
        SCAT = "scat", _("Scat")
        SCRAPE = "scrape", _("Scrape")
        SIGHTING = "sighting", _("Sighting")
        DNA = "dna", _("DNA")
        KILL = "kill", _("Kill")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="detections")
    patrol = models.ForeignKey(Patrol, on_delete=models.SET_NULL, null=True, blank=True, related_name="detections")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="detections"
    )

    class ObservationType(models.TextChoices):
        ANIMAL = "animal", _("Animal")
        HUMAN = "human", _("Person")
        VEHICLE = "vehicle", _("Vehicle")

    observation_type = models.CharField(
        _("observation type"), max_length=16, choices=ObservationType.choices, default=ObservationType.ANIMAL,
        help_text=_("People and vehicles on camera traps are kept as possible poaching signals."),
    )  # fmt: skip
    species = models.ForeignKey(Species, on_delete=models.PROTECT, null=True, blank=True, related_name="detections")
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    observed_at = models.DateTimeField(_("time"))
    count = models.PositiveIntegerField(_("count"), default=1)
    individual_id = models.CharField(_("individual ID"), max_length=100, blank=True, help_text=_('e.g. "Khan"'))
    deployment = models.ForeignKey(
        CameraDeployment, on_delete=models.SET_NULL, null=True, blank=True, related_name="detections"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-observed_at", "-id"]
        constraints = [
            *_field_record_constraints("detection"),
            models.CheckConstraint(condition=Q(count__gte=1), name="detection_count_at_least_one"),
            models.CheckConstraint(
                condition=Q(observed_at__gte=EARLIEST_RECORD_TIME), name="detection_observed_at_from_1990"
            ),
            models.CheckConstraint(
                condition=Q(observation_type="animal", species__isnull=False)
                | (~Q(observation_type="animal") & Q(species__isnull=True)),
                name="detection_species_only_for_animals",
            ),
        ]
        indexes = [models.Index(fields=["reserve", "observed_at"]), models.Index(fields=["reserve", "species"])]

    def __str__(self) -> str:
        what = self.species.common_name_en if self.species else self.get_observation_type_display()
        return f"{what}, {self.observed_at:%Y-%m-%d}"

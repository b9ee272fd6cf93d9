"""What rangers and cameras find: species, snare finds, incidents, detections and camera deployments."""

import os

from django.conf import settings
from django.contrib.gis.db import models
from django.core.files.storage import FileSystemStorage
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from patrol.geo import WGS84, point_in_wgs84_range
from patrol.models import Patrol, Reserve


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

    def __str__(self) -> str:
        return f"{self.common_name_en} ({self.scientific_name})"


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
        NECK = "neck", _("Neck")
        FOOT = "foot", _("Foot")
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
        constraints = _field_record_constraints("incident")
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
                condition=Q(observation_type="animal", species__isnull=False)
                | (~Q(observation_type="animal") & Q(species__isnull=True)),
                name="detection_species_only_for_animals",
            ),
        ]
        indexes = [models.Index(fields=["reserve", "observed_at"]), models.Index(fields=["reserve", "species"])]

    def __str__(self) -> str:
        what = self.species.common_name_en if self.species else self.get_observation_type_display()
        return f"{what}, {self.observed_at:%Y-%m-%d}"


# --- Field sync: devices, receipts of synced items, GPS track points and photos ----------------------


class Device(models.Model):
    """A phone running the field app. It holds its own token, so a lost phone is revoked alone.

    Only the SHA-256 of the token is stored; the token itself is shown once, at login.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="field_devices")
    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="field_devices")
    device_id = models.CharField(_("device ID"), max_length=64, help_text=_("Chosen by the app on first start."))
    name = models.CharField(_("name"), max_length=200, blank=True)
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["user", "device_id"]
        constraints = [models.UniqueConstraint(fields=["user", "device_id"], name="device_id_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.name or self.device_id} ({self.user})"


class SyncReceipt(models.Model):
    """One per item a device synced: the idempotency key (reserve, client UUID) and the content's hash.

    The unique constraint decides which of two concurrent identical items creates the record; the other
    finds this receipt and answers "duplicate" with the same object id.
    """

    class Kind(models.TextChoices):
        SNARE_FIND = "snare_find", _("Snare find")
        INCIDENT = "incident", _("Incident")
        DETECTION = "detection", _("Detection")
        PATROL = "patrol", _("Patrol")
        TRACK_POINTS = "track_points", _("Track points")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="+")
    client_uuid = models.UUIDField(_("client UUID"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    content_sha256 = models.CharField(max_length=64)
    object_id = models.BigIntegerField(null=True, blank=True)
    batch_id = models.UUIDField(editable=False)
    device = models.ForeignKey(Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="receipts")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reserve", "client_uuid"], name="syncreceipt_client_uuid_unique_per_reserve"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.client_uuid}"


class TrackPoint(models.Model):
    """A GPS fix recorded by the field app during a patrol; the patrol's track is rebuilt from them."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="track_points")
    segment = models.PositiveIntegerField(_("segment"), default=0, help_text=_("A new segment starts after a pause."))
    recorded_at = models.DateTimeField(_("recorded at"))
    location = models.PointField(_("location"), srid=WGS84)
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    chunk_uuid = models.UUIDField(editable=False)

    class Meta:
        ordering = ["patrol", "segment", "recorded_at"]
        constraints = [
            models.CheckConstraint(condition=point_in_wgs84_range("location"), name="trackpoint_location_range"),
        ]
        indexes = [models.Index(fields=["patrol", "segment", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.patrol_id} {self.recorded_at:%Y-%m-%d %H:%M:%S}"


class Photo(models.Model):
    """A photo of a synced record, stored byte for byte as uploaded (evidence) under IRBIS_PRIVATE_ROOT.

    `sha256` is the hash of the stored bytes, checked on upload; `original_sha256` is the hash the phone
    computed of the camera's original before it downscaled it (equal to `sha256` when not downscaled).
    """

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="+")
    record_kind = models.CharField(_("record kind"), max_length=16, choices=SyncReceipt.Kind.choices)
    record_uuid = models.UUIDField(_("record client UUID"))
    object_id = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    original_sha256 = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=300, editable=False, help_text=_("Relative to IRBIS_PRIVATE_ROOT."))
    content_type = models.CharField(_("content type"), max_length=64)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    downscaled = models.BooleanField(_("downscaled on the phone"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    device = models.ForeignKey(Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="photos")
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["reserve", "record_uuid", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reserve", "record_uuid", "sha256"], name="photo_unique_per_record_and_hash"
            )
        ]

    def __str__(self) -> str:
        return f"{self.record_kind} {self.record_uuid} {self.sha256[:12]}"


# --- Snare-threat risk runs (threats/risk_services.py) ----------------------------------------------


class PrivateFileStorage(FileSystemStorage):
    """Files under IRBIS_PRIVATE_ROOT, which no URL serves: views hand out what each user may see.

    Risk layers include leopard risk, which must not leak to people without clearance through a
    public media URL. The location is read from settings on every use, so tests can move it.
    """

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return os.fspath(settings.IRBIS_PRIVATE_ROOT)

    @property
    def location(self) -> str:  # type: ignore[override]
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> None:  # type: ignore[override]
        return None


private_storage = PrivateFileStorage()


def risk_layer_upload_to(instance: "RiskRun", filename: str) -> str:
    return f"risk/reserve-{instance.reserve_id}/run-{instance.pk}/{filename}"


class RiskRun(models.Model):
    """One computation of the snare-threat risk model for a reserve, and its layers.

    Layers are GeoTIFFs on the reserve's terrain grid (`grid_srid`, `grid_geotransform`, `grid_width`
    x `grid_height`, copied from the TerrainGrid used, which a DEM re-import replaces). At most one
    run per reserve waits in the queue (a partial unique constraint): that is how repeated triggers
    coalesce into one recompute.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        DATA = "data", _("New data")
        NIGHTLY = "nightly", _("Nightly")
        MANUAL = "manual", _("On request")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="risk_runs")
    terrain = models.ForeignKey(
        "patrol.TerrainGrid", on_delete=models.SET_NULL, null=True, blank=True, related_name="risk_runs"
    )
    grid_srid = models.PositiveIntegerField(null=True, blank=True)
    grid_geotransform = models.JSONField(null=True, blank=True)
    grid_width = models.PositiveIntegerField(null=True, blank=True)
    grid_height = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices, default=Trigger.DATA)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    stage = models.CharField(_("stage"), max_length=200, blank=True)
    not_before = models.DateTimeField(_("starts after"), null=True, blank=True)
    model_version = models.CharField(_("model version"), max_length=200, blank=True)
    inputs_start = models.DateTimeField(_("data from"), null=True, blank=True)
    inputs_end = models.DateTimeField(_("data until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    snares = models.FileField(_("expected snare lines per cell per year (GeoTIFF)"), upload_to=risk_layer_upload_to,
                              storage=private_storage, blank=True)  # fmt: skip
    uncertainty = models.FileField(_("standard deviation of the snare layer (GeoTIFF)"),
                                   upload_to=risk_layer_upload_to, storage=private_storage, blank=True)  # fmt: skip
    leopard = models.FileField(_("leopard risk (GeoTIFF)"), upload_to=risk_layer_upload_to, storage=private_storage,
                               blank=True)  # fmt: skip
    effort = models.FileField(_("patrol effort, km within the detection radius (GeoTIFF)"),
                              upload_to=risk_layer_upload_to, storage=private_storage, blank=True)  # fmt: skip
    explain_layers = models.FileField(_("per-cell explanation layers (NumPy .npz)"), upload_to=risk_layer_upload_to,
                                      storage=private_storage, blank=True)  # fmt: skip

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="riskrun_progress_at_most_100"),
            models.UniqueConstraint(
                fields=["reserve"], condition=Q(status="queued"), name="riskrun_one_queued_per_reserve"
            ),
        ]
        indexes = [models.Index(fields=["reserve", "status", "finished_at"])]

    def __str__(self) -> str:
        return f"Risk run #{self.pk} ({self.get_status_display()})"

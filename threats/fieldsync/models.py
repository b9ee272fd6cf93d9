"""Field sync: the phones (devices), a receipt per synced item, and photos kept as evidence."""

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from patrol.reserves.models import Reserve


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
        PATROL_EVENT = "patrol_event", _("Patrol start or end")
        ACTION = "action", _("Enforcement action")  # a seizure or a protocol, logged at an incident
        EVIDENCE = "evidence", _("Evidence item")  # a seized item (only its photos name it)

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

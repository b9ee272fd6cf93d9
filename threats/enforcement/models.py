"""What happens after an incident: enforcement actions, suspects, cases, evidence and its chain of custody.

Suspects are personal data: only a reserve's managers and administrators see them (never rangers,
analysts, exports or reports). The custody log is append-only in the database itself: migration
0009_enforcement installs triggers that refuse UPDATE, DELETE and (of a non-empty log) TRUNCATE.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from patrol.patrols.models import Patrol
from patrol.reserves.geo import WGS84, point_in_wgs84_range
from patrol.reserves.models import Reserve, Team
from threats.records.models import EARLIEST_RECORD_TIME, Incident, SnareFind

SHA256_PATTERN = r"^[0-9a-f]{64}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"


def _optional_point_in_range(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | point_in_wgs84_range(field)


class Suspect(models.Model):
    """A person suspected of an offence: the minimum needed to follow a case (managers and admins only)."""

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="suspects")
    full_name = models.CharField(_("full name"), max_length=200)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    locality = models.CharField(_("locality"), max_length=200, blank=True, help_text=_("Village or town."))
    document = models.CharField(
        _("identity document"), max_length=200, blank=True, help_text=_("Optional: kind and number.")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["reserve", "full_name", "id"]
        verbose_name = _("suspect")
        verbose_name_plural = _("suspects")
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900, birth_year__lte=2100),
                name="suspect_birth_year_plausible",
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.birth_year})" if self.birth_year else self.full_name


class Case(models.Model):
    """A criminal or administrative case opened by an agency (police, prosecutor, inspectorate)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CHARGED = "charged", _("Charged")
        IN_COURT = "in_court", _("In court")
        CLOSED = "closed", _("Closed")

    class Verdict(models.TextChoices):
        NONE = "", _("No verdict yet")
        CONVICTED = "convicted", _("Convicted")
        ACQUITTED = "acquitted", _("Acquitted")
        DISMISSED = "dismissed", _("Dismissed")
        SETTLED = "settled", _("Settled")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="cases")
    number = models.CharField(_("case number"), max_length=100)
    agency = models.CharField(_("agency"), max_length=200, help_text=_("e.g. district police, prosecutor's office."))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    charges = models.TextField(_("charges"), blank=True, help_text=_("Articles of law, as free text."))
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices, default="", blank=True)
    fine_amount = models.DecimalField(_("fine"), max_digits=14, decimal_places=2, null=True, blank=True)
    fine_currency = models.CharField(_("currency"), max_length=3, blank=True, help_text=_("ISO 4217, e.g. RUB."))
    prison_months = models.PositiveIntegerField(_("prison (months)"), null=True, blank=True)
    conditional = models.BooleanField(_("conditional sentence"), default=False)
    opened_on = models.DateField(_("opened on"))
    charged_on = models.DateField(_("charged on"), null=True, blank=True)
    verdict_on = models.DateField(_("verdict on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    incidents = models.ManyToManyField(Incident, related_name="cases", blank=True, verbose_name=_("incidents"))
    suspects = models.ManyToManyField(Suspect, related_name="cases", blank=True, verbose_name=_("suspects"))
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(fields=["reserve", "agency", "number"], name="case_number_unique_per_agency"),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="case_closed_after_opened",
            ),
            models.CheckConstraint(
                condition=Q(fine_amount__isnull=True) | Q(fine_amount__gte=0, fine_currency__regex=CURRENCY_PATTERN),
                name="case_fine_non_negative_with_currency",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_on__isnull=False), name="case_closed_has_date"
            ),
        ]
        indexes = [models.Index(fields=["reserve", "opened_on"]), models.Index(fields=["reserve", "closed_on"])]

    def __str__(self) -> str:
        return f"{self.number} ({self.agency})"


class CaseEvent(models.Model):
    """One entry of a case's timeline."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Case opened")
        CHARGED = "charged", _("Charged")
        HEARING = "hearing", _("Court hearing")
        VERDICT = "verdict", _("Verdict")
        APPEAL = "appeal", _("Appeal")
        CLOSED = "closed", _("Case closed")
        NOTE = "note", _("Note")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    occurred_on = models.DateField(_("date"))
    description = models.TextField(_("description"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "occurred_on", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {self.occurred_on:%Y-%m-%d}"


class EnforcementAction(models.Model):
    """What rangers or the reserve did about an offence: an arrest, a protocol and fine, a seizure…"""

    class Kind(models.TextChoices):
        ARREST = "arrest", _("Arrest")
        DETENTION = "detention", _("Detention")
        WARNING = "warning", _("Warning")
        PROTOCOL_FINE = "protocol_fine", _("Administrative protocol and fine")
        CONFISCATION = "confiscation", _("Confiscation")
        REFERRAL_POLICE = "referral_police", _("Referral to police")
        REFERRAL_PROSECUTOR = "referral_prosecutor", _("Referral to prosecutor")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="enforcement_actions")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    taken_at = models.DateTimeField(_("time"))
    location = models.PointField(_("location"), srid=WGS84, null=True, blank=True)
    place_name = models.CharField(_("place"), max_length=200, blank=True)
    patrol = models.ForeignKey(
        Patrol, on_delete=models.SET_NULL, null=True, blank=True, related_name="enforcement_actions"
    )
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="enforcement_actions")
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="enforcement_actions", blank=True, verbose_name=_("who")
    )
    incidents = models.ManyToManyField(
        Incident, related_name="enforcement_actions", blank=True, verbose_name=_("incidents")
    )
    snare_finds = models.ManyToManyField(
        SnareFind, related_name="enforcement_actions", blank=True, verbose_name=_("snare finds")
    )
    suspects = models.ManyToManyField(
        Suspect, related_name="enforcement_actions", blank=True, verbose_name=_("suspects")
    )
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions", verbose_name=_("case")
    )
    protocol_number = models.CharField(_("protocol number"), max_length=100, blank=True)
    fine_amount = models.DecimalField(_("fine"), max_digits=14, decimal_places=2, null=True, blank=True)
    fine_currency = models.CharField(_("currency"), max_length=3, blank=True, help_text=_("ISO 4217, e.g. RUB."))
    description = models.TextField(_("description"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    client_uuid = models.UUIDField(_("client UUID"), null=True, blank=True, editable=False)
    device_recorded_at = models.DateTimeField(_("recorded on device at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-taken_at", "-id"]
        verbose_name = _("enforcement action")
        verbose_name_plural = _("enforcement actions")
        constraints = [
            models.UniqueConstraint(fields=["reserve", "client_uuid"], name="action_client_uuid_unique_per_reserve"),
            models.CheckConstraint(condition=_optional_point_in_range("location"), name="action_location_range"),
            models.CheckConstraint(condition=Q(taken_at__gte=EARLIEST_RECORD_TIME), name="action_taken_at_from_1990"),
            models.CheckConstraint(
                condition=Q(fine_amount__isnull=True) | Q(fine_amount__gte=0, fine_currency__regex=CURRENCY_PATTERN),
                name="action_fine_non_negative_with_currency",
            ),
        ]
        indexes = [models.Index(fields=["reserve", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {self.taken_at:%Y-%m-%d}"


class EvidenceItem(models.Model):
    """A photo or a seized item. The original file (if any) is kept under IRBIS_PRIVATE_ROOT at `path`,
    and `sha256` is the hash of its bytes when received; `verify_evidence` re-hashes it."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        SNARES = "snares", _("Snares")
        FIREARM = "firearm", _("Firearm")
        AMMUNITION = "ammunition", _("Ammunition")
        PELT = "pelt", _("Pelt")
        MUSK_POD = "musk_pod", _("Musk pod")
        MEAT = "meat", _("Meat")
        VEHICLE = "vehicle", _("Vehicle")
        OTHER = "other", _("Other")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="evidence_items")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    action = models.ForeignKey(
        EnforcementAction, on_delete=models.SET_NULL, null=True, blank=True, related_name="evidence",
        verbose_name=_("enforcement action"),
    )  # fmt: skip
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="evidence", verbose_name=_("case")
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="evidence", verbose_name=_("incident")
    )
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("collected by"),
    )  # fmt: skip
    collected_at = models.DateTimeField(_("collected at"))
    location = models.PointField(_("location"), srid=WGS84, null=True, blank=True)
    place_name = models.CharField(_("place"), max_length=200, blank=True)
    # The original file: empty for an item without one (a vehicle kept in a yard has photos of its own).
    path = models.CharField(max_length=300, blank=True, editable=False, help_text=_("Relative to IRBIS_PRIVATE_ROOT."))
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64, blank=True, editable=False)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, blank=True, editable=False)
    original_name = models.CharField(_("original file name"), max_length=255, blank=True, editable=False)
    client_uuid = models.UUIDField(_("client UUID"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["reserve", "collected_at", "id"]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")
        constraints = [
            models.UniqueConstraint(fields=["reserve", "client_uuid"], name="evidence_client_uuid_unique_per_reserve"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="evidence_quantity_at_least_one"),
            models.CheckConstraint(condition=_optional_point_in_range("location"), name="evidence_location_range"),
            models.CheckConstraint(
                condition=Q(collected_at__gte=EARLIEST_RECORD_TIME), name="evidence_collected_at_from_1990"
            ),
            models.CheckConstraint(
                condition=Q(path="", sha256="", size_bytes__isnull=True)
                | (~Q(path="") & Q(sha256__regex=SHA256_PATTERN) & Q(size_bytes__isnull=False)),
                name="evidence_file_has_hash_and_size",
            ),
            models.CheckConstraint(condition=~Q(kind="photo") | ~Q(path=""), name="evidence_photo_has_file"),
        ]
        indexes = [models.Index(fields=["reserve", "collected_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} x{self.quantity} #{self.pk}"


class CustodyEvent(models.Model):
    """One hand-over (or other change of custody) of an evidence item. Rows are never changed or deleted:
    the database refuses it (see migration 0009_enforcement); a correction is a new event."""

    class Kind(models.TextChoices):
        COLLECTED = "collected", _("Collected")
        HANDED_OVER = "handed_over", _("Handed over")
        STORED = "stored", _("Put in storage")
        EXAMINED = "examined", _("Taken for examination")
        TRANSFERRED = "transferred", _("Transferred to an agency")
        RETURNED = "returned", _("Returned")
        DESTROYED = "destroyed", _("Destroyed")
        CORRECTION = "correction", _("Correction of an earlier entry")

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="custody_events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("time"))
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("handed over by (user)"),
    )  # fmt: skip
    from_name = models.CharField(_("handed over by"), max_length=200, blank=True, help_text=_("Name and position."))
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("received by (user)"),
    )  # fmt: skip
    to_name = models.CharField(_("received by"), max_length=200, blank=True, help_text=_("Name and position."))
    place_name = models.CharField(_("place"), max_length=200, blank=True)
    location = models.PointField(_("location"), srid=WGS84, null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )  # fmt: skip
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # Set by the database on insert (migration 0011): SHA-256 of the item's previous link and this row.
    chain_sha256 = models.CharField(_("chain SHA-256"), max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["item", "occurred_at", "id"]
        verbose_name = _("custody event")
        verbose_name_plural = _("custody log")
        constraints = [
            models.CheckConstraint(condition=_optional_point_in_range("location"), name="custody_location_range"),
            models.CheckConstraint(
                condition=Q(occurred_at__gte=EARLIEST_RECORD_TIME), name="custody_occurred_at_from_1990"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {self.occurred_at:%Y-%m-%d %H:%M}"

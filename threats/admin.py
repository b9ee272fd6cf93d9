from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import F, Value
from django.utils.translation import gettext_lazy as _

from patrol.admin_base import ReserveScopedAdmin, ReserveScopedHistoryAdmin
from patrol.models import Membership
from threats.models import (
    CameraDeployment,
    Detection,
    Device,
    Incident,
    Photo,
    RiskRun,
    SnareFind,
    Species,
    SyncReceipt,
    TrackPoint,
)
from threats.selectors import camera_deployments_for_user, detections_for_user
from threats.sync import device_revoke


@admin.register(Species)
class SpeciesAdmin(admin.ModelAdmin):
    list_display = ["scientific_name", "common_name_en", "common_name_ru", "sensitive", "is_snare_target"]
    list_filter = ["sensitive", "is_snare_target"]
    search_fields = ["scientific_name", "common_name_en", "common_name_ru"]


@admin.register(SnareFind)
class SnareFindAdmin(ReserveScopedHistoryAdmin):
    list_display = ["found_at", "reserve", "count", "material", "state", "catch_species", "action", "needs_review"]
    list_filter = ["reserve", "material", "state", "action", "needs_review"]
    date_hierarchy = "found_at"
    raw_id_fields = ["patrol", "reported_by"]


@admin.register(Incident)
class IncidentAdmin(ReserveScopedHistoryAdmin):
    list_display = ["occurred_at", "reserve", "kind", "needs_review"]
    list_filter = ["reserve", "kind"]
    date_hierarchy = "occurred_at"
    raw_id_fields = ["patrol", "reported_by", "snare_finds"]


class GeneralisedLocationMixin:
    """Lists show `display_location`; users without clearance never get the exact point's form or history."""

    selector = None

    def get_queryset(self, request):
        if request.user.is_superuser:
            return self.model.objects.annotate(display_location=F("location"), location_generalised=Value(False))
        return type(self).selector(user=request.user)

    @admin.display(description=_("location"))
    def shown_location(self, obj):
        point = obj.display_location
        suffix = _(" (generalised)") if obj.location_generalised else ""
        return f"{point.y:.5f}, {point.x:.5f}{suffix}"

    def _cleared(self, request, obj) -> bool:
        if request.user.is_superuser or obj is None:
            return True
        return Membership.objects.filter(
            user=request.user, reserve_id=obj.reserve_id, sensitive_clearance=True
        ).exists()

    def get_exclude(self, request, obj=None):
        if obj is not None and obj.location_generalised and not self._cleared(request, obj):
            return ["location"]
        return super().get_exclude(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.location_generalised and not self._cleared(request, obj):
            fields.append("shown_location")
        return fields

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.location_generalised and not self._cleared(request, obj):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)


@admin.register(Detection)
class DetectionAdmin(GeneralisedLocationMixin, ReserveScopedHistoryAdmin):
    selector = staticmethod(detections_for_user)
    list_display = ["observed_at", "reserve", "species", "method", "count", "individual_id", "shown_location"]
    list_filter = ["reserve", "species", "method"]
    date_hierarchy = "observed_at"
    raw_id_fields = ["patrol", "reported_by", "deployment"]


@admin.register(CameraDeployment)
class CameraDeploymentAdmin(GeneralisedLocationMixin, ReserveScopedAdmin):
    selector = staticmethod(camera_deployments_for_user)
    list_display = ["deployment_id", "reserve", "start", "end", "camera_model", "feature_type", "shown_location"]
    list_filter = ["reserve", "feature_type"]


class ReadOnlyAdmin(ReserveScopedAdmin):
    """Sync bookkeeping is written by the sync service only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "reserve", "user", "last_seen_at", "revoked_at"]
    list_filter = ["reserve"]
    search_fields = ["device_id", "name", "user__username"]
    actions = ["revoke"]
    exclude = ["token_sha256"]

    @admin.action(description=_("Revoke the selected devices (lost phones)"))
    def revoke(self, request, queryset):
        for device in queryset:
            device_revoke(actor=request.user, device=device)
        self.message_user(request, _("Revoked %(n)d device(s).") % {"n": queryset.count()})


@admin.register(SyncReceipt)
class SyncReceiptAdmin(ReadOnlyAdmin):
    list_display = ["client_uuid", "reserve", "kind", "object_id", "device", "received_at"]
    list_filter = ["reserve", "kind"]
    search_fields = ["client_uuid"]


@admin.register(TrackPoint)
class TrackPointAdmin(ReadOnlyAdmin):
    reserve_path = "patrol__reserve_id"
    list_display = ["patrol", "segment", "recorded_at", "accuracy_m"]
    raw_id_fields = ["patrol"]


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin):
    # Originals may carry EXIF positions of sensitive animals: the admin lists metadata, never the bytes.
    list_display = ["record_uuid", "reserve", "record_kind", "content_type", "size_bytes", "sha256", "created_at"]
    list_filter = ["reserve", "record_kind"]
    exclude = ["path"]


@admin.register(RiskRun)
class RiskRunAdmin(ReadOnlyAdmin):
    # The layers live under IRBIS_PRIVATE_ROOT; the map and the API hand them out by role.
    list_display = ["__str__", "reserve", "trigger", "progress", "stage", "inputs_end", "finished_at"]
    list_filter = ["reserve", "status", "trigger"]
    exclude = ["snares", "uncertainty", "leopard", "effort", "explain_layers"]

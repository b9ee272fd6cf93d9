from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from patrol.reserves.admin_base import ReadOnlyAdmin
from threats.fieldsync.devices import device_revoke
from threats.fieldsync.models import Device, Photo, SyncReceipt


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


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin):
    # Originals may carry EXIF positions of sensitive animals: the admin lists metadata, never the bytes.
    list_display = ["record_uuid", "reserve", "record_kind", "content_type", "size_bytes", "sha256", "created_at"]
    list_filter = ["reserve", "record_kind"]
    exclude = ["path"]

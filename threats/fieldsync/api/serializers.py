"""Input and output shapes of the field-sync API. Item data is checked by threats.sync (the domain rules)."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from threats.fieldsync.models import Device, SyncReceipt
from threats.fieldsync.parsing import ITEM_KINDS


class DeviceLoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    device_id = serializers.RegexField(r"^[A-Za-z0-9._:-]{8,64}$")
    device_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    reserve = serializers.SlugField(required=False)


class BatchSerializer(serializers.Serializer):
    """The envelope; each item is checked on its own (ItemSerializer) so one bad item rejects only itself."""

    device_id = serializers.CharField(max_length=64)
    items = serializers.ListField(child=serializers.JSONField(), allow_empty=True)

    def validate_items(self, value):
        limit = settings.IRBIS_SYNC_MAX_BATCH_ITEMS
        if len(value) > limit:
            raise serializers.ValidationError(_("At most %(n)d items per batch.") % {"n": limit})
        return value


class ItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k, SyncReceipt.Kind(k).label) for k in ITEM_KINDS])
    client_uuid = serializers.UUIDField()
    recorded_at = serializers.DateTimeField()
    data = serializers.DictField()


class EditSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    data = serializers.DictField()


class DeviceSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reserve = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    revoked = serializers.SerializerMethodField()

    class Meta:
        model = Device
        fields = ["id", "device_id", "name", "user", "reserve", "created_at", "last_seen_at", "revoked", "revoked_at"]

    def get_revoked(self, device: Device) -> bool:
        return device.revoked_at is not None

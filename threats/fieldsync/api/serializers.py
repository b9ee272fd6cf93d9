"""Input and output shapes of the field-sync API. Item data is checked by threats.sync (the domain rules)."""

from typing import Any

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

    @staticmethod
    def well_formed_items(data: Any, device_id: str) -> list[Any] | None:
        """The items of a batch parsed from JSON for this device, within the limit: what validation would
        give, without running a field per item. None for anything else: the serializer then says what."""
        items = data.get("items") if type(data) is dict else None  # not a QueryDict (a form)
        if type(items) is not list or data.get("device_id") != device_id:  # a stored id: no blank, no spaces
            return None
        if len(items) > settings.IRBIS_SYNC_MAX_BATCH_ITEMS or None in items:  # a null item is an error
            return None
        return items  # parsed from JSON, so each one is JSON (what the JSONField child checks)


class ItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k, SyncReceipt.Kind(k).label) for k in ITEM_KINDS])
    client_uuid = serializers.UUIDField()
    recorded_at = serializers.DateTimeField()
    data = serializers.DictField()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        recorded_at = self.fields["recorded_at"]
        recorded_at.timezone = recorded_at.default_timezone()  # the request's, once for all its items

    def well_formed(self, raw: Any) -> dict[str, Any] | None:
        """A well-formed item's values through the same fields, without the serializer's per-item
        machinery (a fifth of a batch's time); None if anything is off: run_validation then says what."""
        if type(raw) is not dict:
            return None
        kind, client_uuid, recorded_at, data = map(raw.get, ("kind", "client_uuid", "recorded_at", "data"))
        if kind is None or client_uuid is None or recorded_at is None or type(data) is not dict:
            return None  # missing or null: the serializer's own messages
        fields = self.fields
        try:
            return {"kind": fields["kind"].to_internal_value(kind),
                    "client_uuid": fields["client_uuid"].to_internal_value(client_uuid),
                    "recorded_at": fields["recorded_at"].to_internal_value(recorded_at), "data": data}  # fmt: skip
        except serializers.ValidationError:
            return None


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

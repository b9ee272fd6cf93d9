"""Input and output of the enforcement API. Validation of meaning lives in the services (and the models'
constraints); these check shapes, resolve references among what the user may see, and leave suspects and
cases out of what anyone but the reserve's managers and administrators is shown."""

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from patrol.patrols.selectors import patrols_for_user
from patrol.reserves.api.base import (
    ReserveField,
    UserScopedPrimaryKeyField,
    refuse_nul,
    validate_wgs84,
)
from patrol.reserves.selectors import reserves_for_user, teams_for_user
from threats.enforcement.models import Case, CaseEvent, CustodyEvent, EnforcementAction, EvidenceItem, Suspect
from threats.enforcement.selectors import (
    actions_for_user,
    cases_for_user,
    evidence_for_user,
    manager_reserve_ids,
    suspects_for_user,
)
from threats.records.api.serializers import GeneralisedPointFeatureSerializer, PointGeometryField
from threats.records.selectors import incidents_for_user, snare_finds_for_user


class MemberUsernameField(serializers.SlugRelatedField):
    """A person by username, among the members of the requesting user's reserves (others look nonexistent)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="username", **kwargs)

    def get_queryset(self):  # type: ignore[override]
        reserves = reserves_for_user(user=self.context["request"].user)
        return get_user_model().objects.filter(memberships__reserve__in=reserves).distinct()

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(refuse_nul(data))


def _point(value):
    if value is None:
        return None
    if value.geom_type != "Point":
        raise serializers.ValidationError(_("A location must be a GeoJSON Point."))
    return validate_wgs84(value)


class ManagersOnlyMixin:
    """Drops `managers_only` fields from what users other than the reserve's managers and admins see."""

    managers_only: tuple[str, ...] = ()

    def _manager_reserves(self) -> set[int]:
        cache = self.context.setdefault("_manager_reserves", {})
        user = self.context["request"].user
        if user.pk not in cache:
            cache[user.pk] = set(manager_reserve_ids(user=user).values_list("reserve_id", flat=True))
        return cache[user.pk]

    def hide_for_non_managers(self, instance: Any, data: dict[str, Any]) -> dict[str, Any]:
        if self.context["request"].user.is_superuser or instance.reserve_id in self._manager_reserves():
            return data
        for name in self.managers_only:
            data.pop(name, None)
        return data


class EnforcementActionSerializer(ManagersOnlyMixin, GeneralisedPointFeatureSerializer):
    """A GeoJSON Feature at `display_location` (exact with sensitive clearance, else at the grid cell)."""

    managers_only = ("suspects", "case")
    reserve = ReserveField()
    location = PointGeometryField(write_only=True, required=False, allow_null=True)
    display_location = PointGeometryField(read_only=True)
    location_generalised = serializers.BooleanField(read_only=True)
    patrol = UserScopedPrimaryKeyField(selector=patrols_for_user, required=False, allow_null=True)
    team = UserScopedPrimaryKeyField(selector=teams_for_user, required=False, allow_null=True)
    officers = MemberUsernameField(many=True, required=False)
    incidents = UserScopedPrimaryKeyField(selector=incidents_for_user, many=True, required=False)
    snare_finds = UserScopedPrimaryKeyField(selector=snare_finds_for_user, many=True, required=False)
    suspects = UserScopedPrimaryKeyField(selector=suspects_for_user, many=True, required=False)
    case = UserScopedPrimaryKeyField(selector=cases_for_user, required=False, allow_null=True)
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    reported_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = EnforcementAction
        geo_field = "display_location"
        fields = [
            "id", "reserve", "kind", "taken_at", "location", "display_location", "location_generalised", "place_name",
            "patrol", "team", "officers", "incidents", "snare_finds", "suspects", "case", "protocol_number",
            "fine_amount", "fine_currency", "description", "evidence", "reported_by", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def unformat_geojson(self, feature):
        attrs = super().unformat_geojson(feature)
        if "display_location" in attrs:
            attrs["location"] = attrs.pop("display_location")
        return attrs

    def validate_location(self, value):
        return _point(value)

    def to_representation(self, instance):
        feature = super().to_representation(instance)
        self.hide_for_non_managers(instance, feature["properties"])
        return feature


class SuspectSerializer(serializers.ModelSerializer):
    reserve = ReserveField()

    class Meta:
        model = Suspect
        fields = ["id", "reserve", "full_name", "birth_year", "locality", "document", "notes", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]


class CaseEventSerializer(serializers.ModelSerializer):
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "kind", "occurred_on", "description", "recorded_by", "created_at"]
        read_only_fields = ["created_at"]


class CaseSerializer(serializers.ModelSerializer):
    reserve = ReserveField()
    incidents = UserScopedPrimaryKeyField(selector=incidents_for_user, many=True, required=False)
    suspects = UserScopedPrimaryKeyField(selector=suspects_for_user, many=True, required=False)
    actions = UserScopedPrimaryKeyField(selector=actions_for_user, many=True, required=False)
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    events = CaseEventSerializer(many=True, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id", "reserve", "number", "agency", "status", "charges", "verdict", "fine_amount", "fine_currency",
            "prison_months", "conditional", "opened_on", "charged_on", "verdict_on", "closed_on", "incidents",
            "suspects", "actions", "evidence", "events", "notes", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []  # (reserve, agency, number) is unique: the service answers in the error shape

    def validate(self, attrs):
        if self.instance is not None and "actions" in attrs:
            raise serializers.ValidationError({"actions": [_("Link actions to a case from the action.")]})
        return attrs


class CustodyEventSerializer(serializers.ModelSerializer):
    item = UserScopedPrimaryKeyField(selector=evidence_for_user)
    from_user = MemberUsernameField(required=False, allow_null=True)
    to_user = MemberUsernameField(required=False, allow_null=True)
    location = PointGeometryField(required=False, allow_null=True, write_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CustodyEvent
        fields = ["id", "item", "kind", "occurred_at", "from_user", "from_name", "to_user", "to_name", "place_name",
                  "location", "notes", "recorded_by", "recorded_at", "chain_sha256"]  # fmt: skip
        read_only_fields = ["recorded_at", "chain_sha256"]

    def validate_location(self, value):
        return _point(value)


class EvidenceItemSerializer(ManagersOnlyMixin, serializers.ModelSerializer):
    """JSON, or multipart with the original in `file` (its SHA-256 is computed on receipt)."""

    managers_only = ("case",)
    reserve = ReserveField()
    action = UserScopedPrimaryKeyField(selector=actions_for_user, required=False, allow_null=True)
    case = UserScopedPrimaryKeyField(selector=cases_for_user, required=False, allow_null=True)
    incident = UserScopedPrimaryKeyField(selector=incidents_for_user, required=False, allow_null=True)
    collected_by = MemberUsernameField(required=False, allow_null=True)
    location = PointGeometryField(required=False, allow_null=True, write_only=True)
    display_location = PointGeometryField(read_only=True)
    location_generalised = serializers.BooleanField(read_only=True)
    file = serializers.FileField(write_only=True, required=False, allow_empty_file=True)
    has_original = serializers.SerializerMethodField()
    custody = CustodyEventSerializer(source="custody_events", many=True, read_only=True)

    class Meta:
        model = EvidenceItem
        fields = [
            "id", "reserve", "kind", "quantity", "description", "action", "case", "incident", "collected_by",
            "collected_at", "location", "display_location", "location_generalised", "place_name", "file",
            "has_original", "sha256", "size_bytes", "content_type", "original_name", "custody", "created_at",
        ]  # fmt: skip
        read_only_fields = ["sha256", "size_bytes", "content_type", "original_name", "created_at"]

    def get_has_original(self, item) -> bool:
        return bool(item.path)

    def validate_location(self, value):
        return _point(value)

    def validate(self, attrs):
        if self.instance is not None:
            fixed = sorted(set(attrs) & {"file", "kind", "collected_by", "collected_at", "location"})
            if fixed:
                raise serializers.ValidationError({name: [_("Fixed when the item was registered.")] for name in fixed})
        return attrs

    def to_representation(self, instance):
        return self.hide_for_non_managers(instance, super().to_representation(instance))

from django.contrib.auth import get_user_model
from rest_framework import serializers

from patrol.patrols.models import Patrol
from patrol.reserves.api.base import (
    FeatureSerializer,
    ReserveField,
    UsernameField,
    UserScopedPrimaryKeyField,
    validate_wgs84,
)
from patrol.reserves.selectors import posts_for_user, teams_for_user


class PatrolSerializer(FeatureSerializer):
    reserve = ReserveField()
    team = UserScopedPrimaryKeyField(selector=teams_for_user)
    post = UserScopedPrimaryKeyField(selector=posts_for_user, required=False, allow_null=True)
    leader = UsernameField(
        slug_field="username", queryset=get_user_model().objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Patrol
        geo_field = "track"
        fields = [
            "id", "reserve", "team", "leader", "post", "planned_start", "planned_end", "actual_start", "actual_end",
            "status", "transport", "objective", "planned_route", "planned_waypoints", "version", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["version", "created_at", "updated_at"]

    def validate_track(self, value):
        return validate_wgs84(value)

    def validate_planned_route(self, value):
        return validate_wgs84(value)

    def validate_planned_waypoints(self, value):
        return validate_wgs84(value)

    def validate(self, attrs):
        start = attrs.get("planned_start", getattr(self.instance, "planned_start", None))
        end = attrs.get("planned_end", getattr(self.instance, "planned_end", None))
        if start and end and end <= start:
            raise serializers.ValidationError({"planned_end": ["The planned end must be after the planned start."]})
        start = attrs.get("actual_start", getattr(self.instance, "actual_start", None))
        end = attrs.get("actual_end", getattr(self.instance, "actual_end", None))
        if start and end and end <= start:
            raise serializers.ValidationError({"actual_end": ["The actual end must be after the actual start."]})
        return attrs

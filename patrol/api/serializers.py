from django.contrib.auth import get_user_model
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from patrol.api.base import ReserveField, UserScopedPrimaryKeyField, validate_wgs84
from patrol.models import AccessPoint, Patrol, Post, Reserve, Team, Zone
from patrol.selectors import teams_for_user


class ReserveSerializer(GeoFeatureModelSerializer):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Reserve
        geo_field = "boundary"
        fields = ["id", "name", "slug", "projected_epsg", "timezone", "sensitive_grid_degrees", "role"]

    def get_role(self, reserve: Reserve) -> str | None:
        return self.context.get("roles", {}).get(reserve.pk)


class PlaceSerializer(GeoFeatureModelSerializer):
    reserve = ReserveField()

    def validate_location(self, value):
        return validate_wgs84(value)

    def validate_area(self, value):
        return validate_wgs84(value)


class PostSerializer(PlaceSerializer):
    class Meta:
        model = Post
        geo_field = "location"
        fields = ["id", "reserve", "name", "kind"]


class AccessPointSerializer(PlaceSerializer):
    class Meta:
        model = AccessPoint
        geo_field = "location"
        fields = ["id", "reserve", "name", "kind"]


class ZoneSerializer(PlaceSerializer):
    class Meta:
        model = Zone
        geo_field = "area"
        fields = ["id", "reserve", "name", "kind"]


class TeamSerializer(serializers.ModelSerializer):
    reserve = ReserveField()
    members = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "reserve", "name", "members", "home_post"]


class PatrolSerializer(GeoFeatureModelSerializer):
    reserve = ReserveField()
    team = UserScopedPrimaryKeyField(selector=teams_for_user)
    leader = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Patrol
        geo_field = "track"
        fields = [
            "id", "reserve", "team", "leader", "planned_start", "planned_end", "actual_start", "actual_end",
            "status", "transport", "objective", "planned_route", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["version", "created_at", "updated_at"]

    def validate_track(self, value):
        return validate_wgs84(value)

    def validate_planned_route(self, value):
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

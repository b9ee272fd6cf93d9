from rest_framework import serializers

from patrol.reserves.api.base import FeatureSerializer, ReserveField, validate_wgs84
from patrol.reserves.models import AccessPoint, Post, Reserve, Team, Zone


class ReserveSerializer(FeatureSerializer):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Reserve
        geo_field = "boundary"
        fields = ["id", "name", "slug", "projected_epsg", "timezone", "sensitive_grid_degrees", "role"]

    def get_role(self, reserve: Reserve) -> str | None:
        return self.context.get("roles", {}).get(reserve.pk)


class PlaceSerializer(FeatureSerializer):
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

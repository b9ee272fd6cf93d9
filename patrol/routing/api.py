"""Route suggestions: ask for one (computed in the background), read it, download it as GPX or KML."""

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound

from patrol.patrols.models import Patrol
from patrol.reserves.api.base import (
    BBoxFilter,
    FeatureSerializer,
    GeoPagination,
    ReserveField,
    UserScopedPrimaryKeyField,
)
from patrol.reserves.selectors import posts_for_user
from patrol.routing.models import RoutePlan
from patrol.routing.selectors import route_plans_for_user
from patrol.routing.services import route_plan_request
from patrol.terrain.models import ValleyReach
from patrol.terrain.selectors import valley_reaches_for_user


class RoutePlanSerializer(serializers.ModelSerializer):
    reserve = ReserveField()
    start_post = UserScopedPrimaryKeyField(selector=posts_for_user)
    end_post = UserScopedPrimaryKeyField(selector=posts_for_user, required=False, allow_null=True)
    hours = serializers.FloatField(min_value=0.5, max_value=24, help_text=_("Walking hours (per day)."))
    days = serializers.IntegerField(min_value=1, max_value=14, default=1)
    radius_m = serializers.FloatField(min_value=10, max_value=1000, default=100)
    max_slope_deg = serializers.FloatField(min_value=5, max_value=80, default=40)
    transport = serializers.ChoiceField(choices=Patrol.Transport.choices, default="foot")
    alternatives = serializers.IntegerField(min_value=1, max_value=5, default=1)
    avoid_recent_days = serializers.IntegerField(min_value=0, max_value=365, default=14)

    class Meta:
        model = RoutePlan
        fields = [
            "id", "reserve", "start_post", "end_post", "hours", "days", "radius_m", "max_slope_deg", "transport",
            "alternatives", "avoid_recent_days", "status", "error", "risk_source", "routes", "created_at",
            "finished_at",
        ]  # fmt: skip
        read_only_fields = ["status", "error", "risk_source", "routes", "created_at", "finished_at"]

    def validate(self, attrs):
        if attrs.get("days", 1) > 1 and attrs.get("alternatives", 1) > 1:
            raise serializers.ValidationError({"alternatives": [_("Alternatives are for one-day routes.")]})
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # GPX and KML are served by their own endpoints; the JSON carries the GeoJSON only.
        data["routes"] = [route["feature_collection"] for route in instance.routes]
        return data


ROUTE_PARAMETER = OpenApiParameter("route", int, description="Which alternative (1-based), default 1")


class RoutePlanViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin,
                       viewsets.GenericViewSet):  # fmt: skip
    """Managers ask for route suggestions; analysts may read them; rangers get the routes they are sent."""

    serializer_class = RoutePlanSerializer

    def get_queryset(self):
        return route_plans_for_user(user=self.request.user)

    def perform_create(self, serializer):
        plan = route_plan_request(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=plan.pk)

    def _route(self, kind: str) -> HttpResponse:
        plan = self.get_object()
        try:
            index = int(self.request.query_params.get("route", "1")) - 1
            route = plan.routes[index] if index >= 0 else None
        except (ValueError, IndexError):
            route = None
        if route is None:
            raise NotFound(_("No such route in this plan (is it computed yet?)."))
        content_type = {"gpx": "application/gpx+xml", "kml": "application/vnd.google-earth.kml+xml"}[kind]
        response = HttpResponse(route[kind], content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="route-{plan.pk}-{index + 1}.{kind}"'
        return response

    @extend_schema(parameters=[ROUTE_PARAMETER], responses={(200, "application/gpx+xml"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"])
    def gpx(self, request, pk=None):
        return self._route("gpx")

    @extend_schema(
        parameters=[ROUTE_PARAMETER], responses={(200, "application/vnd.google-earth.kml+xml"): OpenApiTypes.STR}
    )
    @action(detail=True, methods=["get"])
    def kml(self, request, pk=None):
        return self._route("kml")


class ValleyReachSerializer(FeatureSerializer):
    reserve = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ValleyReach
        geo_field = "geometry"
        fields = ["id", "reserve", "reach_id", "name", "length_m", "catchment_km2"]


class ValleyReachViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ValleyReachSerializer
    pagination_class = GeoPagination  # a FeatureCollection page, as every other GeoJSON list
    filter_backends = [DjangoFilterBackend, BBoxFilter]
    filterset_fields = {"reserve__slug": ["exact"]}
    bbox_filter_field = "geometry"
    bbox_filter_include_overlapping = True

    def get_queryset(self):
        return valley_reaches_for_user(user=self.request.user)

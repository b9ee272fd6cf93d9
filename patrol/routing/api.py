"""Route suggestions: ask for one (computed in the background), read it, download it as GPX or KML."""

from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import CharFilter, DjangoFilterBackend, FilterSet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from patrol.patrols.models import Patrol
from patrol.reserves.api.base import (
    BBoxFilter,
    FeatureSerializer,
    GeoPagination,
    ReserveField,
    UsernameField,
    UserScopedPrimaryKeyField,
)
from patrol.reserves.selectors import posts_for_user, teams_for_user
from patrol.routing.models import RoutePlan
from patrol.routing.selectors import route_plans_for_user
from patrol.routing.services import patrol_create_from_plan, route_plan_request
from patrol.terrain.models import ValleyReach
from patrol.terrain.selectors import valley_reaches_for_user


def valley_names_field(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=5,
                                 default=list, help_text=help_text)  # fmt: skip


@extend_schema_serializer(examples=[OpenApiExample(
    "An 8-hour patrol from a post and back, three alternatives", request_only=True,
    value={"reserve": "argut-demo", "start_post": 1, "hours": 8, "alternatives": 3, "team": 1,
           "planned_date": "2026-12-10", "must_pass": ["Shavla"]},
)])  # fmt: skip
class RoutePlanSerializer(serializers.ModelSerializer):
    reserve = ReserveField()
    start_post = UserScopedPrimaryKeyField(selector=posts_for_user, help_text=_("The post's ID (/api/v1/posts/)."))
    end_post = UserScopedPrimaryKeyField(
        selector=posts_for_user, required=False, allow_null=True,
        help_text=_("Another post to end at (its ID); leave it out or null to return to the start."),
    )  # fmt: skip
    team = UserScopedPrimaryKeyField(selector=teams_for_user, required=False, allow_null=True)
    planned_date = serializers.DateField(required=False, allow_null=True)
    start_time = serializers.TimeField(
        required=False, allow_null=True, help_text=_("Local time in the reserve's time zone (default 08:00).")
    )
    must_pass = valley_names_field(_("Valleys (by name, /api/v1/valley-reaches/) the route must pass, in order."))
    avoid = valley_names_field(_("Valleys (by name) the route must not enter."))
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
            "id", "reserve", "start_post", "end_post", "team", "planned_date", "start_time", "hours", "days",
            "radius_m", "max_slope_deg", "transport", "alternatives", "avoid_recent_days", "must_pass", "avoid",
            "status", "progress", "error", "risk_source", "routes", "patrol", "created_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = ["status", "progress", "error", "risk_source", "routes", "patrol", "created_at",
                            "finished_at"]  # fmt: skip

    def validate(self, attrs):
        if attrs.get("days", 1) > 1 and attrs.get("alternatives", 1) > 1:
            raise serializers.ValidationError({"alternatives": [_("Alternatives are for one-day routes.")]})
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # GPX and KML are served by their own endpoints; the JSON carries the GeoJSON only.
        data["routes"] = [route["feature_collection"] for route in instance.routes]
        return data


@extend_schema_field(OpenApiTypes.INT)
class TeamIdField(UserScopedPrimaryKeyField):
    """A team by ID, among the user's teams (typed for the schema: this serializer has no model)."""


class RoutePlanAcceptSerializer(serializers.Serializer):
    route = serializers.IntegerField(min_value=1, max_value=5, default=1, help_text=_("Which route (1-based)."))
    team = TeamIdField(selector=teams_for_user, required=False, allow_null=True,
                                     help_text=_("Default: the plan's team."))  # fmt: skip
    leader = UsernameField(
        slug_field="username", queryset=get_user_model().objects.all(), required=False, allow_null=True,
        help_text=_("A member's username (optional)."),
    )  # fmt: skip


ROUTE_PARAMETER = OpenApiParameter("route", int, description="Which alternative (1-based), default 1")


class RoutePlanViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin,
                       viewsets.GenericViewSet):  # fmt: skip
    """Managers ask for route suggestions and accept one as a planned patrol; analysts and rangers see none
    (a plan for a team and a day is a future patrol)."""

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

    @extend_schema(request=RoutePlanAcceptSerializer, responses={201: OpenApiTypes.OBJECT},
                   summary="Accept a route: a planned patrol for the plan's team and date")  # fmt: skip
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        plan = self.get_object()
        body = RoutePlanAcceptSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        patrol = patrol_create_from_plan(actor=request.user, plan=plan, **body.validated_data)
        zone = ZoneInfo(plan.reserve.timezone)  # as the manager typed them: the reserve's local time
        return Response({"patrol": patrol.pk, "team": patrol.team_id, "timezone": plan.reserve.timezone,
                         "planned_start": patrol.planned_start.astimezone(zone).isoformat(),
                         "planned_end": patrol.planned_end.astimezone(zone).isoformat()}, status=201)  # fmt: skip

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


class ValleyReachFilter(FilterSet):
    name = CharFilter(field_name="name", help_text=_("A valley's name: all its reaches."))

    class Meta:
        model = ValleyReach
        fields = {"reserve__slug": ["exact"]}


class ValleyReachViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ValleyReachSerializer
    pagination_class = GeoPagination  # a FeatureCollection page, as every other GeoJSON list
    filter_backends = [DjangoFilterBackend, BBoxFilter]
    filterset_class = ValleyReachFilter
    bbox_filter_field = "geometry"
    bbox_filter_include_overlapping = True

    def get_queryset(self):
        return valley_reaches_for_user(user=self.request.user)

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken

from patrol.reserves import services
from patrol.reserves.api.base import BBoxFilter, GeoPagination, LoginThrottledError, ScopedViewSet
from patrol.reserves.api.serializers import (
    AccessPointSerializer,
    PostSerializer,
    ReserveSerializer,
    TeamSerializer,
    ZoneSerializer,
)
from patrol.reserves.logins import LoginThrottled, authenticate_throttled
from patrol.reserves.models import Membership
from patrol.reserves.selectors import (
    access_points_for_user,
    posts_for_user,
    reserves_for_user,
    teams_for_user,
    zones_for_user,
)


class ReserveViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ReserveSerializer
    pagination_class = GeoPagination
    lookup_field = "slug"

    def get_queryset(self):
        return reserves_for_user(user=self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["roles"] = dict(Membership.objects.filter(user=self.request.user).values_list("reserve_id", "role"))
        return context


class ReserveFilter(django_filters.FilterSet):
    reserve = django_filters.CharFilter(field_name="reserve__slug")


class PlaceViewSet(ScopedViewSet):
    pagination_class = GeoPagination
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, BBoxFilter]
    filterset_class = ReserveFilter
    bbox_filter_include_overlapping = True
    update_service = staticmethod(lambda actor, obj, data: services.place_update(actor=actor, instance=obj, data=data))
    delete_service = staticmethod(lambda actor, obj: services.place_delete(actor=actor, instance=obj))


class PostViewSet(PlaceViewSet):
    serializer_class = PostSerializer
    selector = staticmethod(posts_for_user)
    create_service = staticmethod(services.post_create)
    bbox_filter_field = "location"


class AccessPointViewSet(PlaceViewSet):
    serializer_class = AccessPointSerializer
    selector = staticmethod(access_points_for_user)
    create_service = staticmethod(services.access_point_create)
    bbox_filter_field = "location"


class ZoneViewSet(PlaceViewSet):
    serializer_class = ZoneSerializer
    selector = staticmethod(zones_for_user)
    create_service = staticmethod(services.zone_create)
    bbox_filter_field = "area"


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer
    filterset_class = ReserveFilter

    def get_queryset(self):
        return teams_for_user(user=self.request.user).prefetch_related("members")


class ThrottledAuthTokenSerializer(AuthTokenSerializer):
    def validate(self, attrs):
        try:
            user = authenticate_throttled(
                self.context["request"], username=attrs["username"], password=attrs["password"]
            )
        except LoginThrottled as exc:
            raise LoginThrottledError(exc) from exc
        if user is None:
            raise exceptions.ValidationError(_("Unable to log in with provided credentials."), code="authorization")
        attrs["user"] = user
        return attrs


class AuthTokenView(ObtainAuthToken):
    """POST username and password: the user's API token. Failed sign-ins are throttled (patrol/reserves/logins.py)."""

    serializer_class = ThrottledAuthTokenSerializer

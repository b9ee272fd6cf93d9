import django_filters
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from patrol.patrols import services
from patrol.patrols.api.serializers import PatrolSerializer
from patrol.patrols.coverage import patrol_plan_comparison
from patrol.patrols.models import Patrol
from patrol.patrols.selectors import patrols_for_user
from patrol.reserves.api.base import BBoxFilter, GeoPagination, ScopedViewSet, TimeFilter
from patrol.reserves.api.views import ReserveFilter


class PatrolFilter(ReserveFilter):
    start = TimeFilter(field_name="planned_start", lookup_expr="gte", label="Planned start from")
    end = TimeFilter(field_name="planned_start", lookup_expr="lt", label="Planned start before")
    status = django_filters.ChoiceFilter(choices=Patrol.Status.choices)
    team = django_filters.NumberFilter(field_name="team_id")

    class Meta:
        model = Patrol
        fields = ["reserve", "start", "end", "status", "team"]


class PatrolViewSet(ScopedViewSet):
    serializer_class = PatrolSerializer
    pagination_class = GeoPagination
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, BBoxFilter]
    filterset_class = PatrolFilter
    bbox_filter_field = "track"
    bbox_filter_include_overlapping = True
    selector = staticmethod(patrols_for_user)
    create_service = staticmethod(services.patrol_create)
    update_service = staticmethod(lambda actor, obj, data: services.patrol_update(actor=actor, patrol=obj, data=data))
    delete_service = staticmethod(lambda actor, obj: services.patrol_delete(actor=actor, patrol=obj))

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def comparison(self, request: Request, pk: str | None = None) -> Response:
        """The patrol's plan against what it did: share of the planned route followed (within a buffer, in
        the reserve's projected CRS), planned high-risk cells covered, time, distance and finds."""
        return Response(patrol_plan_comparison(user=request.user, patrol=self.get_object()))

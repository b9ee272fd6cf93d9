import django_filters

from patrol.patrols import services
from patrol.patrols.api.serializers import PatrolSerializer
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

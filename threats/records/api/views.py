import django_filters
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action

from patrol.reserves.api.base import BBoxFilter, GeoPagination, ScopedViewSet, TimeFilter
from threats.records import services
from threats.records.api.serializers import (
    CameraDeploymentSerializer,
    DetectionSerializer,
    IncidentSerializer,
    SnareFindSerializer,
    SpeciesSerializer,
)
from threats.records.exports import export_rows
from threats.records.models import Detection, Incident, SnareFind
from threats.records.selectors import (
    camera_deployments_for_user,
    detections_for_user,
    incidents_for_user,
    snare_finds_for_user,
    species_list,
)


def _record_filter(model, time_field: str, extra: list[str]) -> type[django_filters.FilterSet]:
    """A FilterSet with the filters every record list shares: reserve, time range, patrol.

    Time and patrol filter on what the user may see (`display_time`, `display_patrol_id`): filters on the
    exact values would find the exact time or the patrol of a generalised record by bisection."""
    attrs = {
        "reserve": django_filters.CharFilter(field_name="reserve__slug"),
        "start": TimeFilter(field_name="display_time", lookup_expr="gte", label="From (inclusive)"),
        "end": TimeFilter(field_name="display_time", lookup_expr="lt", label="Until (exclusive)"),
        "patrol": django_filters.NumberFilter(field_name="display_patrol_id"),
        "Meta": type("Meta", (), {"model": model, "fields": ["reserve", "start", "end", "patrol", *extra]}),
    }
    if "species" in extra:
        attrs["species"] = django_filters.CharFilter(field_name="species__scientific_name", label="Scientific name")
    if "catch_species" in extra:
        attrs["catch_species"] = django_filters.CharFilter(field_name="catch_species__scientific_name")
    return type(f"{model.__name__}Filter", (django_filters.FilterSet,), attrs)


class RecordViewSet(ScopedViewSet):
    """Record lists, plus `export/`: the same filtered rows as CSV (generalised where the list is)."""

    pagination_class = GeoPagination
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, BBoxFilter]
    # Filter on what the user may see: a bounding box on the exact point would reveal it.
    bbox_filter_field = "display_location"
    bbox_filter_include_overlapping = True
    update_service = staticmethod(lambda actor, obj, data: services.record_update(actor=actor, record=obj, data=data))
    delete_service = staticmethod(lambda actor, obj: services.record_delete(actor=actor, record=obj))

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        rows = export_rows(self.filter_queryset(self.get_queryset()))
        name = self.get_queryset().model._meta.model_name
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}s.csv"'
        return response


class SnareFindViewSet(RecordViewSet):
    serializer_class = SnareFindSerializer
    filterset_class = _record_filter(SnareFind, "found_at", ["catch_species", "state", "material"])
    selector = staticmethod(snare_finds_for_user)
    create_service = staticmethod(services.snare_find_create)


class IncidentViewSet(RecordViewSet):
    serializer_class = IncidentSerializer
    filterset_class = _record_filter(Incident, "occurred_at", ["kind"])
    selector = staticmethod(incidents_for_user)
    create_service = staticmethod(services.incident_create)


class DetectionViewSet(RecordViewSet):
    serializer_class = DetectionSerializer
    filterset_class = _record_filter(Detection, "observed_at", ["species", "method", "individual_id"])
    selector = staticmethod(detections_for_user)
    create_service = staticmethod(services.detection_create)


class CameraDeploymentViewSet(ScopedViewSet):
    serializer_class = CameraDeploymentSerializer
    pagination_class = GeoPagination
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, BBoxFilter]
    bbox_filter_field = "display_location"
    bbox_filter_include_overlapping = True
    filterset_class = type(
        "CameraDeploymentFilter",
        (django_filters.FilterSet,),
        {"reserve": django_filters.CharFilter(field_name="reserve__slug")},
    )
    selector = staticmethod(camera_deployments_for_user)
    create_service = staticmethod(services.camera_deployment_create)
    update_service = staticmethod(
        lambda actor, obj, data: services.camera_deployment_update(actor=actor, deployment=obj, data=data)
    )
    delete_service = staticmethod(lambda actor, obj: services.record_delete(actor=actor, record=obj))


class SpeciesViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SpeciesSerializer
    pagination_class = None

    def get_queryset(self):
        return species_list()

"""Enforcement API under /api/v1/: thin views over the selectors (reads) and services (writes).

- enforcement-actions/: every member reads what their role may see (rangers: their teams'); rangers, managers
  and admins log; managers and admins correct. Suspects and the case appear only for managers and admins.
- suspects/, cases/ (with events/ and bundle/): managers and administrators of the reserve only.
- evidence/ (with original/): registered with the original file; never deleted.
- custody-events/: read and append (POST) only; there is no PUT, PATCH or DELETE.
"""

import django_filters
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from patrol.reserves.api.base import BBoxFilter, GeoPagination, ScopedViewSet
from threats.enforcement import services
from threats.enforcement.api.serializers import (
    CaseEventSerializer,
    CaseSerializer,
    CustodyEventSerializer,
    EnforcementActionSerializer,
    EvidenceItemSerializer,
    SuspectSerializer,
)
from threats.enforcement.bundle import BUNDLE_LANGUAGES, case_bundle_write
from threats.enforcement.files import EXTENSIONS, private_root
from threats.enforcement.models import Case, CustodyEvent, EnforcementAction, EvidenceItem, Suspect
from threats.enforcement.selectors import (
    actions_for_user,
    cases_for_user,
    custody_events_for_user,
    evidence_for_user,
    may_download_original,
    suspects_for_user,
)


def _filter(model, name: str, extra: dict) -> type[django_filters.FilterSet]:
    attrs = {
        "reserve": django_filters.CharFilter(field_name="reserve__slug"),
        **extra,
        "Meta": type("Meta", (), {"model": model, "fields": ["reserve", *extra]}),
    }
    return type(name, (django_filters.FilterSet,), attrs)


def _refuse(*args, **kwargs):
    raise PermissionDenied(_("This cannot be deleted."))


class EnforcementActionViewSet(ScopedViewSet):
    serializer_class = EnforcementActionSerializer
    pagination_class = GeoPagination
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, BBoxFilter]
    bbox_filter_field = "display_location"
    bbox_filter_include_overlapping = True
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = _filter(EnforcementAction, "EnforcementActionFilter", {
        "kind": django_filters.ChoiceFilter(choices=EnforcementAction.Kind.choices),
        "start": django_filters.IsoDateTimeFilter(field_name="taken_at", lookup_expr="gte"),
        "end": django_filters.IsoDateTimeFilter(field_name="taken_at", lookup_expr="lt"),
        "team": django_filters.NumberFilter(field_name="team_id"),
        "patrol": django_filters.NumberFilter(field_name="patrol_id"),
        "incident": django_filters.NumberFilter(field_name="incidents"),
    })  # fmt: skip
    create_service = staticmethod(services.enforcement_action_create)
    update_service = staticmethod(
        lambda actor, obj, data: services.enforcement_action_update(actor=actor, action=obj, data=data)
    )
    delete_service = staticmethod(_refuse)

    @staticmethod
    def selector(*, user):
        return actions_for_user(user=user).prefetch_related("officers", "incidents", "snare_finds", "suspects",
                                                            "evidence")  # fmt: skip


class SuspectViewSet(ScopedViewSet):
    """Personal data: the reserve's managers and administrators only (others see no suspects at all)."""

    serializer_class = SuspectSerializer
    filterset_class = _filter(Suspect, "SuspectFilter", {})
    selector = staticmethod(suspects_for_user)
    create_service = staticmethod(services.suspect_create)
    update_service = staticmethod(lambda actor, obj, data: services.suspect_update(actor=actor, suspect=obj, data=data))
    delete_service = staticmethod(lambda actor, obj: services.suspect_delete(actor=actor, suspect=obj))


class CaseViewSet(ScopedViewSet):
    serializer_class = CaseSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = _filter(Case, "CaseFilter", {
        "status": django_filters.ChoiceFilter(choices=Case.Status.choices),
        "verdict": django_filters.ChoiceFilter(choices=Case.Verdict.choices[1:]),
    })  # fmt: skip
    create_service = staticmethod(services.case_create)
    update_service = staticmethod(lambda actor, obj, data: services.case_update(actor=actor, case=obj, data=data))
    delete_service = staticmethod(_refuse)

    @staticmethod
    def selector(*, user):
        return cases_for_user(user=user).prefetch_related("incidents", "suspects", "actions", "evidence",
                                                          "events__recorded_by")  # fmt: skip

    @extend_schema(request=CaseEventSerializer, responses={201: CaseEventSerializer})
    @action(detail=True, methods=["post"], url_path="events")
    def events(self, request: Request, pk=None) -> Response:
        case = self.get_object()
        body = CaseEventSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        event = services.case_event_create(actor=request.user, case=case, **body.validated_data)
        return Response(CaseEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("lang", str, enum=list(BUNDLE_LANGUAGES), description="PDF language")],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path="bundle")
    def bundle(self, request: Request, pk=None) -> FileResponse:
        """The evidence bundle for the prosecutor: originals, manifest (hashes and custody), PDF summary."""
        case = self.get_object()
        language = request.query_params.get("lang", "en")
        if language not in BUNDLE_LANGUAGES:
            raise serializers.ValidationError({"lang": [_("Choose one of: %(langs)s.")
                                                        % {"langs": ", ".join(BUNDLE_LANGUAGES)}]})  # fmt: skip
        stream = case_bundle_write(actor=request.user, case=case, language=language)
        name = f"case-{case.pk}-evidence.zip"
        return FileResponse(stream, as_attachment=True, filename=name, content_type="application/zip")


class EvidenceItemViewSet(ScopedViewSet):
    serializer_class = EvidenceItemSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = _filter(EvidenceItem, "EvidenceItemFilter", {
        "kind": django_filters.ChoiceFilter(choices=EvidenceItem.Kind.choices),
        "case": django_filters.NumberFilter(field_name="case_id"),
        "action": django_filters.NumberFilter(field_name="action_id"),
        "incident": django_filters.NumberFilter(field_name="incident_id"),
    })  # fmt: skip
    update_service = staticmethod(
        lambda actor, obj, data: services.evidence_item_update(actor=actor, item=obj, data=data)
    )
    delete_service = staticmethod(_refuse)

    @staticmethod
    def selector(*, user):
        return evidence_for_user(user=user).prefetch_related(
            "custody_events__from_user", "custody_events__to_user", "custody_events__recorded_by"
        )

    @staticmethod
    def create_service(*, actor, file=None, **fields):
        if file is not None:
            fields.update(stream=file, content_type=file.content_type or "", original_name=file.name or "")
        return services.evidence_item_create(actor=actor, **fields)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="original")
    def original(self, request: Request, pk=None) -> FileResponse:
        """The original file, byte for byte: for the reserve's managers and admins and the collector."""
        item = self.get_object()
        if not item.path:
            raise Http404
        if not may_download_original(user=request.user, item=item):
            raise PermissionDenied(_("Only managers, administrators and the collector may open the original."))
        path = private_root() / item.path
        if not path.is_file():
            raise Http404
        # Always a download, never rendered in the app's origin: an uploaded HTML or SVG "photo" must not run.
        content_type = item.content_type if item.content_type in EXTENSIONS else "application/octet-stream"
        name = f"evidence-{item.pk}.{EXTENSIONS.get(item.content_type, 'bin')}"
        response = FileResponse(open(path, "rb"), content_type=content_type, as_attachment=True, filename=name)
        response["X-Content-SHA256"] = item.sha256
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response


class CustodyEventViewSet(ScopedViewSet):
    """Append-only: GET and POST; a hand-over is never changed or deleted (a correction is a new event)."""

    serializer_class = CustodyEventSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_class = type("CustodyEventFilter", (django_filters.FilterSet,), {
        "reserve": django_filters.CharFilter(field_name="item__reserve__slug"),
        "item": django_filters.NumberFilter(field_name="item_id"),
        "Meta": type("Meta", (), {"model": CustodyEvent, "fields": ["reserve", "item"]}),
    })  # fmt: skip
    selector = staticmethod(custody_events_for_user)
    create_service = staticmethod(services.custody_event_create)

"""Pieces every Irbis API endpoint shares: reserve-scoped querysets, input checks, pagination."""

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.contrib.gis.geos import GEOSGeometry
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework_gis.filters import InBBoxFilter
from rest_framework_gis.pagination import GeoJsonPagination
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from patrol.reserves.logins import LoginThrottled
from patrol.reserves.selectors import reserves_for_user


class GeoPagination(GeoJsonPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """A page as it is sent: the list serializer's FeatureCollection (`schema`, drf-spectacular's component
        for it: `type` and `features`) with `count`, `next` and `previous` beside `features`.

        rest_framework_gis documents `features` as the whole collection and still requires `results`.
        """
        page = PageNumberPagination.get_paginated_response_schema(self, schema)["properties"]
        return {
            "allOf": [
                schema,
                {
                    "type": "object",
                    "required": ["type", "count", "next", "previous", "features"],
                    "properties": {name: page[name] for name in ("count", "next", "previous")},
                },
            ]
        }


class BBoxFilter(InBBoxFilter):
    """`?in_bbox=min_lon,min_lat,max_lon,max_lat`: four finite numbers, min <= max, or a 400 naming `in_bbox`.

    rest_framework_gis passes NaN, infinities and reversed corners on to GEOS, which fails with a 500.
    """

    def get_filter_bbox(self, request):
        text = request.query_params.get(self.bbox_param)
        if text is None:
            return None
        try:
            numbers = [float(part) for part in text.split(",")]
        except ValueError:
            numbers = []
        if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
            raise exceptions.ValidationError(
                {self.bbox_param: [_("Give four numbers: min_lon,min_lat,max_lon,max_lat.")]}
            )
        xmin, ymin, xmax, ymax = numbers
        if xmin > xmax or ymin > ymax:
            raise exceptions.ValidationError({self.bbox_param: [_("The minimum must not exceed the maximum.")]})
        return super().get_filter_bbox(request)


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time, in UTC: PostgreSQL refuses offsets beyond +-15:59 (a 500), which Python accepts."""

    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError as exc:  # before year 1 or after 9999 in UTC
            raise forms.ValidationError(_("This time is out of range."), code="invalid") from exc


class TimeFilter(django_filters.IsoDateTimeFilter):
    """The one filter for times in API query strings (`?start=`, `?end=`)."""

    field_class = UtcDateTimeField


class FeatureSerializer(GeoFeatureModelSerializer):
    """A GeoJSON Feature in and out; input that is not an object (or whose properties are not) is a 400."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Expected a JSON object, got %(type)s.") % {"type": type(data).__name__}]}
            )
        if "properties" in data and not isinstance(data["properties"], dict):
            raise serializers.ValidationError({"properties": [_("Feature properties must be a JSON object.")]})
        return super().to_internal_value(data)


def refuse_nul(value: Any) -> Any:
    """PostgreSQL cannot compare text with NUL characters: refuse them before any lookup."""
    if isinstance(value, str) and "\x00" in value:
        raise serializers.ValidationError(_("Text cannot contain NUL characters."))
    return value


def validate_wgs84(geometry: GEOSGeometry | None) -> GEOSGeometry | None:
    """GeoJSON is WGS84: every coordinate must be a real longitude/latitude."""
    if geometry is None:
        return None
    if geometry.empty:
        raise serializers.ValidationError(_("A geometry needs coordinates."))
    if geometry.srid not in (None, 4326):
        geometry = geometry.transform(4326, clone=True)
    xmin, ymin, xmax, ymax = geometry.extent
    if not (-180 <= xmin <= xmax <= 180):
        raise serializers.ValidationError(_("Longitude must be between -180 and 180."))
    if not (-90 <= ymin <= ymax <= 90):
        raise serializers.ValidationError(_("Latitude must be between -90 and 90."))
    if not geometry.valid:
        raise serializers.ValidationError(_("Invalid geometry: %(reason)s") % {"reason": geometry.valid_reason})
    geometry.srid = 4326
    return geometry


class ReserveField(serializers.SlugRelatedField):
    """A reserve named by slug, among the requesting user's reserves only (others look nonexistent)."""

    default_error_messages = {
        "does_not_exist": _("No reserve '{value}' among your reserves."),
        "invalid": _("Invalid reserve."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self):  # type: ignore[override]
        return reserves_for_user(user=self.context["request"].user)

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(refuse_nul(data))


class UsernameField(serializers.SlugRelatedField):
    """A user by username (NUL characters refused before the lookup)."""

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(refuse_nul(data))


class UserScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A related object by id, chosen among what the requesting user can see (others look nonexistent)."""

    def __init__(self, selector: Callable, **kwargs: Any) -> None:
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self):  # type: ignore[override]
        return self.selector(user=self.context["request"].user)


class ScopedViewSet(viewsets.ModelViewSet):
    """Reads through a selector scoped to the user; writes through services that check roles.

    Subclasses set `selector`, `create_service`, `update_service` and `delete_service`. A member
    whose role forbids a write gets 403; objects outside the user's reserves are 404.
    """

    selector: Callable
    create_service: Callable
    update_service: Callable
    delete_service: Callable
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return type(self).selector(user=self.request.user)

    def perform_create(self, serializer: serializers.Serializer) -> None:
        instance = type(self).create_service(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=instance.pk)

    def perform_update(self, serializer: serializers.Serializer) -> None:
        data = dict(serializer.validated_data)
        reserve = data.pop("reserve", None)
        if reserve is not None and reserve.pk != serializer.instance.reserve_id:
            raise serializers.ValidationError({"reserve": [_("An object cannot move to another reserve.")]})
        instance = type(self).update_service(self.request.user, serializer.instance, data)
        serializer.instance = self.get_queryset().get(pk=instance.pk)

    def perform_destroy(self, instance: Any) -> None:
        type(self).delete_service(self.request.user, instance)


class LoginThrottledError(exceptions.APIException):
    """429 with Retry-After (DRF's handler sets it from `wait`) and our own message, without DRF's suffix."""

    status_code = 429
    default_code = "throttled"

    def __init__(self, throttled: LoginThrottled):
        super().__init__(detail=throttled.message, code="throttled")
        self.wait = throttled.retry_after_s

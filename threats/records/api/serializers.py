from collections.abc import Callable
from typing import Any

from django.contrib.gis.db.models import PointField
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_gis import build_geo_schema
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from patrol.patrols.selectors import patrols_for_user
from patrol.reserves.api.base import FeatureSerializer, ReserveField, UserScopedPrimaryKeyField, validate_wgs84
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind, Species
from threats.records.selectors import (
    TIME_FIELDS,
    camera_deployments_for_user,
    review_reasons_shown,
    snare_finds_for_user,
)
from threats.records.validation import (
    RecordContext,
    detection_clean,
    errors_by_field,
    incident_clean,
    snare_find_clean,
)


class SpeciesField(serializers.SlugRelatedField):
    """A species by scientific name; whether Irbis knows it is a rule of threats.records.validation."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="scientific_name", queryset=Species.objects.all(), **kwargs)

    def to_internal_value(self, data):
        return data


class RecordChoiceField(serializers.ChoiceField):
    """Documents a field's choices; whether a value is one of them is a rule of threats.records.validation."""

    def to_internal_value(self, data):
        return data


class SpeciesSerializer(serializers.ModelSerializer):
    class Meta:
        model = Species
        fields = ["id", "scientific_name", "common_name_en", "common_name_ru", "sensitive", "is_snare_target"]


@extend_schema_field(build_geo_schema(PointField()))
class PointGeometryField(GeometryField):
    """A GeoJSON Point (documented as such in the OpenAPI schema)."""


class GeneralisedPointFeatureSerializer(FeatureSerializer):
    """A GeoJSON Feature shown at `display_location` (see threats.selectors): exact only with clearance."""


class FieldRecordSerializer(GeneralisedPointFeatureSerializer):
    """Shown as the record selectors annotate it (threats.records.selectors.generalised, docs/privacy.md):
    exact for users with clearance; else a generalised record stands at its grid cell, on its day, without
    patrol, reporter or distance to the boundary. The same for reads and for the answers to writes."""

    reserve = ReserveField()
    patrol = UserScopedPrimaryKeyField(selector=patrols_for_user, required=False, allow_null=True)
    # null when the reporter is hidden (a generalised record) or unknown (an imported one)
    reported_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    location = PointGeometryField(write_only=True)
    display_location = PointGeometryField(read_only=True)
    location_generalised = serializers.BooleanField(read_only=True)
    record_fields = [
        "id", "reserve", "patrol", "gps_accuracy_m", "notes", "reported_by", "needs_review", "review_reasons",
        "version", "created_at", "updated_at", "location", "display_location", "location_generalised",
    ]  # fmt: skip
    record_read_only = ["needs_review", "review_reasons", "version", "created_at", "updated_at"]

    serializer_choice_field = RecordChoiceField
    clean: Callable[..., dict[str, Any]]

    def validate(self, attrs):
        reserve = attrs.get("reserve") or self.instance.reserve
        try:
            return type(self).clean(attrs, context=RecordContext(reserve), instance=self.instance)
        except ValidationError as exc:
            raise serializers.ValidationError(errors_by_field(exc)) from exc

    def unformat_geojson(self, feature):
        # A Feature's geometry is the point written (`location`); the one shown is `display_location`.
        attrs = super().unformat_geojson(feature)
        if "display_location" in attrs:
            attrs["location"] = attrs.pop("display_location")
        return attrs

    def to_representation(self, instance):
        feature = super().to_representation(instance)
        properties = feature["properties"]
        time = serializers.DateTimeField()
        shown_times = {TIME_FIELDS[type(instance)]: "display_time", "created_at": "display_created_at",
                       "updated_at": "display_updated_at"}  # fmt: skip
        for name, annotation in shown_times.items():
            properties[name] = time.to_representation(getattr(instance, annotation))
        properties["patrol"] = instance.display_patrol_id
        properties["reported_by"] = instance.display_reported_by
        properties["review_reasons"] = review_reasons_shown(instance)
        return feature


class SnareFindSerializer(FieldRecordSerializer):
    catch_species = SpeciesField(required=False, allow_null=True)
    count = serializers.IntegerField(required=False)  # its range is a rule of validation

    class Meta:
        model = SnareFind
        geo_field = "display_location"
        fields = [
            *FieldRecordSerializer.record_fields,
            "found_at", "count", "material", "state", "placement", "catch_species", "catch_condition", "action",
        ]  # fmt: skip
        read_only_fields = FieldRecordSerializer.record_read_only

    clean = staticmethod(snare_find_clean)


class IncidentSerializer(FieldRecordSerializer):
    snare_finds = UserScopedPrimaryKeyField(selector=snare_finds_for_user, many=True, required=False)

    class Meta:
        model = Incident
        geo_field = "display_location"
        fields = [*FieldRecordSerializer.record_fields, "kind", "occurred_at", "description", "snare_finds"]
        read_only_fields = FieldRecordSerializer.record_read_only

    clean = staticmethod(incident_clean)


class DetectionSerializer(FieldRecordSerializer, GeneralisedPointFeatureSerializer):
    species = SpeciesField(required=False, allow_null=True)
    count = serializers.IntegerField(required=False)
    deployment = UserScopedPrimaryKeyField(selector=camera_deployments_for_user, required=False, allow_null=True)

    class Meta:
        model = Detection
        geo_field = "display_location"
        fields = [
            *FieldRecordSerializer.record_fields,
            "observation_type", "species", "method", "observed_at", "count", "individual_id", "deployment",
        ]  # fmt: skip
        read_only_fields = FieldRecordSerializer.record_read_only

    clean = staticmethod(detection_clean)


class CameraDeploymentSerializer(GeneralisedPointFeatureSerializer):
    reserve = ReserveField()
    location = PointGeometryField(write_only=True)
    display_location = PointGeometryField(read_only=True)
    location_generalised = serializers.BooleanField(read_only=True)

    class Meta:
        model = CameraDeployment
        geo_field = "display_location"
        fields = [
            "id", "reserve", "deployment_id", "location_name", "location", "display_location", "location_generalised",
            "start", "end", "camera_id", "camera_model", "camera_height_m", "feature_type", "notes",
        ]  # fmt: skip

    def validate_location(self, value):
        if value.geom_type != "Point":
            raise serializers.ValidationError(_("A location must be a GeoJSON Point."))
        return validate_wgs84(value)

    def validate(self, attrs):
        start = attrs.get("start", getattr(self.instance, "start", None))
        end = attrs.get("end", getattr(self.instance, "end", None))
        if start and end and end <= start:
            raise serializers.ValidationError({"end": [_("The end must be after the start.")]})
        return attrs

from django.contrib.gis.db.models import PointField
from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_gis import build_geo_schema
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from patrol.patrols.selectors import patrols_for_user
from patrol.reserves.api.base import ReserveField, UserScopedPrimaryKeyField, validate_wgs84
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind, Species
from threats.records.selectors import camera_deployments_for_user, snare_finds_for_user


class SpeciesField(serializers.SlugRelatedField):
    default_error_messages = {"does_not_exist": _("Unknown species: '{value}'.")}

    def __init__(self, **kwargs):
        super().__init__(slug_field="scientific_name", queryset=Species.objects.all(), **kwargs)


class SpeciesSerializer(serializers.ModelSerializer):
    class Meta:
        model = Species
        fields = ["id", "scientific_name", "common_name_en", "common_name_ru", "sensitive", "is_snare_target"]


class FieldRecordSerializer(GeoFeatureModelSerializer):
    reserve = ReserveField()
    patrol = UserScopedPrimaryKeyField(selector=patrols_for_user, required=False, allow_null=True)
    reported_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    record_fields = [
        "id", "reserve", "patrol", "gps_accuracy_m", "notes", "reported_by", "needs_review", "review_reasons",
        "version", "created_at", "updated_at",
    ]  # fmt: skip
    record_read_only = ["needs_review", "review_reasons", "version", "created_at", "updated_at"]

    def validate_location(self, value: Point) -> Point:
        if value.geom_type != "Point":
            raise serializers.ValidationError(_("A location must be a GeoJSON Point."))
        return validate_wgs84(value)

    def validate_gps_accuracy_m(self, value):
        if value is not None and value < 0:
            raise serializers.ValidationError(_("GPS accuracy cannot be negative."))
        return value


class SnareFindSerializer(FieldRecordSerializer):
    catch_species = SpeciesField(required=False, allow_null=True)

    class Meta:
        model = SnareFind
        geo_field = "location"
        fields = [
            *FieldRecordSerializer.record_fields,
            "found_at", "count", "material", "state", "placement", "catch_species", "catch_condition", "action",
        ]  # fmt: skip
        read_only_fields = FieldRecordSerializer.record_read_only
        extra_kwargs = {"count": {"min_value": 1}}

    def validate(self, attrs):
        condition = attrs.get("catch_condition", getattr(self.instance, "catch_condition", "none"))
        species = attrs.get("catch_species", getattr(self.instance, "catch_species", None))
        if condition == SnareFind.CatchCondition.NONE and species is not None:
            raise serializers.ValidationError(
                {"catch_condition": [_("A catch species is given: say whether it was alive, injured or dead.")]}
            )
        return attrs


class IncidentSerializer(FieldRecordSerializer):
    snare_finds = UserScopedPrimaryKeyField(selector=snare_finds_for_user, many=True, required=False)

    class Meta:
        model = Incident
        geo_field = "location"
        fields = [*FieldRecordSerializer.record_fields, "kind", "occurred_at", "description", "snare_finds"]
        read_only_fields = FieldRecordSerializer.record_read_only


@extend_schema_field(build_geo_schema(PointField()))
class PointGeometryField(GeometryField):
    """A GeoJSON Point (documented as such in the OpenAPI schema)."""


class GeneralisedPointFeatureSerializer(GeoFeatureModelSerializer):
    """A GeoJSON Feature shown at `display_location` (see threats.selectors): exact only with clearance."""


class DetectionSerializer(FieldRecordSerializer, GeneralisedPointFeatureSerializer):
    """Shown at `display_location`: the exact point only to users with clearance for sensitive species."""

    species = SpeciesField(required=False, allow_null=True)
    location = PointGeometryField(write_only=True)
    display_location = PointGeometryField(read_only=True)
    location_generalised = serializers.BooleanField(read_only=True)
    deployment = UserScopedPrimaryKeyField(selector=camera_deployments_for_user, required=False, allow_null=True)

    class Meta:
        model = Detection
        geo_field = "display_location"
        fields = [
            *FieldRecordSerializer.record_fields,
            "location", "display_location", "location_generalised",
            "observation_type", "species", "method", "observed_at", "count", "individual_id", "deployment",
        ]  # fmt: skip
        read_only_fields = FieldRecordSerializer.record_read_only
        extra_kwargs = {"count": {"min_value": 1}}

    def validate(self, attrs):
        kind = attrs.get("observation_type", getattr(self.instance, "observation_type", "animal"))
        species = attrs.get("species", getattr(self.instance, "species", None))
        if kind == Detection.ObservationType.ANIMAL and species is None:
            raise serializers.ValidationError({"species": [_("Which species? It is required for an animal.")]})
        if kind != Detection.ObservationType.ANIMAL and species is not None:
            raise serializers.ValidationError({"species": [_("People and vehicles have no species.")]})
        return attrs


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

"""OpenAPI for serializers whose GeoJSON geometry is the generalised `display_location` annotation,
which drf-spectacular's GIS support cannot find on the model."""

from django.contrib.gis.db.models import PointField
from drf_spectacular.contrib.rest_framework_gis import build_geo_schema
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import build_object_type


class GeneralisedPointFeatureExtension(OpenApiSerializerExtension):
    target_class = "threats.records.api.serializers.GeneralisedPointFeatureSerializer"
    match_subclasses = True
    priority = 1

    def map_serializer(self, auto_schema, direction):
        base = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        base["properties"].pop("display_location", None)
        feature_id = base["properties"].pop("id", {"type": "integer", "readOnly": True})
        base.pop("required", None)
        return build_object_type(
            properties={
                "type": {"type": "string", "enum": ["Feature"]},
                "id": feature_id,
                "geometry": build_geo_schema(PointField()),
                "properties": base,
            }
        )

"""Geometry helpers shared by both apps' models (no web or API imports)."""

from django.db.models import F, FloatField, Func, Q
from django.db.models.lookups import Range

WGS84 = 4326


class _Coord(Func):
    output_field = FloatField()


def point_in_wgs84_range(field: str) -> Q:
    """A database condition: the point's longitude and latitude are within their valid ranges."""
    return Q(
        Range(_Coord(F(field), function="ST_X"), (-180.0, 180.0)),
        Range(_Coord(F(field), function="ST_Y"), (-90.0, 90.0)),
    )

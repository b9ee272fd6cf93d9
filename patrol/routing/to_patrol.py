"""What a patrol keeps of an accepted route plan: the route line and its hotspot waypoints in route order.

`route_geometries(collection)` reads one of RoutePlan.routes (export.route_feature_collection) into the
values of Patrol.planned_route and Patrol.planned_waypoints, which the field app shows offline.
"""

from typing import Any

from django.contrib.gis.geos import LineString, MultiPoint, Point

from patrol.reserves.geo import WGS84


def route_geometries(collection: dict[str, Any]) -> tuple[LineString | None, MultiPoint | None]:
    """(planned_route, planned_waypoints) of a route FeatureCollection; None where it has none."""
    features = collection.get("features", []) if isinstance(collection, dict) else []
    route = next((f for f in features if f.get("properties", {}).get("kind") == "route"), None)
    line = None
    if route is not None and len(route["geometry"]["coordinates"]) >= 2:
        line = LineString([tuple(c[:2]) for c in route["geometry"]["coordinates"]], srid=WGS84)
    waypoints = sorted(
        (f for f in features if f.get("properties", {}).get("kind") == "waypoint"),
        key=lambda f: f["properties"].get("order", 0),
    )
    points = [Point(*f["geometry"]["coordinates"][:2], srid=WGS84) for f in waypoints]
    return line, (MultiPoint(points, srid=WGS84) if points else None)

"""An accepted route plan's FeatureCollection becomes the patrol's planned route and waypoints."""

from patrol.routing.to_patrol import route_geometries

COLLECTION = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[87.40, 50.10], [87.42, 50.11]]},
         "properties": {"kind": "route"}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[87.40, 50.10], [87.42, 50.11]]},
         "properties": {"kind": "route_simplified"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [87.42, 50.11]},
         "properties": {"kind": "waypoint", "order": 2}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [87.41, 50.105]},
         "properties": {"kind": "waypoint", "order": 1}},
    ],
}  # fmt: skip


def test_the_route_and_its_waypoints_in_route_order():
    line, waypoints = route_geometries(COLLECTION)
    assert (line.srid, line.coords) == (4326, ((87.40, 50.10), (87.42, 50.11)))
    assert (waypoints.srid, [p.coords for p in waypoints]) == (4326, [(87.41, 50.105), (87.42, 50.11)])


def test_a_collection_without_waypoints_or_route():
    assert route_geometries({"type": "FeatureCollection", "features": COLLECTION["features"][:1]})[1] is None
    assert route_geometries({}) == (None, None)

"""Turn a planned RouteResult into GeoJSON (EPSG:4326), GPX and KML.

Needs the grid the route was planned on (a patrol.terrain.grid.Grid + EPSG code) to place cell centres.
No database or web imports.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import gpxpy.gpx
import numpy as np
from shapely.geometry import LineString

from patrol.routing.planner import RouteResult
from patrol.terrain.grid import Grid
from patrol.terrain.raster_io import transform_points

WGS84 = 4326


def cell_centres(cells: np.ndarray, grid: Grid) -> np.ndarray:
    """(n, 2) x, y of (row, col) cell centres in the grid's CRS."""
    cells = np.asarray(cells, dtype=np.float64).reshape(-1, 2)
    return np.column_stack(grid.xy_of(cells[:, 0], cells[:, 1]))


def route_lonlat(result: RouteResult, *, grid: Grid, srid: int) -> np.ndarray:
    return transform_points(cell_centres(result.cells, grid), from_srid=srid, to_srid=WGS84)


def _simplified_lonlat(result, grid, srid, tolerance_m, is_geographic) -> list[list[float]]:
    xy = cell_centres(result.cells, grid)
    if len(xy) < 2:
        return transform_points(xy, from_srid=srid, to_srid=WGS84).tolist()
    # Douglas-Peucker in the grid CRS; for lon/lat grids convert the tolerance to degrees.
    tolerance = tolerance_m / 111_320.0 if is_geographic else tolerance_m
    simple = np.asarray(LineString(xy).simplify(tolerance, preserve_topology=False).coords)
    return transform_points(simple, from_srid=srid, to_srid=WGS84).tolist()


def route_properties(result: RouteResult) -> dict:
    """Everything needed to check the route independently, JSON-ready."""
    return {
        "cells": result.cells.tolist(),
        "duration_h": result.duration_h,
        "budget_h": result.budget_h,
        "covered_risk": result.covered_risk,
        "length_km": result.length_km,
        "ascent_m": result.ascent_m,
        "descent_m": result.descent_m,
        "elevation_profile": [[round(d, 1), round(z, 1)] for d, z in result.elevation_profile.tolist()],
        "waypoints": result.waypoints.tolist(),
        "day_ends": list(result.day_ends),
    }


def route_feature(
    result: RouteResult,
    *,
    grid: Grid,
    srid: int,
    is_geographic: bool = False,
    simplify_tolerance_m: float = 25.0,
    extra_properties: dict | None = None,
) -> dict:
    """GeoJSON Feature: the full path as a LineString in EPSG:4326, the route figures and a
    simplified line (``properties.simplified``) for light map display."""
    lonlat = route_lonlat(result, grid=grid, srid=srid)
    properties = route_properties(result)
    properties["simplified"] = {
        "type": "LineString",
        "coordinates": _simplified_lonlat(result, grid, srid, simplify_tolerance_m, is_geographic),
    }
    properties.update(extra_properties or {})
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": lonlat.tolist()},
        "properties": properties,
    }


def route_feature_collection(
    result: RouteResult, *, grid: Grid, srid: int, is_geographic: bool = False,
    simplify_tolerance_m: float = 25.0,
) -> dict:  # fmt: skip
    """FeatureCollection: full route, simplified route and one Point per hotspot waypoint."""
    full = route_feature(
        result, grid=grid, srid=srid, is_geographic=is_geographic,
        simplify_tolerance_m=simplify_tolerance_m,
    )  # fmt: skip
    simplified = full["properties"].pop("simplified")
    features = [
        {**full, "properties": {**full["properties"], "kind": "route"}},
        {"type": "Feature", "geometry": simplified, "properties": {"kind": "route_simplified"}},
    ]
    points = transform_points(cell_centres(result.waypoints, grid), from_srid=srid, to_srid=WGS84)
    for k, ((row, col), (lon, lat)) in enumerate(zip(result.waypoints.tolist(), points.tolist(), strict=True)):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"kind": "waypoint", "order": k + 1, "cell": [row, col],
                               "risk_within_radius": float(result.waypoint_gain[k])},
            }
        )  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def route_gpx(result: RouteResult, *, grid: Grid, srid: int, name: str = "Patrol route") -> str:
    """GPX 1.1 with one track (with elevations) and the hotspot waypoints."""
    lonlat = route_lonlat(result, grid=grid, srid=srid)
    gpx = gpxpy.gpx.GPX()
    track = gpxpy.gpx.GPXTrack(name=name)
    segment = gpxpy.gpx.GPXTrackSegment()
    for (lon, lat), (_, z) in zip(lonlat.tolist(), result.elevation_profile.tolist(), strict=True):
        segment.points.append(gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon, elevation=z))
    track.segments.append(segment)
    gpx.tracks.append(track)
    points = transform_points(cell_centres(result.waypoints, grid), from_srid=srid, to_srid=WGS84)
    for k, (lon, lat) in enumerate(points.tolist()):
        gpx.waypoints.append(gpxpy.gpx.GPXWaypoint(latitude=lat, longitude=lon, name=f"Hotspot {k + 1}"))
    return gpx.to_xml(version="1.1")


def route_kml(result: RouteResult, *, grid: Grid, srid: int, name: str = "Patrol route") -> str:
    """KML 2.2 document: the route LineString (absolute elevations) and hotspot Placemarks."""
    lonlat = route_lonlat(result, grid=grid, srid=srid)
    z = result.elevation_profile[:, 1]
    coords = " ".join(f"{lon:.7f},{lat:.7f},{h:.1f}" for (lon, lat), h in zip(lonlat.tolist(), z.tolist(), strict=True))
    points = transform_points(cell_centres(result.waypoints, grid), from_srid=srid, to_srid=WGS84)
    marks = "".join(
        f"<Placemark><name>Hotspot {k + 1}</name>"
        f"<Point><coordinates>{lon:.7f},{lat:.7f}</coordinates></Point></Placemark>"
        for k, (lon, lat) in enumerate(points.tolist())
    )
    description = f"{result.duration_h:.2f} h, {result.length_km:.2f} km, covered risk {result.covered_risk:.3f}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<name>{escape(name)}</name>"
        f"<Placemark><name>{escape(name)}</name><description>{escape(description)}</description>"
        f"<LineString><altitudeMode>absolute</altitudeMode><coordinates>{coords}</coordinates></LineString></Placemark>"
        f"{marks}</Document></kml>\n"
    )

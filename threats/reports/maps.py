"""The report page's maps as GeoJSON: snare finds per small cell, and patrol effort per 1 km cell.

Finds come through the records' privacy annotation (threats/records/selectors.py `generalised`): for a user
without clearance a sensitive find stands at its coarse grid cell, and a zone or valley is matched against
the location shown, never the exact one. Effort is the area-covered cells with how many patrols came
within 100 m of each (aggregates, no track).
"""

from __future__ import annotations

from typing import Any

from django.contrib.gis.db.models.functions import SnapToGrid
from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.db.models import Count, F, Sum

from patrol.reserves.models import Reserve
from patrol.reserves.selectors import User
from threats.records.selectors import snare_finds_for_user
from threats.reports import coverage, figures
from threats.reports.build import Scope, frame_build
from threats.reports.periods import Period

FIND_CELL_DEGREES = 0.01  # finds are summed per cell of this size (the sensitive grid is coarser still)


def finds_geojson(*, user: User, reserve: Reserve, period: Period, scope: Scope) -> dict[str, Any]:
    frame = frame_build(reserve, period, scope, None)
    rows = snare_finds_for_user(user=user).filter(reserve=reserve, found_at__gte=frame.start, found_at__lt=frame.end)
    if frame.team_ids is not None:
        rows = rows.filter(patrol__team_id__in=frame.team_ids)
    if frame.areas is not None:
        rows = rows.filter(display_location__coveredby=GEOSGeometry(frame.areas[0][1]))
    cells = (
        rows.order_by()
        .annotate(cell=SnapToGrid(F("display_location"), FIND_CELL_DEGREES))
        .values("cell")
        .annotate(snares=Sum("count"), finds=Count("id"))
    )
    features = [
        {"type": "Feature", "properties": {"snares": c["snares"], "finds": c["finds"]},
         "geometry": {"type": "Point", "coordinates": [round(c["cell"].x, 5), round(c["cell"].y, 5)]}}
        for c in cells
    ]  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def effort_geojson(*, reserve: Reserve, period: Period, scope: Scope) -> dict[str, Any]:
    frame = frame_build(reserve, period, scope, None)
    wkbs = [wkb for _key, wkb in figures.projected_tracks(frame)]
    cells = coverage.cell_patrols(wkbs, cell_m=figures.COVER_CELL_M, radius_m=figures.COVER_RADIUS_M,
                                  step_m=figures.COVER_STEP_M)  # fmt: skip
    to_wgs84 = CoordTransform(SpatialReference(reserve.projected_epsg), SpatialReference(4326))
    size = figures.COVER_CELL_M
    features = []
    for cx, cy, patrols in cells:
        square = Polygon.from_bbox((cx * size, cy * size, (cx + 1) * size, (cy + 1) * size))
        square.srid = reserve.projected_epsg
        square.transform(to_wgs84)
        ring = [[round(x, 5), round(y, 5)] for x, y in square.coords[0]]
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                         "properties": {"patrols": patrols}})  # fmt: skip
    return {"type": "FeatureCollection", "features": features}

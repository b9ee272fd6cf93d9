"""The report page's maps as GeoJSON: snare finds per small cell, and patrol effort per 1 km cell.

Finds come through the records' privacy annotation (threats/records/selectors.py `generalised`): for a user
without clearance a sensitive find stands at its coarse grid cell, and a zone or valley is matched against
the location shown, never the exact one. Effort is the area-covered cells with how many patrols came
within 100 m of each (aggregates, no track).
"""

from __future__ import annotations

from typing import Any

from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import MultiPoint, Point
from django.db import connection

from patrol.patrols.models import Patrol
from patrol.reserves.models import Reserve
from patrol.reserves.selectors import User
from threats.records.models import Detection, SnareFind, Species
from threats.records.selectors import sensitive_grid_degrees
from threats.reports import coverage, figures
from threats.reports.build import Scope, frame_build
from threats.reports.periods import Period
from threats.risk.selectors import has_clearance

FIND_CELL_DEGREES = 0.01  # finds are summed per cell of this size (the sensitive grid is coarser still)


def _finds_sql(*, exact: bool, teams: bool, area: bool) -> str:
    """Finds summed per display cell. Without clearance a find stands at its coarse grid cell when it caught a
    sensitive species or shares its coarse cell and UTC day with a sensitive detection or snare find: the rule
    of threats/records/selectors.py `generalised()`, here as one join on the set of sensitive (cell, day)
    pairs instead of a subquery per row (tests/threats/reports/test_maps.py checks both agree)."""
    kx, ky = "round(ST_X({g}) / %(grid)s)::bigint", "round(ST_Y({g}) / %(grid)s)::bigint"
    day = "date_trunc('day', {t} AT TIME ZONE 'UTC')"
    sensitive = f"""sens AS (
      SELECT DISTINCT {kx.format(g="d.location")} AS kx, {ky.format(g="d.location")} AS ky,
             {day.format(t="d.observed_at")} AS day
      FROM {Detection._meta.db_table} d LEFT JOIN {Species._meta.db_table} s ON s.id = d.species_id
      WHERE d.reserve_id = %(reserve)s AND (s.sensitive OR d.deployment_id IS NOT NULL)
        AND d.observed_at >= %(start)s - interval '1 day' AND d.observed_at < %(end)s + interval '1 day'
      UNION
      SELECT DISTINCT {kx.format(g="f.location")}, {ky.format(g="f.location")}, {day.format(t="f.found_at")}
      FROM {SnareFind._meta.db_table} f JOIN {Species._meta.db_table} s ON s.id = f.catch_species_id
      WHERE f.reserve_id = %(reserve)s AND s.sensitive
        AND f.found_at >= %(start)s - interval '1 day' AND f.found_at < %(end)s + interval '1 day'),"""  # noqa: S608
    join = (
        f"LEFT JOIN sens ON sens.kx = {kx.format(g='f.location')} AND sens.ky = {ky.format(g='f.location')} "
        f"AND sens.day = {day.format(t='f.found_at')}"
    )
    hidden = "false" if exact else "(COALESCE(s.sensitive, false) OR sens.day IS NOT NULL)"
    return f"""WITH {"" if exact else sensitive}
    shown AS (
      SELECT f.count, CASE WHEN {hidden} THEN ST_SnapToGrid(f.location, %(grid)s) ELSE f.location END AS point,
             {hidden} AS hidden
      FROM {SnareFind._meta.db_table} f
      LEFT JOIN {Species._meta.db_table} s ON s.id = f.catch_species_id
      {"" if exact else join}
      {f"JOIN {Patrol._meta.db_table} p ON p.id = f.patrol_id AND p.team_id = ANY(%(teams)s)" if teams else ""}
      WHERE f.reserve_id = %(reserve)s AND f.found_at >= %(start)s AND f.found_at < %(end)s)
    SELECT ST_X(c), ST_Y(c), sum(count), count(*) FROM (
      SELECT count, ST_SnapToGrid(point, %(cell)s) AS c FROM shown
      {"WHERE ST_Covers(ST_GeomFromEWKT(%(area)s), point)" if area else ""}) x
    GROUP BY 1, 2 ORDER BY 1, 2"""  # noqa: S608 - table names from model metadata, values as parameters


def finds_geojson(*, user: User, reserve: Reserve, period: Period, scope: Scope) -> dict[str, Any]:
    frame = frame_build(reserve, period, scope, None)
    exact = has_clearance(user=user, reserve=reserve)
    area = frame.areas[0][1] if frame.areas else None
    params = {"reserve": reserve.pk, "start": frame.start, "end": frame.end, "grid": sensitive_grid_degrees(reserve),
              "cell": FIND_CELL_DEGREES, "teams": list(frame.team_ids or []), "area": area}  # fmt: skip
    # A key of rounded grid indices: ST_SnapToGrid rounds to the nearest multiple of the grid the same way.
    sql = _finds_sql(exact=exact, teams=frame.team_ids is not None, area=area is not None)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    features = [
        {"type": "Feature", "properties": {"snares": snares, "finds": finds},
         "geometry": {"type": "Point", "coordinates": [round(x, 5), round(y, 5)]}}
        for x, y, snares, finds in rows
    ]  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def effort_geojson(*, reserve: Reserve, period: Period, scope: Scope) -> dict[str, Any]:
    frame = frame_build(reserve, period, scope, None)
    wkbs = [wkb for _key, wkb in figures.projected_tracks(frame)]
    cells = coverage.cell_patrols(wkbs, cell_m=figures.COVER_CELL_M, radius_m=figures.COVER_RADIUS_M,
                                  step_m=figures.COVER_STEP_M)  # fmt: skip
    if not cells:
        return {"type": "FeatureCollection", "features": []}
    size = figures.COVER_CELL_M
    # Every corner transformed at once (one call into GDAL, not one per cell).
    corners = sorted({(cx + dx, cy + dy) for cx, cy, _n in cells for dx in (0, 1) for dy in (0, 1)})
    points = MultiPoint([Point(x * size, y * size) for x, y in corners], srid=reserve.projected_epsg)
    points.transform(CoordTransform(SpatialReference(reserve.projected_epsg), SpatialReference(4326)))
    lonlat = {corner: (round(p.x, 5), round(p.y, 5)) for corner, p in zip(corners, points, strict=True)}
    features = []
    for cx, cy, patrols in cells:
        ring = [
            lonlat[(cx, cy)],
            lonlat[(cx + 1, cy)],
            lonlat[(cx + 1, cy + 1)],
            lonlat[(cx, cy + 1)],
            lonlat[(cx, cy)],
        ]
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                         "properties": {"patrols": patrols}})  # fmt: skip
    return {"type": "FeatureCollection", "features": features}

"""The counting behind reports, in SQL: one aggregate query per figure group, grouped in the database.

Every query takes a `Frame`: the reserve, what the report is about (the whole reserve, a set of teams, or
an area), the time slices ([start, end) per month for monthly figures, else one), and how rows are
grouped (team, post, zone, valley, month or not at all). Each returns {group key: raw figures}; the
report (threats/reports/build.py) turns them into the figures people read.

Rules (docs/reports.md):
- Effort counts once per patrol, never per member: rows are patrols, not people.
- A patrol counts (patrols) in the slice where it started; its hours, patrol-days and distance go to
  every slice it overlaps by the time spent there (hours: the overlap; patrol-days: the reserve's calendar
  days of the overlap; distance: the track's length times the overlap's share of the patrol's time).
- In an area (a zone, a valley): a patrol whose track enters it counts; distance is the length of the track
  inside; hours and patrol-days are scaled by the share of the track inside (no timed track to do better).
- Area covered: the 1 km cells of the reserve's projected CRS within 100 m of a track (a track densified
  every 100 m; "within" as the 200 m square around each point), each cell once however many patrols.
- Only patrols with an actual start and end that are not cancelled carry effort.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection

from patrol.patrols.models import Patrol
from patrol.reserves.models import Team
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind
from threats.reports import coverage

COVER_CELL_M = 1000.0
COVER_RADIUS_M = 100.0
COVER_STEP_M = 100.0
GROUPINGS = ("team", "post", "zone", "valley", "month")


@dataclass(frozen=True)
class Frame:
    reserve_id: int
    epsg: int
    tz: str
    slices: tuple[tuple[str, datetime, datetime], ...]  # (key, start, end); key "" unless grouped by month
    team_ids: tuple[int, ...] | None = None  # a team or a post's teams
    areas: tuple[tuple[str, str], ...] | None = None  # (key, EWKT in WGS84): the scope's area or the groups'
    by: str | None = None  # one of GROUPINGS or None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return min(s for _, s, _ in self.slices)

    @property
    def end(self) -> datetime:
        return max(e for _, _, e in self.slices)


def _ctes(frame: Frame) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {
        "reserve": frame.reserve_id,
        "tz": frame.tz,
        "epsg": frame.epsg,
        "sk": [k for k, _, _ in frame.slices],
        "ss": [s for _, s, _ in frame.slices],
        "se": [e for _, _, e in frame.slices],
        "start": frame.start,
        "end": frame.end,
        "teams": list(frame.team_ids or []),
    }
    ctes = [
        "sl AS (SELECT * FROM unnest(%(sk)s::text[], %(ss)s::timestamptz[], %(se)s::timestamptz[]) AS x(key, ss, se))"
    ]
    if frame.areas is not None:
        params["gk"] = [k for k, _ in frame.areas]
        params["gw"] = [w for _, w in frame.areas]
        ctes.append(
            "g AS (SELECT key, ST_GeomFromEWKT(wkt) AS geom FROM unnest(%(gk)s::text[], %(gw)s::text[]) AS x(key, wkt))"
        )
    return "WITH " + ", ".join(ctes), params


def _key(frame: Frame, time_sql: str | None, team_alias: str = "t") -> str:
    if frame.by == "month":
        return "sl.key"  # the slice the row's time falls in (callers join sl on time)
    if frame.by == "team":
        return f"COALESCE({team_alias}.id::text, '')"
    if frame.by == "post":
        return f"COALESCE({team_alias}.home_post_id::text, '')"
    if frame.by in ("zone", "valley"):
        return "g.key"
    return "''::text"


def _rows(sql: str, params: dict[str, Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- patrol effort -------------------------------------------------------------------------------


def _patrol_from(frame: Frame) -> str:
    sql = f"""
      FROM {Patrol._meta.db_table} p
      JOIN {Team._meta.db_table} t ON t.id = p.team_id
      JOIN sl ON p.actual_start < sl.se AND p.actual_end > sl.ss
      {"JOIN g ON ST_Intersects(g.geom, p.track)" if frame.areas is not None else ""}
      WHERE p.reserve_id = %(reserve)s AND p.status <> 'cancelled'
        AND p.actual_start IS NOT NULL AND p.actual_end IS NOT NULL
        {"AND t.id = ANY(%(teams)s)" if frame.team_ids is not None else ""}
    """
    return sql


def effort(frame: Frame) -> dict[str, dict[str, float]]:
    """Patrols, patrol-days, hours and km per group (rules in the module's docstring)."""
    ctes, params = _ctes(frame)
    if frame.areas is None:
        km, share = "COALESCE(p.track_length_km, 0)", "1.0"
    else:
        inside = "ST_Length(ST_Transform(ST_Intersection(p.track, g.geom), %(epsg)s::int)) / 1000.0"
        whole = "NULLIF(ST_Length(ST_Transform(p.track, %(epsg)s::int)) / 1000.0, 0)"
        km, share = inside, f"COALESCE(({inside}) / {whole}, 0)"
    sql = f"""{ctes}, b AS (
      SELECT {_key(frame, None)} AS key, p.actual_start AS s, p.actual_end AS e, sl.ss, sl.se,
             GREATEST(p.actual_start, sl.ss) AS os, LEAST(p.actual_end, sl.se) AS oe,
             {km} AS km, {share} AS share
      {_patrol_from(frame)})
    SELECT key,
      count(*) FILTER (WHERE s >= ss AND s < se),
      sum(share * (((oe AT TIME ZONE %(tz)s) - interval '1 microsecond')::date - (os AT TIME ZONE %(tz)s)::date + 1)),
      sum(share * extract(epoch FROM oe - os) / 3600.0),
      sum(km * extract(epoch FROM oe - os) / extract(epoch FROM e - s))
    FROM b GROUP BY key"""  # noqa: S608 - table names from model metadata, values as parameters
    out = {}
    for key, patrols, days, hours, km_sum in _rows(sql, params):
        out[key] = {"patrols": patrols, "patrol_days": float(days or 0), "hours": float(hours or 0),
                    "distance_km": float(km_sum or 0)}  # fmt: skip
    return out


def projected_tracks(frame: Frame) -> list[tuple[str, bytes]]:
    """(group key, WKB) of each patrol's track in the frame, clipped to the area and in the projected CRS."""
    ctes, params = _ctes(frame)
    track = "p.track" if frame.areas is None else "ST_Intersection(p.track, g.geom)"
    head, where = _patrol_from(frame).split("WHERE", 1)
    sql = f"""{ctes}
    SELECT {_key(frame, None)}, ST_AsBinary(ST_Transform({track}, %(epsg)s::int))
    {head} WHERE p.track IS NOT NULL AND {where}"""  # noqa: S608 - table names from model metadata, values as parameters
    return [(key, bytes(wkb)) for key, wkb in _rows(sql, params) if wkb is not None]


def cover(frame: Frame) -> dict[str, int]:
    """The 1 km cells within 100 m of a track, per group (each cell once however many patrols).

    The database clips and projects the tracks; coverage.py finds the cells (a set union of cells is
    several times faster in numpy than as a DISTINCT over millions of points in SQL)."""
    rows = projected_tracks(frame)
    return coverage.covered_cells([k for k, _ in rows], [w for _, w in rows], cell_m=COVER_CELL_M,
                                  radius_m=COVER_RADIUS_M, step_m=COVER_STEP_M)  # fmt: skip


# --- records -------------------------------------------------------------------------------------


_RECORD_TEAMS = (
    f"LEFT JOIN {Patrol._meta.db_table} p ON p.id = r.patrol_id LEFT JOIN {Team._meta.db_table} t ON t.id = p.team_id"
)


def _record_from(frame: Frame, table: str, time_col: str) -> str:
    teams = frame.team_ids is not None or frame.by in ("team", "post")
    return f"""
      FROM {table} r
      {f"JOIN sl ON r.{time_col} >= sl.ss AND r.{time_col} < sl.se" if frame.by == "month" else ""}
      {_RECORD_TEAMS if teams else ""}
      {"JOIN g ON ST_Covers(g.geom, r.location)" if frame.areas is not None else ""}
      WHERE r.reserve_id = %(reserve)s AND r.{time_col} >= %(start)s AND r.{time_col} < %(end)s
        {"AND t.id = ANY(%(teams)s)" if frame.team_ids is not None else ""}
    """


def snares(frame: Frame) -> dict[str, list[tuple]]:
    """Per group: (material, placement, state, action, catch species id, catch condition, finds, snares)."""
    ctes, params = _ctes(frame)
    sql = f"""{ctes}
    SELECT {_key(frame, "r.found_at")} AS key, r.material, r.placement, r.state, r.action, r.catch_species_id,
           r.catch_condition, count(*), sum(r.count)
    {_record_from(frame, SnareFind._meta.db_table, "found_at")}
    GROUP BY 1, 2, 3, 4, 5, 6, 7"""
    out: dict[str, list[tuple]] = defaultdict(list)
    for key, *rest in _rows(sql, params):
        out[key].append(tuple(rest))
    return out


def incidents(frame: Frame) -> dict[str, dict[str, int]]:
    ctes, params = _ctes(frame)
    sql = f"""{ctes}
    SELECT {_key(frame, "r.occurred_at")} AS key, r.kind, count(*)
    {_record_from(frame, Incident._meta.db_table, "occurred_at")}
    GROUP BY 1, 2"""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for key, kind, n in _rows(sql, params):
        out[key][kind] = n
    return out


def detections(frame: Frame) -> dict[str, list[tuple]]:
    """Per group: (species id or None, observation type, records, individuals counted)."""
    ctes, params = _ctes(frame)
    sql = f"""{ctes}
    SELECT {_key(frame, "r.observed_at")} AS key, r.species_id, r.observation_type, count(*), sum(r.count)
    {_record_from(frame, Detection._meta.db_table, "observed_at")}
    GROUP BY 1, 2, 3"""
    out: dict[str, list[tuple]] = defaultdict(list)
    for key, *rest in _rows(sql, params):
        out[key].append(tuple(rest))
    return out


def camera_effort(frame: Frame) -> dict[str, dict[str, float]]:
    """Trap-days (deployment days inside each slice) and deployments active, per group.

    Cameras belong to no team: grouped by team or post, or scoped to teams, there is no camera effort."""
    if frame.team_ids is not None or frame.by in ("team", "post"):
        return {}
    ctes, params = _ctes(frame)
    key = "sl.key" if frame.by == "month" else _key(frame, None)
    sql = f"""{ctes}
    SELECT {key} AS key,
           sum(extract(epoch FROM LEAST(d."end", sl.se) - GREATEST(d.start, sl.ss)) / 86400.0), count(DISTINCT d.id)
    FROM {CameraDeployment._meta.db_table} d JOIN sl ON d.start < sl.se AND d."end" > sl.ss
    {"JOIN g ON ST_Covers(g.geom, d.location)" if frame.areas is not None else ""}
    WHERE d.reserve_id = %(reserve)s
    GROUP BY 1"""  # noqa: S608 - table names from model metadata, values as parameters
    return {k: {"trap_days": float(days or 0), "deployments": n} for k, days, n in _rows(sql, params)}

"""Patrol tracks: measuring them in the reserve's metric CRS and rebuilding them from the phone's fixes."""

from django.db import connection
from django.db.models import ExpressionWrapper, F, FloatField, Func, Value

from patrol.jobs.follow_up import evidence_changed
from patrol.patrols.models import Patrol, TrackPoint
from patrol.reserves.models import Reserve


def _track_length_km(epsg: int) -> Func:
    in_metres = Func(Func(F("track"), Value(epsg), function="ST_Transform"), function="ST_Length")
    return ExpressionWrapper(in_metres / 1000.0, output_field=FloatField())


def patrol_track_lengths_update(*, reserve: Reserve) -> int:
    """Measure every track of the reserve in its projected CRS, in one statement."""
    return Patrol.objects.filter(reserve=reserve, track__isnull=False).update(
        track_length_km=_track_length_km(reserve.projected_epsg)
    )


def patrol_track_measure(*, patrol_id: int) -> float | None:
    """Store the track's length in km, measured in the reserve's projected CRS. Safe to run twice."""
    patrol = Patrol.objects.select_related("reserve").filter(pk=patrol_id).first()
    if patrol is None or patrol.track is None:
        return None
    Patrol.objects.filter(pk=patrol_id).update(track_length_km=_track_length_km(patrol.reserve.projected_epsg))
    patrol.refresh_from_db(fields=["track_length_km"])
    return patrol.track_length_km


def patrol_track_rebuild(*, patrol: Patrol) -> None:
    """Set the patrol's track from its GPS points: one line per segment, in time order; a changed track
    is measured after commit, and the risk recomputed (`evidence_changed`).

    A segment needs two distinct positions to be a line; shorter ones are left out of the track.
    """
    patrol_table, point_table = Patrol._meta.db_table, TrackPoint._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {patrol_table} SET track = lines.geom, updated_at = now()
            FROM (SELECT ST_Multi(ST_Collect(line ORDER BY segment)) AS geom FROM (
                    SELECT segment, ST_MakeLine(location ORDER BY recorded_at, id) AS line
                    FROM {point_table} WHERE patrol_id = %s GROUP BY segment
                    HAVING COUNT(DISTINCT ST_AsBinary(location)) >= 2) segments) lines
            WHERE id = %s AND lines.geom IS NOT NULL
            """,  # noqa: S608 - table names from model metadata
            [patrol.pk, patrol.pk],
        )
        changed = cursor.rowcount
    if changed:
        evidence_changed(reserve_id=patrol.reserve_id, patrol_ids=[patrol.pk])

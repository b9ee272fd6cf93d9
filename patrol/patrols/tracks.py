"""Patrol tracks rebuilt from the phone's fixes; measuring them follows through the outbox (patrol.patrols.measure)."""

from django.db import connection

from patrol.jobs.follow_up import evidence_changed
from patrol.patrols.models import Patrol, TrackPoint


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

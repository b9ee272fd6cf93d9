"""Patrol tracks rebuilt from the phone's fixes; measuring them is queued (patrol.patrols.measure)."""

from django.db import connection, transaction

from patrol.patrols.models import Patrol, TrackPoint
from patrol.patrols.tasks import patrol_track_measure_task


def _queue_track_measure(patrol: Patrol) -> None:
    transaction.on_commit(lambda: patrol_track_measure_task.delay(patrol.pk))


def patrol_track_rebuild(*, patrol: Patrol) -> None:
    """Set the patrol's track from its GPS points: one line per segment, in time order; then measure it.

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
        _queue_track_measure(patrol)

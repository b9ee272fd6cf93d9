"""Patrol tracks measured in the reserve's metric CRS (the worker's side: patrol.patrols.tasks)."""

from django.db.models import ExpressionWrapper, F, FloatField, Func, Value

from patrol.patrols.models import Patrol
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

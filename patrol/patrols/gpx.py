"""GPX tracks from handheld GPS units (Garmin and the like) as a patrol's actual track.

`gpx_parse` is pure (bytes in, geometry and times out); `patrol_track_import` stores the result on a
patrol; after commit its length is measured in the reserve's projected CRS and the risk recomputed
(patrol.jobs.follow_up.evidence_changed).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.contrib.gis.geos import LineString, MultiLineString
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from patrol.jobs.follow_up import evidence_changed
from patrol.patrols.lifecycle import patrol_complete_from_track
from patrol.patrols.models import Patrol
from patrol.patrols.services import patrol_update
from patrol.reserves.selectors import User

# GPS units without a fix write dummy dates (1901, 1970, 1999 rollover...): such times are not used.
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)


class GpxError(ValueError):
    """The file cannot become a track; the message says why, for the person who uploaded it."""


@dataclass
class GpxTrack:
    track: MultiLineString
    points: int
    segments: int
    start: datetime | None
    end: datetime | None
    warnings: list[str] = field(default_factory=list)


def gpx_parse(content: bytes | str) -> GpxTrack:
    """Read the file's track segments (not routes or waypoints) into a MultiLineString in WGS84."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")  # a byte-order mark is common in files from Windows tools
        except UnicodeDecodeError as exc:
            raise GpxError(_("The file is not UTF-8 text: is it a GPX file?")) from exc
    content = content.lstrip("\ufeff")
    import gpxpy  # here, not at the top: the web process starts without it until a GPX comes
    import gpxpy.gpx

    try:
        gpx = gpxpy.parse(content)
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise GpxError(_("Not a readable GPX file: %(error)s") % {"error": exc}) from exc

    warnings: list[str] = []
    lines, times, total = [], [], 0
    empty = 0
    for track in gpx.tracks:
        for segment in track.segments:
            coords = [(p.longitude, p.latitude) for p in segment.points]
            if len(set(coords)) < 2:
                empty += 1
                continue
            for lon, lat in coords:
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise GpxError(
                        _("A point lies outside valid coordinates: %(lon)s, %(lat)s.") % {"lon": lon, "lat": lat}
                    )
            lines.append(LineString(coords, srid=4326))
            times.extend(p.time for p in segment.points)
            total += len(coords)
    if empty:
        warnings.append(_("%(n)d empty or one-point segment(s) skipped.") % {"n": empty})
    if not lines:
        if any(len(route.points) >= 2 for route in gpx.routes):
            raise GpxError(_("This file holds a route (a planned path), not a recorded track: export the track "
                             "log from the GPS unit instead."))  # fmt: skip
        if gpx.waypoints:
            raise GpxError(_("This file holds only %(n)d waypoint(s), no track.") % {"n": len(gpx.waypoints)})
        raise GpxError(_("This file holds no track."))

    start = end = None
    known = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in times if t is not None]
    if known and min(known) < EARLIEST_PLAUSIBLE:
        warnings.append(_("The times (%(t)s) are dummy dates from a unit without a fix: they were not used.")
                        % {"t": min(known).date().isoformat()})  # fmt: skip
    elif 2 * len(known) < len(times):  # a few stray times would make a patrol of minutes
        warnings.append(_("Only %(k)d of %(n)d points have a time: the patrol's times were left as they were.")
                        % {"k": len(known), "n": len(times)})  # fmt: skip
    else:
        start, end = min(known), max(known)
        if len(known) < len(times):
            warnings.append(_("%(k)d of %(n)d points have a time: start and end are taken from them.")
                            % {"k": len(known), "n": len(times)})  # fmt: skip
    return GpxTrack(MultiLineString(lines, srid=4326), total, len(lines), start, end, warnings)


@transaction.atomic
def patrol_track_import(*, actor: User | None, patrol: Patrol, content: bytes | str) -> GpxTrack:
    """Make the GPX file's track the patrol's actual track, with its start and end when the file has times.

    With an actor (the manager's upload) the role rules of patrol_update apply; commands pass None.
    """
    parsed = gpx_parse(content)
    if parsed.start is not None and (parsed.end is None or parsed.end <= parsed.start):
        # One instant cannot be a patrol's start and end; kept as a start, it could also fall after the
        # patrol's stored end and break patrol_actual_end_after_start.
        raise GpxError(_("Every time in this file is the same (%(t)s): it cannot give the patrol's start "
                         "and end.") % {"t": parsed.start.strftime("%Y-%m-%d %H:%M UTC")})  # fmt: skip
    try:
        # A recorded track means the patrol happened: completed, with the track's start and end when it
        # has times (the lifecycle's rules: a cancelled patrol is refused).
        patrol_complete_from_track(patrol=patrol, start=parsed.start, end=parsed.end)
    except ValidationError as exc:
        raise GpxError(" ".join(exc.messages)) from exc
    data: dict[str, Any] = {"track": parsed.track, "status": patrol.status}
    if parsed.start is not None:
        data["actual_start"] = parsed.start
        data["actual_end"] = parsed.end
    try:
        if actor is not None:
            patrol_update(actor=actor, patrol=patrol, data=data)
            return parsed
        for name, value in data.items():
            setattr(patrol, name, value)
        patrol.version += 1
        patrol.full_clean()
        patrol.save()
    except ValidationError as exc:  # the patrol's own rules (times, geometry): a clear message, nothing saved
        raise GpxError(" ".join(exc.messages)) from exc
    evidence_changed(reserve_id=patrol.reserve_id, patrol_ids=[patrol.pk])  # new effort: measure, recompute risk
    return parsed

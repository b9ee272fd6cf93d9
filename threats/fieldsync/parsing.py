"""Parsing and checking the items a phone sends."""

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, Point
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from patrol.patrols.models import Patrol
from patrol.reserves.models import Reserve
from threats.fieldsync.models import SyncReceipt
from threats.records.models import Detection, Incident, SnareFind, Species

Kind = SyncReceipt.Kind
RECORD_KINDS = (Kind.SNARE_FIND, Kind.INCIDENT, Kind.DETECTION)
EDITABLE_KINDS = (*RECORD_KINDS, Kind.PATROL)


class ItemRejected(Exception):
    """An item (or an edit) failed validation; `errors` maps fields to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class SyncItem:
    """One item of a batch, after its envelope was checked."""

    kind: str
    client_uuid: uuid.UUID
    recorded_at: datetime
    data: dict[str, Any]
    content_sha256: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    same_as: "SyncItem | None" = None
    receipt: SyncReceipt | None = None

    def __post_init__(self) -> None:
        canonical = json.dumps(
            {"kind": self.kind, "recorded_at": self.recorded_at.isoformat(), "data": self.data},
            sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
        )  # fmt: skip
        self.content_sha256 = hashlib.sha256(canonical.encode()).hexdigest()

    def answer(self, status: str, object_id: int | None = None, errors: dict | None = None) -> None:
        self.result = {"client_uuid": str(self.client_uuid), "status": status, "id": object_id, "errors": errors or {}}

    def reject(self, errors: dict[str, list[str]]) -> None:
        self.answer("rejected", errors=errors)


class _Rules:
    """The checks of one batch (or edit): the reserve's geometry, the clock, the species list."""

    def __init__(self, reserve: Reserve):
        self.reserve = reserve
        self.now = timezone.now()
        self.latest = self.now + timedelta(seconds=settings.IRBIS_SYNC_CLOCK_SKEW_S)
        self._species: dict[str, Species] | None = None
        self._geo: tuple[Any, GEOSGeometry, CoordTransform] | None = None
        self.specs: dict[str, tuple[dict[str, Callable[[Any], Any]], set[str]]] = {}

    def species(self, name: str) -> Species | None:
        if self._species is None:
            self._species = {s.scientific_name.lower(): s for s in Species.objects.all()}
        return self._species.get(name.lower())

    def metres_outside(self, point: Point) -> float:
        """Distance to the reserve boundary in metres, measured in the reserve's projected CRS; 0 inside."""
        if self._geo is None:
            boundary = self.reserve.boundary
            transform = CoordTransform(SpatialReference(4326), SpatialReference(self.reserve.projected_epsg))
            self._geo = (boundary.prepared, boundary.transform(transform, clone=True), transform)
        prepared, projected, transform = self._geo
        if prepared.covers(point):
            return 0.0
        return projected.distance(point.transform(transform, clone=True))

    def flags(self, location: Point | None, accuracy: float | None) -> list[dict[str, Any]]:
        reasons = []
        if location is not None:
            outside = self.metres_outside(location)
            if outside > settings.IRBIS_SYNC_OUTSIDE_RESERVE_FLAG_M:
                message = _("%(m)d m outside the reserve boundary.") % {"m": round(outside)}
                reasons.append({"code": "outside_reserve", "distance_m": round(outside), "message": message})
        if accuracy is not None and accuracy > settings.IRBIS_SYNC_ACCURACY_FLAG_M:
            reasons.append({"code": "low_gps_accuracy", "accuracy_m": accuracy,
                            "message": _("GPS accuracy %(a)d m is worse than %(t)d m.")
                            % {"a": round(accuracy), "t": round(settings.IRBIS_SYNC_ACCURACY_FLAG_M)}})  # fmt: skip
        return reasons


def parse_time(value: Any, rules: _Rules) -> datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(_("Not a date and time (ISO 8601 expected)."))
    if timezone.is_naive(parsed):
        raise ValueError(_("Give the time with its UTC offset, e.g. 2026-01-15T08:30:00+07:00."))
    if parsed > rules.latest:
        raise ValueError(_("This time is in the future (server time %(now)s).") % {"now": rules.now.isoformat()})
    return parsed


def _float(value: Any, *, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(_("A number is required."))
    if minimum is not None and value < minimum:
        raise ValueError(_("Must be at least %(min)s.") % {"min": minimum})
    return float(value)


def _int(value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(_("A whole number is required."))
    if value < minimum:
        raise ValueError(_("Must be at least %(min)s.") % {"min": minimum})
    return value


def _lonlat(lon: Any, lat: Any) -> Point:
    lon, lat = _float(lon), _float(lat)
    if not -180 <= lon <= 180:
        raise ValueError(_("Longitude must be between -180 and 180."))
    if not -90 <= lat <= 90:
        raise ValueError(_("Latitude must be between -90 and 90."))
    return Point(lon, lat, srid=4326)


def _point(value: Any) -> Point:
    coords = value.get("coordinates") if isinstance(value, dict) and value.get("type") == "Point" else None
    if not isinstance(coords, list) or len(coords) not in (2, 3):
        raise ValueError(_('A GeoJSON Point is required: {"type": "Point", "coordinates": [lon, lat]}.'))
    return _lonlat(coords[0], coords[1])


def _text(max_length: int | None = None) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(_("Text is required."))
        if max_length is not None and len(value) > max_length:
            raise ValueError(_("At most %(n)d characters.") % {"n": max_length})
        return value

    return parse


def _choice(choices: type) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in choices.values:
            raise ValueError(
                _("'%(value)s' is not one of: %(choices)s.") % {"value": value, "choices": ", ".join(choices.values)}
            )
        return value

    return parse


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise ValueError(_("Not a UUID.")) from exc


def _nullable(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else parse(value)


def _species_parser(rules: _Rules) -> Callable[[Any], Species | None]:
    def parse(value: Any) -> Species:
        species = rules.species(value) if isinstance(value, str) else None
        if species is None:
            raise ValueError(_("Unknown species: '%(value)s'.") % {"value": value})
        return species

    return parse


def _common(rules: _Rules) -> dict[str, Callable[[Any], Any]]:
    return {
        "reserve": lambda slug: slug,  # checked against the device's reserve
        "location": _point,
        "gps_accuracy_m": _nullable(lambda v: _float(v, minimum=0)),
        "notes": _text(),
        "patrol": _nullable(lambda v: _int(v, minimum=1)),
        "patrol_uuid": _nullable(_uuid),
    }


def _spec(kind: str, rules: _Rules) -> tuple[dict[str, Callable[[Any], Any]], set[str]]:
    """Per kind: a parser per data field, and the required fields."""
    time = lambda v: parse_time(v, rules)  # noqa: E731
    if kind == Kind.SNARE_FIND:
        return {
            **_common(rules), "found_at": time, "count": lambda v: _int(v, minimum=1),
            "material": _choice(SnareFind.Material), "state": _choice(SnareFind.State),
            "placement": _choice(SnareFind.Placement), "catch_species": _nullable(_species_parser(rules)),
            "catch_condition": _choice(SnareFind.CatchCondition), "action": _choice(SnareFind.Action),
        }, {"location", "material", "state", "action"}  # fmt: skip
    if kind == Kind.INCIDENT:
        return {
            **_common(rules), "kind": _choice(Incident.Kind), "occurred_at": time, "description": _text(),
            "snare_find_uuids": lambda v: [_uuid(u) for u in (v if isinstance(v, list) else [None])],
        }, {"location", "kind"}  # fmt: skip
    if kind == Kind.DETECTION:
        return {
            **_common(rules), "species": _species_parser(rules), "method": _choice(Detection.Method),
            "observed_at": time, "count": lambda v: _int(v, minimum=1), "individual_id": _text(100),
        }, {"location", "species", "method"}  # fmt: skip
    if kind == Kind.PATROL:
        return {
            "reserve": lambda slug: slug, "team": lambda v: _int(v, minimum=1),
            "transport": _choice(Patrol.Transport), "objective": _text(), "status": _choice(Patrol.Status),
            "actual_start": _nullable(time), "actual_end": _nullable(time),
        }, {"team"}  # fmt: skip
    return {
        "reserve": lambda slug: slug, "patrol": _nullable(lambda v: _int(v, minimum=1)),
        "patrol_uuid": _nullable(_uuid), "segment": lambda v: _int(v, minimum=0),
        "points": lambda v: _track_points(v, rules),
    }, {"points"}  # fmt: skip


def _track_points(value: Any, rules: _Rules) -> list[tuple[datetime, Point, float | None]]:
    """[[time, lon, lat, accuracy or null], ...]"""
    if not isinstance(value, list) or not value:
        raise ValueError(_("A non-empty list of [time, lon, lat, accuracy] is required."))
    if len(value) > settings.IRBIS_SYNC_MAX_TRACK_POINTS:
        raise ValueError(_("At most %(n)d points per item.") % {"n": settings.IRBIS_SYNC_MAX_TRACK_POINTS})
    points = []
    for number, row in enumerate(value):
        try:
            if not isinstance(row, list) or len(row) != 4:
                raise ValueError(_("Each point is [time, lon, lat, accuracy]."))
            accuracy = None if row[3] is None else _float(row[3], minimum=0)
            points.append((parse_time(row[0], rules), _lonlat(row[1], row[2]), accuracy))
        except ValueError as exc:
            raise ValueError(_("Point %(n)d: %(error)s") % {"n": number, "error": exc}) from exc
    return points


def parse_item_data(kind: str, data: dict[str, Any], rules: _Rules, *, partial: bool = False) -> dict[str, Any]:
    """Check an item's data against the rules; return model values, or raise ItemRejected with reasons."""
    if kind not in rules.specs:
        rules.specs[kind] = _spec(kind, rules)
    parsers, required = rules.specs[kind]
    errors: dict[str, list[str]] = {name: [_("Unknown field.")] for name in data if name not in parsers}
    values: dict[str, Any] = {}
    for name, parse in parsers.items():
        if name not in data:
            if name in required and not partial:
                errors[name] = [_("This field is required.")]
            continue
        try:
            values[name] = parse(data[name])
        except ValueError as exc:
            errors[name] = [str(exc)]
    slug = values.pop("reserve", rules.reserve.slug)
    if slug != rules.reserve.slug:
        errors["reserve"] = [_("No reserve '%(slug)s' on this device: it syncs into '%(own)s'.")
                             % {"slug": slug, "own": rules.reserve.slug}]  # fmt: skip
    if kind == Kind.SNARE_FIND and values.get("catch_species") and values.get("catch_condition", "none") == "none":
        errors["catch_condition"] = [_("A catch species is given: say whether it was alive, injured or dead.")]
    start, end = values.get("actual_start"), values.get("actual_end")
    if start and end and end <= start:
        errors["actual_end"] = [_("The end must be after the start.")]
    if errors:
        raise ItemRejected(errors)
    return values

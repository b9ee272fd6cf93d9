"""One validation per record kind: snare finds, incidents, detections, and patrols as the field sync knows them.

The REST serializers, the field sync (ingest and edits), the reserve package reader and the admin forms
all call these functions, so a record is held to the same rules whichever way it arrives. Each takes
values already parsed to Python types (Point, datetime, int, str, Species or a scientific name, Patrol...)
and a RecordContext (the reserve, the clock, the species list), and returns the cleaned values or raises
a django ValidationError mapping fields to messages. The database constraints in models.py stay as the
last line of defence.

The checks are plain functions over a dict: cheap enough to run per item on the sync's bulk path, with
the species list loaded once per context (once per batch).
"""

import math
from collections.abc import Mapping
from ctypes import c_double
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.gis.gdal import CoordTransform, GDALException, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, Point
from django.contrib.gis.geos.prototypes import destroy_geom
from django.contrib.gis.geos.prototypes.geom import GeomOutput
from django.contrib.gis.geos.prototypes.prepared import prepared_covers
from django.contrib.gis.ptr import CPointerBase
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from patrol.patrols.models import Patrol
from patrol.reserves.models import Reserve
from threats.records.models import EARLIEST_RECORD_TIME, Detection, Incident, SnareFind, Species

EARLIEST = EARLIEST_RECORD_TIME  # also a database constraint on each record kind's time
MAX_INT = 2**31 - 1  # PostgreSQL integer


class RecordContext:
    """What the rules of one request or batch need: the reserve and its geometry, the clock, the species."""

    def __init__(self, reserve: Reserve, *, now: datetime | None = None):
        self.reserve = reserve
        self.now = now or timezone.now()
        self.latest = self.now + timedelta(seconds=settings.IRBIS_SYNC_CLOCK_SKEW_S)
        self._species: dict[str, Species] | None = None
        self._geo: tuple[Any, GEOSGeometry, CoordTransform] | None = None
        self._outside: dict[tuple[float, float], float] = {}  # by the floats of a LonLatPoint

    def species(self, name: str) -> Species | None:
        """A species by scientific name, case-insensitive; the list is read once per context."""
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
        lonlat = point.lonlat if isinstance(point, LonLatPoint) and point._ptr is None else None
        if lonlat is not None:  # the floats alone: no GEOS object (a batch checks each point twice)
            if lonlat not in self._outside:
                covered = _covers_xy(prepared, *lonlat)
                self._outside[lonlat] = 0.0 if covered else projected.distance(point.transform(transform, clone=True))
            return self._outside[lonlat]
        if prepared.covers(point):
            return 0.0
        return projected.distance(point.transform(transform, clone=True))

    def measurable(self, point: Point) -> bool:
        """Whether the point lies in the domain of the reserve's projected CRS (0, 0 is not, for a UTM zone)."""
        try:
            return math.isfinite(self.metres_outside(point))
        except GDALException:
            return False

    def review_reasons(self, location: Point | None, accuracy: float | None) -> list[dict[str, Any]]:
        """Why a record needs a manager's eye: far outside the reserve, or a poor GPS fix. Stored, not rejected."""
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


# --- single values: each returns (code, message) for a bad value, or None ----------------------------------


def time_error(value: datetime, context: RecordContext) -> str | None:
    if value > context.latest:
        return _("This time is in the future (server time %(now)s).") % {"now": context.now.isoformat()}
    if value < EARLIEST:
        return _("This time is before %(earliest)s: check the device's date.") % {"earliest": EARLIEST.date()}
    return None


class LonLatPoint(Point):
    """A WGS84 Point that keeps the floats it was made from, and makes its GEOS object only when something
    needs it (a distance, a save through the ORM): checking the floats, and whether the reserve covers them,
    costs no GEOS object (the sync's bulk path checks thousands per batch, and stores them from the floats).
    Made once and not moved; a pickled copy falls back to x and y."""

    def __init__(self, lon: float, lat: float):  # no Point.__init__ here: see ptr
        self.lonlat = (lon, lat)

    @property
    def ptr(self) -> Any:
        if self._ptr is None and "lonlat" in self.__dict__:
            Point.__init__(self, *self.lonlat, srid=4326)  # the GEOS object, at first use
        return CPointerBase.ptr.fget(self)

    @ptr.setter
    def ptr(self, value: Any) -> None:
        CPointerBase.ptr.fset(self, value)

    def __getattr__(self, name: str) -> Any:
        if name == "_cs" and "lonlat" in self.__dict__:  # set with the GEOS object (Point.x, .coords...)
            self.ptr  # noqa: B018
            return self.__dict__["_cs"]
        raise AttributeError(name)


_point_from_xy = GeomOutput("GEOSGeom_createPointFromXY", argtypes=[c_double, c_double])


def _covers_xy(prepared: Any, lon: float, lat: float) -> bool:
    """prepared.covers(Point(lon, lat)) with a bare GEOS point: three GEOS calls instead of a dozen."""
    point = _point_from_xy(lon, lat)
    try:
        return prepared_covers(prepared.ptr, point)
    finally:
        destroy_geom(point)


def location_error(value: Any) -> tuple[str, str] | None:
    """A WGS84 point with a real longitude and latitude; the code names the bad coordinate."""
    if not isinstance(value, Point):
        return "invalid", _("A location must be a GeoJSON Point.")
    lon, lat = getattr(value, "lonlat", None) or (value.x, value.y)
    if not -180 <= lon <= 180:  # also false for NaN
        return "longitude", _("Longitude must be between -180 and 180.")
    if not -90 <= lat <= 90:
        return "latitude", _("Latitude must be between -90 and 90.")
    return None


def _accuracy_error(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return _("A number is required.")
    if value < 0:
        return _("GPS accuracy cannot be negative.")
    return None


def _count_error(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return _("A whole number is required.")
    if value < 1:
        return _("Must be at least %(min)s.") % {"min": 1}
    if value > MAX_INT:
        return _("Must be at most %(max)s.") % {"max": MAX_INT}
    return None


def _encodable(value: str) -> bool:
    """A lone surrogate ("\\ud800" in JSON) parses into a Python string but cannot be stored as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text_error(value: Any, max_length: int | None) -> str | None:
    if not isinstance(value, str):
        return _("Text is required.")
    if "\x00" in value:
        return _("Text cannot contain NUL characters.")
    if not _encodable(value):
        return _("Text cannot contain lone surrogate characters.")
    if max_length is not None and len(value) > max_length:
        return _("At most %(n)d characters.") % {"n": max_length}
    return None


def _choice_error(value: Any, allowed: frozenset[str], choices: type[models.TextChoices]) -> str | None:
    if not isinstance(value, str) or value not in allowed:  # a set: TextChoices.values is rebuilt on each read
        return _("'%(value)s' is not one of: %(choices)s.") % {"value": value, "choices": ", ".join(choices.values)}
    return None


# --- record kinds ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordRules:
    """The fields of one kind that the shared checks cover; cross-field rules are in `extra`."""

    model: type[models.Model]
    required: tuple[str, ...]
    times: tuple[str, ...] = ()
    choices: dict[str, type[models.TextChoices]] = field(default_factory=dict)
    texts: dict[str, int | None] = field(default_factory=dict)
    species: tuple[str, ...] = ()
    same_reserve: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()
    located: bool = True
    allowed: dict[str, frozenset[str]] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed", {name: frozenset(c.values) for name, c in self.choices.items()})


_RECORD_TEXTS = {"notes": None}
_RECORD_REFS = ("patrol",)

SNARE_FIND = RecordRules(
    model=SnareFind, required=("location", "material", "state", "action"), times=("found_at",),
    choices={"material": SnareFind.Material, "state": SnareFind.State, "placement": SnareFind.Placement,
             "catch_condition": SnareFind.CatchCondition, "action": SnareFind.Action},
    texts=_RECORD_TEXTS, species=("catch_species",), same_reserve=_RECORD_REFS, counts=("count",),
)  # fmt: skip
INCIDENT = RecordRules(
    model=Incident, required=("location", "kind"), times=("occurred_at",), choices={"kind": Incident.Kind},
    texts={**_RECORD_TEXTS, "description": None}, same_reserve=_RECORD_REFS,
)  # fmt: skip
DETECTION = RecordRules(
    model=Detection, required=("location", "method"), times=("observed_at",),
    choices={"method": Detection.Method, "observation_type": Detection.ObservationType},
    texts={**_RECORD_TEXTS, "individual_id": 100}, species=("species",),
    same_reserve=(*_RECORD_REFS, "deployment"), counts=("count",),
)  # fmt: skip
PATROL = RecordRules(
    model=Patrol, required=(), times=("actual_start", "actual_end", "planned_start", "planned_end"),
    choices={"transport": Patrol.Transport, "status": Patrol.Status}, texts={"objective": None}, located=False,
)  # fmt: skip


class _Checker:
    """Collects errors by field, and reads a value as it will be after the change (given, stored or default)."""

    def __init__(self, rules: RecordRules, values: Mapping[str, Any], instance: Any):
        self.rules, self.cleaned, self.instance = rules, dict(values), instance
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, name: str, message: str, code: str = "invalid") -> None:
        self.errors.setdefault(name, []).append(ValidationError(message, code=code))

    def value(self, name: str) -> Any:
        if name in self.cleaned:
            return self.cleaned[name]
        if self.instance is not None:
            return getattr(self.instance, name)
        return self.rules.model._meta.get_field(name).get_default()

    def changed(self, name: str) -> bool:
        return name in self.cleaned and (self.instance is None or getattr(self.instance, name) != self.cleaned[name])


def _check_fields(check: _Checker, context: RecordContext) -> None:
    rules, values = check.rules, check.cleaned
    if check.instance is None:
        for name in rules.required:
            if values.get(name) is None:
                check.add(name, _("This field is required."), "required")
    if rules.located:
        if values.get("location") is not None and (error := location_error(values["location"])):
            check.add("location", error[1], error[0])
        elif values.get("location") is not None and not context.measurable(values["location"]):
            check.add("location", _("This point is too far from the reserve to be measured in its map projection."))
        if values.get("gps_accuracy_m") is not None and (message := _accuracy_error(values["gps_accuracy_m"])):
            check.add("gps_accuracy_m", message)
    for name in rules.times:
        if values.get(name) is not None and (message := time_error(values[name], context)):
            check.add(name, message)
    for name in rules.counts:
        if name in values and (message := _count_error(values[name])):
            check.add(name, message)
    for name, choices in rules.choices.items():
        if name in values and (message := _choice_error(values[name], rules.allowed[name], choices)):
            check.add(name, message)
    for name, max_length in rules.texts.items():
        if name in values and (message := _text_error(values[name], max_length)):
            check.add(name, message)
    for name in rules.species:
        value = values.get(name)
        if value is None or isinstance(value, Species):
            continue
        species = context.species(value) if isinstance(value, str) else None
        if species is None:
            check.add(name, _("Unknown species: '%(value)s'.") % {"value": value})
        else:
            values[name] = species
    for name in rules.same_reserve:
        obj = values.get(name)
        if obj is not None and obj.reserve_id != context.reserve.pk:
            check.add(name, _("This object belongs to another reserve."))


def _flag(check: _Checker, context: RecordContext) -> None:
    """A new or moved record gets its review reasons; an unchanged one keeps what a manager decided."""
    if not (check.changed("location") or check.changed("gps_accuracy_m")) or check.errors:
        return
    reasons = context.review_reasons(check.value("location"), check.value("gps_accuracy_m"))
    check.cleaned["review_reasons"] = reasons
    check.cleaned["needs_review"] = bool(reasons)


def _finish(check: _Checker) -> dict[str, Any]:
    if check.errors:
        raise ValidationError(check.errors)
    return check.cleaned


def snare_find_clean(values: Mapping[str, Any], *, context: RecordContext, instance: SnareFind | None = None,
                     flag: bool = True) -> dict[str, Any]:  # fmt: skip
    """A snare find's values, checked; with `instance`, a change to it. Raises ValidationError by field."""
    check = _Checker(SNARE_FIND, values, instance)
    _check_fields(check, context)
    species = check.value("catch_species")
    if species is not None and check.value("catch_condition") == SnareFind.CatchCondition.NONE:
        if "catch_condition" not in check.errors and "catch_species" not in check.errors:
            check.add("catch_condition", _("A catch species is given: say whether it was alive, injured or dead."))
    if flag:
        _flag(check, context)
    return _finish(check)


def incident_clean(values: Mapping[str, Any], *, context: RecordContext, instance: Incident | None = None,
                   flag: bool = True) -> dict[str, Any]:  # fmt: skip
    check = _Checker(INCIDENT, values, instance)
    _check_fields(check, context)
    finds = values.get("snare_finds") or []
    if any(find.reserve_id != context.reserve.pk for find in finds):
        check.add("snare_finds", _("This object belongs to another reserve."))
    if flag:
        _flag(check, context)
    return _finish(check)


def detection_clean(values: Mapping[str, Any], *, context: RecordContext, instance: Detection | None = None,
                    flag: bool = True) -> dict[str, Any]:  # fmt: skip
    check = _Checker(DETECTION, values, instance)
    _check_fields(check, context)
    if "species" not in check.errors and "observation_type" not in check.errors:
        animal = check.value("observation_type") == Detection.ObservationType.ANIMAL
        species = check.value("species")
        if animal and species is None:
            check.add("species", _("Which species? It is required for an animal."), "required")
        elif not animal and species is not None:
            check.add("species", _("People and vehicles have no species."))
    if flag:
        _flag(check, context)
    return _finish(check)


def patrol_clean(values: Mapping[str, Any], *, context: RecordContext, instance: Patrol | None = None,
                 flag: bool = False) -> dict[str, Any]:  # fmt: skip
    """A patrol as the field sync and the reserve package know it: times, transport, status, objective."""
    check = _Checker(PATROL, values, instance)
    _check_fields(check, context)
    for start, end in (("actual_start", "actual_end"), ("planned_start", "planned_end")):
        if start in check.errors or end in check.errors or not (check.changed(start) or check.changed(end)):
            continue
        begun, ended = check.value(start), check.value(end)
        if begun and ended and ended <= begun:
            check.add(end, _("The end must be after the start."))
    return _finish(check)


CLEANERS = {"snare_find": snare_find_clean, "incident": incident_clean, "detection": detection_clean,
            "patrol": patrol_clean}  # fmt: skip


def errors_by_field(exc: ValidationError) -> dict[str, list[str]]:
    """The messages of a ValidationError from this module, by field."""
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}

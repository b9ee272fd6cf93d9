"""Parsing the items a phone sends: JSON values to Python values; the rules are threats.records.validation's."""

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from patrol.reserves.models import Reserve
from threats.fieldsync.actions import action_clean, incident_ref_errors
from threats.fieldsync.models import SyncReceipt
from threats.records.validation import CLEANERS, LonLatPoint, RecordContext, location_error, time_error

Kind = SyncReceipt.Kind
RECORD_KINDS = (Kind.SNARE_FIND, Kind.INCIDENT, Kind.DETECTION)
EDITABLE_KINDS = (*RECORD_KINDS, Kind.PATROL)
PHOTO_KINDS = (*RECORD_KINDS, Kind.ACTION, Kind.EVIDENCE)  # what a photo may belong to
ITEM_KINDS = [k for k in Kind.values if k != Kind.EVIDENCE]  # evidence items come inside an action


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
    receipt_id: int | None = None  # the SyncReceipt this request inserted for the item (see ingest._claim)

    def __post_init__(self) -> None:
        canonical = json.dumps(
            {"kind": self.kind, "recorded_at": self.recorded_at.isoformat(), "data": self.data},
            sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
        )  # fmt: skip
        # surrogatepass: a lone surrogate is rejected by validation; hashing it must not fail first.
        self.content_sha256 = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()

    def answer(self, status: str, object_id: int | None = None, errors: dict | None = None) -> None:
        self.result = {"client_uuid": str(self.client_uuid), "status": status, "id": object_id, "errors": errors or {}}

    def reject(self, errors: dict[str, list[str]]) -> None:
        self.answer("rejected", errors=errors)


class _Rules(RecordContext):
    """The checks of one batch (or edit): threats.records.validation's context, plus the parsers per kind."""

    def __init__(self, reserve: Reserve):
        super().__init__(reserve)
        self.specs: dict[str, dict[str, Callable[[Any], Any]]] = {}


def parse_time(value: Any, rules: _Rules | None = None) -> datetime:
    """An ISO 8601 time with its UTC offset (whether it is a sane time is threats.records.validation's rule)."""
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(_("Not a date and time (ISO 8601 expected)."))
    if timezone.is_naive(parsed):
        raise ValueError(_("Give the time with its UTC offset, e.g. 2026-01-15T08:30:00+07:00."))
    return parsed


def _float(value: Any, *, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(_("A number is required."))
    if minimum is not None and value < minimum:
        raise ValueError(_("Must be at least %(min)s.") % {"min": minimum})
    return float(value)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(_("A number is required."))
    return value


def _int(value: Any, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(_("A whole number is required."))
    if minimum is not None and value < minimum:
        raise ValueError(_("Must be at least %(min)s.") % {"min": minimum})
    return value


def _lonlat(lon: Any, lat: Any) -> Point:
    return LonLatPoint(_float(lon), _float(lat))


def _point(value: Any) -> Point:
    coords = value.get("coordinates") if isinstance(value, dict) and value.get("type") == "Point" else None
    if not isinstance(coords, list) or len(coords) not in (2, 3):
        raise ValueError(_('A GeoJSON Point is required: {"type": "Point", "coordinates": [lon, lat]}.'))
    return _lonlat(coords[0], coords[1])


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(_("Text is required."))
    return value


def _as_is(value: Any) -> Any:
    """Choices and species names: whether they are known is a rule of threats.records.validation."""
    return value


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise ValueError(_("Not a UUID.")) from exc


def _nullable(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else parse(value)


def _reserve(slug: Any) -> Any:
    return slug  # checked against the device's reserve


def _decimal(value: Any) -> Decimal:
    """A number, or a decimal string ("1500.50"): money is not a float."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(_("A number is required."))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(_("A number is required.")) from exc
    if not number.is_finite():
        raise ValueError(_("A number is required."))
    return number.quantize(Decimal("0.01"))


def _seized_items(value: Any) -> list[dict[str, Any]]:
    """[{"client_uuid", "kind", "quantity", "description"}, ...]: JSON types only (the rules: actions.py)."""
    if not isinstance(value, list):
        raise ValueError(_("A list of items is required."))
    parsers = {"client_uuid": _uuid, "kind": _as_is, "quantity": _int, "description": _text}
    items = []
    for number, row in enumerate(value):
        if not isinstance(row, dict):
            raise ValueError(_("Item %(n)d: %(error)s") % {"n": number, "error": _("An object is required.")})
        item = {}
        for name, field_value in row.items():
            parse = parsers.get(name)
            try:
                if parse is None:
                    raise ValueError(_("Unknown field."))
                item[name] = parse(field_value)
            except ValueError as exc:
                raise ValueError(_("Item %(n)d: %(error)s") % {"n": number, "error": f"{name}: {exc}"}) from exc
        items.append(item)
    return items


_REFS = {"patrol": _nullable(lambda v: _int(v, minimum=1)), "patrol_uuid": _nullable(_uuid)}
_RECORD = {"reserve": _reserve, "location": _point, "gps_accuracy_m": _nullable(_number), "notes": _text, **_REFS}
_TIME = _nullable(parse_time)

# Per kind, a parser of the JSON value of each field the phone may send: JSON types to Python types only.
PARSERS: dict[str, dict[str, Callable[[Any], Any]]] = {
    Kind.ACTION: {  # a seizure or a protocol at an incident (actions.py)
        "reserve": _reserve, "location": _nullable(_point), "place_name": _text, **_REFS, "kind": _as_is,
        "taken_at": parse_time, "description": _text, "protocol_number": _text, "fine_amount": _nullable(_decimal),
        "fine_currency": _text, "incident": _nullable(lambda v: _int(v, minimum=1)),
        "incident_uuid": _nullable(_uuid), "items": _seized_items,
    },
    Kind.SNARE_FIND: {
        **_RECORD, "found_at": parse_time, "count": _int, "material": _as_is, "state": _as_is, "placement": _as_is,
        "catch_species": _nullable(_as_is), "catch_condition": _as_is, "action": _as_is,
    },
    Kind.INCIDENT: {
        **_RECORD, "kind": _as_is, "occurred_at": parse_time, "description": _text,
        "snare_find_uuids": lambda v: [_uuid(u) for u in (v if isinstance(v, list) else [None])],
    },
    Kind.DETECTION: {
        **_RECORD, "species": _as_is, "method": _as_is, "observed_at": parse_time, "count": _int,
        "individual_id": _text,
    },
    Kind.PATROL: {
        "reserve": _reserve, "team": lambda v: _int(v, minimum=1), "transport": _as_is, "objective": _text,
        "status": _as_is, "actual_start": _TIME, "actual_end": _TIME,
    },
    Kind.TRACK_POINTS: {"reserve": _reserve, **_REFS, "segment": lambda v: _int(v, minimum=0), "points": _as_is},
    Kind.PATROL_EVENT: {"reserve": _reserve, **_REFS, "event": _as_is, "at": parse_time},
}  # fmt: skip
REQUIRED = {Kind.PATROL: {"team"}, Kind.TRACK_POINTS: {"points"}, Kind.PATROL_EVENT: {"event", "at"}}
# (the record kinds' required fields are validation.CLEANERS' rules)
PATROL_EVENTS = ("start", "end")


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
            at, point = parse_time(row[0]), _lonlat(row[1], row[2])
            error = time_error(at, rules) or (location_error(point) or (None, None))[1]
            if error:
                raise ValueError(error)
            points.append((at, point, accuracy))
        except ValueError as exc:
            raise ValueError(_("Point %(n)d: %(error)s") % {"n": number, "error": exc}) from exc
    return points


SYNC_CLEANERS = {**CLEANERS, Kind.ACTION: action_clean}
# Links resolved to objects after the claim (ingest), not by the cleaners.
REFS = ("patrol", "patrol_uuid", "team", "snare_find_uuids", "incident", "incident_uuid")


def parse_item_data(kind: str, data: dict[str, Any], rules: _Rules, *, partial: bool = False,
                    instance: Any = None) -> dict[str, Any]:  # fmt: skip
    """Parse an item's JSON data and check it with the record kind's rules (threats.records.validation).

    Returns model values (with the review reasons of a new or moved record), or raises ItemRejected with
    the errors by field. `instance` is the record an edit changes (`partial`): rules spanning fields see it.
    """
    parsers = PARSERS[kind]
    errors: dict[str, list[str]] = {name: [_("Unknown field.")] for name in data if name not in parsers}
    values: dict[str, Any] = {}
    for name, value in data.items():
        parse = parsers.get(name)
        if parse is None:
            continue
        try:
            values[name] = parse(value)
        except ValueError as exc:
            errors[name] = [str(exc)]
    if not partial:
        for name in REQUIRED.get(kind, ()):
            if name not in data:
                errors[name] = [_("This field is required.")]
    slug = values.pop("reserve", rules.reserve.slug)
    if slug != rules.reserve.slug:
        errors["reserve"] = [_("No reserve '%(slug)s' on this device: it syncs into '%(own)s'.")
                             % {"slug": slug, "own": rules.reserve.slug}]  # fmt: skip
    if kind == Kind.PATROL_EVENT:  # a lifecycle step of an assigned or phone-started patrol
        if "event" in values and values["event"] not in PATROL_EVENTS:
            errors["event"] = [_("Unknown patrol event: use one of %(events)s.") % {"events": ", ".join(PATROL_EVENTS)}]
        if "at" in values and (error := time_error(values["at"], rules)):
            errors["at"] = [error]
        if not (values.get("patrol") or values.get("patrol_uuid")):
            errors["patrol"] = [_("A patrol event needs a patrol or patrol_uuid.")]
    elif kind == Kind.TRACK_POINTS:
        if "points" in values:
            try:
                values["points"] = _track_points(values["points"], rules)
            except ValueError as exc:
                errors["points"] = [str(exc)]
    else:
        refs = {name: values.pop(name) for name in REFS if name in values}
        if kind == Kind.ACTION and not partial:
            for name, messages in incident_ref_errors(refs).items():
                errors.setdefault(name, messages)
        try:
            values = SYNC_CLEANERS[kind](values, context=rules, instance=instance if partial else None)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, messages)
        values.update(refs)
    if errors:
        raise ItemRejected(errors)
    return values

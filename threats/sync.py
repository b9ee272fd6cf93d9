"""Field sync: device tokens, batch ingest of records logged offline, edits with versions, photos.

Idempotency (docs/adr/0003-offline-sync-idempotency.md): every item carries a client UUID. The first
time it arrives a SyncReceipt (unique per reserve and client UUID) is inserted with the SHA-256 of
the item's content, in the same transaction as the record. The unique constraint, not a prior
check, decides who stores an item: a second request sending the same item (a retry, or the same
batch twice at once) finds the receipt and answers "duplicate" with the original id; the same UUID
with other content is rejected. Snare finds and detections are stored with one INSERT per batch;
incidents, patrols and failures fall back to the per-record services, each in a savepoint.
"""

import hashlib
import json
import os
import secrets
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import AutoField, JSONField, Model, Q
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from patrol.access import membership_require, require_record_create
from patrol.models import Patrol, Reserve
from patrol.selectors import CREATE_ROLES, WRITE_ALL_ROLES, User, patrols_for_user, teams_for_user
from patrol.services import _queue_track_measure, patrol_create
from threats.models import Detection, Device, Incident, Photo, SnareFind, Species, SyncReceipt, TrackPoint
from threats.risk_services import risk_recompute_schedule
from threats.selectors import snare_finds_for_user
from threats.services import detection_create, incident_create, snare_find_create
from threats.sync_selectors import photo_get, receipts_by_uuid, synced_record_get, token_sha256

Kind = SyncReceipt.Kind
RECORD_KINDS = (Kind.SNARE_FIND, Kind.INCIDENT, Kind.DETECTION)
EDITABLE_KINDS = (*RECORD_KINDS, Kind.PATROL)


class ItemRejected(Exception):
    """An item (or an edit) failed validation; `errors` maps fields to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


class EditConflict(Exception):
    """The edit was made against a version that is no longer the current one."""

    def __init__(self, current_version: int):
        super().__init__(current_version)
        self.current_version = current_version


class PhotoRejected(Exception):
    """code: one of too_large, unsupported_type, hash_mismatch, invalid."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- devices -------------------------------------------------------------------------------------


@transaction.atomic
def device_login(*, user: Any, reserve: Reserve, device_id: str, name: str = "") -> tuple[Device, str]:
    """Give the device a new token for this user and reserve; the token is returned once, only its hash kept.

    Logging in again from a device (even a revoked one: the password was given again) replaces its token.
    """
    membership_require(user=user, reserve=reserve)
    token = secrets.token_urlsafe(32)
    device, _created = Device.objects.update_or_create(
        user=user,
        device_id=device_id,
        defaults={"reserve": reserve, "name": name, "token_sha256": token_sha256(token), "revoked_at": None,
                  "revoked_by": None},
    )  # fmt: skip
    return device, token


def device_touch(*, device: Device) -> None:
    """Note when a device was last seen, at most once a minute (no write per request)."""
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at > timedelta(minutes=1):
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now


@transaction.atomic
def device_revoke(*, actor: User, device: Device) -> Device:
    """The owner, or a manager or administrator of the device's reserve, revokes its token (a lost phone)."""
    if device.user_id != actor.pk:
        membership = membership_require(user=actor, reserve=device.reserve)
        if membership.role not in WRITE_ALL_ROLES:
            raise PermissionDenied(_("Only the owner or a manager may revoke a device."))
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.revoked_by = actor
        device.save(update_fields=["revoked_at", "revoked_by"])
    return device


# --- items and their validation --------------------------------------------------------------------


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


# --- batch ingest ----------------------------------------------------------------------------------


@transaction.atomic
def sync_batch_ingest(*, actor: Any, device: Device, items: list[SyncItem]) -> list[SyncItem]:
    """Store a device's batch; every item gets its result (created, duplicate or rejected), in order.

    Runs in one transaction: receipts and records commit together, so a concurrent duplicate waits on
    the receipt's unique index and then sees the committed record.
    """
    reserve = device.reserve
    require_record_create(user=actor, reserve=reserve, patrol=None)  # 404 non-member, 403 read-only
    rules = _Rules(reserve)

    first: dict[uuid.UUID, SyncItem] = {}
    for item in items:
        if item.client_uuid in first:
            item.same_as = first[item.client_uuid]
        else:
            first[item.client_uuid] = item
    unique = list(first.values())

    # The common case of a retry: answered from the receipts, before any validation.
    existing = receipts_by_uuid(reserve=reserve, client_uuids=[i.client_uuid for i in unique])
    new = []
    for item in unique:
        if item.client_uuid in existing:
            _answer_from_receipt(item, existing[item.client_uuid])
        else:
            try:
                if item.recorded_at > rules.latest:
                    raise ItemRejected({"recorded_at": [_("This time is in the future (server time %(now)s).")
                                                        % {"now": rules.now.isoformat()}]})  # fmt: skip
                item.values = parse_item_data(item.kind, item.data, rules)
            except ItemRejected as exc:
                item.reject(exc.errors)
            else:
                if item.kind in RECORD_KINDS:
                    item.reasons = rules.flags(item.values["location"], item.values.get("gps_accuracy_m"))
                new.append(item)

    claimed = _claim(reserve, device, new)
    _create_patrols(actor, reserve, [i for i in claimed if i.kind == Kind.PATROL])
    waiting = [i for i in claimed if i.result is None]
    _resolve_patrols(actor, reserve, waiting)
    for model, kind, service in ((SnareFind, Kind.SNARE_FIND, snare_find_create),
                                 (Detection, Kind.DETECTION, detection_create)):  # fmt: skip
        _create_records_bulk(
            actor, reserve, model, service, [i for i in waiting if i.kind == kind and i.result is None]
        )
    _create_incidents(actor, reserve, [i for i in waiting if i.kind == Kind.INCIDENT and i.result is None])
    _create_track_points(reserve, [i for i in waiting if i.kind == Kind.TRACK_POINTS and i.result is None])

    # Receipts of failed items go; the others learn their object's id.
    SyncReceipt.objects.filter(pk__in=[i.receipt.pk for i in claimed if i.result["status"] != "created"]).delete()
    _receipts_point_to([(i.receipt.pk, i.result["id"]) for i in claimed if i.result["status"] == "created"])
    if any(i.result["status"] == "created" for i in claimed):
        risk_recompute_schedule(reserve)  # one debounced risk recompute per batch (threats/risk_services.py)

    for item in items:
        if item.same_as is not None:
            original = item.same_as
            if item.content_sha256 != original.content_sha256:
                item.reject(_conflict_errors())
            elif original.result["status"] == "rejected":
                item.reject(original.result["errors"])
            else:
                item.answer("duplicate", original.result["id"])
    return items


def _receipts_point_to(pairs: list[tuple[int, int]]) -> None:
    """Set each receipt's object id, in one statement (bulk_update's CASE grows with the batch)."""
    if not pairs:
        return
    table = connection.ops.quote_name(SyncReceipt._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS r SET object_id = v.object_id "  # noqa: S608 - table name from model metadata
            "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, object_id) WHERE r.id = v.id",
            [[pk for pk, _o in pairs], [o for _pk, o in pairs]],
        )


def _conflict_errors() -> dict[str, list[str]]:
    return {"client_uuid": [_("This client UUID was already synced with different content; "
                              "send changes as an edit with the record's version.")]}  # fmt: skip


def _answer_from_receipt(item: SyncItem, receipt: SyncReceipt | None) -> None:
    if receipt is None:  # the other request that held it rolled back: the client retries
        item.reject({"client_uuid": [_("Another request was storing this item at the same time; send it again.")]})
    elif receipt.content_sha256 != item.content_sha256 or receipt.kind != item.kind:
        item.reject(_conflict_errors())
    else:
        item.answer("duplicate", receipt.object_id)


def _claim(reserve: Reserve, device: Device, items: list[SyncItem]) -> list[SyncItem]:
    """Insert the receipts; the unique constraint gives each client UUID to exactly one request."""
    if not items:
        return []
    batch_id = uuid.uuid4()
    SyncReceipt.objects.bulk_create(
        [SyncReceipt(reserve=reserve, client_uuid=i.client_uuid, kind=i.kind, content_sha256=i.content_sha256,
                     batch_id=batch_id, device=device) for i in items],
        ignore_conflicts=True,
    )  # fmt: skip
    uuids = [i.client_uuid for i in items]  # through the unique index, not a scan for the batch id
    mine = {
        r.client_uuid: r for r in SyncReceipt.objects.filter(reserve=reserve, client_uuid__in=uuids, batch_id=batch_id)
    }
    lost = [i for i in items if i.client_uuid not in mine]
    if lost:
        theirs = receipts_by_uuid(reserve=reserve, client_uuids=[i.client_uuid for i in lost])
        for item in lost:
            _answer_from_receipt(item, theirs.get(item.client_uuid))
    claimed = [i for i in items if i.client_uuid in mine]
    for item in claimed:
        item.receipt = mine[item.client_uuid]
    return claimed


def _errors_of(exc: Exception) -> dict[str, list[str]]:
    if isinstance(exc, ValidationError):
        return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    if isinstance(exc, Http404):
        return {"reserve": [_("No such reserve.")]}
    if isinstance(exc, IntegrityError):
        return {"non_field_errors": [_("The record breaks a database rule.")]}
    return {"non_field_errors": [str(exc)]}


def _each_in_savepoint(items: Iterable[SyncItem], create: Callable[[SyncItem], Any]) -> None:
    """The per-record path: each item in its own savepoint, so one bad item does not undo the batch."""
    for item in items:
        try:
            with transaction.atomic():
                record = create(item)
        except (ValidationError, PermissionDenied, Http404, IntegrityError) as exc:
            item.reject(_errors_of(exc))
        else:
            item.answer("created", record.pk)


def _create_patrols(actor: Any, reserve: Reserve, items: list[SyncItem]) -> None:
    if not items:
        return
    team_ids = {i.values["team"] for i in items}
    teams = {t.pk: t for t in teams_for_user(user=actor).filter(reserve=reserve, pk__in=team_ids)}

    def create(item: SyncItem) -> Patrol:
        values = dict(item.values)
        team = teams.get(values.pop("team"))
        if team is None:
            raise ValidationError({"team": [_("Unknown team.")]})
        values.setdefault("status", Patrol.Status.IN_PROGRESS)
        values.setdefault("actual_start", item.recorded_at)
        return patrol_create(
            actor=actor, reserve=reserve, team=team, leader=actor, client_uuid=item.client_uuid, **values
        )

    _each_in_savepoint(items, create)


def _resolve_patrols(actor: Any, reserve: Reserve, items: list[SyncItem]) -> None:
    """Replace `patrol` (server id) or `patrol_uuid` (a patrol started on a phone) by the Patrol, in one query."""
    ids = {i.values["patrol"] for i in items if i.values.get("patrol")}
    uuids = {i.values["patrol_uuid"] for i in items if i.values.get("patrol_uuid")}
    by_id: dict[int, Patrol] = {}
    if ids or uuids:
        refs = Q(pk__in=ids) | Q(client_uuid__in=uuids)
        by_id = {p.pk: p for p in patrols_for_user(user=actor).filter(refs, reserve=reserve)}
    by_uuid = {p.client_uuid: p for p in by_id.values() if p.client_uuid}
    allowed: dict[int, str | None] = {}
    for item in items:
        patrol_id, patrol_uuid = item.values.pop("patrol", None), item.values.pop("patrol_uuid", None)
        patrol = by_id.get(patrol_id) if patrol_id else by_uuid.get(patrol_uuid) if patrol_uuid else None
        if (patrol_id or patrol_uuid) and patrol is None:
            item.reject({"patrol_uuid" if patrol_uuid else "patrol": [_("Unknown patrol.")]})
            continue
        if patrol is None and item.kind == Kind.TRACK_POINTS:
            item.reject({"patrol": [_("Track points need a patrol or patrol_uuid.")]})
            continue
        if patrol is not None:
            if patrol.pk not in allowed:  # the role rule of every record create, once per patrol
                try:
                    require_record_create(user=actor, reserve=reserve, patrol=patrol)
                    allowed[patrol.pk] = None
                except PermissionDenied as exc:
                    allowed[patrol.pk] = str(exc)
            if allowed[patrol.pk]:
                item.reject({"patrol": [allowed[patrol.pk]]})
                continue
        item.values["patrol"] = patrol


def _record_fields(item: SyncItem, time_field: str) -> dict[str, Any]:
    values = dict(item.values)
    values.setdefault(time_field, item.recorded_at)
    values.pop("snare_find_uuids", None)
    return {**values, "client_uuid": item.client_uuid, "device_recorded_at": item.recorded_at,
            "needs_review": bool(item.reasons), "review_reasons": item.reasons}  # fmt: skip


TIME_FIELDS = {Kind.SNARE_FIND: "found_at", Kind.INCIDENT: "occurred_at", Kind.DETECTION: "observed_at"}


def _create_records_bulk(actor: Any, reserve: Reserve, model: type, service: Callable, items: list[SyncItem]) -> None:
    """One INSERT (plus one for the history) for all items; on a database error, the per-record services."""
    if not items:
        return
    objects = []
    for item in items:
        fields = _record_fields(item, TIME_FIELDS[item.kind])
        objects.append(model(reserve=reserve, reported_by=actor, **fields))
    try:
        with transaction.atomic():
            _insert_unnest(model, objects)
            now = timezone.now()
            history = model.history.model
            _insert_unnest(history, [
                history(history_date=now, history_user=actor, history_change_reason="field sync", history_type="+",
                        **{f.attname: getattr(obj, f.attname) for f in history.tracked_fields})
                for obj in objects
            ])  # fmt: skip
    except IntegrityError:
        _each_in_savepoint(
            items,
            lambda item: service(actor=actor, reserve=reserve, **_record_fields(item, TIME_FIELDS[item.kind])),
        )
        return
    for item, obj in zip(items, objects, strict=True):
        item.answer("created", obj.pk)


def _insert_unnest(model: type[Model], objects: list[Model]) -> None:
    """INSERT ... SELECT FROM unnest(one array per column) RETURNING id, and set the objects' ids.

    Django's bulk_create writes one placeholder per value when a model has a geometry, and that long
    statement costs more to build and parse than the insert itself; this one is short whatever the
    batch size. Values go through each field's pre_save and get_db_prep_save as in a normal save.
    """
    if not objects:
        return
    # The real connection, not the django.db.connection proxy: the proxy's per-attribute
    # thread-local lookup, once per value, was the largest single cost of a batch.
    db = connections[DEFAULT_DB_ALIAS]
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoField)]
    columns, selects, casts, arrays = [], [], [], []
    for n, f in enumerate(fields):
        values = [f.pre_save(obj, True) for obj in objects]
        if isinstance(f, GeometryField):
            arrays.append([None if v is None else bytes(v.ewkb) for v in values])
            casts.append("bytea[]")
            selects.append(f"ST_GeomFromEWKB(c{n})")
        elif isinstance(f, JSONField):
            arrays.append([None if v is None else json.dumps(v) for v in values])
            casts.append("text[]")
            selects.append(f"c{n}::jsonb")
        else:
            arrays.append([f.get_db_prep_save(v, db) for v in values])
            casts.append(f.db_type(db).split("(")[0] + "[]")
            selects.append(f"c{n}")
        columns.append(db.ops.quote_name(f.column))
    pk = model._meta.pk
    # PostgreSQL does not promise RETURNING rows in input order: records are matched back by their
    # client UUID (unique per reserve). History rows have no key, and nothing reads their ids back.
    key = "client_uuid" if any(f.name == "client_uuid" for f in fields) and "history_id" != pk.name else None
    returning = db.ops.quote_name(pk.column) + (f", {db.ops.quote_name(key)}" if key else "")
    sql = (
        f"INSERT INTO {db.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selects)} FROM unnest({', '.join(f'%s::{c}' for c in casts)}) "
        f"AS u({', '.join(f'c{n}' for n in range(len(fields)))}) RETURNING {returning}"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, arrays)
        rows = cursor.fetchall()
    if key:
        id_of = {client_uuid: pk_value for pk_value, client_uuid in rows}
        ids = [id_of[getattr(obj, key)] for obj in objects]
    else:
        ids = [row[0] for row in rows]
    for obj, pk_value in zip(objects, ids, strict=True):
        setattr(obj, pk.attname, pk_value)
        obj._state.adding = False
        obj._state.db = db.alias


def _create_incidents(actor: Any, reserve: Reserve, items: list[SyncItem]) -> None:
    if not items:
        return
    wanted = {u for i in items for u in i.values.get("snare_find_uuids", [])}
    finds = {f.client_uuid: f for f in snare_finds_for_user(user=actor).filter(reserve=reserve, client_uuid__in=wanted)}

    def create(item: SyncItem) -> Incident:
        uuids = item.values.get("snare_find_uuids", [])
        missing = [str(u) for u in uuids if u not in finds]
        if missing:
            raise ValidationError({"snare_find_uuids": [_("Unknown snare finds: %(u)s.") % {"u": ", ".join(missing)}]})
        fields = _record_fields(item, "occurred_at")
        return incident_create(actor=actor, reserve=reserve, snare_finds=[finds[u] for u in uuids], **fields)

    _each_in_savepoint(items, create)


def _create_track_points(reserve: Reserve, items: list[SyncItem]) -> None:
    if not items:
        return
    points = [
        TrackPoint(
            patrol=item.values["patrol"],
            segment=item.values.get("segment", 0),
            recorded_at=t,
            location=p,
            accuracy_m=acc,
            chunk_uuid=item.client_uuid,
        )  # fmt: skip
        for item in items
        for t, p, acc in item.values["points"]
    ]
    TrackPoint.objects.bulk_create(points, batch_size=2000)
    patrols = {item.values["patrol"].pk: item.values["patrol"] for item in items}
    for patrol in patrols.values():
        patrol_track_rebuild(patrol=patrol)
    for item in items:
        item.answer("created", item.values["patrol"].pk)


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


# --- edits after sync --------------------------------------------------------------------------------


@transaction.atomic
def sync_record_edit(*, actor: Any, device: Device, client_uuid: uuid.UUID, version: int,
                     data: dict[str, Any]) -> Any:  # fmt: skip
    """Change a synced record. `version` is the one the phone edited: a stale one raises EditConflict.

    The same edit sent twice (a retry) finds its values already there and changes nothing.
    Managers and administrators edit any record; rangers the ones they reported or patrols they lead.
    """
    reserve = device.reserve
    found = synced_record_get(user=actor, reserve=reserve, client_uuid=client_uuid, kinds=EDITABLE_KINDS)
    if found is None:
        raise Http404(_("No such record."))
    kind, record = found
    record = type(record).objects.select_for_update().get(pk=record.pk)
    membership = membership_require(user=actor, reserve=reserve)
    owner_id = record.leader_id if kind == Kind.PATROL else record.reported_by_id
    if membership.role not in WRITE_ALL_ROLES and not (membership.role in CREATE_ROLES and owner_id == actor.pk):
        raise PermissionDenied(_("Only managers and the record's author may change it."))
    rules = _Rules(reserve)
    values = parse_item_data(kind, data, rules, partial=True)
    for ref in ("patrol", "patrol_uuid", "team", "snare_find_uuids"):
        if ref in values:
            raise ItemRejected({ref: [_("This field cannot be changed after sync.")]})
    if version != record.version:
        if values and all(getattr(record, name) == value for name, value in values.items()):
            return record  # this very edit, sent again
        raise EditConflict(record.version)
    for name, value in values.items():
        setattr(record, name, value)
    if kind != Kind.PATROL and ({"location", "gps_accuracy_m"} & values.keys()):
        record.review_reasons = rules.flags(record.location, record.gps_accuracy_m)
        record.needs_review = bool(record.review_reasons)
    record.version += 1
    record.full_clean()
    record.save()
    return record


# --- photos ------------------------------------------------------------------------------------------

MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "image/webp": (b"RIFF",)}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def _looks_like(content_type: str, head: bytes) -> bool:
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return any(head.startswith(magic) for magic in MAGIC.get(content_type, ()))


def photo_store(*, actor: Any, device: Device, record_uuid: uuid.UUID, sha256: str, content_type: str,
                stream: BinaryIO, declared_size: int | None, original_sha256: str = "",
                downscaled: bool = False) -> tuple[Photo, bool]:  # fmt: skip
    """Keep a photo of a synced record, byte for byte, if its SHA-256 matches; a re-upload changes nothing.

    Returns (photo, created). Raises Http404 for records the user cannot see, PhotoRejected for bad input.
    """
    reserve = device.reserve
    membership_require(user=actor, reserve=reserve)
    found = synced_record_get(user=actor, reserve=reserve, client_uuid=record_uuid, kinds=RECORD_KINDS)
    if found is None:
        raise Http404(_("No such record."))
    kind, record = found
    sha256 = sha256.lower()
    existing = photo_get(reserve=reserve, record_uuid=record_uuid, sha256=sha256)
    if existing is not None:
        return existing, False
    content_type = content_type.split(";")[0].strip().lower()
    if content_type not in settings.IRBIS_SYNC_PHOTO_TYPES or content_type not in EXTENSIONS:
        raise PhotoRejected("unsupported_type", _("Photos must be one of: %(types)s.")
                            % {"types": ", ".join(settings.IRBIS_SYNC_PHOTO_TYPES)})  # fmt: skip
    limit = settings.IRBIS_SYNC_MAX_PHOTO_BYTES
    too_large = PhotoRejected("too_large", _("A photo may have at most %(n)d bytes.") % {"n": limit})
    if declared_size is not None and declared_size > limit:
        raise too_large
    root = Path(settings.IRBIS_PRIVATE_ROOT)
    relative = Path("photos") / str(reserve.pk) / sha256[:2] / f"{sha256}.{EXTENSIONS[content_type]}"
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        try:
            while chunk := stream.read(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise too_large
                if len(head) < 16:
                    head = (head + chunk)[:16]
                digest.update(chunk)
                tmp.write(chunk)
            if size == 0:
                raise PhotoRejected("invalid", _("The photo is empty."))
            if digest.hexdigest() != sha256:
                raise PhotoRejected("hash_mismatch", _("The photo's SHA-256 is %(got)s, not %(sent)s.")
                                    % {"got": digest.hexdigest(), "sent": sha256})  # fmt: skip
            if not _looks_like(content_type, head):
                raise PhotoRejected(
                    "unsupported_type", _("The bytes are not a %(type)s image.") % {"type": content_type}
                )
            tmp.flush()
            os.fsync(tmp.fileno())
            os.replace(tmp.name, target)  # content-addressed: the same bytes under the same name
        except BaseException:
            os.unlink(tmp.name)
            raise
    photo = Photo(
        reserve=reserve, record_kind=kind, record_uuid=record_uuid, object_id=record.pk, sha256=sha256,
        original_sha256=(original_sha256 or sha256).lower(), path=str(relative), content_type=content_type,
        size_bytes=size, downscaled=downscaled, uploaded_by=actor, device=device,
    )  # fmt: skip
    try:
        with transaction.atomic():
            photo.full_clean(validate_unique=False, validate_constraints=False)
            photo.save()
    except IntegrityError:  # the same upload, at the same time: the other one stored it
        return photo_get(reserve=reserve, record_uuid=record_uuid, sha256=sha256), False
    return photo, True


def photo_path(photo: Photo) -> Path:
    return Path(settings.IRBIS_PRIVATE_ROOT) / photo.path

"""Field sync: device tokens, batch ingest of records logged offline, edits with versions, photos.

Idempotency (docs/adr/0003-offline-sync-idempotency.md): every item carries a client UUID. The first
time it arrives a SyncReceipt (unique per reserve and client UUID) is inserted with the SHA-256 of
the item's content, in the same transaction as the record. The unique constraint, not a prior
check, decides who stores an item: a second request sending the same item (a retry, or the same
batch twice at once) finds the receipt and answers "duplicate" with the original id; the same UUID
with other content is rejected. Snare finds and detections (the bulk of a batch) are claimed and stored
with their history in one statement per kind (bulk.py); patrols, incidents, actions, tracks and patrol
events, and the finds or detections of a statement the database refused, are claimed with one INSERT
and stored by the per-record services, each in a savepoint. Every kind is validated the same way first.
"""

import uuid
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from patrol.jobs.follow_up import evidence_changed
from patrol.patrols.lifecycle import patrol_event_apply
from patrol.patrols.models import Patrol, TrackPoint
from patrol.patrols.selectors import patrols_for_user
from patrol.patrols.services import patrol_create
from patrol.patrols.tracks import patrol_track_rebuild
from patrol.reserves.access import require_record_create
from patrol.reserves.models import Reserve
from patrol.reserves.selectors import teams_for_user
from threats.enforcement.models import EnforcementAction
from threats.enforcement.services import enforcement_action_create, evidence_item_create
from threats.fieldsync.bulk import records_claim_and_store
from threats.fieldsync.models import Device, SyncReceipt
from threats.fieldsync.parsing import RECORD_KINDS, ItemRejected, Kind, SyncItem, _Rules, parse_item_data
from threats.fieldsync.selectors import receipts_by_uuid
from threats.records.models import Detection, Incident, SnareFind
from threats.records.selectors import incidents_for_user, snare_finds_for_user
from threats.records.services import detection_create, incident_create, snare_find_create
from threats.records.validation import time_error


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
                if error := time_error(item.recorded_at, rules):
                    raise ItemRejected({"recorded_at": [error]})
                item.values = parse_item_data(item.kind, item.data, rules)
            except ItemRejected as exc:
                item.reject(exc.errors)
            else:
                if item.kind in RECORD_KINDS:  # a new record always gets its review reasons (validation)
                    item.values.pop("needs_review")
                    item.reasons = item.values.pop("review_reasons")
                new.append(item)

    # Patrols first (records may name one started in this batch), then snare finds and detections in one
    # statement per kind (bulk.py), then the kinds that need their services, each item in a savepoint.
    claimed = _claim(reserve, device, [i for i in new if i.kind not in BULK])
    _create_patrols(actor, reserve, [i for i in claimed if i.kind == Kind.PATROL])
    bulk = [i for i in new if i.kind in BULK]
    waiting = [i for i in claimed if i.result is None]
    _resolve_patrols(actor, reserve, waiting + bulk)  # a bulk item naming no visible patrol is never claimed
    claimed += _create_records(actor, device, [i for i in bulk if i.result is None])
    _create_incidents(actor, reserve, [i for i in waiting if i.kind == Kind.INCIDENT and i.result is None])
    _create_actions(actor, reserve, [i for i in waiting if i.kind == Kind.ACTION and i.result is None])
    _create_track_points(reserve, [i for i in waiting if i.kind == Kind.TRACK_POINTS and i.result is None])
    _apply_patrol_events(actor, [i for i in waiting if i.kind == Kind.PATROL_EVENT and i.result is None])

    # Receipts of failed items go; the others learn their object's id (the bulk path's knew it already).
    SyncReceipt.objects.filter(pk__in=[i.receipt_id for i in claimed if i.result["status"] != "created"]).delete()
    _receipts_point_to([(i.receipt_id, i.result["id"]) for i in claimed if i.result["status"] == "created"])
    stored = claimed + [i for i in bulk if i.receipt_id is None]
    if any(i.result["status"] == "created" and i.kind != Kind.ACTION for i in stored):
        evidence_changed(reserve_id=reserve.pk)  # one debounced risk recompute per batch, after commit

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
    """Insert the receipts; the unique constraint gives each client UUID to exactly one request.

    One statement: ON CONFLICT DO NOTHING RETURNING lists exactly the receipts this request inserted
    (a concurrent request holding the same client UUID makes this one wait, then skip it).
    """
    if not items:
        return []
    table = connection.ops.quote_name(SyncReceipt._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (reserve_id, client_uuid, kind, content_sha256, batch_id, device_id, received_at) "  # noqa: S608
            "SELECT %s, u, k, h, %s, %s, %s FROM unnest(%s::uuid[], %s::text[], %s::text[]) AS v(u, k, h) "
            "ON CONFLICT DO NOTHING RETURNING id, client_uuid",
            [reserve.pk, uuid.uuid4(), device.pk, timezone.now(),
             [i.client_uuid for i in items], [i.kind for i in items], [i.content_sha256 for i in items]],
        )  # fmt: skip
        mine = {client_uuid: pk for pk, client_uuid in cursor.fetchall()}
    lost = [i for i in items if i.client_uuid not in mine]
    if lost:
        theirs = receipts_by_uuid(reserve=reserve, client_uuids=[i.client_uuid for i in lost])
        for item in lost:
            _answer_from_receipt(item, theirs.get(item.client_uuid))
    claimed = [i for i in items if i.client_uuid in mine]
    for item in claimed:
        item.receipt_id = mine[item.client_uuid]
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


def _record_fields(item: SyncItem, time_field: str | None = None) -> dict[str, Any]:
    values = dict(item.values)
    values.setdefault(time_field or TIME_FIELDS[item.kind], item.recorded_at)
    values.pop("snare_find_uuids", None)
    return {**values, "client_uuid": item.client_uuid, "device_recorded_at": item.recorded_at,
            "needs_review": bool(item.reasons), "review_reasons": item.reasons}  # fmt: skip


TIME_FIELDS = {Kind.SNARE_FIND: "found_at", Kind.INCIDENT: "occurred_at", Kind.DETECTION: "observed_at"}


BULK = {Kind.SNARE_FIND: (SnareFind, snare_find_create), Kind.DETECTION: (Detection, detection_create)}


def _create_records(actor: Any, device: Device, items: list[SyncItem]) -> list[SyncItem]:
    """Snare finds and detections: claimed and stored with their history in one statement per kind.

    If the database refuses a row (a rule Python did not check), that statement is undone whole and the
    kind's items are claimed as the other kinds are, then stored one by one through the service, each in
    a savepoint, so only the offending item is rejected. Returns the items claimed that way.
    """
    reserve = device.reserve
    claimed: list[SyncItem] = []
    for kind, (model, service) in BULK.items():
        mine = [i for i in items if i.kind == kind]
        if not mine:
            continue
        fields_of = partial(_record_fields, time_field=TIME_FIELDS[kind])
        try:
            with transaction.atomic():
                lost = records_claim_and_store(
                    model=model, kind=kind, actor=actor, device=device, items=mine, fields_of=fields_of
                )
        except (IntegrityError, DataError):
            mine = _claim(reserve, device, mine)
            _each_in_savepoint(mine, lambda item, s=service: s(actor=actor, reserve=reserve, **_record_fields(item)))
            claimed += mine
            continue
        if lost:  # another request holds them: answered from its receipts, as in _claim
            theirs = receipts_by_uuid(reserve=reserve, client_uuids=[i.client_uuid for i in lost])
            for item in lost:
                _answer_from_receipt(item, theirs.get(item.client_uuid))
    return claimed


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


def _create_actions(actor: Any, reserve: Reserve, items: list[SyncItem]) -> None:
    """A seizure or protocol: the action at its incident (synced earlier, or earlier in this batch), and the
    seized things as evidence items, each with its first custody event; all or nothing per item."""
    if not items:
        return
    ids = {i.values["incident"] for i in items if i.values.get("incident")}
    uuids = {i.values["incident_uuid"] for i in items if i.values.get("incident_uuid")}
    visible = incidents_for_user(user=actor).filter(Q(pk__in=ids) | Q(client_uuid__in=uuids), reserve=reserve)
    by_id = {incident.pk: incident for incident in visible}
    by_uuid = {incident.client_uuid: incident for incident in by_id.values() if incident.client_uuid}

    def create(item: SyncItem) -> EnforcementAction:
        values = dict(item.values)
        incident_id, incident_uuid = values.pop("incident", None), values.pop("incident_uuid", None)
        incident = by_id.get(incident_id) if incident_id else by_uuid.get(incident_uuid)
        if incident is None:
            raise ValidationError({"incident_uuid" if incident_uuid else "incident": [_("Unknown incident.")]})
        seized = values.pop("items", None) or []
        values.setdefault("taken_at", item.recorded_at)
        action = enforcement_action_create(
            actor=actor, reserve=reserve, incidents=[incident], officers=[actor], client_uuid=item.client_uuid,
            device_recorded_at=item.recorded_at, **values,
        )  # fmt: skip
        for thing in seized:
            evidence_item_create(
                actor=actor, reserve=reserve, kind=thing["kind"], quantity=thing.get("quantity", 1),
                description=thing.get("description", ""), action=action, incident=incident,
                collected_at=action.taken_at, location=action.location, place_name=action.place_name,
                client_uuid=thing["client_uuid"],
            )  # fmt: skip
        return action

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


def _apply_patrol_events(actor: Any, items: list[SyncItem]) -> None:
    """Start and end of patrols, in the batch's order, through the one lifecycle service; each in a savepoint."""
    _each_in_savepoint(
        items,
        lambda item: patrol_event_apply(
            actor=actor, patrol=item.values["patrol"], event=item.values["event"], at=item.values["at"]
        ),
    )

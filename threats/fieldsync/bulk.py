"""The sync's bulk path: a batch's snare finds (or detections) claimed, stored and put in history in ONE statement.

The validated items go to PostgreSQL as one JSON array (one parameter, whatever the batch size), which
`json_to_recordset` turns into rows; then, in one statement of data-modifying CTEs:

1. `claimed`: the receipts, `INSERT ... ON CONFLICT DO NOTHING RETURNING`: the unique (reserve, client
   UUID) index gives each item to exactly one request, as on every path (docs/adr/0003). Each receipt
   takes its record's id from the record table's sequence as it is inserted, so no later UPDATE is needed.
2. `created`: the records of the claimed items only, with those ids.
3. the history rows ("+", "field sync") of the created records, from the rows just inserted.

Either all of it happens or none: if the database refuses a row (a rule Python did not check), the
statement fails whole and the caller stores the items one by one through the services (ingest.py).

No model instances and no GEOS calls per row: each row is the item's field values as they are, keyed by
field name, and json.dumps calls `_json_value` only for the values JSON has no type for (times, UUIDs,
points: a LonLatPoint's hex EWKB is packed from its floats, related objects: their pk). Columns and types
come from the model's metadata, so the SQL follows the models; fields no item of the batch gives are one
parameter each (their default, or the reserve, the reporter, the receive time), not a value per row.
"""

import json
import struct
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import AutoField, JSONField, Model
from django.utils import timezone
from django.utils.functional import Promise

from threats.fieldsync.models import Device, SyncReceipt
from threats.fieldsync.parsing import SyncItem

_POINT_4326 = "0101000020e6100000"  # EWKB header: little endian, Point with an SRID, 4326


def _json_value(value: Any) -> Any:
    """json.dumps' fallback: a value JSON has no type for, as PostgreSQL reads it (called per such value,
    in C's encoder loop: cheaper than converting every value of every row in Python)."""
    if isinstance(value, datetime):
        return value.isoformat()  # ISO 8601 keeps the offset and the microseconds
    if isinstance(value, uuid.UUID | Decimal | Promise):
        return str(value)
    lonlat = getattr(value, "lonlat", None)  # a LonLatPoint (made in WGS84, never moved): no GEOS call
    if lonlat is not None:
        return _POINT_4326 + struct.pack("<dd", *lonlat).hex()
    if isinstance(value, GEOSGeometry):
        return value.hexewkb.decode()
    if isinstance(value, Model):
        return value.pk
    raise TypeError(f"{type(value).__name__} is not a value of a record field")


def _parameter(field: Any, value: Any) -> Any:
    if isinstance(field, JSONField):
        return json.dumps(value)
    return value if value is None or isinstance(value, str | int | float) else _json_value(value)


class _Plan:
    """The statement for one model and one set of fields the items give; the other columns are parameters."""

    def __init__(self, model: type[Model], given: frozenset[str]):
        db = connections[DEFAULT_DB_ALIAS]
        qn = db.ops.quote_name
        self.fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoField)]
        self.row_fields = [f for f in self.fields if f.name in given]  # in the JSON, one value per item
        self.constant_fields = [f for f in self.fields if f.name not in given]  # one parameter each
        history = model.history.model
        tracked = {f.attname for f in history.tracked_fields}
        history_fields = [f for f in history._meta.concrete_fields if not isinstance(f, AutoField)]
        self.history_extra = [f for f in history_fields if f.attname not in tracked]  # given as parameters
        receipt = SyncReceipt._meta
        receipt_names = ("reserve", "client_uuid", "kind", "content_sha256", "batch_id", "device", "received_at",
                         "object_id")  # fmt: skip
        pk, table = model._meta.pk.column, model._meta.db_table
        # The JSON rows are keyed by field name (a foreign key's value is its object's pk).
        batch = ", ".join(["irbis_sha256 text", *(f"{qn(f.name)} {f.db_type(db)}" for f in self.row_fields)])
        values = [f"b.{qn(f.name)}" if f.name in given else f"%s::{f.db_type(db)}" for f in self.fields]
        sources = [qn(f.column) if f.attname in tracked else "%s" for f in history_fields]
        # The sequence is looked up once per statement (an InitPlan), not once per row.
        sequence = f"nextval((SELECT pg_get_serial_sequence('{table}', '{pk}'))::regclass)"
        parts = [
            f"WITH batch AS (SELECT * FROM json_to_recordset(%s::json) AS t({batch})),",  # noqa: S608
            f"claimed AS (INSERT INTO {qn(receipt.db_table)}",
            f"({', '.join(qn(receipt.get_field(name).column) for name in receipt_names)})",
            f"SELECT %s, b.client_uuid, %s, b.irbis_sha256, %s, %s, %s, {sequence} FROM batch b",  # noqa: S608
            "ON CONFLICT DO NOTHING RETURNING client_uuid, object_id),",
            f"created AS (INSERT INTO {qn(table)} ({qn(pk)}, {', '.join(qn(f.column) for f in self.fields)})",
            f"SELECT c.object_id, {', '.join(values)}",
            "FROM batch b JOIN claimed c ON c.client_uuid = b.client_uuid RETURNING *),",
            f"history AS (INSERT INTO {qn(history._meta.db_table)} ({', '.join(qn(f.column) for f in history_fields)})",
            f"SELECT {', '.join(sources)} FROM created)",  # noqa: S608
            f"SELECT client_uuid, {qn(pk)} FROM created",  # noqa: S608
        ]
        self.sql = " ".join(parts)  # names from model metadata; every value is a parameter


@cache
def _plan(model: type[Model], given: frozenset[str]) -> _Plan:
    return _Plan(model, given)


def records_claim_and_store(
    *, model: type[Model], kind: str, actor: Any, device: Device, items: list[SyncItem],
    fields_of: Callable[[SyncItem], dict[str, Any]],
) -> list[SyncItem]:  # fmt: skip
    """Claim the items' receipts and store their records with history, in one statement.

    `fields_of(item)` gives the record's field values by name (as the services take them). Created items
    are answered; the items another request holds are returned, for the caller to answer from their
    receipts. Raises the database's error (IntegrityError, DataError) if it refuses a row: then nothing
    was written.
    """
    if not items:
        return []
    values_of = [fields_of(item) for item in items]
    given = frozenset().union(*values_of)
    plan = _plan(model, given)
    if unknown := given - {f.name for f in plan.fields}:
        raise TypeError(f"{model.__name__} has no fields {sorted(unknown)}")
    now = timezone.now()
    reserve = device.reserve
    actor_id = getattr(actor, "pk", None)
    constants = {}  # what a new model instance would hold where the items give nothing
    for f in plan.fields:
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        constants[f.name] = now if auto else f.get_default()
    constants.update(reserve=reserve.pk, reported_by=actor_id)
    base = {f.name: constants[f.name] for f in plan.row_fields}
    rows = [
        {**base, **values, "irbis_sha256": item.content_sha256} for item, values in zip(items, values_of, strict=True)
    ]
    common = {"history_date": now, "history_change_reason": "field sync", "history_type": "+",
              "history_user_id": actor_id}  # fmt: skip
    params = [
        json.dumps(rows, default=_json_value), reserve.pk, kind, uuid.uuid4(), device.pk, now,
        *(_parameter(f, constants[f.name]) for f in plan.constant_fields),
        *(common[f.attname] if f.attname in common else f.get_default() for f in plan.history_extra),
    ]  # fmt: skip
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(plan.sql, params)
        created = dict(cursor.fetchall())
    lost = []
    for item in items:
        record_id = created.get(item.client_uuid)
        if record_id is None:
            lost.append(item)
        else:
            item.answer("created", record_id)
    return lost

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

No model instances and no GEOS calls per row: values become JSON (a LonLatPoint's hex EWKB is packed from
its floats); each field's column and type come from the model's metadata, so the SQL follows the models.
"""

import json
import struct
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.contrib.gis.db.models import GeometryField
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import AutoField, ForeignKey, JSONField, Model
from django.utils import timezone

from threats.fieldsync.models import Device, SyncReceipt
from threats.fieldsync.parsing import SyncItem

_POINT_4326 = "0101000020e6100000"  # EWKB header: little endian, Point with an SRID, 4326


def _geometry(value: Any) -> str | None:
    if value is None:
        return None
    lonlat = getattr(value, "lonlat", None)  # a LonLatPoint (made in WGS84, never moved): no GEOS call
    if lonlat is not None:
        return _POINT_4326 + struct.pack("<dd", *lonlat).hex()
    return value.hexewkb.decode()


def _foreign_key(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


def _text(value: Any) -> Any:
    """datetime, UUID and Decimal as PostgreSQL reads them (ISO 8601 keeps the offset and microseconds)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def _as_is(value: Any) -> Any:
    return value


def _converter(field: Any) -> Callable[[Any], Any]:
    if isinstance(field, GeometryField):
        return _geometry
    if isinstance(field, ForeignKey):
        return _foreign_key
    if isinstance(field, JSONField):
        return _as_is  # nested in the JSON as it is; the column is jsonb
    return _text


class _Plan:
    """The statement for one model and one set of fields the items give; the other columns are parameters."""

    def __init__(self, model: type[Model], given: frozenset[str]):
        db = connections[DEFAULT_DB_ALIAS]
        qn = db.ops.quote_name
        self.fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoField)]
        self.row_fields = [f for f in self.fields if f.name in given]  # in the JSON, one value per item
        self.constant_fields = [f for f in self.fields if f.name not in given]  # one parameter each
        self.by_name = {f.name: (f.column, _converter(f)) for f in self.row_fields}
        history = model.history.model
        tracked = {f.attname for f in history.tracked_fields}
        history_fields = [f for f in history._meta.concrete_fields if not isinstance(f, AutoField)]
        self.history_extra = [f for f in history_fields if f.attname not in tracked]  # given as parameters
        receipt = SyncReceipt._meta
        receipt_names = ("reserve", "client_uuid", "kind", "content_sha256", "batch_id", "device", "received_at",
                         "object_id")  # fmt: skip
        pk, table = model._meta.pk.column, model._meta.db_table
        batch = ", ".join(["irbis_sha256 text", *(f"{qn(f.column)} {f.db_type(db)}" for f in self.row_fields)])
        values = [f"b.{qn(f.column)}" if f.name in given else f"%s::{f.db_type(db)}" for f in self.fields]
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


def _parameter(field: Any, value: Any) -> Any:
    return json.dumps(value) if isinstance(field, JSONField) else _converter(field)(value)


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
    base = {column: convert(constants[name]) for name, (column, convert) in plan.by_name.items()}
    by_name = plan.by_name
    rows = []
    for item, values in zip(items, values_of, strict=True):
        row = base.copy()
        for name, value in values.items():
            column, convert = by_name[name]
            row[column] = convert(value)
        row["irbis_sha256"] = item.content_sha256
        rows.append(row)
    common = {"history_date": now, "history_change_reason": "field sync", "history_type": "+",
              "history_user_id": actor_id}  # fmt: skip
    params = [
        json.dumps(rows), reserve.pk, kind, uuid.uuid4(), device.pk, now,
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

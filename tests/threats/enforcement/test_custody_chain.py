"""The custody log's hash chain: computed by PostgreSQL on insert, recomputed by `verify_evidence`."""

import hashlib
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.threats.enforcement.factories import CustodyEventFactory, EvidenceItemFactory
from threats.enforcement.models import CustodyEvent

WHEN = datetime(2026, 3, 4, 10, 30, 15, 123456, tzinfo=UTC)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _link(previous: str, e: CustodyEvent) -> str:
    """The chain link, computed here independently of the database's function."""
    parts = [previous, str(e.pk), str(e.item_id), e.kind, _utc(e.occurred_at), str(e.from_user_id or ""), e.from_name,
             str(e.to_user_id or ""), e.to_name, e.place_name, e.location.ewkt if e.location else "", e.notes,
             str(e.recorded_by_id or ""), _utc(e.recorded_at)]  # fmt: skip
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _chain(reserve, n=3):
    item = EvidenceItemFactory(reserve=reserve, content=b"original", collected_at=WHEN - timedelta(days=1))
    for i in range(n):
        CustodyEventFactory(item=item, occurred_at=WHEN + timedelta(hours=i), to_name=f"Holder {i} «Кош-Агач»")
    return item, list(item.custody_events.order_by("id"))


def test_each_link_hashes_the_previous_link_and_the_row(reserve_a):
    _item, events = _chain(reserve_a)
    previous = ""
    for event in events:
        assert event.chain_sha256 == _link(previous, event)
        previous = event.chain_sha256
    assert len({e.chain_sha256 for e in events}) == 3


def _with_triggers_off(sql: str, params: list) -> None:
    """What the table's owner could do: switch the append-only trigger off, change the log, switch it on."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own pending foreign-key checks
        cursor.execute("ALTER TABLE threats_custodyevent DISABLE TRIGGER custodyevent_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE threats_custodyevent ENABLE TRIGGER custodyevent_append_only")


def _verify():
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as error:
        call_command("verify_evidence", stdout=out, stderr=err)
    return str(error.value), err.getvalue()


def test_an_edited_hand_over_breaks_the_chain_and_verify_evidence_names_it(reserve_a):
    item, events = _chain(reserve_a)
    call_command("verify_evidence", stdout=StringIO())  # intact
    _with_triggers_off("UPDATE threats_custodyevent SET to_name = 'someone else' WHERE id = %s", [events[1].pk])
    message, err = _verify()
    assert message == "1 custody events broke their hash chain."
    assert err == (f"CUSTODY evidence item {item.pk} (reserve-a): custody event {events[1].pk} does not match its "
                   "hash chain (changed, or an earlier event removed)\n")  # fmt: skip


def test_a_removed_hand_over_breaks_the_chain_at_the_next_one(reserve_a):
    item, events = _chain(reserve_a)
    _with_triggers_off("DELETE FROM threats_custodyevent WHERE id = %s", [events[1].pk])
    message, err = _verify()
    assert f"custody event {events[2].pk} does not match" in err
    assert f"custody event {events[1].pk}" not in err


def test_the_chain_of_one_item_does_not_depend_on_another(reserve_a):
    first, events = _chain(reserve_a, n=2)
    other, _ = _chain(reserve_a, n=2)
    assert events[0].chain_sha256 == _link("", events[0])
    assert CustodyEvent.objects.filter(item=other).order_by("id").first().chain_sha256 == _link(
        "", CustodyEvent.objects.filter(item=other).order_by("id").first())  # fmt: skip

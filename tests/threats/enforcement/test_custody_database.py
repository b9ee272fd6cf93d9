"""The custody log is append-only in PostgreSQL itself, for the application's own database user."""

import pytest
from django.db import DatabaseError, connection, transaction

from tests.threats.enforcement.factories import CustodyEventFactory, EvidenceItemFactory
from threats.enforcement.models import CustodyEvent, EvidenceItem


@pytest.mark.parametrize(
    ("statement", "operation"),
    [
        ("UPDATE threats_custodyevent SET to_name = 'someone else' WHERE id = %s", "UPDATE"),
        ("DELETE FROM threats_custodyevent WHERE id = %s", "DELETE"),
    ],
)
def test_raw_sql_cannot_change_or_delete_a_custody_event(reserve_a, statement, operation):
    event = CustodyEventFactory(item=EvidenceItemFactory(reserve=reserve_a), to_name="Sgt. Orlov")
    with pytest.raises(DatabaseError, match=f"The custody log is append-only: {operation} is refused"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert CustodyEvent.objects.get(pk=event.pk).to_name == "Sgt. Orlov"


def test_raw_sql_cannot_truncate_the_custody_log(reserve_a):
    event = CustodyEventFactory(item=EvidenceItemFactory(reserve=reserve_a))
    with pytest.raises(DatabaseError, match="The custody log is append-only: TRUNCATE is refused"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else: "pending trigger events" of the test's FKs
            cursor.execute("TRUNCATE threats_custodyevent CASCADE")
    assert list(CustodyEvent.objects.values_list("pk", flat=True)) == [event.pk]


def test_the_orm_cannot_delete_or_update_either(reserve_a):
    event = CustodyEventFactory(item=EvidenceItemFactory(reserve=reserve_a), to_name="Sgt. Orlov")
    with pytest.raises(DatabaseError, match="append-only: DELETE"), transaction.atomic():
        CustodyEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError, match="append-only: UPDATE"), transaction.atomic():
        CustodyEvent.objects.filter(pk=event.pk).update(to_name="x")
    assert CustodyEvent.objects.filter(pk=event.pk, to_name="Sgt. Orlov").count() == 1


def test_appending_works(reserve_a):
    item = EvidenceItemFactory(reserve=reserve_a)
    CustodyEventFactory(item=item)
    CustodyEventFactory(item=item, kind=CustodyEvent.Kind.STORED)
    assert item.custody_events.count() == 2


def test_the_application_user_owns_the_table_and_is_still_refused(reserve_a):
    """The refusal is not a missing privilege: the user that runs the app owns the table."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner = current_user FROM pg_tables WHERE tablename = 'threats_custodyevent'")
        assert cursor.fetchone() == (True,)


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_that_logged_custody_still_flushes(reserve_a):
    """tests/conftest.py empties the log before the flush; without it this test's teardown fails."""
    CustodyEventFactory(item=EvidenceItemFactory(reserve=reserve_a))
    assert CustodyEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("UPDATE threats_evidenceitem SET sha256 = repeat('0', 64) WHERE id = %s", "never change: UPDATE"),
        ("UPDATE threats_evidenceitem SET path = 'evidence/elsewhere.jpg' WHERE id = %s", "never change: UPDATE"),
        ("UPDATE threats_evidenceitem SET collected_at = now() WHERE id = %s", "never change: UPDATE"),
        ("UPDATE threats_evidenceitem SET location = ST_SetSRID(ST_MakePoint(87.5, 50.2), 4326) WHERE id = %s",
         "never change: UPDATE"),
        ("DELETE FROM threats_evidenceitem WHERE id = %s", "never deleted: DELETE"),
    ],
)  # fmt: skip
def test_raw_sql_cannot_rewrite_or_delete_an_evidence_item(reserve_a, statement, message):
    item = EvidenceItemFactory(reserve=reserve_a, content=b"the original")
    with pytest.raises(DatabaseError, match=message):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [item.pk])
    stored = EvidenceItem.objects.get(pk=item.pk)
    assert (stored.sha256, stored.path, stored.collected_at, stored.location) == (
        item.sha256, item.path, item.collected_at, item.location)  # fmt: skip


def test_an_items_words_and_links_can_still_be_corrected(reserve_a):
    item = EvidenceItemFactory(reserve=reserve_a, content=b"the original", quantity=3)
    EvidenceItem.objects.filter(pk=item.pk).update(description="12 wire snares", quantity=12)
    assert EvidenceItem.objects.filter(pk=item.pk, quantity=12, description="12 wire snares").exists()

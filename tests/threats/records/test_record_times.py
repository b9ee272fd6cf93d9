"""Record times before 1990 cannot be stored (a database constraint); migration 0008 keeps old such rows readable."""

import importlib
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from tests.threats.factories import DetectionFactory, IncidentFactory, SnareFindFactory
from threats.records.models import SnareFind

pytestmark = pytest.mark.django_db

clamp_sql = importlib.import_module("threats.migrations.0008_record_times_from_1990").clamp_sql


@pytest.mark.parametrize(
    ("factory", "field", "constraint"),
    [
        (SnareFindFactory, "found_at", "snarefind_found_at_from_1990"),
        (IncidentFactory, "occurred_at", "incident_occurred_at_from_1990"),
        (DetectionFactory, "observed_at", "detection_observed_at_from_1990"),
    ],
)
def test_a_record_time_before_1990_is_refused_by_the_database(factory, field, constraint):
    record = factory()
    model = type(record)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        model.objects.filter(pk=record.pk).update(**{field: datetime(1989, 12, 31, 23, 59, tzinfo=UTC)})
    assert model.objects.filter(**{field: getattr(record, field)}).count() == 1


def test_the_migration_clamps_a_year_1_bc_find_to_1990_and_flags_it(reserve_a):
    find = SnareFindFactory(reserve=reserve_a)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending deferred checks before ALTER TABLE
        cursor.execute("ALTER TABLE threats_snarefind DROP CONSTRAINT snarefind_found_at_from_1990")
        cursor.execute("UPDATE threats_snarefind SET found_at = '0001-01-01 00:00:00+14 BC' WHERE id = %s", [find.pk])
        cursor.execute(clamp_sql())
    find = SnareFind.objects.get(pk=find.pk)
    assert find.found_at == datetime(1990, 1, 1, tzinfo=UTC)
    assert find.needs_review is True
    (reason,) = find.review_reasons
    assert reason["code"] == "time_before_1990"
    assert reason["stored"].endswith(" BC")
    assert reason["message"].startswith("The stored time (")

"""Record times from 1990-01-01 on, enforced by the database (threats.records.validation already refuses earlier ones).

A row stored before the validation existed with a time like '0001-01-01 00:00:00+14 BC' cannot be read by
psycopg, and one such row broke the list, detail, admin and CSV export of a whole reserve. Such rows are
kept, not deleted (a find is evidence): their time is clamped to 1990-01-01 UTC, `needs_review` is set and a
review reason with code "time_before_1990" keeps the original time as text, so a manager can correct it.
History rows get the same clamp (without a reason) so that the admin's history pages can be read.
"""

import datetime

from django.db import migrations, models

EARLIEST = "1990-01-01T00:00:00+00:00"
TIMES = [("snarefind", "found_at"), ("incident", "occurred_at"), ("detection", "observed_at")]


def clamp_sql() -> str:
    statements = []
    for model, column in TIMES:
        statements.append(f"""
            UPDATE threats_{model}
               SET review_reasons = review_reasons || jsonb_build_array(jsonb_build_object(
                       'code', 'time_before_1990',
                       'stored', {column}::text,
                       'message', 'The stored time (' || {column}::text || ') was before 1990-01-01: '
                                  || 'set to 1990-01-01 by migration 0008. Enter the real time.')),
                   needs_review = true,
                   {column} = '{EARLIEST}'
             WHERE {column} < '{EARLIEST}';
            UPDATE threats_historical{model} SET {column} = '{EARLIEST}' WHERE {column} < '{EARLIEST}';
        """)
    return "".join(statements)


EARLIEST_DT = datetime.datetime(1990, 1, 1, tzinfo=datetime.UTC)


class Migration(migrations.Migration):
    dependencies = [
        ("threats", "0007_riskrun_job_fields"),
    ]

    operations = [
        migrations.RunSQL(clamp_sql(), reverse_sql=migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="snarefind",
            constraint=models.CheckConstraint(
                condition=models.Q(found_at__gte=EARLIEST_DT), name="snarefind_found_at_from_1990"
            ),
        ),
        migrations.AddConstraint(
            model_name="incident",
            constraint=models.CheckConstraint(
                condition=models.Q(occurred_at__gte=EARLIEST_DT), name="incident_occurred_at_from_1990"
            ),
        ),
        migrations.AddConstraint(
            model_name="detection",
            constraint=models.CheckConstraint(
                condition=models.Q(observed_at__gte=EARLIEST_DT), name="detection_observed_at_from_1990"
            ),
        ),
    ]

# TrackPoint moved to the patrol app (patrol.patrols): state only, the table stays.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("threats", "0005_risk_runs"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="TrackPoint")],
            database_operations=[],
        ),
    ]

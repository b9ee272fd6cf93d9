# Merges the enforcement migrations and the field app's seizure kinds with the patrol lifecycle's sync
# kind (developed side by side).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("threats", "0010_fieldseizure_sync_kinds"),
        ("threats", "0009_lifecycle_patrol_event"),
    ]

    operations = []

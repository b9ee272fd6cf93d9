# Merges the enforcement migrations with the patrol lifecycle's sync kind (developed side by side).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("threats", "0011_enforcement_custody_chain"),
        ("threats", "0009_lifecycle_patrol_event"),
    ]

    operations = []

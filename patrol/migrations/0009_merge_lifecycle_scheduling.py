# Merges the patrol lifecycle (planned waypoints) with scheduling (developed side by side).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('patrol', '0008_lifecycle_waypoints'),
        ('patrol', '0008_scheduling_calendar'),
    ]

    operations = [
    ]

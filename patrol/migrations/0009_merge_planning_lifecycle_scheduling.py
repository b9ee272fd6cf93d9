# Merges the planning page's route plan fields, the patrol lifecycle (planned waypoints) and scheduling,
# developed side by side.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("patrol", "0008_lifecycle_waypoints"),
        ("patrol", "0008_planning_route_plan_team_date_valleys"),
        ("patrol", "0008_scheduling_calendar"),
    ]

    operations = []

# TrackPoint moved here from the threats app: state only, the table `threats_trackpoint` stays.
import django.contrib.gis.db.models.fields
import django.db.models.deletion
import django.db.models.lookups
from django.db import migrations, models

import patrol.reserves.geo


class Migration(migrations.Migration):
    dependencies = [
        ("patrol", "0004_terrain_flow_accumulation"),
        ("threats", "0006_move_trackpoint_to_patrol"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="TrackPoint",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("segment", models.PositiveIntegerField(default=0, help_text="A new segment starts after a pause.", verbose_name="segment")),
                        ("recorded_at", models.DateTimeField(verbose_name="recorded at")),
                        ("location", django.contrib.gis.db.models.fields.PointField(srid=4326, verbose_name="location")),
                        ("accuracy_m", models.FloatField(blank=True, null=True, verbose_name="accuracy (m)")),
                        ("chunk_uuid", models.UUIDField(editable=False)),
                        ("patrol", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="track_points", to="patrol.patrol")),
                    ],
                    options={
                        "db_table": "threats_trackpoint",
                        "ordering": ["patrol", "segment", "recorded_at"],
                        "indexes": [models.Index(fields=["patrol", "segment", "recorded_at"], name="threats_tra_patrol__8c0f8f_idx")],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    django.db.models.lookups.Range(patrol.reserves.geo._Coord(models.F("location"), function="ST_X"), (-180.0, 180.0)),
                                    django.db.models.lookups.Range(patrol.reserves.geo._Coord(models.F("location"), function="ST_Y"), (-90.0, 90.0)),
                                ),
                                name="trackpoint_location_range",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

"""python manage.py import_gpx FILE --patrol ID: a GPX track log becomes the patrol's actual track."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from patrol.patrols.gpx import GpxError, patrol_track_import
from patrol.patrols.measure import patrol_track_measure
from patrol.patrols.models import Patrol


class Command(BaseCommand):
    help = "Import a GPX track (e.g. from a Garmin unit) as a patrol's actual track."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--patrol", type=int, required=True, help="The patrol's id.")

    def handle(self, *args, file: Path, patrol: int, **options):
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        target = Patrol.objects.select_related("reserve").filter(pk=patrol).first()
        if target is None:
            raise CommandError(f"No patrol {patrol}.")
        try:
            parsed = patrol_track_import(actor=None, patrol=target, content=content)
        except GpxError as exc:
            raise CommandError(f"{file.name}: {exc}") from exc
        length = patrol_track_measure(patrol_id=target.pk)  # now, to report it (the queued task is idempotent)
        for warning in parsed.warnings:
            self.stderr.write(self.style.WARNING(warning))
        times = f", {parsed.start:%Y-%m-%d %H:%M} to {parsed.end:%H:%M} UTC" if parsed.start else ", no usable times"
        self.stdout.write(
            self.style.SUCCESS(
                f"Patrol {target.pk}: {parsed.points} points in {parsed.segments} segment(s), {length:.2f} km{times}."
            )
        )

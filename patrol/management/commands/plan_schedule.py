"""Auto-fill a period with patrols and write them as JSON (for scripted use and checks).

    python manage.py plan_schedule --reserve SLUG --start YYYY-MM-DD --days N [--hours 8] [--seed S]
        [--patrol-days N] --out schedule.json

Teams are available every day except their days off (TeamDayOff) and days they already have a patrol.
Nothing is saved in the database. See patrol/scheduling/autofill.py for the method.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from patrol.reserves.models import Reserve
from patrol.routing.planner import RoutePlanningError
from patrol.scheduling.autofill import SchedulingError
from patrol.scheduling.compute import schedule_json, schedule_plan


class Command(BaseCommand):
    help = "Propose patrols with routes for a period (teams x days x posts) and write them as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--reserve", required=True, help="the reserve's slug")
        parser.add_argument("--start", required=True, help="first day, YYYY-MM-DD (the reserve's local date)")
        parser.add_argument("--days", required=True, type=int, help="number of days (1-62)")
        parser.add_argument("--hours", type=float, default=8.0, help="time budget of each patrol (default 8)")
        parser.add_argument("--seed", type=int, default=None, help="random seed (default: a fresh one)")
        parser.add_argument("--patrol-days", type=int, default=None, help="at most this many patrol-days in all")
        parser.add_argument("--out", required=True, help="output JSON file")

    def handle(self, *args, **options):
        reserve = Reserve.objects.filter(slug=options["reserve"]).first()
        if reserve is None:
            raise CommandError(f"no reserve with slug {options['reserve']!r}")
        try:
            start = date.fromisoformat(options["start"])
        except ValueError:
            raise CommandError(f"--start must be YYYY-MM-DD, got {options['start']!r}") from None
        if not 1 <= options["days"] <= 62:
            raise CommandError("--days must be within 1..62")
        if not 0 < options["hours"] <= 16:
            raise CommandError("--hours must be within (0, 16]")
        if options["patrol_days"] is not None and options["patrol_days"] < 0:
            raise CommandError("--patrol-days must not be negative")
        seed = options["seed"] if options["seed"] is not None else secrets.randbelow(2**31)
        started = time.perf_counter()
        try:
            plan = schedule_plan(reserve=reserve, start=start, days=options["days"], hours=options["hours"],
                                 seed=seed, max_patrol_days=options["patrol_days"])  # fmt: skip
            doc = schedule_json(plan)
        except (SchedulingError, RoutePlanningError) as exc:
            raise CommandError(str(exc)) from exc
        with open(options["out"], "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False, indent=1)
        base = doc["baseline_covered_risk_distinct"]
        ratio = doc["covered_risk_distinct"] / base if base else float("inf")
        self.stdout.write(
            f"{len(doc['patrols'])} patrols (seed {seed}) in {time.perf_counter() - started:.1f} s; "
            f"covered risk {doc['covered_risk_distinct']:.3f} against {base:.3f} for the baseline ({ratio:.2f}x)"
        )

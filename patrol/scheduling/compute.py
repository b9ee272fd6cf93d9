"""Auto-fill from the database: the reserve's teams, their days off, posts, terrain and risk surface go
into the pure core (patrol.scheduling.autofill); proposals come out as drafts or as the JSON of
`python manage.py plan_schedule`."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.contrib.gis.geos import LineString
from django.db import transaction
from django.utils.translation import gettext as _

from patrol.jobs.runner import job_run
from patrol.patrols.models import Patrol
from patrol.reserves.models import Post, Reserve, Team
from patrol.reserves.risk import risk_surface_for
from patrol.routing.compute import recent_coverage
from patrol.routing.export import route_lonlat
from patrol.routing.planner import DEFAULT_DETECTION_RADIUS_M, RoutePlanningError
from patrol.scheduling.autofill import AutofillResult, SchedulingError, TeamSpec, autofill, baseline_distinct
from patrol.scheduling.models import ScheduleDraft, ScheduleRun, TeamDayOff
from patrol.terrain.graph import TerrainGraph, build_terrain_graph
from patrol.terrain.models import TerrainGrid
from patrol.terrain.raster_io import Raster
from patrol.terrain.services import grid_cell_of, grid_raster, no_go_mask

DEFAULT_START_TIME = time(8, 0)
RECENT_DAYS = 14  # patrols of the last two weeks count as cover already made


@dataclass
class SchedulePlan:
    reserve: Reserve
    start: date
    days: int
    hours: float
    teams: list[Team]
    posts: list[Post]
    graph: TerrainGraph
    dem: Raster
    risk: np.ndarray
    risk_source: str
    result: AutofillResult

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)

    def times(self, index: int) -> tuple[datetime, datetime]:
        """Planned start and end (the time budget) of a patrol on day `index`, in the reserve's time zone."""
        tz = zoneinfo.ZoneInfo(self.reserve.timezone)
        start = datetime.combine(self.day(index), DEFAULT_START_TIME, tzinfo=tz)
        return start, start + timedelta(hours=self.hours)


def team_specs(*, reserve: Reserve, teams: list[Team], posts: list[Post], start: date, days: int) -> list[TeamSpec]:
    """Availability: every day of the period except the team's days off (TeamDayOff) and the days it already
    has a patrol booked (not cancelled; local dates), which count as field days in a row, as do the booked
    days just before the period (negative day indices)."""
    tz = zoneinfo.ZoneInfo(reserve.timezone)
    end = start + timedelta(days=days)
    before = start - timedelta(days=reserve.max_consecutive_field_days + 1)
    off: dict[int, set[date]] = {t.pk: set() for t in teams}
    booked: dict[int, set[date]] = {t.pk: set() for t in teams}
    for team_id, day in TeamDayOff.objects.filter(team__in=teams, date__gte=start, date__lt=end).values_list(
        "team_id", "date"
    ):
        off[team_id].add(day)
    patrols = Patrol.objects.filter(
        team__in=teams,
        planned_start__lt=datetime.combine(end, time.min, tzinfo=tz),
        planned_end__gt=datetime.combine(before, time.min, tzinfo=tz),
    ).exclude(status=Patrol.Status.CANCELLED)
    for team_id, first, last in patrols.values_list("team_id", "planned_start", "planned_end"):
        day = first.astimezone(tz).date()
        while day <= (last - timedelta(microseconds=1)).astimezone(tz).date():
            booked[team_id].add(day)
            day += timedelta(days=1)
    index = {p.pk: i for i, p in enumerate(posts)}
    return [
        TeamSpec(
            home_post=index.get(team.home_post_id),
            available_days=frozenset(i for i in range(days) if start + timedelta(days=i) not in off[team.pk]),
            booked_days=frozenset((d - start).days for d in booked[team.pk] if before <= d < end),
        )
        for team in teams
    ]


def posts_last_day(*, reserve: Reserve, posts: list[Post], start: date) -> dict[int, int]:
    """For each post (index), the day (negative: before `start`) of the last patrol that started from it
    within the reserve's longest allowed gap; posts without one are overdue from the first day."""
    tz = zoneinfo.ZoneInfo(reserve.timezone)
    since = start - timedelta(days=reserve.max_post_uncovered_days + 1)
    index = {p.pk: i for i, p in enumerate(posts)}
    out = dict.fromkeys(range(len(posts)), -(reserve.max_post_uncovered_days + 1))
    for post_id, first in Patrol.objects.filter(
        post__in=posts, planned_start__gte=datetime.combine(since, time.min, tzinfo=tz),
        planned_start__lt=datetime.combine(start, time.min, tzinfo=tz),
    ).exclude(status=Patrol.Status.CANCELLED).values_list("post_id", "planned_start"):  # fmt: skip
        day = (first.astimezone(tz).date() - start).days
        out[index[post_id]] = max(out[index[post_id]], day)
    return out


def schedule_plan(*, reserve: Reserve, start: date, days: int, hours: float = 8.0, seed: int,
                  max_patrol_days: int | None = None, risk: np.ndarray | None = None, risk_source: str = "",
                  progress=None) -> SchedulePlan:  # fmt: skip
    """Propose patrols for `days` days from `start` (see patrol.scheduling.autofill). Raises SchedulingError
    when the reserve lacks what it needs (terrain, posts, teams)."""
    grid = TerrainGrid.objects.filter(reserve=reserve).first()
    if grid is None:
        raise SchedulingError(_("This reserve has no terrain yet: import a DEM first (import_dem)."))
    teams = list(Team.objects.filter(reserve=reserve).order_by("name", "pk"))
    posts = list(Post.objects.filter(reserve=reserve).order_by("name", "pk"))
    if not teams or not posts:
        raise SchedulingError(_("Auto-fill needs at least one team and one post."))
    dem = grid_raster(grid)
    if risk is None:
        risk, risk_source = risk_surface_for(grid)
    dx, dy = dem.cell_sizes_m()
    graph = build_terrain_graph(dem.data, dx_m=dx, dy_m=dy, no_go=no_go_mask(grid))
    cells = []
    for post in posts:
        row, col = grid_cell_of(grid, post.location.x, post.location.y)
        if not grid.grid.contains(row, col):
            raise SchedulingError(_("%(post)s lies outside the reserve's terrain.") % {"post": post.name})
        cells.append((int(row), int(col)))
    prior = recent_coverage(grid, days=RECENT_DAYS, radius_m=DEFAULT_DETECTION_RADIUS_M)
    result = autofill(
        graph, risk, posts=cells, teams=team_specs(reserve=reserve, teams=teams, posts=posts, start=start, days=days),
        n_days=days, budget_h=hours, seed=seed, max_patrol_days=max_patrol_days,
        max_consecutive_days=reserve.max_consecutive_field_days, max_post_gap_days=reserve.max_post_uncovered_days,
        prior_coverage=prior, post_last_day=posts_last_day(reserve=reserve, posts=posts, start=start),
        progress=progress,
    )  # fmt: skip
    return SchedulePlan(reserve=reserve, start=start, days=days, hours=hours, teams=teams, posts=posts, graph=graph,
                        dem=dem, risk=risk, risk_source=risk_source, result=result)  # fmt: skip


def route_linestring(plan: SchedulePlan, k: int) -> LineString:
    lonlat = route_lonlat(plan.result.patrols[k].route, grid=plan.dem.grid, srid=plan.dem.srid)
    if len(lonlat) == 1:  # a route that never left the post: a degenerate line on the spot
        lonlat = np.vstack([lonlat, lonlat])
    return LineString([tuple(p) for p in lonlat.tolist()], srid=4326)


def schedule_json(plan: SchedulePlan, *, baseline: bool = True) -> dict[str, Any]:
    """The document `plan_schedule --out` writes (times in the reserve's time zone, ISO 8601 with offset)."""
    patrols = []
    for k, item in enumerate(plan.result.patrols):
        start, end = plan.times(item.slot.day)
        line = route_linestring(plan, k)
        patrols.append({
            "team": plan.teams[item.slot.team].name,
            "post": plan.posts[item.slot.post].name,
            "date": plan.day(item.slot.day).isoformat(),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "duration_h": round(item.route.duration_h, 4),
            "covered_risk": item.covered_risk,
            "route": {"type": "LineString", "coordinates": [[round(x, 6), round(y, 6)] for x, y in line.coords]},
        })  # fmt: skip
    patrols.sort(key=lambda p: (p["date"], p["team"]))
    doc = {
        "reserve": plan.reserve.slug,
        "seed": plan.result.seed,
        "risk_source": plan.risk_source,
        "patrols": patrols,
        "covered_risk_distinct": plan.result.covered_risk_distinct,
    }
    if baseline:
        doc["baseline_covered_risk_distinct"] = baseline_distinct(plan.graph, plan.risk, plan.result,
                                                                  budget_h=plan.hours)  # fmt: skip
    return doc


def schedule_run_compute(*, run_id: int, risk: np.ndarray | None = None) -> ScheduleRun | None:
    """Compute a queued ScheduleRun (a job) and store its proposals as drafts."""

    def work(run: ScheduleRun) -> dict[str, Any]:
        def progress(done: int, total: int) -> None:
            if done == total or done % 5 == 0:
                ScheduleRun.objects.filter(pk=run.pk).update(progress={"done": done, "total": total})

        plan = schedule_plan(reserve=run.reserve, start=run.start, days=run.days, hours=run.hours, seed=run.seed,
                             max_patrol_days=run.max_patrol_days, risk=risk, progress=progress)  # fmt: skip
        with transaction.atomic():
            ScheduleDraft.objects.filter(run=run).delete()  # a re-run after a lost worker starts clean
            drafts = []
            for k, item in enumerate(plan.result.patrols):
                start, end = plan.times(item.slot.day)
                drafts.append(ScheduleDraft(
                    run=run, reserve=run.reserve, team=plan.teams[item.slot.team], post=plan.posts[item.slot.post],
                    planned_start=start, planned_end=end, route=route_linestring(plan, k),
                    duration_h=item.route.duration_h, covered_risk=item.covered_risk,
                ))  # fmt: skip
            ScheduleDraft.objects.bulk_create(drafts)
        summary = {"patrols": len(drafts), "covered_risk_distinct": plan.result.covered_risk_distinct,
                   "risk_source": plan.risk_source}  # fmt: skip
        return {"summary": summary}

    return job_run(ScheduleRun, run_id, work, expected=(SchedulingError, RoutePlanningError))

"""Route plans requested by managers (the planning page, the API or the admin); the worker computes them
(patrol.routing.compute); a manager accepts one route, which becomes a planned patrol."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from patrol.jobs.runner import job_enqueue
from patrol.patrols.models import Patrol
from patrol.patrols.services import patrol_create
from patrol.reserves.access import require_manager
from patrol.reserves.models import Post, Reserve, Team
from patrol.reserves.selectors import User
from patrol.routing.models import RoutePlan
from patrol.routing.to_patrol import route_geometries
from patrol.terrain.models import TerrainGrid
from patrol.terrain.selectors import reach_ids_by_name

DEFAULT_START_TIME = time(8, 0)  # local time in the reserve, when a plan names none


def route_plan_request(*, actor: User, reserve: Reserve, start_post: Post, end_post: Post | None = None,
                       **options: Any) -> RoutePlan:  # fmt: skip
    """Managers ask for a route suggestion; it is computed in the background (route_plan_compute)."""
    plan = RoutePlan(reserve=reserve, requested_by=actor, start_post=start_post, end_post=end_post, **options)
    return route_plan_submit(actor=actor, plan=plan)


def route_plan_check(*, reserve: Reserve, start_post: Post | None, end_post: Post | None, team: Team | None = None,
                     must_pass: list[str] = (), avoid: list[str] = ()) -> None:  # fmt: skip
    """The posts and the team must be the reserve's, the valleys named must be its valleys, and the
    reserve must have terrain (raises ValidationError)."""
    for name, post in (("start_post", start_post), ("end_post", end_post)):
        if post is not None and post.reserve_id != reserve.pk:
            raise ValidationError({name: [_("This post belongs to another reserve.")]})
    if team is not None and team.reserve_id != reserve.pk:
        raise ValidationError({"team": [_("This team belongs to another reserve.")]})
    if not TerrainGrid.objects.filter(reserve=reserve).exists():
        raise ValidationError({"reserve": [_("This reserve has no terrain yet: import a DEM first (import_dem).")]})
    known = reach_ids_by_name(reserve_id=reserve.pk)
    for field, names in (("must_pass", must_pass), ("avoid", avoid)):
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValidationError({field: [_("No valley named %(names)s in this reserve.")
                                           % {"names": ", ".join(unknown)}]})  # fmt: skip
    both = sorted(set(must_pass) & set(avoid))
    if both:
        raise ValidationError({"avoid": [_("A valley cannot be both passed and avoided: %(names)s.")
                                         % {"names": ", ".join(both)}]})  # fmt: skip


@transaction.atomic
def route_plan_submit(*, actor: User, plan: RoutePlan) -> RoutePlan:
    """Check and store a new, unsaved plan and queue its computation on commit (the API and the planning
    page build the plan from their fields, the admin from its form). Superusers (the admin) need no membership."""
    if not actor.is_superuser:
        require_manager(user=actor, reserve=plan.reserve)
    plan.must_pass = list(dict.fromkeys(plan.must_pass or []))
    plan.avoid = list(dict.fromkeys(plan.avoid or []))
    route_plan_check(reserve=plan.reserve, start_post=plan.start_post, end_post=plan.end_post,
                     team=plan.team, must_pass=plan.must_pass, avoid=plan.avoid)  # fmt: skip
    plan.requested_by = plan.requested_by or actor
    plan.language = translation.get_language() or ""
    plan.status = RoutePlan.Status.QUEUED
    plan.full_clean()
    plan.save()
    job_enqueue(plan)
    return plan


def plan_local_times(plan: RoutePlan) -> tuple[datetime, datetime]:
    """The patrol's start and end: the plan's date and start time in the reserve's time zone, and the
    hours walked (each day's, the last day ending `hours` after its start for an expedition)."""
    zone = ZoneInfo(plan.reserve.timezone)
    start = datetime.combine(plan.planned_date, plan.start_time or DEFAULT_START_TIME, tzinfo=zone)
    end = start + timedelta(days=plan.days - 1, hours=plan.hours)
    return start, end


@transaction.atomic
def patrol_create_from_plan(*, actor: User, plan: RoutePlan, route: int = 1, leader: User | None = None,
                            team: Team | None = None) -> Patrol:  # fmt: skip
    """Accept route `route` (1-based) of a computed plan: a planned patrol for the plan's team (or `team`)
    on its date, with the route. A plan is accepted once: a second acceptance is refused."""
    require_manager(user=actor, reserve=plan.reserve)
    plan = RoutePlan.objects.select_for_update().select_related("reserve", "start_post").get(pk=plan.pk)
    team = team or plan.team
    if plan.status != RoutePlan.Status.DONE:
        raise ValidationError({"route": [_("This plan has no routes yet.")]})
    if plan.patrol_id is not None:
        raise ValidationError({"route": [_("A patrol was already made from this plan.")]})
    if not 1 <= route <= len(plan.routes):
        raise ValidationError({"route": [_("No such route in this plan.")]})
    if team is None:
        raise ValidationError({"team": [_("Choose the team that will walk this route.")]})
    if plan.planned_date is None:
        raise ValidationError({"planned_date": [_("Choose the date of the patrol.")]})
    collection = plan.routes[route - 1]["feature_collection"]
    feature = collection["features"][0]
    line, waypoints = route_geometries(collection)  # the hotspot waypoints go with it to the phone
    start, end = plan_local_times(plan)
    valleys = ", ".join(feature["properties"].get("valleys", []))
    objective = _("Planned route %(n)d from %(post)s") % {"n": route, "post": plan.start_post.name}
    patrol = patrol_create(
        actor=actor, reserve=plan.reserve, team=team, leader=leader, planned_start=start, planned_end=end,
        transport=plan.transport, status=Patrol.Status.PLANNED,
        objective=f"{objective}: {valleys}" if valleys else objective,
        planned_route=line, planned_waypoints=waypoints, post=plan.start_post,
    )  # fmt: skip
    plan.patrol = patrol
    plan.team = team
    plan.save(update_fields=["patrol", "team"])
    return patrol

"""Route plans requested by managers (the API or the admin); the worker computes them (patrol.routing.compute)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from patrol.jobs.runner import job_enqueue
from patrol.reserves.access import require_manager
from patrol.reserves.models import Post, Reserve
from patrol.reserves.selectors import User
from patrol.routing.models import RoutePlan
from patrol.terrain.models import TerrainGrid


def route_plan_request(*, actor: User, reserve: Reserve, start_post: Post, end_post: Post | None = None,
                       **options: Any) -> RoutePlan:  # fmt: skip
    """Managers ask for a route suggestion; it is computed in the background (route_plan_compute)."""
    plan = RoutePlan(reserve=reserve, requested_by=actor, start_post=start_post, end_post=end_post, **options)
    return route_plan_submit(actor=actor, plan=plan)


def route_plan_check(*, reserve: Reserve, start_post: Post | None, end_post: Post | None) -> None:
    """The posts must be the reserve's, and the reserve must have terrain (raises ValidationError)."""
    for name, post in (("start_post", start_post), ("end_post", end_post)):
        if post is not None and post.reserve_id != reserve.pk:
            raise ValidationError({name: [_("This post belongs to another reserve.")]})
    if not TerrainGrid.objects.filter(reserve=reserve).exists():
        raise ValidationError({"reserve": [_("This reserve has no terrain yet: import a DEM first (import_dem).")]})


@transaction.atomic
def route_plan_submit(*, actor: User, plan: RoutePlan) -> RoutePlan:
    """Check and store a new, unsaved plan and queue its computation on commit (the API builds the plan
    from its fields, the admin from its form). Superusers (the admin) need no membership."""
    if not actor.is_superuser:
        require_manager(user=actor, reserve=plan.reserve)
    route_plan_check(reserve=plan.reserve, start_post=plan.start_post, end_post=plan.end_post)
    plan.requested_by = plan.requested_by or actor
    plan.status = RoutePlan.Status.QUEUED
    plan.full_clean()
    plan.save()
    job_enqueue(plan)
    return plan

"""Route plans requested by managers; the worker computes them (patrol.routing.compute)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from patrol.reserves.access import require_manager
from patrol.reserves.models import Post, Reserve
from patrol.reserves.selectors import User
from patrol.routing.models import RoutePlan
from patrol.routing.tasks import route_plan_compute_task
from patrol.terrain.models import TerrainGrid


@transaction.atomic
def route_plan_request(*, actor: User, reserve: Reserve, start_post: Post, end_post: Post | None = None,
                       **options: Any) -> RoutePlan:  # fmt: skip
    """Managers ask for a route suggestion; it is computed in the background (route_plan_compute)."""
    require_manager(user=actor, reserve=reserve)
    for name, post in (("start_post", start_post), ("end_post", end_post)):
        if post is not None and post.reserve_id != reserve.pk:
            raise ValidationError({name: [_("This post belongs to another reserve.")]})
    if not TerrainGrid.objects.filter(reserve=reserve).exists():
        raise ValidationError({"reserve": [_("This reserve has no terrain yet: import a DEM first (import_dem).")]})
    plan = RoutePlan(reserve=reserve, requested_by=actor, start_post=start_post, end_post=end_post, **options)
    plan.full_clean()
    plan.save()
    transaction.on_commit(lambda: route_plan_compute_task.delay(plan.pk))
    return plan
